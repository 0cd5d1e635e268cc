//! Runs experts in order and counts, per expert, what it received, emitted, dropped and failed,
//! and the time it took: the figures the runtime exports at `/metrics`.
//!
//! Batches are processed expert by expert (every event through the first expert, then the
//! survivors through the second, …), so that the clock is read twice per expert and batch rather
//! than twice per event: reading a monotonic clock costs about as much as a cheap expert.

use super::{DropReason, Expert, Verdict};
use crate::event::Event;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// One expert's counters, shared with the metrics exporter. Relaxed atomics: each is a
/// monotonic total read now and then, never used to order other memory.
#[derive(Debug, Default)]
pub struct ExpertCounters {
    received: AtomicU64,
    emitted: AtomicU64,
    dropped: AtomicU64,
    failed: AtomicU64,
    nanoseconds: AtomicU64,
}

/// The counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CountersSnapshot {
    /// Events given to the expert.
    pub received: u64,
    /// Events it kept.
    pub emitted: u64,
    /// Events it filtered out on purpose (duplicates, bogons, rules).
    pub dropped: u64,
    /// Events it could not process, and so dropped.
    pub failed: u64,
    /// Time spent in the expert, in nanoseconds.
    pub nanoseconds: u64,
}

impl ExpertCounters {
    pub fn snapshot(&self) -> CountersSnapshot {
        CountersSnapshot {
            received: self.received.load(Ordering::Relaxed),
            emitted: self.emitted.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            nanoseconds: self.nanoseconds.load(Ordering::Relaxed),
        }
    }

    fn add(&self, batch: &CountersSnapshot) {
        self.received.fetch_add(batch.received, Ordering::Relaxed);
        self.emitted.fetch_add(batch.emitted, Ordering::Relaxed);
        self.dropped.fetch_add(batch.dropped, Ordering::Relaxed);
        self.failed.fetch_add(batch.failed, Ordering::Relaxed);
        self.nanoseconds.fetch_add(batch.nanoseconds, Ordering::Relaxed);
    }
}

/// An event an expert dropped, and why.
#[derive(Debug, Clone)]
pub struct DroppedEvent {
    pub expert: &'static str,
    pub reason: DropReason,
    pub event: Event,
}

struct Stage {
    expert: Box<dyn Expert>,
    counters: Arc<ExpertCounters>,
}

/// Experts in the order they run, each with its counters.
pub struct ExpertChain {
    stages: Vec<Stage>,
    /// The survivors' buffer, kept between batches so that a batch allocates nothing.
    spare: Vec<Event>,
}

impl std::fmt::Debug for ExpertChain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.stages.iter().map(|s| s.expert.name())).finish()
    }
}

impl ExpertChain {
    pub fn new(experts: Vec<Box<dyn Expert>>) -> Self {
        let stages =
            experts.into_iter().map(|expert| Stage { expert, counters: Arc::new(ExpertCounters::default()) }).collect();
        Self { stages, spare: Vec::new() }
    }

    /// Builds the experts named in a configuration, in order, each with its options. Every
    /// mistake is reported, not only the first.
    pub fn from_config(
        stages: &[(String, serde_json::Value)],
        resources: &super::ExpertResources,
    ) -> Result<Self, Vec<crate::PipelineError>> {
        let (mut experts, mut errors) = (Vec::new(), Vec::new());
        for (name, options) in stages {
            match super::expert_for(name, options, resources) {
                Ok(e) => experts.push(e),
                Err(e) => errors.push(e),
            }
        }
        if errors.is_empty() { Ok(Self::new(experts)) } else { Err(errors) }
    }

    /// Every expert's name and counters, in order, for the metrics exporter.
    pub fn counters(&self) -> Vec<(&'static str, Arc<ExpertCounters>)> {
        self.stages.iter().map(|s| (s.expert.name(), s.counters.clone())).collect()
    }

    /// The first expert of this type, to save or restore its state.
    pub fn find_mut<T: 'static>(&mut self) -> Option<&mut T> {
        self.stages.iter_mut().find_map(|s| s.expert.as_any_mut().and_then(|a| a.downcast_mut::<T>()))
    }

    /// Runs one event through every expert, stopping at the first that drops it.
    pub fn process(&mut self, event: &mut Event) -> Verdict {
        for stage in &mut self.stages {
            let start = Instant::now();
            let verdict = stage.expert.process(event);
            let mut batch = CountersSnapshot { received: 1, nanoseconds: elapsed(start), ..Default::default() };
            count(&mut batch, &verdict);
            stage.counters.add(&batch);
            if let Verdict::Drop(_) = verdict {
                return verdict;
            }
        }
        Verdict::Keep
    }

    /// Runs a batch through every expert. The survivors stay in `events`, in order; the dropped
    /// ones go to `dropped`.
    pub fn process_batch(&mut self, events: &mut Vec<Event>, dropped: &mut dyn FnMut(DroppedEvent)) {
        for stage in &mut self.stages {
            if events.is_empty() {
                break;
            }
            let start = Instant::now();
            let mut batch = CountersSnapshot::default();
            self.spare.clear();
            self.spare.reserve(events.len());
            for mut event in events.drain(..) {
                batch.received += 1;
                let verdict = stage.expert.process(&mut event);
                count(&mut batch, &verdict);
                match verdict {
                    Verdict::Keep => self.spare.push(event),
                    Verdict::Drop(reason) => dropped(DroppedEvent { expert: stage.expert.name(), reason, event }),
                }
            }
            std::mem::swap(events, &mut self.spare);
            batch.nanoseconds = elapsed(start);
            stage.counters.add(&batch);
        }
    }
}

fn count(batch: &mut CountersSnapshot, verdict: &Verdict) {
    match verdict {
        Verdict::Keep => batch.emitted += 1,
        Verdict::Drop(r) if r.failure => batch.failed += 1,
        Verdict::Drop(_) => batch.dropped += 1,
    }
}

fn elapsed(start: Instant) -> u64 {
    u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Field;

    /// Drops events whose port is odd; fails on port 13.
    struct OddPorts;

    impl Expert for OddPorts {
        fn name(&self) -> &'static str {
            "odd"
        }

        fn process(&mut self, event: &mut Event) -> Verdict {
            match event.get(Field::SourcePort) {
                Some(crate::Value::Port(13)) => Verdict::Drop(DropReason::failure("test.unlucky", "13")),
                Some(crate::Value::Port(p)) if p % 2 == 1 => Verdict::drop("test.odd", "odd"),
                _ => Verdict::Keep,
            }
        }
    }

    #[test]
    fn a_batch_keeps_order_and_counts() {
        let mut chain = ExpertChain::new(vec![Box::new(OddPorts)]);
        let mut events: Vec<Event> = (10..20)
            .map(|p| {
                let mut e = Event::default();
                e.add(Field::SourcePort, &p.to_string()).unwrap();
                e
            })
            .collect();
        let mut gone = Vec::new();
        chain.process_batch(&mut events, &mut |d| gone.push(d));
        let ports: Vec<_> = events.iter().map(|e| e.get(Field::SourcePort).unwrap().to_string()).collect();
        assert_eq!(ports, ["10", "12", "14", "16", "18"]);
        assert_eq!(gone.len(), 5);
        assert_eq!(gone[0].expert, "odd");
        let (name, counters) = &chain.counters()[0];
        assert_eq!(*name, "odd");
        let s = counters.snapshot();
        assert_eq!((s.received, s.emitted, s.dropped, s.failed), (10, 5, 4, 1));
        let mut e = Event::default();
        e.add(Field::SourcePort, "11").unwrap();
        assert!(matches!(chain.process(&mut e), Verdict::Drop(r) if r.code == "test.odd"));
        assert_eq!(counters.snapshot().received, 11);
    }

    #[test]
    fn a_configuration_reports_every_mistake() {
        let clock = std::sync::Arc::new(cirtkit_domain::ManualClock::new(chrono::DateTime::UNIX_EPOCH));
        let res = super::super::ExpertResources::new(clock);
        let ok = [("sanitise".to_owned(), serde_json::Value::Null), ("bogons".to_owned(), serde_json::Value::Null)];
        assert_eq!(format!("{:?}", ExpertChain::from_config(&ok, &res).unwrap()), r#"["sanitise", "bogons"]"#);
        let bad = [("asn".to_owned(), serde_json::Value::Null), ("nope".to_owned(), serde_json::Value::Null)];
        let errors = ExpertChain::from_config(&bad, &res).unwrap_err();
        let codes: Vec<_> = errors.iter().map(|e| e.code()).collect();
        assert_eq!(codes, ["pipeline.expert_config", "pipeline.expert_unknown"]);
    }
}
