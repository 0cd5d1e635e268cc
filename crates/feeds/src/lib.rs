//! The running feed pipeline: feeds as the configuration declares them (collector, parser,
//! experts with their options, schedule), the pipeline library's experts built for a feed
//! (with the files they name and the store's deduplication window), and the run that takes
//! files through the parsers and experts into the store in batches.
//!
//! The parsers live in `cirtkit-pipeline` (pure, no storage); this crate joins them to the store.
//! A run is crash-safe: each batch commits its events with its file's progress in one
//! transaction, so a run killed at any point and started again stores every event exactly once,
//! and a file read to its end is not read again (see [`run`]).

pub mod collect;
pub mod expert;
pub mod http;
pub mod imap;
pub mod metrics;
pub mod rerun;
pub mod run;
pub mod spec;
pub mod synthetic;

pub use collect::{Collected, CollectedRun, run_collected};
pub use expert::{Expert, FeedResources, Verdict};
pub use metrics::{FeedMetrics, LiveRun};
pub use rerun::{RerunReport, rerun_quarantine};
pub use run::{DryRun, FileOutcome, FileReport, Progress, RunOptions, RunReport, dry_run, run_feed};
pub use spec::{CollectorSpec, FeedSpec, ImapCollector};

pub use cirtkit_pipeline as pipeline;

/// What stops a feed run.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("[feed.config] feed {feed:?}: {reason}")]
    Config { feed: String, reason: String },
    #[error("[feed.collect] feed {feed:?}: {reason}")]
    Collect { feed: String, reason: String },
    #[error(transparent)]
    Pipeline(#[from] cirtkit_pipeline::PipelineError),
    #[error(transparent)]
    Storage(#[from] cirtkit_storage::StorageError),
    #[error("[feed.io] {context}: {source}")]
    Io { context: String, source: std::io::Error },
    #[error("[feed.internal] {0}")]
    Internal(String),
}

impl FeedError {
    pub(crate) fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> FeedError {
        let context = context.into();
        move |source| FeedError::Io { context, source }
    }
}

pub type Result<T, E = FeedError> = std::result::Result<T, E>;
