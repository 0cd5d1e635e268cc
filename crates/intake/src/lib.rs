//! Mail intake: one RFC 5322 message, as it arrives at the team's abuse address, read into an
//! [`InboundMail`]: sender, subject, the best plain-text body, the attachments, and the abuse
//! report it carries if it is one (ARF, RFC 5965; X-ARF 0.2; X-ARF JSON, v3 and v4), classified
//! in the RSIT taxonomy. Pure: no I/O, no clock; hostile input is refused with an
//! [`IntakeError`], never a panic.

mod report;

pub use report::{AbuseReport, ReportFormat, classify, parse_xarf_json};

use chrono::{DateTime, Utc};
use cirtkit_domain::extract::extract_observables;
use cirtkit_domain::{EmailAddress, Observable};
use mail_parser::{HeaderValue, MessageParser, MimeHeaders, PartType};
use sha2::{Digest, Sha256};
use std::collections::HashSet;

/// The largest message read, as large as common mail servers accept.
pub const MAX_MESSAGE_BYTES: usize = 25 * 1024 * 1024;

/// The most `Message-ID`s of a conversation looked at for threading: a long `References` chain
/// is cut to its newest part.
pub const MAX_THREAD_IDS: usize = 32;

/// What makes a message unreadable. Codes in brackets are stable, for logs and scripts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntakeError {
    #[error("[mail.too_large] the message has {size} bytes, more than the 25 MiB a message may have")]
    TooLarge { size: usize },
    #[error("[mail.empty] the message is empty: give one RFC 5322 message (headers, a blank line, the body)")]
    Empty,
    #[error("[mail.no_headers] this is not an e-mail message: it has no headers (From:, Subject:, …) before its body")]
    NoHeaders,
}

/// One message, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundMail {
    /// The `Message-ID`, without its angle brackets.
    pub message_id: Option<String>,
    /// The `Message-ID`s of the mails this one answers (`In-Reply-To`), without angle brackets.
    pub in_reply_to: Vec<String>,
    /// The `Message-ID`s of the conversation so far (`References`), oldest first.
    pub references: Vec<String>,
    /// The sender's address, when it is a valid one.
    pub from: Option<EmailAddress>,
    /// The subject, unfolded and decoded; empty when there is none.
    pub subject: String,
    pub date: Option<DateTime<Utc>>,
    /// The best plain-text body: the first text part, or the first HTML part as text.
    pub text: String,
    pub attachments: Vec<Attachment>,
    pub report: Option<AbuseReport>,
}

/// A part of the message kept as a file: a named attachment, a report part, an enclosed message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

impl Attachment {
    /// The SHA-256 of the bytes, in lower-case hex.
    pub fn sha256(&self) -> String {
        hex::encode(Sha256::digest(&self.bytes))
    }

    /// Whether the attachment is text a person can read as it is (CSV, plain text, JSON, a report).
    pub fn is_text(&self) -> bool {
        let ct = self.content_type.to_ascii_lowercase();
        let textual = ct.starts_with("text/")
            || ct.starts_with("message/")
            || matches!(ct.as_str(), "application/json" | "application/csv" | "application/x-yaml");
        let name = self.filename.to_ascii_lowercase();
        let by_name = [".csv", ".txt", ".json", ".log"].iter().any(|ext| name.ends_with(ext));
        (textual || by_name) && std::str::from_utf8(&self.bytes).is_ok()
    }
}

impl InboundMail {
    /// The `Message-ID`s this mail follows on from, the nearest first: those it answers, then
    /// the conversation from the newest back. Each once, at most [`MAX_THREAD_IDS`].
    pub fn thread_ids(&self) -> Vec<&str> {
        let mut seen = HashSet::new();
        self.in_reply_to
            .iter()
            .chain(self.references.iter().rev())
            .map(String::as_str)
            .filter(|id| seen.insert(*id))
            .take(MAX_THREAD_IDS)
            .collect()
    }

    /// What the mail is about, each once: for an abuse report, its own observables and those in
    /// the subject (the body of an automated report is boilerplate full of the reporter's links);
    /// otherwise those found in the subject and the body. The sender's own address is left out
    /// (it is who reported, not what is reported).
    pub fn observables(&self) -> Vec<Observable> {
        let mut seen = HashSet::new();
        if let Some(from) = &self.from {
            seen.insert(Observable::Email(from.clone()));
        }
        let from_report = self.report.iter().flat_map(|r| r.observables.iter().cloned());
        let body = if self.report.is_some() { Vec::new() } else { extract_observables(&self.text) };
        let from_text = extract_observables(&self.subject).into_iter().chain(body);
        from_report
            .chain(from_text)
            .filter(|o| seen.insert(o.clone()))
            .take(cirtkit_domain::extract::MAX_OBSERVABLES)
            .collect()
    }
}

/// Reads one message.
pub fn parse_mail(raw: &[u8]) -> Result<InboundMail, IntakeError> {
    if raw.len() > MAX_MESSAGE_BYTES {
        return Err(IntakeError::TooLarge { size: raw.len() });
    }
    let raw = skip_mbox_line(raw);
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Err(IntakeError::Empty);
    }
    if !starts_with_header(raw) {
        return Err(IntakeError::NoHeaders);
    }
    let message = MessageParser::default().parse(raw).ok_or(IntakeError::NoHeaders)?;
    if message.headers().is_empty() {
        return Err(IntakeError::NoHeaders);
    }

    let from = message
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .and_then(|a| a.trim().parse::<EmailAddress>().ok());
    let subject = message.subject().map(|s| s.split_whitespace().collect::<Vec<_>>().join(" ")).unwrap_or_default();
    let date = message.date().and_then(|d| DateTime::from_timestamp(d.to_timestamp(), 0));
    let text = message
        .body_text(0)
        .map(|t| t.into_owned())
        .or_else(|| message.body_html(0).map(|h| h.into_owned()))
        .unwrap_or_default();

    let mut attachments = Vec::new();
    let mut text_parts = Vec::new();
    for (i, part) in message.parts.iter().enumerate() {
        if matches!(part.body, PartType::Multipart(_)) || i == 0 {
            continue;
        }
        let content_type = part
            .content_type()
            .map(|ct| match ct.subtype() {
                Some(sub) => format!("{}/{}", ct.ctype(), sub),
                None => ct.ctype().to_owned(),
            })
            .unwrap_or_else(|| "text/plain".into())
            .to_ascii_lowercase();
        let bytes = part.contents().to_vec();
        if let Some(text) = part.text_contents() {
            text_parts.push((content_type.clone(), text.to_owned()));
        }
        let named = part.attachment_name().is_some();
        let report_part = content_type.starts_with("message/") || content_type == "application/json";
        let is_body = message.text_body.contains(&(i as u32)) || message.html_body.contains(&(i as u32));
        if named || report_part || (!is_body && !matches!(part.body, PartType::Text(_) | PartType::Html(_))) {
            let filename = part
                .attachment_name()
                .map(sanitise_filename)
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| default_filename(i, &content_type));
            attachments.push(Attachment { filename, content_type, bytes });
        }
    }
    // A single-part message whose body is JSON may itself be an X-ARF report.
    if message.parts.len() == 1
        && let Some(text) = message.parts.first().and_then(|p| p.text_contents())
    {
        text_parts.push(("text/plain".into(), text.to_owned()));
    }

    let report = report::detect(&message, &text_parts);
    Ok(InboundMail {
        message_id: message.message_id().map(message_id),
        in_reply_to: message_ids(message.in_reply_to()),
        references: message_ids(message.references()),
        from,
        subject,
        date,
        text,
        attachments,
        report,
    })
}

/// A `Message-ID` as it is kept and compared: without angle brackets or surrounding space.
pub fn message_id(id: &str) -> String {
    id.trim().trim_start_matches('<').trim_end_matches('>').trim().to_owned()
}

/// The `Message-ID`s of an `In-Reply-To` or `References` header.
fn message_ids(value: &HeaderValue<'_>) -> Vec<String> {
    value
        .as_text_list()
        .unwrap_or_default()
        .iter()
        .flat_map(|ids| ids.split_whitespace())
        .map(message_id)
        .filter(|id| !id.is_empty() && id.len() <= 998)
        .collect()
}

/// An mbox file's `From sender date` line is not a header: skip it when a message starts so.
fn skip_mbox_line(raw: &[u8]) -> &[u8] {
    if raw.starts_with(b"From ")
        && let Some(end) = raw.iter().position(|b| *b == b'\n')
    {
        return &raw[end + 1..];
    }
    raw
}

/// Whether the first line is a header field (`Name: value`), as in every message.
fn starts_with_header(raw: &[u8]) -> bool {
    let first_line = raw.split(|b| *b == b'\n').next().unwrap_or_default();
    match first_line.iter().position(|b| *b == b':') {
        Some(colon) => colon > 0 && first_line[..colon].iter().all(|b| b.is_ascii_graphic() && *b != b':'),
        None => false,
    }
}

/// A file name without directories or control characters, at most 255 bytes.
fn sanitise_filename(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let mut clean: String = base.chars().filter(|c| !c.is_control()).collect::<String>().trim().to_owned();
    while clean.len() > 255 {
        clean.pop();
    }
    if clean == "." || clean == ".." { String::new() } else { clean }
}

fn default_filename(index: usize, content_type: &str) -> String {
    let ext = match content_type {
        "message/rfc822" | "message/global" => "eml",
        "message/feedback-report" => "arf.txt",
        "application/json" => "json",
        ct if ct.starts_with("text/html") => "html",
        ct if ct.starts_with("text/") || ct.starts_with("message/") => "txt",
        _ => "bin",
    };
    format!("part-{index}.{ext}")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn refuses_what_is_not_a_message() {
        assert_eq!(parse_mail(b""), Err(IntakeError::Empty));
        assert_eq!(parse_mail(b"  \r\n"), Err(IntakeError::Empty));
        assert_eq!(parse_mail(b"just some text\nwithout headers\n"), Err(IntakeError::NoHeaders));
        assert_eq!(parse_mail(b"\n\nbody after a blank line"), Err(IntakeError::NoHeaders));
        let big = vec![b'a'; MAX_MESSAGE_BYTES + 1];
        assert!(matches!(parse_mail(&big), Err(IntakeError::TooLarge { .. })));
    }

    #[test]
    fn reads_a_plain_message() {
        let raw = b"From: Citizen <jane@example.org>\r\nSubject: Strange   mail\r\n\
Date: Tue, 03 Mar 2026 10:00:00 +0000\r\nMessage-ID: <1@example.org>\r\n\r\n\
I was sent to hxxp://bad[.]example/login and 192.0.2[.]9.\r\n";
        let mail = parse_mail(raw).unwrap();
        assert_eq!(mail.from.as_ref().unwrap().to_string(), "jane@example.org");
        assert_eq!(mail.subject, "Strange mail");
        assert_eq!(mail.message_id.as_deref(), Some("1@example.org"));
        assert_eq!(mail.date.unwrap().to_rfc3339(), "2026-03-03T10:00:00+00:00");
        assert!(mail.attachments.is_empty() && mail.report.is_none());
        assert!(mail.thread_ids().is_empty());
    }

    #[test]
    fn a_reply_names_the_mails_it_follows_nearest_first() {
        let raw = b"From: soc@bank.example\r\nSubject: Re: infected host\r\nMessage-ID: < 3@bank.example >\r\n\
In-Reply-To: <2@cirt.example>\r\nReferences: <1@bank.example>\r\n <2@cirt.example>\r\n\r\nDone.\r\n";
        let mail = parse_mail(raw).unwrap();
        assert_eq!(mail.message_id.as_deref(), Some("3@bank.example"));
        assert_eq!(mail.in_reply_to, ["2@cirt.example"]);
        assert_eq!(mail.references, ["1@bank.example", "2@cirt.example"]);
        assert_eq!(mail.thread_ids(), ["2@cirt.example", "1@bank.example"]);
        assert_eq!(message_id(" <x@y> "), "x@y");
    }

    #[test]
    fn file_names_lose_directories() {
        assert_eq!(sanitise_filename("../../etc/passwd"), "passwd");
        assert_eq!(sanitise_filename("C:\\x\\a.csv"), "a.csv");
        assert_eq!(sanitise_filename(".."), "");
    }
}
