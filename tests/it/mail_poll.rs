//! `cirtkit mail poll` and the poller inside `cirtkit serve`, against a real IMAP server on
//! loopback: Debian's Dovecot, run unprivileged from a configuration of its own in a temporary
//! directory, with one passwd-file user and Maildir storage. Messages are put in with IMAP APPEND.
//! Skipped, with a note, when Dovecot is not installed (`.ci/run` installs it and fails on the note).

use crate::support::{Instance, json, terminate, test_certificates};
use sha2::{Digest, Sha256};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const USER: &str = "reports";
const PASSWORD: &str = "mailbox password";

/// A Dovecot serving IMAP on loopback (and IMAPS when made with TLS); stopped when dropped.
struct Dovecot {
    child: Child,
    port: u16,
    /// The IMAPS port, when started with a certificate.
    tls_port: Option<u16>,
    /// The CA that signed the server's certificate (for `imap.ca_file`), with TLS.
    ca_file: Option<PathBuf>,
    dir: tempfile::TempDir,
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        // SIGTERM lets the master stop its children; kill() (SIGKILL) would leave them behind.
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn output(command: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(command).args(args).stderr(Stdio::null()).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

impl Dovecot {
    fn start(tls: bool) -> Option<Dovecot> {
        let dovecot = ["/usr/sbin/dovecot", "/usr/local/sbin/dovecot"].into_iter().find(|p| Path::new(p).exists());
        let Some(dovecot) = dovecot else {
            let _ = writeln!(
                std::io::stderr(),
                "note: IMAP tests skipped: dovecot not installed (`apt-get install dovecot-imapd`)"
            );
            return None;
        };
        // Never as root: as root, drop to Debian's `dovecot` user first; otherwise run as we are.
        let root = output("id", &["-u"]).as_deref() == Some("0");
        let user = if root { "dovecot".to_owned() } else { output("id", &["-un"]).unwrap() };
        let group = output("id", &["-gn", &user]).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path();
        if tls && test_certificates(base).is_none() {
            let _ = writeln!(std::io::stderr(), "note: IMAP TLS test skipped: openssl is missing to make a test CA");
            return None;
        }
        std::fs::write(base.join("passwd"), format!("{USER}:{{PLAIN}}{PASSWORD}\n")).unwrap();
        let (port, tls_port) = (free_port(), tls.then(free_port));
        let ssl = match tls_port {
            Some(_) => {
                format!("ssl = yes\nssl_cert = <{0}/cert.pem\nssl_key = <{0}/key.pem\n", base.display())
            }
            None => "ssl = no\n".to_owned(),
        };
        let config = format!(
            "base_dir = {b}/run\nstate_dir = {b}/state\nlog_path = {b}/dovecot.log\nprotocols = imap\n\
             listen = 127.0.0.1\n{ssl}disable_plaintext_auth = no\nauth_mechanisms = plain\n\
             default_internal_user = {user}\ndefault_internal_group = {group}\ndefault_login_user = {user}\n\
             first_valid_uid = 1\nmail_location = maildir:{b}/mail/%u\n\
             passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN {b}/passwd\n}}\n\
             userdb {{\n  driver = static\n  args = uid={user} gid={group} home={b}/mail/%u\n}}\n\
             service imap-login {{\n  chroot =\n  inet_listener imap {{\n    port = {port}\n  }}\n\
             inet_listener imaps {{\n    port = {imaps}\n  }}\n}}\nservice anvil {{\n  chroot =\n}}\n",
            b = base.display(),
            imaps = tls_port.unwrap_or(0),
        );
        std::fs::write(base.join("dovecot.conf"), config).unwrap();
        let conf = base.join("dovecot.conf");
        let mut command = if root {
            for path in walk(base) {
                let _ = Command::new("chown").arg(format!("{user}:{group}")).arg(path).status();
            }
            let mut c = Command::new("setpriv");
            c.args(["--reuid", &user, "--regid", &group, "--clear-groups", dovecot]);
            c
        } else {
            Command::new(dovecot)
        };
        let child = command.arg("-F").arg("-c").arg(&conf).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        let mut server = Dovecot { child, port, tls_port, ca_file: tls.then(|| base.join("ca.pem")), dir };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(server.child.try_wait().unwrap().is_none(), "dovecot stopped at once: {}", server.log());
            assert!(Instant::now() < deadline, "dovecot did not listen on {port} within 20 s: {}", server.log());
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(server)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default()
    }

    /// Speaks IMAP in plain text on loopback: logs in, runs the commands, returns what came back.
    /// A command ending in `{n}` is followed by `n` bytes of literal, sent after the server's `+`.
    fn imap(&self, commands: &[(&str, &[u8])]) -> String {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut transcript = String::new();
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let mut all = vec![(format!("LOGIN {USER} \"{PASSWORD}\""), &b""[..])];
        all.extend(commands.iter().map(|(c, l)| ((*c).to_owned(), *l)));
        all.push(("LOGOUT".into(), b""));
        for (n, (command, literal)) in all.iter().enumerate() {
            let tag = format!("t{n}");
            write!(stream, "{tag} {command}\r\n").unwrap();
            if command.ends_with('}') {
                line.clear();
                reader.read_line(&mut line).unwrap();
                assert!(line.starts_with('+'), "no continuation for {command}: {line}");
                stream.write_all(literal).unwrap();
                stream.write_all(b"\r\n").unwrap();
            }
            loop {
                line.clear();
                assert!(reader.read_line(&mut line).unwrap() > 0, "the server hung up: {transcript}");
                transcript.push_str(&line);
                if line.starts_with(&format!("{tag} ")) {
                    assert!(line.starts_with(&format!("{tag} OK")), "{command} failed: {line}\n{}", self.log());
                    break;
                }
            }
        }
        let mut rest = Vec::new();
        let _ = reader.read_to_end(&mut rest);
        transcript
    }

    fn append(&self, folder: &str, message: &[u8]) {
        let message = message.to_vec();
        self.imap(&[(&format!("APPEND {folder} {{{}}}", message.len()), &message)]);
    }

    /// The UIDs the server holds as unseen in a folder.
    fn unseen(&self, folder: &str) -> Vec<u32> {
        let transcript = self.imap(&[(&format!("SELECT {folder}"), b""), ("UID SEARCH UNSEEN", b"")]);
        let line = transcript.lines().find(|l| l.starts_with("* SEARCH")).unwrap_or("* SEARCH");
        line.split_whitespace().skip(2).map(|n| n.parse().unwrap()).collect()
    }

    fn count(&self, folder: &str) -> usize {
        let transcript = self.imap(&[(&format!("STATUS {folder} (MESSAGES)"), b"")]);
        let line = transcript.lines().find(|l| l.starts_with("* STATUS")).unwrap();
        line.rsplit("MESSAGES ").next().unwrap().trim_end_matches(')').trim().parse().unwrap()
    }

    /// The `[imap]` section for this server, plain on loopback.
    fn config(&self, extra: &str) -> String {
        format!(
            "[imap]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\nusername = \"{USER}\"\npassword = \"{PASSWORD}\"\n\
             interval_secs = 1\ntimeout_secs = 10\n{extra}",
            self.port
        )
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut all = vec![dir.to_owned()];
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            all.extend(walk(&entry.path()));
        }
    }
    all
}

fn instance(config: &str) -> Instance {
    let i = Instance::sqlite();
    i.ok(&["init"]);
    std::fs::write(i.data_dir().join("cirtkit.toml"), config).unwrap();
    i
}

fn poll(i: &Instance) -> Output {
    i.run(&["mail", "poll", "--once"])
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

/// A PNG of one pixel, and a report carrying it as an attachment.
const PIXEL: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

fn report(message_id: &str, subject: &str) -> Vec<u8> {
    format!(
        "From: Jane Citizen <jane@citizen.example>\r\nTo: report@cirt.example\r\nSubject: {subject}\r\n\
         Date: Tue, 03 Mar 2026 10:00:00 +0000\r\nMessage-ID: <{message_id}>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         This page asks for my bank password: hxxps://secure-login.bank-example[.]com/\r\n\r\n--b1\r\n\
         Content-Type: image/png\r\nContent-Disposition: attachment; filename=\"capture.png\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{PIXEL}\r\n--b1--\r\n"
    )
    .into_bytes()
}

/// The SHA-256 of the bytes PIXEL encodes (as the golden test of `reply-cirt.eml` has it).
const PIXEL_SHA256: &str = "6b7fa434f92a8b80aab02d9bf1a12e49ffcae424e4013a1c4f68b67e3d2bbcd0";

#[test]
fn poll_files_each_message_once_and_marks_it_seen() {
    let Some(imap) = Dovecot::start(false) else { return };
    let i = instance(&imap.config("processed_folder = \"Filed\"\n"));
    imap.append("INBOX", &report("first@citizen.example", "Phishing page"));
    imap.append(
        "INBOX",
        b"From: soc@isp.example\r\nSubject: Open resolver 192.0.2.53\r\nMessage-ID: <second@isp.example>\r\n\r\n\
          Our scanner sees an open DNS resolver at 192.0.2.53.\r\n",
    );
    // The folder to move filed mail to does not exist yet: nothing is filed, and the error says so.
    let err = i.fails(&["mail", "poll", "--once"]);
    assert!(err.contains("imap.processed_folder \"Filed\"") && err.contains("create the folder"), "{err}");
    assert_eq!(json(&i.ok(&["status", "--json"]))["incidents"], 0);
    imap.imap(&[("CREATE Filed", b"")]);

    let out = poll(&i);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let lines: Vec<String> = stdout(&out).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].starts_with("created CIRT-") && lines[0].ends_with("-00001"), "{lines:?}");
    assert!(lines[1].starts_with("created CIRT-") && lines[1].ends_with("-00002"), "{lines:?}");
    assert!(imap.unseen("INBOX").is_empty());
    assert_eq!((imap.count("INBOX"), imap.count("Filed")), (0, 2), "filed messages are moved");

    // Nothing new arrived: the second poll files nothing.
    let out = poll(&i);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "");
    assert_eq!(json(&i.ok(&["status", "--json"]))["incidents"], 2);

    // The same message again (a crash before it was marked, a copy in the folder): only marked.
    imap.append("INBOX", &report("first@citizen.example", "Phishing page"));
    let out = poll(&i);
    assert_eq!(stdout(&out).lines().next().map(|l| l.starts_with("already-filed CIRT-")), Some(true), "{out:?}");
    assert_eq!(json(&i.ok(&["status", "--json"]))["incidents"], 2);
    assert!(imap.unseen("INBOX").is_empty());
}

#[test]
fn serve_polls_in_the_background_threads_answers_and_serves_the_attachment() {
    let Some(imap) = Dovecot::start(false) else { return };
    let i = instance(&imap.config(""));
    imap.append("INBOX", &report("report-1@citizen.example", "Phishing page"));
    let out = i.run(&["mail", "poll", "--once", "--json"]);
    let filed = json(&stdout(&out));
    assert_eq!(filed["status"], "created", "{filed}");
    let reference = filed["reference"].as_str().unwrap().to_owned();
    let token = i.ok(&["token", "create", "--user", "admin"]).lines().last().unwrap().to_owned();

    let (mut server, addr, lines) = i.serve();
    let base = format!("http://{addr}/api/v1/incidents/{reference}");

    // An answer whose subject lost the reference: its In-Reply-To names the report. The poller
    // inside `serve` files it into the same incident.
    imap.append(
        "INBOX",
        b"From: jane@citizen.example\r\nSubject: Re: Phishing page\r\nMessage-ID: <report-2@citizen.example>\r\n\
          In-Reply-To: <report-1@citizen.example>\r\n\r\nThe page is still up this morning.\r\n",
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    let client = reqwest::Client::new();
    let get = |url: String| {
        let request = client.get(url).bearer_auth(&token);
        rt.block_on(async { request.send().await.unwrap() })
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    let journal = loop {
        let journal: serde_json::Value = rt.block_on(get(format!("{base}/journal")).json()).unwrap();
        let mails = journal.as_array().unwrap().iter().filter(|e| e["kind"] == "mail-in").count();
        if mails == 2 || Instant::now() > deadline {
            break journal;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let answer = journal.as_array().unwrap().iter().rfind(|e| e["kind"] == "mail-in").unwrap();
    assert!(answer["body"].as_str().unwrap().contains("still up this morning"), "{journal}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !imap.unseen("INBOX").is_empty() {
        assert!(Instant::now() < deadline, "the poller did not mark the answer seen");
        std::thread::sleep(Duration::from_millis(100));
    }

    // The attachment, byte for byte.
    let files: serde_json::Value = rt.block_on(get(format!("{base}/attachments")).json()).unwrap();
    assert_eq!(files.as_array().unwrap().len(), 1, "{files}");
    let file = &files[0];
    assert_eq!((file["filename"].as_str(), file["content_type"].as_str()), (Some("capture.png"), Some("image/png")));
    assert_eq!((file["sha256"].as_str(), file["size"].as_i64()), (Some(PIXEL_SHA256), Some(70)));
    let download = get(format!("{base}/attachments/{}", file["id"]));
    assert_eq!(download.status(), 200);
    let headers = download.headers().clone();
    assert_eq!(headers["content-type"], "image/png");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(headers["content-disposition"].to_str().unwrap().starts_with("attachment; filename=\"capture.png\""));
    let bytes = rt.block_on(download.bytes()).unwrap();
    assert_eq!(hex(&Sha256::digest(&bytes)), PIXEL_SHA256, "the same bytes as were mailed");

    // SIGTERM: the poller and the server stop cleanly.
    let exit = terminate(&mut server);
    assert!(exit.success(), "{exit:?}");
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(rest.iter().any(|l| l.contains("stopped reading the report mailbox")), "{rest:?}");
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn an_unreadable_message_is_reported_and_the_rest_go_on() {
    let Some(imap) = Dovecot::start(false) else { return };
    let i = instance(&imap.config(""));
    imap.append("INBOX", b"this is no mail at all, no headers\r\n");
    imap.append("INBOX", &report("ok@citizen.example", "Phishing page"));
    let out = poll(&i);
    assert_eq!(out.status.code(), Some(1), "a message needs attention: {out:?}");
    assert!(stdout(&out).starts_with("created CIRT-"), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(err.contains("unreadable: [mail.no_headers]") && err.contains("left unseen in INBOX"), "{err}");
    assert_eq!(imap.unseen("INBOX").len(), 1, "the unreadable message stays, unseen");

    // With a quarantine folder it is moved there, once.
    imap.imap(&[("CREATE Quarantine", b"")]);
    std::fs::write(i.data_dir().join("cirtkit.toml"), imap.config("quarantine_folder = \"Quarantine\"\n")).unwrap();
    let out = poll(&i);
    assert!(stderr(&out).contains("moved to Quarantine"), "{}", stderr(&out));
    assert_eq!((imap.count("INBOX"), imap.count("Quarantine")), (1, 1));
    assert!(poll(&i).status.success());
    assert_eq!(json(&i.ok(&["status", "--json"]))["incidents"], 1);

    // A wrong password is one clear error line, and nothing else happens.
    let wrong = imap.config("").replace(PASSWORD, "not the password");
    std::fs::write(i.data_dir().join("cirtkit.toml"), wrong).unwrap();
    let err = i.fails(&["mail", "poll", "--once"]);
    assert!(err.starts_with("error: [imap.login]"), "{err}");
}

#[test]
fn poll_speaks_starttls_and_implicit_tls_with_an_extra_ca() {
    let Some(imap) = Dovecot::start(true) else { return };
    let ca = imap.ca_file.clone().unwrap();
    let tls_port = imap.tls_port.unwrap();
    let section = |tls: &str, port: u16, ca: Option<&Path>| {
        let ca = ca.map(|c| format!("ca_file = \"{}\"\n", c.display())).unwrap_or_default();
        format!(
            "[imap]\nhost = \"localhost\"\nport = {port}\ntls = \"{tls}\"\nusername = \"{USER}\"\n\
             password = \"{PASSWORD}\"\ntimeout_secs = 10\n{ca}"
        )
    };
    let i = instance(&section("starttls", imap.port, Some(&ca)));
    imap.append("INBOX", &report("tls-1@citizen.example", "Phishing page"));
    let out = poll(&i);
    assert!(stdout(&out).starts_with("created CIRT-"), "{out:?}\n{}", imap.log());

    std::fs::write(i.data_dir().join("cirtkit.toml"), section("implicit", tls_port, Some(&ca))).unwrap();
    imap.append("INBOX", &report("tls-2@citizen.example", "Another phishing page"));
    let out = poll(&i);
    assert!(stdout(&out).starts_with("created CIRT-"), "{out:?}\n{}", imap.log());

    // Without the CA, the server's certificate is not trusted: refused, nothing read.
    std::fs::write(i.data_dir().join("cirtkit.toml"), section("implicit", tls_port, None)).unwrap();
    imap.append("INBOX", &report("tls-3@citizen.example", "A third page"));
    let err = i.fails(&["mail", "poll", "--once"]);
    assert!(err.starts_with("error: [imap.tls]") && err.contains("certificate"), "{err}");
    assert_eq!(imap.unseen("INBOX").len(), 1);
}

#[test]
fn clear_text_to_another_host_is_refused_with_the_reason() {
    let i = instance(
        "[imap]\nhost = \"imap.cirt.example\"\ntls = \"none\"\nusername = \"u\"\npassword = \"p\"\n\
         [smtp]\nhost = \"relay.cirt.example\"\nfrom = \"cirt@cirt.example\"\ntls = \"none\"\n",
    );
    let err = i.fails(&["mail", "poll", "--once"]);
    for expected in ["imap.tls", "smtp.tls", "only allowed for a server on this machine"] {
        assert!(err.contains(expected), "{err}");
    }
    let i = instance("");
    let err = i.fails(&["mail", "poll", "--once"]);
    assert!(err.contains("the mailbox is not configured"), "{err}");
}

/// A Shadowserver report mail: the fixture CSV as an attachment named as Shadowserver names them.
fn shadowserver_report(message_id: &str, csv: &str) -> Vec<u8> {
    let csv = csv.replace("\r\n", "\n").replace('\n', "\r\n");
    format!(
        "From: Shadowserver <autoreports@shadowserver.example>\r\nTo: cert@cirt.example\r\n\
         Subject: [example] Shadowserver Accessible RDP Report: 2026-03-01\r\nMessage-ID: <{message_id}>\r\n\
         Date: Sun, 01 Mar 2026 06:00:00 +0000\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"rep\"\r\n\r\n--rep\r\nContent-Type: text/plain\r\n\r\n\
         Attached is your daily report.\r\n--rep\r\nContent-Type: text/csv\r\n\
         Content-Disposition: attachment; filename=\"2026-03-01-scan_rdp-example-geo.csv\"\r\n\r\n{csv}--rep--\r\n"
    )
    .into_bytes()
}

/// `cirtkit feed run NAME --json` with the mailbox password in the environment variable the feed names.
fn feed_run(i: &Instance, name: &str) -> (Option<i32>, serde_json::Value, String) {
    let out = i.command(&["feed", "run", name, "--json"]).env("REPORTS_IMAP_PASSWORD", PASSWORD).output().unwrap();
    let report = serde_json::from_slice(&out.stdout).unwrap_or_default();
    (out.status.code(), report, stderr(&out))
}

#[test]
fn an_imap_feed_reads_report_attachments_and_marks_mail_only_after_the_run() {
    let Some(imap) = Dovecot::start(false) else { return };
    imap.imap(&[("CREATE Reports", b""), ("CREATE Done", b""), ("CREATE Quarantine", b"")]);
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/crates/pipeline/tests/data/intelmq/shadowserver/scan_rdp.csv");
    let csv = std::fs::read_to_string(fixture).unwrap();
    let expected = std::fs::read_to_string(format!("{fixture}.expected.jsonl")).unwrap().lines().count();
    assert!(expected > 0);
    let feed = |extra: &str| {
        format!(
            "[[feeds]]\nname = \"shadowserver-mail\"\nformat = \"shadowserver\"\n\
             collector = {{ kind = \"imap\", host = \"127.0.0.1\", port = {}, tls = \"none\", username = \"{USER}\", \
             password_env = \"REPORTS_IMAP_PASSWORD\", folder = \"Reports\", attachments = \"*.csv\", \
             timeout_secs = 10{extra} }}\n",
            imap.port
        )
    };
    let i = instance(&feed(""));
    imap.append("Reports", &shadowserver_report("rdp-1@shadowserver.example", &csv));
    imap.append(
        "Reports",
        b"From: Shadowserver <autoreports@shadowserver.example>\r\nSubject: Subscription confirmed\r\n\
          Message-ID: <welcome@shadowserver.example>\r\n\r\nYou will receive reports at this address.\r\n",
    );
    assert!(i.ok(&["feed", "list"]).contains("imap"));

    // A dry run reads the mail but leaves the mailbox as it was.
    let mut dry = i.command(&["feed", "test", "shadowserver-mail", "--json"]);
    let dry = dry.env("REPORTS_IMAP_PASSWORD", PASSWORD).output().unwrap();
    assert_eq!(json(&stdout(&dry))["events"], expected, "{}", stderr(&dry));
    assert_eq!(imap.unseen("Reports").len(), 2);

    let (code, run, err) = feed_run(&i, "shadowserver-mail");
    assert_eq!(code, Some(0), "a mail without a report is no failure: {run} {err}");
    assert_eq!((run["stored"].as_u64(), run["files"].as_u64()), (Some(expected as u64), Some(1)), "{run}");
    assert_eq!(run["mail"]["marked"], 1, "{run}");
    assert_eq!(run["mail"]["set_aside"][0]["reason"], "no attachment matches \"*.csv\"", "{run}");
    assert!(run["mail"]["set_aside"][0]["moved_to"].is_null(), "{run}");
    assert!(err.contains("left unseen in Reports"), "{err}");
    assert_eq!(imap.unseen("Reports"), [2], "the report is marked; the other mail waits for a person");
    let events = json(&i.ok(&["status", "--json"]))["events"].clone();
    assert_eq!(events, expected);
    let exported = i.ok(&["events", "export", "--format", "jsonl"]);
    assert!(exported.contains("\"classification.identifier\":\"open-rdp\""), "{exported}");

    // Nothing new: the second run stores nothing and marks nothing.
    let (code, run, _) = feed_run(&i, "shadowserver-mail");
    assert_eq!((code, run["stored"].as_u64(), run["mail"]["marked"].as_u64()), (Some(0), Some(0), Some(0)), "{run}");
    assert_eq!(json(&i.ok(&["status", "--json"]))["events"], expected);

    // The same report delivered again (or a crash after the run, before the mail was marked):
    // its content was read, so it is only marked, and moved; the other mail is set aside.
    std::fs::write(
        i.data_dir().join("cirtkit.toml"),
        feed(", processed_folder = \"Done\", quarantine_folder = \"Quarantine\""),
    )
    .unwrap();
    imap.append("Reports", &shadowserver_report("rdp-1@shadowserver.example", &csv));
    let (code, run, err) = feed_run(&i, "shadowserver-mail");
    assert_eq!(code, Some(0), "{run} {err}");
    assert_eq!((run["stored"].as_u64(), run["files_skipped"].as_u64()), (Some(0), Some(1)), "{run}");
    assert_eq!(run["mail"]["set_aside"][0]["moved_to"], "Quarantine", "{run}");
    assert!(imap.unseen("Reports").is_empty());
    assert_eq!((imap.count("Reports"), imap.count("Done"), imap.count("Quarantine")), (1, 1, 1));

    // A report bigger than the feed accepts is refused with the reason, and set aside.
    std::fs::write(
        i.data_dir().join("cirtkit.toml"),
        feed(", quarantine_folder = \"Quarantine\", max_message_bytes = 200"),
    )
    .unwrap();
    imap.append("Reports", &shadowserver_report("rdp-2@shadowserver.example", &csv));
    let (code, run, err) = feed_run(&i, "shadowserver-mail");
    assert_eq!(code, Some(1), "a report was not read: {run}");
    assert!(
        err.contains("more than collector.max_message_bytes (200)") && err.contains("moved to Quarantine"),
        "{err}"
    );
    assert_eq!(imap.count("Quarantine"), 2);

    // A report the run cannot read to its end stays unseen, to be read once the cause is fixed
    // (here: a report this build does not know, until `cirtkit feed schema update`).
    std::fs::write(i.data_dir().join("cirtkit.toml"), feed("")).unwrap();
    let unknown = shadowserver_report("new-1@shadowserver.example", "\"foo\",\"bar\"\n\"1\",\"2\"\n");
    let unknown = String::from_utf8(unknown).unwrap().replace("scan_rdp-example", "brandnew-example");
    imap.append("Reports", unknown.as_bytes());
    let (code, run, _) = feed_run(&i, "shadowserver-mail");
    assert_eq!((code, run["mail"]["marked"].as_u64()), (Some(1), Some(0)), "{run}");
    assert!(run["error"].as_str().is_some_and(|e| e.contains("pipeline.unrecognised")), "{run}");
    assert_eq!(imap.unseen("Reports").len(), 1, "not marked: read again at the next run");
    imap.imap(&[("SELECT Reports", b""), ("UID STORE 1:* +FLAGS.SILENT (\\Seen)", b"")]);

    // Without the password's variable, a clear error and nothing read.
    imap.append("Reports", &shadowserver_report("rdp-3@shadowserver.example", &csv));
    let err = i.fails(&["feed", "run", "shadowserver-mail"]);
    assert!(err.contains("collector.password_env") && err.contains("REPORTS_IMAP_PASSWORD"), "{err}");
    assert_eq!(imap.unseen("Reports").len(), 1);
}

#[test]
fn serve_runs_an_imap_feed_on_its_schedule_and_counts_it_at_metrics() {
    let Some(imap) = Dovecot::start(false) else { return };
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/crates/pipeline/tests/data/intelmq/shadowserver/scan_rdp.csv");
    let csv = std::fs::read_to_string(fixture).unwrap();
    let expected = std::fs::read_to_string(format!("{fixture}.expected.jsonl")).unwrap().lines().count();
    let i = Instance::sqlite();
    i.ok(&["init"]);
    let password_file = i.dir.path().join("imap-password");
    std::fs::write(&password_file, format!("{PASSWORD}\n")).unwrap();
    let config = format!(
        "[[feeds]]\nname = \"rdp-mail\"\nformat = \"shadowserver\"\ninterval_secs = 1\n\
         collector = {{ kind = \"imap\", host = \"127.0.0.1\", port = {}, tls = \"none\", username = \"{USER}\", \
         password_file = \"{}\", timeout_secs = 10 }}\n",
        imap.port,
        password_file.display()
    );
    std::fs::write(i.data_dir().join("cirtkit.toml"), config).unwrap();
    imap.append("INBOX", &shadowserver_report("rdp-serve@shadowserver.example", &csv));
    let (mut server, addr, lines) = i.serve();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let stored = "cirtkit_pipeline_emitted_total{feed=\"rdp-mail\",stage=\"output\"}";
    let deadline = Instant::now() + Duration::from_secs(30);
    let metrics = loop {
        let metrics =
            rt.block_on(async { reqwest::get(format!("http://{addr}/metrics")).await.unwrap().text().await.unwrap() });
        let done = metrics.lines().any(|l| l.strip_prefix(stored).is_some_and(|v| v.trim() == expected.to_string()));
        if (done && imap.unseen("INBOX").is_empty()) || Instant::now() > deadline {
            break metrics;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(metrics.contains(&format!("{stored} {expected}")), "{metrics}");
    assert!(metrics.contains("cirtkit_pipeline_runs_total{feed=\"rdp-mail\",result=\"ok\"}"), "{metrics}");
    assert!(imap.unseen("INBOX").is_empty(), "the scheduled run marked the report");
    let exit = terminate(&mut server);
    assert!(exit.success(), "{exit:?}");
    drop(lines);
    assert_eq!(json(&i.ok(&["status", "--json"]))["events"], expected);
}

#[test]
fn imap_feeds_read_zipped_attachments_and_whole_abuse_reports() {
    let Some(imap) = Dovecot::start(false) else { return };
    imap.imap(&[("CREATE Shadowserver", b""), ("CREATE Abuse", b"")]);
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/crates/pipeline/tests/data/email");
    let zipped = format!("{data}/csv-attachment/shadowserver-scan_http-csv-zip.eml");
    let xarf = format!("{data}/xarf/blocklistde-xarf-regbot.eml");
    let lines = |path: &str| std::fs::read_to_string(format!("{path}.expected.jsonl")).unwrap().lines().count();
    let collector = |folder: &str| {
        format!(
            "{{ kind = \"imap\", host = \"localhost\", port = {}, tls = \"none\", username = \"{USER}\", \
             password = \"{PASSWORD}\", folder = \"{folder}\", timeout_secs = 10 }}",
            imap.port
        )
    };
    let i = instance(&format!(
        "[[feeds]]\nname = \"ss\"\nformat = \"shadowserver\"\nexperts = [\"rsit\"]\ncollector = {}\n\
         [[feeds]]\nname = \"abuse\"\nformat = \"xarf\"\nexperts = [\"rsit\"]\ncollector = {}\n",
        collector("Shadowserver"),
        collector("Abuse")
    ));
    imap.append("Shadowserver", &std::fs::read(&zipped).unwrap());
    imap.append("Abuse", &std::fs::read(&xarf).unwrap());
    // `config check` shows the feed but not its password.
    let shown = i.ok(&["config", "check"]);
    assert!(shown.contains("kind = \"imap\"") && !shown.contains(PASSWORD), "{shown}");

    let ss = json(&i.ok(&["feed", "run", "ss", "--json"]));
    assert_eq!((ss["stored"].as_u64(), ss["mail"]["marked"].as_u64()), (Some(lines(&zipped) as u64), Some(1)), "{ss}");
    let abuse = json(&i.ok(&["feed", "run", "abuse", "--json"]));
    assert_eq!((abuse["stored"].as_u64(), abuse["mail"]["marked"].as_u64()), (Some(lines(&xarf) as u64), Some(1)));
    assert!(imap.unseen("Shadowserver").is_empty() && imap.unseen("Abuse").is_empty());
}
