//! Small value types that name things on the Internet and in the world: AS numbers, domain names,
//! e-mail addresses, countries and languages. Each is canonical once parsed.

use crate::ParseError;
use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

/// An autonomous system number, written `AS64500` or `64500`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Asn(u32);

impl Asn {
    pub const fn new(number: u32) -> Self {
        Self(number)
    }

    pub const fn get(self) -> u32 {
        self.0
    }
}

impl FromStr for Asn {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let digits =
            t.strip_prefix("AS").or_else(|| t.strip_prefix("as")).or_else(|| t.strip_prefix("As")).unwrap_or(t);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ParseError::new("AS number", s, "write it as AS64500 or 64500"));
        }
        digits.parse::<u32>().map(Asn).map_err(|_| ParseError::new("AS number", s, "AS numbers go up to 4294967295"))
    }
}

impl fmt::Display for Asn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AS{}", self.0)
    }
}

text_serde!(Asn);

/// A fully qualified domain name in canonical form: lower case, ASCII (internationalised names
/// are stored as their `xn--` A-labels), no trailing dot. At least two labels.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DomainName(String);

impl DomainName {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// This name and every parent domain with at least two labels, longest first:
    /// `a.b.example.org`, `b.example.org`, `example.org`.
    pub fn suffixes(&self) -> impl Iterator<Item = &str> {
        let s = self.0.as_str();
        std::iter::once(s)
            .chain(s.match_indices('.').map(move |(i, _)| &s[i + 1..]))
            .filter(|suffix| suffix.contains('.'))
    }

    /// Whether `self` is `other` or lies under it.
    pub fn is_within(&self, other: &DomainName) -> bool {
        self.0 == other.0
            || (self.0.len() > other.0.len()
                && self.0.ends_with(other.0.as_str())
                && self.0.as_bytes()[self.0.len() - other.0.len() - 1] == b'.')
    }
}

impl FromStr for DomainName {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        const WHAT: &str = "domain name";
        let t = s.trim().trim_end_matches('.');
        if t.is_empty() {
            return Err(ParseError::new(WHAT, s, "it is empty"));
        }
        let ascii = if t.is_ascii() {
            t.to_ascii_lowercase()
        } else {
            url::Host::parse(t)
                .ok()
                .and_then(|h| match h {
                    url::Host::Domain(d) => Some(d),
                    _ => None,
                })
                .ok_or_else(|| ParseError::new(WHAT, s, "it is not a valid internationalised name"))?
        };
        if ascii.len() > 253 {
            return Err(ParseError::new(WHAT, s, "a domain name has at most 253 characters"));
        }
        let mut labels = 0;
        for label in ascii.split('.') {
            labels += 1;
            if label.is_empty() || label.len() > 63 {
                return Err(ParseError::new(WHAT, s, "each label has 1 to 63 characters"));
            }
            if !label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
                return Err(ParseError::new(WHAT, s, "labels hold only letters, digits, '-' and '_'"));
            }
            if label.starts_with('-') || label.ends_with('-') {
                return Err(ParseError::new(WHAT, s, "a label cannot start or end with '-'"));
            }
        }
        if labels < 2 {
            return Err(ParseError::new(WHAT, s, "write the full name, such as example.org"));
        }
        if ascii.rsplit('.').next().is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit())) {
            return Err(ParseError::new(WHAT, s, "the last label cannot be numeric"));
        }
        Ok(DomainName(ascii))
    }
}

impl fmt::Display for DomainName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

text_serde!(DomainName);

/// An e-mail address: a local part and a domain name (canonical: domain lower-cased).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress {
    local: String,
    domain: DomainName,
}

impl EmailAddress {
    pub fn local_part(&self) -> &str {
        &self.local
    }

    pub fn domain(&self) -> &DomainName {
        &self.domain
    }
}

impl FromStr for EmailAddress {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        const WHAT: &str = "e-mail address";
        let t = s.trim();
        let (local, domain) =
            t.rsplit_once('@').ok_or_else(|| ParseError::new(WHAT, s, "write it as name@example.org"))?;
        if local.is_empty() || local.len() > 64 {
            return Err(ParseError::new(WHAT, s, "the part before '@' has 1 to 64 characters"));
        }
        if local.chars().any(|c| c.is_whitespace() || c.is_control() || "<>()[],;:\\\"@".contains(c)) {
            return Err(ParseError::new(WHAT, s, "the part before '@' holds a character not allowed there"));
        }
        if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
            return Err(ParseError::new(WHAT, s, "the part before '@' has a misplaced '.'"));
        }
        let domain =
            domain.parse::<DomainName>().map_err(|e| ParseError::new(WHAT, s, format!("its domain: {}", e.reason)))?;
        Ok(EmailAddress { local: local.to_owned(), domain })
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.local, self.domain)
    }
}

text_serde!(EmailAddress);

/// The ISO 3166-1 alpha-2 codes officially assigned.
const ISO_3166_1_ALPHA_2: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH \
BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ \
DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW \
GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC \
LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF \
NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG \
SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US \
UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

/// A country, by its ISO 3166-1 alpha-2 code (upper case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Country([u8; 2]);

impl Country {
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}

impl FromStr for Country {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let up = s.trim().to_ascii_uppercase();
        if up.len() == 2 && ISO_3166_1_ALPHA_2.split(' ').any(|c| c == up) {
            let b = up.as_bytes();
            Ok(Country([b[0], b[1]]))
        } else {
            Err(ParseError::new("country code", s, "use an ISO 3166-1 alpha-2 code such as TN, SN, JO or FR"))
        }
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

text_serde!(Country);

/// A language, by its ISO 639-1 (two letters) or ISO 639-2/3 (three letters) code, lower case:
/// `en`, `fr`, `ar`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Language(String);

impl Language {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the language is written right to left (Arabic, Persian, Urdu, Hebrew…).
    pub fn is_right_to_left(&self) -> bool {
        matches!(self.0.as_str(), "ar" | "fa" | "ur" | "he" | "ps" | "sd" | "ug" | "yi" | "dv" | "ckb")
    }
}

impl FromStr for Language {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase();
        // "fr-FR" and "ar_TN" name the language "fr" and "ar": the region is not ours to keep.
        let primary = t.split(['-', '_']).next().unwrap_or_default();
        if (2..=3).contains(&primary.len()) && primary.bytes().all(|b| b.is_ascii_lowercase()) {
            Ok(Language(primary.to_owned()))
        } else {
            Err(ParseError::new("language", s, "use an ISO 639 code such as en, fr or ar"))
        }
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

text_serde!(Language);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asn_accepts_both_spellings() {
        assert_eq!("AS64500".parse::<Asn>().unwrap(), Asn::new(64500));
        assert_eq!("64500".parse::<Asn>().unwrap().to_string(), "AS64500");
        assert!("AS".parse::<Asn>().is_err());
        assert!("AS-1".parse::<Asn>().is_err());
        assert!("4294967296".parse::<Asn>().is_err());
    }

    #[test]
    fn domain_names_are_canonical() {
        let d: DomainName = "WWW.Example.ORG.".parse().unwrap();
        assert_eq!(d.as_str(), "www.example.org");
        let idn: DomainName = "مثال.مصر".parse().unwrap();
        assert!(idn.as_str().starts_with("xn--"), "{idn}");
        assert!("localhost".parse::<DomainName>().is_err());
        assert!("a..b".parse::<DomainName>().is_err());
        assert!("-a.org".parse::<DomainName>().is_err());
        assert!("1.2.3.4".parse::<DomainName>().is_err());
    }

    #[test]
    fn domain_suffixes_walk_up_to_two_labels() {
        let d: DomainName = "a.b.example.org".parse().unwrap();
        assert_eq!(d.suffixes().collect::<Vec<_>>(), ["a.b.example.org", "b.example.org", "example.org"]);
        let parent: DomainName = "example.org".parse().unwrap();
        assert!(d.is_within(&parent));
        assert!(!"badexample.org".parse::<DomainName>().unwrap().is_within(&parent));
    }

    #[test]
    fn emails() {
        let e: EmailAddress = "CERT@Example.TN".parse().unwrap();
        assert_eq!(e.to_string(), "CERT@example.tn");
        assert!("no-at-sign".parse::<EmailAddress>().is_err());
        assert!("a@b".parse::<EmailAddress>().is_err());
    }

    #[test]
    fn countries_are_iso_3166() {
        assert_eq!(ISO_3166_1_ALPHA_2.split(' ').count(), 249);
        assert_eq!("tn".parse::<Country>().unwrap().to_string(), "TN");
        assert!("XX".parse::<Country>().is_err());
        assert!("TUN".parse::<Country>().is_err());
    }

    #[test]
    fn languages() {
        assert_eq!("fr-FR".parse::<Language>().unwrap().as_str(), "fr");
        assert!("ar".parse::<Language>().unwrap().is_right_to_left());
        assert!("english".parse::<Language>().is_err());
    }
}
