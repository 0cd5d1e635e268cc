//! Feed events in bulk: batches of harmonised events written with their file's progress, the
//! quarantine, feed runs, and the event lists.
//!
//! A batch is one transaction holding its events (narrow rows and the compressed blocks their
//! JSON is in, see [`crate::EventPacker`]), its quarantined records and the file's progress
//! (how many of the parser's records are consumed). So a run killed at any point leaves the
//! store as after its last committed batch, and a rerun skips exactly the records that batch
//! had consumed: every event is stored once. The deduplication window is read back from the
//! events' `dedup_hash` column ([`Store::dedup_window`]).
//!
//! Bulk writes are not audited row by row: each run is one `feed.run` audit record
//! ([`WriteTx::record_feed_run`]). SQLite takes multi-row INSERTs of prepared statements;
//! PostgreSQL takes `COPY … FROM STDIN` into the table partitioned by day, whose partitions are
//! created on demand.

use crate::search::{Bind, Sql, ip_key};
use crate::{Backend, Result, StorageError, Store, WriteTx, stored_time};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use cirtkit_domain::OrganisationId;
use ipnet::IpNet;
use serde::Serialize;
use sqlx::Row;
use std::fmt::Write as _;
use std::net::IpAddr;

/// One event to store: the columns lists filter on, and where its JSON is in the batch's
/// blocks ([`crate::EventPacker`] gives both numbers).
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub time_observation: DateTime<Utc>,
    pub time_source: Option<DateTime<Utc>>,
    pub classification_type: Option<&'static str>,
    pub taxonomy: Option<&'static str>,
    pub source_ip: Option<IpAddr>,
    pub source_asn: Option<u32>,
    /// The constituent owning the source (address, or else host name), when known.
    pub organisation: Option<OrganisationId>,
    /// The deduplication key's hash (a u64, stored as its two's-complement i64).
    pub dedup_hash: u64,
    /// Index of its block in [`FeedBatch::blocks`].
    pub block: u32,
    /// Its place in that block.
    pub slot: u32,
}

/// A record the parser could not read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewQuarantine {
    pub feed: String,
    pub file: Option<String>,
    pub line: u64,
    pub code: String,
    pub reason: String,
    pub raw: String,
    /// What the record needs to be parsed again on its own: its CSV file's header line.
    pub context: Option<String>,
}

/// Where a feed file stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FeedFileState {
    /// Being read, or stopped part-way (a rerun resumes after `rows_committed`).
    Partial,
    /// Read to its end: the same content is not read again for this feed.
    Done,
    /// The file as a whole could not be read (the error says why); a rerun tries again.
    Failed,
}

impl FeedFileState {
    fn as_str(self) -> &'static str {
        match self {
            FeedFileState::Partial => "partial",
            FeedFileState::Done => "done",
            FeedFileState::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Result<Self> {
        match s {
            "partial" => Ok(FeedFileState::Partial),
            "done" => Ok(FeedFileState::Done),
            "failed" => Ok(FeedFileState::Failed),
            other => Err(StorageError::corrupt(format!("feed file state {other:?}"))),
        }
    }
}

/// A feed file as the store knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeedFileRecord {
    pub id: i64,
    pub feed: String,
    /// SHA-256 of the content, in hex.
    pub sha256: String,
    pub name: Option<String>,
    pub size: u64,
    /// When the file was first taken in: the `time.observation` of all its events.
    pub first_seen: DateTime<Utc>,
    pub state: FeedFileState,
    /// How many of the parser's records (events and quarantined ones, in order) are committed.
    pub rows_committed: u64,
    pub error: Option<String>,
}

/// One batch: committed whole, or not at all.
#[derive(Debug, Clone)]
pub struct FeedBatch {
    /// `feed.name` of every event in the batch.
    pub feed: String,
    pub file_id: i64,
    /// The file's progress once this batch is committed (records consumed from its start).
    pub rows_committed: u64,
    /// Whether the file is read to its end with this batch.
    pub done: bool,
    pub events: Vec<NewEvent>,
    /// The events' JSON and raw records, packed ([`crate::EventPacker::take`]).
    pub blocks: Vec<crate::EventBlock>,
    pub quarantined: Vec<NewQuarantine>,
    /// When the batch is written (the quarantine's time, and the file's end).
    pub at: DateTime<Utc>,
    /// Quarantined records (of the batch's feed) whose events this batch stores: removed in
    /// the batch's transaction, which fails with `storage.conflict` if any is gone already
    /// (taken by a concurrent re-run), so that no record's events are stored twice. A batch
    /// that releases records is a quarantine re-run: it does not move the file's progress.
    pub release_quarantine: Vec<i64>,
}

/// A stored event, as lists show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredEvent {
    pub id: i64,
    pub feed: String,
    pub time_observation: DateTime<Utc>,
    pub time_source: Option<DateTime<Utc>>,
    pub organisation: Option<OrganisationId>,
    /// The event as flat JSON (key order as the database gives it back).
    pub payload: String,
}

/// What an event list asks for; every filter is optional and they combine with AND.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventQuery {
    pub feeds: Vec<String>,
    pub classification_types: Vec<String>,
    pub taxonomies: Vec<String>,
    /// Events whose `source.ip` is inside this network (an address is a /32 or /128).
    pub source: Option<IpNet>,
    pub source_asn: Option<u32>,
    pub organisation: Option<OrganisationId>,
    pub observed_after: Option<DateTime<Utc>>,
    pub observed_before: Option<DateTime<Utc>>,
    pub source_after: Option<DateTime<Utc>>,
    pub source_before: Option<DateTime<Utc>>,
    /// The page after this event id (pages are newest first).
    pub before_id: Option<i64>,
    pub limit: u32,
}

/// A stored quarantined record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuarantineRecord {
    pub id: i64,
    pub feed: String,
    pub file_id: Option<i64>,
    pub file: Option<String>,
    pub line: u64,
    pub code: String,
    pub reason: String,
    pub raw: String,
    /// The CSV header line of its file, when the parser had one (see [`NewQuarantine::context`]).
    pub context: Option<String>,
    pub at: DateTime<Utc>,
}

/// A quarantine row as both drivers read it (`id, feed, file_id, file, line, code, reason, raw,
/// context, at`).
macro_rules! quarantine_record {
    ($r:expr) => {
        QuarantineRecord {
            id: $r.try_get("id")?,
            feed: $r.try_get("feed")?,
            file_id: $r.try_get("file_id")?,
            file: $r.try_get("file")?,
            line: count($r.try_get("line")?),
            code: $r.try_get("code")?,
            reason: $r.try_get("reason")?,
            raw: $r.try_get("raw")?,
            context: $r.try_get("context")?,
            at: $r.try_get("at")?,
        }
    };
}

/// One run of a feed, as recorded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeedRunRecord {
    /// 0 until stored.
    pub id: i64,
    pub feed: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    /// Files read (or resumed) in this run.
    pub files: u64,
    /// Files skipped because their content was read before.
    pub files_skipped: u64,
    /// Records read from the parser (events and quarantined ones).
    pub read: u64,
    pub stored: u64,
    pub duplicates: u64,
    /// Events an expert dropped (other than duplicates).
    pub dropped: u64,
    pub quarantined: u64,
    pub seconds: f64,
    /// Why the run stopped early, if it did.
    pub error: Option<String>,
    /// The source had not changed since the last run read it (HTTP 304): nothing was read.
    pub not_modified: bool,
}

/// The validators of an HTTP feed's last download.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HttpValidators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// Rows per multi-row INSERT on SQLite (12 parameters each, well under SQLite's limit).
const SQLITE_ROWS_PER_INSERT: usize = 200;

fn hash_i64(h: u64) -> i64 {
    i64::from_ne_bytes(h.to_ne_bytes())
}

fn hash_u64(h: i64) -> u64 {
    u64::from_ne_bytes(h.to_ne_bytes())
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

fn db_count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The daily partition holding `day`, and its bounds.
fn partition_of(day: NaiveDate) -> (String, DateTime<Utc>, DateTime<Utc>) {
    let start = day.and_time(chrono::NaiveTime::MIN).and_utc();
    (format!("events_{}", day.format("%Y%m%d")), start, start + Duration::days(1))
}

/// Appends `s` escaped for COPY's text format.
fn copy_text(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

fn copy_opt<T: std::fmt::Display>(out: &mut String, v: Option<T>) {
    match v {
        Some(v) => {
            let _ = write!(out, "{v}");
        }
        None => out.push_str("\\N"),
    }
}

/// One event as a line of `COPY events (…) FROM STDIN` text (`feed` already escaped).
fn copy_line(out: &mut String, feed: &str, e: &NewEvent, file_id: i64, block_id: i64) {
    out.push_str(feed);
    out.push('\t');
    out.push_str(&stored_time(e.time_observation).to_rfc3339());
    out.push('\t');
    copy_opt(out, e.time_source.map(|t| stored_time(t).to_rfc3339()));
    out.push('\t');
    match e.classification_type {
        Some(t) => copy_text(out, t),
        None => out.push_str("\\N"),
    }
    out.push('\t');
    match e.taxonomy {
        Some(t) => copy_text(out, t),
        None => out.push_str("\\N"),
    }
    out.push('\t');
    match e.source_ip {
        Some(ip) => {
            out.push_str("\\\\x");
            out.push_str(&hex::encode(ip_key(ip)));
        }
        None => out.push_str("\\N"),
    }
    out.push('\t');
    copy_opt(out, e.source_asn);
    out.push('\t');
    copy_opt(out, e.organisation.map(|o| o.0));
    out.push('\t');
    let _ = writeln!(out, "{}\t{file_id}\t{block_id}\t{}", hash_i64(e.dedup_hash), e.slot);
}

/// The quarantined records and the file's progress, in the batch's transaction (either driver);
/// or, for a quarantine re-run, the records it releases.
macro_rules! finish_batch {
    ($tx:ident, $batch:expr, $state:expr, $at:expr) => {{
        for q in &$batch.quarantined {
            sqlx::query(
                "INSERT INTO quarantine (feed, file_id, file, line, code, reason, raw, at, context) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(q.feed.clone())
            .bind($batch.file_id)
            .bind(q.file.clone())
            .bind(db_count(q.line))
            .bind(q.code.clone())
            .bind(q.reason.clone())
            .bind(q.raw.clone())
            .bind($at)
            .bind(q.context.clone())
            .execute(&mut *$tx)
            .await?;
        }
        if $batch.release_quarantine.is_empty() {
            let finished = if $batch.done { Some($at) } else { None };
            sqlx::query(
                "UPDATE feed_files SET rows_committed = $1, state = $2, finished_at = $3, error = NULL WHERE id = $4",
            )
            .bind(db_count($batch.rows_committed))
            .bind($state.as_str())
            .bind(finished)
            .bind($batch.file_id)
            .execute(&mut *$tx)
            .await?;
        }
        for id in &$batch.release_quarantine {
            let gone = sqlx::query("DELETE FROM quarantine WHERE id = $1 AND file_id = $2")
                .bind(*id)
                .bind($batch.file_id)
                .execute(&mut *$tx)
                .await?
                .rows_affected();
            if gone != 1 {
                return Err(StorageError::Conflict(format!(
                    "the quarantined record {id} is no longer there: another re-run took it"
                )));
            }
        }
    }};
}

const EVENT_COLUMNS: &str = "feed, time_observation, time_source, classification_type, taxonomy, source_ip, \
                             source_asn, organisation_id, dedup_hash, file_id, block_id, slot";

impl Store {
    /// Registers a feed file by its content, or returns the record of the same content seen
    /// before for this feed (to skip it when done, or resume it when partial).
    pub async fn open_feed_file(
        &self,
        feed: &str,
        sha256: &str,
        name: Option<&str>,
        size: u64,
        now: DateTime<Utc>,
    ) -> Result<FeedFileRecord> {
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO feed_files (feed, sha256, name, size, first_seen, state, rows_committed) \
                 VALUES ($1, $2, $3, $4, $5, 'partial', 0) ON CONFLICT (feed, sha256) DO NOTHING",
            )
            .bind(feed)
            .bind(sha256)
            .bind(name)
            .bind(db_count(size))
            .bind(stored_time(now))
            .execute(pool)
            .await?;
        });
        self.feed_file(feed, sha256).await?.ok_or_else(|| StorageError::not_found("feed file", sha256))
    }

    /// The record of a feed file by its content.
    pub async fn feed_file(&self, feed: &str, sha256: &str) -> Result<Option<FeedFileRecord>> {
        let row = on_pool!(self, pool => {
            let row = sqlx::query(
                "SELECT id, feed, sha256, name, size, first_seen, state, rows_committed, error \
                 FROM feed_files WHERE feed = $1 AND sha256 = $2",
            )
            .bind(feed)
            .bind(sha256)
            .fetch_optional(pool)
            .await?;
            match row {
                Some(r) => Some(FeedFileRecord {
                    id: r.try_get("id")?,
                    feed: r.try_get("feed")?,
                    sha256: r.try_get("sha256")?,
                    name: r.try_get("name")?,
                    size: count(r.try_get("size")?),
                    first_seen: r.try_get("first_seen")?,
                    state: FeedFileState::parse(r.try_get::<String, _>("state")?.as_str())?,
                    rows_committed: count(r.try_get("rows_committed")?),
                    error: r.try_get("error")?,
                }),
                None => None,
            }
        });
        Ok(row)
    }

    /// Marks a feed file as not readable as a whole; a later run tries it again from where
    /// its committed records end.
    pub async fn fail_feed_file(&self, file_id: i64, error: &str, at: DateTime<Utc>) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query("UPDATE feed_files SET state = 'failed', error = $1, finished_at = $2 WHERE id = $3")
                .bind(error)
                .bind(stored_time(at))
                .bind(file_id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Creates the daily partitions (PostgreSQL) that events observed on these days go to.
    async fn ensure_partitions(&self, days: &[NaiveDate]) -> Result<()> {
        let Backend::Postgres(pool) = &self.backend else { return Ok(()) };
        for day in days {
            if self.known_partitions.lock().map(|k| k.contains(day)).unwrap_or(false) {
                continue;
            }
            let (name, from, to) = partition_of(*day);
            let mut tx = pool.begin().await?;
            // Two nodes creating the same day at once would race past IF NOT EXISTS.
            sqlx::query("SELECT pg_advisory_xact_lock(7461202)").execute(&mut *tx).await?;
            let sql = format!(
                "CREATE TABLE IF NOT EXISTS {name} PARTITION OF events FOR VALUES FROM ('{}') TO ('{}')",
                from.to_rfc3339(),
                to.to_rfc3339()
            );
            sqlx::query(&sql).execute(&mut *tx).await?;
            tx.commit().await?;
            if let Ok(mut k) = self.known_partitions.lock() {
                k.insert(*day);
            }
        }
        Ok(())
    }

    /// Writes one batch in one transaction: its blocks, its events, its quarantined records
    /// and the file's progress. The events' deduplication keys are their `dedup_hash` column.
    pub async fn commit_feed_batch(&self, batch: &FeedBatch) -> Result<()> {
        if let Some(e) =
            batch.events.iter().find(|e| batch.blocks.get(e.block as usize).is_none_or(|b| e.slot >= b.events))
        {
            return Err(StorageError::Conflict(format!(
                "event batch: block {} slot {} is not among the batch's blocks",
                e.block, e.slot
            )));
        }
        let mut days: Vec<NaiveDate> = batch.events.iter().map(|e| e.time_observation.date_naive()).collect();
        days.sort_unstable();
        days.dedup();
        self.ensure_partitions(&days).await?;
        let state = if batch.done { FeedFileState::Done } else { FeedFileState::Partial };
        let at = stored_time(batch.at);
        match &self.backend {
            Backend::Sqlite(pool) => {
                let mut tx = pool.begin().await?;
                // The file's progress first: it takes the database's write lock, so the block
                // ids read next stay ours until the commit.
                finish_batch!(tx, batch, state, at);
                let first: i64 =
                    sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM event_blocks").fetch_one(&mut *tx).await?;
                for (i, block) in batch.blocks.iter().enumerate() {
                    sqlx::query("INSERT INTO event_blocks (id, file_id, events, data) VALUES (?, ?, ?, ?)")
                        .bind(first + i as i64)
                        .bind(batch.file_id)
                        .bind(i64::from(block.events))
                        .bind(block.data.as_slice())
                        .execute(&mut *tx)
                        .await?;
                }
                let feed = batch.feed.as_str();
                for chunk in batch.events.chunks(SQLITE_ROWS_PER_INSERT) {
                    let mut sql = format!("INSERT INTO events ({EVENT_COLUMNS}) VALUES ");
                    // `?` and not `$N`: SQLite looks a numbered parameter's name up in a list,
                    // once per bind, which made binding a 2,400-parameter statement quadratic.
                    for i in 0..chunk.len() {
                        sql.push_str(if i == 0 {
                            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                        } else {
                            ", (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                        });
                    }
                    let mut q = sqlx::query(&sql);
                    for e in chunk {
                        q = q
                            .bind(feed)
                            .bind(stored_time(e.time_observation))
                            .bind(e.time_source.map(stored_time))
                            .bind(e.classification_type)
                            .bind(e.taxonomy)
                            .bind(e.source_ip.map(|ip| ip_key(ip).to_vec()))
                            .bind(e.source_asn.map(i64::from))
                            .bind(e.organisation.map(|o| o.0))
                            .bind(hash_i64(e.dedup_hash))
                            .bind(batch.file_id)
                            .bind(first + i64::from(e.block))
                            .bind(i64::from(e.slot));
                    }
                    q.execute(&mut *tx).await?;
                }
                tx.commit().await?;
            }
            Backend::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                let ids: Vec<i64> = if batch.blocks.is_empty() {
                    Vec::new()
                } else {
                    sqlx::query_scalar(
                        "SELECT nextval(pg_get_serial_sequence('event_blocks', 'id')) FROM generate_series(1, $1)",
                    )
                    .bind(batch.blocks.len() as i64)
                    .fetch_all(&mut *tx)
                    .await?
                };
                if !batch.blocks.is_empty() {
                    let files = vec![batch.file_id; ids.len()];
                    let counts: Vec<i32> = batch.blocks.iter().map(|b| b.events as i32).collect();
                    let data: Vec<&[u8]> = batch.blocks.iter().map(|b| b.data.as_slice()).collect();
                    sqlx::query(
                        "INSERT INTO event_blocks (id, file_id, events, data) \
                         SELECT * FROM UNNEST($1::bigint[], $2::bigint[], $3::int[], $4::bytea[])",
                    )
                    .bind(&ids)
                    .bind(files)
                    .bind(counts)
                    .bind(data)
                    .execute(&mut *tx)
                    .await?;
                }
                if !batch.events.is_empty() {
                    let mut copy = tx.copy_in_raw(&format!("COPY events ({EVENT_COLUMNS}) FROM STDIN")).await?;
                    let mut feed = String::new();
                    copy_text(&mut feed, &batch.feed);
                    let mut buf = String::with_capacity(1 << 20);
                    for e in &batch.events {
                        copy_line(&mut buf, &feed, e, batch.file_id, ids[e.block as usize]);
                        if buf.len() >= 1 << 20 {
                            copy.send(std::mem::take(&mut buf).into_bytes()).await?;
                            buf.reserve(1 << 20);
                        }
                    }
                    if !buf.is_empty() {
                        copy.send(buf.into_bytes()).await?;
                    }
                    copy.finish().await?;
                }
                finish_batch!(tx, batch, state, at);
                tx.commit().await?;
            }
        }
        Ok(())
    }

    /// A feed's deduplication window: the key of every event of `feed` observed at or after
    /// `since`, with when (oldest first, so that a key stored twice ends with its latest time).
    /// Keys of other feeds are left out: a key hashes `feed.name`, so they could never match.
    pub async fn dedup_window(&self, feed: &str, since: DateTime<Utc>) -> Result<Vec<(u64, DateTime<Utc>)>> {
        use futures_util::TryStreamExt;
        let sql = "SELECT dedup_hash, time_observation FROM events WHERE feed = $1 AND time_observation >= $2 \
                   ORDER BY time_observation";
        // Streamed, not held as rows: a window can hold millions of keys.
        let mut out = Vec::new();
        match &self.backend {
            Backend::Sqlite(pool) => {
                // The events of a file share their observation time: parse each text once.
                let mut last: Option<(String, DateTime<Utc>)> = None;
                let mut rows = sqlx::query(sql).bind(feed).bind(stored_time(since)).fetch(pool);
                while let Some(r) = rows.try_next().await? {
                    let hash: i64 = r.try_get(0)?;
                    let text: &str = r.try_get(1)?;
                    let at = match &last {
                        Some((seen, at)) if seen == text => *at,
                        _ => {
                            let at = DateTime::parse_from_rfc3339(text)
                                .map_err(|e| StorageError::corrupt(format!("event time {text:?}: {e}")))?
                                .with_timezone(&Utc);
                            last = Some((text.to_owned(), at));
                            at
                        }
                    };
                    out.push((hash_u64(hash), at));
                }
            }
            Backend::Postgres(pool) => {
                let mut rows = sqlx::query(sql).bind(feed).bind(stored_time(since)).fetch(pool);
                while let Some(r) = rows.try_next().await? {
                    out.push((hash_u64(r.try_get(0)?), r.try_get(1)?));
                }
            }
        }
        Ok(out)
    }

    pub(crate) fn event_select(&self) -> &'static str {
        if self.is_sqlite() {
            "SELECT id, feed, time_observation, time_source, organisation_id, payload, block_id, slot FROM events e"
        } else {
            "SELECT id, feed, time_observation, time_source, organisation_id, payload::text AS payload, block_id, slot \
             FROM events e"
        }
    }

    /// A page of events, newest first, filtered as `query` says.
    pub async fn events_page(&self, query: &EventQuery) -> Result<Vec<StoredEvent>> {
        let mut sql = Sql::default();
        let lists = [
            ("e.feed", &query.feeds),
            ("e.classification_type", &query.classification_types),
            ("e.taxonomy", &query.taxonomies),
        ];
        for (column, values) in lists {
            if !values.is_empty() {
                let list = sql.bind_list(values.iter().map(|v| Bind::Text(v.clone())));
                sql.and(format!("{column} IN ({list})"));
            }
        }
        if let Some(net) = query.source {
            let start = sql.bind(Bind::Bytes(ip_key(net.network()).to_vec()));
            let end = sql.bind(Bind::Bytes(ip_key(net.broadcast()).to_vec()));
            sql.and(format!("e.source_ip >= {start} AND e.source_ip <= {end}"));
        }
        if let Some(asn) = query.source_asn {
            let p = sql.bind(Bind::Int(i64::from(asn)));
            sql.and(format!("e.source_asn = {p}"));
        }
        if let Some(org) = query.organisation {
            let p = sql.bind(Bind::Int(org.0));
            sql.and(format!("e.organisation_id = {p}"));
        }
        let bounds = [
            ("e.time_observation >=", query.observed_after),
            ("e.time_observation <", query.observed_before),
            ("e.time_source >=", query.source_after),
            ("e.time_source <", query.source_before),
        ];
        for (condition, bound) in bounds {
            if let Some(t) = bound {
                let p = sql.bind(Bind::Time(stored_time(t)));
                sql.and(format!("{condition} {p}"));
            }
        }
        if let Some(id) = query.before_id {
            let p = sql.bind(Bind::Int(id));
            sql.and(format!("e.id < {p}"));
        }
        let text = format!(
            "{}{} ORDER BY e.id DESC LIMIT {}",
            self.event_select(),
            sql.where_clause(),
            query.limit.clamp(1, 10_000)
        );
        self.fetch_events(&text, &sql.binds).await
    }

    /// Events after `after_id` in id order (the order they were stored), for exports.
    pub async fn events_after(&self, after_id: i64, feed: Option<&str>, limit: u32) -> Result<Vec<StoredEvent>> {
        let mut sql = Sql::default();
        let p = sql.bind(Bind::Int(after_id));
        sql.and(format!("e.id > {p}"));
        if let Some(feed) = feed {
            let p = sql.bind(Bind::Text(feed.to_owned()));
            sql.and(format!("e.feed = {p}"));
        }
        let text =
            format!("{}{} ORDER BY e.id LIMIT {}", self.event_select(), sql.where_clause(), limit.clamp(1, 100_000));
        self.fetch_events(&text, &sql.binds).await
    }

    pub(crate) async fn fetch_events(&self, text: &str, binds: &[Bind]) -> Result<Vec<StoredEvent>> {
        let mut packed = Vec::new();
        let mut events = on_pool!(self, pool => {
            let rows = bind_all!(sqlx::query(text), binds).fetch_all(pool).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                let payload: Option<String> = r.try_get("payload")?;
                if payload.is_none() {
                    let block: Option<i64> = r.try_get("block_id")?;
                    let slot: Option<i32> = r.try_get("slot")?;
                    match (block, slot) {
                        (Some(b), Some(s)) => packed.push((out.len(), b, i64::from(s))),
                        _ => return Err(StorageError::corrupt("an event with neither payload nor block")),
                    }
                }
                out.push(StoredEvent {
                    id: r.try_get("id")?,
                    feed: r.try_get("feed")?,
                    time_observation: r.try_get("time_observation")?,
                    time_source: r.try_get("time_source")?,
                    organisation: r.try_get::<Option<i64>, _>("organisation_id")?.map(OrganisationId),
                    payload: payload.unwrap_or_default(),
                });
            }
            out
        });
        if !packed.is_empty() {
            let mut ids: Vec<i64> = packed.iter().map(|p| p.1).collect();
            ids.sort_unstable();
            ids.dedup();
            let blocks = self.event_blocks(&ids).await?;
            for (at, block, slot) in packed {
                let open = blocks
                    .get(&block)
                    .ok_or_else(|| StorageError::corrupt(format!("event block {block} is missing")))?;
                events[at].payload = usize::try_from(slot)
                    .ok()
                    .and_then(|s| open.event_json(s))
                    .ok_or_else(|| StorageError::corrupt(format!("event block {block} has no slot {slot}")))?;
            }
        }
        Ok(events)
    }

    /// Event blocks by id, decompressed.
    async fn event_blocks(&self, ids: &[i64]) -> Result<std::collections::HashMap<i64, crate::OpenBlock>> {
        let mut out = std::collections::HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let mut sql = Sql::default();
            let list = sql.bind_list(chunk.iter().map(|id| Bind::Int(*id)));
            let text = format!("SELECT id, data FROM event_blocks WHERE id IN ({list})");
            let rows: Vec<(i64, Vec<u8>)> = on_pool!(self, pool => {
                let rows = bind_all!(sqlx::query(&text), &sql.binds).fetch_all(pool).await?;
                let mut v = Vec::with_capacity(rows.len());
                for r in rows {
                    v.push((r.try_get("id")?, r.try_get("data")?));
                }
                v
            });
            for (id, data) in rows {
                out.insert(id, crate::OpenBlock::open(&data)?);
            }
        }
        Ok(out)
    }

    /// Quarantined records, newest first, of one feed or all.
    pub async fn quarantine_page(
        &self,
        feed: Option<&str>,
        before_id: Option<i64>,
        limit: u32,
    ) -> Result<Vec<QuarantineRecord>> {
        let mut sql = Sql::default();
        if let Some(feed) = feed {
            let p = sql.bind(Bind::Text(feed.to_owned()));
            sql.and(format!("feed = {p}"));
        }
        if let Some(id) = before_id {
            let p = sql.bind(Bind::Int(id));
            sql.and(format!("id < {p}"));
        }
        let text = format!(
            "SELECT id, feed, file_id, file, line, code, reason, raw, context, at FROM quarantine{} \
             ORDER BY id DESC LIMIT {}",
            sql.where_clause(),
            limit.clamp(1, 1_000)
        );
        let records = on_pool!(self, pool => {
            let rows = bind_all!(sqlx::query(&text), &sql.binds).fetch_all(pool).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(quarantine_record!(r));
            }
            out
        });
        Ok(records)
    }

    /// A feed's quarantined records in the order they were set aside, from after `after_id`:
    /// what a quarantine re-run parses again, a chunk at a time.
    pub async fn quarantine_of_feed(&self, feed: &str, after_id: i64, limit: u32) -> Result<Vec<QuarantineRecord>> {
        let records = on_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT id, feed, file_id, file, line, code, reason, raw, context, at FROM quarantine \
                 WHERE feed = $1 AND id > $2 ORDER BY id LIMIT $3",
            )
            .bind(feed)
            .bind(after_id)
            .bind(i64::from(limit.clamp(1, 10_000)))
            .fetch_all(pool)
            .await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(quarantine_record!(r));
            }
            out
        });
        Ok(records)
    }

    /// Gives a quarantined record the reason its latest re-run found (it stays quarantined).
    /// Nothing happens if it is gone.
    pub async fn requarantine(&self, id: i64, code: &str, reason: &str) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query("UPDATE quarantine SET code = $1, reason = $2 WHERE id = $3")
                .bind(code)
                .bind(reason)
                .bind(id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// The latest runs, of one feed or all, newest first.
    pub async fn feed_runs(&self, feed: Option<&str>, limit: u32) -> Result<Vec<FeedRunRecord>> {
        let mut sql = Sql::default();
        if let Some(feed) = feed {
            let p = sql.bind(Bind::Text(feed.to_owned()));
            sql.and(format!("feed = {p}"));
        }
        let text = format!(
            "SELECT id, feed, started_at, finished_at, files, files_skipped, read, stored, duplicates, dropped, \
             quarantined, seconds, error, not_modified FROM feed_runs{} ORDER BY id DESC LIMIT {}",
            sql.where_clause(),
            limit.clamp(1, 1_000)
        );
        let runs = on_pool!(self, pool => {
            let rows = bind_all!(sqlx::query(&text), &sql.binds).fetch_all(pool).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(FeedRunRecord {
                    id: r.try_get("id")?,
                    feed: r.try_get("feed")?,
                    started_at: r.try_get("started_at")?,
                    finished_at: r.try_get("finished_at")?,
                    files: count(r.try_get("files")?),
                    files_skipped: count(r.try_get("files_skipped")?),
                    read: count(r.try_get("read")?),
                    stored: count(r.try_get("stored")?),
                    duplicates: count(r.try_get("duplicates")?),
                    dropped: count(r.try_get("dropped")?),
                    quarantined: count(r.try_get("quarantined")?),
                    seconds: r.try_get("seconds")?,
                    error: r.try_get("error")?,
                    not_modified: r.try_get("not_modified")?,
                });
            }
            out
        });
        Ok(runs)
    }

    /// The validators of an HTTP feed's last download from `url` (none when the URL changed).
    pub async fn http_validators(&self, feed: &str, url: &str) -> Result<HttpValidators> {
        let row: Option<(Option<String>, Option<String>)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT etag, last_modified FROM feed_http_state WHERE feed = $1 AND url = $2")
                .bind(feed)
                .bind(url)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(|(etag, last_modified)| HttpValidators { etag, last_modified }).unwrap_or_default())
    }

    /// Keeps the validators of an HTTP feed's last download.
    pub async fn set_http_validators(&self, feed: &str, url: &str, v: &HttpValidators) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO feed_http_state (feed, url, etag, last_modified) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (feed) DO UPDATE SET url = excluded.url, etag = excluded.etag, \
                 last_modified = excluded.last_modified",
            )
            .bind(feed)
            .bind(url)
            .bind(v.etag.as_deref())
            .bind(v.last_modified.as_deref())
            .execute(pool)
            .await?;
        });
        Ok(())
    }
}

impl WriteTx {
    /// Records a feed run and audits it as one `feed.run` row (events themselves are not
    /// audited one by one). Returns the run's id.
    pub async fn record_feed_run(&mut self, run: &FeedRunRecord) -> Result<i64> {
        let id: i64 = on_tx!(self, c => {
            sqlx::query_scalar(
                "INSERT INTO feed_runs (feed, started_at, finished_at, files, files_skipped, read, stored, duplicates, \
                 dropped, quarantined, seconds, error, not_modified) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
                 RETURNING id",
            )
            .bind(&run.feed)
            .bind(stored_time(run.started_at))
            .bind(stored_time(run.finished_at))
            .bind(db_count(run.files))
            .bind(db_count(run.files_skipped))
            .bind(db_count(run.read))
            .bind(db_count(run.stored))
            .bind(db_count(run.duplicates))
            .bind(db_count(run.dropped))
            .bind(db_count(run.quarantined))
            .bind(run.seconds)
            .bind(run.error.as_deref())
            .bind(run.not_modified)
            .fetch_one(&mut *c)
            .await?
        });
        let stored = FeedRunRecord { id, ..run.clone() };
        let after = serde_json::to_value(&stored)?;
        self.audit("feed.run", "feed", &run.feed, None, Some(after)).await?;
        Ok(id)
    }
}

/// The feed runner's futures are spawned by `serve`, so they must stay `Send` (a `raw_sql`
/// call in here once made rustc unable to prove it).
#[allow(dead_code)]
fn batches_are_send(store: &Store, batch: &FeedBatch) {
    fn is_send<T: Send>(_: T) {}
    is_send(store.commit_feed_batch(batch));
}
