//! How fast a Shadowserver scan report is parsed and harmonised: a generated `scan_ssl`-shaped
//! CSV of 100,000 rows held in memory, read by the Shadowserver parser found from the file name,
//! every event built (sanitation, extra fields, raw line) and hashed for deduplication.
//! Figures go to docs/benchmarks.md ("Feed pipeline").

#![allow(clippy::unwrap_used, clippy::expect_used)]

use cirtkit_benches::Counting;
use cirtkit_pipeline::{FeedMeta, ParseContext, parser_for};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

const ROWS: usize = 100_000;

fn feed_parse(c: &mut Criterion) {
    let input = cirtkit_benches::ScanRdpReport::to_vec(ROWS);
    let parser = parser_for("shadowserver", &serde_json::Value::Null).unwrap();
    let ctx = ParseContext::with_feed(FeedMeta::default(), "2024-04-01T00:00:00Z".parse().unwrap())
        .with_file_name("2024-03-31-scan_rdp-at-geo.csv");
    // Sanity: every row becomes an event.
    let mut check = Counting::default();
    parser.parse(&mut &input[..], &ctx, &mut check).unwrap();
    assert_eq!((check.events, check.quarantined), (ROWS as u64, 0));

    let mut g = c.benchmark_group("feed_pipeline");
    g.throughput(Throughput::Elements(ROWS as u64));
    g.sample_size(10);
    g.bench_function("shadowserver_scan_rdp_100k/parse_harmonise_hash", |b| {
        b.iter(|| {
            let mut sink = Counting::default();
            parser.parse(&mut black_box(&input[..]), &ctx, &mut sink).unwrap();
            black_box(sink.hashes)
        })
    });
    g.finish();
}

criterion_group!(benches, feed_parse);
criterion_main!(benches);
