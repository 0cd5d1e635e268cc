//! The hand-off of feed events to incidents by rule: which events a rule has looked at (a mark
//! per rule and feed, the id of the last event), the events after it, and the incidents each
//! rule opened per group. The mark moves in the same transaction as the incidents, so that a
//! pass is stored whole or not at all, and a second pass over the same events finds them taken.

use crate::search::{Bind, Sql};
use crate::{Result, StorageError, Store, WriteTx, stored_time};
use chrono::{DateTime, Utc};
use cirtkit_domain::{
    Incident, IncidentId, IncidentReference, IncidentState, OrganisationId, Pap, Rsit, Severity, Tlp, UserId,
};
use sqlx::Row;

use crate::StoredEvent;
use crate::incidents::INCIDENT_COLUMNS;

/// Which events by owner a scan takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OwnerFilter {
    /// Every event.
    #[default]
    Any,
    /// Events whose source a constituent owns.
    Known,
    /// Events whose source no constituent owns.
    Unknown,
}

/// The events of one feed after a rule's mark, as the rule's match narrows them, in id order.
#[derive(Debug, Clone, PartialEq)]
pub struct HandoffScan {
    pub feed: String,
    /// Events with a greater id than this.
    pub after_id: i64,
    /// Events with this id or less.
    pub up_to_id: i64,
    /// Events observed at or after this time (a rule's first pass over a feed looks back one window).
    pub observed_after: Option<DateTime<Utc>>,
    /// `classification.taxonomy` among these (none: any).
    pub taxonomies: Vec<String>,
    /// `classification.type` among these (none: any).
    pub classification_types: Vec<String>,
    pub owner: OwnerFilter,
    pub limit: u32,
}

impl Store {
    /// The id of the newest stored event (0 when there is none).
    pub async fn last_event_id(&self) -> Result<i64> {
        let id: Option<i64> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT MAX(id) FROM events").fetch_one(pool).await?
        });
        Ok(id.unwrap_or(0))
    }

    /// The id of the last event of `feed` the rule has looked at, if it has looked at any.
    pub async fn handoff_mark(&self, rule: &str, feed: &str) -> Result<Option<i64>> {
        let mark: Option<i64> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT last_event_id FROM handoff_marks WHERE rule = $1 AND feed = $2")
                .bind(rule)
                .bind(feed)
                .fetch_optional(pool)
                .await?
        });
        Ok(mark)
    }

    /// Whether a file of this feed is being read (or was left part-read by a run that stopped):
    /// its events may still be committing, with ids below those of other feeds' newer events.
    pub async fn feed_file_open(&self, feed: &str) -> Result<bool> {
        let open: Option<i64> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT id FROM feed_files WHERE feed = $1 AND state = 'partial' LIMIT 1")
                .bind(feed)
                .fetch_optional(pool)
                .await?
        });
        Ok(open.is_some())
    }

    /// The names of the feeds that have had files taken in, in name order.
    pub async fn feeds_with_files(&self) -> Result<Vec<String>> {
        let names: Vec<String> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT DISTINCT feed FROM feed_files ORDER BY feed").fetch_all(pool).await?
        });
        Ok(names)
    }

    /// The next events of a scan, in id order.
    pub async fn handoff_events(&self, scan: &HandoffScan) -> Result<Vec<StoredEvent>> {
        let mut sql = Sql::default();
        let p = sql.bind(Bind::Text(scan.feed.clone()));
        sql.and(format!("e.feed = {p}"));
        let p = sql.bind(Bind::Int(scan.after_id));
        sql.and(format!("e.id > {p}"));
        let p = sql.bind(Bind::Int(scan.up_to_id));
        sql.and(format!("e.id <= {p}"));
        if let Some(t) = scan.observed_after {
            let p = sql.bind(Bind::Time(stored_time(t)));
            sql.and(format!("e.time_observation >= {p}"));
        }
        for (column, values) in
            [("e.taxonomy", &scan.taxonomies), ("e.classification_type", &scan.classification_types)]
        {
            if !values.is_empty() {
                let list = sql.bind_list(values.iter().map(|v| Bind::Text(v.clone())));
                sql.and(format!("{column} IN ({list})"));
            }
        }
        match scan.owner {
            OwnerFilter::Any => {}
            OwnerFilter::Known => sql.and("e.organisation_id IS NOT NULL".to_owned()),
            OwnerFilter::Unknown => sql.and("e.organisation_id IS NULL".to_owned()),
        }
        let text = format!(
            "{}{} ORDER BY e.id LIMIT {}",
            self.event_select(),
            sql.where_clause(),
            scan.limit.clamp(1, 100_000)
        );
        self.fetch_events(&text, &sql.binds).await
    }
}

impl WriteTx {
    /// Moves a rule's mark for a feed from `expected` (`None`: it has none yet) to `to`. Returns
    /// false, changing nothing, when the mark is not at `expected`: another pass took these
    /// events meanwhile, and this one must be dropped.
    pub async fn move_handoff_mark(&mut self, rule: &str, feed: &str, expected: Option<i64>, to: i64) -> Result<bool> {
        let now = self.now;
        let moved = on_tx!(self, c => {
            match expected {
                Some(from) => sqlx::query(
                    "UPDATE handoff_marks SET last_event_id = $1, updated_at = $2 \
                     WHERE rule = $3 AND feed = $4 AND last_event_id = $5",
                )
                .bind(to)
                .bind(now)
                .bind(rule)
                .bind(feed)
                .bind(from)
                .execute(&mut *c)
                .await?
                .rows_affected(),
                None => sqlx::query(
                    "INSERT INTO handoff_marks (rule, feed, last_event_id, updated_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (rule, feed) DO NOTHING",
                )
                .bind(rule)
                .bind(feed)
                .bind(to)
                .bind(now)
                .execute(&mut *c)
                .await?
                .rows_affected(),
            }
        });
        Ok(moved == 1)
    }

    /// The newest incident the rule opened for this group at or after `opened_after` that is
    /// still open, read within the change (so that two passes never both open one).
    pub async fn open_handoff_incident(
        &mut self,
        rule: &str,
        organisation: Option<OrganisationId>,
        classification_type: &str,
        opened_after: DateTime<Utc>,
    ) -> Result<Option<Incident>> {
        let columns = INCIDENT_COLUMNS.split(", ").map(|c| format!("i.{c}")).collect::<Vec<_>>().join(", ");
        let sql = format!(
            "SELECT {columns} FROM handoff_incidents h JOIN incidents i ON i.id = h.incident_id \
             WHERE h.rule = $1 AND h.classification_type = $2 \
             AND (h.organisation_id = $3 OR (h.organisation_id IS NULL AND $4)) \
             AND h.opened_at >= $5 AND i.state NOT IN ('resolved', 'closed') \
             ORDER BY h.opened_at DESC, h.incident_id DESC LIMIT 1"
        );
        let found = on_tx!(self, c => {
            let row = sqlx::query(&sql)
                .bind(rule)
                .bind(classification_type)
                .bind(organisation.map(|o| o.0))
                .bind(organisation.is_none())
                .bind(stored_time(opened_after))
                .fetch_optional(&mut *c)
                .await?;
            row.as_ref().map(|r| Ok::<_, StorageError>(incident_row!(r))).transpose()?
        });
        let Some(mut incident) = found else { return Ok(None) };
        let orgs: Vec<i64> = on_tx!(self, c => {
            sqlx::query_scalar(
                "SELECT organisation_id FROM incident_organisations WHERE incident_id = $1 ORDER BY organisation_id",
            )
            .bind(incident.id.0)
            .fetch_all(&mut *c)
            .await?
        });
        incident.organisations = orgs.into_iter().map(OrganisationId).collect();
        Ok(Some(incident))
    }

    /// Notes that the rule opened this incident for this group.
    pub async fn record_handoff_incident(
        &mut self,
        incident: &Incident,
        rule: &str,
        organisation: Option<OrganisationId>,
        classification_type: &str,
    ) -> Result<()> {
        on_tx!(self, c => {
            sqlx::query(
                "INSERT INTO handoff_incidents (incident_id, rule, organisation_id, classification_type, opened_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(incident.id.0)
            .bind(rule)
            .bind(organisation.map(|o| o.0))
            .bind(classification_type)
            .bind(stored_time(incident.created_at))
            .execute(&mut *c)
            .await?;
        });
        Ok(())
    }

    /// How many observables an incident has, within the change.
    pub async fn observable_count(&mut self, incident: IncidentId) -> Result<u64> {
        let n: i64 = on_tx!(self, c => {
            sqlx::query_scalar("SELECT COUNT(*) FROM incident_observables WHERE incident_id = $1")
                .bind(incident.0)
                .fetch_one(&mut *c)
                .await?
        });
        Ok(u64::try_from(n).unwrap_or(0))
    }
}
