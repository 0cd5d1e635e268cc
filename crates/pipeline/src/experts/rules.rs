//! The `rules` expert: keeps or drops events by conditions on their fields, like IntelMQ's
//! filter expert but with several conditions and typed comparison.
//!
//! ```json
//! {"action": "drop", "match": "any", "rules": [
//!   {"field": "source.ip", "in_cidr": ["192.0.2.0/24", "2001:db8::/32"]},
//!   {"field": "classification.type", "in": ["spam", "scanner"]},
//!   {"field": "extra.tag", "eq": "test"},
//!   {"field": "source.url", "contains": "/wp-admin/"},
//!   {"field": "source.asn", "exists": false}
//! ]}
//! ```
//!
//! Values are read by the field's sanitation when the expert is built, so `AS64500` equals
//! `64500` on `source.asn` and a mistyped value is refused then, not silently never matched.

use super::prefix::PrefixMap;
use super::{Expert, ExpertResources, ExpertSpec, Verdict, config};
use crate::error::PipelineError;
use crate::event::{Event, Field, Kind, Value, sanitize};
use ipnet::IpNet;
use serde::Deserialize;

pub(crate) static SPECS: &[ExpertSpec] = &[ExpertSpec {
    name: "rules",
    description: "keeps or drops events by conditions on fields (eq, ne, in, in_cidr, contains, exists)",
    build: build_rules,
}];

const NAME: &str = "rules";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleOptions {
    rules: Vec<ConditionSpec>,
    /// `all` (default): every condition holds; `any`: one does.
    #[serde(default, rename = "match")]
    combine: Combine,
    /// `drop` (default): drop the events that match; `keep`: drop those that do not.
    #[serde(default)]
    action: RuleAction,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Combine {
    #[default]
    All,
    Any,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum RuleAction {
    #[default]
    Drop,
    Keep,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConditionSpec {
    field: String,
    eq: Option<String>,
    ne: Option<String>,
    #[serde(rename = "in")]
    one_of: Option<Vec<String>>,
    in_cidr: Option<Vec<String>>,
    contains: Option<String>,
    exists: Option<bool>,
}

/// A harmonised field or an `extra.*` key.
#[derive(Debug, Clone)]
enum Target {
    Field(Field),
    Extra(String),
}

#[derive(Debug)]
enum Test {
    Eq(Vec<Value>),
    Ne(Value),
    InCidr(PrefixMap<()>),
    Contains(String),
    Exists(bool),
}

#[derive(Debug)]
struct Condition {
    target: Target,
    test: Test,
}

/// Keeps or drops events by their fields.
#[derive(Debug)]
pub struct RuleFilter {
    conditions: Vec<Condition>,
    combine: Combine,
    action: RuleAction,
}

fn build_rules(options: &serde_json::Value, _: &ExpertResources) -> Result<Box<dyn Expert>, PipelineError> {
    if options.is_null() {
        return Err(config(NAME, "give the rules: {\"rules\": [{\"field\": …, \"eq\": …}]}"));
    }
    let o: RuleOptions = serde_json::from_value(options.clone()).map_err(|e| config(NAME, e.to_string()))?;
    if o.rules.is_empty() {
        return Err(config(NAME, "the list of rules is empty"));
    }
    let conditions = o.rules.into_iter().map(condition).collect::<Result<_, _>>()?;
    Ok(Box::new(RuleFilter { conditions, combine: o.combine, action: o.action }))
}

/// Reads a value as the field would hold it; `extra.*` values are compared as text.
fn typed(target: &Target, text: &str) -> Result<Value, PipelineError> {
    match target {
        Target::Field(f) => sanitize(f.kind(), text)
            .map_err(|reason| config(NAME, format!("{}: {text:?} is refused: {reason}", f.name()))),
        Target::Extra(_) => Ok(Value::Text(text.into())),
    }
}

fn condition(spec: ConditionSpec) -> Result<Condition, PipelineError> {
    let target = match spec.field.strip_prefix("extra.") {
        Some(key) => Target::Extra(key.to_owned()),
        None => Target::Field(
            Field::from_name(&spec.field)
                .ok_or_else(|| config(NAME, format!("{:?} is not a harmonised field", spec.field)))?,
        ),
    };
    let mut tests = Vec::new();
    if let Some(v) = &spec.eq {
        tests.push(Test::Eq(vec![typed(&target, v)?]));
    }
    if let Some(v) = &spec.ne {
        tests.push(Test::Ne(typed(&target, v)?));
    }
    if let Some(vs) = &spec.one_of {
        tests.push(Test::Eq(vs.iter().map(|v| typed(&target, v)).collect::<Result<_, _>>()?));
    }
    if let Some(nets) = &spec.in_cidr {
        if !matches!(&target, Target::Field(f) if matches!(f.kind(), Kind::Ip | Kind::Network)) {
            return Err(config(NAME, format!("in_cidr needs an address field, not {}", spec.field)));
        }
        let parsed = nets
            .iter()
            .map(|n| {
                n.trim()
                    .parse::<IpNet>()
                    .map(|net| (net, ()))
                    .map_err(|_| config(NAME, format!("{n:?} is not a CIDR block")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        tests.push(Test::InCidr(PrefixMap::build(parsed)));
    }
    if let Some(s) = spec.contains {
        tests.push(Test::Contains(s));
    }
    if let Some(b) = spec.exists {
        tests.push(Test::Exists(b));
    }
    match (tests.pop(), tests.is_empty()) {
        (Some(test), true) => Ok(Condition { target, test }),
        _ => Err(config(NAME, format!("{}: give exactly one of eq, ne, in, in_cidr, contains, exists", spec.field))),
    }
}

impl Condition {
    fn holds(&self, event: &Event) -> bool {
        let value = match &self.target {
            Target::Field(Field::SourceIp) => event.source_ip().map(Value::Ip),
            Target::Field(Field::DestinationIp) => event.destination_ip().map(Value::Ip),
            Target::Field(f) => event.get(*f),
            Target::Extra(key) => event.extra_value(key).map(|v| match v.as_str() {
                Some(s) => Value::Text(s.into()),
                None => Value::Text(v.to_json().to_string().into()),
            }),
        };
        match (&self.test, value) {
            (Test::Exists(want), v) => v.is_some() == *want,
            (Test::Eq(options), Some(v)) => options.contains(&v),
            (Test::Ne(other), Some(v)) => *other != v,
            (Test::Ne(_), None) => true,
            (Test::InCidr(map), Some(Value::Ip(ip))) => map.contains(ip),
            (Test::InCidr(map), Some(Value::Network(n))) => map.contains(n.network()) && map.contains(n.broadcast()),
            (Test::Contains(needle), Some(Value::Text(t))) => t.contains(needle.as_str()),
            (Test::Contains(needle), Some(v)) => v.to_string().contains(needle.as_str()),
            _ => false,
        }
    }
}

impl Expert for RuleFilter {
    fn name(&self) -> &'static str {
        NAME
    }

    fn process(&mut self, event: &mut Event) -> Verdict {
        let matched = match self.combine {
            Combine::All => self.conditions.iter().all(|c| c.holds(event)),
            Combine::Any => self.conditions.iter().any(|c| c.holds(event)),
        };
        match (self.action, matched) {
            (RuleAction::Drop, true) => Verdict::drop("expert.rule", "the event matches the drop rules"),
            (RuleAction::Keep, false) => Verdict::drop("expert.rule", "the event does not match the keep rules"),
            _ => Verdict::Keep,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn rules(json: serde_json::Value) -> Result<Box<dyn Expert>, PipelineError> {
        let res = ExpertResources::new(Arc::new(cirtkit_domain::ManualClock::new(chrono::DateTime::UNIX_EPOCH)));
        build_rules(&json, &res)
    }

    fn event() -> Event {
        let mut e = Event::default();
        e.add(Field::SourceIp, "192.0.2.7").unwrap();
        e.add(Field::SourceAsn, "64500").unwrap();
        e.add(Field::SourceUrl, "http://x.example/wp-admin/a").unwrap();
        e.classify_as("scanner").unwrap();
        e.set_extra("tag", "test".into()).unwrap();
        e.set_extra("n", 5.into()).unwrap();
        e
    }

    fn verdict(json: serde_json::Value) -> bool {
        rules(json).unwrap().process(&mut event()) == Verdict::Keep
    }

    #[test]
    fn conditions_are_typed() {
        use serde_json::json;
        assert!(!verdict(json!({"rules": [{"field": "source.asn", "eq": "AS64500"}]})));
        assert!(verdict(json!({"rules": [{"field": "source.asn", "eq": "64501"}]})));
        assert!(!verdict(json!({"rules": [{"field": "source.ip", "in_cidr": ["192.0.2.0/28"]}]})));
        assert!(!verdict(json!({"rules": [{"field": "classification.type", "in": ["spam", "SCANNER"]}]})));
        assert!(!verdict(json!({"rules": [{"field": "extra.tag", "eq": "test"}, {"field": "extra.n", "eq": "5"}]})));
        assert!(!verdict(json!({"rules": [{"field": "source.url", "contains": "/wp-admin/"}]})));
        assert!(!verdict(json!({"rules": [{"field": "destination.ip", "exists": false}]})));
        assert!(verdict(
            json!({"rules": [{"field": "feed.name", "ne": "x"}, {"field": "source.port", "exists": true}]})
        ));
        assert!(!verdict(
            json!({"match": "any", "rules": [{"field": "feed.name", "ne": "x"}, {"field": "source.port", "exists": true}]})
        ));
        assert!(verdict(json!({"action": "keep", "rules": [{"field": "source.asn", "eq": "64500"}]})));
        assert!(!verdict(json!({"action": "keep", "rules": [{"field": "source.asn", "eq": "1"}]})));
    }

    #[test]
    fn mistakes_are_refused_when_built() {
        use serde_json::json;
        for bad in [
            serde_json::Value::Null,
            json!({"rules": []}),
            json!({"rules": [{"field": "source.asn", "eq": "AS0"}]}),
            json!({"rules": [{"field": "source.nope", "eq": "1"}]}),
            json!({"rules": [{"field": "source.fqdn", "in_cidr": ["10.0.0.0/8"]}]}),
            json!({"rules": [{"field": "source.ip", "eq": "10.0.0.1", "ne": "10.0.0.2"}]}),
            json!({"rules": [{"field": "source.ip"}]}),
            json!({"rules": [{"field": "source.ip", "equals": "1"}]}),
        ] {
            assert_eq!(rules(bad.clone()).err().map(|e| e.code()), Some("pipeline.expert_config"), "{bad}");
        }
    }
}
