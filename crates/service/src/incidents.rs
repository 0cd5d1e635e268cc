//! Incidents: opening, moving through the process, the journal, observables and links. A
//! constituent sees only its own organisation's incidents, and only up to TLP:AMBER+STRICT
//! (TLP:RED stays with the people it was given to: the team).

use crate::{Principal, Result, ServiceError, Services};
use cirtkit_domain::{
    Incident, IncidentId, JournalEntry, JournalEntryId, JournalKind, LinkKind, NewIncident, Observable, Permission,
    Role, Tlp, Transition,
};

impl Services {
    /// Whether this principal may see this incident.
    pub fn may_see(&self, who: &Principal, incident: &Incident) -> bool {
        match who.role() {
            Role::Constituent(org) => {
                incident.organisations.contains(&org) && incident.tlp.may_release_to(Tlp::AmberStrict)
            }
            role => role.allows(Permission::ReadEverything),
        }
    }

    /// Opens an incident. Affected organisations are those given plus the owners the
    /// constituency lookup finds for its observables.
    pub async fn create_incident(&self, who: &Principal, new: NewIncident) -> Result<Incident> {
        who.require(Permission::EditIncidents)?;
        let mut new = new.checked()?;
        let index = self.index();
        new.organisations.extend(new.observables.iter().filter_map(|o| index.lookup(o)).map(|m| m.organisation));
        new.organisations.sort();
        new.organisations.dedup();
        if let Some(assignee) = new.assignee
            && self.store().user(assignee).await?.is_none()
        {
            return Err(ServiceError::Invalid(format!("no user {assignee} to assign")));
        }
        for org in &new.organisations {
            if self.store().organisation(*org).await?.is_none() {
                return Err(ServiceError::Invalid(format!("no organisation {org}")));
            }
        }
        let mut tx = self.begin(who).await?;
        let due = self.settings().sla.due(new.severity, tx.now());
        let incident = tx.insert_incident(&new, &self.settings().reference_prefix, due).await?;
        tx.commit().await?;
        Ok(incident)
    }

    pub async fn incident(&self, who: &Principal, id: IncidentId) -> Result<Incident> {
        let incident = self.store().incident(id).await?;
        match incident {
            Some(i) if self.may_see(who, &i) => Ok(i),
            // The same answer whether it does not exist or may not be seen: nothing leaks.
            _ => Err(ServiceError::NotFound(format!("no incident {id}"))),
        }
    }

    /// Moves an incident through its process and notes the move in its journal.
    pub async fn transition(&self, who: &Principal, id: IncidentId, transition: Transition) -> Result<Incident> {
        who.require(Permission::EditIncidents)?;
        let before = self.incident(who, id).await?;
        let to = before.state.apply(transition)?;
        let mut tx = self.begin(who).await?;
        let after = tx.set_incident_state(&before, to).await?;
        tx.add_journal_entry(
            &after,
            JournalKind::StateChange,
            &who.display_name(),
            &format!("{} → {}", before.state, to),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    pub async fn add_journal_entry(
        &self,
        who: &Principal,
        id: IncidentId,
        kind: JournalKind,
        body: &str,
        reply_to: Option<JournalEntryId>,
    ) -> Result<JournalEntry> {
        who.require(Permission::EditIncidents)?;
        if kind == JournalKind::StateChange {
            return Err(ServiceError::Invalid("state changes are written by moving the incident".into()));
        }
        let body = body.trim();
        if body.is_empty() {
            return Err(ServiceError::Invalid("a journal entry needs some text".into()));
        }
        let incident = self.incident(who, id).await?;
        if let Some(parent) = reply_to
            && !self.store().journal(id).await?.iter().any(|e| e.id == parent)
        {
            return Err(ServiceError::Invalid(format!("entry {parent} is not in this incident's journal")));
        }
        let mut tx = self.begin(who).await?;
        let entry = tx.add_journal_entry(&incident, kind, &who.display_name(), body, reply_to).await?;
        tx.commit().await?;
        Ok(entry)
    }

    pub async fn journal(&self, who: &Principal, id: IncidentId) -> Result<Vec<JournalEntry>> {
        self.incident(who, id).await?;
        Ok(self.store().journal(id).await?)
    }

    pub async fn add_observable(&self, who: &Principal, id: IncidentId, observable: &Observable) -> Result<bool> {
        who.require(Permission::EditIncidents)?;
        let incident = self.incident(who, id).await?;
        let mut tx = self.begin(who).await?;
        let added = tx.add_observable(&incident, observable).await?;
        tx.commit().await?;
        Ok(added.is_some())
    }

    pub async fn observables(&self, who: &Principal, id: IncidentId) -> Result<Vec<Observable>> {
        self.incident(who, id).await?;
        Ok(self.store().incident_observables(id).await?.into_iter().map(|(_, o)| o).collect())
    }

    pub async fn link_incidents(
        &self,
        who: &Principal,
        from: IncidentId,
        to: IncidentId,
        kind: LinkKind,
    ) -> Result<()> {
        who.require(Permission::EditIncidents)?;
        if from == to {
            return Err(ServiceError::Invalid("an incident cannot be linked to itself".into()));
        }
        let a = self.incident(who, from).await?;
        let b = self.incident(who, to).await?;
        let mut tx = self.begin(who).await?;
        tx.link_incidents(&a, &b, kind).await?;
        tx.commit().await?;
        Ok(())
    }
}
