//! Abuse Reporting Format (RFC 5965) mails, as feedback loops send them: the
//! `message/feedback-report` part says which address sent the reported message (`Source-IP`),
//! when it arrived (`Arrival-Date`, or AOL's `Received-Date`) and what kind of report it is
//! (`Feedback-Type`). One event per message.

use super::mail::{self, field};
use crate::event::{ClassificationType, Field};
use crate::parse::{ParseContext, Parser, ParserSpec, Sink, emit};
use crate::{Event, PipelineError};
use serde_json::Value as J;
use std::io::BufRead;

pub(crate) static SPECS: &[ParserSpec] = &[ParserSpec {
    format: "arf",
    description: "Abuse Reporting Format (RFC 5965) feedback-loop mails: one event per report",
    build: |_| Ok(Box::new(Arf)),
}];

#[derive(Debug)]
pub struct Arf;

/// The classification of a feedback type (RFC 5965 section 7.3, RFC 6591, RFC 6430).
fn classification(feedback_type: &str) -> Result<ClassificationType, PipelineError> {
    Ok(match feedback_type {
        "abuse" => ClassificationType::Spam,
        "fraud" => ClassificationType::Phishing,
        "virus" => ClassificationType::MalwareDistribution,
        // A report that a message was wrongly taken for spam is not an abuse event.
        "not-spam" => {
            return Err(PipelineError::record("a not-spam report says the message was not abuse: no event"));
        }
        // auth-failure (a message that failed SPF/DKIM/DMARC), other, and types to come.
        _ => ClassificationType::Undetermined,
    })
}

fn report_event(ctx: &ParseContext, text: &str) -> Result<Event, PipelineError> {
    let f = mail::fields(text);
    let mut e = ctx.new_event();
    let feedback_type = field(&f, "feedback-type").unwrap_or("other").to_ascii_lowercase();
    e.classify(classification(&feedback_type)?);
    e.set_extra("feedback_type", J::String(feedback_type))?;
    let source = field(&f, "source-ip");
    let domain = field(&f, "reported-domain");
    if source.is_none() && domain.is_none() {
        return Err(PipelineError::record("the feedback report names no Source-IP and no Reported-Domain"));
    }
    if let Some(ip) = source {
        e.add(Field::SourceIp, ip)?;
    }
    if let Some(t) = field(&f, "arrival-date").or_else(|| field(&f, "received-date")) {
        e.add(Field::TimeSource, strip_comment(t))?;
    }
    // The domain the report generator thought key: often the sender's, but some loops (Comcast,
    // Cox) write their own. Kept aside, not as source.fqdn, so it cannot blame the wrong owner.
    for (key, name) in [
        ("reported_domain", "reported-domain"),
        ("reported_uri", "reported-uri"),
        ("original_mail_from", "original-mail-from"),
        ("user_agent", "user-agent"),
    ] {
        if let Some(v) = field(&f, name) {
            e.set_extra(key, J::String(v.to_owned()))?;
        }
    }
    e.add(Field::ProtocolApplication, "smtp")?;
    e.set_raw(text.as_bytes());
    Ok(e)
}

/// A mail date without its trailing comment: `Tue, 19 Jan 2016 19:04:10 -0500 (EST)`.
pub(crate) fn strip_comment(date: &str) -> &str {
    match date.rfind(" (") {
        Some(i) if date.ends_with(')') => &date[..i],
        _ => date,
    }
}

impl Parser for Arf {
    fn format(&self) -> &'static str {
        "arf"
    }

    fn reads_mail(&self) -> bool {
        true
    }

    fn parse(&self, input: &mut dyn BufRead, ctx: &ParseContext, sink: &mut dyn Sink) -> Result<(), PipelineError> {
        let bytes = mail::read_all(input, &ctx.limits, "an e-mail message")?;
        let message = mail::read_mail(&bytes)?;
        let reports: Vec<&mail::Part> =
            message.iter().filter(|p| p.content_type == "message/feedback-report").collect();
        if reports.is_empty() {
            return Err(PipelineError::Unrecognised {
                reason: "the message has no message/feedback-report part: it is not an ARF report".into(),
            });
        }
        for (n, part) in reports.into_iter().enumerate() {
            let text = String::from_utf8_lossy(&part.body);
            emit(ctx, sink, n as u64 + 1, &part.body, report_event(ctx, &text).map(Some));
        }
        Ok(())
    }
}
