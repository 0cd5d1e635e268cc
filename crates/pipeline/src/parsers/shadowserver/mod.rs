//! Shadowserver's reports: one data-driven parser for all of them. The report is found from the
//! file name (`2019-01-01-scan_http-country-geo.csv`, as IntelMQ does) or, failing that, from the
//! CSV header; its table row says how each column becomes a harmonised field.

pub mod schema;
mod table;

use crate::csv_records::{CsvRecords, Row};
use crate::error::FieldError;
use crate::event::{Event, ExtraKey, Kind, StoredExtra, FeedMeta, Field, Value, parse_bool, parse_int, parse_ip, sanitize};
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

/// A report bound to a file's header: column indexes and `extra.*` keys resolved once.
struct Bound<'a> {
    #[allow(dead_code)] // kept for diagnostics in Debug output
    report: &'a Report,
    header: Vec<String>,
    /// Every `extra.*` key an event of this file can get, sorted: values are collected in this
    /// order and added to the event at the end, without searching.
    keys: Vec<ExtraKey>,
    /// Each column's own name as a slot of `keys` (the error when it cannot be a key).
    column_keys: Vec<Result<usize, FieldError>>,
    required: Vec<(Target, usize, Conv)>,
    optional: Vec<(Target, usize, Conv)>,
    constant: Vec<(Field, Value)>,
    /// Columns no mapping reads, which go to `extra.` under their own names.
    unmapped: Vec<usize>,
    /// The most harmonised fields an event can get: room reserved once, small enough for the
    /// allocator's fast path (reserving for every column would not be).
    field_capacity: usize,
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
    /// An `extra.*` key, by its slot in [`Bound::keys`].
    Extra(usize),
    Ignore,
}

fn target_of(t: &str, column: &str, keys: &mut Vec<ExtraKey>) -> Result<Target, PipelineError> {
    let mut slot = |k: &str| -> Result<Target, PipelineError> {
        let key = ExtraKey::new(k)?;
        Ok(Target::Extra(keys.iter().position(|x| *x == key).unwrap_or_else(|| {
            keys.push(key);
            keys.len() - 1
        })))
    };
    Ok(if t.is_empty() {
        Target::Ignore
    } else if t == "extra." {
        slot(column)?
    } else if let Some(k) = t.strip_prefix("extra.") {
        slot(k)?
    } else {
        Target::Field(Field::from_name(t).ok_or_else(|| PipelineError::UnknownField { name: t.to_owned() })?)
    })
}

impl<'a> Bound<'a> {
    fn new(report: &'a Report, header: Vec<String>) -> Result<Self, PipelineError> {
        let idx = |c: &str| header.iter().position(|h| h == c);
        let mut used = vec![false; header.len()];
        // Slots in order of appearance first, sorted below.
        let mut keys: Vec<ExtraKey> = Vec::new();
        let mut required = Vec::new();
        for m in &report.required {
            let i = idx(&m.column).ok_or_else(|| PipelineError::Unrecognised {
                reason: format!("the report {} needs the column {:?}, which the header lacks", report.key, m.column),
            })?;
            used[i] = true;
            required.push((target_of(&m.target, &m.column, &mut keys)?, i, m.conv));
        }
        let mut optional = Vec::new();
        for m in &report.optional {
            // A column the file lacks is skipped, as IntelMQ does (it only warns).
            if let Some(i) = idx(&m.column) {
                used[i] = true;
                optional.push((target_of(&m.target, &m.column, &mut keys)?, i, m.conv));
            }
        }
        let mut constant = Vec::new();
        for (k, v) in &report.constant {
            let f = Field::from_name(k).ok_or_else(|| PipelineError::UnknownField { name: k.clone() })?;
            let value = sanitize(f.kind(), v).map_err(|r| FieldError::new(k, v, r))?;
            constant.push((f, value));
        }
        let unmapped: Vec<usize> = (0..header.len()).filter(|i| !used[*i]).collect();
        let col = ColIdx {
            host: idx("cc_dns").or_else(|| idx("http_host")),
            url: idx("url").or_else(|| idx("http_url")),
            application: idx("application"),
            category: idx("category"),
            detail: idx("detail"),
        };
        let column_keys: Vec<Result<usize, FieldError>> = header
            .iter()
            .map(|h| {
                let key = ExtraKey::new(h)?;
                Ok(keys.iter().position(|x| *x == key).unwrap_or_else(|| {
                    keys.push(key);
                    keys.len() - 1
                }))
            })
            .collect();
        // Sort the keys and renumber every slot.
        let mut order: Vec<usize> = (0..keys.len()).collect();
        order.sort_by(|a, b| keys[*a].cmp(&keys[*b]));
        let mut rank = vec![0; keys.len()];
        for (r, old) in order.iter().enumerate() {
            rank[*old] = r;
        }
        let keys: Vec<ExtraKey> = order.iter().map(|i| keys[*i].clone()).collect();
        for (t, _, _) in required.iter_mut().chain(optional.iter_mut()) {
            if let Target::Extra(slot) = t {
                *slot = rank[*slot];
            }
        }
        let column_keys = column_keys.into_iter().map(|r| r.map(|slot| rank[slot])).collect();
        let field_capacity = required.iter().chain(&optional).filter(|(t, _, _)| matches!(t, Target::Field(_))).count()
            + constant.len();
        Ok(Self { report, header, keys, column_keys, required, optional, constant, unmapped, field_capacity, col })
    }
}

/// The result of one conversion: mostly the cell itself, borrowed.
enum Converted<'r> {
    Drop,
    Cell(&'r str),
    /// An address cell, already read.
    Ip(&'r str, std::net::IpAddr),
    Text(String),
    Json(serde_json::Value),
}

fn convert<'r>(conv: Conv, raw: &'r str, row: &Row<'r>, col: &ColIdx) -> Result<Converted<'r>, String> {
    use Converted as C;
    let cell = |i: Option<usize>| i.and_then(|i| row.get(i)).unwrap_or("");
    Ok(match conv {
        Conv::None | Conv::AddUtc => C::Cell(raw),
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
                C::Cell(raw)
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
            Some(ip) if !raw.as_bytes().contains(&b'/') && !ip.is_unspecified() => C::Ip(raw, ip),
            _ => C::Drop,
        },
        Conv::Network => {
            if raw.contains('/') && sanitize(crate::event::Kind::Network, raw).is_ok() {
                C::Cell(raw)
            } else {
                C::Drop
            }
        }
        Conv::Fqdn => {
            if !raw.is_empty() && sanitize(crate::event::Kind::Fqdn, raw).is_ok() {
                C::Cell(raw)
            } else {
                C::Drop
            }
        }
        Conv::Base64 => {
            use base64::Engine;
            if raw.is_empty() {
                C::Drop
            } else if base64::engine::general_purpose::STANDARD.decode(raw).is_ok() {
                C::Cell(raw)
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
                C::Cell(raw)
            }
        }
        Conv::Cve => {
            // Tags are checked in place; only CVE identifiers are copied (lower-cased).
            let is_cve = |t: &str| {
                t.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("cve-"))
                    && t[4..].split_once('-').is_some_and(|(y, n)| {
                        !y.is_empty() && !n.is_empty() && y.bytes().chain(n.bytes()).all(|b| b.is_ascii_digit())
                    })
            };
            let mut cves: Vec<String> =
                raw.split([';', ',']).map(str::trim).filter(|t| is_cve(t)).map(str::to_ascii_lowercase).collect();
            cves.sort();
            cves.dedup();
            if cves.is_empty() { C::Drop } else { C::Text(cves.join(";")) }
        }
        Conv::CategoryOrDetail => {
            let c = cell(col.category);
            C::Cell(if c.is_empty() { cell(col.detail) } else { c })
        }
        Conv::ExchangeTaxonomy => C::Cell(if raw == "exchange;webshell" { "intrusions" } else { "vulnerable" }),
        Conv::ExchangeType => C::Cell(if raw == "exchange;webshell" { "system-compromise" } else { "vulnerable-system" }),
        Conv::ExchangeIdentifier => {
            C::Cell(if raw == "exchange;webshell" { "exchange-server-webshell" } else { "vulnerable-exchange-server" })
        }
    })
}

fn to_text<'c>(c: &'c Converted<'_>) -> Option<std::borrow::Cow<'c, str>> {
    match c {
        Converted::Drop => None,
        Converted::Cell(s) | Converted::Ip(s, _) => Some((*s).into()),
        Converted::Text(s) => Some(s.as_str().into()),
        Converted::Json(serde_json::Value::String(s)) => Some(s.as_str().into()),
        Converted::Json(j) => Some(j.to_string().into()),
    }
}

impl Bound<'_> {
    /// The event of one row. `scratch` is reused from row to row.
    fn event(
        &self,
        ctx: &ParseContext,
        feed: &Arc<FeedMeta>,
        row: &Row<'_>,
        scratch: &mut RowScratch,
    ) -> Result<Event, PipelineError> {
        let mut e = Event::for_feed(feed.clone());
        e.reserve_fields(self.field_capacity);
        // Extra text is at most the row's text (conversions such as dates add a little).
        e.reserve_extra_text(row.text_len() + 64);
        e.put(Field::TimeObservation, Value::Time(ctx.observed));
        let RowScratch { to_extra, extras, recent } = scratch;
        if recent.len() != self.optional.len() {
            *recent = vec![(String::new(), None); self.optional.len()];
        }
        to_extra.clear();
        to_extra.resize(self.header.len(), false);
        extras.clear();
        extras.resize(self.keys.len(), None);
        for (target, i, conv) in &self.required {
            let raw = row.get(*i).unwrap_or("");
            let c = convert(*conv, raw, row, &self.col)
                .map_err(|r| PipelineError::record(format!("column {:?}: {r}", self.header[*i])))?;
            match (&target, &c) {
                (_, Converted::Drop) => to_extra[*i] = true,
                (Target::Field(f), Converted::Cell(text)) => e.add(*f, text)?,
                (Target::Field(f), Converted::Ip(text, ip)) => e.add_ip(*f, *ip, text)?,
                (Target::Field(f), Converted::Json(serde_json::Value::Number(n))) if n.is_i64() => {
                    e.add_int(*f, n.as_i64().unwrap_or_default())?
                }
                (Target::Field(f), _) => {
                    if let Some(text) = to_text(&c) {
                        e.add(*f, &text)?;
                    }
                }
                (Target::Extra(slot), _) => set_extra(&mut e, extras, *slot, c),
                (Target::Ignore, _) => {}
            }
        }
        for (k, (target, i, conv)) in self.optional.iter().enumerate() {
            let raw = row.get(*i).unwrap_or("");
            if raw.is_empty() && !matches!(conv, Conv::HttpUrl | Conv::CategoryOrDetail) {
                continue;
            }
            let c = convert(*conv, raw, row, &self.col)
                .map_err(|r| PipelineError::record(format!("column {:?}: {r}", self.header[*i])))?;
            match target {
                Target::Field(f) => {
                    // A value the field refuses stays in extra under the column's name (IntelMQ).
                    let refused = match &c {
                        Converted::Json(serde_json::Value::Number(n)) if n.is_i64() => {
                            e.add_int(*f, n.as_i64().unwrap_or_default()).is_err()
                        }
                        Converted::Ip(text, ip) => e.add_ip(*f, *ip, text).is_err(),
                        Converted::Cell(text) if matches!(f.kind(), Kind::Text | Kind::Lower | Kind::Upper) => {
                            // Regions, cities, tags repeat from row to row: the value of the
                            // same text is shared, not sanitised and allocated again. Kept per
                            // mapping, not per column: one column may feed two fields of different
                            // kinds (`infection` is a classification identifier and a lower-cased
                            // malware name).
                            let (last, value) = &mut recent[k];
                            if last != text {
                                last.clear();
                                last.push_str(text);
                                *value = sanitize(f.kind(), text).ok();
                            }
                            match value {
                                Some(v) => {
                                    e.put(*f, v.clone());
                                    false
                                }
                                None => true,
                            }
                        }
                        _ => {
                            let Some(text) = to_text(&c) else { continue };
                            text.is_empty() || e.add(*f, &text).is_err()
                        }
                    };
                    if refused {
                        to_extra[*i] = true;
                    }
                }
                Target::Extra(slot) => set_extra(&mut e, extras, *slot, c),
                Target::Ignore => {}
            }
        }
        for (f, v) in &self.constant {
            e.put(*f, v.clone());
        }
        let refused = to_extra.iter().enumerate().filter(|(_, r)| **r).map(|(i, _)| i);
        for i in self.unmapped.iter().copied().chain(refused) {
            if let Some(v) = row.get(i).filter(|v| !v.is_empty()) {
                let slot = *self.column_keys[i].as_ref().map_err(Clone::clone)?;
                extras[slot] = Some(e.store_extra_text(v));
            }
        }
        e.reserve_extra(extras.iter().filter(|v| v.is_some()).count());
        e.add_sorted_extras(self.keys.iter().zip(extras.iter_mut()).filter_map(|(k, v)| Some((k, v.take()?))));
        Ok(e)
    }
}

/// Buffers that every row reuses.
#[derive(Default)]
struct RowScratch {
    /// The columns whose value a field refused, kept under `extra.<column>`.
    to_extra: Vec<bool>,
    /// The row's `extra.*` values, by slot of [`Bound::keys`], stored in the event already.
    extras: Vec<Option<StoredExtra>>,
    /// By optional mapping: the last text its text field read, and its value (`None`: refused).
    recent: Vec<(String, Option<Value>)>,
}

fn set_extra(e: &mut Event, extras: &mut [Option<StoredExtra>], slot: usize, c: Converted<'_>) {
    extras[slot] = match c {
        Converted::Drop => return,
        Converted::Cell(s) | Converted::Ip(s, _) => Some(e.store_extra_text(s)),
        Converted::Text(s) => Some(e.store_extra_text(&s)),
        Converted::Json(j) => Some(StoredExtra::Json(j)),
    };
}

impl Parser for ShadowserverParser {
    fn format(&self) -> &'static str {
        "shadowserver"
    }

    fn parse(&self, input: &mut dyn BufRead, ctx: &ParseContext, sink: &mut dyn Sink) -> Result<(), PipelineError> {
        let mut records = CsvRecords::new(input, b',', ctx.limits.max_line);
        if !records.next_record()? {
            return Ok(());
        }
        // The header line, as quarantined records keep it (to be parsed again on their own).
        let header_line = String::from_utf8_lossy(records.raw()).into_owned();
        let header: Vec<String> = (0..records.len())
            .filter_map(|i| records.field(i))
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
        let mut scratch = RowScratch::default();
        while records.next_record()? {
            let result = records.row().and_then(|row| {
                let mut e = bound.event(ctx, &feed, &row, &mut scratch)?;
                e.set_raw(records.raw());
                Ok(Some(e))
            });
            parse::emit_in(ctx, sink, records.record_line(), records.raw(), Some(&header_line), result);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::{Collected, FeedMeta, ParseContext, ingest, parser_for};

    /// One column may feed two fields of different kinds: `infection` is the classification
    /// identifier as written and the malware name lower-cased, on every row, also when the
    /// text repeats (found by the `feed_parse` fuzz target: the second field took the first's
    /// value from the cache of repeated texts).
    #[test]
    fn a_column_feeding_two_fields_is_sanitised_for_each() {
        let parser = parser_for("shadowserver", &serde_json::Value::Null).unwrap();
        let csv = "timestamp,src_ip,src_port,infection\n\
                   2026-01-01 00:00:00,192.0.2.1,1234,FREMONT\n\
                   2026-01-01 00:00:01,192.0.2.2,1235,FREMONT\n";
        let ctx = ParseContext::with_feed(FeedMeta::default(), chrono::DateTime::UNIX_EPOCH)
            .with_file_name("2026-01-01-event4_microsoft_sinkhole_http-xx.csv");
        let mut out = Collected::default();
        ingest(&*parser, &mut csv.as_bytes(), &ctx, &mut out).unwrap();
        assert_eq!(out.events.len(), 2, "{:?}", out.quarantined);
        for e in &out.events {
            let v: serde_json::Value = serde_json::from_str(&e.to_json_line()).unwrap();
            assert_eq!((v["classification.identifier"].as_str(), v["malware.name"].as_str()), (Some("FREMONT"), Some("fremont")));
        }
    }
}
