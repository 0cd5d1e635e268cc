//! STIX 2.1 bundles: indicators with simple patterns (comparisons of an address, host name,
//! URL, mail address or file hash with `=`, joined by `OR`), one event per comparison; and
//! observed data, one event per cyber-observable it refers to. Patterns with `AND`,
//! `FOLLOWEDBY`, `MATCHES`, qualifiers or other languages are quarantined with that reason:
//! they describe behaviour, not observables to look up.

use crate::event::{ClassificationType as T, Field};
use crate::parse::{self, ParseContext, Parser, ParserSpec, Sink, add_json, emit, json_text};
use crate::{Event, PipelineError};
use serde_json::Value as J;
use std::collections::{HashMap, HashSet};
use std::io::BufRead;

pub(crate) static SPECS: &[ParserSpec] = &[ParserSpec {
    format: "stix",
    description: "STIX 2.1 bundles: simple indicator patterns and observed data",
    build: |_| Ok(Box::new(Stix)),
}];

#[derive(Debug)]
pub struct Stix;

/// One `object-path = 'value'` comparison of a pattern.
#[derive(Debug, PartialEq)]
struct Comparison {
    path: String,
    value: String,
}

/// Reads a pattern of `[a = 'x' OR b = 'y'] OR [c = 'z']`; anything else is refused with why.
fn simple_pattern(pattern: &str) -> Result<Vec<Comparison>, String> {
    let b = pattern.as_bytes();
    let mut i = 0;
    let skip = |i: &mut usize| {
        while *i < b.len() && b[*i].is_ascii_whitespace() {
            *i += 1;
        }
    };
    let keyword = |i: &mut usize| -> String {
        let start = *i;
        while *i < b.len() && (b[*i].is_ascii_alphabetic()) {
            *i += 1;
        }
        pattern[start..*i].to_owned()
    };
    let mut out = Vec::new();
    loop {
        skip(&mut i);
        if b.get(i) != Some(&b'[') {
            return Err("an observation expression starts with '['".into());
        }
        i += 1;
        loop {
            skip(&mut i);
            let start = i;
            while i < b.len() && !b[i].is_ascii_whitespace() && !matches!(b[i], b'=' | b'!' | b']') {
                // A quoted step such as hashes.'SHA-256', or a list index such as [*].
                let close = match b[i] {
                    b'\'' => Some(b'\''),
                    b'[' => Some(b']'),
                    _ => None,
                };
                if let Some(close) = close {
                    i += 1;
                    while i < b.len() && b[i] != close {
                        i += 1;
                    }
                }
                i += 1;
            }
            let path = pattern.get(start..i.min(b.len())).unwrap_or("").to_owned();
            skip(&mut i);
            if b.get(i) != Some(&b'=') {
                let op = keyword(&mut i);
                let op = if op.is_empty() { pattern.get(i..i + 2).unwrap_or("").to_owned() } else { op };
                return Err(format!("the comparison of {path} uses {op:?}: only '=' is read"));
            }
            i += 1;
            skip(&mut i);
            if b.get(i) != Some(&b'\'') {
                return Err(format!("the value compared with {path} is not a quoted string"));
            }
            i += 1;
            let mut value = Vec::new();
            loop {
                match b.get(i) {
                    None => return Err("a quoted value is not closed".into()),
                    Some(b'\\') => {
                        value.push(*b.get(i + 1).ok_or("a quoted value is not closed")?);
                        i += 2;
                    }
                    Some(b'\'') => {
                        i += 1;
                        break;
                    }
                    Some(c) => {
                        value.push(*c);
                        i += 1;
                    }
                }
            }
            out.push(Comparison { path, value: String::from_utf8_lossy(&value).into_owned() });
            skip(&mut i);
            if b.get(i) == Some(&b']') {
                i += 1;
                break;
            }
            match keyword(&mut i).as_str() {
                "OR" => {}
                "" => return Err("a comparison is followed by neither OR nor ']'".into()),
                other => return Err(format!("the comparisons are joined by {other}: only OR is read")),
            }
        }
        skip(&mut i);
        if i == b.len() {
            return Ok(out);
        }
        match keyword(&mut i).as_str() {
            "OR" => {}
            other => return Err(format!("the observations are joined by {other:?}: only OR is read")),
        }
    }
}

/// The field of an object path, and whether the observable is a file.
fn field_of(path: &str, value: &str) -> Option<(Field, bool)> {
    let (object, property) = path.split_once(':')?;
    let hash = |p: &str| {
        let name = p.strip_prefix("hashes.")?.trim_matches('\'').to_ascii_uppercase().replace('-', "");
        match name.as_str() {
            "MD5" => Some(Field::MalwareHashMd5),
            "SHA1" => Some(Field::MalwareHashSha1),
            "SHA256" => Some(Field::MalwareHashSha256),
            _ => None,
        }
    };
    Some(match (object, property) {
        ("ipv4-addr" | "ipv6-addr", "value") if value.contains('/') => (Field::SourceNetwork, false),
        ("ipv4-addr" | "ipv6-addr", "value") => (Field::SourceIp, false),
        ("domain-name", "value") => (Field::SourceFqdn, false),
        ("url", "value") => (Field::SourceUrl, false),
        ("email-addr", "value") => (Field::SourceAccount, false),
        ("file", p) => (hash(p)?, true),
        _ => return None,
    })
}

/// The TLP of an object's markings: from a marking definition in the bundle, or one of the four
/// TLP 1.0 definitions every STIX 2.1 producer shares.
fn tlp_of(object: &J, index: &HashMap<&str, &J>) -> Option<String> {
    object.get("object_marking_refs")?.as_array()?.iter().filter_map(J::as_str).find_map(|id| {
        let defined = index.get(id).and_then(|m| m.get("definition")).and_then(|d| d.get("tlp")).and_then(J::as_str);
        defined.map(str::to_owned).or_else(|| {
            Some(
                match id.strip_prefix("marking-definition--")? {
                    "613f2e26-407d-48c7-9eca-b8e91df99dc9" => "clear",
                    "34098fce-860f-48ae-8e50-ebd3cc5e41da" => "green",
                    "f88d31f6-486f-44da-b317-01333bde0b82" => "amber",
                    "5e57c739-391a-4eb3-b6be-7d15ca92d5ed" => "red",
                    _ => return None,
                }
                .to_owned(),
            )
        })
    })
}

/// What the events of one STIX object share: its id, time, name, TLP and labels.
fn common(ctx: &ParseContext, object: &J, index: &HashMap<&str, &J>, time: &str) -> Result<Event, PipelineError> {
    let mut e = ctx.new_event();
    add_json(&mut e, Field::TimeSource, object.get(time))?;
    add_json(&mut e, Field::EventDescriptionText, object.get("name"))?;
    if let Some(tlp) = tlp_of(object, index) {
        e.add(Field::Tlp, &tlp)?;
    }
    for key in ["id", "created_by_ref"] {
        if let Some(v) = object.get(key).and_then(json_text) {
            e.set_extra(&format!("stix_{key}"), J::String(v.into_owned()))?;
        }
    }
    for key in ["indicator_types", "labels"] {
        if let Some(v) = object.get(key).filter(|v| v.as_array().is_some_and(|a| !a.is_empty())) {
            e.set_extra(&format!("stix_{key}"), v.clone())?;
        }
    }
    Ok(e)
}

fn indicator_events(ctx: &ParseContext, object: &J, index: &HashMap<&str, &J>) -> Result<Vec<Event>, PipelineError> {
    let language = object.get("pattern_type").and_then(J::as_str).unwrap_or("stix");
    if language != "stix" {
        return Err(PipelineError::record(format!("the pattern is in {language:?}: only STIX patterns are read")));
    }
    let pattern = object.get("pattern").and_then(J::as_str).ok_or_else(|| PipelineError::record("the indicator has no pattern"))?;
    let comparisons = simple_pattern(pattern).map_err(|r| PipelineError::record(format!("pattern not read: {r}")))?;
    let types: Vec<&str> =
        object.get("indicator_types").and_then(J::as_array).into_iter().flatten().filter_map(J::as_str).collect();
    let mut events = Vec::new();
    for c in comparisons {
        let (field, is_file) = field_of(&c.path, &c.value)
            .ok_or_else(|| PipelineError::record(format!("pattern not read: {} is not an observable this parser maps", c.path)))?;
        let mut e = common(ctx, object, index, "valid_from")?;
        e.add(field, &c.value)?;
        e.classify(if types.contains(&"compromised") {
            T::SystemCompromise
        } else if types.contains(&"anonymization") {
            T::Proxy
        } else if types.contains(&"malicious-activity") {
            if is_file { T::Malware } else { T::Blacklist }
        } else {
            T::Undetermined
        });
        events.push(e);
    }
    Ok(events)
}

/// The events of observed data: one per address, host name, URL, mail address or file it
/// refers to (2.1 `object_refs` into the bundle, or the older embedded `objects`); network
/// traffic gives one event with both ends and ports.
fn observed_events(ctx: &ParseContext, object: &J, index: &HashMap<&str, &J>) -> Result<Vec<Event>, PipelineError> {
    let embedded: HashMap<String, &J> = object
        .get("objects")
        .and_then(J::as_object)
        .map(|o| o.iter().map(|(k, v)| (k.clone(), v)).collect())
        .unwrap_or_default();
    let resolve = |r: &str| embedded.get(r).copied().or_else(|| index.get(r).copied());
    let scos: Vec<&J> = match object.get("object_refs").and_then(J::as_array) {
        Some(refs) => refs.iter().filter_map(J::as_str).filter_map(resolve).collect(),
        None => embedded.values().copied().collect(),
    };
    // Ends of network traffic are reported with it, not again alone.
    let ends: HashSet<&str> = scos
        .iter()
        .filter(|s| s.get("type").and_then(J::as_str) == Some("network-traffic"))
        .flat_map(|s| ["src_ref", "dst_ref"].into_iter().filter_map(|k| s.get(k).and_then(J::as_str)))
        .collect();
    let mut events = Vec::new();
    for sco in scos {
        let id = sco.get("id").and_then(J::as_str).unwrap_or("");
        if ends.contains(id) {
            continue;
        }
        let kind = sco.get("type").and_then(J::as_str).unwrap_or("");
        let mut e = common(ctx, object, index, "first_observed")?;
        if let Some(n) = object.get("number_observed") {
            e.set_extra("number_observed", n.clone())?;
        }
        let value = sco.get("value").and_then(json_text);
        match (kind, value) {
            ("network-traffic", _) => {
                let end = |k: &str| sco.get(k).and_then(J::as_str).and_then(resolve).and_then(|o| o.get("value"));
                add_json(&mut e, Field::SourceIp, end("src_ref"))?;
                add_json(&mut e, Field::DestinationIp, end("dst_ref"))?;
                add_json(&mut e, Field::SourcePort, sco.get("src_port"))?;
                add_json(&mut e, Field::DestinationPort, sco.get("dst_port"))?;
                add_json(&mut e, Field::ProtocolTransport, sco.get("protocols").and_then(|p| p.get(0)))?;
            }
            ("file", _) => {
                let hashes = sco.get("hashes").and_then(J::as_object);
                for (name, h) in hashes.into_iter().flatten() {
                    if let Some((f, _)) = field_of(&format!("file:hashes.'{name}'"), "") {
                        add_json(&mut e, f, Some(h))?;
                    }
                }
                if let Some(name) = sco.get("name").and_then(json_text) {
                    e.set_extra("file_name", J::String(name.into_owned()))?;
                }
            }
            (kind, Some(v)) => match field_of(&format!("{kind}:value"), &v) {
                Some((f, _)) => e.add(f, &v)?,
                None => continue,
            },
            _ => continue,
        }
        e.classify(T::Undetermined);
        events.push(e);
    }
    Ok(events)
}

impl Parser for Stix {
    fn format(&self) -> &'static str {
        "stix"
    }

    fn parse(&self, input: &mut dyn BufRead, ctx: &ParseContext, sink: &mut dyn Sink) -> Result<(), PipelineError> {
        let mut refused = None;
        parse::for_each_json_element(input, &ctx.limits, &mut |_, doc| {
            // A bundle, or a bare list or object of STIX objects.
            let objects: Vec<&J> = match doc.get("objects").and_then(J::as_array) {
                Some(o) => o.iter().collect(),
                None if doc.get("type").is_some() => vec![&doc],
                None => {
                    refused.get_or_insert(PipelineError::Unrecognised {
                        reason: "the JSON is not a STIX bundle (no objects) nor a STIX object (no type)".into(),
                    });
                    return;
                }
            };
            let index: HashMap<&str, &J> =
                objects.iter().filter_map(|o| Some((o.get("id")?.as_str()?, *o))).collect();
            for (n, object) in objects.iter().enumerate() {
                let result = match object.get("type").and_then(J::as_str) {
                    Some("indicator") => indicator_events(ctx, object, &index),
                    Some("observed-data") => observed_events(ctx, object, &index),
                    _ => continue,
                };
                let raw = object.to_string();
                match result {
                    Ok(events) => {
                        for mut e in events {
                            e.set_raw(raw.as_bytes());
                            sink.event(e);
                        }
                    }
                    Err(err) => emit(ctx, sink, n as u64 + 1, raw.as_bytes(), Err(err)),
                }
            }
        })?;
        refused.map_or(Ok(()), Err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_patterns_are_read_and_others_refused_with_why() {
        let c = simple_pattern("[domain-name:value = 'a.example' OR ipv4-addr:value = '192.0.2.1']").unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(c[1], Comparison { path: "ipv4-addr:value".into(), value: "192.0.2.1".into() });
        let c = simple_pattern("[file:hashes.'SHA-256' = 'ab'] OR [url:value = 'http://x.example/it\\'s']").unwrap();
        assert_eq!(c[0].path, "file:hashes.'SHA-256'");
        assert_eq!(c[1].value, "http://x.example/it's");
        let why = simple_pattern("[a:b = 'x' AND c:d = 'y']").unwrap_err();
        assert!(why.contains("AND"), "{why}");
        let why = simple_pattern("[email-message:subject MATCHES '^x']").unwrap_err();
        assert!(why.contains("MATCHES"), "{why}");
        let why = simple_pattern("[email-message:body_multipart[*].body_raw_ref.name MATCHES 'x']").unwrap_err();
        assert!(why.contains("body_multipart[*].body_raw_ref.name uses \"MATCHES\""), "{why}");
        assert!(simple_pattern("[a:b = 'x'] FOLLOWEDBY [c:d = 'y']").unwrap_err().contains("FOLLOWEDBY"));
        assert!(simple_pattern("[a:b = 'x'").is_err());
        assert!(simple_pattern("").is_err());
    }
}
