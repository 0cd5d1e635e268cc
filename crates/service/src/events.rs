//! Feed events, feed runs and the quarantine, as lists: who may see which. Everyone who may
//! read everything sees every event; a constituent sees only its own organisation's events
//! (those whose source the constituency expert matched to it), and no runs or quarantine.

use crate::incidents::Page;
use crate::{Principal, Result, ServiceError, Services};
use cirtkit_domain::{Incident, NewIncident, Observable, OrganisationId, Pap, Permission, Role, Rsit, Severity, Tlp};
use cirtkit_storage::{EventQuery, FeedRunRecord, QuarantineRecord, StoredEvent};
use std::collections::{BTreeMap, BTreeSet};

fn parse_cursor(cursor: Option<&str>) -> Result<Option<i64>> {
    cursor
        .map(|c| {
            c.strip_prefix('e')
                .and_then(|n| n.parse::<i64>().ok())
                .filter(|n| *n > 0)
                .ok_or_else(|| ServiceError::Invalid("cursor: use the `next` value of the previous page".into()))
        })
        .transpose()
}

fn page_of<T>(mut items: Vec<T>, limit: u32, id: impl Fn(&T) -> i64) -> Page<T> {
    let more = items.len() > limit as usize;
    items.truncate(limit as usize);
    let next = if more { items.last().map(|last| format!("e{}", id(last))) } else { None };
    Page { items, next }
}

impl Services {
    /// Stored events matching the query, newest first, a page at a time.
    pub async fn list_events(
        &self,
        who: &Principal,
        mut query: EventQuery,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<StoredEvent>> {
        match who.role() {
            Role::Constituent(org) => query.organisation = Some(org),
            _ => who.require(Permission::ReadEverything)?,
        }
        query.before_id = parse_cursor(cursor)?;
        query.limit = limit + 1;
        let items = self.store().events_page(&query).await?;
        Ok(page_of(items, limit, |e| e.id))
    }

    /// The latest feed runs, of one feed or all, newest first.
    pub async fn feed_runs(&self, who: &Principal, feed: Option<&str>, limit: u32) -> Result<Vec<FeedRunRecord>> {
        who.require(Permission::ReadEverything)?;
        Ok(self.store().feed_runs(feed, limit).await?)
    }

    /// Quarantined records, of one feed or all, newest first, a page at a time.
    pub async fn quarantine(
        &self,
        who: &Principal,
        feed: Option<&str>,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<QuarantineRecord>> {
        who.require(Permission::ReadEverything)?;
        let before = parse_cursor(cursor)?;
        let items = self.store().quarantine_page(feed, before, limit + 1).await?;
        Ok(page_of(items, limit, |q| q.id))
    }

    /// Opens an incident from the events a query selects (the newest 500 at most): their source
    /// addresses, host names and URLs become observables, their owners the affected
    /// organisations, and the most frequent classification the incident's. The handler then
    /// works it like any other (a journal note lists what it came from).
    pub async fn incident_from_events(&self, who: &Principal, query: EventQuery) -> Result<Incident> {
        who.require(Permission::EditIncidents)?;
        let page = self.list_events(who, query, None, 500).await?;
        if page.items.is_empty() {
            return Err(ServiceError::Invalid(
                "no event matches these filters: there is nothing to open an incident from".into(),
            ));
        }
        let mut observables: Vec<Observable> = Vec::new();
        let mut organisations: BTreeSet<OrganisationId> = BTreeSet::new();
        let mut types: BTreeMap<String, usize> = BTreeMap::new();
        let mut feeds: BTreeSet<String> = BTreeSet::new();
        for e in &page.items {
            let v: serde_json::Value = serde_json::from_str(&e.payload)?;
            for key in ["source.ip", "source.fqdn", "source.url"] {
                if let Some(o) = v.get(key).and_then(serde_json::Value::as_str).and_then(|s| Observable::parse(s).ok())
                    && !observables.contains(&o)
                    && observables.len() < 1_000
                {
                    observables.push(o);
                }
            }
            organisations.extend(e.organisation);
            if let Some(t) = v.get("classification.type").and_then(serde_json::Value::as_str) {
                *types.entry(t.to_owned()).or_default() += 1;
            }
            feeds.insert(e.feed.clone());
        }
        let top = types.iter().max_by_key(|(_, n)| **n).map(|(t, _)| t.clone());
        let rsit = top
            .as_deref()
            .and_then(cirtkit_pipeline::ClassificationType::parse)
            .map_or_else(Rsit::undetermined, cirtkit_pipeline::ClassificationType::rsit);
        let feeds: Vec<String> = feeds.into_iter().collect();
        let n = page.items.len();
        let title = format!("{n} events from {}: {}", feeds.join(", "), top.as_deref().unwrap_or("unclassified"));
        let mut description = format!(
            "Opened from {n} feed events{} ({}).\n\nBy classification:\n",
            if page.next.is_some() { " (the newest 500 of more)" } else { "" },
            feeds.join(", ")
        );
        for (t, count) in &types {
            description.push_str(&format!("- {t}: {count}\n"));
        }
        let new = NewIncident {
            title: title.chars().take(300).collect(),
            description,
            rsit,
            severity: Severity::Medium,
            tlp: Tlp::Amber,
            pap: Pap::Amber,
            assignee: who.user().map(|u| u.id),
            organisations: organisations.into_iter().collect(),
            observables,
        };
        self.create_incident(who, new).await
    }
}
