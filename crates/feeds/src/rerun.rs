//! Quarantine re-run: once a handler has fixed a feed's declaration (a parser option, a column
//! map), the feed's quarantined records are parsed again with its current parser and options.
//! A record that now parses goes through the feed's experts and deduplication, its events are
//! stored and it leaves the quarantine, both in one transaction; a record that still fails
//! stays, with the reason found now.
//!
//! A record is parsed again from what the quarantine kept: its text (`raw`), after its file's
//! header line (`context`) for the formats that have one, under its file's name and with its
//! file's observation time. Records that were not kept whole (cut at 4 KiB, or a whole archive
//! member that failed, kept without text), and records that now give no event at all (most
//! likely a CSV row quarantined before headers were kept, read as a header), cannot be parsed
//! on their own and are left as they are.
//!
//! Two re-runs of a feed at once (on one node or several) cannot store a record's events twice:
//! the batch that stores them removes the records, and fails whole if one is gone already.

use crate::expert::{Expert, FeedResources, Verdict};
use crate::run::{RunOptions, build_experts, feed_resources, load_dedup, parser_of};
use crate::spec::FeedSpec;
use crate::{FeedError, Result};
use chrono::{DateTime, Utc};
use cirtkit_domain::{Clock, ConstituencyIndex};
use cirtkit_pipeline::experts::DedupExpert;
use cirtkit_pipeline::{Collected, DedupKey, Event, FeedMeta, ParseContext, Parser, Quarantined};
use cirtkit_storage::{EventPacker, FeedBatch, NewEvent, QuarantineRecord, Store};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Records read from the quarantine, and committed, at a time.
const CHUNK: u32 = 500;

/// What a re-run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RerunReport {
    pub feed: String,
    /// Quarantined records looked at.
    pub records: u64,
    /// Records that now parse: they left the quarantine.
    pub released: u64,
    /// Records that still fail: they stay, with the reason found now.
    pub still_quarantined: u64,
    /// Records that cannot be parsed on their own (cut, or kept without text): left as they are.
    pub not_reparsable: u64,
    /// Events of the released records that were stored.
    pub stored: u64,
    /// Events of the released records that deduplication dropped.
    pub duplicates: u64,
    /// Events of the released records that an expert dropped, by drop code.
    pub dropped_by: BTreeMap<String, u64>,
}

/// What became of one record parsed again.
enum Outcome {
    /// It parsed: these events (perhaps none).
    Parsed(Vec<Event>),
    /// It failed again: the new code and reason.
    Failed(String, String),
    /// It cannot be parsed on its own.
    NotReparsable,
}

/// Parses one quarantined record again.
fn reparse(parser: &dyn Parser, spec: &FeedSpec, record: &QuarantineRecord) -> Outcome {
    if record.raw.is_empty() || !Quarantined::is_whole(&record.raw) || record.file_id.is_none() {
        return Outcome::NotReparsable;
    }
    let input = Quarantined::reparse_input(record.context.as_deref(), &record.raw);
    let mut ctx =
        ParseContext::with_feed(FeedMeta { name: Some(spec.name.as_str().into()), ..FeedMeta::default() }, record.at);
    if let Some(file) = &record.file {
        ctx = ctx.with_file_name(file.clone());
    }
    let mut out = Collected::default();
    if let Err(e) = parser.parse(&mut input.as_slice(), &ctx, &mut out) {
        return Outcome::Failed(e.code().to_owned(), e.to_string());
    }
    match out.quarantined.into_iter().next() {
        Some(q) => Outcome::Failed(q.code.to_owned(), q.reason),
        // A record that failed once and now gives nothing was most likely read as something
        // else (a header, when its own was not kept): releasing it would lose it.
        None if out.events.is_empty() => Outcome::NotReparsable,
        None => Outcome::Parsed(out.events),
    }
}

/// The experts and the window of a re-run, applied to a released record's events.
struct Chain {
    experts: Vec<Box<dyn Expert>>,
    dedup: Option<DedupExpert>,
    default_key: DedupKey,
}

impl Chain {
    fn store(
        &mut self,
        packer: &mut EventPacker,
        mut event: Event,
        at: DateTime<Utc>,
        report: &mut RerunReport,
    ) -> Option<NewEvent> {
        for expert in &mut self.experts {
            if let Verdict::Drop(reason) = expert.process(&mut event) {
                *report.dropped_by.entry(reason.code.to_owned()).or_default() += 1;
                return None;
            }
        }
        let at = event.time_observation().unwrap_or(at);
        let hash = match &mut self.dedup {
            Some(dedup) => {
                let hash = dedup.hash(&event);
                if dedup.check(hash, at) {
                    report.duplicates += 1;
                    return None;
                }
                hash
            }
            None => event.dedup_hash(&self.default_key),
        };
        report.stored += 1;
        Some(crate::run::stored_event(packer, &mut String::new(), &event, at, hash))
    }
}

/// Re-runs a feed's quarantine with its current declaration (`spec`), audited as one
/// `feed.quarantine_rerun` by `options.actor`. A batch that finds a record gone (another
/// re-run took it) fails with `storage.conflict`; what was committed before stays committed.
pub async fn rerun_quarantine(
    store: &Store,
    spec: &FeedSpec,
    index: Arc<ConstituencyIndex>,
    clock: &dyn Clock,
    options: &RunOptions,
) -> Result<RerunReport> {
    let now = clock.now();
    let parser = parser_of(spec, options)?;
    let resources: FeedResources = feed_resources(store, spec, index, now, options.asn_table.clone()).await?;
    let mut chain = Chain {
        experts: build_experts(spec, &resources)?,
        dedup: load_dedup(store, spec, now).await?,
        default_key: DedupKey::default(),
    };
    let mut report = RerunReport { feed: spec.name.clone(), ..RerunReport::default() };
    let mut after = 0;
    loop {
        let records = store.quarantine_of_feed(&spec.name, after, CHUNK).await?;
        let Some(last) = records.last() else { break };
        after = last.id;
        let parsed: Vec<(QuarantineRecord, Outcome)> = {
            let parser = parser.clone();
            let spec = spec.clone();
            tokio::task::spawn_blocking(move || {
                records
                    .into_iter()
                    .map(|r| {
                        let outcome = reparse(parser.as_ref(), &spec, &r);
                        (r, outcome)
                    })
                    .collect()
            })
            .await
            .map_err(|e| FeedError::Internal(format!("the parser stopped: {e}")))?
        };
        // By file: the events of a batch are stored with their file.
        let mut batches: HashMap<i64, (FeedBatch, EventPacker)> = HashMap::new();
        let mut failed = Vec::new();
        for (record, outcome) in parsed {
            report.records += 1;
            match (outcome, record.file_id) {
                (Outcome::Parsed(events), Some(file_id)) => {
                    report.released += 1;
                    let (batch, packer) = batches.entry(file_id).or_insert_with(|| {
                        let batch = FeedBatch {
                            feed: spec.name.clone(),
                            file_id,
                            rows_committed: 0,
                            done: false,
                            events: Vec::new(),
                            blocks: Vec::new(),
                            quarantined: Vec::new(),
                            at: now,
                            release_quarantine: Vec::new(),
                        };
                        (batch, EventPacker::new())
                    });
                    batch.release_quarantine.push(record.id);
                    for event in events {
                        if let Some(e) = chain.store(packer, event, record.at, &mut report) {
                            batch.events.push(e);
                        }
                    }
                }
                (Outcome::Failed(code, reason), _) => {
                    report.still_quarantined += 1;
                    failed.push((record.id, code, reason));
                }
                (Outcome::NotReparsable, _) | (Outcome::Parsed(_), None) => report.not_reparsable += 1,
            }
        }
        let mut batches: Vec<FeedBatch> = batches
            .into_values()
            .map(|(mut batch, mut packer)| {
                batch.blocks = packer.take();
                batch
            })
            .collect();
        batches.sort_by_key(|b| b.file_id);
        for batch in &batches {
            store.commit_feed_batch(batch).await?;
        }
        for (id, code, reason) in failed {
            store.requarantine(id, &code, &reason).await?;
        }
    }
    let mut tx = store.begin(&options.actor, clock.now()).await?;
    tx.audit(
        "feed.quarantine_rerun",
        "feed",
        &spec.name,
        None,
        Some(serde_json::to_value(&report).map_err(|e| FeedError::Internal(e.to_string()))?),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(feed = %spec.name, records = report.records, released = report.released, stored = report.stored, "quarantine re-run");
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::Input;
    use crate::run::run_feed;
    use chrono::TimeZone;
    use cirtkit_domain::ManualClock;
    use cirtkit_storage::{ConnectOptions, DatabaseUrl, EventQuery};

    /// Lines quarantined under a wrong option, the option fixed, the quarantine re-run: the
    /// records that now parse are stored once and leave; the others stay with their new reason.
    #[tokio::test]
    async fn a_fixed_feed_takes_its_quarantined_records_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&DatabaseUrl::sqlite_file(&dir.path().join("t.db")), &ConnectOptions::default())
            .await
            .unwrap();
        let t0 = Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0).unwrap();
        store.migrate(t0).await.unwrap();
        let clock = ManualClock::new(t0);
        let file = dir.path().join("scan.csv");
        // The "port" column holds a service name in two rows: refused as source.port.
        std::fs::write(
            &file,
            "ip,port,kind\n192.0.2.1,22,ssh\n192.0.2.2,ssh,ssh\n192.0.2.3,telnet,x\n192.0.2.2,ssh,ssh\nnope,1,x\n",
        )
        .unwrap();
        let mut spec = FeedSpec::one_off("scan", "csv");
        spec.experts = vec!["rsit".into(), "dedup".into()];
        spec.options = serde_json::from_value(serde_json::json!({
            "header_map": {"ip": "source.ip", "port": "source.port", "kind": "protocol.application"},
            "constant": {"classification.type": "scanner"}
        }))
        .unwrap();
        let options = RunOptions { actor: "cli:test".into(), ..RunOptions::default() };
        let r =
            run_feed(&store, &spec, Arc::default(), &clock, vec![Input::file(&file)], &options, None).await.unwrap();
        assert_eq!((r.stored, r.quarantined), (1, 4), "{r:?}");
        let before = store.quarantine_page(Some("scan"), None, 10).await.unwrap();
        assert!(before.iter().all(|q| q.context.as_deref() == Some("ip,port,kind")), "{before:?}");

        // Fixed: the port column is kept as text.
        clock.advance(chrono::Duration::hours(1));
        spec.options = serde_json::from_value(serde_json::json!({
            "header_map": {"ip": "source.ip", "port": "extra.service", "kind": "protocol.application"},
            "constant": {"classification.type": "scanner"}
        }))
        .unwrap();
        let report = rerun_quarantine(&store, &spec, Arc::default(), &clock, &options).await.unwrap();
        assert_eq!(
            (report.records, report.released, report.still_quarantined, report.stored, report.duplicates),
            (4, 3, 1, 2, 1),
            "{report:?}"
        );
        let left = store.quarantine_page(Some("scan"), None, 10).await.unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!((left[0].line, left[0].code.as_str()), (6, "pipeline.field_invalid"), "{left:?}");
        let events = store.events_page(&EventQuery { limit: 10, ..Default::default() }).await.unwrap();
        assert_eq!(events.len(), 3);
        let telnet: serde_json::Value = serde_json::from_str(&events[0].payload).unwrap();
        assert_eq!(telnet["extra.service"], "telnet", "{telnet}");
        assert_eq!(telnet["time.observation"], "2026-03-01T08:00:00+00:00", "the file's observation time");

        // A row quarantined without its header (as before headers were kept) is read as a
        // header now: it gives nothing, and is left as it was rather than lost.
        let file_id = left[0].file_id.unwrap();
        let headless = cirtkit_storage::NewQuarantine {
            feed: "scan".into(),
            file: Some("scan.csv".into()),
            line: 9,
            code: "pipeline.field_invalid".into(),
            reason: "old".into(),
            raw: "192.0.2.9,smtp,x".into(),
            context: None,
        };
        let batch = FeedBatch {
            feed: "scan".into(),
            file_id,
            rows_committed: 5,
            done: true,
            events: Vec::new(),
            blocks: Vec::new(),
            quarantined: vec![headless],
            at: t0,
            release_quarantine: Vec::new(),
        };
        store.commit_feed_batch(&batch).await.unwrap();
        let r = rerun_quarantine(&store, &spec, Arc::default(), &clock, &options).await.unwrap();
        assert_eq!((r.records, r.released, r.not_reparsable, r.still_quarantined), (2, 0, 1, 1), "{r:?}");
        let kept = store.quarantine_page(Some("scan"), None, 10).await.unwrap();
        assert_eq!((kept.len(), kept[0].reason.as_str()), (2, "old"));
        assert_eq!(store.counts().await.unwrap().events, 3);

        // Again: nothing left to take back, nothing stored twice.
        let again = rerun_quarantine(&store, &spec, Arc::default(), &clock, &options).await.unwrap();
        assert_eq!((again.records, again.released, again.stored), (2, 0, 0));
        assert_eq!(store.counts().await.unwrap().events, 3);
        assert!(store.verify_audit().await.unwrap().is_intact());
    }
}
