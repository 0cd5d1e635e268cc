//! MISP events, as MISP feeds publish them (`{"Event": {…}}`), as the REST API answers
//! (`{"response": [{"Event": …}]}`, or `{"response": {"Attribute": […]}}`), bare, or a list of
//! them. Every attribute of a type the pipeline acts on (addresses, host names, URLs, hashes,
//! mail senders), in the event and in its objects, becomes an event carrying the MISP event's
//! `info`, tags, threat level and UUIDs. Attributes of other types (text, links, comments,
//! registry keys …) are context, not observables, and are left out.

use crate::event::{ClassificationType as T, Field, time_from_epoch};
use crate::parse::{self, ParseContext, Parser, ParserSpec, Sink, emit, json_text};
use crate::{Event, PipelineError};
use serde_json::Value as J;
use std::io::BufRead;

pub(crate) static SPECS: &[ParserSpec] = &[ParserSpec {
    format: "misp",
    description: "MISP events (feed files, API answers, bare events or attributes): one event per attribute",
    build: |_| Ok(Box::new(Misp)),
}];

#[derive(Debug)]
pub struct Misp;

/// What the attributes of one MISP event share.
struct EventContext {
    info: Option<String>,
    uuid: Option<String>,
    threat_level: Option<&'static str>,
    org: Option<String>,
    tags: Vec<String>,
    classification: Option<T>,
    tlp: Option<String>,
}

fn tag_names(v: Option<&J>) -> Vec<String> {
    v.and_then(J::as_array)
        .map(|tags| tags.iter().filter_map(|t| t.get("name").and_then(J::as_str)).map(str::to_owned).collect())
        .unwrap_or_default()
}

/// The classification a tag gives: RSIT and eCSIRT machine tags (`rsit:fraud="phishing"`,
/// `ecsirt:malicious-code="ransomware"`) and CIRCL's incident classification.
fn tag_classification(tag: &str) -> Option<T> {
    let (namespace, rest) = tag.split_once(':')?;
    let value = rest.split_once('=').map_or(rest, |(_, v)| v).trim_matches('"').to_ascii_lowercase();
    if !matches!(namespace.to_ascii_lowercase().as_str(), "rsit" | "ecsirt" | "circl") {
        return None;
    }
    T::parse(&value).or(match value.as_str() {
        "ransomware" | "virus" | "worm" | "trojan" | "spyware" | "rootkit" | "dialer" => Some(T::InfectedSystem),
        "c&c" | "c2" => Some(T::C2Server),
        "scan" => Some(T::Scanner),
        _ => None,
    })
}

fn tlp_of(tags: &[String]) -> Option<String> {
    tags.iter().find_map(|t| t.to_ascii_lowercase().strip_prefix("tlp:").map(str::to_owned))
}

impl EventContext {
    fn of(event: &J) -> Self {
        let tags = tag_names(event.get("Tag"));
        Self {
            info: event.get("info").and_then(json_text).map(|t| t.into_owned()),
            uuid: event.get("uuid").and_then(json_text).map(|t| t.into_owned()),
            threat_level: event.get("threat_level_id").and_then(json_text).and_then(|t| match t.as_ref() {
                "1" => Some("high"),
                "2" => Some("medium"),
                "3" => Some("low"),
                "4" => Some("undefined"),
                _ => None,
            }),
            org: event.get("Orgc").and_then(|o| o.get("name")).and_then(json_text).map(|t| t.into_owned()),
            classification: tags.iter().find_map(|t| tag_classification(t)),
            tlp: tlp_of(&tags),
            tags,
        }
    }

    fn none() -> Self {
        Self { info: None, uuid: None, threat_level: None, org: None, tags: Vec::new(), classification: None, tlp: None }
    }
}

/// The harmonised fields of an attribute type, for the value's parts split at `|`; `None` for
/// the types that are not observables.
fn fields_of(kind: &str) -> Option<&'static [Field]> {
    use Field as F;
    Some(match kind {
        "ip-src" => &[F::SourceIp],
        "ip-dst" => &[F::DestinationIp],
        "ip-src|port" => &[F::SourceIp, F::SourcePort],
        "ip-dst|port" => &[F::DestinationIp, F::DestinationPort],
        "domain" | "hostname" => &[F::SourceFqdn],
        "domain|ip" => &[F::SourceFqdn, F::SourceIp],
        "hostname|port" => &[F::SourceFqdn, F::SourcePort],
        "url" | "uri" => &[F::SourceUrl],
        "md5" => &[F::MalwareHashMd5],
        "sha1" => &[F::MalwareHashSha1],
        "sha256" => &[F::MalwareHashSha256],
        "email-src" | "email" => &[F::SourceAccount],
        "email-dst" => &[F::DestinationAccount],
        "AS" => &[F::SourceAsn],
        _ => return None,
    })
}

/// `filename|md5` and its kin: the file name, then the hash.
fn file_hash(kind: &str) -> Option<Field> {
    Some(match kind.strip_prefix("filename|")? {
        "md5" => Field::MalwareHashMd5,
        "sha1" => Field::MalwareHashSha1,
        "sha256" => Field::MalwareHashSha256,
        _ => return None,
    })
}

/// The event of one attribute; `Ok(None)` for a type that is not an observable.
fn attribute_event(
    ctx: &ParseContext,
    ev: &EventContext,
    attribute: &J,
    object: Option<&str>,
) -> Result<Option<Event>, PipelineError> {
    let kind = attribute.get("type").and_then(J::as_str).unwrap_or("");
    let value = attribute.get("value").and_then(json_text).unwrap_or_default();
    let mut e = ctx.new_event();
    if let Some(fields) = fields_of(kind) {
        let parts: Vec<&str> = if fields.len() > 1 { value.splitn(fields.len(), '|').collect() } else { vec![&value] };
        if parts.len() != fields.len() {
            return Err(PipelineError::record(format!("a {kind} value has {} parts separated by |", fields.len())));
        }
        for (f, part) in fields.iter().zip(parts) {
            e.add(*f, part)?;
        }
    } else if let Some(hash) = file_hash(kind) {
        let (name, digest) =
            value.split_once('|').ok_or_else(|| PipelineError::record(format!("a {kind} value is name|hash")))?;
        e.add(hash, digest)?;
        e.set_extra("file_name", J::String(name.to_owned()))?;
    } else {
        return Ok(None);
    }
    let is_hash = kind.contains("md5") || kind.contains("sha1") || kind.contains("sha256");
    let tags: Vec<String> = ev.tags.iter().cloned().chain(tag_names(attribute.get("Tag"))).collect();
    let classification = tags
        .iter()
        .skip(ev.tags.len())
        .find_map(|t| tag_classification(t))
        .or(ev.classification)
        .unwrap_or(if is_hash { T::Malware } else { T::Undetermined });
    e.classify(classification);
    let time = attribute.get("first_seen").and_then(json_text).or_else(|| attribute.get("timestamp").and_then(json_text));
    if let Some(t) = time {
        match time_from_epoch(&t) {
            Some(t) => e.set(Field::TimeSource, crate::Value::Time(t))?,
            None => e.add(Field::TimeSource, &t)?,
        }
    }
    if let Some(u) = attribute.get("uuid").and_then(json_text) {
        e.add(Field::MispAttributeUuid, &u)?;
    }
    if let Some(u) = &ev.uuid {
        e.add(Field::MispEventUuid, u)?;
    }
    if let Some(info) = &ev.info {
        e.add(Field::EventDescriptionText, info)?;
    }
    if let Some(c) = attribute.get("comment").and_then(json_text) {
        e.add(Field::Comment, &c)?;
    }
    if let Some(tlp) = tlp_of(&tags[ev.tags.len()..]).or_else(|| ev.tlp.clone()) {
        // A TLP tag this version does not know is kept among the tags only.
        let _ = e.add(Field::Tlp, &tlp);
    }
    if !tags.is_empty() {
        e.set_extra("tags", J::Array(tags.into_iter().map(J::String).collect()))?;
    }
    for (key, v) in [
        ("misp_type", Some(kind.to_owned())),
        ("misp_category", attribute.get("category").and_then(json_text).map(|c| c.into_owned())),
        ("misp_object", object.map(str::to_owned)),
        ("threat_level", ev.threat_level.map(str::to_owned)),
        ("misp_org", ev.org.clone()),
    ] {
        if let Some(v) = v {
            e.set_extra(key, J::String(v))?;
        }
    }
    if let Some(b) = attribute.get("to_ids").and_then(|t| t.as_bool().or_else(|| crate::event::parse_bool(t.as_str()?))) {
        e.set_extra("to_ids", J::Bool(b))?;
    }
    Ok(Some(e))
}

/// Sends the events of every attribute of a MISP event (and of its objects) to the sink.
fn event_attributes(ctx: &ParseContext, sink: &mut dyn Sink, event: &J, n: &mut u64) {
    let ev = EventContext::of(event);
    let attributes = event.get("Attribute").and_then(J::as_array).into_iter().flatten().map(|a| (a, None));
    let in_objects = event.get("Object").and_then(J::as_array).into_iter().flatten().flat_map(|o| {
        let name = o.get("name").and_then(J::as_str);
        o.get("Attribute").and_then(J::as_array).into_iter().flatten().map(move |a| (a, name))
    });
    for (attribute, object) in attributes.chain(in_objects) {
        *n += 1;
        one_attribute(ctx, sink, &ev, attribute, object, *n);
    }
}

fn one_attribute(ctx: &ParseContext, sink: &mut dyn Sink, ev: &EventContext, attribute: &J, object: Option<&str>, n: u64) {
    if attribute.get("deleted").and_then(J::as_bool) == Some(true) {
        return;
    }
    let raw = attribute.to_string();
    let result = attribute_event(ctx, ev, attribute, object).map(|o| {
        o.map(|mut e| {
            e.set_raw(raw.as_bytes());
            e
        })
    });
    emit(ctx, sink, n, raw.as_bytes(), result);
}

/// One document (or array element): an event, an API answer, or an attribute.
fn document(ctx: &ParseContext, sink: &mut dyn Sink, v: &J, n: &mut u64) -> Result<(), PipelineError> {
    if let Some(event) = v.get("Event") {
        event_attributes(ctx, sink, event, n);
    } else if let Some(response) = v.get("response") {
        match response {
            J::Array(items) => {
                for item in items {
                    document(ctx, sink, item, n)?;
                }
            }
            other => document(ctx, sink, other, n)?,
        }
    } else if v.get("Attribute").is_some_and(J::is_array) && v.get("type").is_none() {
        if v.get("info").is_some() || v.get("uuid").is_some() {
            event_attributes(ctx, sink, v, n);
        } else {
            // An attribute search: attributes without their event.
            for attribute in v.get("Attribute").and_then(J::as_array).into_iter().flatten() {
                *n += 1;
                one_attribute(ctx, sink, &EventContext::none(), attribute, None, *n);
            }
        }
    } else if v.get("type").is_some() && v.get("value").is_some() {
        *n += 1;
        one_attribute(ctx, sink, &EventContext::none(), v, None, *n);
    } else {
        return Err(PipelineError::Unrecognised {
            reason: "the JSON is not a MISP event, API answer or attribute (no Event, response, Attribute or type/value)"
                .into(),
        });
    }
    Ok(())
}

impl Parser for Misp {
    fn format(&self) -> &'static str {
        "misp"
    }

    fn parse(&self, input: &mut dyn BufRead, ctx: &ParseContext, sink: &mut dyn Sink) -> Result<(), PipelineError> {
        let mut n = 0u64;
        let mut refused = None;
        parse::for_each_json_element(input, &ctx.limits, &mut |_, v| {
            if let Err(e) = document(ctx, sink, &v, &mut n)
                && refused.is_none()
            {
                refused = Some(e);
            }
        })?;
        refused.map_or(Ok(()), Err)
    }
}
