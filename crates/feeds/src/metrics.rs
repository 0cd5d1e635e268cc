//! The pipeline's counters at `/metrics`, one naming scheme for every stage:
//! `cirtkit_pipeline_{received,emitted,dropped,failed}_total{feed, stage}` where `stage` is
//! `parser`, an expert's name, `dedup` or `output`, plus `cirtkit_pipeline_run_duration_seconds_total`
//! and `cirtkit_pipeline_runs_total{feed, result}` (`ok`, `error` or `not_modified`).
//!
//! A run's counts reach the counters while it goes: after each committed batch, the run adds what
//! that batch's records did at each stage ([`LiveRun::committed`]); at its end,
//! [`LiveRun::finish`] adds only what the batches had not already added, so the totals equal the
//! run's report whether the run published as it went or not at all.

use crate::run::{RunReport, StageCounts};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::{Registry, Unit};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Instant;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StageLabels {
    feed: String,
    stage: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FeedLabels {
    feed: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RunLabels {
    feed: String,
    result: &'static str,
}

/// The pipeline's metrics; cheap to clone (the families share their series).
#[derive(Debug, Clone, Default)]
pub struct FeedMetrics {
    received: Family<StageLabels, Counter>,
    emitted: Family<StageLabels, Counter>,
    dropped: Family<StageLabels, Counter>,
    failed: Family<StageLabels, Counter>,
    duration: Family<FeedLabels, Counter<f64, AtomicU64>>,
    runs: Family<RunLabels, Counter>,
}

impl FeedMetrics {
    /// Registers the counters under `pipeline_` in `registry` (which adds `cirtkit_`).
    pub fn register(&self, registry: &mut Registry) {
        let r = registry.sub_registry_with_prefix("pipeline");
        r.register("received", "Records or events a pipeline stage received", self.received.clone());
        r.register("emitted", "Events a pipeline stage passed on", self.emitted.clone());
        r.register("dropped", "Events a pipeline stage dropped (filtered, duplicate)", self.dropped.clone());
        r.register("failed", "Records a pipeline stage could not process (quarantined)", self.failed.clone());
        r.register_with_unit("run_duration", "Time spent in feed runs", Unit::Seconds, self.duration.clone());
        r.register("runs", "Feed runs, by result (ok, error or not_modified)", self.runs.clone());
    }

    /// Adds a finished run's counts, for a run that did not publish as it went.
    pub fn observe(&self, report: &RunReport) {
        self.live(&report.feed).finish(report);
    }

    /// A run about to start: its batches add to the counters as they commit.
    pub fn live(&self, feed: &str) -> LiveRun {
        LiveRun {
            inner: Arc::new(Mutex::new(Published {
                metrics: self.clone(),
                feed: feed.to_owned(),
                stages: Vec::new(),
                seconds: 0.0,
                since: Instant::now(),
                started: Instant::now(),
            })),
        }
    }

    fn add(&self, feed: &str, s: &StageCounts) {
        let labels = StageLabels { feed: feed.to_owned(), stage: s.stage.clone() };
        self.received.get_or_create(&labels).inc_by(s.received);
        self.emitted.get_or_create(&labels).inc_by(s.emitted);
        self.dropped.get_or_create(&labels).inc_by(s.dropped);
        self.failed.get_or_create(&labels).inc_by(s.failed);
    }
}

/// One run's link to the counters: what it has added so far, so that the end adds the rest
/// and nothing twice. Cheap to clone (one run, shared).
#[derive(Debug, Clone)]
pub struct LiveRun {
    inner: Arc<Mutex<Published>>,
}

#[derive(Debug)]
struct Published {
    metrics: FeedMetrics,
    feed: String,
    /// Added so far, per stage.
    stages: Vec<StageCounts>,
    /// Duration added so far.
    seconds: f64,
    /// When duration was last added.
    since: Instant,
    started: Instant,
}

impl LiveRun {
    /// A batch committed: adds what its records did at each stage (counts since the previous
    /// batch, see [`unpublished`]), and the time since the previous batch.
    pub fn committed(&self, delta: &[StageCounts]) {
        let Ok(mut p) = self.inner.lock() else { return };
        for s in delta {
            p.metrics.add(&p.feed, s);
            match p.stages.iter_mut().find(|t| t.stage == s.stage) {
                Some(t) => add_counts(t, s),
                None => p.stages.push(StageCounts { seconds: 0.0, ..s.clone() }),
            }
        }
        let elapsed = p.since.elapsed().as_secs_f64();
        p.since = Instant::now();
        p.seconds += elapsed;
        p.metrics.duration.get_or_create(&FeedLabels { feed: p.feed.clone() }).inc_by(elapsed);
    }

    /// The run is over: adds what the batches had not, and counts the run by its result.
    pub fn finish(&self, report: &RunReport) {
        let Ok(mut p) = self.inner.lock() else { return };
        for s in &report.stages {
            let before = p.stages.iter().find(|t| t.stage == s.stage).cloned().unwrap_or_default();
            let rest = StageCounts {
                stage: s.stage.clone(),
                received: s.received.saturating_sub(before.received),
                emitted: s.emitted.saturating_sub(before.emitted),
                dropped: s.dropped.saturating_sub(before.dropped),
                failed: s.failed.saturating_sub(before.failed),
                seconds: 0.0,
            };
            p.metrics.add(&p.feed, &rest);
        }
        p.stages = report.stages.clone();
        let rest = (report.seconds - p.seconds).max(0.0);
        p.seconds += rest;
        p.metrics.duration.get_or_create(&FeedLabels { feed: p.feed.clone() }).inc_by(rest);
        let result = if report.error.is_some() { "error" } else { "ok" };
        p.metrics.runs.get_or_create(&RunLabels { feed: p.feed.clone(), result }).inc();
    }

    /// The run stopped with an error before it had a report: what its batches committed stays
    /// counted; the run counts as an error, with its time so far.
    pub fn failed(&self) {
        self.end("error");
    }

    /// The run read nothing because its source had not changed (HTTP 304).
    pub fn not_modified(&self) {
        self.end("not_modified");
    }

    fn end(&self, result: &'static str) {
        let Ok(mut p) = self.inner.lock() else { return };
        let rest = (p.started.elapsed().as_secs_f64() - p.seconds).max(0.0);
        p.seconds += rest;
        p.metrics.duration.get_or_create(&FeedLabels { feed: p.feed.clone() }).inc_by(rest);
        p.metrics.runs.get_or_create(&RunLabels { feed: p.feed.clone(), result }).inc();
    }
}

fn add_counts(total: &mut StageCounts, s: &StageCounts) {
    total.received += s.received;
    total.emitted += s.emitted;
    total.dropped += s.dropped;
    total.failed += s.failed;
}

/// What `current` (a file's counts so far) holds beyond `published` (its counts at the previous
/// batch), which then becomes `current`: the counts of one batch, for [`LiveRun::committed`].
pub fn unpublished(current: &[StageCounts], published: &mut Vec<StageCounts>) -> Vec<StageCounts> {
    let delta = current
        .iter()
        .map(|s| {
            let before = published.iter().find(|p| p.stage == s.stage);
            let was = |f: fn(&StageCounts) -> u64| before.map_or(0, f);
            StageCounts {
                stage: s.stage.clone(),
                received: s.received.saturating_sub(was(|p| p.received)),
                emitted: s.emitted.saturating_sub(was(|p| p.emitted)),
                dropped: s.dropped.saturating_sub(was(|p| p.dropped)),
                failed: s.failed.saturating_sub(was(|p| p.failed)),
                seconds: 0.0,
            }
        })
        .collect();
    *published = current.to_vec();
    delta
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stage(stage: &str, received: u64, emitted: u64, dropped: u64, failed: u64) -> StageCounts {
        StageCounts { stage: stage.into(), received, emitted, dropped, failed, seconds: 0.0 }
    }

    fn exposition(metrics: &FeedMetrics) -> String {
        let mut registry = Registry::with_prefix("cirtkit");
        metrics.register(&mut registry);
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &registry).unwrap();
        out
    }

    fn value(text: &str, series: &str) -> Option<f64> {
        text.lines().find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
    }

    fn report(stages: Vec<StageCounts>, seconds: f64) -> RunReport {
        RunReport { run_id: 1, stages, seconds, ..RunReport::empty("f") }
    }

    #[tokio::test]
    async fn a_run_advances_the_counters_batch_by_batch() {
        use chrono::TimeZone;
        let dir = tempfile::tempdir().unwrap();
        let url = cirtkit_storage::DatabaseUrl::sqlite_file(&dir.path().join("t.db"));
        let store = cirtkit_storage::Store::connect(&url, &Default::default()).await.unwrap();
        let now = chrono::Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0).unwrap();
        store.migrate(now).await.unwrap();
        let file = dir.path().join("ssh.txt");
        std::fs::write(&file, "192.0.2.1\n192.0.2.2\n192.0.2.1\nbad\n192.0.2.3\n").unwrap();
        let mut spec = crate::FeedSpec::one_off("ssh", "blocklistde");
        spec.options.insert("list".into(), "ssh".into());
        let metrics = FeedMetrics::default();
        let live = metrics.live("ssh");
        let options = crate::RunOptions { batch_records: 2, live: Some(live.clone()), ..Default::default() };
        let clock = cirtkit_domain::ManualClock::new(now);
        let inputs = vec![crate::collect::Input::file(&file)];
        let report = crate::run_feed(&store, &spec, Default::default(), &clock, inputs, &options, None).await.unwrap();
        // Before the end is counted, every committed batch is already there.
        let text = exposition(&metrics);
        let stored = "cirtkit_pipeline_emitted_total{feed=\"ssh\",stage=\"output\"}";
        assert_eq!(value(&text, stored), Some(report.stored as f64), "{text}");
        assert_eq!(value(&text, "cirtkit_pipeline_received_total{feed=\"ssh\",stage=\"parser\"}"), Some(5.0));
        assert_eq!(value(&text, "cirtkit_pipeline_dropped_total{feed=\"ssh\",stage=\"dedup\"}"), Some(1.0));
        assert_eq!(value(&text, "cirtkit_pipeline_runs_total{feed=\"ssh\",result=\"ok\"}"), None);
        live.finish(&report);
        let text = exposition(&metrics);
        assert_eq!(value(&text, stored), Some(3.0), "not twice: {text}");
        assert_eq!(value(&text, "cirtkit_pipeline_failed_total{feed=\"ssh\",stage=\"parser\"}"), Some(1.0));
        assert_eq!(value(&text, "cirtkit_pipeline_runs_total{feed=\"ssh\",result=\"ok\"}"), Some(1.0));
    }

    #[test]
    fn batch_deltas_are_the_counts_since_the_previous_batch() {
        let mut published = Vec::new();
        let d = unpublished(&[stage("parser", 3, 2, 0, 1)], &mut published);
        assert_eq!(d, [stage("parser", 3, 2, 0, 1)]);
        let d = unpublished(&[stage("parser", 5, 4, 0, 1), stage("output", 4, 4, 0, 0)], &mut published);
        assert_eq!(d, [stage("parser", 2, 2, 0, 0), stage("output", 4, 4, 0, 0)]);
    }

    #[test]
    fn counters_advance_per_batch_and_the_end_adds_only_the_rest() {
        let metrics = FeedMetrics::default();
        let live = metrics.live("f");
        live.committed(&[stage("parser", 2, 2, 0, 0), stage("output", 2, 2, 0, 0)]);
        let text = exposition(&metrics);
        let received = "cirtkit_pipeline_received_total{feed=\"f\",stage=\"parser\"}";
        assert_eq!(value(&text, received), Some(2.0), "{text}");
        assert_eq!(value(&text, "cirtkit_pipeline_runs_total{feed=\"f\",result=\"ok\"}"), None, "not over yet");
        live.committed(&[stage("parser", 3, 2, 0, 1), stage("output", 2, 2, 0, 0)]);
        assert_eq!(value(&exposition(&metrics), received), Some(5.0));

        // The report counts 6 at the parser (one record after the last batch): only 1 is added.
        live.finish(&report(vec![stage("parser", 6, 5, 0, 1), stage("output", 4, 4, 0, 0)], 3.5));
        let text = exposition(&metrics);
        assert_eq!(value(&text, received), Some(6.0), "{text}");
        assert_eq!(value(&text, "cirtkit_pipeline_emitted_total{feed=\"f\",stage=\"output\"}"), Some(4.0));
        assert_eq!(value(&text, "cirtkit_pipeline_failed_total{feed=\"f\",stage=\"parser\"}"), Some(1.0));
        assert_eq!(value(&text, "cirtkit_pipeline_runs_total{feed=\"f\",result=\"ok\"}"), Some(1.0));
        let seconds = value(&text, "cirtkit_pipeline_run_duration_seconds_total{feed=\"f\"}").unwrap();
        assert!((seconds - 3.5).abs() < 1e-9, "the run's time, once: {seconds}");

        // A run that published nothing is counted whole at its end.
        metrics.observe(&report(vec![stage("parser", 1, 1, 0, 0)], 0.5));
        assert_eq!(value(&exposition(&metrics), received), Some(7.0));
        metrics.live("f").not_modified();
        metrics.live("f").failed();
        let text = exposition(&metrics);
        assert_eq!(value(&text, "cirtkit_pipeline_runs_total{feed=\"f\",result=\"not_modified\"}"), Some(1.0));
        assert_eq!(value(&text, "cirtkit_pipeline_runs_total{feed=\"f\",result=\"error\"}"), Some(1.0));
    }
}
