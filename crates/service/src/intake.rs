//! Mail intake: a message to the team's report address either continues an incident (its
//! subject names the incident's reference, or it answers a mail sent from or filed into the
//! incident) or opens one, classified from the abuse report it carries and attributed to the
//! constituents its sender and observables belong to. Its attachments are kept with the incident.

use crate::{Principal, Result, Services};
use cirtkit_domain::{
    Incident, IncidentReference, JournalKind, NewIncident, Observable, Pap, Permission, Rsit, Severity, Tlp,
};
use cirtkit_intake::{Attachment, InboundMail};
use cirtkit_storage::{MailDirection, WriteTx};

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

/// Where a mail goes.
enum Target {
    Existing(Incident),
    New(NewIncident),
}

impl Services {
    /// Threads a mail into the incident it continues, or opens a new incident from it. A mail
    /// continues an incident when its subject names the incident's reference, or when it answers
    /// (`In-Reply-To`, `References`) a mail sent from the incident or filed into it before.
    /// The mail becomes a `mail-in` journal entry and each attachment an `attachment` entry under
    /// it (name, type, size, SHA-256, and the text itself for small text files) with the file
    /// kept in the store, up to `ServiceSettings::max_attachment_bytes`; a larger one is noted,
    /// not kept. Everything, the new incident included, is stored in one change: all or nothing.
    pub async fn ingest_mail(&self, who: &Principal, mail: InboundMail) -> Result<MailOutcome> {
        who.require(Permission::EditIncidents)?;
        let target = match self.thread_of(who, &mail).await? {
            Some(incident) => Target::Existing(incident),
            None => Target::New(self.checked_new_incident(self.incident_from_mail(&mail)).await?),
        };
        let mut tx = self.begin(who).await?;
        let (incident, created) = match target {
            Target::Existing(incident) => (incident, false),
            Target::New(new) => (self.insert_incident(&mut tx, &new).await?, true),
        };
        let kept = self.journal_mail(&mut tx, &incident, &mail).await?;
        tx.commit().await?;
        tracing::info!(reference = %incident.reference, created, attachments = mail.attachments.len(), kept, "mail ingested");
        Ok(MailOutcome { reference: incident.reference, created, rsit: incident.rsit })
    }

    /// The incident a received mail with this `Message-ID` was already filed into, if any (so
    /// that a mailbox read twice files nothing twice).
    pub async fn incident_of_received_mail(&self, who: &Principal, message_id: &str) -> Result<Option<Incident>> {
        match self.store().incident_of_received_mail(&cirtkit_intake::message_id(message_id)).await? {
            Some(id) => Ok(self.incident(who, id).await.ok()),
            None => Ok(None),
        }
    }

    /// The incident a mail continues: the one its subject names, else the one holding a mail it
    /// answers. One that does not exist (or that `who` may not see) continues nothing.
    async fn thread_of(&self, who: &Principal, mail: &InboundMail) -> Result<Option<Incident>> {
        if let Some(reference) = IncidentReference::find_in(&mail.subject, &self.settings().reference_prefix)
            && let Ok(incident) = self.incident_by_key(who, &reference.to_string()).await
        {
            return Ok(Some(incident));
        }
        match self.store().incident_by_message_ids(&mail.thread_ids()).await? {
            Some(id) => Ok(self.incident(who, id).await.ok()),
            None => Ok(None),
        }
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

    /// Writes the mail, its `Message-ID` and its attachments into the incident; answers how many
    /// files were kept.
    async fn journal_mail(&self, tx: &mut WriteTx, incident: &Incident, mail: &InboundMail) -> Result<usize> {
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
        // journal reads as a conversation.
        let mail_entry = tx.add_journal_entry(incident, JournalKind::MailIn, &author, body.trim(), None).await?;
        if let Some(id) = mail.message_id.as_deref().filter(|id| !id.is_empty()) {
            tx.add_message_id(incident, mail_entry.id, id, MailDirection::In).await?;
        }
        let limit = self.settings().max_attachment_bytes;
        let mut kept = 0;
        for attachment in &mail.attachments {
            let keep = attachment.bytes.len() <= limit;
            let refused_over = if keep { None } else { Some(limit) };
            let description = attachment_entry(attachment, refused_over);
            let entry = tx
                .add_journal_entry(incident, JournalKind::Attachment, &author, &description, Some(mail_entry.id))
                .await?;
            if keep {
                tx.add_attachment(
                    incident,
                    entry.id,
                    &attachment.filename,
                    &attachment.content_type,
                    &attachment.bytes,
                )
                .await?;
                kept += 1;
            } else {
                tracing::warn!(reference = %incident.reference, size = attachment.bytes.len(), limit, "an attachment was too large to keep");
            }
        }
        Ok(kept)
    }
}

/// How an attachment is described in the journal: its name, type, size and hash; for small text,
/// the text; and where the file is, or that it was not kept, being larger than `refused_over`.
fn attachment_entry(a: &Attachment, refused_over: Option<usize>) -> String {
    let mut body = format!("{} ({}, {} bytes, sha256 {})", a.filename, a.content_type, a.bytes.len(), a.sha256());
    match refused_over {
        Some(limit) => body.push_str(&format!(
            "\n\n(not kept: larger than the {limit} bytes an attachment may have; raise `attachments.max_bytes` \
             to keep such files, and ask the sender for it again)"
        )),
        None if a.is_text() && a.bytes.len() <= MAX_INLINE_ATTACHMENT_BYTES => {
            body.push_str("\n\n");
            body.push_str(&String::from_utf8_lossy(&a.bytes));
        }
        None => body.push_str("\n\n(the file is kept with the incident's attachments)"),
    }
    body
}
