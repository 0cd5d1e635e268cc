//! The pipeline's counters at `/metrics`, one naming scheme for every stage:
//! `cirtkit_pipeline_{received,emitted,dropped,failed}_total{feed, stage}` where `stage` is
//! `parser`, an expert's name, `dedup` or `output`, plus `cirtkit_pipeline_run_duration_seconds_total`
//! and `cirtkit_pipeline_runs_total{feed, result}`. Updated at the end of each run.

use crate::run::RunReport;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::{Registry, Unit};
use std::sync::atomic::AtomicU64;

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
        r.register("runs", "Feed runs, by result (ok or error)", self.runs.clone());
    }

    /// Adds a run's counts.
    pub fn observe(&self, report: &RunReport) {
        for s in &report.stages {
            let labels = StageLabels { feed: report.feed.clone(), stage: s.stage.clone() };
            self.received.get_or_create(&labels).inc_by(s.received);
            self.emitted.get_or_create(&labels).inc_by(s.emitted);
            self.dropped.get_or_create(&labels).inc_by(s.dropped);
            self.failed.get_or_create(&labels).inc_by(s.failed);
        }
        self.duration.get_or_create(&FeedLabels { feed: report.feed.clone() }).inc_by(report.seconds);
        let result = if report.error.is_some() { "error" } else { "ok" };
        self.runs.get_or_create(&RunLabels { feed: report.feed.clone(), result }).inc();
    }
}
