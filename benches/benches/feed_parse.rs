//! How fast a Shadowserver scan report is parsed and harmonised: a generated `scan_ssl`-shaped
//! CSV of 100,000 rows held in memory, read by the Shadowserver parser found from the file name,
//! every event built (sanitation, extra fields, raw line) and hashed for deduplication.
//! Figures go to docs/benchmarks.md ("Feed pipeline").

#![allow(clippy::unwrap_used, clippy::expect_used)]

use cirtkit_pipeline::{DedupKey, Event, FeedMeta, ParseContext, Quarantined, Sink, parser_for};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::fmt::Write;
use std::hint::black_box;

const ROWS: usize = 100_000;

/// A scan_rdp report as Shadowserver writes it, with varied addresses, ports and certificates.
fn scan_rdp(rows: usize) -> Vec<u8> {
    let mut s = String::from(
        "\"timestamp\",\"ip\",\"port\",\"hostname\",\"tag\",\"handshake\",\"asn\",\"geo\",\"region\",\"city\",\
\"rdp_protocol\",\"cert_length\",\"subject_common_name\",\"issuer_common_name\",\"cert_issue_date\",\
\"cert_expiration_date\",\"sha1_fingerprint\",\"cert_serial_number\",\"ssl_version\",\"signature_algorithm\",\
\"key_algorithm\",\"naics\",\"sector\"\n",
    );
    for i in 0..rows {
        let (a, b, c) = ((i >> 16) % 200 + 20, (i >> 8) % 256, i % 256);
        writeln!(
            s,
            "\"2024-03-{:02} {:02}:{:02}:{:02}\",\"{a}.{b}.{c}.{}\",{},\"host-{i}.example.net\",\"rdp\",,{},\"AT\",\"WIEN\",\"VIENNA\",\
\"RDP\",2048,\"SRV{i}.corp.local\",\"SRV{i}.corp.local\",\"2023-04-29 02:22:06\",\"2024-10-29 02:22:06\",\
\"EC:BB:4D:DB:9F:0C:D3:FF:5B:49:EA:B1:56:62:B6:A7:5D:60:{:02X}:{:02X}\",\"1EF2B37AF850C9BF{i:08X}\",2,\
\"sha256WithRSAEncryption\",\"rsaEncryption\",517311,\"Communications\"",
            i % 28 + 1,
            i % 24,
            i % 60,
            (i * 7) % 60,
            i % 250 + 1,
            if i % 3 == 0 { 3389 } else { 3388 },
            64496 + (i % 500),
            i % 256,
            (i >> 8) % 256,
        )
        .unwrap();
    }
    s.into_bytes()
}

/// Counts events and folds their deduplication hashes, as the next stage would use them.
#[derive(Default)]
struct Counting {
    events: u64,
    hashes: u64,
    quarantined: u64,
}

impl Sink for Counting {
    fn event(&mut self, event: Event) {
        self.events += 1;
        self.hashes ^= event.dedup_hash(&DedupKey::AllButObservation);
    }

    fn quarantine(&mut self, _: Quarantined) {
        self.quarantined += 1;
    }
}

fn feed_parse(c: &mut Criterion) {
    let input = scan_rdp(ROWS);
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
