//! Incidents: what a CIRT handles, from report to closure. The state machine lives here, so that
//! no layer above can move an incident where the process does not allow.

use crate::{IncidentId, JournalEntryId, Observable, OrganisationId, Pap, ParseError, Rsit, Severity, Tlp, UserId};
use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

/// The human-friendly reference of an incident, `CIRT-2026-00123`: a prefix chosen by the team,
/// the year the incident was opened and a number counted per year.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IncidentReference {
    prefix: String,
    year: i32,
    number: u32,
}

impl IncidentReference {
    /// Checks a team's reference prefix: 2 to 16 upper-case letters, digits or '-', starting
    /// with a letter.
    pub fn check_prefix(prefix: &str) -> Result<(), ParseError> {
        let ok = (2..=16).contains(&prefix.len())
            && prefix.starts_with(|c: char| c.is_ascii_uppercase())
            && !prefix.ends_with('-')
            && prefix.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(())
        } else {
            Err(ParseError::new(
                "reference prefix",
                prefix,
                "use 2 to 16 upper-case letters, digits or '-', starting with a letter, such as CIRT or TN-CERT",
            ))
        }
    }

    pub fn new(prefix: &str, year: i32, number: u32) -> Result<Self, ParseError> {
        Self::check_prefix(prefix)?;
        if !(2000..=9999).contains(&year) || number == 0 {
            return Err(ParseError::new(
                "incident reference",
                &format!("{prefix}-{year}-{number}"),
                "the year has four digits and the number starts at 1",
            ));
        }
        Ok(Self { prefix: prefix.to_owned(), year, number })
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    pub fn year(&self) -> i32 {
        self.year
    }

    pub fn number(&self) -> u32 {
        self.number
    }

    /// Finds the first reference with this prefix in a text, such as a mail subject
    /// (`Re: [CIRT-2026-00123] Phishing site`).
    pub fn find_in(text: &str, prefix: &str) -> Option<IncidentReference> {
        let mut rest = text;
        while let Some(pos) = rest.find(prefix) {
            let candidate = &rest[pos..];
            let end = candidate
                .char_indices()
                .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '-'))
                .map_or(candidate.len(), |(i, _)| i);
            let boundary_ok = pos == 0 || !rest[..pos].ends_with(|c: char| c.is_ascii_alphanumeric());
            if boundary_ok
                && let Ok(r) = candidate[..end].parse::<IncidentReference>()
                && r.prefix == prefix
            {
                return Some(r);
            }
            rest = &rest[pos + prefix.len()..];
        }
        None
    }
}

impl FromStr for IncidentReference {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad =
            || ParseError::new("incident reference", s, "write it as PREFIX-YEAR-NUMBER, such as CIRT-2026-00123");
        let t = s.trim();
        let (rest, number) = t.rsplit_once('-').ok_or_else(bad)?;
        let (prefix, year) = rest.rsplit_once('-').ok_or_else(bad)?;
        if year.len() != 4 || number.is_empty() || number.len() > 9 {
            return Err(bad());
        }
        let year: i32 = year.parse().map_err(|_| bad())?;
        let number: u32 = number.parse().map_err(|_| bad())?;
        IncidentReference::new(prefix, year, number)
    }
}

impl fmt::Display for IncidentReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}-{:05}", self.prefix, self.year, self.number)
    }
}

text_serde!(IncidentReference);

/// Where an incident is in its handling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IncidentState {
    /// Reported, nobody has looked yet.
    New,
    /// Being assessed: is it real, ours, how bad?
    Triage,
    /// Being handled.
    InProgress,
    /// Waiting for someone outside the team (the constituent, a partner, the reporter).
    Waiting,
    /// Handling is done; the incident can still be reopened.
    Resolved,
    /// Finished and archived.
    Closed,
}

/// A named move in the incident process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Transition {
    Triage,
    Start,
    Wait,
    Resume,
    Resolve,
    Close,
    Reopen,
}

impl IncidentState {
    pub const ALL: [IncidentState; 6] = [
        IncidentState::New,
        IncidentState::Triage,
        IncidentState::InProgress,
        IncidentState::Waiting,
        IncidentState::Resolved,
        IncidentState::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            IncidentState::New => "new",
            IncidentState::Triage => "triage",
            IncidentState::InProgress => "in-progress",
            IncidentState::Waiting => "waiting",
            IncidentState::Resolved => "resolved",
            IncidentState::Closed => "closed",
        }
    }

    /// Whether the incident still needs work (and so counts against its SLA).
    pub fn is_open(self) -> bool {
        !matches!(self, IncidentState::Resolved | IncidentState::Closed)
    }

    /// The moves allowed from this state, and where each leads:
    /// new → triage → in progress ⇄ waiting → resolved → closed; a resolved or closed incident
    /// can be reopened (back to in progress); triage may close a report that is not an incident.
    pub fn transitions(self) -> &'static [(Transition, IncidentState)] {
        use IncidentState as S;
        use Transition as T;
        match self {
            S::New => &[(T::Triage, S::Triage)],
            S::Triage => &[(T::Start, S::InProgress), (T::Close, S::Closed)],
            S::InProgress => &[(T::Wait, S::Waiting), (T::Resolve, S::Resolved)],
            S::Waiting => &[(T::Resume, S::InProgress), (T::Resolve, S::Resolved)],
            S::Resolved => &[(T::Close, S::Closed), (T::Reopen, S::InProgress)],
            S::Closed => &[(T::Reopen, S::InProgress)],
        }
    }

    /// Applies a move, or says why it is not allowed.
    pub fn apply(self, transition: Transition) -> Result<IncidentState, IllegalTransition> {
        self.transitions()
            .iter()
            .find(|(t, _)| *t == transition)
            .map(|(_, to)| *to)
            .ok_or(IllegalTransition { from: self, transition })
    }

    /// The move that leads from this state to `to`, if there is one.
    pub fn transition_to(self, to: IncidentState) -> Option<Transition> {
        self.transitions().iter().find(|(_, s)| *s == to).map(|(t, _)| *t)
    }
}

impl FromStr for IncidentState {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase().replace(['_', ' '], "-");
        IncidentState::ALL.into_iter().find(|x| x.as_str() == t).ok_or_else(|| {
            ParseError::new("incident state", s, "use new, triage, in-progress, waiting, resolved or closed")
        })
    }
}

impl fmt::Display for IncidentState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Transition {
    pub const ALL: [Transition; 7] = [
        Transition::Triage,
        Transition::Start,
        Transition::Wait,
        Transition::Resume,
        Transition::Resolve,
        Transition::Close,
        Transition::Reopen,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Transition::Triage => "triage",
            Transition::Start => "start",
            Transition::Wait => "wait",
            Transition::Resume => "resume",
            Transition::Resolve => "resolve",
            Transition::Close => "close",
            Transition::Reopen => "reopen",
        }
    }
}

impl FromStr for Transition {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase();
        Transition::ALL.into_iter().find(|x| x.as_str() == t).ok_or_else(|| {
            ParseError::new("transition", s, "use triage, start, wait, resume, resolve, close or reopen")
        })
    }
}

impl fmt::Display for Transition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A move the process does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an incident that is {from} cannot {transition}")]
pub struct IllegalTransition {
    pub from: IncidentState,
    pub transition: Transition,
}

/// An incident as it is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    pub id: IncidentId,
    pub reference: IncidentReference,
    pub title: String,
    pub description: String,
    pub rsit: Rsit,
    pub severity: Severity,
    pub tlp: Tlp,
    pub pap: Pap,
    pub state: IncidentState,
    pub assignee: Option<UserId>,
    pub organisations: Vec<OrganisationId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub respond_by: DateTime<Utc>,
    pub resolve_by: DateTime<Utc>,
    pub first_response_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
}

impl Incident {
    /// Whether the first-response target was missed (as of `now`).
    pub fn response_overdue(&self, now: DateTime<Utc>) -> bool {
        match self.first_response_at {
            Some(at) => at > self.respond_by,
            None => self.state.is_open() && now > self.respond_by,
        }
    }

    /// Whether the resolution target was missed (as of `now`).
    pub fn resolution_overdue(&self, now: DateTime<Utc>) -> bool {
        match self.resolved_at {
            Some(at) => at > self.resolve_by,
            None => now > self.resolve_by,
        }
    }

    /// The year that numbers this incident's reference.
    pub fn year(&self) -> i32 {
        self.created_at.year()
    }
}

/// What opens an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewIncident {
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub rsit: Rsit,
    pub severity: Severity,
    pub tlp: Tlp,
    pub pap: Pap,
    #[serde(default)]
    pub assignee: Option<UserId>,
    #[serde(default)]
    pub organisations: Vec<OrganisationId>,
    #[serde(default)]
    pub observables: Vec<Observable>,
}

impl NewIncident {
    /// Trims the title and refuses what a handler could not work with.
    pub fn checked(mut self) -> Result<Self, ParseError> {
        self.title = self.title.trim().to_owned();
        if self.title.is_empty() {
            return Err(ParseError::new("incident title", "", "give the incident a short title"));
        }
        if self.title.chars().count() > 300 {
            return Err(ParseError::new("incident title", &self.title, "use at most 300 characters"));
        }
        if self.description.len() > 1_000_000 {
            return Err(ParseError::new("incident description", "", "use at most 1 MB of text"));
        }
        self.organisations.sort();
        self.organisations.dedup();
        let mut seen = std::collections::HashSet::new();
        self.observables.retain(|o| seen.insert(o.clone()));
        Ok(self)
    }
}

/// A change to an incident's description, classification or handling (its state moves only
/// through transitions). Fields left `None` stay as they are; `assignee: Some(None)` unassigns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IncidentChanges {
    pub title: Option<String>,
    pub description: Option<String>,
    pub rsit: Option<Rsit>,
    pub severity: Option<Severity>,
    pub tlp: Option<Tlp>,
    pub pap: Option<Pap>,
    pub assignee: Option<Option<UserId>>,
    pub organisations: Option<Vec<OrganisationId>>,
}

impl IncidentChanges {
    pub fn is_empty(&self) -> bool {
        *self == IncidentChanges::default()
    }

    /// The incident as it would be with these changes, checked like a new one.
    pub fn apply_to(&self, incident: &Incident) -> Result<Incident, ParseError> {
        let mut after = incident.clone();
        if let Some(title) = &self.title {
            after.title = title.trim().to_owned();
            if after.title.is_empty() {
                return Err(ParseError::new("incident title", "", "give the incident a short title"));
            }
            if after.title.chars().count() > 300 {
                return Err(ParseError::new("incident title", &after.title, "use at most 300 characters"));
            }
        }
        if let Some(description) = &self.description {
            if description.len() > 1_000_000 {
                return Err(ParseError::new("incident description", "", "use at most 1 MB of text"));
            }
            after.description = description.clone();
        }
        after.rsit = self.rsit.unwrap_or(after.rsit);
        after.severity = self.severity.unwrap_or(after.severity);
        after.tlp = self.tlp.unwrap_or(after.tlp);
        after.pap = self.pap.unwrap_or(after.pap);
        if let Some(assignee) = self.assignee {
            after.assignee = assignee;
        }
        if let Some(orgs) = &self.organisations {
            after.organisations = orgs.clone();
            after.organisations.sort();
            after.organisations.dedup();
        }
        Ok(after)
    }
}

/// What kind of entry a journal line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum JournalKind {
    Comment,
    MailIn,
    MailOut,
    StateChange,
    Attachment,
}

impl JournalKind {
    pub const ALL: [JournalKind; 5] = [
        JournalKind::Comment,
        JournalKind::MailIn,
        JournalKind::MailOut,
        JournalKind::StateChange,
        JournalKind::Attachment,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JournalKind::Comment => "comment",
            JournalKind::MailIn => "mail-in",
            JournalKind::MailOut => "mail-out",
            JournalKind::StateChange => "state-change",
            JournalKind::Attachment => "attachment",
        }
    }
}

impl FromStr for JournalKind {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase();
        JournalKind::ALL.into_iter().find(|x| x.as_str() == t).ok_or_else(|| {
            ParseError::new("journal entry kind", s, "use comment, mail-in, mail-out, state-change or attachment")
        })
    }
}

impl fmt::Display for JournalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One line of an incident's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    pub id: JournalEntryId,
    pub incident: IncidentId,
    pub kind: JournalKind,
    /// Who wrote it: a user's name, a mail sender, or `system`.
    pub author: String,
    pub body: String,
    pub reply_to: Option<JournalEntryId>,
    pub at: DateTime<Utc>,
}

/// How two incidents relate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LinkKind {
    /// The two concern the same campaign, actor or infrastructure.
    Related,
    /// The first duplicates the second (it was merged into it).
    DuplicateOf,
    /// The first is part of the second.
    PartOf,
}

impl LinkKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkKind::Related => "related",
            LinkKind::DuplicateOf => "duplicate-of",
            LinkKind::PartOf => "part-of",
        }
    }
}

impl FromStr for LinkKind {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "related" => Ok(LinkKind::Related),
            "duplicate-of" => Ok(LinkKind::DuplicateOf),
            "part-of" => Ok(LinkKind::PartOf),
            _ => Err(ParseError::new("link kind", s, "use related, duplicate-of or part-of")),
        }
    }
}

impl fmt::Display for LinkKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_print_and_parse() {
        let r = IncidentReference::new("CIRT", 2026, 123).unwrap();
        assert_eq!(r.to_string(), "CIRT-2026-00123");
        assert_eq!("CIRT-2026-00123".parse::<IncidentReference>().unwrap(), r);
        let r2: IncidentReference = "TN-CERT-2025-123456".parse().unwrap();
        assert_eq!(r2.prefix(), "TN-CERT");
        assert_eq!(r2.number(), 123456);
        assert!("CIRT-26-1".parse::<IncidentReference>().is_err());
        assert!("cirt-2026-1".parse::<IncidentReference>().is_err());
        assert!("CIRT-2026-0".parse::<IncidentReference>().is_err());
    }

    #[test]
    fn references_are_found_in_subjects() {
        let found = IncidentReference::find_in("Re: [CIRT-2026-00042] Phishing", "CIRT").unwrap();
        assert_eq!(found.number(), 42);
        assert!(IncidentReference::find_in("Re: XCIRT-2026-00042", "CIRT").is_none());
        assert!(IncidentReference::find_in("CIRT team says hello", "CIRT").is_none());
        let later = IncidentReference::find_in("CIRT: about CIRT-2025-7", "CIRT").unwrap();
        assert_eq!(later.year(), 2025);
    }

    #[test]
    fn the_state_machine_allows_the_process_and_nothing_else() {
        use IncidentState as S;
        use Transition as T;
        let path = [T::Triage, T::Start, T::Wait, T::Resume, T::Resolve, T::Close, T::Reopen];
        let mut s = S::New;
        for t in path {
            s = s.apply(t).unwrap();
        }
        assert_eq!(s, S::InProgress);
        let err = S::New.apply(T::Close).unwrap_err();
        assert_eq!(err.to_string(), "an incident that is new cannot close");
        assert!(S::Closed.apply(T::Resolve).is_err());
        assert!(S::Waiting.apply(T::Wait).is_err());
        // Every state can be left, and every state but new can be reached.
        for state in S::ALL {
            if state != S::Closed {
                assert!(!state.transitions().is_empty());
            }
            if state != S::New {
                assert!(S::ALL.iter().any(|f| f.transition_to(state).is_some()), "{state}");
            }
        }
    }

    #[test]
    fn states_parse() {
        assert_eq!("In Progress".parse::<IncidentState>().unwrap(), IncidentState::InProgress);
        assert_eq!("in_progress".parse::<IncidentState>().unwrap(), IncidentState::InProgress);
        assert!("done".parse::<IncidentState>().is_err());
    }
}
