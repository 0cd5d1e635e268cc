//! The `warninglist` expert: drops (or tags) events about well-known, harmless things, from MISP
//! warning lists (misp-warninglists' `lists/<id>/list.json`): public resolvers, top sites,
//! private ranges, cloud ranges.
//!
//! Every list type is supported: `cidr` (longest-prefix table), `string` (exact), `hostname` (the
//! name or any parent domain), `substring` and `regex` (the `regex` crate; MISP's `/…/i`
//! delimiters are understood, PCRE-only syntax such as look-around is refused when the list is
//! read). The fields checked come from the list's `matching_attributes` (`ip-src` →
//! `source.ip`, `domain`/`hostname` → `*.fqdn`, `url` → `*.url`, …) unless the expert's options
//! name them; a URL field is matched on its host by `cidr` and `hostname` lists.

use super::bogons::Action;
use super::prefix::PrefixMap;
use super::{Expert, ExpertResources, ExpertSpec, Host, Verdict, url_host};
use crate::error::PipelineError;
use crate::event::{Event, Field, Value};
use ipnet::IpNet;
use serde::Deserialize;
use std::collections::HashSet;
use std::io::Read;
use std::net::IpAddr;
use std::sync::Arc;

pub(crate) static SPECS: &[ExpertSpec] = &[ExpertSpec {
    name: "warninglist",
    description: "drops or tags events that match MISP warning lists (cidr, string, hostname, substring, regex)",
    build: build_warninglist,
}];

/// The `extra.*` key set by the `tag` action: the ids of the matching lists.
pub const TAG: &str = "warninglist";

/// How a list's entries match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WarningListKind {
    Cidr,
    String,
    Hostname,
    Substring,
    Regex,
}

enum Matcher {
    Cidr(PrefixMap<()>),
    Strings(HashSet<Box<str>>),
    Hostnames(HashSet<Box<str>>),
    /// Lower-cased literals, one case-insensitive alternation (Aho-Corasick inside `regex`).
    Substrings(regex::Regex),
    Regex(regex::RegexSet),
}

/// One MISP warning list, ready to match.
pub struct WarningList {
    id: String,
    name: String,
    kind: WarningListKind,
    /// Fields from `matching_attributes`; empty when none maps to a harmonised field.
    fields: Vec<Field>,
    matcher: Matcher,
    entries: usize,
}

impl std::fmt::Debug for WarningList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WarningList")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("entries", &self.entries)
            .finish()
    }
}

#[derive(Deserialize)]
struct ListFile {
    name: String,
    #[serde(rename = "type")]
    kind: WarningListKind,
    list: Vec<String>,
    #[serde(default)]
    matching_attributes: Vec<String>,
}

/// The largest compiled regular expression of a list.
const REGEX_SIZE: usize = 64 << 20;

impl WarningList {
    /// Reads a list's `list.json`; `id` is how options name it (its folder, such as `rfc1918`).
    pub fn from_json(id: &str, reader: impl Read) -> Result<Self, PipelineError> {
        let file: ListFile = serde_json::from_reader(reader).map_err(|e| list_error(id, e.to_string()))?;
        let entries = file.list.len();
        let matcher = match file.kind {
            WarningListKind::Cidr => {
                let mut nets = Vec::with_capacity(entries);
                for entry in &file.list {
                    let t = entry.trim();
                    let net = t
                        .parse::<IpNet>()
                        .or_else(|_| t.parse::<IpAddr>().map(IpNet::from))
                        .map_err(|_| list_error(id, format!("{t:?} is not an address or CIDR block")))?;
                    nets.push((net, ()));
                }
                Matcher::Cidr(PrefixMap::build(nets))
            }
            WarningListKind::String => Matcher::Strings(file.list.iter().map(|s| s.trim().into()).collect()),
            WarningListKind::Hostname => Matcher::Hostnames(
                file.list
                    .iter()
                    .map(|s| s.trim().trim_start_matches("*.").trim_matches('.').to_ascii_lowercase())
                    .filter(|s| !s.is_empty())
                    .map(String::into_boxed_str)
                    .collect(),
            ),
            WarningListKind::Substring => {
                let alternation: Vec<String> =
                    file.list.iter().map(|s| s.trim()).filter(|s| !s.is_empty()).map(regex::escape).collect();
                // An empty list matches nothing.
                let pattern = if alternation.is_empty() { r"[^\s\S]".to_owned() } else { alternation.join("|") };
                let re = regex::RegexBuilder::new(&pattern)
                    .case_insensitive(true)
                    .size_limit(REGEX_SIZE)
                    .build()
                    .map_err(|e| list_error(id, e.to_string()))?;
                Matcher::Substrings(re)
            }
            WarningListKind::Regex => {
                let patterns = file.list.iter().map(|p| misp_regex(id, p)).collect::<Result<Vec<_>, _>>()?;
                let set = regex::RegexSetBuilder::new(patterns)
                    .size_limit(REGEX_SIZE)
                    .build()
                    .map_err(|e| list_error(id, format!("a regular expression is not supported: {e}")))?;
                Matcher::Regex(set)
            }
        };
        let mut fields: Vec<Field> = file.matching_attributes.iter().flat_map(|a| misp_fields(a)).copied().collect();
        fields.sort();
        fields.dedup();
        Ok(Self { id: id.to_owned(), name: file.name, kind: file.kind, fields, matcher, entries })
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// The list's own name, such as "List of RFC 1918 CIDR blocks".
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn kind(&self) -> WarningListKind {
        self.kind
    }

    pub fn len(&self) -> usize {
        self.entries
    }

    pub fn is_empty(&self) -> bool {
        self.entries == 0
    }

    /// The fields this list is checked against when the options name none.
    pub fn default_fields(&self) -> &[Field] {
        if !self.fields.is_empty() {
            return &self.fields;
        }
        match self.kind {
            WarningListKind::Cidr => &[Field::SourceIp, Field::DestinationIp],
            _ => &[Field::SourceFqdn, Field::DestinationFqdn, Field::SourceUrl, Field::DestinationUrl],
        }
    }

    /// Whether the address is in a `cidr` list.
    pub fn contains_ip(&self, ip: IpAddr) -> bool {
        match &self.matcher {
            Matcher::Cidr(map) => map.contains(ip),
            _ => false,
        }
    }

    /// Whether a field's value matches the list.
    pub fn matches(&self, field: Field, value: &Value) -> bool {
        match (&self.matcher, value) {
            (Matcher::Cidr(map), Value::Ip(ip)) => map.contains(*ip),
            (Matcher::Cidr(map), Value::Network(net)) => map.contains(net.network()) && map.contains(net.broadcast()),
            (Matcher::Cidr(map), Value::Text(url)) if field.kind() == crate::Kind::Url => {
                matches!(url_host(url), Some(Host::Ip(ip)) if map.contains(ip))
            }
            (Matcher::Hostnames(names), Value::Text(t)) => {
                let host = if field.kind() == crate::Kind::Url {
                    match url_host(t) {
                        Some(Host::Name(h)) => h,
                        _ => return false,
                    }
                } else {
                    t
                };
                hostname_in(names, host)
            }
            (Matcher::Strings(set), Value::Text(t)) => set.contains(&**t),
            (Matcher::Substrings(re), Value::Text(t)) => re.is_match(t),
            (Matcher::Regex(set), Value::Text(t)) => set.is_match(t),
            (Matcher::Cidr(_), _) => false,
            (Matcher::Strings(set), other) => set.contains(other.to_string().as_str()),
            (Matcher::Hostnames(_), _) => false,
            (Matcher::Substrings(re), other) => re.is_match(&other.to_string()),
            (Matcher::Regex(set), other) => set.is_match(&other.to_string()),
        }
    }
}

/// The name or one of its parent domains is in the set. Names are compared in lower case.
fn hostname_in(names: &HashSet<Box<str>>, host: &str) -> bool {
    let lower;
    let host = if host.bytes().any(|b| b.is_ascii_uppercase()) {
        lower = host.to_ascii_lowercase();
        lower.as_str()
    } else {
        host
    };
    let host = host.trim_end_matches('.');
    std::iter::once(host).chain(host.match_indices('.').map(|(i, _)| &host[i + 1..])).any(|h| names.contains(h))
}

/// MISP writes regular expressions PCRE-style, often as `/pattern/flags`.
fn misp_regex(id: &str, entry: &str) -> Result<String, PipelineError> {
    let t = entry.trim();
    let (pattern, flags) = match t.strip_prefix('/').and_then(|r| r.rsplit_once('/')) {
        Some((p, f)) if f.chars().all(|c| "imsxu".contains(c)) => (p, f),
        _ => (t, ""),
    };
    if pattern.contains("(?=") || pattern.contains("(?!") || pattern.contains("(?<=") || pattern.contains("(?<!") {
        return Err(list_error(
            id,
            format!("{entry:?} uses look-around, which cirtkit's regular expressions do not have"),
        ));
    }
    let flags: String = flags.chars().filter(|c| "imsx".contains(*c)).collect();
    Ok(if flags.is_empty() { pattern.to_owned() } else { format!("(?{flags}){pattern}") })
}

/// The harmonised fields of a MISP attribute type.
fn misp_fields(attribute: &str) -> &'static [Field] {
    use Field as F;
    match attribute {
        "ip-src" | "ip-src|port" => &[F::SourceIp],
        "ip-dst" | "ip-dst|port" => &[F::DestinationIp],
        "domain|ip" => &[F::SourceFqdn, F::DestinationFqdn, F::SourceIp, F::DestinationIp],
        "domain" | "hostname" | "hostname|port" => &[F::SourceFqdn, F::DestinationFqdn],
        "url" | "uri" | "link" => &[F::SourceUrl, F::DestinationUrl],
        "md5" => &[F::MalwareHashMd5],
        "sha1" => &[F::MalwareHashSha1],
        "sha256" => &[F::MalwareHashSha256],
        _ => &[],
    }
}

fn list_error(id: &str, reason: impl std::fmt::Display) -> PipelineError {
    PipelineError::WarningList { reason: format!("list {id:?}: {reason}") }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct WarningListOptions {
    /// List ids to use; all loaded lists when absent.
    lists: Option<Vec<String>>,
    /// Fields to check, instead of each list's own.
    fields: Option<Vec<String>>,
    /// `drop` (default) or `tag` (`extra.warninglist`: the matching lists' ids).
    action: Action,
}

/// Drops or tags events that match any of its lists.
#[derive(Debug)]
pub struct WarningListExpert {
    lists: Vec<(Arc<WarningList>, Vec<Field>)>,
    action: Action,
}

fn build_warninglist(
    options: &serde_json::Value,
    resources: &ExpertResources,
) -> Result<Box<dyn Expert>, PipelineError> {
    let o: WarningListOptions = super::options("warninglist", options)?;
    let chosen: Vec<Arc<WarningList>> =
        match &o.lists {
            None => resources.warning_lists.clone(),
            Some(ids) => {
                ids.iter()
                    .map(|id| {
                        resources.warning_lists.iter().find(|l| l.id() == id).cloned().ok_or_else(|| {
                            super::config("warninglist", format!("the warning list {id:?} is not loaded"))
                        })
                    })
                    .collect::<Result<_, _>>()?
            }
        };
    if chosen.is_empty() {
        return Err(super::config("warninglist", "no warning list is loaded"));
    }
    let fields = o.fields.as_deref().map(|f| super::fields("warninglist", f)).transpose()?;
    let lists = chosen
        .into_iter()
        .map(|l| {
            let f = fields.clone().unwrap_or_else(|| l.default_fields().to_vec());
            (l, f)
        })
        .collect();
    Ok(Box::new(WarningListExpert { lists, action: o.action }))
}

impl WarningListExpert {
    /// Drops events matching any of the lists, each checked on its own fields.
    pub fn new(lists: Vec<Arc<WarningList>>) -> Self {
        let lists = lists
            .into_iter()
            .map(|l| {
                let f = l.default_fields().to_vec();
                (l, f)
            })
            .collect();
        Self { lists, action: Action::Drop }
    }
}

impl Expert for WarningListExpert {
    fn name(&self) -> &'static str {
        "warninglist"
    }

    fn process(&mut self, event: &mut Event) -> Verdict {
        let mut tags: Vec<serde_json::Value> = Vec::new();
        for (list, fields) in &self.lists {
            let hit = fields.iter().find(|&&f| match f {
                Field::SourceIp => event.source_ip().is_some_and(|ip| list.matches(f, &Value::Ip(ip))),
                Field::DestinationIp => event.destination_ip().is_some_and(|ip| list.matches(f, &Value::Ip(ip))),
                _ => event.get(f).is_some_and(|v| list.matches(f, &v)),
            });
            let Some(field) = hit else {
                continue;
            };
            match self.action {
                Action::Drop => {
                    return Verdict::drop(
                        "expert.warninglist",
                        format!("{} is on the warning list {:?}", field.name(), list.id()),
                    );
                }
                Action::Tag => tags.push(list.id().into()),
            }
        }
        if !tags.is_empty() {
            let _ = event.set_extra(TAG, serde_json::Value::Array(tags));
        }
        Verdict::Keep
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn list(id: &str, kind: &str, entries: &[&str], attrs: &[&str]) -> WarningList {
        let json = serde_json::json!({"name": id, "type": kind, "list": entries, "matching_attributes": attrs,
            "description": "", "version": 1});
        WarningList::from_json(id, json.to_string().as_bytes()).unwrap()
    }

    fn text(s: &str) -> Value {
        Value::Text(s.into())
    }

    #[test]
    fn the_misp_rfc1918_list() {
        let json = br#"{"description": "x", "list": ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"],
            "matching_attributes": ["ip-src", "ip-dst", "domain|ip"], "name": "List of RFC 1918 CIDR blocks",
            "type": "cidr", "version": 5}"#;
        let l = WarningList::from_json("rfc1918", &json[..]).unwrap();
        assert_eq!(l.len(), 3);
        assert!(l.contains_ip("172.31.255.255".parse().unwrap()));
        assert!(!l.contains_ip("172.32.0.0".parse().unwrap()));
        assert!(l.default_fields().contains(&Field::DestinationIp));
        assert!(l.matches(Field::SourceUrl, &text("http://10.1.1.1:8080/x")));
    }

    #[test]
    fn strings_hostnames_substrings_and_regexes() {
        let h = list("top", "hostname", &["Google.com", ".example.org"], &["hostname"]);
        assert!(h.matches(Field::SourceFqdn, &text("mail.google.com")));
        assert!(h.matches(Field::SourceFqdn, &text("example.org")));
        assert!(!h.matches(Field::SourceFqdn, &text("notgoogle.com")));
        assert!(h.matches(Field::SourceUrl, &text("https://www.google.com/search")));
        assert_eq!(h.default_fields(), [Field::DestinationFqdn, Field::SourceFqdn]);
        let s = list("s", "string", &["8.8.8.8", "exact"], &[]);
        assert!(s.matches(Field::SourceIp, &Value::Ip("8.8.8.8".parse().unwrap())));
        assert!(!s.matches(Field::Comment, &text("exactly")));
        let sub = list("sub", "substring", &["amazonaws.com", "a+b"], &["url"]);
        assert!(sub.matches(Field::SourceUrl, &text("https://s3.AmazonAWS.com/bucket")));
        assert!(sub.matches(Field::SourceUrl, &text("http://x/a+b")));
        assert!(!sub.matches(Field::SourceUrl, &text("http://x/aab")));
        let re = list("re", "regex", &["/^ns[0-9]+\\.example\\.net$/i", "^cdn-"], &["hostname"]);
        assert!(re.matches(Field::SourceFqdn, &text("NS12.example.net")));
        assert!(re.matches(Field::SourceFqdn, &text("cdn-1.example")));
        assert!(!re.matches(Field::SourceFqdn, &text("ns.example.net")));
        let json = serde_json::json!({"name": "x", "type": "regex", "list": ["foo(?!bar)"]});
        let err = WarningList::from_json("x", json.to_string().as_bytes()).unwrap_err();
        assert!(err.to_string().contains("look-around"), "{err}");
        let json = serde_json::json!({"name": "x", "type": "cidr", "list": ["10.0.0.0/33"]});
        assert_eq!(
            WarningList::from_json("x", json.to_string().as_bytes()).unwrap_err().code(),
            "pipeline.warninglist"
        );
        assert!(list("empty", "substring", &[], &[]).is_empty());
        assert!(!list("empty", "substring", &[], &[]).matches(Field::SourceUrl, &text("http://a/")));
    }

    #[test]
    fn the_expert_drops_or_tags() {
        let clock = Arc::new(cirtkit_domain::ManualClock::new(chrono::DateTime::UNIX_EPOCH));
        let mut res = ExpertResources::new(clock);
        res.warning_lists = vec![
            Arc::new(list("rfc1918", "cidr", &["10.0.0.0/8"], &["ip-src", "ip-dst"])),
            Arc::new(list("top", "hostname", &["example.com"], &["hostname"])),
        ];
        let mut e = Event::default();
        e.add(Field::DestinationIp, "10.9.9.9").unwrap();
        e.add(Field::SourceFqdn, "www.example.com").unwrap();
        let mut drop = build_warninglist(&serde_json::Value::Null, &res).unwrap();
        assert!(matches!(drop.process(&mut e.clone()), Verdict::Drop(r) if r.message.contains("destination.ip")));
        let mut tag = build_warninglist(&serde_json::json!({"action": "tag"}), &res).unwrap();
        assert_eq!(tag.process(&mut e), Verdict::Keep);
        assert_eq!(e.extra_value(TAG).map(|v| v.to_json()), Some(serde_json::json!(["rfc1918", "top"])));
        let only = serde_json::json!({"lists": ["rfc1918"], "fields": ["source.ip"]});
        assert_eq!(build_warninglist(&only, &res).unwrap().process(&mut e), Verdict::Keep);
        assert!(build_warninglist(&serde_json::json!({"lists": ["nope"]}), &res).is_err());
    }

    proptest! {
        #[test]
        fn cidr_lists_agree_with_a_naive_scan(
            blocks in prop::collection::vec((0u32..8, any::<u32>(), 0u8..=32), 0..40),
            probes in prop::collection::vec((0u32..8, any::<u32>()), 1..40),
        ) {
            let nets: Vec<ipnet::Ipv4Net> = blocks
                .iter()
                .map(|&(hi, lo, len)| ipnet::Ipv4Net::new(((hi << 29) | (lo >> 3)).into(), len).unwrap().trunc())
                .collect();
            let entries: Vec<String> = nets.iter().map(|n| n.to_string()).collect();
            let entries: Vec<&str> = entries.iter().map(String::as_str).collect();
            let l = list("p", "cidr", &entries, &[]);
            let mut addrs: Vec<u32> = probes.iter().map(|&(hi, lo)| (hi << 29) | (lo >> 3)).collect();
            for n in &nets {
                addrs.extend([u32::from(n.network()), u32::from(n.broadcast()), u32::from(n.broadcast()).wrapping_add(1)]);
            }
            for a in addrs {
                let ip = std::net::Ipv4Addr::from(a);
                prop_assert_eq!(l.contains_ip(ip.into()), nets.iter().any(|n| n.contains(&ip)), "{}", ip);
            }
        }
    }
}
