//! cirtkit's storage: one API over SQLite (the embedded default) and PostgreSQL (for teams that
//! outgrow one machine), chosen by the database URL. Only this crate knows SQL.
//!
//! Reads go through [`Store`]; every change goes through a [`WriteTx`], which appends to the audit
//! chain in the same transaction, so that no change can be stored without its audit record.
//! Each query is written once and compiled for both backends by the `on_pool!`/`on_tx!` macros.

#[macro_use]
mod dispatch;
mod attachments;
mod audit;
mod constituency;
mod error;
#[macro_use]
mod incidents;
mod migrations;
mod partners;
mod sessions;
#[macro_use]
mod search;
mod event_blocks;
mod events;
mod handoff;
mod stats;
mod synthetic;
mod url;
mod users;

#[cfg(test)]
mod tests;

pub use attachments::{AttachmentRecord, MailDirection};
pub use audit::{AuditEntry, AuditVerification};
pub use error::StorageError;
pub use event_blocks::{BLOCK_EVENTS, EventBlock, EventPacker, OpenBlock};
pub use events::{
    EventQuery, FeedBatch, FeedFileRecord, FeedFileState, FeedRunRecord, HttpValidators, NewEvent, NewQuarantine,
    QuarantineRecord, StoredEvent,
};
pub use handoff::{HandoffScan, OwnerFilter};
pub use incidents::IncidentLink;
pub use migrations::SchemaStatus;
pub use sessions::SessionRecord;
pub use stats::IncidentStats;
pub use synthetic::{SYNTHETIC_WORDS, SyntheticReport, SyntheticSpec};
pub use url::DatabaseUrl;
pub use users::{NewUserRecord, StoredUser, TokenRecord};

use chrono::{DateTime, SubsecRound, Utc};
use serde::Serialize;
use sqlx::{
    PgPool, SqlitePool,
    postgres::{PgConnectOptions, PgPoolOptions},
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};
use std::{str::FromStr, time::Duration};

pub type Result<T, E = StorageError> = std::result::Result<T, E>;

#[derive(Debug, Clone)]
enum Backend {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// The database, whichever it is.
#[derive(Debug, Clone)]
pub struct Store {
    backend: Backend,
    /// The daily event partitions known to exist (PostgreSQL), so each is created once.
    known_partitions: std::sync::Arc<std::sync::Mutex<std::collections::HashSet<chrono::NaiveDate>>>,
}

/// How many of each thing the store holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub organisations: i64,
    pub incidents: i64,
    pub events: i64,
    pub partners: i64,
    pub users: i64,
}

/// Connection settings beyond the URL.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    pub max_connections: u32,
    /// How long to wait for a lock (SQLite) or a connection from the pool.
    pub busy_timeout: Duration,
    /// PostgreSQL only: the schema to work in (tests give each run its own).
    pub pg_schema: Option<String>,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        Self { max_connections: 8, busy_timeout: Duration::from_secs(10), pg_schema: None }
    }
}

/// Times are kept to the microsecond, the precision both databases store, so that what is read
/// back equals what was written (the audit chain depends on it).
pub fn stored_time(t: DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(6)
}

impl Store {
    /// Opens the database named by the URL (creating a SQLite file if it does not exist). Does
    /// not migrate: call [`Store::migrate`].
    pub async fn connect(url: &DatabaseUrl, options: &ConnectOptions) -> Result<Store> {
        let backend = match url {
            DatabaseUrl::Sqlite(_) => {
                let opts = SqliteConnectOptions::from_str(url.expose())
                    .map_err(|e| StorageError::connect(url, e))?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    // 32 MiB of page cache a connection (SQLite's default is 2 MiB): a feed
                    // batch inserts into the address index all over it, and a smaller cache
                    // reads the same pages back from the file again and again.
                    .pragma("cache_size", "-32768")
                    .busy_timeout(options.busy_timeout);
                let pool = SqlitePoolOptions::new()
                    .max_connections(options.max_connections.max(1))
                    .acquire_timeout(options.busy_timeout)
                    .connect_with(opts)
                    .await
                    .map_err(|e| StorageError::connect(url, e))?;
                Backend::Sqlite(pool)
            }
            DatabaseUrl::Postgres(_) => {
                let mut opts = PgConnectOptions::from_str(url.expose()).map_err(|e| StorageError::connect(url, e))?;
                if let Some(schema) = &options.pg_schema {
                    opts = opts.options([("search_path", schema.as_str())]);
                }
                let pool = PgPoolOptions::new()
                    .max_connections(options.max_connections.max(1))
                    .acquire_timeout(options.busy_timeout)
                    .connect_with(opts)
                    .await
                    .map_err(|e| StorageError::connect(url, e))?;
                Backend::Postgres(pool)
            }
        };
        Ok(Store { backend, known_partitions: Default::default() })
    }

    /// `sqlite` or `postgres`.
    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query("SELECT 1").execute(pool).await?;
        });
        Ok(())
    }

    /// Closes every connection (waits for those in use).
    pub async fn close(&self) {
        on_pool!(self, pool => pool.close().await)
    }

    /// Refreshes the planner's statistics on the tables a bulk load filled and, on PostgreSQL,
    /// vacuums them first, which cirtkit must not leave to autovacuum (it may be off, and it
    /// comes late). Each journal entry rewrites its incident's search document, so a bulk load
    /// leaves dead row versions behind: without VACUUM, every index scan of `incidents` steps
    /// over them, the GIN index's pending list (scanned whole by every full-text query) is never
    /// merged, and no page is marked all-visible for index-only scans.
    pub async fn analyze(&self) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(pool) => {
                sqlx::query("ANALYZE").execute(pool).await?;
            }
            Backend::Postgres(pool) => {
                // The simple protocol: VACUUM may not run inside a transaction block. Only the
                // tables the triggers churn (the rest of a shared database is not ours to vacuum).
                sqlx::raw_sql(
                    "VACUUM (ANALYZE) incidents, incident_organisations, incident_observables, journal_entries",
                )
                .execute(pool)
                .await?;
                sqlx::query("ANALYZE").execute(pool).await?;
            }
        }
        Ok(())
    }

    pub async fn counts(&self) -> Result<Counts> {
        const SQL: &str = "SELECT \
            (SELECT COUNT(*) FROM organisations), (SELECT COUNT(*) FROM incidents), \
            (SELECT COUNT(*) FROM events), (SELECT COUNT(*) FROM partners), (SELECT COUNT(*) FROM users)";
        let (organisations, incidents, events, partners, users) = on_pool!(self, pool => {
            sqlx::query_as::<_, (i64, i64, i64, i64, i64)>(SQL).fetch_one(pool).await?
        });
        Ok(Counts { organisations, incidents, events, partners, users })
    }

    /// Starts an audited change by `actor` at `now`. Takes the audit chain's head first, which
    /// serialises writers, so that the chain never forks.
    pub async fn begin(&self, actor: &str, now: DateTime<Utc>) -> Result<WriteTx> {
        let now = stored_time(now);
        let mut tx = match &self.backend {
            Backend::Sqlite(pool) => WriteTx::new(TxInner::Sqlite(pool.begin().await?), actor, now),
            Backend::Postgres(pool) => WriteTx::new(TxInner::Postgres(pool.begin().await?), actor, now),
        };
        tx.lock_audit_head().await?;
        Ok(tx)
    }
}

enum TxInner {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// One audited change: everything done through it is stored, with its audit records, when
/// [`WriteTx::commit`] is called, and nothing is if it is dropped before.
pub struct WriteTx {
    inner: TxInner,
    actor: String,
    now: DateTime<Utc>,
    head: audit::Head,
}

impl std::fmt::Debug for WriteTx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteTx").field("actor", &self.actor).field("now", &self.now).finish()
    }
}

impl WriteTx {
    fn new(inner: TxInner, actor: &str, now: DateTime<Utc>) -> Self {
        WriteTx { inner, actor: actor.to_owned(), now, head: audit::Head::default() }
    }

    /// The time this change is made at.
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    pub async fn commit(self) -> Result<()> {
        match self.inner {
            TxInner::Sqlite(tx) => tx.commit().await?,
            TxInner::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }
}
