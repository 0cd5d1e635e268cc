//! How bad an incident is, and the service-level targets that follow from it: how soon the team
//! must first respond and how soon it should resolve.

use crate::ParseError;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

/// An incident's severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 4] = [Severity::Low, Severity::Medium, Severity::High, Severity::Critical];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl FromStr for Severity {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase();
        Severity::ALL
            .into_iter()
            .find(|x| x.as_str() == t)
            .ok_or_else(|| ParseError::new("severity", s, "use low, medium, high or critical"))
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The targets for one severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlaTargets {
    /// From opening to the team's first response.
    pub response: Duration,
    /// From opening to resolution.
    pub resolution: Duration,
}

/// The service-level targets of the team, per severity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaPolicy {
    pub low: SlaTargets,
    pub medium: SlaTargets,
    pub high: SlaTargets,
    pub critical: SlaTargets,
}

/// When an incident's first response and resolution are due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaDue {
    pub respond_by: DateTime<Utc>,
    pub resolve_by: DateTime<Utc>,
}

impl Default for SlaPolicy {
    /// Targets in common use by national CIRTs: a critical incident is answered within the hour.
    fn default() -> Self {
        let t = |response_h, resolution_h| SlaTargets {
            response: Duration::hours(response_h),
            resolution: Duration::hours(resolution_h),
        };
        SlaPolicy { low: t(72, 30 * 24), medium: t(24, 7 * 24), high: t(4, 72), critical: t(1, 24) }
    }
}

impl SlaPolicy {
    pub fn targets(&self, severity: Severity) -> SlaTargets {
        match severity {
            Severity::Low => self.low,
            Severity::Medium => self.medium,
            Severity::High => self.high,
            Severity::Critical => self.critical,
        }
    }

    /// The due times of an incident of `severity` opened at `opened`.
    pub fn due(&self, severity: Severity, opened: DateTime<Utc>) -> SlaDue {
        let t = self.targets(severity);
        SlaDue { respond_by: opened + t.response, resolve_by: opened + t.resolution }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn due_times_follow_severity() {
        let opened = Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap();
        let p = SlaPolicy::default();
        let due = p.due(Severity::Critical, opened);
        assert_eq!(due.respond_by, Utc.with_ymd_and_hms(2026, 3, 1, 11, 0, 0).unwrap());
        assert_eq!(due.resolve_by, Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).unwrap());
        assert!(p.due(Severity::Low, opened).respond_by > due.respond_by);
    }

    #[test]
    fn severity_parses() {
        assert_eq!(" High ".parse::<Severity>().unwrap(), Severity::High);
        assert!("urgent".parse::<Severity>().is_err());
        assert!(Severity::Critical > Severity::Low);
    }
}
