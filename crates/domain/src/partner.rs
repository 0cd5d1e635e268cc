//! Partner CIRTs: teams in other countries (or regional groupings) this team shares with.

use crate::{Contact, Country, ParseError, PartnerId, Tlp};
use serde::{Deserialize, Serialize};

/// A partner CIRT as it is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Partner {
    pub id: PartnerId,
    #[serde(flatten)]
    pub details: NewPartner,
}

/// What describes a partner CIRT.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPartner {
    pub name: String,
    /// The country it serves; none for a regional or sectoral team.
    pub country: Option<Country>,
    pub contacts: Vec<Contact>,
    /// The most restrictive TLP marking this partner may receive.
    pub max_tlp: Tlp,
}

impl NewPartner {
    pub fn checked(mut self) -> Result<Self, ParseError> {
        self.name = self.name.trim().to_owned();
        if self.name.is_empty() {
            return Err(ParseError::new("partner name", "", "give the partner CIRT a name"));
        }
        Ok(self)
    }
}
