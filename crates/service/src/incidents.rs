//! Incidents: opening, moving through the process, the journal, observables and links. A
//! constituent sees only its own organisation's incidents, and only up to TLP:AMBER+STRICT
//! (TLP:RED stays with the people it was given to: the team).

use crate::{Principal, Result, ServiceError, Services};
use cirtkit_domain::{
    Incident, IncidentChanges, IncidentId, IncidentQuery, IncidentReference, JournalEntry, JournalEntryId, JournalKind,
    LinkKind, NewIncident, Observable, Permission, Role, Tlp, Transition, Visibility,
};
use cirtkit_storage::WriteTx;

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
        let new = self.checked_new_incident(new).await?;
        let mut tx = self.begin(who).await?;
        let incident = self.insert_incident(&mut tx, &new).await?;
        tx.commit().await?;
        Ok(incident)
    }

    /// Checks a new incident and adds the owners of its observables to its organisations.
    pub(crate) async fn checked_new_incident(&self, new: NewIncident) -> Result<NewIncident> {
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
        Ok(new)
    }

    /// Opens a checked incident within a change, due by the SLA from the change's time.
    pub(crate) async fn insert_incident(&self, tx: &mut WriteTx, new: &NewIncident) -> Result<Incident> {
        let due = self.settings().sla.due(new.severity, tx.now());
        Ok(tx.insert_incident(new, &self.settings().reference_prefix, due).await?)
    }

    pub async fn incident(&self, who: &Principal, id: IncidentId) -> Result<Incident> {
        let incident = self.store().incident(id).await?;
        match incident {
            Some(i) if self.may_see(who, &i) => Ok(i),
            // The same answer whether it does not exist or may not be seen: nothing leaks.
            _ => Err(ServiceError::NotFound(format!("no incident {id}"))),
        }
    }

    /// Changes an incident's description, classification, markings, assignee or organisations.
    /// A new severity moves the SLA due times, counted from the incident's opening.
    pub async fn update_incident(&self, who: &Principal, id: IncidentId, changes: IncidentChanges) -> Result<Incident> {
        who.require(Permission::EditIncidents)?;
        let before = self.incident(who, id).await?;
        if changes.is_empty() {
            return Ok(before);
        }
        let mut after = changes.apply_to(&before)?;
        if let Some(Some(assignee)) = changes.assignee
            && self.store().user(assignee).await?.is_none()
        {
            return Err(ServiceError::Invalid(format!("no user {assignee} to assign")));
        }
        if changes.organisations.is_some() {
            for org in &after.organisations {
                if self.store().organisation(*org).await?.is_none() {
                    return Err(ServiceError::Invalid(format!("no organisation {org}")));
                }
            }
        }
        let due = self.settings().sla.due(after.severity, after.created_at);
        (after.respond_by, after.resolve_by) = (due.respond_by, due.resolve_by);
        let mut tx = self.begin(who).await?;
        let after = tx.update_incident(&before, &after).await?;
        tx.commit().await?;
        Ok(after)
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

/// One page of a list, and the cursor of the next (none on the last page).
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

/// Cursors are the last id of the page, written as text: opaque to callers, so that the
/// ordering can change later without breaking them.
fn parse_cursor(cursor: Option<&str>) -> Result<Option<IncidentId>> {
    cursor
        .map(|c| {
            c.strip_prefix('i')
                .and_then(|n| n.parse::<i64>().ok())
                .filter(|n| *n > 0)
                .map(IncidentId)
                .ok_or_else(|| ServiceError::Invalid("cursor: use the `next` value of the previous page".into()))
        })
        .transpose()
}

fn page_of<T>(mut items: Vec<T>, limit: u32, id: impl Fn(&T) -> IncidentId) -> Page<T> {
    let more = items.len() > limit as usize;
    items.truncate(limit as usize);
    let next = if more { items.last().map(|last| format!("i{}", id(last).0)) } else { None };
    Page { items, next }
}

impl Services {
    /// What a principal may see, as a storage filter: everything, or (for a constituent) its
    /// own organisation's incidents up to TLP:AMBER+STRICT.
    pub(crate) fn visibility(&self, who: &Principal) -> Result<Option<Visibility>> {
        match who.role() {
            Role::Constituent(org) => Ok(Some(Visibility { organisation: org, max_tlp: Tlp::AmberStrict })),
            _ => {
                who.require(Permission::ReadEverything)?;
                Ok(None)
            }
        }
    }

    /// An incident by its id (`42`) or its reference (`CIRT-2026-00042`).
    pub async fn incident_by_key(&self, who: &Principal, key: &str) -> Result<Incident> {
        let key = key.trim();
        if let Ok(id) = key.parse::<i64>() {
            return self.incident(who, IncidentId(id)).await;
        }
        let reference = key.parse::<IncidentReference>()?;
        match self.store().incident_by_reference(&reference).await? {
            Some(i) if self.may_see(who, &i) => Ok(i),
            _ => Err(ServiceError::NotFound(format!("no incident {reference}"))),
        }
    }

    /// Incidents matching a query, newest first, a page at a time.
    pub async fn list_incidents(
        &self,
        who: &Principal,
        mut query: IncidentQuery,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<Incident>> {
        query.visible_to = self.visibility(who)?;
        let after = parse_cursor(cursor)?;
        let items = self.store().search_incidents(&query, after, i64::from(limit) + 1).await?;
        Ok(page_of(items, limit, |i| i.id))
    }

    /// Incidents having an observable that matches this one (an IP matches the CIDRs holding it,
    /// a CIDR the addresses and networks inside it), with the observables that matched.
    pub async fn search_by_observable(
        &self,
        who: &Principal,
        observable: &Observable,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<(Incident, Vec<Observable>)>> {
        let visible_to = self.visibility(who)?;
        let after = parse_cursor(cursor)?;
        let items = self.store().search_by_observable(observable, visible_to, after, i64::from(limit) + 1).await?;
        Ok(page_of(items, limit, |(i, _)| i.id))
    }
}

impl Services {
    /// Merges a duplicate into the incident that goes on: the duplicate's observables,
    /// organisations and conversation (comments and mails, marked with its reference) are added
    /// to the survivor, the two are linked (`duplicate-of`), and the duplicate is closed. Both
    /// journals say so. Returns the survivor.
    pub async fn merge_incidents(&self, who: &Principal, duplicate: IncidentId, into: IncidentId) -> Result<Incident> {
        who.require(Permission::EditIncidents)?;
        if duplicate == into {
            return Err(ServiceError::Invalid("an incident cannot be merged into itself".into()));
        }
        let source = self.incident(who, duplicate).await?;
        let target = self.incident(who, into).await?;
        if source.state == cirtkit_domain::IncidentState::Closed
            && self.store().incident_links(source.id).await?.iter().any(|l| l.kind == LinkKind::DuplicateOf)
        {
            return Err(ServiceError::Conflict(format!("{} was already merged", source.reference)));
        }
        let observables = self.store().incident_observables(source.id).await?;
        let journal = self.store().journal(source.id).await?;
        let mut merged = target.clone();
        merged.organisations.extend(source.organisations.iter().copied());
        merged.organisations.sort();
        merged.organisations.dedup();
        // The stricter marking wins: what was shared under the duplicate's TLP stays under it.
        if source.tlp > target.tlp {
            merged.tlp = source.tlp;
        }

        let author = who.display_name();
        let mut tx = self.begin(who).await?;
        let target = if merged == target { target } else { tx.update_incident(&target, &merged).await? };
        for (_, observable) in &observables {
            tx.add_observable(&target, observable).await?;
        }
        for entry in journal
            .iter()
            .filter(|e| matches!(e.kind, JournalKind::Comment | JournalKind::MailIn | JournalKind::MailOut))
        {
            let body = format!("[{} · {} · {}]\n{}", source.reference, entry.author, entry.at.to_rfc3339(), entry.body);
            tx.add_journal_entry(&target, entry.kind, &entry.author, &body, None).await?;
        }
        tx.link_incidents(&source, &target, LinkKind::DuplicateOf).await?;
        tx.add_journal_entry(
            &target,
            JournalKind::Comment,
            &author,
            &format!("Merged {} into this incident.", source.reference),
            None,
        )
        .await?;
        let closed = tx.set_incident_state(&source, cirtkit_domain::IncidentState::Closed).await?;
        tx.add_journal_entry(
            &closed,
            JournalKind::StateChange,
            &author,
            &format!("{} → closed: merged into {}", source.state, target.reference),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(target)
    }
}
