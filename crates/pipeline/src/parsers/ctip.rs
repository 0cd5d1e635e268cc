//! Microsoft's Cyber Threat Intelligence Program (CTIP): the Interflow JSON array and the
//! newer JSON-lines feed (`CTIP-Infected`, `CTIP-C2`, Azure).

use crate::event::Field;
use crate::parse::{self, ParseContext, Parser, ParserSpec, Sink, add_json};
use crate::{Event, PipelineError};
use serde_json::{Map, Value as J};
use std::io::BufRead;

pub(crate) static SPECS: &[ParserSpec] = &[ParserSpec {
    format: "microsoft-ctip",
    description: "Microsoft CTIP: Interflow JSON array, or JSON lines (CTIP-Infected, CTIP-C2)",
    build: |_| Ok(Box::new(Ctip)),
}];

#[derive(Debug)]
pub struct Ctip;

fn snake(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    for (i, c) in key.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

fn is_empty(v: &J) -> bool {
    match v {
        J::Null => true,
        J::String(s) => s.is_empty() || s == "null",
        J::Array(a) => a.iter().all(is_empty),
        J::Object(o) => o.values().all(is_empty),
        _ => false,
    }
}

/// Adds a value to a field; a value the field refuses goes to `extra.` under `fallback`.
fn field_or_extra(e: &mut Event, f: Field, v: &J, fallback: &str) -> Result<(), PipelineError> {
    if let Some(t) = parse::json_text(v)
        && e.add(f, &t).is_err()
    {
        e.set_extra(fallback, v.clone())?;
    }
    Ok(())
}

fn interflow(ctx: &ParseContext, o: &Map<String, J>) -> Result<Option<Event>, PipelineError> {
    let mut e = ctx.new_event();
    for (k, v) in o {
        if is_empty(v) {
            continue;
        }
        match k.as_str() {
            "indicatorthreattype" => {
                let t = parse::json_text(v).unwrap_or_default();
                e.classify_as(if t.eq_ignore_ascii_case("botnet") { "infected-system" } else { "undetermined" })?;
                e.set_extra("indicator_threat_type", v.clone())?;
            }
            "description" => add_json(&mut e, Field::EventDescriptionText, Some(v))?,
            "externalid" => add_json(&mut e, Field::MalwareName, Some(v))?,
            "tlplevel" => field_or_extra(&mut e, Field::Tlp, v, "tlp")?,
            "confidence" => add_json(&mut e, Field::FeedAccuracy, Some(v))?,
            "firstreporteddatetime" => add_json(&mut e, Field::TimeSource, Some(v))?,
            "networksourceipv4" | "networksourceipv6" => add_json(&mut e, Field::SourceIp, Some(v))?,
            "networksourceport" => add_json(&mut e, Field::SourcePort, Some(v))?,
            "networkdestinationipv4" | "networkdestinationipv6" => {
                field_or_extra(&mut e, Field::DestinationIp, v, "destination.ip")?
            }
            "networkdestinationport" => add_json(&mut e, Field::DestinationPort, Some(v))?,
            "networksourceasn" => add_json(&mut e, Field::SourceAsn, Some(v))?,
            "hostname" => {
                // Often the destination address again; only a name is kept as the FQDN.
                let t = parse::json_text(v).unwrap_or_default();
                if crate::event::parse_ip(&t).is_none() {
                    field_or_extra(&mut e, Field::DestinationFqdn, v, "hostname")?;
                }
            }
            "useragent" => e.set_extra("user_agent", v.clone())?,
            "indicatorexpirationdatetime" => e.set_extra("expiration_date", v.clone())?,
            other => e.set_extra(other, v.clone())?,
        }
    }
    if e.classification_type().is_none() {
        e.classify_as("undetermined")?;
    }
    Ok(Some(e))
}

/// The JSON-lines feed's confidence words, as accuracy.
fn confidence(word: &str) -> Option<&'static str> {
    Some(match word.to_ascii_lowercase().as_str() {
        "low" => "50",
        "medium" => "75",
        "high" => "100",
        _ => return None,
    })
}

fn jsonl(ctx: &ParseContext, o: &Map<String, J>) -> Result<Option<Event>, PipelineError> {
    let mut e = ctx.new_event();
    let feed = o.get("DataFeed").and_then(J::as_str).unwrap_or("");
    e.classify_as(if feed.eq_ignore_ascii_case("CTIP-C2") { "c2-server" } else { "infected-system" })?;
    for (k, v) in o {
        if is_empty(v) {
            continue;
        }
        match k.as_str() {
            "DateTimeReceivedUtc" => {
                // Windows file time: 100 ns ticks since 1601-01-01.
                if let Some(ticks) = v.as_i64() {
                    let t = chrono::DateTime::from_timestamp(ticks / 10_000_000 - 11_644_473_600, (ticks % 10_000_000) as u32 * 100)
                        .ok_or_else(|| PipelineError::record("DateTimeReceivedUtc is out of range"))?;
                    e.put(Field::TimeSource, crate::Value::Time(t));
                }
            }
            "DateTimeReceivedUtcTxt" => {}
            "Malware" => add_json(&mut e, Field::MalwareName, Some(v))?,
            "ThreatCode" => e.set_extra("malware.threat_code", v.clone())?,
            "ThreatConfidence" => {
                if let Some(a) = v.as_str().and_then(confidence) {
                    e.add(Field::FeedAccuracy, a)?;
                }
            }
            "TLP" => field_or_extra(&mut e, Field::Tlp, v, "tlp")?,
            "SourceIp" => add_json(&mut e, Field::SourceIp, Some(v))?,
            "SourcePort" => add_json(&mut e, Field::SourcePort, Some(v))?,
            "DestinationIp" => field_or_extra(&mut e, Field::DestinationIp, v, "destination.ip")?,
            "DestinationPort" => add_json(&mut e, Field::DestinationPort, Some(v))?,
            "SourceIpInfo" => {
                let Some(info) = v.as_object() else { continue };
                for (ik, iv) in info {
                    if is_empty(iv) || iv == &J::from(0) {
                        continue;
                    }
                    match ik.as_str() {
                        "SourceIpAsnNumber" => add_json(&mut e, Field::SourceAsn, Some(iv))?,
                        "SourceIpAsnOrgName" => add_json(&mut e, Field::SourceAsName, Some(iv))?,
                        "SourceIpCountryCode" => add_json(&mut e, Field::SourceGeolocationCc, Some(iv))?,
                        "SourceIpRegion" => add_json(&mut e, Field::SourceGeolocationRegion, Some(iv))?,
                        "SourceIpCity" => add_json(&mut e, Field::SourceGeolocationCity, Some(iv))?,
                        "SourceIpLatitude" => add_json(&mut e, Field::SourceGeolocationLatitude, Some(iv))?,
                        "SourceIpLongitude" => add_json(&mut e, Field::SourceGeolocationLongitude, Some(iv))?,
                        other => e.set_extra(&snake(other.trim_start_matches("SourceIp")), iv.clone())?,
                    }
                }
            }
            "HttpInfo" | "CustomInfo" => {
                let Some(info) = v.as_object() else { continue };
                for (ik, iv) in info.iter().filter(|(_, iv)| !is_empty(iv)) {
                    e.set_extra(&snake(ik), iv.clone())?;
                }
            }
            other => e.set_extra(&snake(other), v.clone())?,
        }
    }
    Ok(Some(e))
}

impl Parser for Ctip {
    fn format(&self) -> &'static str {
        "microsoft-ctip"
    }

    fn parse(&self, input: &mut dyn BufRead, ctx: &ParseContext, sink: &mut dyn Sink) -> Result<(), PipelineError> {
        let first = input.fill_buf().map_err(|e| PipelineError::from_io(&e))?;
        if first.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
            return parse::parse_json_elements(input, ctx, sink, |v| match v.as_object() {
                Some(o) => interflow(ctx, o),
                None => Err(PipelineError::record("a CTIP record is a JSON object")),
            });
        }
        parse::parse_lines(input, ctx, sink, &[], |line| {
            match serde_json::from_str::<J>(line).map_err(PipelineError::json)? {
                J::Object(o) => jsonl(ctx, &o),
                _ => Err(PipelineError::record("a CTIP record is a JSON object")),
            }
        })
    }
}
