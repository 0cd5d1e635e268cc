//! Feeds without a parser of their own: CSV driven by a column mapping in the configuration,
//! and JSON lines whose keys are harmonised names already (IntelMQ's JSON format).

use crate::event::{Field, time_from_epoch};
use crate::parse::{self, ParseContext, Parser, ParserSpec, Sink};
use crate::{Event, PipelineError, Value};
use serde_json::Value as J;
use std::collections::BTreeMap;
use std::io::BufRead;

pub(crate) static SPECS: &[ParserSpec] = &[
    ParserSpec {
        format: "csv",
        description: "any CSV, by a column mapping given in the options (`columns`, `delimiter`, …)",
        build: |v| Ok(Box::new(GenericCsv::new(parse::options("csv", v)?)?)),
    },
    ParserSpec {
        format: "jsonl",
        description: "JSON lines with harmonised keys (IntelMQ's JSON format)",
        build: |_| Ok(Box::new(JsonLines)),
    },
];

/// How the CSV parser reads time columns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeFormat {
    /// Any form [`parse_time`](crate::event::parse_time) reads.
    #[default]
    Auto,
    /// Seconds since 1970.
    Epoch,
    /// Milliseconds since 1970.
    EpochMillis,
    /// Windows file time (100 ns ticks since 1601).
    WindowsNt,
}

/// Options of the generic CSV parser.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsvOptions {
    /// One target per column, in order: a harmonised name, `extra.<name>`, `__IGNORE__`, or
    /// alternatives `source.url|source.fqdn` (the first that accepts the value). Empty: the
    /// header row's names are the targets, through `header_map`.
    #[serde(default)]
    pub columns: Vec<String>,
    /// With an empty `columns`: header name → target; header names not listed are ignored.
    #[serde(default)]
    pub header_map: BTreeMap<String, String>,
    /// The separator, one character (default `,`; `\t` for tabs).
    pub delimiter: Option<String>,
    /// Skip the first non-comment row (a header) when `columns` is given.
    #[serde(default)]
    pub skip_header: bool,
    /// Fields with the same value in every event, such as `classification.type`.
    #[serde(default)]
    pub constant: BTreeMap<String, String>,
    /// A column value → classification.type, for `classification.type` columns.
    #[serde(default)]
    pub type_translation: BTreeMap<String, String>,
    #[serde(default)]
    pub time_format: TimeFormat,
    /// Prefixed to `source.url`/`destination.url` values that have no scheme (default `http://`).
    pub default_url_protocol: Option<String>,
    /// Targets whose values are JSON text to store as JSON (`extra.tags` holding `["a","b"]`).
    #[serde(default)]
    pub json_columns: Vec<String>,
    /// Targets that must have a value; a row without one is quarantined.
    #[serde(default)]
    pub required: Vec<String>,
}

#[derive(Debug, Clone)]
enum Target {
    Ignore,
    Fields(Vec<Field>),
    Extra(String),
}

fn target(name: &str) -> Result<Target, PipelineError> {
    let name = name.trim();
    if name.is_empty() || name == "__IGNORE__" {
        return Ok(Target::Ignore);
    }
    if let Some(k) = name.strip_prefix("extra.") {
        return Ok(Target::Extra(k.to_owned()));
    }
    name.split('|')
        .map(|n| Field::from_name(n.trim()).ok_or_else(|| PipelineError::UnknownField { name: n.trim().to_owned() }))
        .collect::<Result<Vec<_>, _>>()
        .map(Target::Fields)
}

#[derive(Debug)]
pub struct GenericCsv {
    options: CsvOptions,
    columns: Vec<(Target, String)>,
    delimiter: u8,
    constant: Vec<(Field, String)>,
}

fn config(reason: impl Into<String>) -> PipelineError {
    PipelineError::Config { format: "csv", reason: reason.into() }
}

impl GenericCsv {
    pub fn new(options: CsvOptions) -> Result<Self, PipelineError> {
        let delimiter = match options.delimiter.as_deref() {
            None => b',',
            Some("\\t" | "\t") => b'\t',
            Some(d) if d.len() == 1 && d.is_ascii() => d.as_bytes()[0],
            Some(d) => return Err(config(format!("the delimiter is one ASCII character, not {d:?}"))),
        };
        if options.columns.is_empty() && options.header_map.is_empty() {
            return Err(config("give `columns` (one target per column) or `header_map` (header name → target)"));
        }
        let columns = options.columns.iter().map(|c| Ok((target(c)?, c.clone()))).collect::<Result<_, PipelineError>>()?;
        let mut constant = Vec::new();
        for (k, v) in &options.constant {
            let f = Field::from_name(k).ok_or_else(|| PipelineError::UnknownField { name: k.clone() })?;
            let mut probe = Event::default();
            probe.add(f, v)?;
            constant.push((f, v.clone()));
        }
        for t in options.header_map.values() {
            target(t)?;
        }
        Ok(Self { options, columns, delimiter, constant })
    }

    fn add(&self, e: &mut Event, target: &Target, name: &str, value: &str) -> Result<(), PipelineError> {
        let value = value.trim();
        if value.is_empty() {
            return Ok(());
        }
        match target {
            Target::Ignore => Ok(()),
            Target::Extra(k) => {
                let v = if self.options.json_columns.iter().any(|c| c == name) {
                    serde_json::from_str(value).map_err(|e| PipelineError::record(format!("{name}: {e}")))?
                } else {
                    J::String(value.to_owned())
                };
                e.set_extra(k, v).map_err(Into::into)
            }
            Target::Fields(fields) => {
                let mut last = None;
                for f in fields {
                    match self.add_field(e, *f, value) {
                        Ok(()) => return Ok(()),
                        Err(err) => last = Some(err),
                    }
                }
                Err(last.unwrap_or_else(|| PipelineError::record("no target")))
            }
        }
    }

    fn add_field(&self, e: &mut Event, f: Field, value: &str) -> Result<(), PipelineError> {
        match f {
            Field::TimeSource | Field::TimeObservation if self.options.time_format != TimeFormat::Auto => {
                let t = match self.options.time_format {
                    TimeFormat::Epoch => time_from_epoch(value),
                    TimeFormat::EpochMillis => {
                        crate::event::parse_int(value).and_then(chrono::DateTime::from_timestamp_millis)
                    }
                    TimeFormat::WindowsNt => crate::event::parse_int(value)
                        .and_then(|t| chrono::DateTime::from_timestamp(t / 10_000_000 - 11_644_473_600, 0)),
                    TimeFormat::Auto => None,
                }
                .ok_or_else(|| crate::FieldError::new(f.name(), value, "it is not a time in the configured format"))?;
                e.set(f, Value::Time(t)).map_err(Into::into)
            }
            Field::ClassificationType => {
                let t = self.options.type_translation.get(value).map_or(value, String::as_str);
                e.classify_as(t).map_err(Into::into)
            }
            Field::SourceUrl | Field::DestinationUrl if !value.contains("://") => {
                let proto = self.options.default_url_protocol.as_deref().unwrap_or("http://");
                e.add(f, &format!("{proto}{value}")).map_err(Into::into)
            }
            _ => e.add(f, value).map_err(Into::into),
        }
    }

    fn row(&self, ctx: &ParseContext, cols: &[(Target, String)], row: &[&str]) -> Result<Option<Event>, PipelineError> {
        let mut e = ctx.new_event();
        for ((t, name), v) in cols.iter().zip(row) {
            self.add(&mut e, t, name, v)?;
        }
        for (f, v) in &self.constant {
            if *f == Field::ClassificationType {
                e.classify_as(v)?;
            } else {
                e.add(*f, v)?;
            }
        }
        for r in &self.options.required {
            let present = match r.strip_prefix("extra.") {
                Some(k) => e.extra_value(k).is_some(),
                None => Field::from_name(r).is_some_and(|f| e.get(f).is_some()),
            };
            if !present {
                return Err(PipelineError::record(format!("the required {r} is missing")));
            }
        }
        Ok(Some(e))
    }
}

impl Parser for GenericCsv {
    fn format(&self) -> &'static str {
        "csv"
    }

    fn parse(&self, input: &mut dyn BufRead, ctx: &ParseContext, sink: &mut dyn Sink) -> Result<(), PipelineError> {
        let mut reader = parse::csv_reader(input, self.delimiter, &ctx.limits);
        let mut record = csv::ByteRecord::new();
        let mut cols: Option<Vec<(Target, String)>> = (!self.columns.is_empty()).then(|| self.columns.clone());
        let mut skip = self.options.skip_header;
        // The header line, as quarantined records keep it (to be parsed again on their own).
        let mut header: Option<String> = None;
        while parse::next_record(&mut reader, &mut record)? {
            // Comments may follow blanks or empty leading cells.
            let text = record.as_slice();
            let start = text.iter().position(|b| !b.is_ascii_whitespace());
            if start.is_none_or(|i| text[i] == b'#') {
                continue;
            }
            let line = record.position().map_or(0, |p| p.line());
            let raw = parse::record_raw(&record, self.delimiter);
            let Some(columns) = &cols else {
                let mut mapped = Vec::new();
                for h in record.iter() {
                    let h = String::from_utf8_lossy(h).trim().to_owned();
                    let t = self.options.header_map.get(&h).map_or(Ok(Target::Ignore), |t| target(t))?;
                    mapped.push((t, h));
                }
                cols = Some(mapped);
                header = Some(String::from_utf8_lossy(&raw).into_owned());
                continue;
            };
            if skip {
                skip = false;
                header = Some(String::from_utf8_lossy(&raw).into_owned());
                continue;
            }
            let result = parse::field_strs(&record).and_then(|row| {
                let e = self.row(ctx, columns, &row)?;
                Ok(e.map(|mut e| {
                    e.set_raw(&raw);
                    e
                }))
            });
            parse::emit_in(ctx, sink, line, &raw, header.as_deref(), result);
        }
        Ok(())
    }
}

#[derive(Debug)]
pub struct JsonLines;

impl Parser for JsonLines {
    fn format(&self) -> &'static str {
        "jsonl"
    }

    fn parse(&self, input: &mut dyn BufRead, ctx: &ParseContext, sink: &mut dyn Sink) -> Result<(), PipelineError> {
        parse::parse_lines(input, ctx, sink, &[], |line| {
            let J::Object(o) = serde_json::from_str::<J>(line).map_err(PipelineError::json)? else {
                return Err(PipelineError::record("a line is one JSON object"));
            };
            let mut e = ctx.new_event();
            let theirs = Event::from_json(&o)?;
            for (f, v) in theirs.fields() {
                e.set(f, v)?;
            }
            for (k, v) in theirs.extra() {
                e.set_extra(k, v.to_json())?;
            }
            if e.taxonomy().is_none()
                && let Some(t) = e.classification_type()
            {
                e.classify(t);
            }
            Ok(Some(e))
        })
    }
}
