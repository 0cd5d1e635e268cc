//! cirtkit's configuration: defaults → `cirtkit.toml` (in the data directory, or `--config`) →
//! `CIRTKIT_*` environment variables (`__` separates levels: `CIRTKIT_SERVER__LISTEN`) → command
//! line flags, merged into one immutable `Config` and checked once. Unknown keys are refused and
//! every problem is reported together. The doc comments below are the reference
//! (docs/configuration.md is written from them).

use cirtkit_domain::{EmailAddress, IncidentReference, SlaPolicy, SlaTargets};
use cirtkit_notify::TlsMode;
use cirtkit_storage::DatabaseUrl;
use figment::{
    Figment,
    providers::{Env, Format, Serialized, Toml},
    value::Value,
};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use std::{
    fmt,
    net::SocketAddr,
    path::{Path, PathBuf},
};

/// The name of the configuration file looked for in the data directory.
pub const CONFIG_FILE_NAME: &str = "cirtkit.toml";

/// Environment variables with the `CIRTKIT_` prefix that are not configuration keys.
const NOT_CONFIG_ENV: &[&str] = &["admin_password", "test_database_url"];

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Where cirtkit keeps its SQLite database, attachments and other files.
    pub data_dir: PathBuf,
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub instance: InstanceConfig,
    pub sla: SlaConfig,
    pub smtp: SmtpConfig,
    pub imap: ImapConfig,
    pub attachments: AttachmentsConfig,
    pub log: LogConfig,
    /// The feeds (`[[feeds]]`, one table per feed): collector, parser, experts and schedule.
    /// See `cirtkit_feeds::FeedSpec` for every key.
    pub feeds: Vec<cirtkit_feeds::FeedSpec>,
    /// The hand-off rules (`[[handoff]]`, one table per rule): which feed events open or update
    /// incidents after each feed run. See `cirtkit_service::HandoffRule` for every key.
    pub handoff: Vec<cirtkit_service::HandoffRule>,
}

/// The HTTP server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServerConfig {
    /// The address and port to listen on. Keep it on 127.0.0.1 behind a TLS reverse proxy.
    pub listen: SocketAddr,
    /// The address people reach the server at, for links in mail (such as
    /// `https://cirt.example.org`). Defaults to `http://` + `listen`.
    pub public_url: Option<String>,
    /// Keep web sessions over plain HTTP when the interface is reached by another name than
    /// localhost (a LAN without TLS). Off by default: the session cookie is `Secure`, which
    /// browsers keep only over HTTPS or on localhost. Turning it on lets anyone on the network
    /// path read the session: prefer a TLS-terminating proxy.
    pub plain_http_sessions: bool,
}

/// The database.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DatabaseConfig {
    /// `sqlite://path/to/file.db` or `postgres://user:password@host:5432/dbname`. Default: the
    /// SQLite file `cirtkit.db` in the data directory.
    pub url: Option<String>,
    /// The most connections cirtkit opens. With PostgreSQL on the same small machine, about twice
    /// its cores (4 for 2) answers faster than more, which only queue for the CPU (docs/benchmarks.md).
    pub max_connections: u32,
    /// Seconds to wait for a lock or a free connection before giving up.
    pub busy_timeout_secs: u64,
}

/// Who this instance is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct InstanceConfig {
    /// The team's name, shown in the interface and in mail.
    pub name: String,
    /// The prefix of incident references: `CIRT` gives `CIRT-2026-00123`.
    pub reference_prefix: String,
}

/// Service-level targets per severity, in hours from an incident's opening.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SlaConfig {
    pub critical: SlaHours,
    pub high: SlaHours,
    pub medium: SlaHours,
    pub low: SlaHours,
}

/// The targets for one severity.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaHours {
    /// Hours until the first response.
    pub response_hours: u32,
    /// Hours until resolution.
    pub resolution_hours: u32,
}

/// Outbound mail: replies sent from incidents go to this SMTP relay, over STARTTLS by default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SmtpConfig {
    /// The relay's host name or address. Not set: outbound mail is off, and replies are refused.
    pub host: Option<String>,
    /// The relay's port. Default: 587 with `starttls`, 465 with `implicit`, 25 with `none`.
    pub port: Option<u16>,
    /// How the connection is protected: `starttls` (default), `implicit` (SMTPS) or `none`. `none`
    /// sends the password and the mail in clear, so it is allowed only for a relay on this machine
    /// (localhost, 127.0.0.1, ::1).
    pub tls: TlsMode,
    /// A PEM file of extra CA certificates to trust besides the public ones (an internal CA).
    pub ca_file: Option<PathBuf>,
    /// The team's address, the sender of every message (required when `host` is set).
    pub from: Option<String>,
    /// The user name, when the relay asks for one.
    pub username: Option<String>,
    /// The password that goes with `username` (masked by `cirtkit config check`).
    pub password: Option<String>,
    /// Seconds to wait for the relay before giving up.
    pub timeout_secs: u64,
}

/// Inbound mail: the team's report mailbox, read over IMAP by `cirtkit mail poll` and, when
/// `host` is set, by `cirtkit serve` every `interval_secs`. Each unseen message is filed like
/// `cirtkit mail ingest` files it, then marked `\Seen` (and moved to `processed_folder` if set).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ImapConfig {
    /// The IMAP server's host name or address. Not set: the mailbox is not read.
    pub host: Option<String>,
    /// The server's port. Default: 993 with `implicit`, 143 with `starttls` or `none`.
    pub port: Option<u16>,
    /// How the connection is protected: `implicit` (IMAPS, default), `starttls` or `none`. `none`
    /// sends the password and the mail in clear, so it is allowed only for a server on this
    /// machine (localhost, 127.0.0.1, ::1).
    pub tls: TlsMode,
    /// A PEM file of extra CA certificates to trust besides the public ones (an internal CA).
    pub ca_file: Option<PathBuf>,
    /// The user name (required when `host` is set).
    pub username: Option<String>,
    /// Its password (required when `host` is set; masked by `cirtkit config check`).
    pub password: Option<String>,
    /// The folder read.
    pub mailbox: String,
    /// Where filed messages are moved after being marked `\Seen`. Not set: they stay in `mailbox`.
    pub processed_folder: Option<String>,
    /// Where messages that are not readable mail are moved. Not set: they stay in `mailbox`,
    /// unseen, and are reported again at each poll.
    pub quarantine_folder: Option<String>,
    /// Seconds between two polls, in `cirtkit serve` and `cirtkit mail poll` without `--once`.
    pub interval_secs: u64,
    /// Seconds to wait for the server before giving up.
    pub timeout_secs: u64,
}

/// Files kept with incidents (the attachments of filed mail). Their content is kept in the
/// database, so that one backup holds everything.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AttachmentsConfig {
    /// The largest attachment kept, in bytes. A larger one is not kept: the journal says so, and
    /// the mail itself is filed all the same. A message is at most 25 MiB in any case.
    pub max_bytes: u64,
}

/// Logging.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LogConfig {
    /// `text` for people, `json` for log collectors.
    pub format: LogFormat,
    /// What to log, as a tracing filter: `info`, `debug`, `info,cirtkit_web=debug`.
    pub level: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("./cirtkit-data"),
            server: ServerConfig::default(),
            database: DatabaseConfig::default(),
            instance: InstanceConfig::default(),
            sla: SlaConfig::default(),
            smtp: SmtpConfig::default(),
            imap: ImapConfig::default(),
            attachments: AttachmentsConfig::default(),
            log: LogConfig::default(),
            feeds: Vec::new(),
            handoff: Vec::new(),
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig { listen: SocketAddr::from(([127, 0, 0, 1], 8080)), public_url: None, plain_http_sessions: false }
    }
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig { url: None, max_connections: 8, busy_timeout_secs: 10 }
    }
}

impl Default for InstanceConfig {
    fn default() -> Self {
        InstanceConfig { name: "National CIRT".into(), reference_prefix: "CIRT".into() }
    }
}

impl Default for SlaConfig {
    fn default() -> Self {
        let p = SlaPolicy::default();
        let h = |t: SlaTargets| SlaHours {
            response_hours: u32::try_from(t.response.num_hours()).unwrap_or(u32::MAX),
            resolution_hours: u32::try_from(t.resolution.num_hours()).unwrap_or(u32::MAX),
        };
        SlaConfig { critical: h(p.critical), high: h(p.high), medium: h(p.medium), low: h(p.low) }
    }
}

impl Default for SmtpConfig {
    fn default() -> Self {
        SmtpConfig {
            host: None,
            port: None,
            tls: TlsMode::StartTls,
            ca_file: None,
            from: None,
            username: None,
            password: None,
            timeout_secs: 30,
        }
    }
}

impl Default for ImapConfig {
    fn default() -> Self {
        ImapConfig {
            host: None,
            port: None,
            tls: TlsMode::Implicit,
            ca_file: None,
            username: None,
            password: None,
            mailbox: "INBOX".into(),
            processed_folder: None,
            quarantine_folder: None,
            interval_secs: 60,
            timeout_secs: 30,
        }
    }
}

impl Default for AttachmentsConfig {
    fn default() -> Self {
        AttachmentsConfig { max_bytes: cirtkit_service::DEFAULT_MAX_ATTACHMENT_BYTES as u64 }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig { format: LogFormat::Text, level: "info".into() }
    }
}

/// What the command line says, which overrides everything else.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub config_file: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub listen: Option<String>,
    pub log_format: Option<LogFormat>,
    /// `-v` raises the log level: 1 = debug, 2 or more = trace.
    pub verbosity: u8,
}

/// Every problem found in the configuration, reported together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub Vec<String>);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.as_slice() {
            [one] => write!(f, "invalid configuration: {one}"),
            many => {
                write!(f, "invalid configuration ({} problems):", many.len())?;
                for p in many {
                    write!(f, "\n  - {p}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Loads the configuration from every layer, using the process environment.
    pub fn load(overrides: &Overrides) -> Result<Config, ConfigError> {
        Self::load_with_env(overrides, Env::prefixed("CIRTKIT_"))
    }

    fn load_with_env(overrides: &Overrides, env: Env) -> Result<Config, ConfigError> {
        let env = env.split("__").filter(|k| !NOT_CONFIG_ENV.contains(&k.as_str().to_ascii_lowercase().as_str()));
        let mut errors = Vec::new();

        // The file lives in the data directory, so find that first (without the file's say).
        let env_data_dir = Figment::from(env.clone()).extract_inner::<PathBuf>("data_dir").ok();
        let data_dir = overrides.data_dir.clone().or(env_data_dir).unwrap_or_else(|| Config::default().data_dir);
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match &overrides.config_file {
            Some(path) if !path.is_file() => {
                errors.push(format!("the configuration file {} does not exist", path.display()))
            }
            Some(path) => figment = figment.merge(Toml::file_exact(path)),
            None => {
                let path = data_dir.join(CONFIG_FILE_NAME);
                if path.is_file() {
                    figment = figment.merge(Toml::file_exact(path));
                }
            }
        }
        figment = figment.merge(env);
        let mut set = |key: &str, value: Option<String>| {
            if let Some(v) = value {
                figment = std::mem::take(&mut figment).merge(Serialized::default(key, v));
            }
        };
        set("data_dir", overrides.data_dir.as_ref().map(|p| p.display().to_string()));
        set("database.url", overrides.database_url.clone());
        set("server.listen", overrides.listen.clone());
        set(
            "log.format",
            overrides.log_format.map(|f| match f {
                LogFormat::Text => "text".to_owned(),
                LogFormat::Json => "json".to_owned(),
            }),
        );

        // Unknown keys, all of them, with where each came from.
        match figment.extract::<Value>() {
            Ok(merged) => {
                let known = serde_json::to_value(Config::default()).unwrap_or_default();
                unknown_keys(&figment, &merged, &known, "", &mut errors);
            }
            Err(e) => errors.extend(e.into_iter().map(|e| e.to_string())),
        }

        // Each section on its own, so that one bad section does not hide the others.
        fn section<T: DeserializeOwned + Default>(f: &Figment, key: &str, errors: &mut Vec<String>) -> T {
            if f.find_value(key).is_err() {
                return T::default();
            }
            f.extract_inner::<T>(key).unwrap_or_else(|e| {
                errors.extend(e.into_iter().map(|e| describe(key, &e)));
                T::default()
            })
        }
        let data_dir: PathBuf = match figment.extract_inner::<PathBuf>("data_dir") {
            Ok(d) => d,
            Err(e) => {
                errors.extend(e.into_iter().map(|e| describe("data_dir", &e)));
                data_dir
            }
        };
        let mut config = Config {
            data_dir,
            server: section(&figment, "server", &mut errors),
            database: section(&figment, "database", &mut errors),
            instance: section(&figment, "instance", &mut errors),
            sla: section(&figment, "sla", &mut errors),
            smtp: section(&figment, "smtp", &mut errors),
            imap: section(&figment, "imap", &mut errors),
            attachments: section(&figment, "attachments", &mut errors),
            log: section(&figment, "log", &mut errors),
            feeds: tables(
                &figment,
                "feeds",
                &mut errors,
                |f: &cirtkit_feeds::FeedSpec| &f.name,
                |f, at| f.problems(at),
            ),
            handoff: tables(
                &figment,
                "handoff",
                &mut errors,
                |r: &cirtkit_service::HandoffRule| &r.name,
                |r, at| r.problems(at),
            ),
        };
        match overrides.verbosity {
            0 => {}
            1 => config.log.level = "debug".into(),
            _ => config.log.level = "trace".into(),
        }
        config.check(&mut errors);
        if errors.is_empty() { Ok(config) } else { Err(ConfigError(errors)) }
    }

    fn check(&self, errors: &mut Vec<String>) {
        if let Some(url) = &self.database.url
            && let Err(e) = url.parse::<DatabaseUrl>()
        {
            errors.push(format!("database.url: {e}"));
        }
        if self.database.max_connections == 0 {
            errors.push("database.max_connections: must be at least 1".into());
        }
        if let Err(e) = IncidentReference::check_prefix(&self.instance.reference_prefix) {
            errors.push(format!("instance.reference_prefix: {}", e.reason));
        }
        if self.instance.name.trim().is_empty() {
            errors.push("instance.name: give the team a name".into());
        }
        for (name, h) in [
            ("critical", self.sla.critical),
            ("high", self.sla.high),
            ("medium", self.sla.medium),
            ("low", self.sla.low),
        ] {
            if h.response_hours == 0 || h.resolution_hours == 0 {
                errors.push(format!("sla.{name}: targets are at least 1 hour"));
            } else if h.response_hours > h.resolution_hours {
                errors.push(format!("sla.{name}: the response target comes after the resolution target"));
            }
        }
        self.check_smtp(errors);
        self.check_imap(errors);
        if self.attachments.max_bytes == 0 {
            errors.push("attachments.max_bytes: must be at least 1".into());
        }
        if let Err(e) = tracing_subscriber::EnvFilter::try_new(&self.log.level) {
            errors.push(format!("log.level: {e}"));
        }
        if let Some(url) = &self.server.public_url
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            errors.push("server.public_url: must start with https:// or http://".into());
        }
    }

    /// The declared feed named `name`.
    pub fn feed(&self, name: &str) -> Option<&cirtkit_feeds::FeedSpec> {
        self.feeds.iter().find(|f| f.name == name)
    }

    /// Where streams (stdin) are spooled before a feed reads them.
    pub fn spool_dir(&self) -> PathBuf {
        self.data_dir.join("spool")
    }

    /// Shadowserver's report schema, as `cirtkit feed schema update` keeps it.
    pub fn shadowserver_schema_path(&self) -> PathBuf {
        self.data_dir.join("shadowserver-schema.json")
    }

    /// The prefix-to-AS table `cirtkit asn import` writes and the `asn` expert reads.
    pub fn asn_table_path(&self) -> PathBuf {
        self.data_dir.join("asn.bin")
    }

    fn check_smtp(&self, errors: &mut Vec<String>) {
        let smtp = &self.smtp;
        if let Some(host) = &smtp.host
            && host.trim().is_empty()
        {
            errors.push("smtp.host: give the relay's host name, or leave it out to turn outbound mail off".into());
        }
        match (&smtp.host, &smtp.from) {
            (Some(_), None) => errors.push("smtp.from: give the team's address, the sender of outbound mail".into()),
            (_, Some(from)) => {
                if let Err(e) = from.parse::<EmailAddress>() {
                    errors.push(format!("smtp.from: {e}"));
                }
            }
            (None, None) => {}
        }
        if smtp.port == Some(0) {
            errors.push("smtp.port: use the relay's port, such as 587 or 465, or leave it out".into());
        }
        if smtp.username.is_some() != smtp.password.is_some() {
            errors.push("smtp.username, smtp.password: give both or neither".into());
        }
        if smtp.timeout_secs == 0 {
            errors.push("smtp.timeout_secs: must be at least 1".into());
        }
        if let Some(host) = &smtp.host
            && let Err(e) = smtp.tls.check_host(host)
        {
            errors.push(format!("smtp.tls: {e}"));
        }
        check_ca_file("smtp.ca_file", smtp.ca_file.as_deref(), errors);
    }

    fn check_imap(&self, errors: &mut Vec<String>) {
        let imap = &self.imap;
        let Some(host) = &imap.host else { return };
        if host.trim().is_empty() {
            errors.push("imap.host: give the IMAP server's host name, or leave it out to read no mailbox".into());
        }
        if let Err(e) = imap.tls.check_host(host) {
            errors.push(format!("imap.tls: {e}"));
        }
        if imap.port == Some(0) {
            errors.push("imap.port: use the server's port, such as 993 or 143, or leave it out".into());
        }
        if imap.username.as_deref().is_none_or(|u| u.trim().is_empty()) || imap.password.is_none() {
            errors.push("imap.username, imap.password: give both to read the mailbox".into());
        }
        for (key, folder) in [
            ("imap.mailbox", Some(&imap.mailbox)),
            ("imap.processed_folder", imap.processed_folder.as_ref()),
            ("imap.quarantine_folder", imap.quarantine_folder.as_ref()),
        ] {
            if let Some(folder) = folder
                && (folder.trim().is_empty() || folder.chars().any(char::is_control))
            {
                errors.push(format!("{key}: give a folder name, such as INBOX or Archive/cirtkit"));
            }
        }
        if imap.processed_folder.as_ref().is_some_and(|f| *f == imap.mailbox) {
            errors.push("imap.processed_folder: must differ from imap.mailbox (or leave it out)".into());
        }
        if imap.interval_secs == 0 {
            errors.push("imap.interval_secs: must be at least 1".into());
        }
        if imap.timeout_secs == 0 {
            errors.push("imap.timeout_secs: must be at least 1".into());
        }
        check_ca_file("imap.ca_file", imap.ca_file.as_deref(), errors);
    }

    /// How to send mail, when outbound mail is configured (and the configuration checked).
    pub fn smtp_settings(&self) -> Option<cirtkit_notify::SmtpSettings> {
        let smtp = &self.smtp;
        let default_port = match smtp.tls {
            TlsMode::StartTls => 587,
            TlsMode::Implicit => 465,
            TlsMode::None => 25,
        };
        Some(cirtkit_notify::SmtpSettings {
            host: smtp.host.clone()?,
            port: smtp.port.unwrap_or(default_port),
            tls: smtp.tls,
            extra_ca_pem: smtp.ca_file.as_ref().and_then(|f| std::fs::read(f).ok()),
            from: smtp.from.as_deref()?.parse().ok()?,
            credentials: smtp.username.clone().zip(smtp.password.clone()),
            timeout: std::time::Duration::from_secs(smtp.timeout_secs),
        })
    }

    /// How to read the report mailbox, when one is configured (and the configuration checked).
    pub fn imap_settings(&self) -> Option<cirtkit_mailbox::ImapSettings> {
        let imap = &self.imap;
        let default_port = if imap.tls == TlsMode::Implicit { 993 } else { 143 };
        Some(cirtkit_mailbox::ImapSettings {
            host: imap.host.clone()?,
            port: imap.port.unwrap_or(default_port),
            tls: imap.tls,
            extra_ca_pem: imap.ca_file.as_ref().and_then(|f| std::fs::read(f).ok()),
            username: imap.username.clone()?,
            password: imap.password.clone()?,
            mailbox: imap.mailbox.clone(),
            processed_folder: imap.processed_folder.clone(),
            quarantine_folder: imap.quarantine_folder.clone(),
            timeout: std::time::Duration::from_secs(imap.timeout_secs),
        })
    }

    /// How long `serve` and `mail poll` wait between two polls of the mailbox.
    pub fn imap_interval(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.imap.interval_secs)
    }

    /// The database to use: the configured URL, or the SQLite file in the data directory.
    pub fn database_url(&self) -> DatabaseUrl {
        self.database
            .url
            .as_deref()
            .and_then(|u| u.parse().ok())
            .unwrap_or_else(|| DatabaseUrl::sqlite_file(&self.data_dir.join("cirtkit.db")))
    }

    pub fn sla_policy(&self) -> SlaPolicy {
        let t = |h: SlaHours| SlaTargets {
            response: chrono::Duration::hours(i64::from(h.response_hours)),
            resolution: chrono::Duration::hours(i64::from(h.resolution_hours)),
        };
        SlaPolicy {
            critical: t(self.sla.critical),
            high: t(self.sla.high),
            medium: t(self.sla.medium),
            low: t(self.sla.low),
        }
    }

    /// The configuration as TOML, with secrets masked: what `cirtkit config check` prints.
    pub fn to_masked_toml(&self) -> String {
        let mut shown = self.clone();
        shown.database.url = Some(self.database_url().masked());
        for password in [&mut shown.smtp.password, &mut shown.imap.password] {
            if password.is_some() {
                *password = Some("********".into());
            }
        }
        toml::to_string(&shown).unwrap_or_else(|e| format!("# cannot print the configuration: {e}\n"))
    }

    /// Where the data directory's configuration file is.
    pub fn file_in(data_dir: &Path) -> PathBuf {
        data_dir.join(CONFIG_FILE_NAME)
    }
}

/// A CA file must be readable and hold at least one PEM certificate.
fn check_ca_file(key: &str, path: Option<&Path>, errors: &mut Vec<String>) {
    let Some(path) = path else { return };
    match std::fs::read(path) {
        Ok(pem) => {
            if let Err(e) = cirtkit_notify::extra_roots(&pem) {
                errors.push(format!("{key}: {}: {e}", path.display()));
            }
        }
        Err(e) => errors.push(format!("{key}: cannot read {}: {e}", path.display())),
    }
}

/// An array of tables (`[[feeds]]`, `[[handoff]]`), each read and checked on its own, so that
/// every bad table is reported under its own index. Names must be unique.
fn tables<T: DeserializeOwned>(
    figment: &Figment,
    key: &str,
    errors: &mut Vec<String>,
    name: impl Fn(&T) -> &String,
    problems: impl Fn(&T, &str) -> Vec<String>,
) -> Vec<T> {
    if figment.find_value(key).is_err() {
        return Vec::new();
    }
    let tables = match figment.extract_inner::<Vec<Value>>(key) {
        Ok(t) => t,
        Err(e) => {
            errors.extend(e.into_iter().map(|e| describe(key, &e)));
            return Vec::new();
        }
    };
    let mut out: Vec<T> = Vec::new();
    for (i, table) in tables.iter().enumerate() {
        match table.deserialize::<T>() {
            Ok(item) => {
                errors.extend(problems(&item, &format!("{key}[{i}]")));
                if out.iter().any(|o| name(o) == name(&item)) {
                    errors.push(format!("{key}[{i}].name: another table of [[{key}]] is named {:?}", name(&item)));
                }
                out.push(item);
            }
            Err(e) => errors.extend(e.into_iter().map(|e| {
                let mut path = vec![format!("{key}[{i}]")];
                path.extend(e.path.iter().cloned());
                format!("{}: {}{}", path.join("."), e.kind, origin(figment.get_metadata(table.tag())))
            })),
        }
    }
    out
}

/// One extraction error as `section.key: what is wrong (from where)`.
fn describe(section: &str, e: &figment::Error) -> String {
    let mut path = vec![section];
    path.extend(e.path.iter().map(String::as_str).filter(|p| *p != section));
    format!("{}: {}{}", path.join("."), e.kind, origin(e.metadata.as_ref()))
}

fn origin(metadata: Option<&figment::Metadata>) -> String {
    match metadata {
        Some(m) => match &m.source {
            Some(figment::Source::File(path)) => format!(" (from {})", path.display()),
            _ => format!(" (from {})", m.name),
        },
        None => String::new(),
    }
}

fn unknown_keys(figment: &Figment, merged: &Value, known: &serde_json::Value, prefix: &str, errors: &mut Vec<String>) {
    let Some(dict) = merged.as_dict() else { return };
    for (key, value) in dict {
        let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
        match known.get(key) {
            None => {
                let origin = origin(figment.find_metadata(&path));
                errors.push(format!("unknown key `{path}`{origin}"));
            }
            Some(sub) if sub.is_object() => unknown_keys(figment, value, sub, &path, errors),
            Some(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::result_large_err)] // figment's Jail dictates the closure's error type
    fn load(files: &[(&str, &str)], env: &[(&str, &str)], o: Overrides) -> Result<Config, ConfigError> {
        let mut result = None;
        figment::Jail::expect_with(|jail| {
            for (name, content) in files {
                if let Some(dir) = Path::new(name).parent().filter(|d| !d.as_os_str().is_empty()) {
                    jail.create_dir(dir)?;
                }
                jail.create_file(name, content)?;
            }
            for (k, v) in env {
                jail.set_env(k, v);
            }
            result = Some(Config::load_with_env(&o, Env::prefixed("CIRTKIT_")));
            Ok(())
        });
        result.unwrap()
    }

    #[test]
    fn defaults_are_sane() {
        let c = load(&[], &[], Overrides::default()).unwrap();
        assert_eq!(c.server.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.database_url().to_string(), "sqlite://./cirtkit-data/cirtkit.db");
        assert_eq!(c.sla_policy(), SlaPolicy::default());
    }

    #[test]
    fn layers_apply_in_order() {
        let files = [(
            "data/cirtkit.toml",
            "[server]\nlisten = \"127.0.0.1:9000\"\n[instance]\nname = \"TunCERT\"\nreference_prefix = \"TN-CERT\"\n",
        )];
        let env = [("CIRTKIT_SERVER__LISTEN", "127.0.0.1:9100"), ("CIRTKIT_ADMIN_PASSWORD", "not config")];
        let o = Overrides { data_dir: Some("data".into()), ..Default::default() };
        let c = load(&files, &env, o.clone()).unwrap();
        assert_eq!(c.server.listen.port(), 9100, "environment beats the file");
        assert_eq!(c.instance.name, "TunCERT", "the file beats the defaults");
        let c = load(&files, &env, Overrides { listen: Some("127.0.0.1:9200".into()), ..o }).unwrap();
        assert_eq!(c.server.listen.port(), 9200, "flags beat the environment");
    }

    #[test]
    fn every_problem_is_reported_together() {
        let files = [(
            "c.toml",
            "colour = \"blue\"\n[server]\nlisten = \"nowhere\"\nport = 1\n[sla.high]\nresponse_hours = 80\nresolution_hours = 72\n",
        )];
        let env = [("CIRTKIT_DATABASE__URL", "mysql://x"), ("CIRTKIT_INSTANCE__REFERENCE_PREFIX", "x")];
        let o = Overrides { config_file: Some("c.toml".into()), ..Default::default() };
        let e = load(&files, &env, o).unwrap_err();
        let all = e.to_string();
        for expected in ["`colour`", "`server.port`", "server.listen", "database.url", "reference_prefix", "sla.high"] {
            assert!(all.contains(expected), "missing {expected} in:\n{all}");
        }
        assert!(e.0.len() >= 6, "{all}");
    }

    #[test]
    fn feeds_are_declared_checked_and_printed() {
        let o = Overrides { config_file: Some("c.toml".into()), ..Default::default() };
        let files = [(
            "c.toml",
            "[[feeds]]\nname = \"scan\"\nformat = \"shadowserver\"\ninterval_secs = 3600\n\
             collector = { kind = \"directory\", path = \"/srv/drop\", pattern = \"*.csv\" }\n\
             [[feeds]]\nname = \"ssh\"\nformat = \"blocklistde\"\noptions = { list = \"ssh\" }\n\
             experts = [\"dedup\"]\ndedup_window_hours = 48\ncollector = { kind = \"file\", path = \"/srv/ssh.txt\" }\n",
        )];
        let c = load(&files, &[], o.clone()).unwrap();
        assert_eq!(c.feeds.len(), 2);
        assert_eq!(c.feed("ssh").unwrap().dedup_window_hours, 48);
        let shown = c.to_masked_toml();
        assert!(shown.contains("[[feeds]]") && shown.contains("pattern = \"*.csv\""), "{shown}");
        let files = [(
            "c.toml",
            "[[feeds]]\nname = \"scan\"\nformat = \"nope\"\ncolour = 1\ncollector = { kind = \"file\", path = \"/x\" }\n\
             [[feeds]]\nname = \"x\"\nformat = \"shadowserver\"\nexperts = [\"geoip\"]\ncollector = { kind = \"ftp\" }\n",
        )];
        let all = load(&files, &[], o).unwrap_err().to_string();
        for expected in ["colour", "ftp"] {
            assert!(all.contains(expected), "missing {expected} in:\n{all}");
        }
    }

    #[test]
    fn handoff_rules_are_declared_checked_and_printed() {
        let o = Overrides { config_file: Some("c.toml".into()), ..Default::default() };
        let files = [(
            "c.toml",
            "[[handoff]]\nname = \"bots\"\nfeeds = [\"scan\"]\ntypes = [\"infected-system\"]\ntlp = \"AMBER+STRICT\"\n\
             severity = \"high\"\ntitle = \"{type} at {organisation}\"\n\
             [[handoff]]\nname = \"unowned\"\norganisation = \"unknown\"\nmin_events = 10\n",
        )];
        let c = load(&files, &[], o.clone()).unwrap();
        assert_eq!(c.handoff.len(), 2);
        let bots = &c.handoff[0];
        assert_eq!(
            (bots.tlp, bots.severity, bots.window_hours),
            (cirtkit_domain::Tlp::AmberStrict, cirtkit_domain::Severity::High, 24)
        );
        assert_eq!(c.handoff[1].organisation, cirtkit_service::OwnerMatch::Unknown);
        assert_eq!(c.handoff[1].title, cirtkit_service::DEFAULT_TITLE);
        assert_eq!(service_settings_rules(&c), 2);
        let shown = c.to_masked_toml();
        assert!(shown.contains("[[handoff]]") && shown.contains("name = \"unowned\""), "{shown}");
        assert!(load(&[("c.toml", &shown)], &[], o.clone()).is_ok(), "what config check prints reads back:\n{shown}");

        let files = [(
            "c.toml",
            "[[handoff]]\nname = \"bots\"\ncolour = 1\n\
             [[handoff]]\nname = \"x\"\ntypes = [\"nope\"]\ntlp = \"PURPLE\"\n\
             [[handoff]]\nname = \"y\"\nwindow_hours = 0\ntitle = \"{what}\"\n\
             [[handoff]]\nname = \"y\"\n",
        )];
        let all = load(&files, &[], o).unwrap_err().to_string();
        for expected in [
            "handoff[0].colour",
            "handoff[1].tlp",
            "handoff[2].window_hours",
            "handoff[2].title: unknown placeholder {what}",
            "handoff[3].name: another table of [[handoff]] is named \"y\"",
        ] {
            assert!(all.contains(expected), "missing {expected} in:\n{all}");
        }
    }

    fn service_settings_rules(c: &Config) -> usize {
        crate::service_settings(c).handoff.len()
    }

    #[test]
    fn a_missing_config_file_is_an_error() {
        let o = Overrides { config_file: Some("nope.toml".into()), ..Default::default() };
        assert!(load(&[], &[], o).unwrap_err().to_string().contains("does not exist"));
    }

    #[test]
    fn secrets_are_masked() {
        let o = Overrides { database_url: Some("postgres://cirt:hunter2@db/cirtkit".into()), ..Default::default() };
        let env = [
            ("CIRTKIT_SMTP__USERNAME", "cirt"),
            ("CIRTKIT_SMTP__PASSWORD", "swordfish"),
            ("CIRTKIT_IMAP__HOST", "imap.cirt.example"),
            ("CIRTKIT_IMAP__USERNAME", "reports"),
            ("CIRTKIT_IMAP__PASSWORD", "correct horse"),
        ];
        let c = load(&[], &env, o).unwrap();
        let shown = c.to_masked_toml();
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!shown.contains("swordfish"), "{shown}");
        assert!(!shown.contains("correct horse"), "{shown}");
        assert!(shown.contains("********"));
    }

    #[test]
    fn outbound_mail_is_off_by_default_and_checked_when_on() {
        let c = load(&[], &[], Overrides::default()).unwrap();
        assert!(c.smtp_settings().is_none());
        let files = [("c.toml", "[smtp]\nhost = \"127.0.0.1\"\nport = 2525\nfrom = \"cirt@cirt.example\"\n")];
        let o = Overrides { config_file: Some("c.toml".into()), ..Default::default() };
        let s = load(&files, &[], o.clone()).unwrap().smtp_settings().unwrap();
        assert_eq!((s.host.as_str(), s.port, s.from.to_string().as_str()), ("127.0.0.1", 2525, "cirt@cirt.example"));
        let files = [("c.toml", "[smtp]\nhost = \"relay\"\nport = 0\nusername = \"cirt\"\ntimeout_secs = 0\n")];
        let all = load(&files, &[], o.clone()).unwrap_err().to_string();
        for expected in ["smtp.from", "smtp.port", "smtp.username", "smtp.timeout_secs"] {
            assert!(all.contains(expected), "missing {expected} in:\n{all}");
        }
        let files = [("c.toml", "[smtp]\nhost = \"relay\"\nfrom = \"not an address\"\n")];
        assert!(load(&files, &[], o).unwrap_err().to_string().contains("smtp.from"));
    }

    #[test]
    fn the_mailbox_is_off_by_default_and_checked_when_on() {
        let c = load(&[], &[], Overrides::default()).unwrap();
        assert!(c.imap_settings().is_none());
        let o = Overrides { config_file: Some("c.toml".into()), ..Default::default() };
        let files = [("c.toml", "[imap]\nhost = \"imap.cirt.example\"\nusername = \"reports\"\npassword = \"x\"\n")];
        let c = load(&files, &[], o.clone()).unwrap();
        let s = c.imap_settings().unwrap();
        assert_eq!((s.port, s.tls, s.mailbox.as_str()), (993, TlsMode::Implicit, "INBOX"));
        assert_eq!(c.imap_interval().as_secs(), 60);
        let files = [(
            "c.toml",
            "[imap]\nhost = \"imap.cirt.example\"\ntls = \"none\"\nport = 0\nmailbox = \"\"\ninterval_secs = 0\n\
             ca_file = \"/nonexistent/ca.pem\"\n[smtp]\nhost = \"relay.example\"\nfrom = \"cirt@cirt.example\"\ntls = \"none\"\n\
             [attachments]\nmax_bytes = 0\n",
        )];
        let e = load(&files, &[], o.clone()).unwrap_err();
        let all = e.to_string();
        for expected in [
            "imap.tls: tls = \"none\" sends the password and the mail in clear, so it is only allowed for a server on this machine",
            "smtp.tls: tls = \"none\"",
            "imap.port",
            "imap.username, imap.password",
            "imap.mailbox",
            "imap.interval_secs",
            "imap.ca_file: cannot read /nonexistent/ca.pem",
            "attachments.max_bytes",
        ] {
            assert!(all.contains(expected), "missing {expected} in:\n{all}");
        }
        let files = [("c.toml", "[imap]\nhost = \"127.0.0.1\"\ntls = \"none\"\nusername = \"u\"\npassword = \"p\"\n")];
        assert_eq!(load(&files, &[], o.clone()).unwrap().imap_settings().unwrap().port, 143, "clear text on loopback");
        let files = [("c.toml", "[imap]\ntls = \"ssl\"\n")];
        assert!(load(&files, &[], o).unwrap_err().to_string().contains("imap.tls"));
    }
}
