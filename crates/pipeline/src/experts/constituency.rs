//! The `constituency` expert: which constituent owns what the event is about, from the
//! constituency index (`cirtkit_domain::ConstituencyIndex`): by `source.ip` (most specific
//! netblock), then `source.fqdn`, then the host of `source.url` (longest registered domain),
//! then `source.asn`. It sets `extra.organisation_id`, `extra.organisation` (the name, when
//! known) and `extra.organisation_match` (what matched: `netblock 192.0.2.0/24`,
//! `domain example.org`, `asn AS64500`). IntelMQ has no harmonised field for the constituent;
//! `extra.*` keeps the harmonised set as IntelMQ's.

use super::{Expert, ExpertResources, ExpertSpec, Host, Verdict, url_host};
use crate::error::PipelineError;
use crate::event::{Event, ExtraKey};
use cirtkit_domain::{Asn, ConstituencyIndex, DomainName, LookupMatch, MatchedBy, OrganisationId};
use serde::Deserialize;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

pub(crate) static SPECS: &[ExpertSpec] = &[ExpertSpec {
    name: "constituency",
    description: "sets extra.organisation_id and extra.organisation: the constituent owning the source",
    build: build_constituency,
}];

/// The `extra.*` keys this expert sets.
pub const ORGANISATION_ID: &str = "organisation_id";
pub const ORGANISATION: &str = "organisation";
pub const ORGANISATION_MATCH: &str = "organisation_match";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct ConstituencyOptions {
    /// Replace an owner the event already has (default false).
    overwrite: bool,
    /// Also match on `source.asn` when address and names give nothing (default true).
    by_asn: bool,
}

impl Default for ConstituencyOptions {
    fn default() -> Self {
        Self { overwrite: false, by_asn: true }
    }
}

/// Finds the constituent owning the event's source.
#[derive(Debug)]
pub struct ConstituencyExpert {
    index: Arc<ConstituencyIndex>,
    names: Arc<HashMap<OrganisationId, Arc<str>>>,
    overwrite: bool,
    by_asn: bool,
    /// The keys, checked once, and a buffer for what matched: an owned event costs no
    /// allocation of the expert's own.
    keys: Keys,
    matched: String,
}

#[derive(Debug)]
struct Keys {
    id: ExtraKey,
    name: ExtraKey,
    matched: ExtraKey,
}

impl Keys {
    fn new() -> Self {
        Self {
            id: ExtraKey::constant(ORGANISATION_ID),
            name: ExtraKey::constant(ORGANISATION),
            matched: ExtraKey::constant(ORGANISATION_MATCH),
        }
    }
}

fn build_constituency(
    options: &serde_json::Value,
    resources: &ExpertResources,
) -> Result<Box<dyn Expert>, PipelineError> {
    let o: ConstituencyOptions = super::options("constituency", options)?;
    let index = resources
        .constituency
        .clone()
        .ok_or_else(|| super::config("constituency", "the constituency index is not loaded"))?;
    let mut expert = ConstituencyExpert::new(index, resources.organisation_names.clone());
    expert.overwrite = o.overwrite;
    expert.by_asn = o.by_asn;
    Ok(Box::new(expert))
}

impl ConstituencyExpert {
    pub fn new(index: Arc<ConstituencyIndex>, names: Arc<HashMap<OrganisationId, Arc<str>>>) -> Self {
        Self { index, names, overwrite: false, by_asn: true, keys: Keys::new(), matched: String::new() }
    }

    fn owner(&self, event: &Event) -> Option<LookupMatch> {
        if let Some(m) = event.source_ip().and_then(|ip| self.index.lookup_ip(ip)) {
            return Some(m);
        }
        let by_name = |name: &str| name.parse::<DomainName>().ok().and_then(|d| self.index.lookup_domain(&d));
        if let Some(m) = event.source_fqdn().and_then(by_name) {
            return Some(m);
        }
        if let Some(host) = event.source_url().and_then(url_host) {
            let found = match host {
                Host::Ip(ip) => self.index.lookup_ip(ip),
                Host::Name(name) => by_name(name),
            };
            if found.is_some() {
                return found;
            }
        }
        if self.by_asn {
            return event.source_asn().and_then(|a| self.index.lookup_asn(Asn::new(a)));
        }
        None
    }
}

impl Expert for ConstituencyExpert {
    fn name(&self) -> &'static str {
        "constituency"
    }

    fn process(&mut self, event: &mut Event) -> Verdict {
        if !self.overwrite && event.extra_value(ORGANISATION_ID).is_some() {
            return Verdict::Keep;
        }
        let Some(found) = self.owner(event) else {
            return Verdict::Keep;
        };
        self.matched.clear();
        // Writing to a String cannot fail.
        let _ = match &found.matched_by {
            MatchedBy::Netblock(n) => write!(self.matched, "netblock {n}"),
            MatchedBy::Domain(d) => write!(self.matched, "domain {d}"),
            MatchedBy::Asn(a) => write!(self.matched, "asn {a}"),
        };
        event.set_extra_key(&self.keys.id, found.organisation.0.into());
        event.set_extra_text(&self.keys.matched, &self.matched);
        match self.names.get(&found.organisation) {
            Some(name) => event.set_extra_text(&self.keys.name, name),
            None => {
                event.remove_extra(ORGANISATION);
            }
        }
        Verdict::Keep
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Field;

    fn expert() -> ConstituencyExpert {
        let mut b = ConstituencyIndex::builder();
        b.netblock("192.0.2.0/24".parse().unwrap(), OrganisationId(1));
        b.domain("ministry.example".parse().unwrap(), OrganisationId(2));
        b.asn(Asn::new(64500), OrganisationId(3));
        let names = HashMap::from([(OrganisationId(1), Arc::from("Ministry of Examples"))]);
        ConstituencyExpert::new(Arc::new(b.build()), Arc::new(names))
    }

    fn owner_of(field: Field, value: &str) -> (Option<serde_json::Value>, Option<serde_json::Value>) {
        let mut e = Event::default();
        e.add(field, value).unwrap();
        assert_eq!(expert().process(&mut e), Verdict::Keep);
        (e.extra_value(ORGANISATION_ID).map(|v| v.to_json()), e.extra_value(ORGANISATION_MATCH).map(|v| v.to_json()))
    }

    #[test]
    fn by_address_name_url_and_asn() {
        assert_eq!(owner_of(Field::SourceIp, "192.0.2.9"), (Some(1.into()), Some("netblock 192.0.2.0/24".into())));
        assert_eq!(owner_of(Field::SourceFqdn, "www.ministry.example").0, Some(2.into()));
        assert_eq!(owner_of(Field::SourceUrl, "https://u:p@mail.ministry.example:8443/x?y").0, Some(2.into()));
        assert_eq!(owner_of(Field::SourceUrl, "http://[::ffff:192.0.2.1]/").0, Some(1.into()));
        assert_eq!(owner_of(Field::SourceUrl, "http://192.0.2.7:80/").0, Some(1.into()));
        assert_eq!(owner_of(Field::SourceAsn, "AS64500").1, Some("asn AS64500".into()));
        assert_eq!(owner_of(Field::SourceIp, "198.51.100.1"), (None, None));
        let mut e = Event::default();
        e.add(Field::SourceIp, "192.0.2.1").unwrap();
        expert().process(&mut e);
        assert_eq!(e.extra_value(ORGANISATION).map(|v| v.to_json()), Some("Ministry of Examples".into()));
    }
}
