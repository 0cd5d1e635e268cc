//! What a list of incidents is asked for: filters on an incident's fields, full-text words and
//! what the asker may see. Storage turns it into SQL; the rules of meaning live here.

use crate::{IncidentState, OrganisationId, ParseError, Rsit, Severity, Tlp, UserId};
use chrono::{DateTime, Utc};

/// The most words a full-text search uses; further words are ignored, which bounds the work
/// one request can ask of the database.
pub const MAX_SEARCH_WORDS: usize = 8;

/// A filter on incidents. An empty list or `None` does not filter on that field; lists match any
/// of their values; all the given fields must match. Time bounds: `after` is inclusive,
/// `before` exclusive.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IncidentQuery {
    pub states: Vec<IncidentState>,
    pub severities: Vec<Severity>,
    /// RSIT class names as in [`Rsit::classes`] (`malicious-code`); add them with
    /// [`IncidentQuery::with_rsit_class`], which refuses unknown ones. An unknown class that
    /// gets here anyway matches no incident.
    pub rsit_classes: Vec<String>,
    pub tlps: Vec<Tlp>,
    /// Incidents affecting this organisation.
    pub organisation: Option<OrganisationId>,
    pub assignee: Option<UserId>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
    pub updated_after: Option<DateTime<Utc>>,
    pub updated_before: Option<DateTime<Utc>>,
    /// Full-text words, all of which must be found (each may be in the title, the description
    /// or a journal entry). Words match whole words. See [`IncidentQuery::search_words`].
    pub text: Option<String>,
    /// What the asker may see; `None` for the CIRT's own staff, who see everything.
    pub visible_to: Option<Visibility>,
}

/// What a constituent may see: incidents affecting its organisation, marked at most `max_tlp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Visibility {
    pub organisation: OrganisationId,
    pub max_tlp: Tlp,
}

impl Visibility {
    /// The TLP labels this audience may receive, from the most shareable.
    pub fn allowed_tlps(&self) -> impl Iterator<Item = Tlp> + '_ {
        Tlp::ALL.into_iter().filter(|t| t.may_release_to(self.max_tlp))
    }
}

impl IncidentQuery {
    /// Adds an RSIT class to filter on, refusing a name that is not in the taxonomy.
    pub fn with_rsit_class(mut self, class: &str) -> Result<Self, ParseError> {
        let wanted = class.trim().to_ascii_lowercase();
        let known = Rsit::classes().find(|c| *c == wanted).ok_or_else(|| {
            ParseError::new(
                "RSIT class",
                class,
                format!("use one of {}", Rsit::classes().collect::<Vec<_>>().join(", ")),
            )
        })?;
        if !self.rsit_classes.iter().any(|c| c == known) {
            self.rsit_classes.push(known.to_owned());
        }
        Ok(self)
    }

    /// The classifications (`class/type`) the RSIT class filter admits; empty when it does not
    /// filter. Unknown class names admit nothing.
    pub fn rsit_values(&self) -> Vec<Rsit> {
        Rsit::all().filter(|r| self.rsit_classes.iter().any(|c| c == r.class())).collect()
    }

    /// The full-text words: the text split at white space, keeping only pieces with a letter
    /// or a digit, at most [`MAX_SEARCH_WORDS`] of them. A piece such as `bad.example` or
    /// `l'équipe` stays one word: the database splits it as it splits the stored text, and
    /// matches its parts next to each other. Text with no word (`"`, `*`, `(`) does not filter.
    pub fn search_words(&self) -> Vec<&str> {
        self.text
            .as_deref()
            .unwrap_or_default()
            .split_whitespace()
            .filter(|w| w.chars().any(char::is_alphanumeric))
            .take(MAX_SEARCH_WORDS)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rsit_classes_are_checked_and_expanded() {
        let q = IncidentQuery::default().with_rsit_class("Fraud").unwrap().with_rsit_class("fraud").unwrap();
        assert_eq!(q.rsit_classes, ["fraud"]);
        assert!(q.rsit_values().iter().all(|r| r.class() == "fraud"));
        assert!(q.rsit_values().iter().any(|r| r.kind() == "phishing"));
        assert!(IncidentQuery::default().with_rsit_class("fraud/phishing").is_err());
        let unknown = IncidentQuery { rsit_classes: vec!["nope".into()], ..Default::default() };
        assert!(unknown.rsit_values().is_empty());
    }

    #[test]
    fn search_words_keep_pieces_with_letters_or_digits() {
        let q = |t: &str| IncidentQuery { text: Some(t.into()), ..Default::default() };
        assert_eq!(q(" botnet  \"  *  OR ( - حادث équipe ").search_words(), ["botnet", "OR", "حادث", "équipe"]);
        assert!(q("\" * ( -").search_words().is_empty());
        assert_eq!(q(&"w ".repeat(20)).search_words().len(), MAX_SEARCH_WORDS);
    }

    #[test]
    fn visibility_allows_up_to_its_tlp() {
        let v = Visibility { organisation: OrganisationId(1), max_tlp: Tlp::Amber };
        assert_eq!(v.allowed_tlps().collect::<Vec<_>>(), [Tlp::Clear, Tlp::Green, Tlp::Amber]);
    }
}
