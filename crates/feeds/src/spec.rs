//! A feed as the configuration declares it (`[[feeds]]` in cirtkit.toml). The doc comments here
//! are the reference for those keys (docs/configuration.md is written from them).

use cirtkit_notify::TlsMode;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// The experts a feed runs when its `experts` key is left out.
pub const DEFAULT_EXPERTS: &[&str] = &["rsit", "asn", "constituency", "dedup"];

/// One feed: where its files come from, how they are read, what is done to each event, and
/// how often it runs inside `cirtkit serve`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedSpec {
    /// The feed's name: `feed.name` of its events, and how `cirtkit feed run NAME`, the API and
    /// the UI name it. Letters, digits, `-`, `_`, `.` and spaces.
    pub name: String,
    /// The parser, by format name (`cirtkit feed formats` lists them), such as `shadowserver`.
    pub format: String,
    /// The parser's options, a table (see docs/events.md for each format's options).
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub options: serde_json::Map<String, serde_json::Value>,
    /// Where the feed's files come from.
    pub collector: CollectorSpec,
    /// Seconds between two runs inside `cirtkit serve`. Not set: the feed runs only when asked
    /// (`cirtkit feed run NAME`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval_secs: Option<u64>,
    /// The experts each event goes through, in order, by name (docs/events.md describes each
    /// and its options): `sanitise` (refuses
    /// impossible times and coordinates), `rsit` (drops events without a classification),
    /// `bogons` (drops events whose source is private, reserved or otherwise unroutable), `asn`
    /// (sets `source.asn`, `source.network` and `source.as_name`, and the same for the
    /// destination, from the table `cirtkit asn import` made; left out without one), `geoip`
    /// (sets `source.geolocation.*` from a MaxMind-format database), `warninglist` (drops or
    /// tags events matching MISP warning lists), `rules` (keeps or drops events by conditions
    /// on their fields), `constituency` (sets `extra.organisation_id` and `extra.organisation`
    /// to the constituent owning `source.ip`, or else `source.fqdn`, the host of `source.url`,
    /// or `source.asn`), `dedup` (drops an event whose deduplication key was stored within
    /// `dedup_window_hours`; always applied last, its window kept in the store across runs).
    /// Each name at most once.
    #[serde(default = "default_experts")]
    pub experts: Vec<String>,
    /// Options of the experts, one table per expert named in `experts`
    /// (`[feeds.expert_options.geoip]`), with the keys docs/events.md gives for it. Besides
    /// those, `geoip` needs `database`, the path of the `.mmdb` file (and takes `language` for
    /// city names, default `en`), and `warninglist` needs `lists`, the paths of MISP warning
    /// lists (each a `list.json` file or the folder holding it; named by the folder). `dedup`
    /// takes `fields`, `with_extra` and `max_entries`; its window is `dedup_window_hours`.
    /// Checked when the configuration is read; the files are read at each run.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub expert_options: BTreeMap<String, serde_json::Map<String, serde_json::Value>>,
    /// How long, in hours, an event stored keeps an identical later one out (with `dedup`).
    #[serde(default = "default_window_hours")]
    pub dedup_window_hours: u64,
}

fn default_experts() -> Vec<String> {
    DEFAULT_EXPERTS.iter().map(|s| (*s).to_owned()).collect()
}

fn default_window_hours() -> u64 {
    24
}

/// Where a feed's files come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum CollectorSpec {
    /// One file, read again at each run when its content changed.
    File {
        /// The file's path.
        path: PathBuf,
    },
    /// A drop folder: each run reads the files in it whose name matches `pattern` and whose
    /// content was not read before (files are left where they are).
    Directory {
        /// The folder's path.
        path: PathBuf,
        /// A file name pattern with `*` and `?` wildcards, such as `*.csv`. Default: every file.
        #[serde(default = "default_pattern")]
        pattern: String,
    },
    /// Standard input, read to its end (for `cirtkit feed run NAME < file`).
    Stdin,
    /// A download over HTTP or HTTPS (TLS with the Mozilla roots built in). Each run asks with
    /// `If-None-Match` / `If-Modified-Since` from the last download the run read to its end, so
    /// an unchanged file is not downloaded again (a 304 reads nothing, and the run is recorded
    /// as "not modified"). The file is named after
    /// the `Content-Disposition` file name, or else the URL's last path segment (Shadowserver's
    /// parser picks the report by it). Connection errors, timeouts, 429 and 5xx answers are
    /// retried after 1, 2, 4 … seconds (or the server's `Retry-After`, up to 60 seconds); other
    /// answers (4xx) are not.
    Http {
        /// The URL, `http://` or `https://`, with its query (an API key in it stays in the
        /// configuration file; prefer `headers` for secrets).
        url: String,
        /// Extra request headers, a table such as `{ Authorization = "Bearer …" }`.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        headers: BTreeMap<String, String>,
        /// Seconds to wait for the connection, the answer, or the next piece of the body
        /// (a slow but moving download is not cut). Default 60.
        #[serde(default = "default_timeout_secs")]
        timeout_secs: u64,
        /// How many times a failed attempt is tried again (0 to 10). Default 3.
        #[serde(default = "default_retries")]
        retries: u32,
        /// The largest body accepted, in bytes; a bigger one is refused. Default 536870912 (512 MiB).
        #[serde(default = "default_max_bytes")]
        max_bytes: u64,
    },
    /// A mailbox read over IMAP, for reports that arrive as mail (Shadowserver, partners' CSVs,
    /// ARF and X-ARF abuse reports). Each run reads the unseen messages of `folder`, oldest first:
    /// each attachment whose name matches `attachments` is one input, named after the attachment's
    /// file name (Shadowserver's parser picks the report by it; gzip and zip are unpacked by the
    /// pipeline). A format that reads whole messages (`arf`, `xarf`) gets the whole message
    /// instead. A message is marked `\Seen` (and moved to `processed_folder` if set) only after
    /// the run has read its inputs to their end and committed them; a crash before that leaves
    /// it unseen, and the next run reads it again (its attachments' content, read before, is
    /// skipped). A message with no matching attachment, bigger than `max_message_bytes` or with
    /// more than `max_attachments` is set aside: moved to `quarantine_folder` if set, otherwise
    /// left unseen in `folder` (a person sees it as unread) and reported again at each run.
    /// Give the feed a folder (or a mailbox) of its own: the incident-intake poller (`[imap]`)
    /// files every unseen message of its folder as an incident.
    Imap(Box<ImapCollector>),
}

/// Where an IMAP feed's mail is, and how much of it a run takes (see [`CollectorSpec::Imap`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImapCollector {
    /// The IMAP server's host name or address.
    pub host: String,
    /// The server's port. Default: 993 with `implicit`, 143 with `starttls` or `none`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// How the connection is protected: `implicit` (IMAPS, default), `starttls` or `none`.
    /// `none` sends the password and the mail in clear, so it is allowed only for a server on
    /// this machine (localhost, 127.0.0.1, ::1).
    #[serde(default = "default_imap_tls")]
    pub tls: TlsMode,
    /// A PEM file of extra CA certificates to trust besides the public ones (an internal CA).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
    /// The user name.
    pub username: String,
    /// The password, written in the configuration file (masked by `cirtkit config check`), as
    /// `[imap] password` may be. Prefer `password_env` or `password_file`; give exactly one
    /// of the three.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<Secret>,
    /// The name of an environment variable holding the password, such as
    /// `SHADOWSERVER_IMAP_PASSWORD` (not starting with `CIRTKIT_`: those are configuration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_env: Option<String>,
    /// A file holding the password (its first line; readable by cirtkit only, ideally).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_file: Option<PathBuf>,
    /// The folder read. Default `INBOX`.
    #[serde(default = "default_folder")]
    pub folder: String,
    /// Where messages read are moved after being marked `\Seen`. Not set: they stay in
    /// `folder`, seen. The folder must exist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processed_folder: Option<String>,
    /// Where messages set aside are moved (see above). Not set: they stay in `folder`,
    /// unseen. The folder must exist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quarantine_folder: Option<String>,
    /// An attachment file name pattern with `*` and `?` wildcards, such as `*.csv*`.
    /// Default: every attachment (signatures apart). Not used by formats that read whole
    /// messages.
    #[serde(default = "default_pattern")]
    pub attachments: String,
    /// Seconds to wait for the server at each exchange. Default 60.
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
    /// The largest message read, in bytes (as the server gives its size); a bigger one is
    /// set aside. Default 52428800 (50 MiB).
    #[serde(default = "default_max_message_bytes")]
    pub max_message_bytes: u64,
    /// The most matching attachments a message may have; one with more is set aside.
    /// Default 20.
    #[serde(default = "default_max_attachments")]
    pub max_attachments: u32,
    /// The most messages one run reads; the others wait for the next run. Default 100.
    #[serde(default = "default_max_messages")]
    pub max_messages: u32,
}

/// A secret from the configuration: read as a plain string, never shown (`Debug` and
/// serialisation, hence `cirtkit config check`, print it masked).
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(********)")
    }
}

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str("********")
    }
}

fn default_imap_tls() -> TlsMode {
    TlsMode::Implicit
}

fn default_folder() -> String {
    "INBOX".into()
}

fn default_max_message_bytes() -> u64 {
    50 * 1024 * 1024
}

fn default_max_attachments() -> u32 {
    20
}

fn default_max_messages() -> u32 {
    100
}

fn default_timeout_secs() -> u64 {
    60
}

fn default_retries() -> u32 {
    3
}

fn default_max_bytes() -> u64 {
    512 * 1024 * 1024
}

fn default_pattern() -> String {
    "*".into()
}

impl FeedSpec {
    /// A feed for a one-off file (`cirtkit feed ingest`): the default experts, no schedule.
    pub fn one_off(name: &str, format: &str) -> FeedSpec {
        FeedSpec {
            name: name.to_owned(),
            format: format.to_owned(),
            options: serde_json::Map::new(),
            collector: CollectorSpec::Stdin,
            interval_secs: None,
            experts: default_experts(),
            expert_options: BTreeMap::new(),
            dedup_window_hours: default_window_hours(),
        }
    }

    /// The parser's options as the parser registry takes them.
    pub fn options_value(&self) -> serde_json::Value {
        if self.options.is_empty() { serde_json::Value::Null } else { serde_json::Value::Object(self.options.clone()) }
    }

    pub fn interval(&self) -> Option<Duration> {
        self.interval_secs.map(Duration::from_secs)
    }

    pub fn dedup_window(&self) -> chrono::Duration {
        chrono::Duration::hours(i64::try_from(self.dedup_window_hours).unwrap_or(i64::MAX / 3_600_000))
    }

    /// The experts in order, each with its options when it has some, for people:
    /// `rsit, geoip {"database":"/var/lib/geo.mmdb"}, dedup`.
    pub fn experts_summary(&self) -> String {
        let one = |name: &String| match self.expert_options.get(name) {
            Some(o) if !o.is_empty() => format!("{name} {}", serde_json::Value::Object(o.clone())),
            _ => name.clone(),
        };
        self.experts.iter().map(one).collect::<Vec<_>>().join(", ")
    }

    pub fn has_expert(&self, name: &str) -> bool {
        self.experts.iter().any(|e| e == name)
    }

    /// Every problem of this feed's declaration, each prefixed with where it is.
    pub fn problems(&self, at: &str) -> Vec<String> {
        let mut out = Vec::new();
        let name_ok = !self.name.trim().is_empty()
            && self.name.len() <= 100
            && self.name.chars().all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ' '));
        if !name_ok {
            out.push(format!("{at}.name: use 1 to 100 letters, digits, '-', '_', '.' or spaces"));
        }
        if let Err(e) = cirtkit_pipeline::parser_for(&self.format, &self.options_value()) {
            out.push(format!("{at}.format: {e}"));
        }
        out.extend(crate::expert::problems(self, at));
        if self.interval_secs == Some(0) {
            out.push(format!("{at}.interval_secs: must be at least 1 (or leave it out)"));
        }
        if self.dedup_window_hours == 0 || self.dedup_window_hours > 24 * 366 {
            out.push(format!("{at}.dedup_window_hours: use 1 to 8784 hours"));
        }
        if let CollectorSpec::Directory { pattern, .. } = &self.collector
            && (pattern.is_empty() || pattern.contains('/'))
        {
            out.push(format!("{at}.collector.pattern: a file name pattern such as *.csv, without '/'"));
        }
        if let CollectorSpec::Http { url, headers, timeout_secs, retries, max_bytes } = &self.collector {
            match reqwest::Url::parse(url) {
                Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
                _ => out.push(format!("{at}.collector.url: an http:// or https:// URL, not {url:?}")),
            }
            for (name, value) in headers {
                if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err()
                    || reqwest::header::HeaderValue::from_str(value).is_err()
                {
                    out.push(format!("{at}.collector.headers: {name:?} is not a valid header name and value"));
                }
            }
            if *timeout_secs == 0 || *timeout_secs > 3600 {
                out.push(format!("{at}.collector.timeout_secs: use 1 to 3600 seconds"));
            }
            if *retries > 10 {
                out.push(format!("{at}.collector.retries: use 0 to 10"));
            }
            if *max_bytes == 0 {
                out.push(format!("{at}.collector.max_bytes: must be at least 1"));
            }
        }
        if let CollectorSpec::Imap(imap) = &self.collector {
            self.imap_problems(imap, at, &mut out);
        }
        if self.interval_secs.is_some() && matches!(self.collector, CollectorSpec::Stdin) {
            out.push(format!("{at}.interval_secs: a stdin feed cannot run on a schedule"));
        }
        out
    }
}

impl FeedSpec {
    /// Whether the feed's parser reads whole e-mail messages (ARF, X-ARF) rather than files.
    pub fn reads_whole_messages(&self) -> bool {
        cirtkit_pipeline::parser_for(&self.format, &self.options_value()).is_ok_and(|p| p.reads_mail())
    }

    fn imap_problems(&self, imap: &ImapCollector, at: &str, out: &mut Vec<String>) {
        let ImapCollector {
            host,
            port,
            tls,
            ca_file,
            username,
            password,
            password_env,
            password_file,
            folder,
            processed_folder,
            quarantine_folder,
            attachments,
            timeout_secs,
            max_message_bytes,
            max_attachments,
            max_messages,
        } = imap;
        let at = format!("{at}.collector");
        if host.trim().is_empty() {
            out.push(format!("{at}.host: give the IMAP server's host name"));
        } else if let Err(e) = tls.check_host(host) {
            out.push(format!("{at}.tls: {e}"));
        }
        if *port == Some(0) {
            out.push(format!("{at}.port: use the server's port, such as 993 or 143, or leave it out"));
        }
        if let Some(path) = ca_file {
            match std::fs::read(path) {
                Ok(pem) => {
                    if let Err(e) = cirtkit_notify::extra_roots(&pem) {
                        out.push(format!("{at}.ca_file: {}: {e}", path.display()));
                    }
                }
                Err(e) => out.push(format!("{at}.ca_file: cannot read {}: {e}", path.display())),
            }
        }
        if username.trim().is_empty() {
            out.push(format!("{at}.username: give the mailbox's user name"));
        }
        let given = [password.is_some(), password_env.is_some(), password_file.is_some()];
        // Only counted here: the variable or the file is read when the feed runs, so that a
        // command run from another shell (without the variable, or as another user) still starts.
        if given.iter().filter(|g| **g).count() != 1 {
            out.push(format!("{at}.password_env, {at}.password_file, {at}.password: give exactly one"));
        }
        if password_env.as_ref().is_some_and(|n| n.is_empty() || n.contains('=') || n.contains('\0')) {
            out.push(format!("{at}.password_env: the name of an environment variable"));
        } else if password_env.as_ref().is_some_and(|n| n.to_ascii_uppercase().starts_with("CIRTKIT_")) {
            out.push(format!(
                "{at}.password_env: CIRTKIT_* variables are read as configuration; use another name, \
                 such as SHADOWSERVER_IMAP_PASSWORD"
            ));
        }
        for (key, name) in [
            ("folder", Some(folder)),
            ("processed_folder", processed_folder.as_ref()),
            ("quarantine_folder", quarantine_folder.as_ref()),
        ] {
            if let Some(name) = name
                && (name.trim().is_empty() || name.chars().any(|c| c.is_control() || c == '"'))
            {
                out.push(format!("{at}.{key}: a folder name, without quotes or control characters"));
            }
        }
        if processed_folder.as_ref().is_some_and(|f| f == folder) {
            out.push(format!("{at}.processed_folder: must differ from folder (or leave it out)"));
        }
        if quarantine_folder.as_ref().is_some_and(|f| f == folder) {
            out.push(format!("{at}.quarantine_folder: must differ from folder (or leave it out)"));
        }
        if attachments.is_empty() || attachments.contains('/') {
            out.push(format!("{at}.attachments: a file name pattern such as *.csv, without '/'"));
        } else if attachments != "*" && self.reads_whole_messages() {
            out.push(format!(
                "{at}.attachments: the format {:?} reads whole messages, not attachments; leave attachments out",
                self.format
            ));
        }
        if *timeout_secs == 0 || *timeout_secs > 3600 {
            out.push(format!("{at}.timeout_secs: use 1 to 3600 seconds"));
        }
        if *max_message_bytes == 0 {
            out.push(format!("{at}.max_message_bytes: must be at least 1"));
        }
        if *max_attachments == 0 {
            out.push(format!("{at}.max_attachments: must be at least 1"));
        }
        if *max_messages == 0 {
            out.push(format!("{at}.max_messages: must be at least 1"));
        }
    }
}

/// The IMAP password from the one place the configuration names; the error starts with the key.
pub fn resolve_password(
    password: Option<&Secret>,
    env: Option<&str>,
    file: Option<&std::path::Path>,
) -> Result<Secret, String> {
    if let Some(secret) = password {
        return Ok(secret.clone());
    }
    if let Some(name) = env {
        return match std::env::var(name) {
            Ok(value) if !value.is_empty() => Ok(Secret(value)),
            _ => Err(format!("password_env: the environment variable {name:?} is not set (or empty)")),
        };
    }
    if let Some(path) = file {
        let text =
            std::fs::read_to_string(path).map_err(|e| format!("password_file: cannot read {}: {e}", path.display()))?;
        let first = text.lines().next().unwrap_or_default().trim_end_matches('\r');
        if first.is_empty() {
            return Err(format!("password_file: {} is empty", path.display()));
        }
        return Ok(Secret(first.to_owned()));
    }
    Err("password_env: give password_env, password_file or password".into())
}

/// Whether `name` matches a pattern of `*` (any run) and `?` (one character).
pub fn matches_pattern(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    let (mut pi, mut ni, mut star, mut mark) = (0, 0, None, 0);
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ni;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ni = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_like_a_shell() {
        for (p, n, ok) in [
            ("*", "a.csv", true),
            ("*.csv", "scan.csv", true),
            ("*.csv", "scan.csv.gz", false),
            ("scan_??.csv", "scan_12.csv", true),
            ("*scan*", "2024-scan_rdp.csv", true),
            ("a*b*c", "axxbyyc", true),
            ("a*b*c", "axxbyy", false),
        ] {
            assert_eq!(matches_pattern(p, n), ok, "{p} {n}");
        }
    }

    #[test]
    fn declarations_are_read_and_checked() {
        let spec: FeedSpec = serde_json::from_value(serde_json::json!({
            "name": "shadowserver-scan",
            "format": "shadowserver",
            "collector": {"kind": "directory", "path": "/srv/drop"},
            "interval_secs": 3600
        }))
        .unwrap();
        assert_eq!(spec.experts, ["rsit", "asn", "constituency", "dedup"]);
        assert_eq!(spec.collector, CollectorSpec::Directory { path: "/srv/drop".into(), pattern: "*".into() });
        assert!(spec.problems("feeds[0]").is_empty(), "{:?}", spec.problems("feeds[0]"));
        let bad = FeedSpec {
            name: "a/b".into(),
            format: "nope".into(),
            experts: vec!["geo".into()],
            interval_secs: Some(0),
            dedup_window_hours: 0,
            ..spec
        };
        let all = bad.problems("feeds[1]").join("\n");
        for key in ["feeds[1].name", "feeds[1].format", "feeds[1].experts", "interval_secs", "dedup_window_hours"] {
            assert!(all.contains(key), "{key} in {all}");
        }
        let typo = serde_json::from_value::<FeedSpec>(serde_json::json!({
            "name": "x", "format": "generic-csv", "collector": {"kind": "file", "path": "/x", "patern": "*"}
        }));
        assert!(typo.is_err(), "unknown keys are refused");
        let http: FeedSpec = serde_json::from_value(serde_json::json!({
            "name": "x", "format": "blocklistde", "options": {"list": "ssh"}, "collector": {"kind": "http", "url": "https://dl.example/a.csv"}
        }))
        .unwrap();
        let CollectorSpec::Http { timeout_secs: 60, retries: 3, max_bytes: 536_870_912, .. } = &http.collector else {
            panic!("{:?}", http.collector)
        };
        assert!(http.problems("f").is_empty(), "{:?}", http.problems("f"));
        let bad = FeedSpec {
            collector: CollectorSpec::Http {
                url: "ftp://x/y".into(),
                headers: [("Bad Name".to_owned(), "v".to_owned())].into(),
                timeout_secs: 0,
                retries: 11,
                max_bytes: 0,
            },
            ..http
        };
        let all = bad.problems("f").join("\n");
        for key in ["url", "headers", "timeout_secs", "retries", "max_bytes"] {
            assert!(all.contains(&format!("f.collector.{key}")), "{key} in {all}");
        }
    }

    #[test]
    fn imap_collectors_are_read_with_defaults_and_checked() {
        let spec: FeedSpec = serde_json::from_value(serde_json::json!({
            "name": "shadowserver-mail", "format": "shadowserver",
            "collector": {"kind": "imap", "host": "imap.cirt.example", "username": "reports",
                          "password": "hunter2", "attachments": "*.csv*"}
        }))
        .unwrap();
        let CollectorSpec::Imap(imap) = &spec.collector else { panic!("{:?}", spec.collector) };
        let ImapCollector { tls, folder, port, timeout_secs, max_message_bytes, max_attachments, max_messages, .. } =
            imap.as_ref();
        assert_eq!((*tls, folder.as_str(), *port, *timeout_secs), (TlsMode::Implicit, "INBOX", None, 60));
        assert_eq!((*max_message_bytes, *max_attachments, *max_messages), (52_428_800, 20, 100));
        assert!(spec.problems("f").is_empty(), "{:?}", spec.problems("f"));
        // The password is never shown: not in Debug, not in what `config check` prints.
        assert!(!format!("{spec:?}").contains("hunter2"));
        assert!(!serde_json::to_string(&spec).unwrap().contains("hunter2"));

        let bad: FeedSpec = serde_json::from_value(serde_json::json!({
            "name": "x", "format": "xarf",
            "collector": {"kind": "imap", "host": "imap.cirt.example", "tls": "none", "username": "",
                          "password": "p", "password_env": "CIRTKIT_X", "folder": "In\"box",
                          "processed_folder": "In\"box", "attachments": "*.csv", "timeout_secs": 0,
                          "max_message_bytes": 0, "max_attachments": 0, "max_messages": 0}
        }))
        .unwrap();
        let all = bad.problems("f").join("\n");
        for key in [
            "tls",
            "username",
            "password_env, f.collector.password_file",
            "folder",
            "processed_folder",
            "attachments: the format \"xarf\" reads whole messages",
            "timeout_secs",
            "max_message_bytes",
            "max_attachments",
            "max_messages",
        ] {
            assert!(all.contains(&format!("f.collector.{key}")), "{key} in {all}");
        }
        assert!(all.contains("in clear"), "{all}");
        let typo = serde_json::from_value::<FeedSpec>(serde_json::json!({
            "name": "x", "format": "shadowserver",
            "collector": {"kind": "imap", "host": "h", "username": "u", "password": "p", "mailbox": "INBOX"}
        }));
        assert!(typo.is_err(), "unknown keys are refused");
    }
}
