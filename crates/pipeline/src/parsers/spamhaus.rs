//! Spamhaus: the DROP, EDROP and ASN-DROP lists, and the CERT portal's CSV of infected hosts.

use crate::event::{Field, time_from_epoch};
use crate::parse::{self, ParseContext, Parser, ParserSpec, Sink};
use crate::{Event, PipelineError};
use serde_json::Value as J;
use std::io::BufRead;

pub(crate) static SPECS: &[ParserSpec] = &[
    ParserSpec {
        format: "spamhaus-drop",
        description: "Spamhaus DROP, EDROP (netblocks) and ASN-DROP (AS numbers) lists",
        build: |_| Ok(Box::new(Drop)),
    },
    ParserSpec {
        format: "spamhaus-cert",
        description: "Spamhaus CERT portal CSV (infected hosts, open relays, brute-forcers)",
        build: |_| Ok(Box::new(Cert)),
    },
];

#[derive(Debug)]
pub struct Drop;

#[derive(Debug)]
pub struct Cert;

impl Parser for Drop {
    fn format(&self) -> &'static str {
        "spamhaus-drop"
    }

    fn parse(&self, input: &mut dyn BufRead, ctx: &ParseContext, sink: &mut dyn Sink) -> Result<(), PipelineError> {
        let mut updated: Option<String> = None;
        parse::parse_lines(input, ctx, sink, &[], |line| {
            let t = line.trim();
            if let Some(comment) = t.strip_prefix(';') {
                if let Some(date) = comment.trim().strip_prefix("Last-Modified:") {
                    updated = Some(date.trim().to_owned());
                }
                return Ok(None);
            }
            let (value, rest) = t.split_once(';').map_or((t, ""), |(a, b)| (a.trim(), b.trim()));
            let mut e = ctx.new_event();
            if let Some(u) = &updated {
                e.add(Field::TimeSource, u)?;
            }
            if value.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("as")) {
                // ASN-DROP: "AS260 ; AE | XCONNECT24 - Xconnect24 Inc., US"
                e.add(Field::SourceAsn, value)?;
                let (cc, name) = rest.split_once('|').map_or(("", rest), |(a, b)| (a.trim(), b.trim()));
                if !cc.is_empty() {
                    e.add(Field::SourceGeolocationCc, cc)?;
                }
                if !name.is_empty() {
                    e.add(Field::SourceAsName, name)?;
                }
            } else {
                e.add(Field::SourceNetwork, value)?;
                if !rest.is_empty() {
                    e.set_extra("blocklist", J::String(rest.to_owned()))?;
                }
            }
            e.classify_as("spam")?;
            e.add(Field::ClassificationIdentifier, "spamhaus-drop")?;
            Ok(Some(e))
        })
    }
}

/// The CERT portal's bot names that are not malware: (name, type, application).
const NOT_MALWARE: &[(&str, &str, &str)] = &[
    ("openrelay", "vulnerable-system", "smtp"),
    ("iotrdp", "brute-force", "rdp"),
    ("sshauth", "brute-force", "ssh"),
    ("telnetauth", "brute-force", "telnet"),
    ("smtpauth", "brute-force", "smtp"),
    ("imap", "brute-force", "imap"),
    ("iotscan", "scanner", ""),
    ("wpscanner", "scanner", "http"),
    ("w_wplogin", "brute-force", "http"),
    ("l_spamlink", "spam", ""),
    ("authspoofbadehlo", "spam", "smtp"),
    ("extortion", "spam", "smtp"),
    ("proxyget", "proxy", ""),
    ("misc", "other", ""),
];

fn dash_is_empty(v: &str) -> Option<&str> {
    let t = v.trim();
    (!t.is_empty() && t != "-" && t != "?").then_some(t)
}

fn cert_line(ctx: &ParseContext, line: &str) -> Result<Option<Event>, PipelineError> {
    // ip, asn, country, lastseen, botname, domain, remote_ip, remote_port, local_port, protocol
    let f: Vec<&str> = line.split(',').collect();
    if f.len() < 10 {
        return Err(PipelineError::record(format!("{} columns where the CERT list has 10", f.len())));
    }
    let mut e = ctx.new_event();
    e.add(Field::SourceIp, f[0])?;
    if let Some(asn) = dash_is_empty(f[1]) {
        e.add(Field::SourceAsn, asn)?;
    }
    if let Some(cc) = dash_is_empty(f[2]) {
        e.add(Field::SourceGeolocationCc, cc)?;
    }
    let seen = time_from_epoch(f[3]).ok_or_else(|| PipelineError::record(format!("lastseen {:?} is not a time", f[3])))?;
    e.put(Field::TimeSource, crate::Value::Time(seen));
    let bot = f[4].trim().to_ascii_lowercase();
    match NOT_MALWARE.iter().find(|(n, _, _)| *n == bot) {
        Some((_, kind, app)) => {
            e.classify_as(kind)?;
            if !app.is_empty() {
                e.add(Field::ProtocolApplication, app)?;
            }
        }
        None => {
            e.classify_as("infected-system")?;
            e.add(Field::MalwareName, &bot)?;
        }
    }
    e.add(Field::ClassificationIdentifier, &bot)?;
    if let Some(domain) = dash_is_empty(f[5]) {
        if domain.contains("://") {
            e.add(Field::DestinationUrl, domain)?;
        } else {
            let host = domain.split(':').next().unwrap_or(domain);
            let field = if crate::event::parse_ip(host).is_some() { Field::DestinationIp } else { Field::DestinationFqdn };
            if e.add(field, host).is_err() {
                e.set_extra("destination.domain", J::String(domain.to_owned()))?;
            }
        }
    }
    if let Some(ip) = dash_is_empty(f[6])
        && e.add(Field::DestinationIp, ip).is_err()
    {
        e.set_extra("destination.remote", J::String(ip.to_owned()))?;
    }
    if let Some(p) = dash_is_empty(f[7]) {
        e.add(Field::DestinationPort, p)?;
    }
    if let Some(p) = dash_is_empty(f[8]) {
        match crate::event::parse_int(p) {
            Some(port) => e.set_extra("source.local_port", port.into())?,
            None => e.set_extra("source.local_port", J::String(p.to_owned()))?,
        }
    }
    if let Some(p) = dash_is_empty(f[9]) {
        e.add(Field::ProtocolTransport, p)?;
    }
    Ok(Some(e))
}

impl Parser for Cert {
    fn format(&self) -> &'static str {
        "spamhaus-cert"
    }

    fn parse(&self, input: &mut dyn BufRead, ctx: &ParseContext, sink: &mut dyn Sink) -> Result<(), PipelineError> {
        parse::parse_lines(input, ctx, sink, &[';', '#'], |line| cert_line(ctx, line))
    }
}
