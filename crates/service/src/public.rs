//! The public report form: anyone may report an incident without an account. Reports open an
//! incident in triage, attributed to the organisations their observables belong to; each
//! address may send only a few per hour, and the server as a whole a bounded number.

use crate::{Result, ServiceError, Services};
use chrono::{DateTime, Duration, Utc};
use cirtkit_domain::{
    EmailAddress, IncidentReference, IncidentState, JournalKind, NewIncident, Pap, Rsit, Severity, Tlp,
    extract::extract_observables,
};
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// Reports one address may send per hour.
pub const REPORTS_PER_ADDRESS_PER_HOUR: usize = 5;
/// Reports the whole server takes per hour from the public (a flood stops here, not in the queue).
pub const REPORTS_PER_HOUR: usize = 500;
/// The longest description taken.
pub const MAX_REPORT_CHARS: usize = 20_000;

/// What the reporter says happened, in words a citizen knows; each maps to an RSIT type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportCategory {
    Phishing,
    Malware,
    Spam,
    AccountCompromise,
    Fraud,
    Ddos,
    DataLeak,
    Vulnerability,
    Other,
}

impl ReportCategory {
    pub const ALL: [ReportCategory; 9] = [
        ReportCategory::Phishing,
        ReportCategory::Malware,
        ReportCategory::Spam,
        ReportCategory::AccountCompromise,
        ReportCategory::Fraud,
        ReportCategory::Ddos,
        ReportCategory::DataLeak,
        ReportCategory::Vulnerability,
        ReportCategory::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReportCategory::Phishing => "phishing",
            ReportCategory::Malware => "malware",
            ReportCategory::Spam => "spam",
            ReportCategory::AccountCompromise => "account-compromise",
            ReportCategory::Fraud => "fraud",
            ReportCategory::Ddos => "ddos",
            ReportCategory::DataLeak => "data-leak",
            ReportCategory::Vulnerability => "vulnerability",
            ReportCategory::Other => "other",
        }
    }

    /// The RSIT classification a report of this kind starts with (the handler refines it).
    pub fn rsit(self) -> Rsit {
        let (class, kind) = match self {
            ReportCategory::Phishing => ("fraud", "phishing"),
            ReportCategory::Malware => ("malicious-code", "infected-system"),
            ReportCategory::Spam => ("abusive-content", "spam"),
            ReportCategory::AccountCompromise => ("intrusions", "unprivileged-account-compromise"),
            ReportCategory::Fraud => ("fraud", "masquerade"),
            ReportCategory::Ddos => ("availability", "ddos"),
            ReportCategory::DataLeak => ("information-content-security", "data-leak"),
            ReportCategory::Vulnerability => ("vulnerable", "vulnerable-system"),
            ReportCategory::Other => ("other", "undetermined"),
        };
        Rsit::new(class, kind).unwrap_or_else(|_| Rsit::undetermined())
    }
}

impl std::str::FromStr for ReportCategory {
    type Err = ServiceError;
    fn from_str(s: &str) -> Result<Self> {
        ReportCategory::ALL
            .into_iter()
            .find(|c| c.as_str() == s.trim())
            .ok_or_else(|| ServiceError::Invalid("choose what happened from the list".into()))
    }
}

/// A report from the public form.
#[derive(Debug, Clone)]
pub struct PublicReport {
    pub category: ReportCategory,
    pub description: String,
    pub reporter_name: String,
    pub reporter_email: Option<EmailAddress>,
    pub reporter_organisation: String,
    /// The interface language of the reporter, for the reply.
    pub language: String,
}

/// Recent public reports, per address and in all (in memory, per node).
#[derive(Debug, Default)]
pub struct RateLimit {
    recent: Mutex<Recent>,
}

/// When the reports of the past hour came, in all and per address.
type Recent = (VecDeque<DateTime<Utc>>, HashMap<String, VecDeque<DateTime<Utc>>>);

impl RateLimit {
    /// Counts a report from `address` at `now`, unless the address or the server is over its
    /// budget for the past hour.
    fn admit(&self, address: &str, now: DateTime<Utc>) -> bool {
        let hour = Duration::hours(1);
        let mut guard = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        let (all, by_address) = &mut *guard;
        while all.front().is_some_and(|t| *t + hour <= now) {
            all.pop_front();
        }
        by_address.retain(|_, times| {
            while times.front().is_some_and(|t| *t + hour <= now) {
                times.pop_front();
            }
            !times.is_empty()
        });
        let mine = by_address.get(address).map_or(0, VecDeque::len);
        if all.len() >= REPORTS_PER_HOUR || mine >= REPORTS_PER_ADDRESS_PER_HOUR {
            return false;
        }
        all.push_back(now);
        by_address.entry(address.to_owned()).or_default().push_back(now);
        true
    }
}

impl Services {
    /// Opens an incident in triage from the public form and returns its reference, which the
    /// reporter quotes when writing to the team.
    pub async fn submit_public_report(&self, report: PublicReport, address: &str) -> Result<IncidentReference> {
        let description = report.description.trim();
        if description.chars().count() < 10 {
            return Err(ServiceError::Invalid("describe what happened in a few words".into()));
        }
        if description.chars().count() > MAX_REPORT_CHARS {
            return Err(ServiceError::Invalid(format!(
                "the description is too long (at most {MAX_REPORT_CHARS} characters)"
            )));
        }
        let now = self.clock().now();
        if !self.public_reports().admit(address, now) {
            return Err(ServiceError::Conflict("too many reports from here: please try again in an hour".into()));
        }
        let first_line = description.lines().next().unwrap_or_default();
        let title: String =
            format!("Public report ({}): {first_line}", report.category.as_str()).chars().take(200).collect();
        let new = NewIncident {
            title,
            description: description.to_owned(),
            rsit: report.category.rsit(),
            severity: Severity::Medium,
            tlp: Tlp::Amber,
            pap: Pap::Amber,
            assignee: None,
            organisations: Vec::new(),
            observables: extract_observables(description),
        };
        let new = self.checked_new_incident(new).await?;
        let mut reporter = format!(
            "Reported through the public form from {address}\nName: {}\nE-mail: {}\nOrganisation: {}\nLanguage: {}",
            none_if_empty(&report.reporter_name),
            report.reporter_email.as_ref().map_or_else(|| "(none)".to_owned(), ToString::to_string),
            none_if_empty(&report.reporter_organisation),
            none_if_empty(&report.language),
        );
        reporter.truncate(2_000);
        let author = report.reporter_email.as_ref().map_or_else(|| "public form".to_owned(), ToString::to_string);
        let mut tx = self.store().begin("public:report-form", now).await?;
        let incident = self.insert_incident(&mut tx, &new).await?;
        let incident = tx.set_incident_state(&incident, IncidentState::Triage).await?;
        tx.add_journal_entry(&incident, JournalKind::MailIn, &author, &reporter, None).await?;
        tx.commit().await?;
        tracing::info!(reference = %incident.reference, "public report received");
        Ok(incident.reference)
    }
}

fn none_if_empty(text: &str) -> &str {
    let t = text.trim();
    if t.is_empty() { "(none)" } else { t }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn an_address_gets_five_reports_an_hour() {
        let limit = RateLimit::default();
        let now = Utc.with_ymd_and_hms(2026, 5, 1, 9, 0, 0).unwrap();
        for _ in 0..REPORTS_PER_ADDRESS_PER_HOUR {
            assert!(limit.admit("192.0.2.1", now));
        }
        assert!(!limit.admit("192.0.2.1", now));
        assert!(limit.admit("192.0.2.2", now), "others may still report");
        assert!(limit.admit("192.0.2.1", now + Duration::hours(1)), "the budget comes back");
    }

    #[test]
    fn every_category_has_a_classification() {
        for c in ReportCategory::ALL {
            assert_eq!(c.as_str().parse::<ReportCategory>().unwrap(), c);
            if c != ReportCategory::Other {
                assert_ne!(c.rsit(), Rsit::undetermined(), "{c:?}");
            }
        }
    }
}
