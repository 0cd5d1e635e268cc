//! The Shadowserver report schema: which report a file is, and how each of its columns becomes a
//! harmonised field. Compiled in for the common reports ([`super::table`]); the full schema that
//! Shadowserver publishes for IntelMQ is loaded at run time by [`ShadowserverSchema::from_json`].

use crate::PipelineError;
use std::collections::HashMap;
use std::io::Read;

/// How a column's text is converted before it is stored (Shadowserver's names in brackets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Conv {
    /// Stored as it is, through the field's sanitation.
    None,
    /// A time without zone, taken as UTC (`add_UTC_to_timestamp`).
    AddUtc,
    /// `y`/`yes`/`true`/`enabled`/`1` and their opposites; anything else is dropped (`convert_bool`).
    Bool,
    /// Empty, `0` and `unknown` are dropped (`validate_to_none`).
    ToNone,
    /// A whole number; empty is dropped (`convert_int`).
    Int,
    /// A number; empty is dropped (`convert_float`).
    Float,
    /// The host column and the path (or request line) make one URL (`convert_http_host_and_url`).
    HttpUrl,
    /// A whole number; empty and zero are dropped (`invalidate_zero`).
    NonZero,
    /// An address; `0.0.0.0`, networks and invalid values are dropped (`validate_ip`).
    Ip,
    /// A network; plain addresses and invalid values are dropped (`validate_network`).
    Network,
    /// A host name; invalid values are dropped (`validate_fqdn`).
    Fqdn,
    /// A date and time in any form (`convert_date`).
    Date,
    /// A date and time without zone, taken as UTC (`convert_date_utc`).
    DateUtc,
    /// Base64, encoding the text when it is not already (`force_base64`).
    Base64,
    /// The CVE identifiers among the tags, sorted and joined by `;` (`extract_cve_from_tag`).
    Cve,
    /// The `category` column, or the `detail` column when it is empty (`category_or_detail`).
    CategoryOrDetail,
    /// `intrusions` for a web shell, else `vulnerable` (`scan_exchange_taxonomy`).
    ExchangeTaxonomy,
    /// `system-compromise` for a web shell, else `vulnerable-system` (`scan_exchange_type`).
    ExchangeType,
    /// `exchange-server-webshell` or `vulnerable-exchange-server` (`scan_exchange_identifier`).
    ExchangeIdentifier,
}

impl Conv {
    fn from_name(name: &str) -> Option<Conv> {
        Some(match name {
            "add_UTC_to_timestamp" => Conv::AddUtc,
            "convert_bool" => Conv::Bool,
            "validate_to_none" => Conv::ToNone,
            "convert_int" => Conv::Int,
            "convert_float" => Conv::Float,
            "convert_http_host_and_url" => Conv::HttpUrl,
            "invalidate_zero" => Conv::NonZero,
            "validate_ip" => Conv::Ip,
            "validate_network" => Conv::Network,
            "validate_fqdn" => Conv::Fqdn,
            "convert_date" => Conv::Date,
            "convert_date_utc" => Conv::DateUtc,
            "force_base64" => Conv::Base64,
            "extract_cve_from_tag" => Conv::Cve,
            "category_or_detail" => Conv::CategoryOrDetail,
            "scan_exchange_taxonomy" => Conv::ExchangeTaxonomy,
            "scan_exchange_type" => Conv::ExchangeType,
            "scan_exchange_identifier" => Conv::ExchangeIdentifier,
            _ => return None,
        })
    }
}

/// One column mapping of the compiled table: (harmonised target, column, conversion). A target
/// of `extra.` keeps the column's own name under `extra.`; an empty target ignores the column.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StaticMapping(pub &'static str, pub &'static str, pub Conv);

/// One report of the compiled table.
#[derive(Debug)]
pub(crate) struct StaticReport {
    pub key: &'static str,
    pub file_name: &'static str,
    pub feed_name: &'static str,
    pub constant: &'static [(&'static str, &'static str)],
    pub required: &'static [StaticMapping],
    pub optional: &'static [StaticMapping],
}

/// One column mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    /// The harmonised target: a field name, `extra.<name>`, `extra.` (the column's own name
    /// under `extra.`), or empty (the column is ignored).
    pub target: String,
    pub column: String,
    pub conv: Conv,
}

/// One Shadowserver report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The schema's key, such as `event_sinkhole_http`.
    pub key: String,
    /// What the report's files are named after the date: `event4_sinkhole_http`.
    pub file_name: String,
    /// Shadowserver's name of the feed: `Sinkhole-Events-HTTP IPv4`.
    pub feed_name: String,
    /// Fields with the same value in every event (classification, protocol).
    pub constant: Vec<(String, String)>,
    pub required: Vec<Mapping>,
    pub optional: Vec<Mapping>,
}

impl Report {
    /// Every column the report reads.
    pub fn columns(&self) -> impl Iterator<Item = &str> {
        self.required.iter().chain(&self.optional).map(|m| m.column.as_str())
    }
}

/// A set of reports, found by file name or feed name.
#[derive(Debug, Clone, Default)]
pub struct ShadowserverSchema {
    reports: Vec<Report>,
    by_file_name: HashMap<String, usize>,
    /// When the schema was made, from its `_meta`, if it says.
    pub created: Option<String>,
}

fn owned(m: &StaticMapping) -> Mapping {
    Mapping { target: m.0.to_owned(), column: m.1.to_owned(), conv: m.2 }
}

impl ShadowserverSchema {
    /// The reports compiled into cirtkit.
    pub fn compiled() -> Self {
        let reports = super::table::REPORTS
            .iter()
            .map(|r| Report {
                key: r.key.to_owned(),
                file_name: r.file_name.to_owned(),
                feed_name: r.feed_name.to_owned(),
                constant: r.constant.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
                required: r.required.iter().map(owned).collect(),
                optional: r.optional.iter().map(owned).collect(),
            })
            .collect();
        Self::from_reports(reports, None)
    }

    fn from_reports(reports: Vec<Report>, created: Option<String>) -> Self {
        let by_file_name = reports.iter().enumerate().map(|(i, r)| (r.file_name.clone(), i)).collect();
        Self { reports, by_file_name, created }
    }

    /// Reads the schema in the JSON form Shadowserver publishes for IntelMQ (an object of
    /// reports, each with `file_name`, `feed_name`, `constant_fields`, `required_fields`,
    /// `optional_fields`). Refuses the whole file if one report is malformed, naming it.
    pub fn from_json(reader: impl Read, max_bytes: usize) -> Result<Self, PipelineError> {
        let mut bytes = Vec::new();
        reader.take(max_bytes as u64 + 1).read_to_end(&mut bytes).map_err(|e| PipelineError::from_io(&e))?;
        if bytes.len() > max_bytes {
            return Err(PipelineError::TooLarge { what: "the schema file", limit: max_bytes as u64 });
        }
        let doc: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| PipelineError::Schema { reason: e.to_string() })?;
        let serde_json::Value::Object(map) = doc else {
            return Err(PipelineError::Schema { reason: "the file is not a JSON object of reports".into() });
        };
        let mut created = None;
        let mut reports = Vec::with_capacity(map.len());
        for (key, r) in &map {
            if key == "_meta" {
                created = r.get("date_created").and_then(|d| d.as_str()).map(str::to_owned);
                continue;
            }
            reports.push(report_from_json(key, r).map_err(|reason| PipelineError::Schema { reason: format!("report {key}: {reason}") })?);
        }
        if reports.is_empty() {
            return Err(PipelineError::Schema { reason: "it holds no report".into() });
        }
        Ok(Self::from_reports(reports, created))
    }

    pub fn reports(&self) -> &[Report] {
        &self.reports
    }

    pub fn by_file_name(&self, name: &str) -> Option<&Report> {
        self.by_file_name.get(name).map(|i| &self.reports[*i])
    }

    /// By the schema key, Shadowserver's feed name, or the file name.
    pub fn by_name(&self, name: &str) -> Option<&Report> {
        self.reports.iter().find(|r| r.key == name || r.feed_name == name).or_else(|| self.by_file_name(name))
    }

    /// The report of a file named like `2019-01-01-scan_http-country-geo.csv` (IntelMQ's rule:
    /// an optional date, then the report name up to the first `-`).
    pub fn by_path(&self, path: &str) -> Option<&Report> {
        self.by_file_name(&report_name_of(path)?)
    }

    /// The report whose columns best match a header: every required column present, the most
    /// columns in common. `Err` names the candidates when two different reports tie.
    pub fn by_header(&self, header: &[&str]) -> Result<&Report, String> {
        let mut best: Vec<(&Report, usize)> = Vec::new();
        for r in &self.reports {
            if !r.required.iter().all(|m| header.contains(&m.column.as_str())) {
                continue;
            }
            let mut cols: Vec<&str> = r.columns().collect();
            cols.sort_unstable();
            cols.dedup();
            let common = cols.iter().filter(|c| header.contains(c)).count();
            let score = common * 1000 / (cols.len() + header.len() - common).max(1);
            // Fewer than half the columns in common is a different report, not a variant.
            if score < 500 {
                continue;
            }
            match best.first() {
                Some((_, s)) if score < *s => {}
                Some((_, s)) if score == *s => best.push((r, score)),
                _ => best = vec![(r, score)],
            }
        }
        match best.as_slice() {
            [] => Err("no known report has these columns".into()),
            [(r, _)] => Ok(r),
            many => {
                let first = many[0].0;
                if many.iter().all(|(r, _)| r.constant == first.constant) {
                    // The same report for IPv4 and IPv6 (scan_x and scan6_x): IPv4 is the default.
                    Ok(many.iter().map(|(r, _)| *r).find(|r| !r.key.contains('6')).unwrap_or(first))
                } else {
                    Err(format!(
                        "the columns fit several reports equally ({}); name the report in the parser's options",
                        many.iter().map(|(r, _)| r.key.as_str()).collect::<Vec<_>>().join(", ")
                    ))
                }
            }
        }
    }
}

/// The report name in a Shadowserver file name, by IntelMQ's rule.
pub fn report_name_of(path: &str) -> Option<String> {
    let base = path.rsplit(['/', '\\']).next()?;
    let stem = base.strip_suffix(".csv").or_else(|| base.strip_suffix(".CSV")).unwrap_or(base);
    let b = stem.as_bytes();
    let dated = b.len() > 11
        && b[..10].iter().enumerate().all(|(i, c)| if i == 4 || i == 7 { *c == b'-' } else { c.is_ascii_digit() })
        && b[10] == b'-';
    let rest = if dated { &stem[11..] } else { stem };
    let name = rest.split('-').next()?;
    (!name.is_empty() && name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')).then(|| name.to_owned())
}

fn report_from_json(key: &str, r: &serde_json::Value) -> Result<Report, String> {
    let text = |name: &str| r.get(name).and_then(|v| v.as_str()).map(str::to_owned).ok_or(format!("no {name}"));
    let constant = match r.get("constant_fields") {
        Some(serde_json::Value::Object(m)) => m
            .iter()
            .map(|(k, v)| Ok((k.clone(), v.as_str().ok_or(format!("constant {k} is not text"))?.to_owned())))
            .collect::<Result<Vec<_>, String>>()?,
        None => Vec::new(),
        _ => return Err("constant_fields is not an object".into()),
    };
    let mut constant = constant;
    constant.sort();
    let mappings = |name: &str| -> Result<Vec<Mapping>, String> {
        let Some(list) = r.get(name) else { return Ok(Vec::new()) };
        let list = list.as_array().ok_or(format!("{name} is not a list"))?;
        list.iter()
            .map(|m| {
                let m = m.as_array().ok_or(format!("an entry of {name} is not a list"))?;
                let target = match m.first() {
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(serde_json::Value::Bool(false)) => String::new(),
                    _ => return Err(format!("an entry of {name} has no target")),
                };
                let column = m.get(1).and_then(|c| c.as_str()).ok_or(format!("an entry of {name} has no column"))?;
                let conv = match m.get(2).and_then(|c| c.as_str()) {
                    None => Conv::None,
                    Some(f) => Conv::from_name(f).ok_or(format!("unknown conversion {f:?}"))?,
                };
                Ok(Mapping { target, column: column.to_owned(), conv })
            })
            .collect()
    };
    Ok(Report {
        key: key.to_owned(),
        file_name: text("file_name")?,
        feed_name: text("feed_name")?,
        constant,
        required: mappings("required_fields")?,
        optional: mappings("optional_fields")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_names_from_file_names() {
        assert_eq!(report_name_of("2019-10-15-scan_http-sample-asn.csv").as_deref(), Some("scan_http"));
        assert_eq!(report_name_of("dir/scan_rdp.csv").as_deref(), Some("scan_rdp"));
        assert_eq!(report_name_of("2021-03-27-event4_honeypot_brute_force-at-geo.csv").as_deref(), Some("event4_honeypot_brute_force"));
        assert_eq!(report_name_of("").as_deref(), None);
    }

    #[test]
    fn compiled_table_finds_reports() {
        let s = ShadowserverSchema::compiled();
        assert_eq!(s.by_path("2019-09-04-scan_rdp-x.csv").unwrap().feed_name, "Accessible-RDP");
        assert_eq!(s.by_file_name("event4_honeypot_brute_force").unwrap().key, "event_honeypot_brute_force");
        assert!(s.reports().len() >= 70);
    }

    /// The compiled table is the schema's facts: when the shared schema file is at hand, every
    /// compiled report must equal the file's.
    #[test]
    fn compiled_table_matches_the_published_schema() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/feeds/reference/shadowserver-report-schema-intelmq.json");
        let Ok(file) = std::fs::File::open(path) else {
            eprintln!("skipped: {path} is absent (it is not committed: its repository states no licence)");
            return;
        };
        let full = ShadowserverSchema::from_json(file, 16 << 20).unwrap();
        assert!(full.reports().len() > 150);
        for r in ShadowserverSchema::compiled().reports() {
            let theirs = full.by_name(&r.key).unwrap_or_else(|| panic!("{} is no longer in the schema", r.key));
            assert_eq!(r, theirs, "{} differs from the schema: run crates/pipeline/data/gen-shadowserver.py", r.key);
        }
    }

    #[test]
    fn loader_refuses_malformed_schemas_by_report() {
        let err = ShadowserverSchema::from_json(&br#"{"x": {"file_name": "x"}}"#[..], 1 << 20).unwrap_err();
        assert!(err.to_string().contains("report x"), "{err}");
        let err = ShadowserverSchema::from_json(&b"[]"[..], 1 << 20).unwrap_err();
        assert_eq!(err.code(), "pipeline.schema");
        let err = ShadowserverSchema::from_json(&b"{}      "[..], 4).unwrap_err();
        assert_eq!(err.code(), "pipeline.too_large");
    }
}
