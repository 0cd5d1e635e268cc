//! The files kept with incidents: listed and read under the incident's own rules, so that whoever
//! may not see an incident learns nothing of its files either.

use crate::{Principal, Result, ServiceError, Services};
use cirtkit_domain::{AttachmentId, IncidentId};
use cirtkit_storage::AttachmentRecord;

impl Services {
    /// An incident's files, oldest first, without their content.
    pub async fn attachments(&self, who: &Principal, incident: IncidentId) -> Result<Vec<AttachmentRecord>> {
        self.incident(who, incident).await?;
        Ok(self.store().attachments(incident).await?)
    }

    /// One file of an incident, with its content.
    pub async fn attachment(
        &self,
        who: &Principal,
        incident: IncidentId,
        id: AttachmentId,
    ) -> Result<(AttachmentRecord, Vec<u8>)> {
        self.incident(who, incident).await?;
        self.store()
            .attachment(incident, id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("no attachment {id} in incident {incident}")))
    }
}
