//! What the experts cost per event: the AS table (100,000 prefixes, longest-prefix match), the
//! deduplication window, and a chain of the cheap experts over a batch, as the runtime runs it.
//! Figures go to docs/benchmarks.md ("Feed pipeline").

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Duration};
use cirtkit_benches::{SEED, addresses, netblocks};
use cirtkit_domain::ManualClock;
use cirtkit_pipeline::experts::{AsnTable, DedupWindow, ExpertChain, ExpertResources, expert_for};
use cirtkit_pipeline::{Event, Field, Value};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use std::fmt::Write;
use std::hint::black_box;
use std::sync::Arc;

const PREFIXES: usize = 100_000;
const BATCH: usize = 1000;

/// A pyasn IPASN file of the benchmark netblocks, each announced by an AS from its owner's id.
fn pyasn_text() -> String {
    let mut s = String::from("; IP-ASN32-DAT file\n");
    for (net, org) in netblocks(PREFIXES, SEED) {
        writeln!(s, "{net}\t{}", 64_000 + org.0).unwrap();
    }
    s
}

fn events(count: usize) -> Vec<Event> {
    let blocks = netblocks(PREFIXES, SEED);
    let at = DateTime::from_timestamp(1_704_067_200, 0).unwrap();
    addresses(&blocks, count, SEED + 1)
        .into_iter()
        .enumerate()
        .map(|(i, ip)| {
            let mut e = Event::default();
            e.set(Field::SourceIp, Value::Ip(ip)).unwrap();
            e.set(Field::SourcePort, Value::Port((i % 50_000) as u16)).unwrap();
            e.set(Field::TimeObservation, Value::Time(at)).unwrap();
            e.set(Field::TimeSource, Value::Time(at - Duration::hours(1))).unwrap();
            e.classify_as("scanner").unwrap();
            e
        })
        .collect()
}

fn asn(c: &mut Criterion) {
    let text = pyasn_text();
    let table = AsnTable::from_pyasn(text.as_bytes()).unwrap();
    let mut stored = Vec::new();
    table.write_to(&mut stored).unwrap();
    let probes = addresses(&netblocks(PREFIXES, SEED), BATCH, SEED + 1);
    let hits = probes.iter().filter(|ip| table.lookup(**ip).is_some()).count();
    eprintln!(
        "AS table: {} prefixes, {} bytes in memory, {} bytes stored; {hits} of {BATCH} probes hit",
        table.prefix_count(),
        table.memory_bytes(),
        stored.len()
    );

    let mut g = c.benchmark_group("asn");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.bench_function("lookup_1000_mixed", |b| {
        b.iter(|| probes.iter().filter_map(|ip| table.lookup(black_box(*ip))).map(|m| m.asn).sum::<u32>())
    });
    let clock = Arc::new(ManualClock::new(DateTime::UNIX_EPOCH));
    let mut resources = ExpertResources::new(clock);
    resources.asn_table = Some(Arc::new(table.clone()));
    let mut expert = expert_for("asn", &serde_json::Value::Null, &resources).unwrap();
    let batch = events(BATCH);
    g.bench_function("expert_1000_events", |b| {
        b.iter_batched_ref(
            || batch.clone(),
            |events| {
                for e in events.iter_mut() {
                    black_box(expert.process(e));
                }
            },
            BatchSize::SmallInput,
        )
    });
    g.throughput(Throughput::Elements(table.prefix_count() as u64));
    g.sample_size(10);
    g.bench_function("import_pyasn_100k", |b| b.iter(|| AsnTable::from_pyasn(black_box(text.as_bytes())).unwrap()));
    g.bench_function("read_binary_100k", |b| b.iter(|| AsnTable::read_from(black_box(&stored[..])).unwrap()));
    g.finish();
}

fn dedup(c: &mut Criterion) {
    let at = DateTime::from_timestamp(1_704_067_200, 0).unwrap();
    // A window already holding a million keys, as after a busy day.
    let mut full = DedupWindow::new(Duration::hours(24), 4_000_000);
    for k in 0..1_000_000u64 {
        full.check(k.wrapping_mul(0x9E37_79B9_7F4A_7C15), at);
    }
    eprintln!("dedup window: {} keys, {} bytes", full.len(), full.memory_bytes());
    // Half of the keys seen before, half new.
    let keys: Vec<u64> = (0..BATCH as u64)
        .map(|i| if i % 2 == 0 { i.wrapping_mul(0x9E37_79B9_7F4A_7C15) } else { u64::MAX - i })
        .collect();
    let mut g = c.benchmark_group("dedup");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.bench_function("window_check_1000_of_1m", |b| {
        b.iter_batched_ref(|| full.clone(), |w| keys.iter().filter(|k| w.check(**k, at)).count(), BatchSize::LargeInput)
    });
    let batch = events(BATCH);
    g.bench_function("event_hash_1000", |b| {
        b.iter(|| batch.iter().map(|e| e.dedup_hash(&Default::default())).fold(0, |a, h| a ^ h))
    });
    g.finish();
}

fn chain(c: &mut Criterion) {
    let table = AsnTable::from_pyasn(pyasn_text().as_bytes()).unwrap();
    let clock = Arc::new(ManualClock::new(DateTime::from_timestamp(1_704_067_200, 0).unwrap()));
    let mut resources = ExpertResources::new(clock);
    resources.asn_table = Some(Arc::new(table));
    let experts = ["sanitise", "bogons", "asn", "dedup"]
        .iter()
        .map(|name| expert_for(name, &serde_json::Value::Null, &resources).unwrap())
        .collect();
    let mut chain = ExpertChain::new(experts);
    let batch = events(BATCH);
    let mut g = c.benchmark_group("expert_chain");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.bench_function("sanitise_bogons_asn_dedup_1000", |b| {
        b.iter_batched_ref(
            || batch.clone(),
            |events| {
                let mut dropped = 0usize;
                chain.process_batch(events, &mut |_| dropped += 1);
                black_box(dropped)
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
    for (name, counters) in chain.counters() {
        let s = counters.snapshot();
        eprintln!(
            "{name}: {} received, {} emitted, {} dropped, {:.0} ns/event",
            s.received,
            s.emitted,
            s.dropped,
            s.nanoseconds as f64 / s.received.max(1) as f64
        );
    }
}

criterion_group!(benches, asn, dedup, chain);
criterion_main!(benches);
