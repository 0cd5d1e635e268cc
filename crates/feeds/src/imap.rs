//! The IMAP collector: reports that arrive as mail. Each run reads the unseen messages of the
//! feed's folder, spools each matching attachment (or, for formats that read whole messages,
//! the message) as an input named after its file name, and tells the mailbox only afterwards.
//!
//! A message is marked filed ([`PendingMail::settle`]) only once the run has read every input it
//! gave to its end and committed it: marked at fetch time, a run killed half-way would lose the
//! rest of the report. Marked late, a message read again after such a stop gives the same
//! attachments, which the run resumes (or skips, by their content hash) as any file. Collecting
//! changes nothing in the mailbox (so `cirtkit feed test` leaves it as it was); messages that give
//! no input are moved to the quarantine folder, if there is one, at the same time.

use crate::collect::{Input, spool_path};
use crate::run::{FileOutcome, RunReport};
use crate::spec::{CollectorSpec, FeedSpec, ImapCollector, matches_pattern, resolve_password};
use crate::{FeedError, Result};
use cirtkit_mailbox::{ImapSettings, Mailbox};
use cirtkit_notify::TlsMode;
use mail_parser::{MessageParser, MimeHeaders};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::time::Duration;

/// A message the run does not read, and why; moved to the quarantine folder once the run is over
/// (when there is one), or left unseen where it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetAside {
    pub uid: u32,
    pub reason: String,
    /// The quarantine folder it was moved to; none: left unseen in the feed's folder (or not
    /// moved yet).
    pub moved_to: Option<String>,
    /// Whether it may hold a report that was not read (too big, too many attachments,
    /// unreadable), rather than simply none (no matching attachment).
    pub unread_report: bool,
}

/// The messages a run was given, to mark filed once the run has read them.
#[derive(Debug)]
pub struct PendingMail {
    feed: String,
    settings: ImapSettings,
    uid_validity: Option<u32>,
    messages: Vec<Fetched>,
    set_aside: Vec<SetAside>,
}

/// One message and the inputs it gave, by name and content hash (as the run reports them).
#[derive(Debug)]
struct Fetched {
    uid: u32,
    inputs: Vec<(String, String)>,
}

/// What the mailbox was told after the run.
#[derive(Debug, Default)]
pub struct MailSettled {
    /// Messages marked filed.
    pub marked: usize,
    /// Messages set aside, with where they went.
    pub set_aside: Vec<SetAside>,
}

/// What the mailbox gave.
#[derive(Debug)]
pub struct MailCollected {
    pub inputs: Vec<Input>,
    pub pending: PendingMail,
    /// Unseen messages beyond `max_messages`, left for the next run.
    pub left_for_next_run: usize,
}

impl PendingMail {
    /// The messages set aside (not moved yet).
    pub fn set_aside(&self) -> &[SetAside] {
        &self.set_aside
    }

    /// Marks filed (`\Seen`, and moved to the processed folder if set) each message whose every
    /// input the run read to its end (or skipped, as read before), and moves the messages set
    /// aside to the quarantine folder if there is one. The others stay unseen for the next run.
    pub async fn settle(self, report: &RunReport) -> Result<MailSettled> {
        let read = |(name, sha256): &(String, String)| {
            report
                .files
                .iter()
                .any(|f| f.name == *name && f.sha256 == *sha256 && !matches!(f.outcome, FileOutcome::Failed { .. }))
        };
        let done: Vec<u32> = self.messages.iter().filter(|m| m.inputs.iter().all(read)).map(|m| m.uid).collect();
        let mut settled = MailSettled { marked: 0, set_aside: self.set_aside };
        let to_move = !settled.set_aside.is_empty() && self.settings.quarantine_folder.is_some();
        if done.is_empty() && !to_move {
            return Ok(settled);
        }
        let failed = |reason: String| FeedError::Collect { feed: self.feed.clone(), reason };
        let mut mailbox = Mailbox::open(&self.settings).await.map_err(|e| failed(e.to_string()))?;
        if mailbox.uid_validity() != self.uid_validity {
            mailbox.close().await;
            return Err(failed(format!(
                "the folder {:?} was recreated during the run (its UIDVALIDITY changed): no message was marked; \
                 the next run reads them again and skips what this one read",
                self.settings.mailbox
            )));
        }
        let mut result = Ok(());
        for uid in done {
            if let Err(e) = mailbox.mark_filed(uid).await {
                result = Err(failed(format!("{} message(s) marked, then: {e}", settled.marked)));
                break;
            }
            settled.marked += 1;
        }
        for message in &mut settled.set_aside {
            if result.is_err() {
                break;
            }
            match mailbox.quarantine(message.uid).await {
                Ok(true) => message.moved_to = self.settings.quarantine_folder.clone(),
                Ok(false) => {}
                Err(e) => result = Err(failed(format!("cannot set aside the message UID {}: {e}", message.uid))),
            }
        }
        mailbox.close().await;
        result.map(|()| settled)
    }
}

/// The mailbox settings of an IMAP feed, with its password read from where the feed says.
pub fn settings_of(spec: &FeedSpec) -> Result<ImapSettings> {
    let CollectorSpec::Imap(imap) = &spec.collector else {
        return Err(FeedError::Internal(format!("feed {:?} is not an IMAP feed", spec.name)));
    };
    let ImapCollector {
        host,
        port,
        tls,
        ca_file,
        username,
        password,
        password_env,
        password_file,
        folder,
        processed_folder,
        quarantine_folder,
        timeout_secs,
        ..
    } = imap.as_ref();
    let failed = |reason: String| FeedError::Config { feed: spec.name.clone(), reason };
    let password = resolve_password(password.as_ref(), password_env.as_deref(), password_file.as_deref())
        .map_err(|e| failed(format!("collector.{e}")))?;
    let extra_ca_pem = match ca_file {
        Some(path) => Some(
            std::fs::read(path)
                .map_err(|e| failed(format!("collector.ca_file: cannot read {}: {e}", path.display())))?,
        ),
        None => None,
    };
    Ok(ImapSettings {
        host: host.clone(),
        port: port.unwrap_or(if *tls == TlsMode::Implicit { 993 } else { 143 }),
        tls: *tls,
        extra_ca_pem,
        username: username.clone(),
        password: password.expose().to_owned(),
        mailbox: folder.clone(),
        processed_folder: processed_folder.clone(),
        quarantine_folder: quarantine_folder.clone(),
        timeout: Duration::from_secs((*timeout_secs).max(1)),
    })
}

/// Reads the feed's unseen messages (at most `max_messages`, oldest first) into spooled inputs.
/// Messages that give no input are set aside at once; nothing is marked filed here.
pub async fn collect_imap(spec: &FeedSpec, spool_dir: &Path) -> Result<MailCollected> {
    let CollectorSpec::Imap(imap) = &spec.collector else {
        return Err(FeedError::Internal(format!("feed {:?} is not an IMAP feed", spec.name)));
    };
    let ImapCollector { attachments, max_message_bytes, max_attachments, max_messages, .. } = imap.as_ref();
    let settings = settings_of(spec)?;
    let whole = spec.reads_whole_messages();
    let failed =
        |e: cirtkit_mailbox::MailboxError| FeedError::Collect { feed: spec.name.clone(), reason: e.to_string() };
    let mut mailbox = Mailbox::open(&settings).await.map_err(failed)?;
    let mut inputs = Vec::new();
    let result = async {
        let mut unseen = mailbox.unseen().await.map_err(failed)?;
        let limit = usize::try_from(*max_messages).unwrap_or(usize::MAX);
        let left_for_next_run = unseen.len().saturating_sub(limit);
        unseen.truncate(limit);
        if left_for_next_run > 0 {
            tracing::info!(feed = %spec.name, left = left_for_next_run, "more unseen messages than max_messages: the rest wait for the next run");
        }
        let sizes = mailbox.sizes(&unseen).await.map_err(failed)?;
        let mut messages = Vec::new();
        let mut set_aside = Vec::new();
        for uid in unseen {
            // A server that gives no size for a message: the size of what it sends is checked.
            let size = sizes.iter().find(|(u, _)| *u == uid).map_or(0, |(_, size)| *size);
            let extracted = if size > *max_message_bytes {
                Err(Refusal::unread(format!(
                    "the message is {size} bytes, more than collector.max_message_bytes ({max_message_bytes})"
                )))
            } else {
                match mailbox.fetch(uid).await.map_err(failed)? {
                    None => continue,
                    // The server's size is checked again on what came (it may have understated it).
                    Some(raw) if raw.len() as u64 > *max_message_bytes => Err(Refusal::unread(format!(
                        "the message is {} bytes, more than collector.max_message_bytes ({max_message_bytes})",
                        raw.len()
                    ))),
                    Some(raw) => extract(&raw, uid, whole, attachments, *max_attachments),
                }
            };
            match extracted {
                Ok(files) => {
                    let mut fetched = Fetched { uid, inputs: Vec::new() };
                    for (name, bytes) in files {
                        let input = spool_bytes(&bytes, spool_dir, &name).await?;
                        fetched.inputs.push((name, hex::encode(Sha256::digest(&bytes))));
                        inputs.push(input);
                    }
                    messages.push(fetched);
                }
                Err(refusal) => {
                    tracing::warn!(feed = %spec.name, uid, reason = %refusal.reason,
                        "a message of the feed's mailbox gives nothing to read: set aside");
                    set_aside.push(SetAside {
                        uid,
                        reason: refusal.reason,
                        moved_to: None,
                        unread_report: refusal.unread_report,
                    });
                }
            }
        }
        Ok::<_, FeedError>((messages, set_aside, left_for_next_run))
    }
    .await;
    let uid_validity = mailbox.uid_validity();
    mailbox.close().await;
    match result {
        Ok((messages, set_aside, left_for_next_run)) => Ok(MailCollected {
            inputs,
            pending: PendingMail { feed: spec.name.clone(), settings, uid_validity, messages, set_aside },
            left_for_next_run,
        }),
        Err(e) => {
            for input in &inputs {
                let _ = std::fs::remove_file(&input.path);
            }
            Err(e)
        }
    }
}

/// Why a message gives no input.
#[derive(Debug, PartialEq, Eq)]
struct Refusal {
    reason: String,
    unread_report: bool,
}

impl Refusal {
    fn unread(reason: String) -> Refusal {
        Refusal { reason, unread_report: true }
    }
}

/// The inputs of one message: the whole message (for formats that read mail), or its
/// attachments whose names match `pattern`, signatures apart.
fn extract(
    raw: &[u8],
    uid: u32,
    whole: bool,
    pattern: &str,
    max_attachments: u32,
) -> Result<Vec<(String, Vec<u8>)>, Refusal> {
    if whole {
        return Ok(vec![(format!("message-{uid}.eml"), raw.to_vec())]);
    }
    let message = MessageParser::default()
        .parse(raw)
        .filter(|m| !m.parts.is_empty() && !m.headers().is_empty())
        .ok_or_else(|| Refusal::unread("the message is not readable as mail".into()))?;
    let mut out = Vec::new();
    for (n, part) in message.attachments().enumerate() {
        let ctype = part
            .content_type()
            .map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or_default()).to_ascii_lowercase());
        if ctype.as_deref().is_some_and(|c| c.ends_with("pgp-signature") || c.ends_with("pkcs7-signature")) {
            continue;
        }
        let fallback =
            if part.is_message() { format!("attachment-{}.eml", n + 1) } else { format!("attachment-{}", n + 1) };
        let name = part.attachment_name().map(file_name).filter(|n| !n.is_empty()).unwrap_or(fallback);
        if matches_pattern(pattern, &name) {
            out.push((name, part.contents().to_vec()));
        }
    }
    if out.is_empty() {
        return Err(Refusal { reason: format!("no attachment matches {pattern:?}"), unread_report: false });
    }
    if out.len() > usize::try_from(max_attachments).unwrap_or(usize::MAX) {
        return Err(Refusal::unread(format!(
            "{} attachments match {pattern:?}, more than collector.max_attachments ({max_attachments})",
            out.len()
        )));
    }
    Ok(out)
}

/// An attachment's name as a file name: its last path segment, without control characters.
fn file_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = last.chars().filter(|c| !c.is_control()).collect();
    let clean = clean.trim();
    if clean == "." || clean == ".." { String::new() } else { clean.to_owned() }
}

async fn spool_bytes(bytes: &[u8], spool_dir: &Path, name: &str) -> Result<Input> {
    let path = spool_path(spool_dir)?;
    if let Err(e) = tokio::fs::write(&path, bytes).await {
        let _ = tokio::fs::remove_file(&path).await;
        return Err(FeedError::Io { context: format!("cannot write {}", path.display()), source: e });
    }
    Ok(Input { path, name: name.to_owned(), spooled: true })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(parts: &str) -> Vec<u8> {
        format!(
            "From: Shadowserver <autoreports@shadowserver.example>\r\nTo: cert@cirt.example\r\n\
             Subject: Shadowserver report\r\nMessage-ID: <r1@shadowserver.example>\r\nMIME-Version: 1.0\r\n\
             Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n\
             Your daily reports.\r\n{parts}--b--\r\n"
        )
        .into_bytes()
    }

    fn attachment(name: &str, ctype: &str, body: &str) -> String {
        format!(
            "--b\r\nContent-Type: {ctype}\r\nContent-Disposition: attachment; filename=\"{name}\"\r\n\r\n{body}\r\n"
        )
    }

    #[test]
    fn matching_attachments_are_inputs_named_after_their_files() {
        let raw = mail(&format!(
            "{}{}{}",
            attachment("2026-03-01-scan_rdp-xx-geo.csv", "text/csv", "\"ip\"\r\n\"192.0.2.1\""),
            attachment("../../etc/readme.txt", "text/plain", "hello"),
            attachment("signature.asc", "application/pgp-signature", "sig"),
        ));
        let all = extract(&raw, 7, false, "*", 20).unwrap();
        let names: Vec<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["2026-03-01-scan_rdp-xx-geo.csv", "readme.txt"], "signatures apart, no path");
        assert_eq!(all[0].1, b"\"ip\"\r\n\"192.0.2.1\"");
        let csv = extract(&raw, 7, false, "*.csv", 20).unwrap();
        assert_eq!(csv.len(), 1);
        let none = extract(&raw, 7, false, "*.json", 20).unwrap_err();
        assert_eq!(none, Refusal { reason: "no attachment matches \"*.json\"".into(), unread_report: false });
        let many = extract(&raw, 7, false, "*", 1).unwrap_err();
        assert!(many.unread_report && many.reason.contains("max_attachments (1)"), "{many:?}");
        let whole = extract(&raw, 7, true, "*", 1).unwrap();
        assert_eq!((whole[0].0.as_str(), whole[0].1.len()), ("message-7.eml", raw.len()));
        let text = extract(b"From: a@b.example\r\nSubject: x\r\n\r\nno attachment\r\n", 8, false, "*", 20);
        assert!(!text.unwrap_err().unread_report);
        assert!(extract(b"\x00\x01 not mail", 9, false, "*", 20).is_err(), "set aside");
        assert!(extract(b"", 9, false, "*", 20).unwrap_err().unread_report);
    }

    #[test]
    fn attachment_names_lose_paths_and_control_characters() {
        assert_eq!(file_name("C:\\reports\\scan.csv"), "scan.csv");
        assert_eq!(file_name("a/b/\u{7}x.csv"), "x.csv");
        assert_eq!(file_name(".."), "");
    }

    #[test]
    fn the_password_comes_from_the_environment_or_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pw");
        std::fs::write(&file, "s3cret\nignored\n").unwrap();
        let mut spec = FeedSpec::one_off("ss", "shadowserver");
        spec.collector = serde_json::from_value(serde_json::json!({
            "kind": "imap", "host": "127.0.0.1", "tls": "none", "username": "u",
            "password_file": file, "folder": "Reports"
        }))
        .unwrap();
        assert!(spec.problems("f").is_empty(), "{:?}", spec.problems("f"));
        let s = settings_of(&spec).unwrap();
        assert_eq!((s.password.as_str(), s.port, s.mailbox.as_str()), ("s3cret", 143, "Reports"));
        spec.collector = serde_json::from_value(serde_json::json!({
            "kind": "imap", "host": "127.0.0.1", "tls": "none", "username": "u",
            "password_env": "CIRTKIT_TEST_SURELY_UNSET_VARIABLE"
        }))
        .unwrap();
        let e = settings_of(&spec).unwrap_err().to_string();
        assert!(e.contains("collector.password_env") && e.contains("CIRTKIT_TEST_SURELY_UNSET_VARIABLE"), "{e}");
    }

    proptest::proptest! {
        /// Whatever a mailbox holds: an error or inputs, never a panic, and an input's name
        /// is a bare file name (it names the input; the spool file's path is ours).
        #[test]
        fn any_message_gives_inputs_or_a_reason(
            body in proptest::collection::vec(proptest::num::u8::ANY, 0..2000),
            name in "[^\\x00]{0,40}",
        ) {
            let mut raw = format!(
                "From: a@example.org\r\nSubject: r\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n\
                 --b\r\nContent-Type: text/csv\r\nContent-Disposition: attachment; filename=\"{name}\"\r\n\r\n"
            )
            .into_bytes();
            raw.extend_from_slice(&body);
            raw.extend_from_slice(b"\r\n--b--\r\n");
            for message in [&raw[..], &body[..]] {
                if let Ok(inputs) = extract(message, 1, false, "*", 20) {
                    for (n, _) in inputs {
                        proptest::prop_assert!(!n.contains('/') && !n.contains('\\') && n != ".." && !n.is_empty(), "{n:?}");
                    }
                }
            }
        }
    }
}
