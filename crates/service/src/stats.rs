//! The dashboard: what is open, by state and severity, what is overdue, and the last 30 days.

use crate::{Principal, Result, Services};
use chrono::{Duration, NaiveDate};
use cirtkit_domain::{IncidentState, Severity};

/// How many days the dashboard's chart covers.
pub const DASHBOARD_DAYS: i64 = 30;

/// The dashboard's figures, for what the principal may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dashboard {
    /// Open incidents by state, in the process's order (every open state, zeros included).
    pub by_state: Vec<(IncidentState, i64)>,
    /// Open incidents by severity, most severe first (zeros included).
    pub by_severity: Vec<(Severity, i64)>,
    pub open_total: i64,
    pub response_overdue: i64,
    pub resolution_overdue: i64,
    /// The last [`DASHBOARD_DAYS`] days, oldest first: (day, opened, resolved).
    pub days: Vec<(NaiveDate, i64, i64)>,
}

impl Services {
    pub async fn dashboard(&self, who: &Principal) -> Result<Dashboard> {
        let visible_to = self.visibility(who)?;
        let now = self.clock().now();
        let first_day = (now - Duration::days(DASHBOARD_DAYS - 1)).date_naive();
        let since = first_day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
        let stats = self.store().incident_stats(visible_to, now, since).await?;
        let by_state = IncidentState::ALL
            .into_iter()
            .filter(|s| s.is_open())
            .map(|s| (s, stats.open.iter().filter(|(st, _, _)| *st == s).map(|(_, _, n)| n).sum()))
            .collect();
        let by_severity = Severity::ALL
            .into_iter()
            .rev()
            .map(|sev| (sev, stats.open.iter().filter(|(_, s, _)| *s == sev).map(|(_, _, n)| n).sum()))
            .collect();
        let days = first_day
            .iter_days()
            .take(DASHBOARD_DAYS as usize)
            .map(|d| {
                (
                    d,
                    stats.opened_per_day.get(&d).copied().unwrap_or(0),
                    stats.resolved_per_day.get(&d).copied().unwrap_or(0),
                )
            })
            .collect();
        Ok(Dashboard {
            by_state,
            by_severity,
            open_total: stats.open.iter().map(|(_, _, n)| n).sum(),
            response_overdue: stats.response_overdue,
            resolution_overdue: stats.resolution_overdue,
            days,
        })
    }
}
