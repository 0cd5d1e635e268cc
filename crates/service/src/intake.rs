//! Mail intake: a message to the team's report address either continues an incident (its
//! subject names the incident's reference) or opens one, classified from the abuse report it
//! carries and attributed to the constituents its sender and observables belong to.

use crate::{Principal, Result, Services};
use cirtkit_domain::{
    Incident, IncidentReference, JournalKind, NewIncident, Observable, Pap, Permission, Rsit, Severity, Tlp,
};
use cirtkit_intake::{Attachment, InboundMail};

/// The longest description taken from a mail body; the whole mail is in the journal anyway.
const MAX_DESCRIPTION_CHARS: usize = 20_000;

/// Text attachments up to this size are kept in the journal in full.
const MAX_INLINE_ATTACHMENT_BYTES: usize = 256 * 1024;

/// What ingesting a mail did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MailOutcome {
    pub reference: IncidentReference,
    /// Whether a new incident was opened (otherwise the mail was threaded into an existing one).
    pub created: bool,
    /// The incident's classification.
    pub rsit: Rsit,
}

impl Services {
    /// Threads a mail into the incident its subject names, or opens a new incident from it.
    /// Either way the mail becomes a `mail-in` journal entry and each attachment an `attachment`
    /// entry (its name, type, size and SHA-256, and the text itself for small text files).
    pub async fn ingest_mail(&self, who: &Principal, mail: InboundMail) -> Result<MailOutcome> {
        let existing = match IncidentReference::find_in(&mail.subject, &self.settings().reference_prefix) {
            Some(reference) => self.incident_by_key(who, &reference.to_string()).await.ok(),
            None => None,
        };
        let (incident, created) = match existing {
            Some(incident) => (incident, false),
            None => (self.create_incident(who, self.incident_from_mail(&mail)).await?, true),
        };
        self.journal_mail(who, &incident, &mail).await?;
        tracing::info!(reference = %incident.reference, created, attachments = mail.attachments.len(), "mail ingested");
        Ok(MailOutcome { reference: incident.reference, created, rsit: incident.rsit })
    }

    fn incident_from_mail(&self, mail: &InboundMail) -> NewIncident {
        let sender = mail.from.as_ref().map_or_else(|| "an unknown sender".to_owned(), ToString::to_string);
        let title = if mail.subject.trim().is_empty() {
            format!("Report from {sender}")
        } else {
            mail.subject.chars().take(300).collect()
        };
        let mut description: String = mail.text.chars().take(MAX_DESCRIPTION_CHARS).collect();
        if description.len() < mail.text.len() {
            description.push_str("\n\n[…] (the whole mail is in the journal)");
        }
        let index = self.index();
        let organisations = mail
            .from
            .as_ref()
            .and_then(|from| index.lookup(&Observable::Domain(from.domain().clone())))
            .map(|m| m.organisation)
            .into_iter()
            .collect();
        NewIncident {
            title,
            description,
            rsit: mail.report.as_ref().map_or_else(Rsit::undetermined, |r| r.rsit),
            severity: mail.report.as_ref().and_then(|r| r.severity).unwrap_or(Severity::Medium),
            tlp: Tlp::Amber,
            pap: Pap::Amber,
            assignee: None,
            organisations,
            observables: mail.observables(),
        }
    }

    async fn journal_mail(&self, who: &Principal, incident: &Incident, mail: &InboundMail) -> Result<()> {
        let author = mail.from.as_ref().map_or_else(|| "unknown sender".to_owned(), ToString::to_string);
        let mut body = format!("From: {author}\nSubject: {}\n", mail.subject);
        if let Some(date) = mail.date {
            body.push_str(&format!("Date: {}\n", date.to_rfc3339()));
        }
        if let Some(id) = &mail.message_id {
            body.push_str(&format!("Message-ID: <{id}>\n"));
        }
        if let Some(report) = &mail.report {
            body.push_str(&format!(
                "Report: {} {} (classified {})\n",
                report.format.as_str(),
                report.report_type,
                report.rsit
            ));
        }
        body.push('\n');
        body.push_str(if mail.text.trim().is_empty() { "(no text)" } else { &mail.text });
        if !mail.attachments.is_empty() {
            body.push_str("\n\nAttachments:\n");
            for a in &mail.attachments {
                body.push_str(&format!("- {} ({}, {} bytes)\n", a.filename, a.content_type, a.bytes.len()));
            }
        }
        // The sender is the author of the entry (the principal is in the audit log), so that the
        // journal reads as a conversation; the mail and its attachments are written together.
        who.require(Permission::EditIncidents)?;
        let mut tx = self.begin(who).await?;
        let mail_entry = tx.add_journal_entry(incident, JournalKind::MailIn, &author, body.trim(), None).await?;
        for attachment in &mail.attachments {
            tx.add_journal_entry(
                incident,
                JournalKind::Attachment,
                &author,
                &attachment_entry(attachment),
                Some(mail_entry.id),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// How an attachment is kept in the journal until the store holds files: its description and,
/// for small text, the text.
fn attachment_entry(a: &Attachment) -> String {
    let mut body = format!("{} ({}, {} bytes, sha256 {})", a.filename, a.content_type, a.bytes.len(), a.sha256());
    if a.is_text() && a.bytes.len() <= MAX_INLINE_ATTACHMENT_BYTES {
        body.push_str("\n\n");
        body.push_str(&String::from_utf8_lossy(&a.bytes));
    } else {
        body.push_str("\n\n(binary or large content not stored)");
    }
    body
}
