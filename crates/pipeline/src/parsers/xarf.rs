//! X-ARF abuse reports: version 0.2 mails (`X-XARF: PLAIN`, a second part of `Name: value` lines
//! in YAML style: `Source`, `Source-Type`, `Category`, `Report-Type`, `Date`, …), and the JSON
//! reports of version 4 (`xarf_version`, `source_identifier`, `category`, `type`, `timestamp`),
//! alone or attached to a mail, with the older version 3 JSON (`Report.Source`). One event per
//! report.

use super::arf::strip_comment;
use super::mail::{self, field};
use crate::event::{ClassificationType as T, Field};
use crate::parse::{ParseContext, Parser, ParserSpec, Sink, add_json, emit, json_text};
use crate::{Event, PipelineError};
use serde_json::Value as J;
use std::io::BufRead;

pub(crate) static SPECS: &[ParserSpec] = &[ParserSpec {
    format: "xarf",
    description: "X-ARF abuse reports: 0.2 mails (YAML part) and version 4 JSON (alone or attached)",
    build: |_| Ok(Box::new(Xarf)),
}];

#[derive(Debug)]
pub struct Xarf;

/// The classification of an X-ARF report type (4: `type`; 0.2: `Report-Type`), or of its
/// category when the type says nothing.
fn classification(report_type: Option<&str>, category: Option<&str>) -> T {
    let norm = |s: &str| s.trim().to_ascii_lowercase().replace('_', "-");
    let by_type = report_type.map(norm).and_then(|t| {
        Some(match t.as_str() {
            "login-attack" | "brute-force" | "bruteforce" | "bruteforcelogin" | "ssh" | "ftp" | "imap" | "pop3"
            | "sip" | "mail" => T::BruteForce,
            "spam" | "regbot" => T::Spam,
            "port-scan" | "portscan" | "scan" | "scanner" => T::Scanner,
            "ddos" => T::Ddos,
            "dos" => T::Dos,
            "phishing" => T::Phishing,
            "malware" | "malware-distribution" => T::MalwareDistribution,
            "botnet" | "bot" | "infected" | "infected-system" => T::InfectedSystem,
            "c2" | "cnc" | "c2-server" => T::C2Server,
            "open-service" | "vulnerability" | "vulnerable-service" => T::VulnerableSystem,
            "copyright" => T::Copyright,
            _ => return None,
        })
    });
    let by_category = || {
        category.map(norm).and_then(|c| match c.as_str() {
            "vulnerability" => Some(T::VulnerableSystem),
            "copyright" => Some(T::Copyright),
            "fraud" => Some(T::Phishing),
            _ => None,
        })
    };
    by_type.or_else(by_category).unwrap_or(T::Undetermined)
}

/// Sets the source from an identifier of unknown kind: an address, a URL or a host name.
fn add_source(e: &mut Event, id: &str) -> Result<(), PipelineError> {
    let field = if crate::event::parse_ip(id).is_some() {
        Field::SourceIp
    } else if id.contains("://") {
        Field::SourceUrl
    } else if id.contains('@') {
        Field::SourceAccount
    } else {
        Field::SourceFqdn
    };
    e.add(field, id).map_err(Into::into)
}

/// A version 0.2 report: the `Name: value` lines of its report part.
fn yaml_event(ctx: &ParseContext, text: &str) -> Result<Event, PipelineError> {
    let f = mail::fields(text);
    let mut e = ctx.new_event();
    let source = field(&f, "source").ok_or_else(|| PipelineError::record("the X-ARF report has no Source"))?;
    let source_field = match field(&f, "source-type").map(str::to_ascii_lowercase).as_deref() {
        None => None,
        Some("ip-address" | "ipv4" | "ipv6" | "ip") => Some(Field::SourceIp),
        Some("uri" | "url") => Some(Field::SourceUrl),
        Some("domain" | "fqdn" | "hostname") => Some(Field::SourceFqdn),
        Some("email" | "email-address" | "mail") => Some(Field::SourceAccount),
        Some(other) => {
            return Err(PipelineError::record(format!("the Source-Type {other:?} is not one this parser reads")));
        }
    };
    match source_field {
        Some(f) => e.add(f, source)?,
        None => add_source(&mut e, source)?,
    }
    if let Some(p) = field(&f, "port") {
        e.add(Field::SourcePort, p)?;
    }
    if let Some(d) = field(&f, "date") {
        e.add(Field::TimeSource, strip_comment(d))?;
    }
    e.classify(classification(field(&f, "report-type"), field(&f, "category")));
    for (key, name) in [
        ("report_type", "report-type"),
        ("category", "category"),
        ("report_id", "report-id"),
        ("reported_from", "reported-from"),
        ("user_agent", "user-agent"),
        // The attacked service as the reporter names it (blocklist.de: regbot, ssh, …).
        ("service", "service"),
        ("xarf_version", "version"),
    ] {
        if let Some(v) = field(&f, name) {
            e.set_extra(key, J::String(v.to_owned()))?;
        }
    }
    e.set_raw(text.as_bytes());
    Ok(e)
}

/// Keys of a version 4 report that become harmonised fields or are left out (`evidence` holds
/// payloads, `sender` repeats `reporter`); every other scalar or list of scalars goes to `extra.`.
const V4_MAPPED: &[&str] = &[
    "source_identifier",
    "source_port",
    "destination_ip",
    "destination_port",
    "protocol",
    "service",
    "timestamp",
    "url",
    "malware_family",
    "reporter",
    "sender",
    "evidence",
];

/// A version 4 (or 3) JSON report.
fn json_event(ctx: &ParseContext, v: &J) -> Result<Event, PipelineError> {
    if v.get("xarf_version").is_none() {
        return v3_event(ctx, v);
    }
    let mut e = ctx.new_event();
    let id = v
        .get("source_identifier")
        .and_then(json_text)
        .ok_or_else(|| PipelineError::record("the X-ARF report has no source_identifier"))?;
    add_source(&mut e, &id)?;
    add_json(&mut e, Field::SourcePort, v.get("source_port"))?;
    add_json(&mut e, Field::DestinationIp, v.get("destination_ip"))?;
    add_json(&mut e, Field::DestinationPort, v.get("destination_port"))?;
    add_json(&mut e, Field::TimeSource, v.get("timestamp"))?;
    add_json(&mut e, Field::MalwareName, v.get("malware_family"))?;
    if e.source_url().is_none() {
        add_json(&mut e, Field::SourceUrl, v.get("url"))?;
    }
    // `protocol` is a transport (tcp) or, for messaging, the application (smtp).
    if let Some(p) = v.get("protocol").and_then(json_text) {
        let transport = matches!(p.to_ascii_lowercase().as_str(), "tcp" | "udp" | "icmp" | "sctp");
        e.add(if transport { Field::ProtocolTransport } else { Field::ProtocolApplication }, &p)?;
    }
    add_json(&mut e, Field::ProtocolApplication, v.get("service"))?;
    let text = |k: &str| v.get(k).and_then(J::as_str);
    e.classify(classification(text("type"), text("category")));
    if let Some(org) = v.get("reporter").and_then(|r| r.get("org")).and_then(json_text) {
        e.set_extra("reporter", J::String(org.into_owned()))?;
    }
    if let Some(o) = v.as_object() {
        for (k, val) in o {
            if V4_MAPPED.contains(&k.as_str()) {
                continue;
            }
            let scalar = |x: &J| !matches!(x, J::Object(_) | J::Array(_) | J::Null);
            let keep = match val {
                J::Array(items) => items.iter().all(scalar),
                other => scalar(other),
            };
            if keep {
                e.set_extra(k, val.clone())?;
            }
        }
    }
    Ok(e)
}

/// The older version 3 JSON: `Report.Source`, `Report.ReportType`, `Report.Date`.
fn v3_event(ctx: &ParseContext, v: &J) -> Result<Event, PipelineError> {
    let report = v.get("Report").ok_or_else(|| PipelineError::Unrecognised {
        reason: "the JSON is neither an X-ARF 4 report (xarf_version) nor a version 3 one (Report)".into(),
    })?;
    let mut e = ctx.new_event();
    let source = report.get("Source");
    let id = source
        .and_then(|s| s.get("IP").or_else(|| s.get("Value")))
        .and_then(json_text)
        .ok_or_else(|| PipelineError::record("the X-ARF report has no Report.Source"))?;
    add_source(&mut e, &id)?;
    add_json(&mut e, Field::SourcePort, source.and_then(|s| s.get("Port")))?;
    add_json(&mut e, Field::TimeSource, report.get("Date"))?;
    add_json(&mut e, Field::ProtocolApplication, report.get("AdditionalInfo").and_then(|a| a.get("Protocol")))?;
    let text = |k: &str| report.get(k).and_then(J::as_str);
    e.classify(classification(text("ReportType"), text("ReportClass")));
    for (key, val) in [
        ("xarf_version", v.get("Version")),
        ("type", report.get("ReportType")),
        ("category", report.get("ReportClass")),
        ("reporter", v.get("ReporterInfo").and_then(|r| r.get("ReporterOrg"))),
    ] {
        if let Some(t) = val.and_then(json_text) {
            e.set_extra(key, J::String(t.into_owned()))?;
        }
    }
    Ok(e)
}

fn parse_json_report(ctx: &ParseContext, sink: &mut dyn Sink, n: u64, bytes: &[u8]) -> Result<(), PipelineError> {
    // serde_json refuses documents nested more than 128 deep, with its reason.
    let v: J = serde_json::from_slice(bytes).map_err(PipelineError::json)?;
    let raw = v.to_string();
    let result = json_event(ctx, &v).map(|mut e| {
        e.set_raw(raw.as_bytes());
        Some(e)
    });
    if let Err(e @ PipelineError::Unrecognised { .. }) = result {
        return Err(e);
    }
    emit(ctx, sink, n, raw.as_bytes(), result);
    Ok(())
}

fn starts_json(bytes: &[u8]) -> bool {
    bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

impl Parser for Xarf {
    fn format(&self) -> &'static str {
        "xarf"
    }

    fn reads_mail(&self) -> bool {
        true
    }

    fn parse(&self, input: &mut dyn BufRead, ctx: &ParseContext, sink: &mut dyn Sink) -> Result<(), PipelineError> {
        let bytes = mail::read_all(input, &ctx.limits, "an X-ARF report")?;
        if starts_json(&bytes) {
            return parse_json_report(ctx, sink, 1, &bytes);
        }
        let message = mail::read_mail(&bytes)?;
        let mut found = 0u64;
        for part in &message {
            if starts_json(&part.body) && part.content_type.contains("json") {
                found += 1;
                parse_json_report(ctx, sink, found, &part.body)?;
                continue;
            }
            if !part.content_type.starts_with("text/") {
                continue;
            }
            let text = String::from_utf8_lossy(&part.body);
            let f = mail::fields(&text);
            let is_report = field(&f, "source").is_some()
                && (field(&f, "report-type").is_some() || field(&f, "category").is_some());
            if is_report {
                found += 1;
                emit(ctx, sink, found, &part.body, yaml_event(ctx, &text).map(Some));
            }
        }
        if found == 0 {
            return Err(PipelineError::Unrecognised {
                reason: "the message has no X-ARF report part (Source with Report-Type or Category, or X-ARF JSON)"
                    .into(),
            });
        }
        Ok(())
    }
}
