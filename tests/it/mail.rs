//! `cirtkit mail ingest`: reports and replies filed as incidents through the real binary.

use crate::support::{Instance, json, write};
use cirtkit_service::domain::JournalKind;
use cirtkit_service::{Principal, Services};

const ORGS_CSV: &str = "organisation,record,sector,country,languages,value,name,email,phone,language,role,openpgp_key
Ministry of Examples,organisation,government,TN,ar fr,,,,,,,
Ministry of Examples,domain,,,,ministry-example.gov.test,,,,,,
Mail Provider,organisation,telecom,TN,fr,,,,,,,
Mail Provider,netblock,,,,10.17.18.0/24,,,,,,
";

fn sample(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/intake/tests/data").join(name);
    std::fs::read(path).unwrap()
}

fn ingest(i: &Instance, args: &[&str], mail: &[u8]) -> String {
    let mut all = vec!["mail", "ingest"];
    all.extend_from_slice(args);
    let out = i.run_with_stdin(&all, mail);
    assert!(out.status.success(), "mail ingest failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

async fn services_of(i: &Instance) -> Services {
    let overrides = cirtkit_app::Overrides { data_dir: Some(i.data_dir()), ..Default::default() };
    let config = cirtkit_app::Config::load(&overrides).unwrap();
    cirtkit_app::open_services(&config).await.unwrap()
}

fn setup() -> Instance {
    let i = Instance::sqlite();
    i.ok(&["init"]);
    let file = write(i.dir.path(), "orgs.csv", ORGS_CSV);
    i.ok(&["org", "import", "--format", "csv", file.to_str().unwrap()]);
    i
}

#[tokio::test]
async fn a_report_opens_an_incident_and_a_reply_is_threaded_into_it() {
    let i = setup();
    let out = ingest(&i, &[], &sample("citizen-phishing.eml"));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines[0].starts_with("created"), "{out}");
    let reference = lines[1].to_owned();
    assert!(reference.starts_with("CIRT-") && reference.ends_with("-00001"), "{out}");
    assert_eq!(json(&i.ok(&["status", "--json"]))["incidents"], 1);

    let services = services_of(&i).await;
    let operator = Principal::operator();
    let incident = services.incident_by_key(&operator, &reference).await.unwrap();
    assert_eq!(incident.title, "Suspicious bank e-mail");
    assert_eq!(incident.rsit.to_string(), "other/undetermined");
    assert_eq!(incident.organisations.len(), 1, "the sender's ministry, found by its domain");
    let observables: Vec<String> =
        services.observables(&operator, incident.id).await.unwrap().iter().map(|o| o.value()).collect();
    for expected in ["https://secure-login.bank-example.com/confirm?user=me", "203.0.113.45"] {
        assert!(observables.contains(&expected.to_owned()), "{observables:?}");
    }
    let journal = services.journal(&operator, incident.id).await.unwrap();
    assert_eq!(journal.len(), 1);
    assert_eq!(journal[0].kind, JournalKind::MailIn);
    assert_eq!(journal[0].author, "jane.citizen@ministry-example.gov.test");

    // The reply names the incident in its subject: same reference, no new incident.
    let reply = String::from_utf8(sample("reply-cirt.eml")).unwrap().replace("CIRT-2026-00001", &reference);
    let out = ingest(&i, &[], reply.as_bytes());
    assert!(out.starts_with("updated"), "{out}");
    assert_eq!(out.lines().last(), Some(reference.as_str()));
    assert_eq!(json(&i.ok(&["status", "--json"]))["incidents"], 1);
    let journal = services.journal(&operator, incident.id).await.unwrap();
    let kinds: Vec<JournalKind> = journal.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [JournalKind::MailIn, JournalKind::MailIn, JournalKind::Attachment, JournalKind::Attachment]);
    let csv = journal.iter().find(|e| e.body.starts_with("recipients.csv")).unwrap();
    assert!(csv.body.contains("text/csv, 73 bytes, sha256 ") && csv.body.contains("A,a@ministry-example.gov.test"));
    let png = journal.iter().find(|e| e.body.starts_with("screenshot.png")).unwrap();
    assert!(png.body.contains("image/png, 70 bytes"), "{}", png.body);
    assert_eq!(png.reply_to, Some(journal[1].id), "attachments hang under their mail");

    // A reference that does not exist opens a new incident instead.
    let stray = reply.replace(&reference, "CIRT-2026-09999");
    assert!(ingest(&i, &[], stray.as_bytes()).starts_with("created"));
}

#[tokio::test]
async fn an_arf_report_is_classified_and_attributed() {
    let i = setup();
    let path = i.dir.path().join("cox.eml");
    std::fs::write(&path, sample("cox-fbl-arf.eml")).unwrap();
    let out = json(&ingest(&i, &["--json", "--file", path.to_str().unwrap()], b""));
    assert_eq!(out["created"], true);
    assert_eq!(out["rsit"], "abusive-content/spam");
    let reference = out["reference"].as_str().unwrap();

    let services = services_of(&i).await;
    let operator = Principal::operator();
    let incident = services.incident_by_key(&operator, reference).await.unwrap();
    assert_eq!(incident.organisations.len(), 1, "the owner of Source-IP 10.17.18.7");
    let observables: Vec<String> =
        services.observables(&operator, incident.id).await.unwrap().iter().map(|o| o.value()).collect();
    assert_eq!(observables, ["10.17.18.7", "cox.net"]);
    let journal = services.journal(&operator, incident.id).await.unwrap();
    assert!(journal[0].body.contains("Report: arf abuse (classified abusive-content/spam)"), "{}", journal[0].body);
    assert_eq!(journal.iter().filter(|e| e.kind == JournalKind::Attachment).count(), 2);

    let out = json(&ingest(&i, &["--json"], &sample("xarf-v4-attached.eml")));
    assert_eq!(out["rsit"], "fraud/phishing");
}

#[test]
fn bad_mail_is_refused_with_one_error_line() {
    let i = setup();
    for (input, words) in
        [(&b""[..], "empty"), (&b"hello, no headers here\n"[..], "no headers"), (&b"\n\nbody"[..], "no headers")]
    {
        let out = i.run_with_stdin(&["mail", "ingest"], input);
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.starts_with("error: ") && err.contains(words), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(out.stdout.is_empty());
    }
    let err = i.fails(&["mail", "ingest", "--file", "/nonexistent/mail.eml"]);
    assert!(err.starts_with("error: cannot read"), "{err}");
    assert_eq!(json(&i.ok(&["status", "--json"]))["incidents"], 0);
}

#[test]
fn mail_ingest_explains_itself() {
    let i = Instance::sqlite();
    let help = i.ok(&["mail", "ingest", "--help"]);
    for word in ["stdin", "--file", "--json", "ARF", "X-ARF", "reference", "Attachments"] {
        assert!(help.contains(word), "help lacks {word}:\n{help}");
    }
}
