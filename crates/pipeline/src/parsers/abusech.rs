//! abuse.ch feeds: Feodo Tracker's botnet C2 list (CSV or JSON) and URLhaus (CSV).

use crate::event::Field;
use crate::parse::{self, ParseContext, Parser, ParserSpec, Sink, add_json};
use crate::{Event, PipelineError};
use serde_json::Value as J;
use std::io::BufRead;

pub(crate) static SPECS: &[ParserSpec] = &[
    ParserSpec {
        format: "abusech-feodo",
        description: "abuse.ch Feodo Tracker C2 IP blocklist (ipblocklist.csv or ipblocklist.json)",
        build: |_| Ok(Box::new(Feodo)),
    },
    ParserSpec {
        format: "abusech-urlhaus",
        description: "abuse.ch URLhaus CSV feeds (the columns come from the commented header)",
        build: |_| Ok(Box::new(UrlHaus)),
    },
];

#[derive(Debug)]
pub struct Feodo;

#[derive(Debug)]
pub struct UrlHaus;

/// Reads a comma-separated line as fields, honouring quotes.
fn csv_fields(line: &str) -> Result<Vec<String>, PipelineError> {
    let mut r = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(line.as_bytes());
    let mut rec = csv::StringRecord::new();
    match r.read_record(&mut rec) {
        Ok(true) => Ok(rec.iter().map(|f| f.trim().to_owned()).collect()),
        Ok(false) => Ok(Vec::new()),
        Err(e) => Err(PipelineError::record(e.to_string())),
    }
}

/// Looks a column up by its lower-cased header name.
fn col<'a>(header: &[String], row: &'a [String], name: &str) -> Option<&'a str> {
    header.iter().position(|h| h == name).and_then(|i| row.get(i)).map(String::as_str).filter(|v| !v.is_empty())
}

fn add_opt(e: &mut Event, f: Field, v: Option<&str>) -> Result<(), PipelineError> {
    if let Some(v) = v {
        e.add(f, v)?;
    }
    Ok(())
}

fn feodo_json(ctx: &ParseContext, v: &J) -> Result<Option<Event>, PipelineError> {
    let mut e = ctx.new_event();
    add_json(&mut e, Field::SourceIp, v.get("ip_address"))?;
    add_json(&mut e, Field::SourcePort, v.get("port"))?;
    add_json(&mut e, Field::Status, v.get("status"))?;
    add_json(&mut e, Field::SourceReverseDns, v.get("hostname"))?;
    add_json(&mut e, Field::SourceAsn, v.get("as_number"))?;
    add_json(&mut e, Field::SourceAsName, v.get("as_name"))?;
    add_json(&mut e, Field::SourceGeolocationCc, v.get("country"))?;
    add_json(&mut e, Field::MalwareName, v.get("malware"))?;
    match v.get("first_seen").and_then(parse::json_text) {
        Some(t) => e.add(Field::TimeSource, &t)?,
        None => add_json(&mut e, Field::TimeSource, v.get("last_online"))?,
    }
    if let Some(t) = v.get("last_online").and_then(parse::json_text) {
        e.set_extra("last_online", J::String(t.into_owned()))?;
    }
    e.classify_as("c2-server")?;
    Ok(Some(e))
}

impl Parser for Feodo {
    fn format(&self) -> &'static str {
        "abusech-feodo"
    }

    fn parse(&self, input: &mut dyn BufRead, ctx: &ParseContext, sink: &mut dyn Sink) -> Result<(), PipelineError> {
        let first = input.fill_buf().map_err(|e| PipelineError::from_io(&e))?;
        if first.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
            return parse::parse_json_elements(input, ctx, sink, |v| feodo_json(ctx, v));
        }
        let mut header: Vec<String> = Vec::new();
        parse::parse_lines(input, ctx, sink, &['#'], |line| {
            let row = csv_fields(line)?;
            if header.is_empty() && row.first().is_some_and(|c| c == "first_seen_utc") {
                header = row.iter().map(|h| h.to_ascii_lowercase()).collect();
                return Ok(None);
            }
            if header.is_empty() {
                header = ["first_seen_utc", "dst_ip", "dst_port", "c2_status", "last_online", "malware"]
                    .map(String::from)
                    .to_vec();
            }
            let mut e = ctx.new_event();
            add_opt(&mut e, Field::TimeSource, col(&header, &row, "first_seen_utc"))?;
            add_opt(&mut e, Field::SourceIp, col(&header, &row, "dst_ip"))?;
            add_opt(&mut e, Field::SourcePort, col(&header, &row, "dst_port"))?;
            add_opt(&mut e, Field::Status, col(&header, &row, "c2_status"))?;
            add_opt(&mut e, Field::MalwareName, col(&header, &row, "malware"))?;
            if let Some(v) = col(&header, &row, "last_online") {
                e.set_extra("last_online", J::String(v.to_owned()))?;
            }
            e.classify_as("c2-server")?;
            Ok(Some(e))
        })
    }
}

impl Parser for UrlHaus {
    fn format(&self) -> &'static str {
        "abusech-urlhaus"
    }

    fn parse(&self, input: &mut dyn BufRead, ctx: &ParseContext, sink: &mut dyn Sink) -> Result<(), PipelineError> {
        // The header is the last comment line before the data: "# Dateadded (UTC),URL,…" or
        // "# id,dateadded,url,…"; without one, the full CSV export's columns.
        let mut header: Vec<String> = Vec::new();
        let mut data_started = false;
        parse::parse_lines(input, ctx, sink, &[], |line| {
            let t = line.trim();
            if let Some(comment) = t.strip_prefix('#') {
                if !data_started && comment.contains(',') {
                    header = csv_fields(comment)?
                        .iter()
                        .map(|h| h.split(" (").next().unwrap_or(h).trim().to_ascii_lowercase())
                        .collect();
                }
                return Ok(None);
            }
            data_started = true;
            if header.is_empty() {
                header = ["id", "dateadded", "url", "url_status", "last_online", "threat", "tags", "urlhaus_link", "reporter"]
                    .map(String::from)
                    .to_vec();
            }
            let row = csv_fields(t)?;
            let mut e = ctx.new_event();
            add_opt(&mut e, Field::TimeSource, col(&header, &row, "dateadded"))?;
            add_opt(&mut e, Field::SourceUrl, col(&header, &row, "url"))?;
            add_opt(&mut e, Field::Status, col(&header, &row, "url_status"))?;
            if let Some(host) = col(&header, &row, "host") {
                let f = if crate::event::parse_ip(host).is_some() { Field::SourceIp } else { Field::SourceFqdn };
                e.add(f, host)?;
            }
            add_opt(&mut e, Field::SourceIp, col(&header, &row, "ipaddress"))?;
            add_opt(&mut e, Field::SourceAsn, col(&header, &row, "asnumber"))?;
            add_opt(&mut e, Field::SourceGeolocationCc, col(&header, &row, "country"))?;
            add_opt(&mut e, Field::EventDescriptionUrl, col(&header, &row, "urlhaus_link"))?;
            for key in ["id", "last_online", "tags", "reporter", "threat"] {
                if let Some(v) = col(&header, &row, key) {
                    e.set_extra(key, J::String(v.to_owned()))?;
                }
            }
            e.classify_as("malware-distribution")?;
            Ok(Some(e))
        })
    }
}
