//! Shadowserver's reports: one data-driven parser for all of them. The report is found from the
//! file name (`2019-01-01-scan_http-country-geo.csv`, as IntelMQ does) or, failing that, from the
//! CSV header; its table row says how each column becomes a harmonised field.

pub mod schema;
mod table;

use crate::event::{Event, FeedMeta, Field, Value, parse_bool, parse_int, parse_ip, sanitize};
use crate::parse::{self, ParseContext, Parser, ParserSpec, Sink};
use crate::PipelineError;
use schema::{Conv, Report, ShadowserverSchema};
use std::io::BufRead;
use std::sync::{Arc, OnceLock};

pub(crate) static SPECS: &[ParserSpec] = &[ParserSpec {
    format: "shadowserver",
    description: "Shadowserver CSV reports (the report is found from the file name or the header)",
    build: |v| Ok(Box::new(ShadowserverParser::from_options(parse::options("shadowserver", v)?)?)),
}];

/// Options of the Shadowserver parser.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShadowserverOptions {
    /// The report, by schema key, feed name or file name, when it is not to be detected.
    pub report: Option<String>,
    /// Keep the configured `feed.name` instead of the report's feed name (IntelMQ: `overwrite`
    /// false keeps it too; here the report's name is used when none is configured).
    #[serde(default)]
    pub keep_feed_name: bool,
}

/// The Shadowserver parser, with the schema it reads reports by.
#[derive(Debug, Clone)]
pub struct ShadowserverParser {
    schema: Arc<ShadowserverSchema>,
    report: Option<String>,
    keep_feed_name: bool,
}

fn compiled() -> Arc<ShadowserverSchema> {
    static COMPILED: OnceLock<Arc<ShadowserverSchema>> = OnceLock::new();
    COMPILED.get_or_init(|| Arc::new(ShadowserverSchema::compiled())).clone()
}

impl ShadowserverParser {
    /// With the compiled table.
    pub fn from_options(o: ShadowserverOptions) -> Result<Self, PipelineError> {
        Self::with_schema(compiled(), o)
    }

    /// With a schema loaded from Shadowserver's file (`cirtkit feed schema update`).
    pub fn with_schema(schema: Arc<ShadowserverSchema>, o: ShadowserverOptions) -> Result<Self, PipelineError> {
        if let Some(r) = &o.report
            && schema.by_name(r).is_none()
        {
            return Err(PipelineError::Config { format: "shadowserver", reason: format!("no report is named {r:?}") });
        }
        Ok(Self { schema, report: o.report, keep_feed_name: o.keep_feed_name })
    }
}

/// A report bound to a file's header: column indexes resolved once.
struct Bound<'a> {
    #[allow(dead_code)] // kept for diagnostics in Debug output
    report: &'a Report,
    header: Vec<String>,
    required: Vec<(Target, usize, Conv)>,
    optional: Vec<(Target, usize, Conv)>,
    constant: Vec<(Field, Value)>,
    /// Columns no mapping reads, which go to `extra.` under their own names.
    unmapped: Vec<usize>,
    col: ColIdx,
}

/// Columns that some conversions read besides their own.
#[derive(Default)]
struct ColIdx {
    host: Option<usize>,
    url: Option<usize>,
    application: Option<usize>,
    category: Option<usize>,
    detail: Option<usize>,
}

#[derive(Debug, Clone)]
enum Target {
    Field(Field),
    Extra(String),
    Ignore,
}

fn target_of(t: &str, column: &str) -> Result<Target, PipelineError> {
    Ok(if t.is_empty() {
        Target::Ignore
    } else if t == "extra." {
        Target::Extra(column.to_owned())
    } else if let Some(k) = t.strip_prefix("extra.") {
        Target::Extra(k.to_owned())
    } else {
        Target::Field(Field::from_name(t).ok_or_else(|| PipelineError::UnknownField { name: t.to_owned() })?)
    })
}

impl<'a> Bound<'a> {
    fn new(report: &'a Report, header: Vec<String>) -> Result<Self, PipelineError> {
        let idx = |c: &str| header.iter().position(|h| h == c);
        let mut used = vec![false; header.len()];
        let mut required = Vec::new();
        for m in &report.required {
            let i = idx(&m.column).ok_or_else(|| PipelineError::Unrecognised {
                reason: format!("the report {} needs the column {:?}, which the header lacks", report.key, m.column),
            })?;
            used[i] = true;
            required.push((target_of(&m.target, &m.column)?, i, m.conv));
        }
        let mut optional = Vec::new();
        for m in &report.optional {
            // A column the file lacks is skipped, as IntelMQ does (it only warns).
            if let Some(i) = idx(&m.column) {
                used[i] = true;
                optional.push((target_of(&m.target, &m.column)?, i, m.conv));
            }
        }
        let mut constant = Vec::new();
        for (k, v) in &report.constant {
            let f = Field::from_name(k).ok_or_else(|| PipelineError::UnknownField { name: k.clone() })?;
            let value = sanitize(f.kind(), v).map_err(|r| crate::error::FieldError::new(k, v, r))?;
            constant.push((f, value));
        }
        let unmapped = (0..header.len()).filter(|i| !used[*i]).collect();
        let col = ColIdx {
            host: idx("cc_dns").or_else(|| idx("http_host")),
            url: idx("url").or_else(|| idx("http_url")),
            application: idx("application"),
            category: idx("category"),
            detail: idx("detail"),
        };
        Ok(Self { report, header, required, optional, constant, unmapped, col })
    }
}

/// The result of one conversion.
enum Converted {
    Drop,
    Text(String),
    Json(serde_json::Value),
}

fn convert(conv: Conv, raw: &str, row: &[&str], col: &ColIdx) -> Result<Converted, String> {
    use Converted as C;
    let cell = |i: Option<usize>| i.and_then(|i| row.get(i).copied()).unwrap_or("");
    Ok(match conv {
        Conv::None => C::Text(raw.to_owned()),
        Conv::AddUtc => C::Text(raw.to_owned()),
        Conv::Date | Conv::DateUtc => match crate::event::parse_time(raw) {
            Some(t) => C::Text(crate::event::format_time(&t)),
            None if raw.is_empty() => C::Drop,
            None => return Err(format!("{raw:?} is not a date")),
        },
        Conv::Bool => parse_bool(raw).map_or(C::Drop, |b| C::Json(b.into())),
        Conv::ToNone => {
            if raw.is_empty() || raw == "0" || raw == "unknown" {
                C::Drop
            } else {
                C::Text(raw.to_owned())
            }
        }
        Conv::Int | Conv::NonZero => {
            if raw.is_empty() {
                C::Drop
            } else {
                let i = parse_int(raw).ok_or_else(|| format!("{raw:?} is not a whole number"))?;
                if conv == Conv::NonZero && i == 0 { C::Drop } else { C::Json(i.into()) }
            }
        }
        Conv::Float => {
            if raw.is_empty() {
                C::Drop
            } else {
                let f: f64 = raw.trim().parse().map_err(|_| format!("{raw:?} is not a number"))?;
                serde_json::Number::from_f64(f).map_or(C::Drop, |n| C::Json(serde_json::Value::Number(n)))
            }
        }
        Conv::Ip => match parse_ip(raw) {
            Some(ip) if !raw.contains('/') && !ip.is_unspecified() => C::Text(raw.to_owned()),
            _ => C::Drop,
        },
        Conv::Network => {
            if raw.contains('/') && sanitize(crate::event::Kind::Network, raw).is_ok() {
                C::Text(raw.to_owned())
            } else {
                C::Drop
            }
        }
        Conv::Fqdn => {
            if !raw.is_empty() && sanitize(crate::event::Kind::Fqdn, raw).is_ok() {
                C::Text(raw.to_owned())
            } else {
                C::Drop
            }
        }
        Conv::Base64 => {
            use base64::Engine;
            if raw.is_empty() {
                C::Drop
            } else if base64::engine::general_purpose::STANDARD.decode(raw).is_ok() {
                C::Text(raw.to_owned())
            } else {
                C::Text(base64::engine::general_purpose::STANDARD.encode(raw))
            }
        }
        Conv::HttpUrl => {
            let host = cell(col.host);
            let path = cell(col.url);
            if !host.is_empty() && !path.is_empty() {
                // The path column holds a path or a whole request line ("GET /x HTTP/1.1").
                let from_slash = path.find('/').map_or("", |i| &path[i..]);
                let path = from_slash.split(char::is_whitespace).next().unwrap_or("");
                let app = match cell(col.application) {
                    a @ ("http" | "https") => a,
                    _ => "http",
                };
                C::Text(format!("{app}://{host}{path}"))
            } else {
                C::Text(raw.to_owned())
            }
        }
        Conv::Cve => {
            let mut cves: Vec<String> = raw
                .split([';', ','])
                .map(|t| t.trim().to_ascii_lowercase())
                .filter(|t| {
                    t.strip_prefix("cve-")
                        .and_then(|r| r.split_once('-'))
                        .is_some_and(|(y, n)| !y.is_empty() && !n.is_empty() && (y.to_owned() + n).bytes().all(|b| b.is_ascii_digit()))
                })
                .collect();
            cves.sort();
            cves.dedup();
            if cves.is_empty() { C::Drop } else { C::Text(cves.join(";")) }
        }
        Conv::CategoryOrDetail => {
            let c = cell(col.category);
            C::Text(if c.is_empty() { cell(col.detail).to_owned() } else { c.to_owned() })
        }
        Conv::ExchangeTaxonomy => C::Text(if raw == "exchange;webshell" { "intrusions" } else { "vulnerable" }.into()),
        Conv::ExchangeType => {
            C::Text(if raw == "exchange;webshell" { "system-compromise" } else { "vulnerable-system" }.into())
        }
        Conv::ExchangeIdentifier => C::Text(
            if raw == "exchange;webshell" { "exchange-server-webshell" } else { "vulnerable-exchange-server" }.into(),
        ),
    })
}

fn to_text(c: &Converted) -> Option<std::borrow::Cow<'_, str>> {
    match c {
        Converted::Drop => None,
        Converted::Text(s) => Some(s.as_str().into()),
        Converted::Json(serde_json::Value::String(s)) => Some(s.as_str().into()),
        Converted::Json(j) => Some(j.to_string().into()),
    }
}

impl Bound<'_> {
    fn event(&self, ctx: &ParseContext, feed: &Arc<FeedMeta>, row: &[&str]) -> Result<Event, PipelineError> {
        let mut e = Event::for_feed(feed.clone());
        e.put(Field::TimeObservation, Value::Time(ctx.observed));
        let mut extra_from_rest = vec![false; self.header.len()];
        for (target, i, conv) in &self.required {
            let raw = row.get(*i).copied().unwrap_or("");
            let c = convert(*conv, raw, row, &self.col)
                .map_err(|r| PipelineError::record(format!("column {:?}: {r}", self.header[*i])))?;
            match (&target, to_text(&c)) {
                (_, None) => extra_from_rest[*i] = true,
                (Target::Field(f), Some(text)) => e.add(*f, &text)?,
                (Target::Extra(k), Some(_)) => set_extra(&mut e, k, c)?,
                (Target::Ignore, Some(_)) => {}
            }
        }
        for (target, i, conv) in &self.optional {
            let raw = row.get(*i).copied().unwrap_or("");
            if raw.is_empty() && !matches!(conv, Conv::HttpUrl | Conv::CategoryOrDetail) {
                continue;
            }
            let c = convert(*conv, raw, row, &self.col)
                .map_err(|r| PipelineError::record(format!("column {:?}: {r}", self.header[*i])))?;
            let Some(text) = to_text(&c) else { continue };
            match target {
                Target::Field(f) => {
                    // A value the field refuses stays in extra under the column's name (IntelMQ).
                    if text.is_empty() || e.add(*f, &text).is_err() {
                        extra_from_rest[*i] = true;
                    }
                }
                Target::Extra(k) => set_extra(&mut e, k, c)?,
                Target::Ignore => {}
            }
        }
        for (f, v) in &self.constant {
            e.put(*f, v.clone());
        }
        for i in self.unmapped.iter().copied().chain((0..self.header.len()).filter(|i| extra_from_rest[*i])) {
            if let Some(v) = row.get(i).filter(|v| !v.is_empty()) {
                e.set_extra(&self.header[i], serde_json::Value::String((*v).to_owned()))?;
            }
        }
        Ok(e)
    }
}

fn set_extra(e: &mut Event, key: &str, c: Converted) -> Result<(), PipelineError> {
    let v = match c {
        Converted::Drop => return Ok(()),
        Converted::Text(s) => serde_json::Value::String(s),
        Converted::Json(j) => j,
    };
    e.set_extra(key, v).map_err(Into::into)
}

impl Parser for ShadowserverParser {
    fn format(&self) -> &'static str {
        "shadowserver"
    }

    fn parse(&self, input: &mut dyn BufRead, ctx: &ParseContext, sink: &mut dyn Sink) -> Result<(), PipelineError> {
        let mut reader = parse::csv_reader(input, b',', &ctx.limits);
        let mut record = csv::ByteRecord::new();
        if !parse::next_record(&mut reader, &mut record)? {
            return Ok(());
        }
        let header: Vec<String> = record
            .iter()
            .map(|h| String::from_utf8_lossy(h).trim().trim_start_matches('\u{feff}').to_owned())
            .collect();
        let report = match (&self.report, ctx.file_name.as_deref().and_then(|n| self.schema.by_path(n))) {
            (Some(name), _) => self.schema.by_name(name),
            (None, Some(r)) => Some(r),
            (None, None) => {
                let cols: Vec<&str> = header.iter().map(String::as_str).collect();
                Some(self.schema.by_header(&cols).map_err(|reason| PipelineError::Unrecognised {
                    reason: format!(
                        "no Shadowserver report is named in {:?} and the header does not tell: {reason}",
                        ctx.file_name.as_deref().unwrap_or("")
                    ),
                })?)
            }
        }
        .ok_or_else(|| PipelineError::Unrecognised { reason: "the report is not in the schema".into() })?;
        let bound = Bound::new(report, header)?;
        let feed = if self.keep_feed_name && ctx.feed.name.is_some() {
            ctx.feed.clone()
        } else {
            Arc::new(FeedMeta { name: Some(report.feed_name.as_str().into()), ..(*ctx.feed).clone() })
        };
        loop {
            if !parse::next_record(&mut reader, &mut record)? {
                return Ok(());
            }
            let line = record.position().map_or(0, |p| p.line());
            let raw = parse::record_raw(&record, b',');
            let result = parse::field_strs(&record).and_then(|row| {
                let mut e = bound.event(ctx, &feed, &row)?;
                e.set_raw(&raw);
                Ok(Some(e))
            });
            parse::emit(ctx, sink, line, &raw, result);
        }
    }
}
