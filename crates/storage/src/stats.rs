//! Figures for the dashboard: open incidents by state and severity, SLA breaches, and incidents
//! opened and closed per day. Filtered by what the asker may see, like the lists.

use crate::search::{Bind, Sql, add_visibility};
use crate::{Result, Store};
use chrono::{DateTime, NaiveDate, Utc};
use cirtkit_domain::{IncidentState, Severity, Visibility};
use std::collections::BTreeMap;

/// The dashboard's figures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IncidentStats {
    /// Open incidents, counted by state and severity.
    pub open: Vec<(IncidentState, Severity, i64)>,
    /// Open incidents whose first response is overdue.
    pub response_overdue: i64,
    /// Open incidents whose resolution is overdue.
    pub resolution_overdue: i64,
    /// Incidents opened per day since the start of the period (days with none are absent).
    pub opened_per_day: BTreeMap<NaiveDate, i64>,
    /// Incidents resolved per day since the start of the period.
    pub resolved_per_day: BTreeMap<NaiveDate, i64>,
}

const OPEN_STATES: &str = "('new', 'triage', 'in-progress', 'waiting')";

impl Store {
    /// The dashboard's figures at `now`, per day from `since`.
    pub async fn incident_stats(
        &self,
        visible_to: Option<Visibility>,
        now: DateTime<Utc>,
        since: DateTime<Utc>,
    ) -> Result<IncidentStats> {
        let mut stats = IncidentStats::default();

        let mut sql = Sql::default();
        sql.and(format!("i.state IN {OPEN_STATES}"));
        if let Some(v) = visible_to {
            add_visibility(&mut sql, v);
        }
        let text = format!(
            "SELECT i.state, i.severity, COUNT(*) FROM incidents i{} GROUP BY i.state, i.severity",
            sql.where_clause()
        );
        let rows: Vec<(String, String, i64)> = on_pool!(self, pool => {
            bind_all!(sqlx::query_as(&text), &sql.binds).fetch_all(pool).await?
        });
        for (state, severity, count) in rows {
            stats.open.push((state.parse()?, severity.parse()?, count));
        }

        let mut sql = Sql::default();
        sql.and(format!("i.state IN {OPEN_STATES}"));
        if let Some(v) = visible_to {
            add_visibility(&mut sql, v);
        }
        let p = sql.bind(Bind::Time(crate::stored_time(now)));
        let text = format!(
            "SELECT COALESCE(SUM(CASE WHEN i.first_response_at IS NULL AND i.respond_by < {p} THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN i.resolve_by < {p} THEN 1 ELSE 0 END), 0) FROM incidents i{}",
            sql.where_clause()
        );
        let (response, resolution): (i64, i64) = on_pool!(self, pool => {
            bind_all!(sqlx::query_as(&text), &sql.binds).fetch_one(pool).await?
        });
        stats.response_overdue = response;
        stats.resolution_overdue = resolution;

        for (column, into) in [("created_at", &mut stats.opened_per_day), ("resolved_at", &mut stats.resolved_per_day)]
        {
            let mut sql = Sql::default();
            if let Some(v) = visible_to {
                add_visibility(&mut sql, v);
            }
            let p = sql.bind(Bind::Time(crate::stored_time(since)));
            sql.and(format!("i.{column} >= {p}"));
            let text = format!("SELECT i.{column} FROM incidents i{}", sql.where_clause());
            let times: Vec<(DateTime<Utc>,)> = on_pool!(self, pool => {
                bind_all!(sqlx::query_as(&text), &sql.binds).fetch_all(pool).await?
            });
            for (t,) in times {
                *into.entry(t.date_naive()).or_default() += 1;
            }
        }
        Ok(stats)
    }
}
