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
    let cpu_started;
    match mode.as_str() {
        "memory" => {
            let input = ScanRdpReport::to_vec(rows);
            started = Instant::now();
            cpu_started = cpu_seconds();
            parser.parse(&mut &input[..], &ctx, &mut sink).unwrap();
        }
        _ => {
            started = Instant::now();
            cpu_started = cpu_seconds();
            let mut input = BufReader::with_capacity(64 << 10, ScanRdpReport::new(rows));
            parser.parse(&mut input, &ctx, &mut sink).unwrap();
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu_started;
    assert_eq!((sink.events, sink.quarantined), (rows as u64, 0));
    println!(
        "{mode}: {} events in {secs:.3} s wall = {:.0} events/s; {cpu:.2} s on the CPU = {:.0} events per CPU second (hash fold {:016x})",
        sink.events,
        sink.events as f64 / secs,
        sink.events as f64 / cpu,
        sink.hashes
    );
}

/// The CPU time this process has used (user and system), from /proc: on a machine shared with
/// other builds, events per CPU second say more than events per wall second. 0 elsewhere.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name, which is in parentheses and may hold spaces.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name; the kernel
    // counts them in USER_HZ, 100 a second on Linux.
    (ticks(11) + ticks(12)) / 100.0
}
