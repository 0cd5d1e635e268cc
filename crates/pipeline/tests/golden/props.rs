//! Property tests: any bytes given to the CSV-based parsers end in events, quarantined records
//! or a clear error, never a panic, and within the limits.

use cirtkit_pipeline::{Collected, FeedMeta, Limits, ParseContext, ingest, parser_for};
use proptest::prelude::*;

fn ctx(name: &str) -> ParseContext {
    let mut c = ParseContext::with_feed(FeedMeta::default(), chrono::DateTime::UNIX_EPOCH).with_file_name(name);
    c.limits = Limits {
        max_line: 512,
        max_document: 4096,
        max_unpacked: 1 << 16,
        max_ratio: 50,
        max_container: 1 << 16,
        max_depth: 2,
    };
    c
}

fn csv_like() -> impl Strategy<Value = Vec<u8>> {
    let cell = prop_oneof![
        Just(b"\"".to_vec()),
        Just(b",".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"2019-09-04 07:00:19".to_vec()),
        Just(b"192.0.2.1".to_vec()),
        Just(b"timestamp,ip,port,hostname,tag,asn,geo\n".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..40),
    ];
    proptest::collection::vec(cell, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn csv_parsers_survive_any_bytes(bytes in csv_like()) {
        let generic = serde_json::json!({"columns": ["time.source", "source.ip", "source.port", "extra.x"]});
        for (format, options, name) in [
            ("shadowserver", serde_json::Value::Null, "2019-09-04-scan_rdp-x.csv"),
            ("shadowserver", serde_json::Value::Null, "unknown.csv"),
            ("csv", generic, "x.csv"),
            ("cert-eu-csv", serde_json::Value::Null, "x.csv"),
            ("abusech-urlhaus", serde_json::Value::Null, "x.csv"),
            ("spamhaus-cert", serde_json::Value::Null, "x.txt"),
        ] {
            let parser = parser_for(format, &options).unwrap();
            let mut out = Collected::default();
            let _ = ingest(&*parser, &mut &bytes[..], &ctx(name), &mut out);
            prop_assert!(out.events.len() + out.quarantined.len() <= bytes.iter().filter(|b| matches!(**b, b'\n' | b'\r')).count() + 1);
            for q in &out.quarantined {
                prop_assert!(q.raw.len() <= 4096 + 3);
            }
        }
    }

    #[test]
    fn lines_over_the_limit_are_refused(len in 513usize..2000) {
        let mut bytes = b"timestamp,ip\n".to_vec();
        bytes.extend(std::iter::repeat_n(b'a', len));
        let parser = parser_for("shadowserver", &serde_json::json!({"report": "blocklist"})).unwrap();
        let err = ingest(&*parser, &mut &bytes[..], &ctx("blocklist.csv"), &mut Collected::default()).unwrap_err();
        prop_assert_eq!(err.code(), "pipeline.too_large");
    }
}
