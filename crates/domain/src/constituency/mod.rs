//! Constituents: the organisations a national CIRT serves, with the netblocks, AS numbers and
//! domains they own and the people to contact. Also the index that answers "who owns this?".

mod lookup;
pub mod transfer;

pub use lookup::{ConstituencyIndex, ConstituencyIndexBuilder, LookupMatch, MatchedBy};

use crate::{Asn, Country, DomainName, EmailAddress, Language, Observable, OrganisationId, ParseError};
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

/// The sector a constituent works in, as national CIRTs commonly group them (critical sectors
/// follow the NIS2 annexes where they overlap).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Sector {
    Isp,
    Government,
    Finance,
    Energy,
    Health,
    Education,
    Telecom,
    Transport,
    Water,
    Defence,
    Media,
    Industry,
    Retail,
    Other,
}

impl Sector {
    pub const ALL: [Sector; 14] = [
        Sector::Isp,
        Sector::Government,
        Sector::Finance,
        Sector::Energy,
        Sector::Health,
        Sector::Education,
        Sector::Telecom,
        Sector::Transport,
        Sector::Water,
        Sector::Defence,
        Sector::Media,
        Sector::Industry,
        Sector::Retail,
        Sector::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Sector::Isp => "isp",
            Sector::Government => "government",
            Sector::Finance => "finance",
            Sector::Energy => "energy",
            Sector::Health => "health",
            Sector::Education => "education",
            Sector::Telecom => "telecom",
            Sector::Transport => "transport",
            Sector::Water => "water",
            Sector::Defence => "defence",
            Sector::Media => "media",
            Sector::Industry => "industry",
            Sector::Retail => "retail",
            Sector::Other => "other",
        }
    }
}

impl FromStr for Sector {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase();
        Sector::ALL.into_iter().find(|x| x.as_str() == t).ok_or_else(|| {
            let all: Vec<_> = Sector::ALL.iter().map(|x| x.as_str()).collect();
            ParseError::new("sector", s, format!("use one of {}", all.join(", ")))
        })
    }
}

impl fmt::Display for Sector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a contact person is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ContactRole {
    /// Receives abuse and incident notifications.
    Abuse,
    /// The security team or CISO.
    Security,
    /// Technical operations (NOC).
    Technical,
    /// Management, for escalation.
    Management,
}

impl ContactRole {
    pub const ALL: [ContactRole; 4] =
        [ContactRole::Abuse, ContactRole::Security, ContactRole::Technical, ContactRole::Management];

    pub fn as_str(self) -> &'static str {
        match self {
            ContactRole::Abuse => "abuse",
            ContactRole::Security => "security",
            ContactRole::Technical => "technical",
            ContactRole::Management => "management",
        }
    }
}

impl FromStr for ContactRole {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase();
        ContactRole::ALL
            .into_iter()
            .find(|x| x.as_str() == t)
            .ok_or_else(|| ParseError::new("contact role", s, "use abuse, security, technical or management"))
    }
}

impl fmt::Display for ContactRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A person (or a team mailbox) to contact at a constituent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub name: String,
    pub email: EmailAddress,
    pub phone: Option<String>,
    /// An ASCII-armoured OpenPGP public key, to encrypt what is sent to this contact.
    pub openpgp_key: Option<String>,
    pub language: Language,
    pub role: ContactRole,
}

/// A constituent organisation as it is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organisation {
    pub id: OrganisationId,
    #[serde(flatten)]
    pub details: NewOrganisation,
}

/// What describes a constituent, without its id: what a person enters or an import reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewOrganisation {
    pub name: String,
    pub sector: Sector,
    pub country: Country,
    pub languages: Vec<Language>,
    pub contacts: Vec<Contact>,
    pub netblocks: Vec<IpNet>,
    pub asns: Vec<Asn>,
    pub domains: Vec<DomainName>,
}

impl NewOrganisation {
    /// Sorts and deduplicates the lists, so that the same constituency always reads the same, and
    /// refuses what cannot be right (an empty name, no language).
    pub fn normalised(mut self) -> Result<Self, ParseError> {
        self.name = self.name.trim().to_owned();
        if self.name.is_empty() {
            return Err(ParseError::new("organisation name", "", "give the organisation a name"));
        }
        if self.name.chars().count() > 200 {
            return Err(ParseError::new("organisation name", &self.name, "use at most 200 characters"));
        }
        self.netblocks = self.netblocks.iter().map(IpNet::trunc).collect();
        self.languages.sort();
        self.languages.dedup();
        self.netblocks.sort();
        self.netblocks.dedup();
        self.asns.sort();
        self.asns.dedup();
        self.domains.sort();
        self.domains.dedup();
        self.contacts.sort_by(|a, b| (a.role, &a.email, &a.name).cmp(&(b.role, &b.email, &b.name)));
        self.contacts.dedup();
        for c in &mut self.contacts {
            c.name = c.name.trim().to_owned();
        }
        Ok(self)
    }
}

impl ConstituencyIndex {
    /// Who owns what this observable names: an address or a network by longest-prefix match, an
    /// AS number, or a domain (also a URL's host and an e-mail address's domain) by the longest
    /// registered suffix.
    pub fn lookup(&self, observable: &Observable) -> Option<LookupMatch> {
        match observable {
            Observable::Ipv4(ip) => self.lookup_ip((*ip).into()),
            Observable::Ipv6(ip) => self.lookup_ip((*ip).into()),
            Observable::Cidr(net) => self.lookup_net(*net),
            Observable::Asn(asn) => self.lookup_asn(*asn),
            Observable::Domain(d) => self.lookup_domain(d),
            Observable::Email(e) => self.lookup_domain(e.domain()),
            Observable::Url(u) => match u.host() {
                Some(url::Host::Domain(d)) => d.parse().ok().and_then(|d| self.lookup_domain(&d)),
                Some(url::Host::Ipv4(ip)) => self.lookup_ip(ip.into()),
                Some(url::Host::Ipv6(ip)) => self.lookup_ip(ip.into()),
                None => None,
            },
            _ => None,
        }
    }

    /// Builds the index of every netblock, AS number and domain of these constituents.
    pub fn from_organisations<'a>(orgs: impl IntoIterator<Item = &'a Organisation>) -> Self {
        let mut b = ConstituencyIndex::builder();
        for org in orgs {
            for net in &org.details.netblocks {
                b.netblock(*net, org.id);
            }
            for asn in &org.details.asns {
                b.asn(*asn, org.id);
            }
            for d in &org.details.domains {
                b.domain(d.clone(), org.id);
            }
        }
        b.build()
    }
}
