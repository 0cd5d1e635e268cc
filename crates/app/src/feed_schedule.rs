//! The feeds inside `cirtkit serve`: each feed with an `interval_secs` runs on its schedule (the
//! first run right after start), one run at a time per feed, and its counts go to `/metrics`.
//! A run that fails is logged and tried again at the next interval; on shutdown the run in hand
//! stops between batches (what it committed stays, and the next start resumes the file).
//!
//! Several nodes on one PostgreSQL may run the same feed: the store makes that safe (a file's
//! content is recorded once, and the deduplication window is shared), though wasteful.

use cirtkit_domain::Clock;
use cirtkit_feeds::{FeedMetrics, FeedSpec, RunOptions, collect, run_feed};
use cirtkit_service::Services;
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::watch;

/// Runs `spec` every interval until `stopped` turns true.
pub async fn run_on_schedule(
    services: Services,
    spec: FeedSpec,
    spool_dir: PathBuf,
    asn_table: PathBuf,
    metrics: FeedMetrics,
    mut stopped: watch::Receiver<bool>,
) {
    let Some(interval) = spec.interval() else { return };
    loop {
        let run = run_once(&services, &spec, &spool_dir, &asn_table, &metrics);
        tokio::select! {
            () = run => {}
            _ = stopped.changed() => return,
        }
        tokio::select! {
            () = tokio::time::sleep(interval.max(Duration::from_secs(1))) => {}
            _ = stopped.changed() => return,
        }
    }
}

/// One run of a feed, logged; its counts go to the metrics.
pub async fn run_once(
    services: &Services,
    spec: &FeedSpec,
    spool_dir: &std::path::Path,
    asn_table: &std::path::Path,
    metrics: &FeedMetrics,
) {
    let collected = match collect::collect_any(services.store(), spec, spool_dir).await {
        Ok(collected) => collected,
        Err(e) => {
            tracing::warn!(feed = %spec.name, error = %e, "feed collection failed");
            return;
        }
    };
    let collect::Collected { inputs, validators } = collected;
    // Read at every run, so that a new `cirtkit asn import` is used without a restart.
    let asn_table_path = asn_table;
    let asn_table = if spec.has_expert("asn") { crate::load_asn_table(asn_table) } else { None };
    let shadowserver_schema = asn_table_path_sibling_schema(asn_table_path);
    let options = RunOptions { actor: "system:feeds".into(), asn_table, shadowserver_schema, ..RunOptions::default() };
    let clock: &dyn Clock = services.clock();
    match run_feed(services.store(), spec, services.index(), clock, inputs, &options, None).await {
        Ok(report) => {
            if let Some(validators) = validators
                && let Err(e) = validators.keep_if_read(services.store(), &report).await
            {
                tracing::warn!(feed = %spec.name, error = %e, "cannot keep the download's validators");
            }
            metrics.observe(&report);
            tracing::info!(
                feed = %spec.name,
                read = report.read,
                stored = report.stored,
                duplicates = report.duplicates,
                quarantined = report.quarantined,
                seconds = report.seconds,
                error = report.error.as_deref().unwrap_or(""),
                "feed run"
            );
        }
        Err(e) => tracing::warn!(feed = %spec.name, error = %e, "feed run failed"),
    }
}

/// The Shadowserver schema kept in the same data directory as the AS table.
fn asn_table_path_sibling_schema(
    asn_table: &std::path::Path,
) -> Option<std::sync::Arc<cirtkit_pipeline::ShadowserverSchema>> {
    let dir = asn_table.parent()?;
    crate::load_shadowserver_schema(&dir.join("shadowserver-schema.json"))
}
