//! The declared feeds as the services see them, and re-running a feed's quarantine after its
//! declaration was fixed (from the Feeds page or the API). The wiring hands the services the
//! feeds and how a run of one is set up (`Services::set_feeds`); without it, re-runs answer that
//! no feed is declared.

use crate::{Principal, Result, ServiceError, Services};
use cirtkit_domain::Permission;
use cirtkit_feeds::{FeedError, FeedSpec, RerunReport, RunOptions};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

/// How a run of a feed is set up for an actor (`user:amina`): its AS table and schema, loaded
/// as scheduled runs load them.
pub type RunOptionsFor = Arc<dyn Fn(&FeedSpec, String) -> RunOptions + Send + Sync>;

/// The feeds of the configuration, and how to run them.
#[derive(Clone)]
pub struct FeedSetup {
    pub feeds: Vec<FeedSpec>,
    pub run_options: RunOptionsFor,
}

impl std::fmt::Debug for FeedSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FeedSetup").field("feeds", &self.feeds.iter().map(|f| &f.name).collect::<Vec<_>>()).finish()
    }
}

/// The feeds whose quarantine is being re-run in this process: a second re-run of one of them
/// is refused while the first goes on (the store refuses it across processes).
#[derive(Debug, Default)]
pub(crate) struct Reruns(Mutex<HashSet<String>>);

/// Marks a feed's re-run as under way until dropped.
struct Running<'a> {
    reruns: &'a Reruns,
    feed: String,
}

impl Reruns {
    fn start(&self, feed: &str) -> Option<Running<'_>> {
        let mut running = self.0.lock().unwrap_or_else(|e| e.into_inner());
        running.insert(feed.to_owned()).then(|| Running { reruns: self, feed: feed.to_owned() })
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.reruns.0.lock().unwrap_or_else(|e| e.into_inner()).remove(&self.feed);
    }
}

impl Services {
    /// Lets the services re-run feeds' quarantine (the wiring calls it with the configuration's feeds).
    pub fn set_feeds(&self, setup: FeedSetup) {
        match self.inner.feeds.write() {
            Ok(mut g) => *g = Some(setup),
            Err(e) => *e.into_inner() = Some(setup),
        }
    }

    fn feed_setup(&self) -> Option<FeedSetup> {
        self.inner.feeds.read().map(|g| g.clone()).unwrap_or_else(|e| e.into_inner().clone())
    }

    /// The names of the declared feeds.
    pub fn feed_names(&self) -> Vec<String> {
        let names = |s: &Option<FeedSetup>| s.iter().flat_map(|s| s.feeds.iter().map(|f| f.name.clone())).collect();
        self.inner.feeds.read().map(|g| names(&g)).unwrap_or_else(|e| names(&e.into_inner()))
    }

    /// Parses the feed's quarantined records again with its current declaration: those that
    /// now parse are stored (through its experts and deduplication) and leave the quarantine,
    /// the others stay with their new reason. For those who handle incidents.
    pub async fn rerun_quarantine(&self, who: &Principal, feed: &str) -> Result<RerunReport> {
        who.require(Permission::EditIncidents)?;
        let setup = self.feed_setup().unwrap_or_else(|| FeedSetup { feeds: Vec::new(), run_options: no_options() });
        let Some(spec) = setup.feeds.iter().find(|f| f.name == feed) else {
            let known: Vec<&str> = setup.feeds.iter().map(|f| f.name.as_str()).collect();
            return Err(ServiceError::NotFound(if known.is_empty() {
                format!("no feed is named {feed:?}: no feeds are declared ([[feeds]] in cirtkit.toml)")
            } else {
                format!("no feed is named {feed:?}; declared: {}", known.join(", "))
            }));
        };
        let Some(_running) = self.inner.reruns.start(feed) else {
            return Err(ServiceError::Conflict(format!(
                "the quarantine of {feed:?} is being re-run already: try again when it is done"
            )));
        };
        let options = (setup.run_options)(spec, who.actor());
        cirtkit_feeds::rerun_quarantine(self.store(), spec, self.index(), self.clock(), &options).await.map_err(|e| {
            match e {
                FeedError::Storage(s) => ServiceError::from(s),
                // The declaration cannot be used as it is (a file it names is gone, …): the
                // handler fixes cirtkit.toml, as for a run.
                FeedError::Config { .. } | FeedError::Pipeline(_) => {
                    ServiceError::Conflict(format!("the feed's declaration cannot be used: {e}"))
                }
                other => ServiceError::Storage(cirtkit_storage::StorageError::Database(other.to_string())),
            }
        })
    }
}

fn no_options() -> RunOptionsFor {
    Arc::new(|_, actor| RunOptions { actor, ..RunOptions::default() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ServiceSettings;
    use chrono::TimeZone;
    use cirtkit_domain::{Clock, ManualClock};
    use cirtkit_storage::{ConnectOptions, DatabaseUrl, Store};

    /// Quarantined under a wrong option, fixed, re-run: stored once, the quarantine empty.
    #[tokio::test]
    async fn a_handler_reruns_a_fixed_feeds_quarantine() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&DatabaseUrl::sqlite_file(&dir.path().join("t.db")), &ConnectOptions::default())
            .await
            .unwrap();
        let clock = Arc::new(ManualClock::new(chrono::Utc.with_ymd_and_hms(2026, 5, 4, 8, 0, 0).unwrap()));
        store.migrate(clock.now()).await.unwrap();
        let s = Services::new(store, clock.clone(), ServiceSettings::default()).await.unwrap();
        let file = dir.path().join("scan.csv");
        std::fs::write(&file, "ip,port\n192.0.2.1,ssh\n192.0.2.2,telnet\n").unwrap();
        let mut spec = FeedSpec::one_off("scan", "csv");
        spec.experts = vec!["dedup".into()];
        spec.options = serde_json::from_value(serde_json::json!({
            "header_map": {"ip": "source.ip", "port": "source.port"},
            "constant": {"classification.type": "scanner"}
        }))
        .unwrap();
        let inputs = vec![cirtkit_feeds::collect::Input::file(&file)];
        let r = cirtkit_feeds::run_feed(s.store(), &spec, s.index(), s.clock(), inputs, &RunOptions::default(), None)
            .await
            .unwrap();
        assert_eq!((r.stored, r.quarantined), (0, 2));
        let operator = Principal::Operator("test".into());
        let err = s.rerun_quarantine(&operator, "scan").await.unwrap_err();
        assert!(matches!(err, ServiceError::NotFound(_)), "{err}");

        spec.options = serde_json::from_value(serde_json::json!({
            "header_map": {"ip": "source.ip", "port": "extra.service"},
            "constant": {"classification.type": "scanner"}
        }))
        .unwrap();
        s.set_feeds(FeedSetup { feeds: vec![spec], run_options: no_options() });
        assert_eq!(s.feed_names(), ["scan"]);
        let _running = s.inner.reruns.start("scan").unwrap();
        assert!(matches!(s.rerun_quarantine(&operator, "scan").await, Err(ServiceError::Conflict(_))));
        drop(_running);
        let report = s.rerun_quarantine(&operator, "scan").await.unwrap();
        assert_eq!((report.released, report.stored, report.still_quarantined), (2, 2, 0));
        assert!(s.quarantine(&operator, Some("scan"), None, 10).await.unwrap().items.is_empty());
        assert_eq!(s.store().counts().await.unwrap().events, 2);
        let entries = s.store().audit_entries(5).await.unwrap();
        assert!(entries.iter().any(|e| e.action == "feed.quarantine_rerun" && e.actor == "cli:test"), "{entries:?}");
    }
}
