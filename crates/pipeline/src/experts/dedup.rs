//! The `dedup` expert: drops an event when the same event (by `Event::dedup_hash`) was seen
//! within the window, 24 hours by default.
//!
//! The window is a hash map from the 64-bit key to the time the key was first seen in the
//! current window; a key seen again after the window has passed starts a new window (so a
//! condition that persists is reported once a window, as IntelMQ's deduplicator with its Redis
//! TTL does). Expired keys are swept every eighth of a window. Memory is bounded: a key costs 16
//! bytes plus hashbrown's control byte, and the table is at most 7/8 full and grows by doubling,
//! so 19 to 37 bytes a key; at `max_entries` (4 million by default, 75 – 150 MiB) the oldest
//! quarter is shed early. `entries` and `restore` let the runtime save the window across restarts.

use super::{Expert, ExpertResources, ExpertSpec, Verdict};
use crate::error::PipelineError;
use crate::event::{DedupKey, Event};
use chrono::{DateTime, Duration, Utc};
use cirtkit_domain::Clock;
use serde::Deserialize;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

pub(crate) static SPECS: &[ExpertSpec] = &[ExpertSpec {
    name: "dedup",
    description: "drops events already seen within the window (24 h by default)",
    build: build_dedup,
}];

/// The default bound on remembered keys.
pub const DEFAULT_MAX_ENTRIES: usize = 4_000_000;

/// The keys are already well-mixed hashes: hashing them again would only cost time.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// The keys seen within the window, each with when its window started (Unix milliseconds).
#[derive(Debug, Clone)]
pub struct DedupWindow {
    window_ms: i64,
    max_entries: usize,
    seen: HashMap<u64, i64, BuildHasherDefault<PassThrough>>,
    /// The latest time checked: expiry is judged against it, so that late events do not
    /// shorten others' windows.
    latest: i64,
    next_sweep: i64,
}

impl DedupWindow {
    /// A window of `window` (at least one millisecond) remembering at most `max_entries` keys.
    pub fn new(window: Duration, max_entries: usize) -> Self {
        Self {
            window_ms: window.num_milliseconds().max(1),
            max_entries: max_entries.max(1),
            seen: HashMap::default(),
            latest: i64::MIN,
            next_sweep: i64::MIN,
        }
    }

    pub fn window(&self) -> Duration {
        Duration::milliseconds(self.window_ms)
    }

    /// Whether `key` was seen within the window before `at`; remembers it either way.
    pub fn check(&mut self, key: u64, at: DateTime<Utc>) -> bool {
        let t = at.timestamp_millis();
        if t > self.latest {
            self.latest = t;
        }
        if self.latest >= self.next_sweep {
            self.evict_expired_at(self.latest);
            self.next_sweep = self.latest.saturating_add(self.window_ms / 8 + 1);
        }
        if self.seen.len() >= self.max_entries && !self.seen.contains_key(&key) {
            self.evict_expired_at(self.latest);
            if self.seen.len() >= self.max_entries {
                self.shed_oldest();
            }
        }
        match self.seen.entry(key) {
            Entry::Occupied(mut first) => {
                let since = t.saturating_sub(*first.get());
                if since.saturating_abs() < self.window_ms {
                    return true;
                }
                if since > 0 {
                    first.insert(t);
                }
                false
            }
            Entry::Vacant(v) => {
                v.insert(t);
                false
            }
        }
    }

    /// Forgets keys whose window has passed by `now`.
    pub fn evict_expired(&mut self, now: DateTime<Utc>) {
        self.evict_expired_at(now.timestamp_millis().max(self.latest));
    }

    fn evict_expired_at(&mut self, now: i64) {
        let window = self.window_ms;
        self.seen.retain(|_, first| now.saturating_sub(*first) < window);
    }

    /// Forgets the oldest quarter of the keys: the memory bound wins over the window. Keys that
    /// share the cut-off time are forgotten only as far as the quarter needs.
    fn shed_oldest(&mut self) {
        let mut times: Vec<i64> = self.seen.values().copied().collect();
        let quarter = times.len() / 4 + 1;
        let (older, cutoff, _) = times.select_nth_unstable(quarter - 1);
        let (cutoff, strictly_older) = (*cutoff, older.iter().filter(|t| **t < *cutoff).count());
        let mut at_cutoff = quarter - strictly_older;
        self.seen.retain(|_, first| {
            if *first < cutoff {
                return false;
            }
            if *first == cutoff && at_cutoff > 0 {
                at_cutoff -= 1;
                return false;
            }
            true
        });
    }

    pub fn len(&self) -> usize {
        self.seen.len()
    }

    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    /// Every remembered key with the start of its window, to be saved.
    pub fn entries(&self) -> impl Iterator<Item = (u64, DateTime<Utc>)> + '_ {
        self.seen.iter().filter_map(|(k, t)| DateTime::from_timestamp_millis(*t).map(|at| (*k, at)))
    }

    /// Takes back saved entries, leaving out those whose window has passed by `now`. Entries
    /// beyond `max_entries` are left out too, newest kept.
    pub fn restore(&mut self, entries: impl IntoIterator<Item = (u64, DateTime<Utc>)>, now: DateTime<Utc>) {
        let now_ms = now.timestamp_millis();
        self.latest = self.latest.max(now_ms);
        let mut fresh: Vec<(u64, i64)> = entries
            .into_iter()
            .map(|(k, t)| (k, t.timestamp_millis()))
            .filter(|(_, t)| now_ms.saturating_sub(*t) < self.window_ms)
            .collect();
        if fresh.len() > self.max_entries {
            fresh.sort_unstable_by_key(|(_, t)| std::cmp::Reverse(*t));
            fresh.truncate(self.max_entries);
        }
        for (k, t) in fresh {
            let slot = self.seen.entry(k).or_insert(t);
            *slot = (*slot).max(t);
        }
    }

    /// Bytes held by the table, from its capacity.
    pub fn memory_bytes(&self) -> usize {
        self.seen.capacity() * (std::mem::size_of::<(u64, i64)>() + 1)
    }
}

/// Which time places an event in the window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TimeBasis {
    /// `time.observation` (when cirtkit took the event in); the clock when absent.
    #[default]
    Observation,
    /// `time.source` (when the feed saw it); the clock when absent.
    Source,
    /// The clock: replayed archives are then deduplicated against today.
    Clock,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct DedupOptions {
    /// The window in seconds (default 86400).
    window_seconds: u64,
    /// The key's fields; every field but `time.observation` and `raw` when absent.
    fields: Option<Vec<String>>,
    /// With `fields`: also hash `extra.*` (default false).
    with_extra: bool,
    time: TimeBasis,
    max_entries: usize,
}

impl Default for DedupOptions {
    fn default() -> Self {
        Self {
            window_seconds: 86_400,
            fields: None,
            with_extra: false,
            time: TimeBasis::Observation,
            max_entries: DEFAULT_MAX_ENTRIES,
        }
    }
}

/// Drops events seen within the window.
pub struct DedupExpert {
    window: DedupWindow,
    key: DedupKey,
    time: TimeBasis,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for DedupExpert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DedupExpert").field("window", &self.window.window()).field("key", &self.key).finish()
    }
}

fn build_dedup(options: &serde_json::Value, resources: &ExpertResources) -> Result<Box<dyn Expert>, PipelineError> {
    Ok(Box::new(DedupExpert::from_options(options, resources)?))
}

impl DedupExpert {
    /// The expert as its options declare it (`null` for the defaults), as a value of its own
    /// type: the feed runtime keeps it apart from the other experts, to save its window.
    pub fn from_options(options: &serde_json::Value, resources: &ExpertResources) -> Result<Self, PipelineError> {
        let o: DedupOptions = super::options("dedup", options)?;
    let seconds = i64::try_from(o.window_seconds)
        .ok()
        .filter(|s| (1..=366 * 86_400).contains(s))
        .ok_or_else(|| super::config("dedup", "window_seconds is 1 to 31622400 (366 days)"))?;
    let key = match &o.fields {
        None => DedupKey::AllButObservation,
        Some(names) if names.is_empty() => return Err(super::config("dedup", "the list of key fields is empty")),
        Some(names) => DedupKey::Fields { fields: super::fields("dedup", names)?, with_extra: o.with_extra },
    };
    let mut expert = DedupExpert::new(Duration::seconds(seconds), resources.clock.clone());
    expert.window = DedupWindow::new(Duration::seconds(seconds), o.max_entries);
    expert.key = key;
    expert.time = o.time;
    Ok(expert)
    }
}

impl DedupExpert {
    /// Every field but `time.observation` and `raw`, placed by `time.observation`.
    pub fn new(window: Duration, clock: Arc<dyn Clock>) -> Self {
        Self {
            window: DedupWindow::new(window, DEFAULT_MAX_ENTRIES),
            key: DedupKey::AllButObservation,
            time: TimeBasis::Observation,
            clock,
        }
    }

    pub fn window(&self) -> &DedupWindow {
        &self.window
    }

    /// To restore saved entries.
    pub fn window_mut(&mut self) -> &mut DedupWindow {
        &mut self.window
    }

    /// Which time places an event in the window.
    pub fn time_basis(&self) -> TimeBasis {
        self.time
    }

    /// The event's deduplication key, by the expert's key fields.
    pub fn hash(&self, event: &Event) -> u64 {
        event.dedup_hash(&self.key)
    }

    /// Whether the key was seen within the window before `at`; remembered either way. With
    /// [`DedupExpert::hash`], what `process` does, for a runtime that keeps the key it hashed.
    pub fn check(&mut self, hash: u64, at: DateTime<Utc>) -> bool {
        self.window.check(hash, at)
    }
}

impl Expert for DedupExpert {
    fn name(&self) -> &'static str {
        "dedup"
    }

    fn process(&mut self, event: &mut Event) -> Verdict {
        let at = match self.time {
            TimeBasis::Observation => event.time_observation(),
            TimeBasis::Source => event.time_source(),
            TimeBasis::Clock => None,
        }
        .unwrap_or_else(|| self.clock.now());
        if self.window.check(event.dedup_hash(&self.key), at) {
            Verdict::drop("expert.duplicate", "the same event was seen within the deduplication window")
        } else {
            Verdict::Keep
        }
    }

    fn as_any_mut(&mut self) -> Option<&mut dyn std::any::Any> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Field;
    use cirtkit_domain::ManualClock;

    fn t(h: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + h * 3600, 0).unwrap()
    }

    #[test]
    fn once_a_window() {
        let mut w = DedupWindow::new(Duration::hours(24), 100);
        assert!(!w.check(1, t(0)));
        assert!(w.check(1, t(23)));
        assert!(!w.check(1, t(24)), "a new window");
        assert!(w.check(1, t(47)));
        assert!(w.check(1, t(30)), "a late event within the current window");
        assert!(!w.check(2, t(47)));
        assert!(!w.check(3, t(100)));
        assert_eq!(w.len(), 1, "the others expired and were swept");
    }

    #[test]
    fn memory_is_bounded() {
        let mut w = DedupWindow::new(Duration::hours(24), 1000);
        for k in 0..10_000u64 {
            w.check(k, t(0) + Duration::seconds(k as i64));
        }
        assert!(w.len() <= 1000, "{}", w.len());
        assert!(w.check(9_999, t(1)), "the newest are kept");
        let mut same = DedupWindow::new(Duration::hours(24), 100);
        for k in 0..101u64 {
            same.check(k, t(0));
        }
        assert_eq!(same.len(), 75, "a quarter shed, then the new key, though all share one time");
    }

    #[test]
    fn entries_restore_into_a_new_window() {
        let mut w = DedupWindow::new(Duration::hours(24), 100);
        w.check(1, t(0));
        w.check(2, t(10));
        let saved: Vec<_> = w.entries().collect();
        let mut back = DedupWindow::new(Duration::hours(24), 100);
        back.restore(saved, t(25));
        assert_eq!(back.len(), 1, "key 1's window had passed");
        assert!(back.check(2, t(26)));
        assert!(!back.check(1, t(26)));
    }

    #[test]
    fn the_expert_uses_observation_time_or_the_clock() {
        let clock = Arc::new(ManualClock::new(t(0)));
        let res = ExpertResources::new(clock.clone());
        let mut x = build_dedup(&serde_json::json!({"fields": ["source.ip"], "window_seconds": 3600}), &res).unwrap();
        let mut e = Event::default();
        e.add(Field::SourceIp, "192.0.2.1").unwrap();
        assert_eq!(x.process(&mut e.clone()), Verdict::Keep);
        e.add(Field::SourcePort, "80").unwrap();
        assert!(matches!(x.process(&mut e.clone()), Verdict::Drop(r) if r.code == "expert.duplicate"));
        clock.advance(Duration::hours(2));
        assert_eq!(x.process(&mut e), Verdict::Keep);
        let mut chain = super::super::ExpertChain::new(vec![x]);
        assert_eq!(chain.find_mut::<DedupExpert>().unwrap().window().len(), 1);
        assert!(build_dedup(&serde_json::json!({"window_seconds": 0}), &res).is_err());
        assert!(build_dedup(&serde_json::json!({"fields": ["nope"]}), &res).is_err());
    }
}
