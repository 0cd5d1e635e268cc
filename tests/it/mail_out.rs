//! Outbound mail against a real SMTP server on loopback (Python's aiosmtpd, which `.ci/run`
//! installs): a reply from an incident reaches the server with the reference in its subject and
//! the TLP line on top, and is noted in the journal. Skipped, with a note, without aiosmtpd.

use crate::support::{spawn_app_with_config, test_certificates};
use cirtkit_domain::{Contact, ContactRole, NewIncident, NewOrganisation, Pap, Role, Sector, Severity, Tlp};
use cirtkit_service::{NewUser, Principal};
use serde_json::{Value, json};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// An aiosmtpd server writing what it receives to a Maildir; stopped when dropped.
pub(crate) struct SmtpServer {
    child: Child,
    pub(crate) port: u16,
    maildir: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl SmtpServer {
    pub(crate) fn start() -> Option<SmtpServer> {
        SmtpServer::start_with(&[])
    }

    /// With TLS options of aiosmtpd: `--tlscert`/`--tlskey` (STARTTLS), `--smtpscert`/`--smtpskey`.
    fn start_with(tls: &[&str]) -> Option<SmtpServer> {
        let available = Command::new("python3")
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !available {
            let _ = writeln!(
                std::io::stderr(),
                "note: outbound mail tests skipped: python3 with aiosmtpd is missing (`python3 -m pip install aiosmtpd`)"
            );
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let maildir = dir.path().join("maildir");
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .args(tls)
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut server = SmtpServer { child, port, maildir, _dir: dir };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(server.child.try_wait().unwrap().is_none(), "aiosmtpd stopped at once");
            assert!(Instant::now() < deadline, "aiosmtpd did not listen on {port} within 10 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        server.port = port;
        Some(server)
    }

    /// The messages received so far, as text.
    pub(crate) fn messages(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.maildir.join("new")) else { return vec![] };
        entries.map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap()).collect()
    }
}

fn organisation() -> NewOrganisation {
    NewOrganisation {
        name: "Banque Atlas".into(),
        sector: Sector::Finance,
        country: "MA".parse().unwrap(),
        languages: vec!["fr".parse().unwrap()],
        contacts: vec![Contact {
            name: "SOC".into(),
            email: "soc@atlas.example".parse().unwrap(),
            phone: None,
            openpgp_key: None,
            language: "fr".parse().unwrap(),
            role: ContactRole::Abuse,
        }],
        netblocks: vec!["192.0.2.0/24".parse().unwrap()],
        asns: vec![],
        domains: vec!["atlas.example".parse().unwrap()],
    }
}

fn incident(title: &str, tlp: Tlp, org: cirtkit_domain::OrganisationId) -> NewIncident {
    NewIncident {
        title: title.into(),
        description: String::new(),
        rsit: "malicious-code/infected-system".parse().unwrap(),
        severity: Severity::High,
        tlp,
        pap: Pap::Green,
        assignee: None,
        organisations: vec![org],
        observables: vec![],
    }
}

/// Header value and body of a message as aiosmtpd's Maildir stores it.
fn header<'a>(message: &'a str, name: &str) -> Option<&'a str> {
    message.lines().take_while(|l| !l.is_empty()).find_map(|l| l.strip_prefix(name)?.strip_prefix(": "))
}

/// The text of a message: the Maildir writer may re-encode it as quoted-printable.
fn body(message: &str) -> String {
    let message = message.trim_start();
    let raw = message.split_once("\r\n\r\n").or_else(|| message.split_once("\n\n")).map(|(_, b)| b).unwrap_or("");
    if header(message, "Content-Transfer-Encoding") != Some("quoted-printable") {
        return raw.to_owned();
    }
    let joined = raw.replace("=\r\n", "").replace("=\n", "");
    let (bytes, mut out) = (joined.as_bytes(), Vec::new());
    let mut i = 0;
    while i < bytes.len() {
        match bytes.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()) {
            Some(b) if bytes[i] == b'=' => {
                out.push(b);
                i += 3;
            }
            _ => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap()
}

async fn post(base: &str, token: &str, path: &str, body: Value) -> (u16, Value) {
    let response =
        reqwest::Client::new().post(format!("{base}{path}")).bearer_auth(token).json(&body).send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap_or(Value::Null))
}

async fn analyst_token(app: &crate::support::App) -> String {
    let op = Principal::Operator("test".into());
    let user = NewUser {
        name: "analyst".parse().unwrap(),
        display_name: "Analyst".into(),
        email: None,
        role: Role::Analyst,
        language: "fr".parse().unwrap(),
        password: None,
    };
    let user = app.services.create_user(&op, user).await.unwrap();
    app.services.create_token(&op, &user.name, "test").await.unwrap().1.0
}

fn config(port: u16) -> String {
    format!(
        "[instance]\nname = \"Maghreb CIRT\"\n[smtp]\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"none\"\nfrom = \"cirt@cirt.example\"\ntimeout_secs = 5\n"
    )
}

#[tokio::test]
async fn a_reply_reaches_the_smtp_server_and_the_journal() {
    let Some(smtp) = SmtpServer::start() else { return };
    let app = spawn_app_with_config(&config(smtp.port)).await;
    let op = Principal::Operator("test".into());
    let org = app.services.create_organisation(&op, organisation()).await.unwrap().id;
    let amber = app.services.create_incident(&op, incident("Infected host", Tlp::Amber, org)).await.unwrap();
    let red = app.services.create_incident(&op, incident("Red matter", Tlp::Red, org)).await.unwrap();
    let token = analyst_token(&app).await;
    let reference = amber.reference.to_string();

    let (status, entry) = post(
        &app.base,
        &token,
        &format!("/api/v1/incidents/{reference}/replies"),
        json!({"body": "Please clean 192.0.2.10 and tell us when it is done."}),
    )
    .await;
    assert_eq!(status, 201, "{entry}");
    assert_eq!(entry["kind"], "mail-out");
    let text = entry["body"].as_str().unwrap();
    assert!(text.starts_with("To: soc@atlas.example\n"), "the abuse contact by default: {text}");
    assert!(text.contains(&format!("Subject: [{reference}] Infected host")), "{text}");

    let deadline = Instant::now() + Duration::from_secs(10);
    let messages = loop {
        let m = smtp.messages();
        if !m.is_empty() || Instant::now() > deadline {
            break m;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(messages.len(), 1, "{messages:?}");
    let message = &messages[0];
    assert!(header(message, "Subject").unwrap().contains(&format!("[{reference}]")), "{message}");
    assert_eq!(header(message, "To"), Some("soc@atlas.example"), "{message}");
    let sent = body(message);
    assert!(
        sent.starts_with("TLP:AMBER — limited disclosure, recipients may share with their organisation"),
        "{message}"
    );
    assert!(sent.contains("Please clean 192.0.2.10") && sent.contains("Maghreb CIRT"), "{message}");

    let journal = app.services.journal(&op, amber.id).await.unwrap();
    assert_eq!(journal.iter().filter(|e| e.kind == cirtkit_domain::JournalKind::MailOut).count(), 1);

    // TLP:RED is never mailed, and nothing is noted.
    let path = format!("/api/v1/incidents/{}/replies", red.id.0);
    let (status, error) = post(&app.base, &token, &path, json!({"to": ["x@atlas.example"], "body": "hi"})).await;
    assert_eq!(status, 409, "{error}");
    assert!(error["error"]["message"].as_str().unwrap().contains("TLP:RED"), "{error}");
    // A recipient that is not an address is the caller's to fix.
    let path = format!("/api/v1/incidents/{reference}/replies");
    let (status, error) = post(&app.base, &token, &path, json!({"to": ["nobody"], "body": "hi"})).await;
    assert_eq!(status, 422, "{error}");
    assert_eq!(smtp.messages().len(), 1);
}

#[tokio::test]
async fn without_smtp_a_reply_says_mail_is_not_configured() {
    let app = spawn_app_with_config("").await;
    let op = Principal::Operator("test".into());
    let org = app.services.create_organisation(&op, organisation()).await.unwrap().id;
    let amber = app.services.create_incident(&op, incident("Infected host", Tlp::Amber, org)).await.unwrap();
    let token = analyst_token(&app).await;
    let path = format!("/api/v1/incidents/{}/replies", amber.id.0);
    let (status, error) = post(&app.base, &token, &path, json!({"body": "hello"})).await;
    assert_eq!(status, 409, "{error}");
    assert!(error["error"]["message"].as_str().unwrap().contains("outbound mail is not configured"), "{error}");
    assert!(app.services.journal(&op, amber.id).await.unwrap().is_empty());
}

#[tokio::test]
async fn replies_go_over_starttls_and_implicit_tls_trusting_the_extra_ca() {
    let dir = tempfile::tempdir().unwrap();
    let Some(certs) = test_certificates(dir.path()) else {
        let _ = writeln!(std::io::stderr(), "note: outbound mail TLS test skipped: openssl is missing");
        return;
    };
    let (cert, key) = (certs.cert.to_str().unwrap(), certs.key.to_str().unwrap());
    for (tls, flags) in
        [("starttls", ["--tlscert", cert, "--tlskey", key]), ("implicit", ["--smtpscert", cert, "--smtpskey", key])]
    {
        let Some(smtp) = SmtpServer::start_with(&flags) else { return };
        let config = format!(
            "[smtp]\nhost = \"localhost\"\nport = {}\ntls = \"{tls}\"\nca_file = \"{}\"\nfrom = \"cirt@cirt.example\"\ntimeout_secs = 5\n",
            smtp.port,
            certs.ca.display()
        );
        let app = spawn_app_with_config(&config).await;
        let op = Principal::Operator("test".into());
        let org = app.services.create_organisation(&op, organisation()).await.unwrap().id;
        let amber = app.services.create_incident(&op, incident("Infected host", Tlp::Amber, org)).await.unwrap();
        let token = analyst_token(&app).await;
        let path = format!("/api/v1/incidents/{}/replies", amber.id.0);
        let (status, entry) = post(&app.base, &token, &path, json!({"body": "Over TLS."})).await;
        assert_eq!(status, 201, "{tls}: {entry}");
        let deadline = Instant::now() + Duration::from_secs(10);
        while smtp.messages().is_empty() {
            assert!(Instant::now() < deadline, "{tls}: nothing reached the server");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
