//! Experts: what is done to each harmonised event between its parser and the store. An expert
//! is a struct (its configuration and state) and one [`Expert::process`]; it may change the
//! event, and keeps it or drops it with a reason. The built-ins are the RSIT check, the
//! constituency lookup and deduplication; more (ASN, GeoIP, bogon filters) plug into the same
//! trait.

use chrono::{DateTime, Duration, Utc};
use cirtkit_domain::{Asn, ConstituencyIndex, DomainName};
use cirtkit_pipeline::{DedupKey, Event};
use std::collections::HashMap;
use std::sync::Arc;

/// What an expert decides about an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Keep,
    /// Not stored; the reason is a short stable word, counted per reason.
    Drop(&'static str),
}

/// One step of the pipeline after the parser.
pub trait Expert: Send + std::fmt::Debug {
    /// The name used in a feed's `experts` list and in metrics.
    fn name(&self) -> &'static str;

    fn process(&mut self, event: &mut Event) -> Verdict;
}

/// One of the pipeline library's experts (`cirtkit_pipeline::experts`: `asn`, `bogons`…) in a
/// feed's chain.
pub struct Library {
    inner: Box<dyn cirtkit_pipeline::experts::Expert>,
}

impl Library {
    pub fn new(inner: Box<dyn cirtkit_pipeline::experts::Expert>) -> Self {
        Self { inner }
    }
}

impl std::fmt::Debug for Library {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Library").field("expert", &self.inner.name()).finish()
    }
}

impl Expert for Library {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn process(&mut self, event: &mut Event) -> Verdict {
        match self.inner.process(event) {
            cirtkit_pipeline::experts::Verdict::Keep => Verdict::Keep,
            cirtkit_pipeline::experts::Verdict::Drop(reason) => Verdict::Drop(reason.code),
        }
    }
}

/// Drops events that have no RSIT classification (neither a type nor a taxonomy).
#[derive(Debug, Default)]
pub struct RsitCheck;

impl Expert for RsitCheck {
    fn name(&self) -> &'static str {
        "rsit"
    }

    fn process(&mut self, event: &mut Event) -> Verdict {
        if event.rsit().is_some() { Verdict::Keep } else { Verdict::Drop("unclassified") }
    }
}

/// The key under which the constituency expert writes the owner's organisation id.
pub const ORGANISATION_KEY: &str = "organisation";

/// Finds the constituent that owns the event's source: by `source.ip` (most specific
/// netblock), or else `source.fqdn` (longest registered domain), or else `source.asn`; sets
/// `extra.organisation` to its id. Never drops.
#[derive(Debug)]
pub struct Constituency {
    index: Arc<ConstituencyIndex>,
}

impl Constituency {
    pub fn new(index: Arc<ConstituencyIndex>) -> Self {
        Self { index }
    }
}

impl Expert for Constituency {
    fn name(&self) -> &'static str {
        "constituency"
    }

    fn process(&mut self, event: &mut Event) -> Verdict {
        let found = event
            .source_ip()
            .and_then(|ip| self.index.lookup_ip(ip))
            .or_else(|| {
                let domain: DomainName = event.source_fqdn()?.parse().ok()?;
                self.index.lookup_domain(&domain)
            })
            .or_else(|| self.index.lookup_asn(Asn::new(event.source_asn()?)));
        if let Some(m) = found {
            // A number always fits `extra.*`: this cannot fail.
            let _ = event.set_extra(ORGANISATION_KEY, serde_json::Value::from(m.organisation.0));
        }
        Verdict::Keep
    }
}

/// The organisation id the constituency expert set, if any.
pub fn organisation_of(event: &Event) -> Option<i64> {
    event.extra_value(ORGANISATION_KEY).and_then(|v| v.to_json().as_i64())
}

/// Deduplication: an event whose key (by default every field but `time.observation` and `raw`,
/// see `Event::dedup_hash`) was stored less than `window` before its observation is a duplicate.
/// The window is the store's `dedup_seen` table, loaded at the start of a run and kept in step
/// with every event stored, so it holds across restarts.
#[derive(Debug)]
pub struct Dedup {
    key: DedupKey,
    window: Duration,
    seen: HashMap<u64, DateTime<Utc>>,
}

impl Dedup {
    /// A window loaded with keys stored before (hash, when stored).
    pub fn new(window: Duration, seen: impl IntoIterator<Item = (u64, DateTime<Utc>)>) -> Self {
        Self { key: DedupKey::default(), window, seen: seen.into_iter().collect() }
    }

    pub fn window(&self) -> Duration {
        self.window
    }

    pub fn hash(&self, event: &Event) -> u64 {
        event.dedup_hash(&self.key)
    }

    /// Whether an event with this key, observed at `at`, is a duplicate; if not, it is
    /// remembered as stored at `at`.
    pub fn check(&mut self, hash: u64, at: DateTime<Utc>) -> bool {
        match self.seen.get(&hash) {
            Some(stored) if at - *stored < self.window && *stored <= at => true,
            _ => {
                self.seen.insert(hash, at);
                false
            }
        }
    }

    /// Forgets keys that fell out of the window before `now` (keeps memory bounded).
    pub fn prune(&mut self, now: DateTime<Utc>) {
        let window = self.window;
        self.seen.retain(|_, t| now - *t < window);
    }

    pub fn len(&self) -> usize {
        self.seen.len()
    }

    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }
}

impl Expert for Dedup {
    fn name(&self) -> &'static str {
        "dedup"
    }

    fn process(&mut self, event: &mut Event) -> Verdict {
        let Some(at) = event.time_observation() else { return Verdict::Keep };
        let h = self.hash(event);
        if self.check(h, at) { Verdict::Drop("duplicate") } else { Verdict::Keep }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use cirtkit_domain::{ManualClock, OrganisationId};
    use cirtkit_pipeline::{Collected, ParseContext, parser_for};

    fn events(text: &str) -> Vec<Event> {
        let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap());
        let parser = parser_for("blocklistde", &serde_json::Value::Null).unwrap();
        let ctx = ParseContext::new("blocklist.de", &clock).with_file_name("ssh.txt");
        let mut out = Collected::default();
        parser.parse(&mut text.as_bytes(), &ctx, &mut out).unwrap();
        out.events
    }

    #[test]
    fn the_constituency_sets_the_owner_by_address() {
        let mut b = ConstituencyIndex::builder();
        b.netblock("192.0.2.0/24".parse().unwrap(), OrganisationId(4));
        let mut expert = Constituency::new(Arc::new(b.build()));
        let mut all = events("192.0.2.9\n198.51.100.1\n");
        assert_eq!(expert.process(&mut all[0]), Verdict::Keep);
        assert_eq!(expert.process(&mut all[1]), Verdict::Keep);
        assert_eq!(organisation_of(&all[0]), Some(4));
        assert_eq!(organisation_of(&all[1]), None);
    }

    #[test]
    fn duplicates_within_the_window_are_dropped_and_later_ones_kept() {
        let mut all = events("192.0.2.9\n192.0.2.9\n192.0.2.10\n");
        let mut dedup = Dedup::new(Duration::hours(24), []);
        let verdicts: Vec<Verdict> = all.iter_mut().map(|e| dedup.process(e)).collect();
        assert_eq!(verdicts, [Verdict::Keep, Verdict::Drop("duplicate"), Verdict::Keep]);
        let t0 = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
        let h = dedup.hash(&all[0]);
        assert!(dedup.check(h, t0 + Duration::hours(23)));
        assert!(!dedup.check(h, t0 + Duration::hours(24)), "out of the window: stored again");
        let mut reloaded = Dedup::new(Duration::hours(24), [(h, t0 + Duration::hours(24))]);
        assert!(reloaded.check(h, t0 + Duration::hours(30)), "a reloaded window holds");
        reloaded.prune(t0 + Duration::hours(49));
        assert!(reloaded.is_empty());
    }

    #[test]
    fn unclassified_events_are_dropped() {
        let mut e = Event::default();
        assert_eq!(RsitCheck.process(&mut e), Verdict::Drop("unclassified"));
        let mut all = events("192.0.2.9\n");
        assert_eq!(RsitCheck.process(&mut all[0]), Verdict::Keep);
    }
}
