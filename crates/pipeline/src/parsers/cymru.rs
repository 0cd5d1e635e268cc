//! Team Cymru's CAP feeds: the `infected` file (`report|ip|asn|timestamp|comments|asn_name`) and
//! the newer `certname` file (`category|address|asn|timestamp|optional_information|asninfo`).

use crate::event::Field;
use crate::parse::{self, ParseContext, Parser, ParserSpec, Sink};
use crate::{Event, PipelineError};
use serde_json::Value as J;
use std::io::BufRead;

pub(crate) static SPECS: &[ParserSpec] = &[ParserSpec {
    format: "cymru-cap",
    description: "Team Cymru CAP feeds (infected_*.txt and certname_*.txt, pipe-separated)",
    build: |_| Ok(Box::new(CymruCap)),
}];

#[derive(Debug)]
pub struct CymruCap;

/// (category, classification.type, classification.identifier)
const CATEGORIES: &[(&str, &str, &str)] = &[
    ("bot", "infected-system", "bot"),
    ("bots", "infected-system", "bot"),
    ("bruteforce", "brute-force", "bruteforce"),
    ("conficker", "infected-system", "bot"),
    ("controller", "c2-server", "controller"),
    ("darknet", "scanner", "darknet"),
    ("honeypot", "scanner", "honeypot"),
    ("openresolver", "vulnerable-system", "openresolver"),
    ("openresolvers", "vulnerable-system", "openresolver"),
    ("phishing", "phishing", "phishing"),
    ("proxy", "proxy", "proxy"),
    ("scanner", "scanner", "scanner"),
    ("spam", "spam", "spam"),
];

fn protocol_name(n: &str) -> Option<&'static str> {
    Some(match n.trim() {
        "1" => "icmp",
        "6" => "tcp",
        "17" => "udp",
        "47" => "gre",
        _ => return None,
    })
}

/// `key: value;key: value;` (certname) into the event; unknown keys go to `extra.`.
fn key_values(e: &mut Event, info: &str) -> Result<bool, PipelineError> {
    let mut any = false;
    for part in info.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((k, v)) = part.split_once(':') else { continue };
        let (k, v) = (k.trim(), v.trim());
        if k.contains(' ') || v.is_empty() {
            continue;
        }
        any = true;
        let field = match k {
            "family" => Some(Field::MalwareName),
            "dest_addr" | "destaddr" | "dstaddr" => Some(Field::DestinationIp),
            "dest_port" | "dstport" => Some(Field::DestinationPort),
            "srcport" => Some(Field::SourcePort),
            "hostname" if crate::event::parse_ip(v).is_some() => Some(Field::DestinationIp),
            "hostname" => Some(Field::DestinationFqdn),
            "protocol" => protocol_name(v).map(|_| Field::ProtocolTransport),
            _ => None,
        };
        let value = if field == Some(Field::ProtocolTransport) { protocol_name(v).unwrap_or(v) } else { v };
        // A secondary value the field refuses is kept as text under extra, as IntelMQ does.
        if field.is_none_or(|f| e.add(f, value).is_err()) {
            e.set_extra(k, J::String(v.to_owned()))?;
        }
    }
    Ok(any)
}

/// `srcport 1337 mwtype Conficker destaddr 172.16.0.22 Some Botnet` (infected and old certname).
fn words(e: &mut Event, info: &str) -> Result<bool, PipelineError> {
    let w: Vec<&str> = info.split_whitespace().collect();
    if !w.iter().any(|x| matches!(*x, "srcport" | "mwtype" | "destaddr" | "dstaddr")) {
        return Ok(false);
    }
    let mut i = 0;
    let mut rest = Vec::new();
    while i < w.len() {
        match (w[i], w.get(i + 1)) {
            ("srcport", Some(v)) => e.add(Field::SourcePort, v)?,
            ("mwtype", Some(v)) => e.add(Field::MalwareName, v)?,
            ("destaddr" | "dstaddr", Some(v)) => e.add(Field::DestinationIp, v)?,
            (word, _) => {
                rest.push(word);
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    if !rest.is_empty() {
        e.set_extra("comment", J::String(rest.join(" ")))?;
    }
    Ok(true)
}

fn line_event(ctx: &ParseContext, line: &str) -> Result<Option<Event>, PipelineError> {
    let f: Vec<&str> = line.split('|').collect();
    if f.len() < 5 {
        return Err(PipelineError::record(format!("{} fields where CAP lines have 6", f.len())));
    }
    let category = f[0].trim().to_ascii_lowercase();
    let (_, kind, ident) = CATEGORIES
        .iter()
        .find(|(c, _, _)| *c == category)
        .ok_or_else(|| PipelineError::record(format!("unknown category {category:?}")))?;
    let mut e = ctx.new_event();
    e.classify_as(kind)?;
    e.add(Field::ClassificationIdentifier, ident)?;
    e.add(Field::SourceIp, f[1])?;
    if crate::event::parse_asn(f[2]).is_some() {
        e.add(Field::SourceAsn, f[2])?;
    }
    e.add(Field::TimeSource, f[3])?;
    let info = f[4].trim().trim_end_matches(';').trim();
    if !info.is_empty() && !words(&mut e, info)? && !key_values(&mut e, info)? {
        match category.as_str() {
            "phishing" => e.add(Field::SourceUrl, info)?,
            "bruteforce" => e.add(Field::ProtocolApplication, info)?,
            _ => e.set_extra("comment", J::String(info.to_owned()))?,
        }
    }
    if let Some(asinfo) = f.get(5).map(|s| s.trim()).filter(|s| !s.is_empty()) {
        match asinfo.rsplit_once(", ") {
            Some((name, cc)) if cc.len() == 2 => {
                e.add(Field::SourceAsName, name)?;
                e.add(Field::SourceGeolocationCc, cc)?;
            }
            _ => e.add(Field::SourceAsName, asinfo)?,
        }
    }
    Ok(Some(e))
}

impl Parser for CymruCap {
    fn format(&self) -> &'static str {
        "cymru-cap"
    }

    fn parse(&self, input: &mut dyn BufRead, ctx: &ParseContext, sink: &mut dyn Sink) -> Result<(), PipelineError> {
        parse::parse_lines(input, ctx, sink, &['#'], |line| line_event(ctx, line))
    }
}
