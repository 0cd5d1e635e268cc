//! The language of a national CIRT's work: constituents, incidents, observables, partners, users,
//! TLP and PAP markings and the RSIT taxonomy. Pure types and rules; no I/O, no clock of its own.
//!
//! Values from outside become types here, at the border: every type has one way in (`parse` or
//! `FromStr`), so code that holds a value knows it is valid.

/// Serialises a type as its canonical text and deserialises it through its `FromStr`, so that
/// what arrives as JSON or TOML is parsed like any other input.
macro_rules! text_serde {
    ($t:ty) => {
        impl TryFrom<String> for $t {
            type Error = $crate::ParseError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                s.parse()
            }
        }

        impl From<$t> for String {
            fn from(value: $t) -> String {
                value.to_string()
            }
        }
    };
}

pub mod clock;
pub mod constituency;
pub mod extract;
pub mod ids;
pub mod incident;
pub mod names;
pub mod observable;
pub mod partner;
pub mod query;
pub mod rsit;
pub mod severity;
pub mod tlp;
pub mod user;

pub use clock::{Clock, ManualClock, SystemClock};
pub use constituency::{
    ConstituencyIndex, Contact, ContactRole, LookupMatch, MatchedBy, NewOrganisation, Organisation, Sector,
};
pub use ids::{AttachmentId, IncidentId, JournalEntryId, ObservableId, OrganisationId, PartnerId, TokenId, UserId};
pub use incident::{
    Incident, IncidentChanges, IncidentReference, IncidentState, JournalEntry, JournalKind, LinkKind, NewIncident,
    Transition,
};
pub use names::{Asn, Country, DomainName, EmailAddress, Language};
pub use observable::{Observable, ObservableKind};
pub use partner::{NewPartner, Partner};
pub use query::{IncidentQuery, Visibility};
pub use rsit::Rsit;
pub use severity::{Severity, SlaDue, SlaPolicy, SlaTargets};
pub use tlp::{Pap, Tlp};
pub use user::{Permission, Role, User, UserName};

/// A value from outside that is not what its type allows, with a message that says how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what} {input:?}: {reason}")]
pub struct ParseError {
    /// What was being parsed, in words a user knows ("TLP", "country code", "netblock").
    pub what: &'static str,
    /// The input, shortened if it was long.
    pub input: String,
    /// Why it was refused and what would be accepted.
    pub reason: String,
}

impl ParseError {
    pub fn new(what: &'static str, input: &str, reason: impl Into<String>) -> Self {
        const MAX: usize = 80;
        let input = if input.len() > MAX {
            let mut cut = MAX;
            while !input.is_char_boundary(cut) {
                cut -= 1;
            }
            format!("{}…", &input[..cut])
        } else {
            input.to_owned()
        };
        Self { what, input, reason: reason.into() }
    }
}
