//! The experts: stages that enrich, classify, filter and deduplicate harmonised events after the
//! parsers and before the outputs ("Early detection").
//!
//! An expert is configuration data plus an implementation of [`Expert`]. Each module defines its
//! experts and a `SPECS` list that registers them; the one line in `experts!` below that names
//! the module is all the registration needed outside it. [`expert_for`] builds an expert by its
//! name from its JSON options and the shared [`ExpertResources`] (tables and indexes that the
//! runtime loads once and shares between experts). [`ExpertChain`] runs experts in order over
//! batches of events and keeps per-expert [`ExpertCounters`] for `/metrics`.
//!
//! ```
//! use cirtkit_pipeline::experts::{ExpertChain, ExpertResources, Verdict, expert_for};
//! use cirtkit_pipeline::{Event, Field};
//! use std::sync::Arc;
//! # let clock = Arc::new(cirtkit_domain::ManualClock::new(chrono::DateTime::UNIX_EPOCH));
//! let resources = ExpertResources::new(clock);
//! let bogons = expert_for("bogons", &serde_json::Value::Null, &resources).unwrap();
//! let mut chain = ExpertChain::new(vec![bogons]);
//! let mut event = Event::default();
//! event.add(Field::SourceIp, "10.1.2.3").unwrap();
//! match chain.process(&mut event) {
//!     Verdict::Drop(reason) => assert_eq!(reason.code, "expert.bogon"),
//!     Verdict::Keep => unreachable!(),
//! }
//! ```

mod chain;
pub mod prefix;

pub use asn::{AsnExpert, AsnMatch, AsnTable};
pub use bogons::{BogonCategory, BogonExpert, bogon};
pub use chain::{CountersSnapshot, DroppedEvent, ExpertChain, ExpertCounters};
pub use constituency::ConstituencyExpert;
pub use dedup::{DedupExpert, DedupWindow, TimeBasis};
pub use geoip::{GeoIpExpert, GeoLocation, GeoLookup, MmdbGeo};
pub use prefix::PrefixMap;
pub use rsit::RsitCheck;
pub use rules::RuleFilter;
pub use sanitise::SanitiserExpert;
pub use warninglist::{WarningList, WarningListExpert, WarningListKind};

use crate::error::PipelineError;
use crate::event::Event;
use cirtkit_domain::{Clock, ConstituencyIndex, OrganisationId};
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

/// One stage of the pipeline after the parsers: looks at an event, may change it, and says
/// whether it goes on.
pub trait Expert: Send {
    /// The name it is registered under, as in the configuration and the metrics.
    fn name(&self) -> &'static str;

    /// Enriches or checks one event. `Drop` removes it from the stream; the event is then
    /// left as the expert found it or partly changed, and only logged or counted.
    fn process(&mut self, event: &mut Event) -> Verdict;

    /// The expert as `Any`, for experts with state the runtime saves and restores (the
    /// deduplication window): `chain.find_mut::<DedupExpert>()`.
    fn as_any_mut(&mut self) -> Option<&mut dyn std::any::Any> {
        None
    }
}

/// What an expert decides about an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Keep,
    Drop(DropReason),
}

/// Why an event was dropped: a stable code (`expert.duplicate`, `expert.bogon`, …) that logs,
/// metrics and scripts match on, and a message for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DropReason {
    pub code: &'static str,
    pub message: Cow<'static, str>,
    /// The expert could not process the event (rather than deciding it does not belong):
    /// counted as `failed`, not `dropped`.
    pub failure: bool,
}

impl DropReason {
    /// The event is filtered out on purpose.
    pub fn new(code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Self { code, message: message.into(), failure: false }
    }

    /// The event could not be processed.
    pub fn failure(code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Self { code, message: message.into(), failure: true }
    }
}

impl Verdict {
    pub fn drop(code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Verdict::Drop(DropReason::new(code, message))
    }
}

/// What experts share, loaded once by the runtime: the clock, the tables and the indexes.
/// An expert that needs a resource that is absent is refused when it is built.
#[derive(Clone)]
pub struct ExpertResources {
    pub clock: Arc<dyn Clock>,
    /// Prefix → AS table for the `asn` expert (`AsnTable::read_from` the data directory's file).
    pub asn_table: Option<Arc<AsnTable>>,
    /// The constituency, for the `constituency` expert.
    pub constituency: Option<Arc<ConstituencyIndex>>,
    /// Organisation names for `extra.organisation`; absent ones are left out.
    pub organisation_names: Arc<HashMap<OrganisationId, Arc<str>>>,
    /// A MaxMind-format database (or any other locator) for the `geoip` expert.
    pub geoip: Option<Arc<dyn GeoLookup>>,
    /// MISP warning lists, by their id (the folder name in misp-warninglists, such as `rfc1918`).
    pub warning_lists: Vec<Arc<WarningList>>,
}

impl ExpertResources {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            clock,
            asn_table: None,
            constituency: None,
            organisation_names: Arc::default(),
            geoip: None,
            warning_lists: Vec::new(),
        }
    }
}

impl std::fmt::Debug for ExpertResources {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExpertResources")
            .field("asn_table", &self.asn_table.as_ref().map(|t| t.prefix_count()))
            .field("constituency", &self.constituency.is_some())
            .field("organisation_names", &self.organisation_names.len())
            .field("geoip", &self.geoip.is_some())
            .field("warning_lists", &self.warning_lists.iter().map(|l| l.id()).collect::<Vec<_>>())
            .finish()
    }
}

/// How an expert is registered: its name, a line for `--help`, and how to build it from its
/// options (a JSON object, `null` for the defaults) and the shared resources.
#[derive(Debug, Clone, Copy)]
pub struct ExpertSpec {
    pub name: &'static str,
    pub description: &'static str,
    pub build: BuildExpert,
}

/// How a registered expert is built from its options and the shared resources.
pub type BuildExpert = fn(&serde_json::Value, &ExpertResources) -> Result<Box<dyn Expert>, PipelineError>;

/// Declares the expert modules and registers their `SPECS`: the one line that names a module is
/// all the registration an expert needs outside its file.
macro_rules! experts {
    ($($module:ident),* $(,)?) => {
        $(pub mod $module;)*

        /// The `SPECS` of every expert module, in this order.
        static SPECS: &[&[ExpertSpec]] = &[$($module::SPECS),*];
    };
}

experts!(sanitise, rsit, bogons, warninglist, rules, asn, constituency, geoip, dedup);

/// Every registered expert.
pub fn experts() -> impl Iterator<Item = &'static ExpertSpec> {
    SPECS.iter().flat_map(|s| s.iter())
}

/// Builds an expert by its name, with its options (`null` for the defaults).
pub fn expert_for(
    name: &str,
    options: &serde_json::Value,
    resources: &ExpertResources,
) -> Result<Box<dyn Expert>, PipelineError> {
    let spec = experts().find(|s| s.name == name).ok_or_else(|| PipelineError::UnknownExpert {
        name: name.to_owned(),
        known: experts().map(|s| s.name).collect::<Vec<_>>().join(", "),
    })?;
    (spec.build)(options, resources)
}

/// Reads an expert's options into its configuration struct, refusing unknown keys.
pub(crate) fn options<T: serde::de::DeserializeOwned + Default>(
    expert: &'static str,
    v: &serde_json::Value,
) -> Result<T, PipelineError> {
    crate::parse::options(expert, v).map_err(|e| match e {
        PipelineError::Config { reason, .. } => config(expert, reason),
        other => other,
    })
}

/// The options of the experts that enrich both sides of an event from its addresses.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct EnrichOptions {
    /// Also enrich `destination.*` (default true).
    pub destination: bool,
    /// Replace values the event already has (default false: only fill what is absent).
    pub overwrite: bool,
}

impl Default for EnrichOptions {
    fn default() -> Self {
        Self { destination: true, overwrite: false }
    }
}

pub(crate) fn config(expert: &'static str, reason: impl Into<String>) -> PipelineError {
    PipelineError::ExpertConfig { expert, reason: reason.into() }
}

/// Reads harmonised field names from options, refusing unknown ones.
pub(crate) fn fields(expert: &'static str, names: &[String]) -> Result<Vec<crate::Field>, PipelineError> {
    names
        .iter()
        .map(|n| crate::Field::from_name(n).ok_or_else(|| config(expert, format!("{n:?} is not a harmonised field"))))
        .collect()
}

/// The host of a URL.
pub(crate) enum Host<'a> {
    Ip(std::net::IpAddr),
    Name(&'a str),
}

/// The host of a URL as events hold it (scheme present, otherwise as written): what follows
/// `scheme://` and any `user@`, up to a port, path, query or fragment.
pub(crate) fn url_host(url: &str) -> Option<Host<'_>> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if let Some(v6) = host_port.strip_prefix('[') {
        return v6.split_once(']').and_then(|(ip, _)| ip.parse().ok()).map(Host::Ip);
    }
    let host = host_port.split(':').next()?.trim_end_matches('.');
    if host.is_empty() {
        return None;
    }
    Some(host.parse().map(Host::Ip).unwrap_or(Host::Name(host)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use cirtkit_domain::ManualClock;

    #[test]
    fn every_expert_builds_or_says_what_it_needs() {
        let resources = ExpertResources::new(Arc::new(ManualClock::new(chrono::DateTime::UNIX_EPOCH)));
        for spec in experts() {
            match (spec.build)(&serde_json::Value::Null, &resources) {
                Ok(e) => assert_eq!(e.name(), spec.name),
                Err(e) => assert_eq!(e.code(), "pipeline.expert_config", "{}: {e}", spec.name),
            }
        }
        let err = expert_for("nope", &serde_json::Value::Null, &resources).err().unwrap();
        assert!(err.to_string().contains("known experts: sanitise, rsit, bogons"), "{err}");
        let err = expert_for("dedup", &serde_json::json!({"windw": 5}), &resources).err().unwrap();
        assert_eq!(err.code(), "pipeline.expert_config");
    }
}
