//! Traffic Light Protocol 2.0 (FIRST) and the Permissible Actions Protocol: the markings that say
//! who may see a piece of information and what may be done with it.

use crate::ParseError;
use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

/// A TLP 2.0 label. Ordered from the most to the least shareable: CLEAR < GREEN < AMBER <
/// AMBER+STRICT < RED, so `marking <= audience_max` says whether an audience may receive it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Tlp {
    Clear,
    Green,
    Amber,
    AmberStrict,
    Red,
}

impl Tlp {
    pub const ALL: [Tlp; 5] = [Tlp::Clear, Tlp::Green, Tlp::Amber, Tlp::AmberStrict, Tlp::Red];

    /// The label without the `TLP:` prefix, as TLP 2.0 writes it: `AMBER+STRICT`.
    pub fn as_str(self) -> &'static str {
        match self {
            Tlp::Clear => "CLEAR",
            Tlp::Green => "GREEN",
            Tlp::Amber => "AMBER",
            Tlp::AmberStrict => "AMBER+STRICT",
            Tlp::Red => "RED",
        }
    }

    /// The colour of the label's text in TLP 2.0 (RGB hex); the background is always black.
    pub fn colour(self) -> &'static str {
        match self {
            Tlp::Clear => "#FFFFFF",
            Tlp::Green => "#33FF00",
            Tlp::Amber | Tlp::AmberStrict => "#FFC000",
            Tlp::Red => "#FF2B2B",
        }
    }

    /// Whether information with this marking may be released to an audience cleared up to `max`.
    pub fn may_release_to(self, max: Tlp) -> bool {
        self <= max
    }
}

impl FromStr for Tlp {
    type Err = ParseError;

    /// Accepts `TLP:AMBER+STRICT`, `amber+strict`, `AMBER_STRICT`; TLP 1.0's WHITE reads as CLEAR.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let up = s.trim().to_ascii_uppercase();
        let label = up.strip_prefix("TLP:").or_else(|| up.strip_prefix("TLP ")).unwrap_or(&up);
        match label.trim() {
            "CLEAR" | "WHITE" => Ok(Tlp::Clear),
            "GREEN" => Ok(Tlp::Green),
            "AMBER" => Ok(Tlp::Amber),
            "AMBER+STRICT" | "AMBER_STRICT" | "AMBER-STRICT" => Ok(Tlp::AmberStrict),
            "RED" => Ok(Tlp::Red),
            _ => Err(ParseError::new("TLP", s, "use CLEAR, GREEN, AMBER, AMBER+STRICT or RED")),
        }
    }
}

impl fmt::Display for Tlp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TLP:{}", self.as_str())
    }
}

text_serde!(Tlp);

/// A PAP label: what the recipient may do with the information (CLEAR: anything; GREEN: active
/// actions allowed; AMBER: passive cross-checks only; RED: no action that could be detected).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Pap {
    Clear,
    Green,
    Amber,
    Red,
}

impl Pap {
    pub const ALL: [Pap; 4] = [Pap::Clear, Pap::Green, Pap::Amber, Pap::Red];

    pub fn as_str(self) -> &'static str {
        match self {
            Pap::Clear => "CLEAR",
            Pap::Green => "GREEN",
            Pap::Amber => "AMBER",
            Pap::Red => "RED",
        }
    }
}

impl FromStr for Pap {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let up = s.trim().to_ascii_uppercase();
        let label = up.strip_prefix("PAP:").unwrap_or(&up);
        match label.trim() {
            "CLEAR" | "WHITE" => Ok(Pap::Clear),
            "GREEN" => Ok(Pap::Green),
            "AMBER" => Ok(Pap::Amber),
            "RED" => Ok(Pap::Red),
            _ => Err(ParseError::new("PAP", s, "use CLEAR, GREEN, AMBER or RED")),
        }
    }
}

impl fmt::Display for Pap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PAP:{}", self.as_str())
    }
}

text_serde!(Pap);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tlp_reads_every_spelling() {
        assert_eq!("TLP:AMBER+STRICT".parse::<Tlp>().unwrap(), Tlp::AmberStrict);
        assert_eq!("amber_strict".parse::<Tlp>().unwrap(), Tlp::AmberStrict);
        assert_eq!("tlp:white".parse::<Tlp>().unwrap(), Tlp::Clear);
        assert!("TLP:BLUE".parse::<Tlp>().is_err());
        for t in Tlp::ALL {
            assert_eq!(t.to_string().parse::<Tlp>().unwrap(), t);
        }
    }

    #[test]
    fn release_follows_the_order() {
        assert!(Tlp::Green.may_release_to(Tlp::Amber));
        assert!(Tlp::Amber.may_release_to(Tlp::Amber));
        assert!(!Tlp::AmberStrict.may_release_to(Tlp::Amber));
        assert!(!Tlp::Red.may_release_to(Tlp::AmberStrict));
    }

    #[test]
    fn pap_round_trips() {
        for p in Pap::ALL {
            assert_eq!(p.to_string().parse::<Pap>().unwrap(), p);
        }
        assert!("PAP:AMBER+STRICT".parse::<Pap>().is_err());
    }
}
