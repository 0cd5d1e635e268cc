//! Machine-readable abuse reports inside a mail: ARF (RFC 5965) feedback reports, X-ARF 0.2
//! (`X-XARF: PLAIN` and a YAML-like report part) and X-ARF JSON (v3 `ReportClass`/`ReportType`,
//! v4 `category`/`type`), each classified in the RSIT taxonomy with its source as observables.

use cirtkit_domain::{Observable, Rsit, Severity};
use mail_parser::{Message, MimeHeaders};
use serde_json::Value;

/// Which kind of report the mail carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReportFormat {
    /// RFC 5965 Abuse Reporting Format (mail feedback loops).
    Arf,
    /// X-ARF 0.2: a plain-text part of `Key: value` lines.
    Xarf,
    /// X-ARF as JSON (v3 or v4).
    XarfJson,
}

impl ReportFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            ReportFormat::Arf => "arf",
            ReportFormat::Xarf => "x-arf",
            ReportFormat::XarfJson => "x-arf-json",
        }
    }
}

/// A machine-readable abuse report, classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbuseReport {
    pub format: ReportFormat,
    /// What the report calls itself, as written: `abuse` (an ARF Feedback-Type), `regbot`
    /// (an X-ARF Report-Type), `connection/ddos` (X-ARF v4 category and type).
    pub report_type: String,
    pub rsit: Rsit,
    /// When the report says how bad it is.
    pub severity: Option<Severity>,
    /// The reported source: address, URL, domain.
    pub observables: Vec<Observable>,
    /// When the reported activity happened, as the report writes it.
    pub occurred: Option<String>,
}

/// The RSIT class of a report type, as ARF and X-ARF name them (any case, `_` or `-`).
/// `None` when the words say nothing cirtkit recognises.
pub fn classify(words: &str) -> Option<Rsit> {
    let w = words.trim().to_ascii_lowercase().replace(['_', ' '], "-");
    let (class, kind) = match w.as_str() {
        // ARF feedback types (RFC 5965 section 7.3, RFC 6650).
        "abuse" | "spam" | "regbot" | "messaging" | "bulk" | "unsolicited" => ("abusive-content", "spam"),
        "fraud" | "phishing" => ("fraud", "phishing"),
        "virus" | "malware" | "malware-distribution" => ("malicious-code", "malware-distribution"),
        "auth-failure" | "spoofing" => ("fraud", "masquerade"),
        // X-ARF report types.
        "login-attack" | "bruteforce" | "brute-force" | "ssh" | "ftp" | "imap" | "pop3" | "smtp-auth" => {
            ("intrusion-attempts", "brute-force")
        }
        "ddos" => ("availability", "ddos"),
        "dos" => ("availability", "dos"),
        "botnet" | "bot" | "infected" | "infected-system" | "infrastructure" | "drone" | "sinkhole" => {
            ("malicious-code", "infected-system")
        }
        "c2" | "c2-server" | "malware-configuration" => ("malicious-code", "malware-configuration"),
        "open-service" | "vulnerable" | "vulnerable-system" | "vulnerability" | "cve" => {
            ("vulnerable", "vulnerable-system")
        }
        "scan" | "scanner" | "port-scan" | "portscan" => ("information-gathering", "scanner"),
        "exploit" | "hacking" | "web-attack" => ("intrusion-attempts", "exploit"),
        "copyright" | "copyright-infringement" => ("fraud", "copyright"),
        _ => return None,
    };
    Rsit::new(class, kind).ok()
}

/// Classifies the most specific words first: a type before its category.
fn classify_first(words: &[&str]) -> Rsit {
    words.iter().find_map(|w| classify(w)).unwrap_or_else(Rsit::undetermined)
}

/// Finds and reads the report a message carries, if any. `text_parts` are the message's text
/// parts (content type, text), in order.
pub(crate) fn detect(message: &Message<'_>, text_parts: &[(String, String)]) -> Option<AbuseReport> {
    let root_type = message.content_type();
    let is_feedback = root_type.is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case("multipart")
            && ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case("report"))
            && ct.attribute("report-type").is_some_and(|r| r.eq_ignore_ascii_case("feedback-report"))
    });
    let feedback_part = text_parts.iter().find(|(ct, _)| ct == "message/feedback-report");
    if let Some((_, text)) = feedback_part
        && let Some(report) = parse_arf(text)
    {
        return Some(report);
    }
    let xarf_header = message.header_raw("X-XARF").is_some_and(|v| !v.trim().is_empty());
    if xarf_header || !is_feedback {
        // X-ARF 0.2 puts its report in the second part; look at every part but the first body.
        for (_, text) in text_parts {
            if let Some(report) = parse_xarf_plain(text, xarf_header) {
                return Some(report);
            }
        }
    }
    text_parts.iter().find_map(|(_, text)| parse_xarf_json(text.as_bytes()))
}

/// `Key: value` fields of a report part, with continuation lines folded in; keys lower-cased.
fn fields(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines().take(2_000) {
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = out.last_mut() {
                v.push(' ');
                v.push_str(line.trim());
            }
            continue;
        }
        if let Some((k, v)) = line.split_once(':')
            && !k.is_empty()
            && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            out.push((k.to_ascii_lowercase(), v.trim().to_owned()));
        }
    }
    out
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
}

fn push_observable(out: &mut Vec<Observable>, text: &str) {
    let text = text.trim().trim_start_matches('<').trim_end_matches('>');
    if let Ok(o) = Observable::parse(text)
        && !out.contains(&o)
    {
        out.push(o);
    }
}

/// An RFC 5965 `message/feedback-report` part.
fn parse_arf(text: &str) -> Option<AbuseReport> {
    let f = fields(text);
    let feedback_type = field(&f, "feedback-type")?.to_ascii_lowercase();
    let mut observables = Vec::new();
    for (k, v) in &f {
        match k.as_str() {
            "source-ip" | "reported-domain" | "reported-uri" => push_observable(&mut observables, v),
            _ => {}
        }
    }
    Some(AbuseReport {
        format: ReportFormat::Arf,
        rsit: classify_first(&[&feedback_type]),
        report_type: feedback_type,
        severity: None,
        observables,
        occurred: field(&f, "arrival-date").or_else(|| field(&f, "received-date")).map(str::to_owned),
    })
}

/// An X-ARF 0.2 report part (`Report-Type`, `Category`, `Source`, `Source-Type`). Without the
/// `X-XARF` header, a part counts only if it also names its X-ARF version.
fn parse_xarf_plain(text: &str, announced: bool) -> Option<AbuseReport> {
    let f = fields(text);
    let report_type = field(&f, "report-type")?;
    if !announced && field(&f, "version").is_none_or(|v| !v.starts_with("0.")) {
        return None;
    }
    let category = field(&f, "category").unwrap_or_default();
    let mut observables = Vec::new();
    if let Some(source) = field(&f, "source") {
        let source_type = field(&f, "source-type").unwrap_or_default().to_ascii_lowercase();
        match source_type.as_str() {
            "uri" | "url" => {
                if let Ok(o) = Observable::parse_as(cirtkit_domain::ObservableKind::Url, source) {
                    observables.push(o);
                }
            }
            _ => push_observable(&mut observables, source),
        }
    }
    Some(AbuseReport {
        format: ReportFormat::Xarf,
        rsit: classify_first(&[report_type, category]),
        report_type: report_type.to_owned(),
        severity: None,
        observables,
        occurred: field(&f, "date").map(str::to_owned),
    })
}

/// An X-ARF JSON report: v4 (`xarf_version`, `category`, `type`, `source_identifier`), or v3 and
/// early v4 drafts (`Version`, `ReportClass`, `ReportType`, `Source`, possibly under `Report`).
pub fn parse_xarf_json(bytes: &[u8]) -> Option<AbuseReport> {
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace())?;
    if bytes.get(start) != Some(&b'{') || bytes.len() > 8 * 1024 * 1024 {
        return None;
    }
    let doc: Value = serde_json::from_slice(bytes).ok()?;
    let obj = doc.as_object()?;
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    let mut observables = Vec::new();

    if obj.contains_key("xarf_version") {
        let category = text(obj.get("category")).unwrap_or_default();
        let kind = text(obj.get("type")).unwrap_or_default();
        for key in ["source_identifier", "url", "c2_server", "domain"] {
            if let Some(v) = obj.get(key).and_then(Value::as_str) {
                push_observable(&mut observables, v);
            }
        }
        let tags: Vec<String> =
            obj.get("tags").and_then(Value::as_array).into_iter().flatten().filter_map(|t| text(Some(t))).collect();
        let severity = tags
            .iter()
            .find_map(|t| t.strip_prefix("severity:"))
            .or_else(|| obj.get("risk_level").and_then(Value::as_str))
            .and_then(|s| s.parse::<Severity>().ok());
        return Some(AbuseReport {
            format: ReportFormat::XarfJson,
            rsit: classify_first(&[&kind, &category]),
            report_type: format!("{category}/{kind}"),
            severity,
            observables,
            occurred: text(obj.get("first_seen")).or_else(|| text(obj.get("timestamp"))),
        });
    }

    let version = obj.get("Version").and_then(|v| v.as_str().map(str::to_owned).or_else(|| Some(v.to_string())))?;
    if !(version.starts_with('3') || version.starts_with('4')) {
        return None;
    }
    let report = obj.get("Report").and_then(Value::as_object).unwrap_or(obj);
    let class = text(report.get("ReportClass")).unwrap_or_default();
    let kind = text(report.get("ReportType")).unwrap_or_default();
    if class.is_empty() && kind.is_empty() {
        return None;
    }
    match report.get("Source") {
        Some(Value::String(s)) => push_observable(&mut observables, s),
        Some(Value::Object(source)) => {
            for key in ["IP", "Ip", "URL", "Url", "Domain", "Value"] {
                if let Some(v) = source.get(key).and_then(Value::as_str) {
                    push_observable(&mut observables, v);
                }
            }
        }
        _ => {}
    }
    Some(AbuseReport {
        format: ReportFormat::XarfJson,
        rsit: classify_first(&[&kind, &class]),
        report_type: format!("{}/{}", class.to_ascii_lowercase(), kind),
        severity: None,
        observables,
        occurred: text(report.get("Date")),
    })
}
