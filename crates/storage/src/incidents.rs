//! Storage of incidents: the incident row, its affected organisations, observables, journal and
//! links. References are numbered per year by a counter row, in the same transaction.

use crate::{Result, StorageError, Store, WriteTx};
use chrono::{DateTime, Datelike, Utc};
use cirtkit_domain::{
    Incident, IncidentId, IncidentReference, IncidentState, JournalEntry, JournalEntryId, JournalKind, LinkKind,
    NewIncident, Observable, ObservableId, ObservableKind, OrganisationId, Pap, Rsit, Severity, SlaDue, Tlp, UserId,
};
use sqlx::Row;

pub(crate) const INCIDENT_COLUMNS: &str = "id, reference, title, description, rsit, severity, tlp, pap, state, assignee_id, \
     created_at, updated_at, respond_by, resolve_by, first_response_at, resolved_at";

macro_rules! incident_row {
    ($r:expr) => {{
        let r = $r;
        Incident {
            id: IncidentId(r.try_get("id")?),
            reference: r.try_get::<String, _>("reference")?.parse::<IncidentReference>()?,
            title: r.try_get("title")?,
            description: r.try_get("description")?,
            rsit: r.try_get::<String, _>("rsit")?.parse::<Rsit>()?,
            severity: r.try_get::<String, _>("severity")?.parse::<Severity>()?,
            tlp: r.try_get::<String, _>("tlp")?.parse::<Tlp>()?,
            pap: r.try_get::<String, _>("pap")?.parse::<Pap>()?,
            state: r.try_get::<String, _>("state")?.parse::<IncidentState>()?,
            assignee: r.try_get::<Option<i64>, _>("assignee_id")?.map(UserId),
            organisations: Vec::new(),
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
            respond_by: r.try_get("respond_by")?,
            resolve_by: r.try_get("resolve_by")?,
            first_response_at: r.try_get("first_response_at")?,
            resolved_at: r.try_get("resolved_at")?,
        }
    }};
}

macro_rules! journal_row {
    ($r:expr) => {{
        let r = $r;
        JournalEntry {
            id: JournalEntryId(r.try_get("id")?),
            incident: IncidentId(r.try_get("incident_id")?),
            kind: r.try_get::<String, _>("kind")?.parse::<JournalKind>()?,
            author: r.try_get("author")?,
            body: r.try_get("body")?,
            reply_to: r.try_get::<Option<i64>, _>("reply_to")?.map(JournalEntryId),
            at: r.try_get("at")?,
        }
    }};
}

/// A link from one incident to another.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct IncidentLink {
    pub from: IncidentId,
    pub to: IncidentId,
    pub kind: LinkKind,
    pub created_at: DateTime<Utc>,
}

impl Store {
    pub async fn incident(&self, id: IncidentId) -> Result<Option<Incident>> {
        let sql = format!("SELECT {INCIDENT_COLUMNS} FROM incidents WHERE id = $1");
        let found = on_pool!(self, pool => {
            let row = sqlx::query(&sql).bind(id.0).fetch_optional(pool).await?;
            row.as_ref().map(|r| Ok::<_, StorageError>(incident_row!(r))).transpose()?
        });
        self.with_organisations(found).await
    }

    pub async fn incident_by_reference(&self, reference: &IncidentReference) -> Result<Option<Incident>> {
        let sql = format!("SELECT {INCIDENT_COLUMNS} FROM incidents WHERE reference = $1");
        let found = on_pool!(self, pool => {
            let row = sqlx::query(&sql).bind(reference.to_string()).fetch_optional(pool).await?;
            row.as_ref().map(|r| Ok::<_, StorageError>(incident_row!(r))).transpose()?
        });
        self.with_organisations(found).await
    }

    async fn with_organisations(&self, incident: Option<Incident>) -> Result<Option<Incident>> {
        let Some(mut incident) = incident else { return Ok(None) };
        let orgs: Vec<i64> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT organisation_id FROM incident_organisations WHERE incident_id = $1 ORDER BY organisation_id")
                .bind(incident.id.0)
                .fetch_all(pool)
                .await?
        });
        incident.organisations = orgs.into_iter().map(OrganisationId).collect();
        Ok(Some(incident))
    }

    /// Incidents newest first, `limit` of them after the one with id `before` (keyset paging).
    pub async fn incidents_page(&self, before: Option<IncidentId>, limit: i64) -> Result<Vec<Incident>> {
        let sql = format!("SELECT {INCIDENT_COLUMNS} FROM incidents WHERE $1 < 0 OR id < $1 ORDER BY id DESC LIMIT $2");
        let mut page: Vec<Incident> = on_pool!(self, pool => {
            let rows = sqlx::query(&sql).bind(before.map_or(-1, |b| b.0)).bind(limit).fetch_all(pool).await?;
            rows.iter().map(|r| Ok::<_, StorageError>(incident_row!(r))).collect::<Result<_>>()?
        });
        let links: Vec<(i64, i64)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT incident_id, organisation_id FROM incident_organisations WHERE incident_id <= $1 AND incident_id >= $2")
                .bind(page.first().map_or(0, |i| i.id.0))
                .bind(page.last().map_or(0, |i| i.id.0))
                .fetch_all(pool)
                .await?
        });
        for incident in &mut page {
            incident.organisations =
                links.iter().filter(|(i, _)| *i == incident.id.0).map(|(_, o)| OrganisationId(*o)).collect();
            incident.organisations.sort();
        }
        Ok(page)
    }

    pub async fn journal(&self, incident: IncidentId) -> Result<Vec<JournalEntry>> {
        on_pool!(self, pool => {
            let rows = sqlx::query("SELECT id, incident_id, kind, author, body, reply_to, at FROM journal_entries WHERE incident_id = $1 ORDER BY id")
                .bind(incident.0)
                .fetch_all(pool)
                .await?;
            rows.iter().map(|r| Ok(journal_row!(r))).collect()
        })
    }

    pub async fn incident_observables(&self, incident: IncidentId) -> Result<Vec<(ObservableId, Observable)>> {
        let rows: Vec<(i64, String, String)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT id, kind, value FROM incident_observables WHERE incident_id = $1 ORDER BY id")
                .bind(incident.0)
                .fetch_all(pool)
                .await?
        });
        rows.into_iter()
            .map(|(id, kind, value)| {
                let kind: ObservableKind = kind.parse()?;
                Ok((ObservableId(id), Observable::parse_as(kind, &value)?))
            })
            .collect()
    }

    /// Links from and to an incident.
    pub async fn incident_links(&self, incident: IncidentId) -> Result<Vec<IncidentLink>> {
        let rows: Vec<(i64, i64, String, DateTime<Utc>)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT from_incident, to_incident, kind, created_at FROM incident_links WHERE from_incident = $1 OR to_incident = $1 ORDER BY created_at")
                .bind(incident.0)
                .fetch_all(pool)
                .await?
        });
        rows.into_iter()
            .map(|(from, to, kind, created_at)| {
                Ok(IncidentLink { from: IncidentId(from), to: IncidentId(to), kind: kind.parse()?, created_at })
            })
            .collect()
    }
}

impl WriteTx {
    /// Opens an incident: numbers it in its year, stores it with its organisations and
    /// observables, and audits it.
    pub async fn insert_incident(&mut self, new: &NewIncident, prefix: &str, due: SlaDue) -> Result<Incident> {
        let now = self.now;
        let year = now.year();
        let number: i64 = on_tx!(self, c => {
            sqlx::query_scalar(
                "INSERT INTO incident_counters (year, last_number) VALUES ($1, 1) \
                 ON CONFLICT (year) DO UPDATE SET last_number = incident_counters.last_number + 1 RETURNING last_number",
            )
            .bind(i64::from(year))
            .fetch_one(&mut *c)
            .await?
        });
        let number =
            u32::try_from(number).map_err(|_| StorageError::Conflict(format!("too many incidents in {year}")))?;
        let reference = IncidentReference::new(prefix, year, number)
            .map_err(|e| StorageError::Conflict(format!("cannot number the incident: {e}")))?;
        let state = IncidentState::New;
        let id: i64 = on_tx!(self, c => {
            sqlx::query_scalar(
                "INSERT INTO incidents (reference, title, description, rsit, severity, tlp, pap, state, assignee_id, \
                 created_at, updated_at, respond_by, resolve_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11, $12) RETURNING id",
            )
            .bind(reference.to_string())
            .bind(&new.title)
            .bind(&new.description)
            .bind(new.rsit.to_string())
            .bind(new.severity.as_str())
            .bind(new.tlp.to_string())
            .bind(new.pap.to_string())
            .bind(state.as_str())
            .bind(new.assignee.map(|u| u.0))
            .bind(now)
            .bind(due.respond_by)
            .bind(due.resolve_by)
            .fetch_one(&mut *c)
            .await?
        });
        let id = IncidentId(id);
        on_tx!(self, c => {
            for org in &new.organisations {
                sqlx::query("INSERT INTO incident_organisations (incident_id, organisation_id) VALUES ($1, $2)")
                    .bind(id.0)
                    .bind(org.0)
                    .execute(&mut *c)
                    .await?;
            }
        });
        let incident = Incident {
            id,
            reference,
            title: new.title.clone(),
            description: new.description.clone(),
            rsit: new.rsit,
            severity: new.severity,
            tlp: new.tlp,
            pap: new.pap,
            state,
            assignee: new.assignee,
            organisations: new.organisations.clone(),
            created_at: now,
            updated_at: now,
            respond_by: due.respond_by,
            resolve_by: due.resolve_by,
            first_response_at: None,
            resolved_at: None,
        };
        self.audit("incident.create", "incident", &incident.reference, None, Some(serde_json::to_value(&incident)?))
            .await?;
        for o in &new.observables {
            self.add_observable(&incident, o).await?;
        }
        Ok(incident)
    }

    /// Moves an incident to a new state (the caller has checked the move is legal), recording
    /// the first response and the resolution time.
    pub async fn set_incident_state(&mut self, before: &Incident, to: IncidentState) -> Result<Incident> {
        let now = self.now;
        let mut after = before.clone();
        after.state = to;
        after.updated_at = now;
        if after.first_response_at.is_none()
            && matches!(
                to,
                IncidentState::InProgress | IncidentState::Waiting | IncidentState::Resolved | IncidentState::Closed
            )
        {
            after.first_response_at = Some(now);
        }
        match to {
            IncidentState::Resolved => after.resolved_at = Some(now),
            IncidentState::Closed => after.resolved_at = after.resolved_at.or(Some(now)),
            _ => after.resolved_at = None,
        }
        on_tx!(self, c => {
            let done = sqlx::query(
                "UPDATE incidents SET state = $1, updated_at = $2, first_response_at = $3, resolved_at = $4 WHERE id = $5 AND state = $6",
            )
            .bind(to.as_str())
            .bind(now)
            .bind(after.first_response_at)
            .bind(after.resolved_at)
            .bind(before.id.0)
            .bind(before.state.as_str())
            .execute(&mut *c)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StorageError::Conflict(format!(
                    "incident {} is no longer {}: someone changed it meanwhile",
                    before.reference, before.state
                )));
            }
        });
        self.audit(
            "incident.state",
            "incident",
            &before.reference,
            Some(serde_json::json!({"state": before.state})),
            Some(serde_json::json!({"state": to})),
        )
        .await?;
        Ok(after)
    }

    /// Stores an incident's new description, classification, markings, assignee, organisations
    /// and due times (the caller has checked them). Refused if someone changed it meanwhile.
    pub async fn update_incident(&mut self, before: &Incident, after: &Incident) -> Result<Incident> {
        let now = self.now;
        let mut after = after.clone();
        after.updated_at = now;
        on_tx!(self, c => {
            let done = sqlx::query(
                "UPDATE incidents SET title = $1, description = $2, rsit = $3, severity = $4, tlp = $5, pap = $6, \
                 assignee_id = $7, respond_by = $8, resolve_by = $9, updated_at = $10 WHERE id = $11 AND updated_at = $12",
            )
            .bind(&after.title)
            .bind(&after.description)
            .bind(after.rsit.to_string())
            .bind(after.severity.as_str())
            .bind(after.tlp.to_string())
            .bind(after.pap.to_string())
            .bind(after.assignee.map(|u| u.0))
            .bind(after.respond_by)
            .bind(after.resolve_by)
            .bind(now)
            .bind(before.id.0)
            .bind(before.updated_at)
            .execute(&mut *c)
            .await?
            .rows_affected();
            if done == 0 {
                return Err(StorageError::Conflict(format!(
                    "incident {} was changed meanwhile: read it again and repeat the change",
                    before.reference
                )));
            }
            if after.organisations != before.organisations {
                sqlx::query("DELETE FROM incident_organisations WHERE incident_id = $1").bind(before.id.0).execute(&mut *c).await?;
                for org in &after.organisations {
                    sqlx::query("INSERT INTO incident_organisations (incident_id, organisation_id) VALUES ($1, $2)")
                        .bind(before.id.0)
                        .bind(org.0)
                        .execute(&mut *c)
                        .await?;
                }
            }
        });
        self.audit(
            "incident.update",
            "incident",
            &before.reference,
            Some(serde_json::to_value(before)?),
            Some(serde_json::to_value(&after)?),
        )
        .await?;
        Ok(after)
    }

    /// Attaches an observable to an incident; one already attached is not added twice.
    pub async fn add_observable(
        &mut self,
        incident: &Incident,
        observable: &Observable,
    ) -> Result<Option<ObservableId>> {
        let now = self.now;
        // The range an address or netblock covers, for search by range (see `search.rs`).
        let range = crate::search::ip_range(observable);
        let id: Option<i64> = on_tx!(self, c => {
            sqlx::query_scalar(
                "INSERT INTO incident_observables (incident_id, kind, value, created_at, ip_start, ip_end) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (incident_id, kind, value) DO NOTHING RETURNING id",
            )
            .bind(incident.id.0)
            .bind(observable.kind().as_str())
            .bind(observable.value())
            .bind(now)
            .bind(range.map(|(s, _)| s.to_vec()))
            .bind(range.map(|(_, e)| e.to_vec()))
            .fetch_optional(&mut *c)
            .await?
        });
        if id.is_some() {
            self.audit(
                "incident.observable.add",
                "incident",
                &incident.reference,
                None,
                Some(serde_json::json!({"kind": observable.kind(), "value": observable.value()})),
            )
            .await?;
        }
        Ok(id.map(ObservableId))
    }

    pub async fn add_journal_entry(
        &mut self,
        incident: &Incident,
        kind: JournalKind,
        author: &str,
        body: &str,
        reply_to: Option<JournalEntryId>,
    ) -> Result<JournalEntry> {
        let now = self.now;
        let id: i64 = on_tx!(self, c => {
            sqlx::query_scalar(
                "INSERT INTO journal_entries (incident_id, kind, author, body, reply_to, at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(incident.id.0)
            .bind(kind.as_str())
            .bind(author)
            .bind(body)
            .bind(reply_to.map(|r| r.0))
            .bind(now)
            .fetch_one(&mut *c)
            .await?
        });
        let entry = JournalEntry {
            id: JournalEntryId(id),
            incident: incident.id,
            kind,
            author: author.to_owned(),
            body: body.to_owned(),
            reply_to,
            at: now,
        };
        on_tx!(self, c => {
            sqlx::query("UPDATE incidents SET updated_at = $1 WHERE id = $2").bind(now).bind(incident.id.0).execute(&mut *c).await?;
        });
        self.audit("incident.journal.add", "incident", &incident.reference, None, Some(serde_json::to_value(&entry)?))
            .await?;
        Ok(entry)
    }

    pub async fn link_incidents(&mut self, from: &Incident, to: &Incident, kind: LinkKind) -> Result<()> {
        let now = self.now;
        on_tx!(self, c => {
            sqlx::query("INSERT INTO incident_links (from_incident, to_incident, kind, created_at) VALUES ($1, $2, $3, $4)")
                .bind(from.id.0)
                .bind(to.id.0)
                .bind(kind.as_str())
                .bind(now)
                .execute(&mut *c)
                .await?;
        });
        self.audit(
            "incident.link",
            "incident",
            &from.reference,
            None,
            Some(serde_json::json!({"to": to.reference, "kind": kind})),
        )
        .await?;
        Ok(())
    }
}
