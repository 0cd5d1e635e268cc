//! People who sign in, and what their role lets them do.

use crate::{EmailAddress, Language, OrganisationId, ParseError, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

/// A login name: 2 to 64 lower-case letters, digits, '.', '_' or '-', starting with a letter.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UserName(String);

impl UserName {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for UserName {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let ok = (2..=64).contains(&t.len())
            && t.starts_with(|c: char| c.is_ascii_lowercase())
            && t.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
        if ok {
            Ok(UserName(t.to_owned()))
        } else {
            Err(ParseError::new(
                "user name",
                s,
                "use 2 to 64 lower-case letters, digits, '.', '_' or '-', starting with a letter",
            ))
        }
    }
}

impl fmt::Display for UserName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

text_serde!(UserName);

/// A person who signs in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub name: UserName,
    pub display_name: String,
    pub email: Option<EmailAddress>,
    pub role: Role,
    /// The language of the user's interface and mail.
    pub language: Language,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
}

/// What a user may do. A constituent is bound to its one organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "role", content = "organisation", rename_all = "lowercase")]
pub enum Role {
    /// Everything, including users and configuration.
    Admin,
    /// All incidents, partners and sharing.
    Coordinator,
    /// Incidents and events.
    Analyst,
    /// Reads everything, changes nothing.
    Auditor,
    /// Sees only its own organisation's incidents, as far as their TLP allows.
    Constituent(OrganisationId),
}

/// Something a role may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    ManageUsers,
    ManageConstituency,
    ManagePartners,
    EditIncidents,
    ReadEverything,
    ReadAudit,
}

impl Role {
    pub const NAMES: [&'static str; 5] = ["admin", "coordinator", "analyst", "auditor", "constituent"];

    pub fn name(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Coordinator => "coordinator",
            Role::Analyst => "analyst",
            Role::Auditor => "auditor",
            Role::Constituent(_) => "constituent",
        }
    }

    /// The organisation a constituent is bound to.
    pub fn organisation(self) -> Option<OrganisationId> {
        match self {
            Role::Constituent(org) => Some(org),
            _ => None,
        }
    }

    /// Builds a role from its name and, for a constituent, its organisation.
    pub fn from_parts(name: &str, organisation: Option<OrganisationId>) -> Result<Role, ParseError> {
        let role = match (name.trim().to_ascii_lowercase().as_str(), organisation) {
            ("admin", None) => Role::Admin,
            ("coordinator", None) => Role::Coordinator,
            ("analyst", None) => Role::Analyst,
            ("auditor", None) => Role::Auditor,
            ("constituent", Some(org)) => Role::Constituent(org),
            ("constituent", None) => {
                return Err(ParseError::new("role", name, "a constituent user needs its organisation"));
            }
            (n, Some(_)) if Role::NAMES.contains(&n) => {
                return Err(ParseError::new("role", name, "only a constituent user is bound to an organisation"));
            }
            _ => {
                return Err(ParseError::new("role", name, "use admin, coordinator, analyst, auditor or constituent"));
            }
        };
        Ok(role)
    }

    pub fn allows(self, permission: Permission) -> bool {
        use Permission as P;
        match self {
            Role::Admin => true,
            Role::Coordinator => !matches!(permission, P::ManageUsers),
            Role::Analyst => matches!(permission, P::EditIncidents | P::ReadEverything),
            Role::Auditor => matches!(permission, P::ReadEverything | P::ReadAudit),
            Role::Constituent(_) => false,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names() {
        assert!("amina.benali".parse::<UserName>().is_ok());
        assert!("Admin".parse::<UserName>().is_err());
        assert!("1x".parse::<UserName>().is_err());
        assert!("a".parse::<UserName>().is_err());
    }

    #[test]
    fn roles_are_built_only_whole() {
        assert_eq!(Role::from_parts("analyst", None).unwrap(), Role::Analyst);
        assert_eq!(
            Role::from_parts("constituent", Some(OrganisationId(3))).unwrap(),
            Role::Constituent(OrganisationId(3))
        );
        assert!(Role::from_parts("constituent", None).is_err());
        assert!(Role::from_parts("admin", Some(OrganisationId(3))).is_err());
        assert!(Role::from_parts("root", None).is_err());
    }

    #[test]
    fn permissions() {
        assert!(Role::Admin.allows(Permission::ManageUsers));
        assert!(!Role::Coordinator.allows(Permission::ManageUsers));
        assert!(Role::Coordinator.allows(Permission::ManagePartners));
        assert!(!Role::Auditor.allows(Permission::EditIncidents));
        assert!(Role::Auditor.allows(Permission::ReadAudit));
        assert!(!Role::Constituent(OrganisationId(1)).allows(Permission::ReadEverything));
    }
}
