//! CERT-EU's CSV feed: a header row of spaced column names.

use crate::event::Field;
use crate::parse::{self, ParseContext, Parser, ParserSpec, Sink};
use crate::{Event, PipelineError};
use serde_json::Value as J;
use std::io::BufRead;

pub(crate) static SPECS: &[ParserSpec] =
    &[ParserSpec { format: "cert-eu-csv", description: "CERT-EU CSV feed", build: |_| Ok(Box::new(CertEu)) }];

#[derive(Debug)]
pub struct CertEu;

/// CERT-EU column → harmonised field. Columns not listed go to `extra.` (spaces as `_`).
const COLUMNS: &[(&str, Field)] = &[
    ("source ip", Field::SourceIp),
    ("source time", Field::TimeSource),
    ("tlp", Field::Tlp),
    ("description", Field::EventDescriptionText),
    ("protocol", Field::ProtocolTransport),
    ("destination port", Field::DestinationPort),
    ("source cc", Field::SourceGeolocationCc),
    ("source country", Field::SourceGeolocationCountry),
    ("source city", Field::SourceGeolocationCity),
    ("source longitude", Field::SourceGeolocationLongitude),
    ("source latitude", Field::SourceGeolocationLatitude),
    ("source as name", Field::SourceAsName),
    ("source bgp prefix", Field::SourceNetwork),
    ("confidence level", Field::FeedAccuracy),
    ("source asn", Field::SourceAsn),
    ("target", Field::EventDescriptionTarget),
    ("url", Field::SourceUrl),
    ("domain name", Field::SourceFqdn),
    ("source port", Field::SourcePort),
    ("status", Field::Status),
    ("abuse contact", Field::SourceAbuseContact),
    ("feed code", Field::FeedCode),
];

/// CERT-EU `type` → classification.type.
const TYPES: &[(&str, &str)] = &[
    ("malware url", "malware-distribution"),
    ("malware", "infected-system"),
    ("phishing", "phishing"),
    ("botnet drone", "infected-system"),
    ("c&c", "c2-server"),
    ("c2", "c2-server"),
    ("scanner", "scanner"),
    ("brute-force", "brute-force"),
    ("spam", "spam"),
    ("ddos", "ddos"),
    ("vulnerable service", "vulnerable-system"),
    ("exploit", "exploit"),
];

impl Parser for CertEu {
    fn format(&self) -> &'static str {
        "cert-eu-csv"
    }

    fn parse(&self, input: &mut dyn BufRead, ctx: &ParseContext, sink: &mut dyn Sink) -> Result<(), PipelineError> {
        let mut reader = parse::csv_reader(input, b',', &ctx.limits);
        let mut record = csv::ByteRecord::new();
        if !parse::next_record(&mut reader, &mut record)? {
            return Ok(());
        }
        // The header line, as quarantined records keep it (to be parsed again on their own).
        let header_line = String::from_utf8_lossy(&parse::record_raw(&record, b',')).into_owned();
        let header: Vec<String> = record.iter().map(|h| String::from_utf8_lossy(h).trim().to_ascii_lowercase()).collect();
        let targets: Vec<Option<Field>> =
            header.iter().map(|h| COLUMNS.iter().find(|(c, _)| c == h).map(|(_, f)| *f)).collect();
        while parse::next_record(&mut reader, &mut record)? {
            let line = record.position().map_or(0, |p| p.line());
            let raw = parse::record_raw(&record, b',');
            let result = parse::field_strs(&record).and_then(|row| {
                let mut e: Event = ctx.new_event();
                for (i, v) in row.iter().enumerate().filter(|(_, v)| !v.trim().is_empty()) {
                    let Some(name) = header.get(i) else { continue };
                    match targets.get(i).copied().flatten() {
                        Some(f) => e.add(f, v)?,
                        None if name == "type" => {
                            let t = v.trim().to_ascii_lowercase();
                            let kind = TYPES.iter().find(|(k, _)| *k == t).map_or("undetermined", |(_, k)| *k);
                            e.classify_as(kind)?;
                            e.set_extra("cert_eu_type", J::String(v.to_string()))?;
                        }
                        None => e.set_extra(&name.replace(' ', "_"), J::String(v.to_string()))?,
                    }
                }
                if e.classification_type().is_none() {
                    e.classify_as("undetermined")?;
                }
                e.set_raw(&raw);
                Ok(Some(e))
            });
            parse::emit_in(ctx, sink, line, &raw, Some(&header_line), result);
        }
        Ok(())
    }
}
