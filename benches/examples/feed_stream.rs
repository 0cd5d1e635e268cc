//! Streams a generated Shadowserver `scan_rdp` report through the parser, hashing every event
//! for deduplication, and prints the throughput. Used for the memory bound (peak RSS under
//! `/usr/bin/time -v`) and for instruction profiles (`valgrind --tool=callgrind`) in
//! docs/benchmarks.md ("Feed pipeline").
//!
//! `feed_stream [rows] [stream|memory]`: `stream` (the default) generates the report while it
//! is read, so the process holds one row of input at a time; `memory` builds it in memory
//! first, as the criterion bench does, and times the parse alone.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use cirtkit_benches::{Counting, ScanRdpReport};
use cirtkit_pipeline::{FeedMeta, ParseContext, parser_for};
use std::io::BufReader;
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let rows: usize = args.next().map_or(1_000_000, |a| a.replace('_', "").parse().expect("rows is a number"));
    let mode = args.next().unwrap_or_else(|| "stream".into());
    let parser = parser_for("shadowserver", &serde_json::Value::Null).unwrap();
    let ctx = ParseContext::with_feed(FeedMeta::default(), "2024-04-01T00:00:00Z".parse().unwrap())
        .with_file_name("2024-03-31-scan_rdp-at-geo.csv");
    let mut sink = Counting::default();
    let started;
    match mode.as_str() {
        "memory" => {
            let input = ScanRdpReport::to_vec(rows);
            started = Instant::now();
            parser.parse(&mut &input[..], &ctx, &mut sink).unwrap();
        }
        _ => {
            started = Instant::now();
            let mut input = BufReader::with_capacity(64 << 10, ScanRdpReport::new(rows));
            parser.parse(&mut input, &ctx, &mut sink).unwrap();
        }
    }
    let secs = started.elapsed().as_secs_f64();
    assert_eq!((sink.events, sink.quarantined), (rows as u64, 0));
    println!(
        "{mode}: {} events in {secs:.3} s = {:.0} events/s (hash fold {:016x})",
        sink.events,
        sink.events as f64 / secs,
        sink.hashes
    );
}
