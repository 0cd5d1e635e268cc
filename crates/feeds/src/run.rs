//! A run of a feed: each file is hashed, looked up in the store (read before: skipped; stopped
//! part-way: resumed), then parsed on a thread of its own while the async side writes batches.
//!
//! **No loss, no duplicates.** The parser's records (events and quarantined records, in the
//! order it emits them) are numbered. A batch holds the stored events and quarantined records
//! of a run of consecutive records and commits, in one transaction, with the file's progress
//! (`rows_committed`) and the deduplication keys of its events. A rerun of the same content
//! parses again with the same observation time (the file's `first_seen`) and skips exactly the
//! committed records, with the deduplication window reloaded from the store: the result is the
//! same as one uninterrupted run, whenever the process was killed.

use crate::collect::Input;
use crate::expert::{Expert, FeedResources, Verdict, organisation_of};
use crate::spec::FeedSpec;
use crate::{FeedError, Result};
use chrono::{DateTime, Utc};
use cirtkit_domain::{Clock, ConstituencyIndex, ManualClock, OrganisationId};
use cirtkit_pipeline::experts::DedupExpert;
use cirtkit_pipeline::{DedupKey, Event, FeedMeta, ParseContext, Parser, PipelineError, Quarantined, Sink, ingest};
use cirtkit_storage::{EventPacker, FeedBatch, FeedFileState, FeedRunRecord, NewEvent, NewQuarantine, Store};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;
use tokio::sync::mpsc;

/// How a run writes.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Records (events and quarantined ones) consumed per batch, each batch one transaction.
    pub batch_records: usize,
    /// Who the run's audit record names, such as `cli:amina` or `system:feeds`.
    pub actor: String,
    /// The prefix-to-AS table of the `asn` expert (`cirtkit asn import`), when there is one.
    pub asn_table: Option<Arc<cirtkit_pipeline::experts::AsnTable>>,
    /// Shadowserver's full schema (`cirtkit feed schema update`), instead of the compiled table.
    pub shadowserver_schema: Option<Arc<cirtkit_pipeline::ShadowserverSchema>>,
    /// The `/metrics` counters, advanced after each committed batch ([`crate::metrics::LiveRun`]).
    pub live: Option<crate::metrics::LiveRun>,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            batch_records: 50_000,
            actor: "system:feeds".into(),
            asn_table: None,
            shadowserver_schema: None,
            live: None,
        }
    }
}

/// The feed's parser: Shadowserver's from the loaded schema when there is one.
pub(crate) fn parser_of(spec: &FeedSpec, options: &RunOptions) -> Result<Arc<dyn Parser>> {
    if spec.format == "shadowserver"
        && let Some(schema) = &options.shadowserver_schema
    {
        let value = match spec.options_value() {
            serde_json::Value::Null => serde_json::json!({}),
            v => v,
        };
        let o: cirtkit_pipeline::parsers::shadowserver::ShadowserverOptions = serde_json::from_value(value)
            .map_err(|e| cirtkit_pipeline::PipelineError::Config { format: "shadowserver", reason: e.to_string() })?;
        let parser = cirtkit_pipeline::parsers::shadowserver::ShadowserverParser::with_schema(schema.clone(), o)?;
        return Ok(Arc::new(parser));
    }
    Ok(Arc::from(cirtkit_pipeline::parser_for(&spec.format, &spec.options_value())?))
}

/// Live progress of a run, for a progress bar: bytes read of all the files, records consumed.
#[derive(Debug, Default)]
pub struct Progress {
    pub bytes: AtomicU64,
    pub total_bytes: AtomicU64,
    pub records: AtomicU64,
    pub stored: AtomicU64,
}

/// What became of one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "lowercase")]
pub enum FileOutcome {
    /// Read from its start to its end.
    Read,
    /// Read from after the records a previous, interrupted run had committed.
    Resumed { from: u64 },
    /// Its content was read before for this feed.
    Skipped,
    /// It could not be read to its end; the records before the error are kept.
    Failed { error: String },
}

/// What a stage of the pipeline saw.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StageCounts {
    pub stage: String,
    pub received: u64,
    pub emitted: u64,
    pub dropped: u64,
    pub failed: u64,
    /// Time spent in the stage (the parser's includes the experts'; the output's is the
    /// database's time writing batches).
    pub seconds: f64,
}

/// One file of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileReport {
    pub name: String,
    pub sha256: String,
    #[serde(flatten)]
    pub outcome: FileOutcome,
    pub read: u64,
    pub stored: u64,
    pub duplicates: u64,
    pub dropped: u64,
    pub quarantined: u64,
}

/// What a run did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunReport {
    pub feed: String,
    pub run_id: i64,
    pub files: Vec<FileReport>,
    pub read: u64,
    pub stored: u64,
    pub duplicates: u64,
    pub dropped: u64,
    pub quarantined: u64,
    /// Events dropped by experts, by reason.
    pub dropped_by: BTreeMap<String, u64>,
    pub stages: Vec<StageCounts>,
    pub seconds: f64,
    /// Why the run stopped early.
    pub error: Option<String>,
}

impl RunReport {
    /// A report of a run of `feed` that has read nothing yet.
    pub fn empty(feed: &str) -> RunReport {
        RunReport {
            feed: feed.to_owned(),
            run_id: 0,
            files: Vec::new(),
            read: 0,
            stored: 0,
            duplicates: 0,
            dropped: 0,
            quarantined: 0,
            dropped_by: BTreeMap::new(),
            stages: Vec::new(),
            seconds: 0.0,
            error: None,
        }
    }
}

/// What the feed's experts share for a run: the run's clock (fixed at `now`), the AS table,
/// the constituency and, when the feed runs `constituency`, the organisations' names.
pub async fn feed_resources(
    store: &Store,
    spec: &FeedSpec,
    index: Arc<ConstituencyIndex>,
    now: DateTime<Utc>,
    asn_table: Option<Arc<cirtkit_pipeline::experts::AsnTable>>,
) -> Result<FeedResources> {
    let mut resources = FeedResources::new(Arc::new(ManualClock::new(now)), index);
    resources.asn_table = asn_table;
    if spec.has_expert("constituency") {
        let names = store.organisations().await?.into_iter().map(|o| (o.id, Arc::from(o.details.name.as_str())));
        resources.organisation_names = Arc::new(names.collect());
    }
    Ok(resources)
}

/// The experts of a feed, built from its `experts` and `expert_options` (deduplication apart:
/// see [`load_dedup`]). A file an expert names that cannot be read stops the run.
pub fn build_experts(spec: &FeedSpec, resources: &FeedResources) -> Result<Vec<Box<dyn Expert>>> {
    crate::expert::build_chain(spec, resources)
}

/// The feed's deduplication with its window loaded from the store, if it deduplicates.
pub async fn load_dedup(store: &Store, spec: &FeedSpec, now: DateTime<Utc>) -> Result<Option<DedupExpert>> {
    let resources = FeedResources::new(Arc::new(ManualClock::new(now)), Arc::default());
    let Some(mut dedup) = crate::expert::build_dedup(spec, &resources)? else { return Ok(None) };
    let window = dedup.window().window();
    let seen = store.dedup_window(&spec.name, now - window).await?;
    dedup.window_mut().restore(seen, now);
    Ok(Some(dedup))
}

/// SHA-256 (hex) and size of a file.
fn hash_file(path: &std::path::Path) -> std::io::Result<(String, u64)> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        size += n as u64;
        hasher.update(&buf[..n]);
    }
    Ok((hex::encode(hasher.finalize()), size))
}

/// Runs a feed over the files its collector gave: every file is read (or resumed, or skipped
/// when read before), the run is recorded and audited as one `feed.run`, and the inputs that
/// were spooled are removed.
#[allow(clippy::too_many_arguments)]
pub async fn run_feed(
    store: &Store,
    spec: &FeedSpec,
    index: Arc<ConstituencyIndex>,
    clock: &dyn Clock,
    inputs: Vec<Input>,
    options: &RunOptions,
    progress: Option<Arc<Progress>>,
) -> Result<RunReport> {
    let started_at = clock.now();
    let started = Instant::now();
    let parser = parser_of(spec, options)?;
    let progress = progress.unwrap_or_default();
    let total: u64 = inputs.iter().filter_map(|i| std::fs::metadata(&i.path).ok()).map(|m| m.len()).sum();
    progress.total_bytes.store(total, Ordering::Relaxed);
    let resources = feed_resources(store, spec, index, started_at, options.asn_table.clone()).await?;
    let mut state = Some(State {
        experts: build_experts(spec, &resources)?,
        dedup: load_dedup(store, spec, started_at).await?,
        stages: Vec::new(),
    });
    let mut report = RunReport::empty(&spec.name);
    let mut files_skipped = 0;
    for input in &inputs {
        let Some(current) = state.take() else { break };
        match ingest_file(store, spec, &parser, clock, input, options, &progress, current).await {
            Ok((file, back)) => {
                state = Some(back.state);
                report.read += file.read;
                report.stored += file.stored;
                report.duplicates += file.duplicates;
                report.dropped += file.dropped;
                report.quarantined += file.quarantined;
                for (k, v) in back.dropped_by {
                    *report.dropped_by.entry(k.to_owned()).or_default() += v;
                }
                if file.outcome == FileOutcome::Skipped {
                    files_skipped += 1;
                }
                if let FileOutcome::Failed { error } = &file.outcome {
                    report.error.get_or_insert_with(|| format!("{}: {error}", file.name));
                }
                report.files.push(file);
            }
            Err(e) => {
                report.error = Some(format!("{}: {e}", input.name));
                break;
            }
        }
    }
    for input in inputs.iter().filter(|i| i.spooled) {
        let _ = std::fs::remove_file(&input.path);
    }
    report.stages = state.map(|s| s.stages).unwrap_or_default();
    report.seconds = started.elapsed().as_secs_f64();
    let record = FeedRunRecord {
        id: 0,
        feed: spec.name.clone(),
        started_at,
        finished_at: clock.now(),
        files: report.files.len() as u64 - files_skipped,
        files_skipped,
        read: report.read,
        stored: report.stored,
        duplicates: report.duplicates,
        dropped: report.dropped,
        quarantined: report.quarantined,
        seconds: report.seconds,
        error: report.error.clone(),
        not_modified: false,
    };
    let mut tx = store.begin(&options.actor, clock.now()).await?;
    report.run_id = tx.record_feed_run(&record).await?;
    tx.commit().await?;
    if report.stored >= 10_000 {
        // Bulk loads leave the planner's statistics behind (and autovacuum may be off).
        store.analyze().await?;
    }
    Ok(report)
}

/// What a file's parsing thread carries and gives back: the experts and the window.
struct State {
    experts: Vec<Box<dyn Expert>>,
    dedup: Option<DedupExpert>,
    stages: Vec<StageCounts>,
}

struct Back {
    state: State,
    dropped_by: BTreeMap<&'static str, u64>,
}

#[allow(clippy::too_many_arguments)]
async fn ingest_file(
    store: &Store,
    spec: &FeedSpec,
    parser: &Arc<dyn Parser>,
    clock: &dyn Clock,
    input: &Input,
    options: &RunOptions,
    progress: &Arc<Progress>,
    state: State,
) -> Result<(FileReport, Back)> {
    let path = input.path.clone();
    let (sha256, size) = tokio::task::spawn_blocking(move || hash_file(&path))
        .await
        .map_err(|e| FeedError::Internal(e.to_string()))?
        .map_err(FeedError::io(format!("cannot read {}", input.path.display())))?;
    let record = store.open_feed_file(&spec.name, &sha256, Some(&input.name), size, clock.now()).await?;
    let mut report = FileReport {
        name: input.name.clone(),
        sha256: sha256.clone(),
        outcome: FileOutcome::Read,
        read: 0,
        stored: 0,
        duplicates: 0,
        dropped: 0,
        quarantined: 0,
    };
    if record.state == FeedFileState::Done {
        tracing::info!(feed = %spec.name, file = %input.name, "read before: skipped");
        progress.bytes.fetch_add(size, Ordering::Relaxed);
        report.outcome = FileOutcome::Skipped;
        return Ok((report, Back { state, dropped_by: BTreeMap::new() }));
    }
    let skip = record.rows_committed;
    if skip > 0 {
        tracing::info!(feed = %spec.name, file = %input.name, from = skip, "resuming after the committed records");
        report.outcome = FileOutcome::Resumed { from: skip };
    }
    let ctx = ParseContext::with_feed(
        FeedMeta { name: Some(spec.name.as_str().into()), ..FeedMeta::default() },
        record.first_seen,
    )
    .with_file_name(input.name.clone());
    let (tx, mut rx) = mpsc::channel::<(FeedBatch, Vec<StageCounts>)>(1);
    let abort = Arc::new(AtomicBool::new(false));
    let file =
        std::fs::File::open(&input.path).map_err(FeedError::io(format!("cannot read {}", input.path.display())))?;
    let thread = {
        let parser = parser.clone();
        let abort = abort.clone();
        let progress = progress.clone();
        let feed = spec.name.clone();
        let batch_records = options.batch_records.max(1) as u64;
        let file_id = record.id;
        let observed = record.first_seen;
        tokio::task::spawn_blocking(move || {
            let mut sink = BatchSink::new(feed, file_id, observed, skip, batch_records, state, tx, abort.clone());
            let mut reader = Watched { inner: file, abort, progress: progress.clone() };
            let started = Instant::now();
            let result = ingest(parser.as_ref(), &mut reader, &ctx, &mut sink);
            sink.finish(result.is_ok());
            sink.stages[0].seconds = started.elapsed().saturating_sub(sink.blocked).as_secs_f64();
            (sink, result)
        })
    };
    let mut failure = None;
    let mut writing = std::time::Duration::ZERO;
    while let Some((batch, delta)) = rx.recv().await {
        let (events, quarantined) = (batch.events.len() as u64, batch.quarantined.len() as u64);
        let started = Instant::now();
        let committed = store.commit_feed_batch(&batch).await;
        writing += started.elapsed();
        if let Err(e) = committed {
            abort.store(true, Ordering::Relaxed);
            failure = Some(e);
            break;
        }
        report.stored += events;
        report.quarantined += quarantined;
        progress.stored.fetch_add(events, Ordering::Relaxed);
        if let Some(live) = &options.live {
            live.committed(&delta);
        }
    }
    drop(rx);
    let (sink, result) = thread.await.map_err(|e| FeedError::Internal(format!("the parser stopped: {e}")))?;
    if let Some(e) = failure {
        return Err(e.into());
    }
    report.read = sink.read;
    report.duplicates = sink.duplicates;
    report.dropped = sink.dropped;
    let mut stages = sink.stages;
    if let Some(output) = stages.last_mut() {
        output.seconds = writing.as_secs_f64();
    }
    let mut state = sink.state;
    merge_stages(&mut state.stages, &stages);
    if let Err(e) = result {
        tracing::warn!(feed = %spec.name, file = %input.name, error = %e, "the file could not be read to its end");
        store.fail_feed_file(record.id, &e.to_string(), clock.now()).await?;
        report.outcome = FileOutcome::Failed { error: e.to_string() };
    }
    Ok((report, Back { state, dropped_by: sink.dropped_by }))
}

fn merge_stages(total: &mut Vec<StageCounts>, file: &[StageCounts]) {
    for s in file {
        match total.iter_mut().find(|t| t.stage == s.stage) {
            Some(t) => {
                t.received += s.received;
                t.emitted += s.emitted;
                t.dropped += s.dropped;
                t.failed += s.failed;
                t.seconds += s.seconds;
            }
            None => total.push(s.clone()),
        }
    }
}

/// The file being parsed: counts bytes for the progress bar, and stops the parser (with a read
/// error) once the writer has given up.
struct Watched<R> {
    inner: R,
    abort: Arc<AtomicBool>,
    progress: Arc<Progress>,
}

impl<R: Read> Read for Watched<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.abort.load(Ordering::Relaxed) {
            return Err(std::io::Error::other("the run was stopped"));
        }
        let n = self.inner.read(buf)?;
        self.progress.bytes.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Where the parser's records go: through the experts and deduplication into batches.
struct BatchSink {
    feed: String,
    file_id: i64,
    observed: DateTime<Utc>,
    /// Records committed by an earlier run: skipped.
    skip: u64,
    batch_records: u64,
    /// Records seen so far, from the file's start.
    seq: u64,
    /// `seq` when the batch in hand began.
    batch_start: u64,
    events: Vec<NewEvent>,
    /// The batch's events' JSON and raw records, compressed into blocks as they come.
    packer: EventPacker,
    /// One event's JSON, reused.
    json: String,
    quarantine: Vec<NewQuarantine>,
    state: State,
    stages: Vec<StageCounts>,
    /// Dropped once the file is read, which ends the writer's loop.
    tx: Option<mpsc::Sender<(FeedBatch, Vec<StageCounts>)>>,
    /// `stages` as of the previous batch, so that each batch carries its own counts.
    published: Vec<StageCounts>,
    abort: Arc<AtomicBool>,
    read: u64,
    duplicates: u64,
    dropped: u64,
    dropped_by: BTreeMap<&'static str, u64>,
    default_key: DedupKey,
    /// Time spent waiting for the writer (back-pressure), not parsing.
    blocked: std::time::Duration,
}

impl BatchSink {
    #[allow(clippy::too_many_arguments)]
    fn new(
        feed: String,
        file_id: i64,
        observed: DateTime<Utc>,
        skip: u64,
        batch_records: u64,
        state: State,
        tx: mpsc::Sender<(FeedBatch, Vec<StageCounts>)>,
        abort: Arc<AtomicBool>,
    ) -> Self {
        let mut stages = vec![StageCounts { stage: "parser".into(), ..Default::default() }];
        stages.extend(state.experts.iter().map(|e| StageCounts { stage: e.name().into(), ..Default::default() }));
        if state.dedup.is_some() {
            stages.push(StageCounts { stage: "dedup".into(), ..Default::default() });
        }
        stages.push(StageCounts { stage: "output".into(), ..Default::default() });
        BatchSink {
            feed,
            file_id,
            observed,
            skip,
            batch_records,
            seq: skip,
            batch_start: skip,
            events: Vec::new(),
            packer: EventPacker::new(),
            json: String::with_capacity(2048),
            quarantine: Vec::new(),
            state,
            stages,
            tx: Some(tx),
            published: Vec::new(),
            abort,
            read: 0,
            duplicates: 0,
            dropped: 0,
            dropped_by: BTreeMap::new(),
            default_key: DedupKey::default(),
            blocked: std::time::Duration::ZERO,
        }
    }

    /// Counts a record; `false` when it was committed by an earlier run (skip it).
    fn next_record(&mut self) -> bool {
        // `seq` starts at `skip`: count the records of the file from its start.
        self.read += 1;
        if self.read <= self.skip {
            return false;
        }
        self.seq += 1;
        true
    }

    fn stage(&mut self, i: usize) -> &mut StageCounts {
        let n = self.stages.len();
        &mut self.stages[i.min(n - 1)]
    }

    fn flush(&mut self, done: bool) {
        let batch = FeedBatch {
            feed: self.feed.clone(),
            file_id: self.file_id,
            rows_committed: self.seq,
            done,
            events: std::mem::take(&mut self.events),
            blocks: self.packer.take(),
            quarantined: std::mem::take(&mut self.quarantine),
            at: self.observed,
            release_quarantine: Vec::new(),
        };
        let out = batch.events.len() as u64;
        let o = self.stages.len() - 1;
        self.stages[o].received += out;
        self.stages[o].emitted += out;
        self.batch_start = self.seq;
        let delta = crate::metrics::unpublished(&self.stages, &mut self.published);
        let started = Instant::now();
        if self.tx.as_ref().is_none_or(|tx| tx.blocking_send((batch, delta)).is_err()) {
            self.abort.store(true, Ordering::Relaxed);
        }
        self.blocked += started.elapsed();
    }

    fn maybe_flush(&mut self) {
        if self.seq - self.batch_start >= self.batch_records {
            self.flush(false);
        }
    }

    fn finish(&mut self, done: bool) {
        if self.seq > self.batch_start || done {
            self.flush(done);
        }
        self.tx = None;
        // `read` counted the skipped records too: report only those read now.
        self.read = self.read.saturating_sub(self.skip);
    }
}

impl Sink for BatchSink {
    fn event(&mut self, mut event: Event) {
        if !self.next_record() || self.abort.load(Ordering::Relaxed) {
            return;
        }
        self.stages[0].received += 1;
        self.stages[0].emitted += 1;
        for i in 0..self.state.experts.len() {
            let verdict = self.state.experts[i].process(&mut event);
            let stage = self.stage(i + 1);
            stage.received += 1;
            match verdict {
                Verdict::Keep => stage.emitted += 1,
                Verdict::Drop(reason) => {
                    if reason.failure {
                        stage.failed += 1;
                    } else {
                        stage.dropped += 1;
                    }
                    self.dropped += 1;
                    *self.dropped_by.entry(reason.code).or_default() += 1;
                    self.maybe_flush();
                    return;
                }
            }
        }
        let at = event.time_observation().unwrap_or(self.observed);
        let hash = match &mut self.state.dedup {
            Some(dedup) => {
                let hash = dedup.hash(&event);
                let duplicate = dedup.check(hash, at);
                let i = self.state.experts.len() + 1;
                let stage = self.stage(i);
                stage.received += 1;
                if duplicate {
                    stage.dropped += 1;
                    self.duplicates += 1;
                    self.maybe_flush();
                    return;
                }
                stage.emitted += 1;
                hash
            }
            None => event.dedup_hash(&self.default_key),
        };
        let stored = stored_event(&mut self.packer, &mut self.json, &event, at, hash);
        self.events.push(stored);
        self.maybe_flush();
    }

    fn quarantine(&mut self, record: Quarantined) {
        if !self.next_record() || self.abort.load(Ordering::Relaxed) {
            return;
        }
        self.stages[0].received += 1;
        self.stages[0].failed += 1;
        self.quarantine.push(NewQuarantine {
            feed: record.feed,
            file: record.file,
            line: record.line,
            code: record.code.to_owned(),
            reason: record.reason,
            raw: record.raw,
            context: record.context,
        });
        self.maybe_flush();
    }
}

/// An event as a run stores it: its JSON (written into `json`, a reused buffer) and raw record
/// packed into the batch's blocks, and the row that points to them.
pub(crate) fn stored_event(
    packer: &mut EventPacker,
    json: &mut String,
    event: &Event,
    at: DateTime<Utc>,
    hash: u64,
) -> NewEvent {
    json.clear();
    event.write_json(json, false);
    let (block, slot) = packer.push(json, event.raw());
    NewEvent {
        time_observation: at,
        time_source: event.time_source(),
        classification_type: event.classification_type().map(|t| t.as_str()),
        taxonomy: event.taxonomy().map(|t| t.as_str()),
        source_ip: event.source_ip(),
        source_asn: event.source_asn(),
        organisation: organisation_of(event).map(OrganisationId),
        dedup_hash: hash,
        block,
        slot,
    }
}

/// What a dry run (`cirtkit feed test`) found: counts, and samples of what would be stored and
/// what would be quarantined. Nothing is written.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DryRun {
    pub files: Vec<String>,
    pub read: u64,
    pub events: u64,
    pub duplicates: u64,
    pub dropped: u64,
    pub dropped_by: BTreeMap<String, u64>,
    pub quarantined: u64,
    /// The first events that would be stored, as JSON lines.
    pub samples: Vec<String>,
    /// The first records that would be quarantined.
    pub quarantine_samples: Vec<Quarantined>,
    /// Files that could not be read to their end, with why.
    pub errors: Vec<String>,
}

struct DrySink<'a> {
    out: &'a mut DryRun,
    experts: &'a mut [Box<dyn Expert>],
    dedup: Option<&'a mut DedupExpert>,
    observed: DateTime<Utc>,
    samples: usize,
}

impl Sink for DrySink<'_> {
    fn event(&mut self, mut event: Event) {
        self.out.read += 1;
        for e in self.experts.iter_mut() {
            if let Verdict::Drop(reason) = e.process(&mut event) {
                self.out.dropped += 1;
                *self.out.dropped_by.entry(reason.code.to_owned()).or_default() += 1;
                return;
            }
        }
        // As a run does: the key placed at the event's observation, or the file's.
        let at = event.time_observation().unwrap_or(self.observed);
        if let Some(d) = self.dedup.as_deref_mut()
            && d.check(d.hash(&event), at)
        {
            self.out.duplicates += 1;
            return;
        }
        self.out.events += 1;
        if self.out.samples.len() < self.samples {
            self.out.samples.push(event.to_json_line());
        }
    }

    fn quarantine(&mut self, record: Quarantined) {
        self.out.read += 1;
        self.out.quarantined += 1;
        if self.out.quarantine_samples.len() < self.samples {
            self.out.quarantine_samples.push(record);
        }
    }
}

/// Parses the inputs as the feed would, through its experts (built from `resources`, see
/// [`feed_resources`]) and a copy of its deduplication window ([`load_dedup`]), and writes
/// nothing.
pub fn dry_run(
    spec: &FeedSpec,
    inputs: &[Input],
    resources: &FeedResources,
    mut dedup: Option<DedupExpert>,
    observed: DateTime<Utc>,
    samples: usize,
) -> Result<DryRun> {
    let parser = cirtkit_pipeline::parser_for(&spec.format, &spec.options_value())?;
    let mut experts = build_experts(spec, resources)?;
    let mut out = DryRun::default();
    for input in inputs {
        out.files.push(input.name.clone());
        let mut file =
            std::fs::File::open(&input.path).map_err(FeedError::io(format!("cannot read {}", input.path.display())))?;
        let ctx = ParseContext::with_feed(
            FeedMeta { name: Some(spec.name.as_str().into()), ..FeedMeta::default() },
            observed,
        )
        .with_file_name(input.name.clone());
        let mut sink = DrySink { out: &mut out, experts: &mut experts, dedup: dedup.as_mut(), observed, samples };
        let result: Result<(), PipelineError> = ingest(parser.as_ref(), &mut file, &ctx, &mut sink);
        if let Err(e) = result {
            out.errors.push(format!("{}: {e}", input.name));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::Input;
    use chrono::TimeZone;
    use cirtkit_domain::ManualClock;
    use cirtkit_storage::{ConnectOptions, DatabaseUrl, EventQuery};

    async fn store(dir: &std::path::Path) -> Store {
        let store =
            Store::connect(&DatabaseUrl::sqlite_file(&dir.join("t.db")), &ConnectOptions::default()).await.unwrap();
        store.migrate(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()).await.unwrap();
        store
    }

    #[tokio::test]
    async fn files_are_stored_once_duplicates_counted_and_bad_records_quarantined() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path()).await;
        let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0).unwrap());
        let a = dir.path().join("ssh-a.txt");
        std::fs::write(&a, "192.0.2.1\n192.0.2.2\nnot an address\n192.0.2.1\n192.0.2.3\n").unwrap();
        let b = dir.path().join("ssh-b.txt");
        std::fs::write(&b, "192.0.2.3\n192.0.2.4\n").unwrap();
        let mut spec = FeedSpec::one_off("blocklist.de", "blocklistde");
        spec.options.insert("list".into(), "ssh".into());
        let index = Arc::new(ConstituencyIndex::default());
        let options = RunOptions { batch_records: 2, actor: "cli:test".into(), ..RunOptions::default() };
        let inputs = vec![Input::file(&a), Input::file(&b)];
        let r = run_feed(&store, &spec, index.clone(), &clock, inputs.clone(), &options, None).await.unwrap();
        assert_eq!((r.read, r.stored, r.duplicates, r.quarantined, r.error.as_deref()), (7, 4, 2, 1, None));
        assert_eq!(r.files[0].outcome, FileOutcome::Read);
        let parser = r.stages.iter().find(|s| s.stage == "parser").unwrap();
        assert_eq!((parser.received, parser.emitted, parser.failed), (7, 6, 1));
        let output = r.stages.iter().find(|s| s.stage == "output").unwrap();
        assert_eq!(output.emitted, 4);
        let q = store.quarantine_page(Some("blocklist.de"), None, 10).await.unwrap();
        assert_eq!((q.len(), q[0].line), (1, 3));

        // Again, a minute later: both files were read before.
        clock.advance(chrono::Duration::minutes(1));
        let r = run_feed(&store, &spec, index.clone(), &clock, inputs, &options, None).await.unwrap();
        assert_eq!((r.read, r.stored), (0, 0));
        assert!(r.files.iter().all(|f| f.outcome == FileOutcome::Skipped));
        // New content with old events: duplicates within the window, from the stored window.
        let c = dir.path().join("ssh-c.txt");
        std::fs::write(&c, "192.0.2.4\n192.0.2.5\n").unwrap();
        let r = run_feed(&store, &spec, index, &clock, vec![Input::file(&c)], &options, None).await.unwrap();
        assert_eq!((r.stored, r.duplicates), (1, 1));
        let all = store.events_page(&EventQuery { limit: 100, ..Default::default() }).await.unwrap();
        assert_eq!(all.len(), 5);
        assert_eq!(store.feed_runs(None, 10).await.unwrap().len(), 3);
        assert!(store.verify_audit().await.unwrap().is_intact());
    }

    #[tokio::test]
    async fn a_dry_run_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("ssh-a.txt");
        std::fs::write(&a, "192.0.2.1\n192.0.2.1\nbad\n").unwrap();
        let mut spec = FeedSpec::one_off("blocklist.de", "blocklistde");
        spec.options.insert("list".into(), "ssh".into());
        let observed = Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0).unwrap();
        let resources = FeedResources::new(Arc::new(ManualClock::new(observed)), Arc::default());
        let dedup = crate::expert::build_dedup(&spec, &resources).unwrap();
        let out = dry_run(&spec, &[Input::file(&a)], &resources, dedup, observed, 5).unwrap();
        assert_eq!((out.read, out.events, out.duplicates, out.quarantined), (3, 1, 1, 1));
        assert!(out.samples[0].contains("\"source.ip\":\"192.0.2.1\""), "{:?}", out.samples);
    }
}
