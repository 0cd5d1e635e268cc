//! Storage of the files kept with incidents (their content in the database, so that one backup
//! holds everything) and of the `Message-ID`s of the mail filed into or sent from each incident,
//! by which answers are threaded.

use crate::{Result, StorageError, Store, WriteTx};
use chrono::{DateTime, Utc};
use cirtkit_domain::{AttachmentId, Incident, IncidentId, JournalEntryId};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;

/// A kept file, without its content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttachmentRecord {
    pub id: AttachmentId,
    pub incident: IncidentId,
    /// The journal entry that describes it (under the mail it came with).
    pub journal_entry: JournalEntryId,
    /// The name it came with, without directories.
    pub filename: String,
    pub content_type: String,
    /// Its size in bytes.
    pub size: i64,
    /// The SHA-256 of the content, in lower-case hex.
    pub sha256: String,
    pub created_at: DateTime<Utc>,
}

/// Which way a mail went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MailDirection {
    /// Received and filed into the incident.
    In,
    /// Sent from the incident.
    Out,
}

impl MailDirection {
    fn as_str(self) -> &'static str {
        match self {
            MailDirection::In => "in",
            MailDirection::Out => "out",
        }
    }
}

const ATTACHMENT_COLUMNS: &str = "id, incident_id, journal_entry_id, filename, content_type, size, sha256, created_at";

macro_rules! attachment_row {
    ($r:expr) => {{
        let r = $r;
        AttachmentRecord {
            id: AttachmentId(r.try_get("id")?),
            incident: IncidentId(r.try_get("incident_id")?),
            journal_entry: JournalEntryId(r.try_get("journal_entry_id")?),
            filename: r.try_get("filename")?,
            content_type: r.try_get("content_type")?,
            size: r.try_get("size")?,
            sha256: r.try_get("sha256")?,
            created_at: r.try_get("created_at")?,
        }
    }};
}

impl Store {
    /// An incident's files, oldest first, without their content.
    pub async fn attachments(&self, incident: IncidentId) -> Result<Vec<AttachmentRecord>> {
        let sql = format!("SELECT {ATTACHMENT_COLUMNS} FROM attachments WHERE incident_id = $1 ORDER BY id");
        on_pool!(self, pool => {
            let rows = sqlx::query(&sql).bind(incident.0).fetch_all(pool).await?;
            rows.iter().map(|r| Ok(attachment_row!(r))).collect()
        })
    }

    /// One file of an incident, with its content; `None` when the incident has no such file.
    pub async fn attachment(
        &self,
        incident: IncidentId,
        id: AttachmentId,
    ) -> Result<Option<(AttachmentRecord, Vec<u8>)>> {
        let sql = format!("SELECT {ATTACHMENT_COLUMNS}, content FROM attachments WHERE id = $1 AND incident_id = $2");
        on_pool!(self, pool => {
            let row = sqlx::query(&sql).bind(id.0).bind(incident.0).fetch_optional(pool).await?;
            row.as_ref()
                .map(|r| Ok::<_, StorageError>((attachment_row!(r), r.try_get::<Vec<u8>, _>("content")?)))
                .transpose()
        })
    }

    /// The incident a mail with one of these `Message-ID`s was filed into or sent from, trying
    /// them in the order given (the nearest in the conversation first); the newest such mail wins.
    pub async fn incident_by_message_ids(&self, message_ids: &[&str]) -> Result<Option<IncidentId>> {
        for message_id in message_ids {
            let found: Option<i64> = on_pool!(self, pool => {
                sqlx::query_scalar("SELECT incident_id FROM mail_messages WHERE message_id = $1 ORDER BY id DESC LIMIT 1")
                    .bind(*message_id)
                    .fetch_optional(pool)
                    .await?
            });
            if let Some(id) = found {
                return Ok(Some(IncidentId(id)));
            }
        }
        Ok(None)
    }

    /// The incident a received mail with this `Message-ID` was already filed into, if any.
    pub async fn incident_of_received_mail(&self, message_id: &str) -> Result<Option<IncidentId>> {
        let found: Option<i64> = on_pool!(self, pool => {
            sqlx::query_scalar(
                "SELECT incident_id FROM mail_messages WHERE message_id = $1 AND direction = 'in' ORDER BY id LIMIT 1",
            )
            .bind(message_id)
            .fetch_optional(pool)
            .await?
        });
        Ok(found.map(IncidentId))
    }

    /// The `Message-ID` of the last mail received into an incident, which a reply answers.
    pub async fn last_received_message_id(&self, incident: IncidentId) -> Result<Option<String>> {
        let found: Option<String> = on_pool!(self, pool => {
            sqlx::query_scalar(
                "SELECT message_id FROM mail_messages WHERE incident_id = $1 AND direction = 'in' ORDER BY id DESC LIMIT 1",
            )
            .bind(incident.0)
            .fetch_optional(pool)
            .await?
        });
        Ok(found)
    }
}

impl WriteTx {
    /// Keeps a file with an incident, under the journal entry that describes it, and audits it
    /// (its name, type, size and hash: the content is in the row, not in the audit log).
    pub async fn add_attachment(
        &mut self,
        incident: &Incident,
        journal_entry: JournalEntryId,
        filename: &str,
        content_type: &str,
        content: &[u8],
    ) -> Result<AttachmentRecord> {
        let now = self.now;
        let sha256 = hex::encode(Sha256::digest(content));
        let size = i64::try_from(content.len()).map_err(|_| StorageError::Conflict("the file is too large".into()))?;
        let id: i64 = on_tx!(self, c => {
            sqlx::query_scalar(
                "INSERT INTO attachments (incident_id, journal_entry_id, filename, content_type, size, sha256, content, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(incident.id.0)
            .bind(journal_entry.0)
            .bind(filename)
            .bind(content_type)
            .bind(size)
            .bind(&sha256)
            .bind(content)
            .bind(now)
            .fetch_one(&mut *c)
            .await?
        });
        let record = AttachmentRecord {
            id: AttachmentId(id),
            incident: incident.id,
            journal_entry,
            filename: filename.to_owned(),
            content_type: content_type.to_owned(),
            size,
            sha256,
            created_at: now,
        };
        self.audit(
            "incident.attachment.add",
            "incident",
            &incident.reference,
            None,
            Some(serde_json::to_value(&record)?),
        )
        .await?;
        Ok(record)
    }

    /// Notes the `Message-ID` of a mail filed into or sent from an incident, so that answers to
    /// it are threaded there.
    pub async fn add_message_id(
        &mut self,
        incident: &Incident,
        journal_entry: JournalEntryId,
        message_id: &str,
        direction: MailDirection,
    ) -> Result<()> {
        let now = self.now;
        on_tx!(self, c => {
            sqlx::query(
                "INSERT INTO mail_messages (message_id, incident_id, journal_entry_id, direction, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(message_id)
            .bind(incident.id.0)
            .bind(journal_entry.0)
            .bind(direction.as_str())
            .bind(now)
            .execute(&mut *c)
            .await?;
        });
        self.audit(
            "incident.message_id.add",
            "incident",
            &incident.reference,
            None,
            Some(serde_json::json!({"message_id": message_id, "direction": direction, "journal_entry": journal_entry})),
        )
        .await?;
        Ok(())
    }
}
