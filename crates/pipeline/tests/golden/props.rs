//! Property tests: any bytes given to the CSV-based parsers and the report parsers end in events,
//! quarantined records or a clear error, never a panic, and within the limits.

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

/// Pieces of mails, JSON, MISP, STIX and X-ARF, in any order.
fn report_like() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"From: a@example.org\r\nContent-Type: multipart/report; boundary=b\r\n\r\n--b\r\n".to_vec()),
        Just(b"Content-Type: message/feedback-report\r\n\r\nFeedback-Type: abuse\r\nSource-IP: 192.0.2.1\r\n".to_vec()),
        Just(b"--b\r\nContent-Type: text/plain\r\n\r\nSource: 192.0.2.1\nReport-Type: ssh\nDate: x\n".to_vec()),
        Just(br#"{"xarf_version":"4","source_identifier":"#.to_vec()),
        Just(br#"{"Event":{"info":"x","Tag":[{"name":"rsit:fraud=\"phishing\""}],"Attribute":["#.to_vec()),
        Just(br#"{"type":"ip-dst|port","value":"192.0.2.1|80"}"#.to_vec()),
        Just(br#"{"type":"bundle","objects":[{"type":"indicator","pattern":"#.to_vec()),
        Just(br#""[ipv4-addr:value = '192.0.2.1' OR url:value = 'http://x.example/']""#.to_vec()),
        Just(br#"{"type":"observed-data","object_refs":["x"],"objects":{"0":{"type":"domain-name","value":"a.example"}}}"#.to_vec()),
        Just(b"]}}],".to_vec()),
        Just(b"\"".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..20),
    ];
    proptest::collection::vec(piece, 0..20).prop_map(|v| v.concat())
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
    fn report_parsers_survive_any_bytes(bytes in report_like()) {
        for (format, name) in [("arf", "x.eml"), ("xarf", "x.eml"), ("xarf", "x.json"), ("misp", "x.json"), ("stix", "x.json")] {
            let parser = parser_for(format, &serde_json::Value::Null).unwrap();
            let mut out = Collected::default();
            let _ = ingest(&*parser, &mut &bytes[..], &ctx(name), &mut out);
            for e in &out.events {
                let line = e.to_json_line();
                prop_assert_eq!(cirtkit_pipeline::Event::from_json_str(&line).unwrap().to_json_line(), line);
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

/// The parsers of structured reports refuse what would exhaust memory or the stack, each with a
/// reason that says what was wrong.
mod hostile {
    use super::ctx;
    use cirtkit_pipeline::{Collected, PipelineError, ingest, parser_for};

    fn run(format: &str, name: &str, bytes: &[u8]) -> Result<Collected, PipelineError> {
        let parser = parser_for(format, &serde_json::Value::Null).unwrap();
        let mut out = Collected::default();
        ingest(&*parser, &mut &bytes[..], &ctx(name), &mut out).map(|()| out)
    }

    #[test]
    fn json_nested_deeper_than_128_is_refused_with_the_reason() {
        for depth in [129usize, 1000] {
            let deep = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
            let wrapped = format!("{{\"Event\": {{\"Attribute\": {deep}}}}}");
            for (format, bytes) in [("misp", &wrapped), ("stix", &deep), ("xarf", &wrapped)] {
                let err = run(format, "deep.json", bytes.as_bytes()).expect_err(format);
                assert_eq!(err.code(), "pipeline.json", "{format}: {err}");
                assert!(err.to_string().contains("more than 128 deep"), "{format}: {err}");
            }
        }
        // 100 levels are fine.
        let fine = format!("{{\"objects\": {}{}}}", "[".repeat(100), "]".repeat(100));
        assert!(run("stix", "ok.json", fine.as_bytes()).is_ok());
    }

    #[test]
    fn documents_over_the_limit_are_refused() {
        let big = format!("{{\"type\": \"bundle\", \"objects\": [], \"pad\": \"{}\"}}", "x".repeat(8000));
        for format in ["misp", "stix"] {
            let err = run(format, "big.json", big.as_bytes()).expect_err(format);
            assert_eq!(err.code(), "pipeline.too_large", "{format}: {err}");
        }
        let mail = format!("From: a@example.org\r\nSubject: x\r\n\r\n{}", "y".repeat(70_000));
        for format in ["arf", "xarf"] {
            let err = run(format, "big.eml", mail.as_bytes()).expect_err(format);
            assert_eq!(err.code(), "pipeline.too_large", "{format}: {err}");
        }
    }

    #[test]
    fn what_is_not_a_report_says_so() {
        let mail = b"From: a@example.org\r\nSubject: hello\r\nContent-Type: text/plain\r\n\r\nJust a letter.\r\n";
        for format in ["arf", "xarf"] {
            let err = run(format, "letter.eml", mail).expect_err(format);
            assert_eq!(err.code(), "pipeline.unrecognised", "{format}: {err}");
        }
        let err = run("misp", "x.json", br#"{"hello": 1}"#).unwrap_err();
        assert_eq!(err.code(), "pipeline.unrecognised", "{err}");
        let err = run("stix", "x.json", br#"{"hello": 1}"#).unwrap_err();
        assert_eq!(err.code(), "pipeline.unrecognised", "{err}");
        let err = run("xarf", "x.json", br#"{"hello": 1}"#).unwrap_err();
        assert_eq!(err.code(), "pipeline.unrecognised", "{err}");
    }

    #[test]
    fn every_new_format_is_registered() {
        for format in ["arf", "xarf", "misp", "stix"] {
            assert_eq!(parser_for(format, &serde_json::Value::Null).unwrap().format(), format);
        }
    }
}
