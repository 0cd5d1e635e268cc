//! The Reference Security Incident Taxonomy (RSIT) of the European CSIRT network: eleven classes,
//! each with its incident types. Every incident and event is classified as a class and a type.

mod table;

use crate::ParseError;
use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

#[derive(Debug)]
pub(crate) struct RsitClassDef {
    value: &'static str,
    name: &'static str,
    types: &'static [RsitTypeDef],
}

#[derive(Debug)]
pub(crate) struct RsitTypeDef {
    value: &'static str,
    name: &'static str,
    description: &'static str,
}

/// One RSIT classification: a class and one of its types, such as `malicious-code/infected-system`.
/// Only pairs from the taxonomy can exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Rsit {
    class: u8,
    kind: u8,
}

impl Rsit {
    /// Parses a class and a type given apart (`"malicious-code"`, `"infected-system"`).
    pub fn new(class: &str, kind: &str) -> Result<Self, ParseError> {
        let input = format!("{class}/{kind}");
        let class_l = class.trim().to_ascii_lowercase();
        let kind_l = kind.trim().to_ascii_lowercase();
        let (ci, c) = table::CLASSES.iter().enumerate().find(|(_, c)| c.value == class_l).ok_or_else(|| {
            let names: Vec<_> = table::CLASSES.iter().map(|c| c.value).collect();
            ParseError::new("RSIT class", &input, format!("use one of {}", names.join(", ")))
        })?;
        let ti = c.types.iter().position(|t| t.value == kind_l).ok_or_else(|| {
            let names: Vec<_> = c.types.iter().map(|t| t.value).collect();
            ParseError::new("RSIT type", &input, format!("the class {} has the types {}", c.value, names.join(", ")))
        })?;
        Ok(Rsit { class: ci as u8, kind: ti as u8 })
    }

    /// Every classification in the taxonomy, in its order.
    pub fn all() -> impl Iterator<Item = Rsit> {
        table::CLASSES
            .iter()
            .enumerate()
            .flat_map(|(ci, c)| (0..c.types.len()).map(move |ti| Rsit { class: ci as u8, kind: ti as u8 }))
    }

    /// The class names, in the taxonomy's order.
    pub fn classes() -> impl Iterator<Item = &'static str> {
        table::CLASSES.iter().map(|c| c.value)
    }

    fn class_def(&self) -> &'static RsitClassDef {
        &table::CLASSES[usize::from(self.class)]
    }

    fn type_def(&self) -> &'static RsitTypeDef {
        &self.class_def().types[usize::from(self.kind)]
    }

    /// The class, as written in the taxonomy: `malicious-code`.
    pub fn class(&self) -> &'static str {
        self.class_def().value
    }

    /// The class's human name: `Malicious Code`.
    pub fn class_name(&self) -> &'static str {
        self.class_def().name
    }

    /// The type, as written in the taxonomy: `infected-system`.
    pub fn kind(&self) -> &'static str {
        self.type_def().value
    }

    /// The type's human name.
    pub fn kind_name(&self) -> &'static str {
        self.type_def().name
    }

    /// The taxonomy's description of the type.
    pub fn description(&self) -> &'static str {
        self.type_def().description
    }

    /// The catch-all classification for what is not yet known.
    pub fn undetermined() -> Rsit {
        Rsit::new("other", "undetermined").unwrap_or(Rsit { class: 0, kind: 0 })
    }
}

impl FromStr for Rsit {
    type Err = ParseError;

    /// Reads `class/type`, or the MISP machine tag `rsit:class="type"`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let t = t.strip_prefix("rsit:").unwrap_or(t);
        if let Some((class, kind)) = t.split_once("=\"") {
            return Rsit::new(class, kind.trim_end_matches('"'));
        }
        let (class, kind) = t.split_once('/').ok_or_else(|| {
            ParseError::new("RSIT classification", s, "write it as class/type, such as fraud/phishing")
        })?;
        Rsit::new(class, kind)
    }
}

impl fmt::Display for Rsit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.class(), self.kind())
    }
}

text_serde!(Rsit);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_matches_the_taxonomy_file() {
        let json: serde_json::Value = serde_json::from_str(include_str!("../../data/rsit-machinetag.json")).unwrap();
        let mut from_file = Vec::new();
        for v in json["values"].as_array().unwrap() {
            for e in v["entry"].as_array().unwrap() {
                from_file.push(format!("{}/{}", v["predicate"].as_str().unwrap(), e["value"].as_str().unwrap()));
            }
        }
        let compiled: Vec<String> = Rsit::all().map(|r| r.to_string()).collect();
        assert_eq!(compiled, from_file);
        assert_eq!(Rsit::classes().count(), 11);
    }

    #[test]
    fn parses_both_spellings_and_refuses_strangers() {
        let r: Rsit = "Malicious-Code/Infected-System".parse().unwrap();
        assert_eq!(r.to_string(), "malicious-code/infected-system");
        assert_eq!(r.class_name(), "Malicious Code");
        assert_eq!("rsit:fraud=\"phishing\"".parse::<Rsit>().unwrap().kind(), "phishing");
        let e = "fraud/spam".parse::<Rsit>().unwrap_err();
        assert!(e.reason.contains("phishing"), "{e}");
        assert!("nonsense".parse::<Rsit>().is_err());
        assert_eq!(Rsit::undetermined().to_string(), "other/undetermined");
    }

    #[test]
    fn serde_is_the_text_form() {
        let r: Rsit = "vulnerable/vulnerable-system".parse().unwrap();
        assert_eq!(serde_json::to_string(&r).unwrap(), "\"vulnerable/vulnerable-system\"");
        assert!(serde_json::from_str::<Rsit>("\"x/y\"").is_err());
    }
}
