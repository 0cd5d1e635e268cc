//! The feeds inside `cirtkit serve`: each feed with an `interval_secs` runs on its schedule (the
//! first run right after start), one run at a time per feed, and its counts go to `/metrics` as
//! each batch commits. What the source is told once the run has read its files (an HTTP
//! download's validators kept, a mailbox's messages marked) is settled by
//! [`cirtkit_feeds::run_collected`], as for `cirtkit feed run`.
//! A run that fails is logged and tried again at the next interval; on shutdown the run in hand
//! stops between batches (what it committed stays, and the next start resumes the file).
//!
//! Several nodes on one PostgreSQL may run the same feed: the store makes that safe (a file's
//! content is recorded once, and the deduplication window is shared), though wasteful.

use cirtkit_domain::Clock;
use cirtkit_feeds::{FeedMetrics, FeedSpec, RunOptions, collect, run_collected};
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
    let live = metrics.live(&spec.name);
    let collected = match collect::collect_any(services.store(), spec, spool_dir).await {
        Ok(collected) => collected,
        Err(e) => {
            live.failed();
            tracing::warn!(feed = %spec.name, error = %e, "feed collection failed");
            return;
        }
    };
    // Read at every run, so that a new `cirtkit asn import` is used without a restart.
    let asn_table_path = asn_table;
    let asn_table = if spec.has_expert("asn") { crate::load_asn_table(asn_table) } else { None };
    let shadowserver_schema = asn_table_path_sibling_schema(asn_table_path);
    let options = RunOptions {
        actor: "system:feeds".into(),
        asn_table,
        shadowserver_schema,
        live: Some(live),
        ..RunOptions::default()
    };
    let clock: &dyn Clock = services.clock();
    match run_collected(services.store(), spec, services.index(), clock, collected, &options, None).await {
        Ok(run) if run.not_modified => {
            tracing::info!(feed = %spec.name, "feed run: not modified since the last download, nothing to read");
        }
        Ok(run) => {
            let report = &run.report;
            tracing::info!(
                feed = %spec.name,
                read = report.read,
                stored = report.stored,
                duplicates = report.duplicates,
                quarantined = report.quarantined,
                seconds = report.seconds,
                mail_marked = run.marked,
                mail_set_aside = run.set_aside.len(),
                error = report.error.as_deref().unwrap_or(""),
                "feed run"
            );
            if report.stored > 0 {
                services.hand_off_after_run(&spec.name).await;
            }
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
