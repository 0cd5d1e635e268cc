//! Wiring: turns a checked `Config` into a running cirtkit — the store, the services, the web
//! server — and sets up logging. The command line (src/main.rs) calls only this crate.

pub mod config;
pub mod feed_schedule;
pub mod mail_poll;

pub use config::{Config, ConfigError, LogFormat, Overrides};

use cirtkit_domain::{Clock, SystemClock};
use cirtkit_service::{Outbound, ServiceError, ServiceSettings, Services};
use cirtkit_storage::{ConnectOptions, StorageError, Store};
use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};
use tokio::net::TcpListener;

/// What can stop the application.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error("{context}: {source}")]
    Io { context: String, source: std::io::Error },
    #[error("the database has schema version {current}, but this cirtkit needs {latest}: run `cirtkit migrate`")]
    SchemaBehind { current: i64, latest: i64 },
    #[error("outbound mail cannot be set up: {0}")]
    Mail(#[from] cirtkit_notify::NotifyError),
}

impl AppError {
    pub fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> AppError {
        let context = context.into();
        move |source| AppError::Io { context, source }
    }
}

/// Sets up `tracing` as the configuration says. Logs go to stderr, so that stdout stays for
/// what commands print.
pub fn init_logging(config: &Config) {
    use tracing_subscriber::{EnvFilter, fmt};
    let filter =
        EnvFilter::try_new(format!("{},sqlx=warn", config.log.level)).unwrap_or_else(|_| EnvFilter::new("info"));
    use std::io::IsTerminal;
    let builder = fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false);
    let _ = match config.log.format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.compact().try_init(),
    };
}

/// Opens the configured database, creating the data directory for SQLite.
pub async fn open_store(config: &Config) -> Result<Store, AppError> {
    let url = config.database_url();
    if matches!(url, cirtkit_storage::DatabaseUrl::Sqlite(_)) {
        std::fs::create_dir_all(&config.data_dir)
            .map_err(AppError::io(format!("cannot create the data directory {}", config.data_dir.display())))?;
    }
    let options = ConnectOptions {
        max_connections: config.database.max_connections,
        busy_timeout: Duration::from_secs(config.database.busy_timeout_secs),
        pg_schema: None,
    };
    Ok(Store::connect(&url, &options).await?)
}

/// The services' settings from the configuration.
pub fn service_settings(config: &Config) -> ServiceSettings {
    ServiceSettings {
        reference_prefix: config.instance.reference_prefix.clone(),
        sla: config.sla_policy(),
        max_attachment_bytes: usize::try_from(config.attachments.max_bytes).unwrap_or(usize::MAX),
        handoff: config.handoff.clone(),
    }
}

/// Opens the store, migrates it, and builds the services on the system clock.
pub async fn open_services(config: &Config) -> Result<Services, AppError> {
    let store = open_store(config).await?;
    store.migrate(SystemClock.now()).await?;
    let services = Services::new(store, Arc::new(SystemClock), service_settings(config)).await?;
    attach_mailer(config, &services)?;
    attach_feeds(config, &services);
    Ok(services)
}

/// The imported prefix-to-AS table at `path`, if there is one (a damaged one is logged and
/// left out: the feeds still run, without AS numbers).
pub fn load_asn_table(path: &std::path::Path) -> Option<Arc<cirtkit_pipeline::experts::AsnTable>> {
    match std::fs::File::open(path) {
        Ok(file) => match cirtkit_pipeline::experts::AsnTable::read_from(std::io::BufReader::new(file)) {
            Ok(table) => Some(Arc::new(table)),
            Err(error) => {
                tracing::error!(path = %path.display(), %error, "the AS table cannot be read: import it again");
                None
            }
        },
        Err(_) => None,
    }
}

/// The largest Shadowserver schema file taken (the published one is about 1 MB).
pub const MAX_SCHEMA_BYTES: usize = 64 * 1024 * 1024;

/// The Shadowserver schema `cirtkit feed schema update` kept, if any (a damaged one is logged
/// and left out: the compiled table is used).
pub fn load_shadowserver_schema(path: &std::path::Path) -> Option<Arc<cirtkit_pipeline::ShadowserverSchema>> {
    let file = std::fs::File::open(path).ok()?;
    match cirtkit_pipeline::ShadowserverSchema::from_json(std::io::BufReader::new(file), MAX_SCHEMA_BYTES) {
        Ok(schema) => Some(Arc::new(schema)),
        Err(error) => {
            tracing::error!(path = %path.display(), %error, "the Shadowserver schema cannot be read: load it again");
            None
        }
    }
}

/// Lets the services send mail through the configured relay (when there is one).
pub fn attach_mailer(config: &Config, services: &Services) -> Result<(), AppError> {
    if let Some(smtp) = config.smtp_settings() {
        let mailer = Arc::new(cirtkit_notify::Mailer::new(&smtp)?);
        services.set_outbound(Outbound { mailer, team_name: config.instance.name.clone() });
    }
    Ok(())
}

/// Lets the services re-run the declared feeds' quarantine, each run set up as scheduled runs
/// are (the AS table and Shadowserver schema read from the data directory at each run).
pub fn attach_feeds(config: &Config, services: &Services) {
    let (asn_table, schema) = (config.asn_table_path(), config.shadowserver_schema_path());
    let run_options: cirtkit_service::RunOptionsFor = Arc::new(move |spec, actor| cirtkit_feeds::RunOptions {
        actor,
        asn_table: if spec.has_expert("asn") { load_asn_table(&asn_table) } else { None },
        shadowserver_schema: load_shadowserver_schema(&schema),
        ..cirtkit_feeds::RunOptions::default()
    });
    services.set_feeds(cirtkit_service::FeedSetup { feeds: config.feeds.clone(), run_options });
}

/// Opens the services on a store that must already be at the current schema (for commands
/// that should not change the schema behind the operator's back).
pub async fn open_services_current(config: &Config, clock: Arc<dyn Clock>) -> Result<Services, AppError> {
    let store = open_store(config).await?;
    let status = store.schema_status().await?;
    if !status.is_current() {
        return Err(AppError::SchemaBehind { current: status.current, latest: status.latest });
    }
    let services = Services::new(store, clock, service_settings(config)).await?;
    attach_mailer(config, &services)?;
    attach_feeds(config, &services);
    Ok(services)
}

/// The running server, the mailbox poller when `[imap]` is configured, and the feeds that
/// have a schedule.
pub struct Application {
    listener: TcpListener,
    state: cirtkit_web::WebState,
    mailbox: Option<(cirtkit_mailbox::ImapSettings, Duration)>,
    feeds: Vec<cirtkit_feeds::FeedSpec>,
    feed_metrics: cirtkit_feeds::FeedMetrics,
    spool_dir: std::path::PathBuf,
    asn_table: std::path::PathBuf,
}

impl Application {
    /// Binds the listening socket over ready services.
    pub async fn build(config: &Config, services: Services) -> Result<Application, AppError> {
        let listener = TcpListener::bind(config.server.listen)
            .await
            .map_err(AppError::io(format!("cannot listen on {}", config.server.listen)))?;
        let build = cirtkit_web::BuildInfo {
            version: env!("CARGO_PKG_VERSION"),
            git_commit: option_env!("CIRTKIT_GIT_COMMIT").unwrap_or("unknown"),
        };
        let mailbox = config.imap_settings().map(|imap| (imap, config.imap_interval()));
        let mut metrics = cirtkit_web::Metrics::new(&build);
        let feed_metrics = cirtkit_feeds::FeedMetrics::default();
        feed_metrics.register(metrics.registry_mut());
        let state = cirtkit_web::WebState::with_metrics(services, metrics)
            .with_plain_http_sessions(config.server.plain_http_sessions);
        if config.server.plain_http_sessions {
            tracing::warn!(
                "web sessions over plain HTTP are allowed (server.plain_http_sessions): use it on a trusted LAN only"
            );
        }
        Ok(Application {
            listener,
            state,
            mailbox,
            feeds: config.feeds.iter().filter(|f| f.interval_secs.is_some()).cloned().collect(),
            feed_metrics,
            spool_dir: config.spool_dir(),
            asn_table: config.asn_table_path(),
        })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> Result<SocketAddr, AppError> {
        self.listener.local_addr().map_err(AppError::io("cannot read the listening address"))
    }

    /// Serves until `shutdown` completes, then finishes the requests in flight; the mailbox
    /// poller finishes the message in hand and logs out.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<(), AppError> {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let poller = self.mailbox.map(|(imap, interval)| {
            let services = self.state.services().clone();
            let who = cirtkit_service::Principal::System("mail-poll");
            tokio::spawn(mail_poll::poll_until_stopped(
                services,
                who,
                imap,
                interval,
                stopped.clone(),
                mail_poll::log_message,
            ))
        });
        let feeds: Vec<_> = self
            .feeds
            .into_iter()
            .map(|spec| {
                tokio::spawn(feed_schedule::run_on_schedule(
                    self.state.services().clone(),
                    spec,
                    self.spool_dir.clone(),
                    self.asn_table.clone(),
                    self.feed_metrics.clone(),
                    stopped.clone(),
                ))
            })
            .collect();
        let shutdown = async move {
            shutdown.await;
            let _ = stop.send(true);
        };
        let served = cirtkit_web::serve(self.listener, self.state, shutdown).await;
        if let Some(poller) = poller
            && let Err(e) = poller.await
        {
            tracing::error!(error = %e, "the mailbox poller ended abnormally");
        }
        for feed in feeds {
            if let Err(e) = feed.await {
                tracing::error!(error = %e, "a feed schedule ended abnormally");
            }
        }
        served.map_err(AppError::io("the server stopped"))
    }
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    cirtkit_web::shutdown_signal().await
}
