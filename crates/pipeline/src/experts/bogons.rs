//! The `bogons` expert: drops events about addresses that cannot be anyone's on the Internet:
//! private, shared, loopback, link-local, documentation, benchmarking, multicast and reserved
//! space, IPv4 and IPv6, from the IANA special-purpose address registries (RFC 6890 and its
//! updates). The table is compiled in; `docs/events.md` lists it.

use super::prefix::PrefixMap;
use super::{Expert, ExpertResources, ExpertSpec, Verdict};
use crate::error::PipelineError;
use crate::event::{Event, Field, Value};
use ipnet::IpNet;
use serde::Deserialize;
use std::net::IpAddr;
use std::sync::OnceLock;

pub(crate) static SPECS: &[ExpertSpec] = &[ExpertSpec {
    name: "bogons",
    description: "drops events whose address is private, reserved, documentation, multicast or otherwise not routable",
    build: build_bogons,
}];

/// Why an address is not a public one. The names are stable: options and `extra.bogon` use them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BogonCategory {
    /// `0.0.0.0/8`, `::/128`: "this network", unspecified.
    ThisNetwork,
    /// RFC 1918: `10/8`, `172.16/12`, `192.168/16`.
    Private,
    /// RFC 6598 carrier-grade NAT: `100.64/10`.
    Shared,
    /// `127/8`, `::1/128`.
    Loopback,
    /// `169.254/16`, `fe80::/10`.
    LinkLocal,
    /// IETF protocol assignments: `192.0.0.0/24`, `2001::/23` (except its global parts).
    IetfProtocol,
    /// `192.0.2.0/24`, `198.51.100.0/24`, `203.0.113.0/24`, `2001:db8::/32`, `3fff::/20`.
    Documentation,
    /// `198.18/15`, `2001:2::/48`.
    Benchmarking,
    /// `224/4`, `ff00::/8`.
    Multicast,
    /// `240/4`, IPv6 outside `2000::/3` and the ranges above, `100::/64` (discard only).
    Reserved,
    /// `255.255.255.255/32`.
    Broadcast,
    /// `fc00::/7`.
    UniqueLocal,
    /// The 6to4 relay anycast `192.88.99.0/24` (deprecated by RFC 7526).
    Relay6to4,
}

impl BogonCategory {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ThisNetwork => "this-network",
            Self::Private => "private",
            Self::Shared => "shared",
            Self::Loopback => "loopback",
            Self::LinkLocal => "link-local",
            Self::IetfProtocol => "ietf-protocol",
            Self::Documentation => "documentation",
            Self::Benchmarking => "benchmarking",
            Self::Multicast => "multicast",
            Self::Reserved => "reserved",
            Self::Broadcast => "broadcast",
            Self::UniqueLocal => "unique-local",
            Self::Relay6to4 => "relay-6to4",
        }
    }
}

/// The compiled table. `None` marks a global exception inside a larger special block, so the
/// longest match says "public" there.
const TABLE: &[(&str, Option<BogonCategory>)] = {
    use BogonCategory as B;
    &[
        ("0.0.0.0/8", Some(B::ThisNetwork)),
        ("10.0.0.0/8", Some(B::Private)),
        ("100.64.0.0/10", Some(B::Shared)),
        ("127.0.0.0/8", Some(B::Loopback)),
        ("169.254.0.0/16", Some(B::LinkLocal)),
        ("172.16.0.0/12", Some(B::Private)),
        ("192.0.0.0/24", Some(B::IetfProtocol)),
        ("192.0.2.0/24", Some(B::Documentation)),
        ("192.88.99.0/24", Some(B::Relay6to4)),
        ("192.168.0.0/16", Some(B::Private)),
        ("198.18.0.0/15", Some(B::Benchmarking)),
        ("198.51.100.0/24", Some(B::Documentation)),
        ("203.0.113.0/24", Some(B::Documentation)),
        ("224.0.0.0/4", Some(B::Multicast)),
        ("240.0.0.0/4", Some(B::Reserved)),
        ("255.255.255.255/32", Some(B::Broadcast)),
        // IPv6: everything outside 2000::/3 is special or unassigned, with a few exceptions.
        ("::/3", Some(B::Reserved)),
        ("::/128", Some(B::ThisNetwork)),
        ("::1/128", Some(B::Loopback)),
        ("64:ff9b::/96", None), // NAT64 well-known prefix: global (RFC 6052).
        ("100::/64", Some(B::Reserved)),
        ("2001::/23", Some(B::IetfProtocol)),
        ("2001::/32", None),       // Teredo: global (RFC 4380).
        ("2001:1::1/128", None),   // Port Control Protocol anycast (RFC 7723).
        ("2001:1::2/128", None),   // TURN anycast (RFC 8155).
        ("2001:3::/32", None),     // AMT (RFC 7450).
        ("2001:4:112::/48", None), // AS112-v6 (RFC 7535).
        ("2001:20::/28", None),    // ORCHIDv2 (RFC 7343).
        ("2001:2::/48", Some(B::Benchmarking)),
        ("2001:db8::/32", Some(B::Documentation)),
        ("3fff::/20", Some(B::Documentation)),
        ("4000::/2", Some(B::Reserved)),
        ("8000::/1", Some(B::Reserved)),
        ("fc00::/7", Some(B::UniqueLocal)),
        ("fe80::/10", Some(B::LinkLocal)),
        ("ff00::/8", Some(B::Multicast)),
    ]
};

/// The bogon table, built once.
fn table() -> &'static PrefixMap<Option<BogonCategory>> {
    static TABLE_MAP: OnceLock<PrefixMap<Option<BogonCategory>>> = OnceLock::new();
    TABLE_MAP.get_or_init(|| PrefixMap::build(TABLE.iter().filter_map(|(n, c)| Some((n.parse::<IpNet>().ok()?, *c)))))
}

/// Why `ip` is not a public address, or `None` when it is one.
pub fn bogon(ip: IpAddr) -> Option<BogonCategory> {
    table().lookup(ip).and_then(|(_, c)| c)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct BogonOptions {
    /// Fields to check; default `source.ip`.
    fields: Vec<String>,
    /// Categories that are let through, such as `shared` for a carrier's own CGNAT space.
    allow: Vec<BogonCategory>,
    /// `drop` (default) or `tag` (keep, and set `extra.bogon` to the category).
    action: Action,
}

impl Default for BogonOptions {
    fn default() -> Self {
        Self { fields: vec!["source.ip".into()], allow: Vec::new(), action: Action::Drop }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Action {
    #[default]
    Drop,
    Tag,
}

/// Drops (or tags) events whose address fields hold a bogon.
#[derive(Debug)]
pub struct BogonExpert {
    fields: Vec<Field>,
    allow: Vec<BogonCategory>,
    action: Action,
}

fn build_bogons(options: &serde_json::Value, _: &ExpertResources) -> Result<Box<dyn Expert>, PipelineError> {
    let o: BogonOptions = super::options("bogons", options)?;
    let fields = super::fields("bogons", &o.fields)?;
    if let Some(f) = fields.iter().find(|f| f.kind() != crate::Kind::Ip) {
        return Err(super::config("bogons", format!("{} does not hold an address", f.name())));
    }
    Ok(Box::new(BogonExpert { fields, allow: o.allow, action: o.action }))
}

impl BogonExpert {
    /// Checks `source.ip` and drops bogons.
    pub fn new() -> Self {
        Self { fields: vec![Field::SourceIp], allow: Vec::new(), action: Action::Drop }
    }

    fn address(event: &Event, field: Field) -> Option<IpAddr> {
        match field {
            Field::SourceIp => event.source_ip(),
            Field::DestinationIp => event.destination_ip(),
            other => match event.get(other) {
                Some(Value::Ip(ip)) => Some(ip),
                _ => None,
            },
        }
    }
}

impl Default for BogonExpert {
    fn default() -> Self {
        Self::new()
    }
}

impl Expert for BogonExpert {
    fn name(&self) -> &'static str {
        "bogons"
    }

    fn process(&mut self, event: &mut Event) -> Verdict {
        for &field in &self.fields {
            let Some(ip) = Self::address(event, field) else {
                continue;
            };
            let Some(category) = bogon(ip).filter(|c| !self.allow.contains(c)) else {
                continue;
            };
            match self.action {
                Action::Drop => {
                    return Verdict::drop("expert.bogon", format!("{} {ip} is {}", field.name(), category.as_str()));
                }
                Action::Tag => {
                    let _ = event.set_extra("bogon", category.as_str().into());
                }
            }
        }
        Verdict::Keep
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn cat(ip: &str) -> Option<&'static str> {
        bogon(ip.parse().unwrap()).map(BogonCategory::as_str)
    }

    #[test]
    fn the_special_ranges_and_their_exceptions() {
        assert_eq!(cat("10.1.2.3"), Some("private"));
        assert_eq!(cat("100.64.0.1"), Some("shared"));
        assert_eq!(cat("192.0.2.1"), Some("documentation"));
        assert_eq!(cat("198.19.255.255"), Some("benchmarking"));
        assert_eq!(cat("239.1.1.1"), Some("multicast"));
        assert_eq!(cat("255.255.255.255"), Some("broadcast"));
        assert_eq!(cat("255.255.255.254"), Some("reserved"));
        assert_eq!(cat("8.8.8.8"), None);
        assert_eq!(cat("::1"), Some("loopback"));
        assert_eq!(cat("::"), Some("this-network"));
        assert_eq!(cat("2001:db8::1"), Some("documentation"));
        assert_eq!(cat("2001:0:4136:e378::1"), None, "Teredo is global");
        assert_eq!(cat("2001:10::1"), Some("ietf-protocol"));
        assert_eq!(cat("64:ff9b::808:808"), None, "NAT64");
        assert_eq!(cat("fd00::1"), Some("unique-local"));
        assert_eq!(cat("fe80::1"), Some("link-local"));
        assert_eq!(cat("ff02::1"), Some("multicast"));
        assert_eq!(cat("2a00:1450::1"), None);
        assert_eq!(cat("4000::1"), Some("reserved"));
        assert_eq!(cat("::ffff:10.0.0.1"), Some("private"), "mapped IPv4");
        assert_eq!(table().len(), TABLE.len(), "every entry of the table parses");
    }

    #[test]
    fn drop_allow_and_tag() {
        let res = ExpertResources::new(Arc::new(cirtkit_domain::ManualClock::new(chrono::DateTime::UNIX_EPOCH)));
        let mut e = Event::default();
        e.add(Field::SourceIp, "100.64.1.1").unwrap();
        e.add(Field::DestinationIp, "192.168.1.1").unwrap();
        let mut plain = build_bogons(&serde_json::Value::Null, &res).unwrap();
        assert!(matches!(plain.process(&mut e.clone()), Verdict::Drop(r) if r.message.contains("shared")));
        let opts = serde_json::json!({"allow": ["shared"], "fields": ["source.ip", "destination.ip"], "action": "tag"});
        let mut tag = build_bogons(&opts, &res).unwrap();
        assert_eq!(tag.process(&mut e), Verdict::Keep);
        assert_eq!(e.extra_value("bogon").map(|v| v.to_json()), Some("private".into()));
        assert!(build_bogons(&serde_json::json!({"fields": ["source.fqdn"]}), &res).is_err());
        assert!(build_bogons(&serde_json::json!({"allow": ["nope"]}), &res).is_err());
    }
}
