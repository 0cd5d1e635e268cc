//! A hand-off rule as the configuration declares it (`[[handoff]]` in cirtkit.toml): which feed
//! events it takes, and what incident it makes of them. The doc comments here are the reference
//! for those keys (docs/configuration.md is written from them).

use cirtkit_domain::{Pap, Severity, Tlp};
use cirtkit_pipeline::{ClassificationType, Taxonomy};
use serde::{Deserialize, Serialize};

/// The title of a rule's incidents when its `title` key is left out.
pub const DEFAULT_TITLE: &str = "{type}: {organisation} ({feed})";

/// The placeholders a `title` may hold.
pub const TITLE_PLACEHOLDERS: &[&str] = &["rule", "feed", "type", "taxonomy", "organisation", "count"];

/// One hand-off rule. After each feed run (and on `cirtkit handoff run`), the events the run
/// stored that the rule matches are grouped by owner and `classification.type`; a group opens an
/// incident, or joins the one this rule opened for the same group within `window_hours` while it
/// is open (its new observables are added and the journal says how many more events came).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandoffRule {
    /// The rule's name: how `cirtkit handoff run --rule NAME` and the journal and audit log name
    /// it (`system:handoff:NAME`). 1 to 64 letters, digits, `-`, `_` or `.`. Renaming a rule
    /// makes a new one, which looks back one `window_hours` at its first pass.
    pub name: String,
    /// The feeds whose events it takes (`feed.name`). Left out: every feed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub feeds: Vec<String>,
    /// The `classification.taxonomy` values it takes (the RSIT classes as IntelMQ names them,
    /// such as `vulnerable` or `malicious-code`). Left out: any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub taxonomies: Vec<String>,
    /// The `classification.type` values it takes (such as `infected-system` or
    /// `vulnerable-system`). Left out: any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub types: Vec<String>,
    /// Which events by owner (the constituent the `constituency` expert found): `required`
    /// (default: only events a constituent owns), `any`, or `unknown` (only events no constituent
    /// owns, grouped together).
    #[serde(default)]
    pub organisation: OwnerMatch,
    /// The fewest events of one group, in one pass (one feed run, or one `cirtkit handoff run`),
    /// that open an incident. An incident already open for the group takes any number. Default 1.
    #[serde(default = "default_min_events")]
    pub min_events: u32,
    /// The TLP of the incidents it opens. Default AMBER (the constituent concerned and the team
    /// may see it, as handling needs). An event marked stricter (its `tlp`) raises it, and a
    /// later stricter event raises an open incident's: a hand-off never loosens a marking.
    #[serde(default = "default_tlp")]
    pub tlp: Tlp,
    /// The PAP of the incidents it opens. Default AMBER.
    #[serde(default = "default_pap")]
    pub pap: Pap,
    /// The severity of the incidents it opens (`low`, `medium`, `high`, `critical`), which sets
    /// their SLA. Default `medium`.
    #[serde(default = "default_severity")]
    pub severity: Severity,
    /// The title of the incidents it opens, with placeholders: `{rule}`, `{feed}`, `{type}`,
    /// `{taxonomy}`, `{organisation}` (the owner's name, or `unknown owner`) and `{count}` (the
    /// events that opened it). Default `{type}: {organisation} ({feed})`. Cut at 300 characters.
    #[serde(default = "default_title")]
    pub title: String,
    /// Hours during which later events of a group join the incident this rule opened for it
    /// (while that incident is open: resolved or closed, the next events open a new one), counted
    /// from its opening. Also how far back a new rule looks at its first pass. Default 24.
    #[serde(default = "default_window_hours")]
    pub window_hours: u32,
    /// The most observables (source addresses, host names, URLs) one incident gets from this
    /// rule; the journal says how many more were left out. Default 1000, at most 10000.
    #[serde(default = "default_max_observables")]
    pub max_observables: u32,
    /// The most incidents one pass opens; the smaller groups beyond are not handed off (the pass
    /// reports them, and they are not taken again). Default 50, at most 1000.
    #[serde(default = "default_max_incidents")]
    pub max_incidents: u32,
}

/// Which events by owner a rule takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OwnerMatch {
    /// Only events a constituent owns.
    #[default]
    Required,
    /// Every event.
    Any,
    /// Only events no constituent owns.
    Unknown,
}

fn default_min_events() -> u32 {
    1
}

fn default_tlp() -> Tlp {
    Tlp::Amber
}

fn default_pap() -> Pap {
    Pap::Amber
}

fn default_severity() -> Severity {
    Severity::Medium
}

fn default_title() -> String {
    DEFAULT_TITLE.to_owned()
}

fn default_window_hours() -> u32 {
    24
}

fn default_max_observables() -> u32 {
    1_000
}

fn default_max_incidents() -> u32 {
    50
}

impl HandoffRule {
    /// A rule with every default but its name.
    pub fn named(name: &str) -> HandoffRule {
        HandoffRule {
            name: name.to_owned(),
            feeds: Vec::new(),
            taxonomies: Vec::new(),
            types: Vec::new(),
            organisation: OwnerMatch::default(),
            min_events: default_min_events(),
            tlp: default_tlp(),
            pap: default_pap(),
            severity: default_severity(),
            title: default_title(),
            window_hours: default_window_hours(),
            max_observables: default_max_observables(),
            max_incidents: default_max_incidents(),
        }
    }

    /// Whether the rule takes events of this feed.
    pub fn takes_feed(&self, feed: &str) -> bool {
        self.feeds.is_empty() || self.feeds.iter().any(|f| f == feed)
    }

    /// The taxonomies it takes, as events store them.
    pub(crate) fn taxonomy_names(&self) -> Vec<String> {
        self.taxonomies.iter().filter_map(|t| Taxonomy::parse(t)).map(|t| t.as_str().to_owned()).collect()
    }

    /// The types it takes, as events store them.
    pub(crate) fn type_names(&self) -> Vec<String> {
        self.types.iter().filter_map(|t| ClassificationType::parse(t)).map(|t| t.as_str().to_owned()).collect()
    }

    pub(crate) fn window(&self) -> chrono::Duration {
        chrono::Duration::hours(i64::from(self.window_hours))
    }

    /// Everything wrong with the rule, each as `at.key: what to do`.
    pub fn problems(&self, at: &str) -> Vec<String> {
        let mut out = Vec::new();
        let name_ok = !self.name.is_empty()
            && self.name.len() <= 64
            && self.name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !name_ok {
            out.push(format!("{at}.name: use 1 to 64 letters, digits, '-', '_' or '.'"));
        }
        if self.feeds.iter().any(|f| f.trim().is_empty()) {
            out.push(format!("{at}.feeds: a feed name cannot be empty"));
        }
        for t in &self.taxonomies {
            if Taxonomy::parse(t).is_none() {
                let known: Vec<&str> = Taxonomy::ALL.iter().map(|t| t.as_str()).collect();
                out.push(format!("{at}.taxonomies: unknown taxonomy {t:?}; known: {}", known.join(", ")));
            }
        }
        for t in &self.types {
            match ClassificationType::parse(t) {
                None => out.push(format!(
                    "{at}.types: unknown classification type {t:?} (see docs/events.md for the list)"
                )),
                Some(ty) if !self.taxonomies.is_empty() && !self.taxonomy_names().iter().any(|n| n == ty.taxonomy().as_str()) => {
                    out.push(format!(
                        "{at}.types: {t:?} is of the taxonomy {:?}, which `taxonomies` leaves out: it would never match",
                        ty.taxonomy().as_str()
                    ))
                }
                Some(_) => {}
            }
        }
        if self.min_events == 0 || self.min_events > 1_000_000 {
            out.push(format!("{at}.min_events: use 1 to 1000000"));
        }
        if self.window_hours == 0 || self.window_hours > 24 * 366 {
            out.push(format!("{at}.window_hours: use 1 to 8784 hours"));
        }
        if self.max_observables == 0 || self.max_observables > 10_000 {
            out.push(format!("{at}.max_observables: use 1 to 10000"));
        }
        if self.max_incidents == 0 || self.max_incidents > 1_000 {
            out.push(format!("{at}.max_incidents: use 1 to 1000"));
        }
        match render_title(&self.title, |_| Some("x".to_owned())) {
            Ok(t) if t.trim().is_empty() => out.push(format!("{at}.title: give the incidents a title")),
            Ok(_) => {}
            Err(e) => out.push(format!("{at}.title: {e}")),
        }
        out
    }
}

/// Fills a title template's `{placeholder}`s (`{{` and `}}` stand for braces).
pub(crate) fn render_title(template: &str, value: impl Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(after) = tail.strip_prefix("{{") {
            out.push('{');
            rest = after;
        } else if let Some(after) = tail.strip_prefix("}}") {
            out.push('}');
            rest = after;
        } else if let Some(after) = tail.strip_prefix('{') {
            let Some(end) = after.find('}') else {
                return Err("a '{' is not closed (write {{ for a brace)".into());
            };
            let name = &after[..end];
            if !TITLE_PLACEHOLDERS.contains(&name) {
                return Err(format!("unknown placeholder {{{name}}}; known: {{{}}}", TITLE_PLACEHOLDERS.join("}, {")));
            }
            out.push_str(&value(name).unwrap_or_default());
            rest = &after[end + 1..];
        } else {
            return Err("a '}' is not opened (write }} for a brace)".into());
        }
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_fill_their_placeholders_and_refuse_unknown_ones() {
        let v = |n: &str| Some(format!("<{n}>"));
        assert_eq!(render_title("{type}: {organisation} ({feed})", v).unwrap(), "<type>: <organisation> (<feed>)");
        assert_eq!(render_title("{{literal}} {count}", v).unwrap(), "{literal} <count>");
        assert!(render_title("{colour}", v).unwrap_err().contains("unknown placeholder {colour}"));
        assert!(render_title("{type", v).unwrap_err().contains("not closed"));
        assert!(render_title("type}", v).unwrap_err().contains("not opened"));
    }

    #[test]
    fn a_rule_reports_every_problem() {
        let mut r = HandoffRule::named("bad name!");
        r.taxonomies = vec!["vulnerable".into(), "nope".into()];
        r.types = vec!["infected-system".into(), "nonsense".into()];
        r.min_events = 0;
        r.window_hours = 0;
        r.max_observables = 20_000;
        r.max_incidents = 0;
        r.title = "{what}".into();
        let all = r.problems("handoff[0]").join("\n");
        for key in [
            "handoff[0].name",
            "unknown taxonomy \"nope\"",
            "\"infected-system\" is of the taxonomy \"malicious-code\"",
            "unknown classification type \"nonsense\"",
            "min_events",
            "window_hours",
            "max_observables",
            "max_incidents",
            "handoff[0].title",
        ] {
            assert!(all.contains(key), "missing {key} in:\n{all}");
        }
        assert!(HandoffRule::named("open-ports_1.2").problems("h").is_empty());
    }

    #[test]
    fn names_are_read_as_events_store_them() {
        let mut r = HandoffRule::named("r");
        r.types = vec![" Infected-System ".into()];
        r.taxonomies = vec!["MALICIOUS-CODE".into()];
        assert_eq!(r.type_names(), ["infected-system"]);
        assert_eq!(r.taxonomy_names(), ["malicious-code"]);
        assert!(r.problems("h").is_empty());
        assert!(r.takes_feed("anything"));
        r.feeds = vec!["scan".into()];
        assert!(r.takes_feed("scan") && !r.takes_feed("other"));
    }
}
