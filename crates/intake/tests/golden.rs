//! Golden tests: every sample under `tests/data/` is read, and a summary of what was found
//! (sender, subject, report and its class, observables, attachments) is compared with the
//! `.expected.json` beside it. Run with `CIRTKIT_BLESS=1` to write the summaries afresh, then
//! review the diff.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use cirtkit_intake::{AbuseReport, InboundMail, parse_mail, parse_xarf_json};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

fn report_summary(r: &AbuseReport) -> Value {
    json!({
        "format": r.format.as_str(),
        "report_type": r.report_type,
        "rsit": r.rsit.to_string(),
        "severity": r.severity.map(|s| s.as_str()),
        "observables": r.observables.iter().map(|o| o.value()).collect::<Vec<_>>(),
        "occurred": r.occurred,
    })
}

fn mail_summary(m: &InboundMail) -> Value {
    let mut text: String = m.text.chars().take(120).collect();
    text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    json!({
        "message_id": m.message_id,
        "from": m.from.as_ref().map(|f| f.to_string()),
        "subject": m.subject,
        "date": m.date.map(|d| d.to_rfc3339()),
        "text_starts": text,
        "report": m.report.as_ref().map(report_summary),
        "observables": m.observables().iter().map(|o| o.value()).collect::<Vec<_>>(),
        "attachments": m.attachments.iter().map(|a| json!({
            "filename": a.filename,
            "content_type": a.content_type,
            "size": a.bytes.len(),
            "sha256": a.sha256(),
            "is_text": a.is_text(),
        })).collect::<Vec<_>>(),
    })
}

fn check(input: &Path, actual: Value) {
    let expected_path = input
        .with_extension(format!("{}.expected.json", input.extension().and_then(|e| e.to_str()).unwrap_or_default()));
    let pretty = serde_json::to_string_pretty(&actual).unwrap() + "\n";
    if std::env::var_os("CIRTKIT_BLESS").is_some() {
        std::fs::write(&expected_path, &pretty).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&expected_path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with CIRTKIT_BLESS=1)", expected_path.display()));
    assert_eq!(pretty, expected, "{} differs from {}", input.display(), expected_path.display());
}

fn samples(ext: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(data_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext) && !p.to_string_lossy().ends_with(".expected.json"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_mail_sample_matches_its_summary() {
    let files = samples("eml");
    assert!(files.len() >= 10, "{files:?}");
    for file in files {
        let mail = parse_mail(&std::fs::read(&file).unwrap()).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        check(&file, mail_summary(&mail));
    }
}

#[test]
fn every_xarf_json_sample_matches_its_summary() {
    let files = samples("json");
    assert_eq!(files.len(), 7, "{files:?}");
    for file in files {
        let report = parse_xarf_json(&std::fs::read(&file).unwrap());
        let report = report.unwrap_or_else(|| panic!("{}: not read as X-ARF", file.display()));
        check(&file, report_summary(&report));
    }
}

/// The classifications the samples must have, stated here as well as in the summaries, so that
/// a careless bless cannot change them unnoticed.
#[test]
fn samples_are_classified() {
    let mail_rsit = |name: &str| {
        let mail = parse_mail(&std::fs::read(data_dir().join(name)).unwrap()).unwrap();
        mail.report.map(|r| {
            (r.format.as_str(), r.rsit.to_string(), r.observables.iter().map(|o| o.value()).collect::<Vec<_>>())
        })
    };
    for (name, source) in [
        ("aol-fbl-arf.eml", vec!["10.17.18.2", "server.domain4.tld"]),
        ("comcast-fbl-arf.eml", vec!["10.17.18.6", "comcast.net"]),
        ("cox-fbl-arf.eml", vec!["10.17.18.7", "cox.net"]),
        ("spamexperts-arf-gtube.eml", vec!["172.16.10.13"]),
    ] {
        assert_eq!(
            mail_rsit(name),
            Some(("arf", "abusive-content/spam".into(), source.iter().map(|s| s.to_string()).collect())),
            "{name}"
        );
    }
    assert_eq!(
        mail_rsit("blocklistde-xarf-regbot.eml"),
        Some(("x-arf", "abusive-content/spam".into(), vec!["10.0.2.150".into()]))
    );
    assert_eq!(
        mail_rsit("blocklistde-xarf-ipv6.eml"),
        Some(("x-arf", "abusive-content/spam".into(), vec!["fdf1:cb9d:f59e:19b0::33:4f".into()]))
    );
    assert_eq!(mail_rsit("xarf-v4-attached.eml").map(|r| r.1), Some("fraud/phishing".into()));
    assert_eq!(mail_rsit("citizen-phishing.eml"), None);
    for (name, rsit) in [
        ("connection-ddos.json", "availability/ddos"),
        ("connection-login-attack.json", "intrusion-attempts/brute-force"),
        ("content-phishing.json", "fraud/phishing"),
        ("infrastructure-botnet.json", "malicious-code/infected-system"),
        ("messaging-spam.json", "abusive-content/spam"),
        ("v3-spam_v3_sample.json", "abusive-content/spam"),
        ("vulnerability-open-service.json", "vulnerable/vulnerable-system"),
    ] {
        let report = parse_xarf_json(&std::fs::read(data_dir().join(name)).unwrap()).unwrap();
        assert_eq!(report.rsit.to_string(), rsit, "{name}");
    }
}

#[test]
fn attachments_are_kept() {
    let read = |name: &str| parse_mail(&std::fs::read(data_dir().join(name)).unwrap()).unwrap();
    let names = |m: &InboundMail| m.attachments.iter().map(|a| a.filename.clone()).collect::<Vec<_>>();
    let abusehub = read("abusehub-shadowserver-drone.eml");
    assert!(names(&abusehub).iter().filter(|n| n.ends_with(".csv")).count() == 2, "{:?}", names(&abusehub));
    assert!(names(&abusehub).contains(&"signature.asc".to_owned()));
    let zip = read("shadowserver-scan_http-csv-zip.eml");
    let zipped = zip.attachments.iter().find(|a| a.filename == "2019-10-15-scan_http-sample-asn.csv.zip").unwrap();
    assert!(zipped.bytes.starts_with(b"PK"), "the zip is decoded from base64");
    assert!(!zipped.is_text());
    let reply = read("reply-cirt.eml");
    assert_eq!(names(&reply), ["recipients.csv", "screenshot.png"]);
    assert!(reply.attachments[0].is_text() && !reply.attachments[1].is_text());
}

#[test]
fn citizen_report_yields_its_defanged_observables() {
    let mail = parse_mail(&std::fs::read(data_dir().join("citizen-phishing.eml")).unwrap()).unwrap();
    let found: Vec<String> = mail.observables().iter().map(|o| o.value()).collect();
    assert_eq!(
        found,
        ["https://secure-login.bank-example.com/confirm?user=me", "alerts@bank-example-secure.com", "203.0.113.45"]
    );
}
