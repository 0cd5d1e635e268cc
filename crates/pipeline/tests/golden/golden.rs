//! Golden tests: each sample in `tests/data/` is parsed and compared with
//! `<sample>.expected.jsonl` (one event per line) and `<sample>.quarantine.jsonl` (absent when
//! nothing is quarantined). `CIRTKIT_UPDATE_GOLDEN=1 cargo test -p cirtkit-pipeline` rewrites
//! them; read every change before committing it.

use cirtkit_pipeline::{Collected, FeedMeta, ParseContext, ingest, parser_for};
use std::path::{Path, PathBuf};

/// (sample under tests/data, format). Options, when a format needs them, are in
/// `<sample>.options.json`.
const CASES: &[(&str, &str)] = &[
    ("intelmq/shadowserver/blocklist.csv", "shadowserver"),
    ("intelmq/shadowserver/compromised_website.csv", "shadowserver"),
    ("intelmq/shadowserver/event4_honeypot_brute_force.csv", "shadowserver"),
    ("intelmq/shadowserver/event4_honeypot_ddos_amp.csv", "shadowserver"),
    ("intelmq/shadowserver/event4_ip_spoofer.csv", "shadowserver"),
    ("intelmq/shadowserver/event4_microsoft_sinkhole.csv", "shadowserver"),
    ("intelmq/shadowserver/event4_sinkhole_http.csv", "shadowserver"),
    ("intelmq/shadowserver/event6_sinkhole_http.csv", "shadowserver"),
    ("intelmq/shadowserver/scan_dns.csv", "shadowserver"),
    ("intelmq/shadowserver/scan_http_vulnerable.csv", "shadowserver"),
    ("intelmq/shadowserver/scan_ntp.csv", "shadowserver"),
    ("intelmq/shadowserver/scan_rdp.csv", "shadowserver"),
    ("intelmq/shadowserver/scan_ssh.csv", "shadowserver"),
    ("intelmq/shadowserver/scan_ssl.csv", "shadowserver"),
    ("intelmq/shadowserver/test_smb.csv", "shadowserver"),
    ("intelmq/shadowserver/test_telnet.csv", "shadowserver"),
    ("email/csv-attachment/shadowserver-scan_http-csv-zip.eml", "shadowserver"),
    ("email/csv-attachment/abusehub-shadowserver-drone.eml", "shadowserver"),
    ("intelmq/abusech/feodotracker-ipblocklist.csv", "abusech-feodo"),
    ("intelmq/abusech/feodotracker-ipblocklist.json", "abusech-feodo"),
    ("intelmq/abusech/urlhaus-tld-feed.csv", "abusech-urlhaus"),
    ("intelmq/blocklistde/imap.txt", "blocklistde"),
    ("intelmq/cert_eu/example.csv", "cert-eu-csv"),
    ("intelmq/cymru/certname_20190327.txt", "cymru-cap"),
    ("intelmq/cymru/infected_20171031.txt", "cymru-cap"),
    ("intelmq/generic/compose_fields.csv", "csv"),
    ("intelmq/generic/data_type.csv", "csv"),
    ("intelmq/generic/empty_src_url.csv", "csv"),
    ("intelmq/generic/extra_regex.csv", "csv"),
    ("intelmq/generic/invalid_sample_report.csv", "csv"),
    ("intelmq/generic/multivalue_columns.csv", "csv"),
    ("intelmq/generic/sample_report.csv", "csv"),
    ("intelmq/json/data.jsonl", "jsonl"),
    ("intelmq/microsoft/ctip.txt", "microsoft-ctip"),
    ("intelmq/microsoft/ctip_azure.txt", "microsoft-ctip"),
    ("intelmq/openphish/feed.txt", "openphish"),
    ("intelmq/phishtank/online-valid.json", "phishtank"),
    ("intelmq/spamhaus/asndrop.txt", "spamhaus-drop"),
    ("intelmq/spamhaus/drop.txt", "spamhaus-drop"),
    ("intelmq/spamhaus/cert.txt", "spamhaus-cert"),
    ("email/arf/aol-fbl-arf.eml", "arf"),
    ("email/arf/comcast-fbl-arf.eml", "arf"),
    ("email/arf/cox-fbl-arf.eml", "arf"),
    ("email/arf/spamexperts-arf-gtube.eml", "arf"),
    ("email/xarf/blocklistde-xarf-ipv6.eml", "xarf"),
    ("email/xarf/blocklistde-xarf-regbot.eml", "xarf"),
    ("email/xarf-v4-json/connection-ddos.json", "xarf"),
    ("email/xarf-v4-json/connection-login-attack.json", "xarf"),
    ("email/xarf-v4-json/content-phishing.json", "xarf"),
    ("email/xarf-v4-json/infrastructure-botnet.json", "xarf"),
    ("email/xarf-v4-json/messaging-spam.json", "xarf"),
    ("email/xarf-v4-json/v3-spam_v3_sample.json", "xarf"),
    ("email/xarf-v4-json/vulnerability-open-service.json", "xarf"),
    ("intelmq/misp/misp_attribute.json", "misp"),
    ("intelmq/misp/misp_event.json", "misp"),
    ("misp/56bf399d-c46c-4fdb-a9cf-d9bb02de0b81.json", "misp"),
    ("misp/57c4445b-c548-4654-af0b-4be3950d210f.json", "misp"),
    ("misp/misp-osint-regin-stage1.json", "misp"),
    ("misp/pymisp-misp_event-ecsirt-tagged.json", "misp"),
    ("misp/pymisp-osint-sednit-objects.json", "misp"),
    ("misp/pymisp-ursnif-with-sightings.json", "misp"),
    ("stix/elevator-sighting.json", "stix"),
    ("stix/indicator-for-c2-ip-address.json", "stix"),
    ("stix/indicator-for-malicious-url.json", "stix"),
    ("stix/indicators-for-C2-with-COA.json", "stix"),
    ("stix/malicious-email-indicator-with-attachment.json", "stix"),
    ("stix/malware-indicator-for-file-hash.json", "stix"),
    ("stix/misp-events-collection_1.expected-stix21.json", "stix"),
    ("stix/sighting-of-observed-data.json", "stix"),
    ("stix/threat-report-apt1.json", "stix"),
    ("stix/using-marking-definitions.json", "stix"),
];

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

fn sibling(input: &Path, suffix: &str) -> PathBuf {
    let mut name = input.file_name().unwrap().to_os_string();
    name.push(suffix);
    input.with_file_name(name)
}

/// Parses one sample as the pipeline would, with a fixed observation time.
fn run(sample: &str, format: &str) -> (String, String) {
    let input = data().join(sample);
    let options_path = sibling(&input, ".options.json");
    let options = match std::fs::read(&options_path) {
        Ok(b) => serde_json::from_slice(&b).unwrap(),
        Err(_) => serde_json::Value::Null,
    };
    let parser = parser_for(format, &options).unwrap_or_else(|e| panic!("{sample}: {e}"));
    let observed = "2024-01-01T00:00:00Z".parse().unwrap();
    // Shadowserver's feed name comes from the report; the others are named after the sample.
    let feed = if format == "shadowserver" {
        FeedMeta { provider: Some("Shadowserver".into()), ..FeedMeta::default() }
    } else {
        FeedMeta { name: Some(format.into()), ..FeedMeta::default() }
    };
    let file_name = input.file_name().unwrap().to_string_lossy().into_owned();
    let ctx = ParseContext::with_feed(feed, observed).with_file_name(file_name);
    let mut out = Collected::default();
    let bytes = std::fs::read(&input).unwrap();
    if let Err(e) = ingest(&*parser, &mut &bytes[..], &ctx, &mut out) {
        out.quarantined.push(ctx.quarantine(0, &e, b""));
    }
    let events: String = out.events.iter().map(|e| e.to_json_line() + "\n").collect();
    let quarantine: String = out.quarantined.iter().map(|q| serde_json::to_string(q).unwrap() + "\n").collect();
    (events, quarantine)
}

fn check(path: &Path, actual: &str, update: bool, failures: &mut Vec<String>) {
    if update {
        if actual.is_empty() {
            let _ = std::fs::remove_file(path);
        } else {
            std::fs::write(path, actual).unwrap();
        }
        return;
    }
    let expected = std::fs::read_to_string(path).unwrap_or_default();
    if expected != actual {
        failures.push(format!("{}:\n--- expected\n{expected}\n--- actual\n{actual}", path.display()));
    }
}

#[test]
fn every_sample_parses_as_its_golden_file_says() {
    let update = std::env::var_os("CIRTKIT_UPDATE_GOLDEN").is_some_and(|v| v == "1");
    let mut failures = Vec::new();
    for (sample, format) in CASES {
        let (events, quarantine) = run(sample, format);
        let input = data().join(sample);
        check(&sibling(&input, ".expected.jsonl"), &events, update, &mut failures);
        check(&sibling(&input, ".quarantine.jsonl"), &quarantine, update, &mut failures);
        // Every event written reads back as itself.
        for line in events.lines() {
            let e = cirtkit_pipeline::Event::from_json_str(line).unwrap_or_else(|e| panic!("{sample}: {e}"));
            assert_eq!(e.to_json_line(), line, "{sample}");
        }
    }
    assert!(
        failures.is_empty(),
        "{} golden file(s) differ (CIRTKIT_UPDATE_GOLDEN=1 rewrites them):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_sample_in_the_data_folder_has_a_case() {
    let mut missing = Vec::new();
    let mut stack = vec![data()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let rel = path.strip_prefix(data()).unwrap().to_string_lossy().replace('\\', "/");
            let is_aux = [".expected.jsonl", ".quarantine.jsonl", ".options.json"].iter().any(|s| rel.ends_with(s))
                || rel.ends_with("shadowserver-schema.test.json");
            if !is_aux && !CASES.iter().any(|(s, _)| *s == rel) {
                missing.push(rel);
            }
        }
    }
    assert!(missing.is_empty(), "samples without a golden case: {missing:?}");
}
