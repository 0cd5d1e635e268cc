//! Typed values of harmonised fields and IntelMQ's sanitation rules, one per kind.

use super::classification::{ClassificationType, Taxonomy};
use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, TimeZone, Utc};
use cirtkit_domain::{Country, Tlp};
use ipnet::IpNet;
use std::{fmt, net::IpAddr, str::FromStr, sync::Arc};

/// What a field holds: decides how text is sanitised into a [`Value`] and how it is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Any text without control characters (IntelMQ `String`).
    Text,
    /// Text, lower-cased (IntelMQ `LowercaseString`).
    Lower,
    /// Text, upper-cased (IntelMQ `UppercaseString`).
    Upper,
    /// Two letters or digits, upper-cased (IntelMQ `UppercaseString` of length 2).
    Cc,
    /// An IPv4 or IPv6 address, canonical form (IntelMQ `IPAddress`).
    Ip,
    /// A network in CIDR notation, host bits cleared (IntelMQ `IPNetwork`).
    Network,
    /// A host name: lower case, no trailing dot, not an address (IntelMQ `FQDN`).
    Fqdn,
    /// A URL with a scheme and a host (IntelMQ `URL`).
    Url,
    /// An AS number, 1 to 4294967295 (IntelMQ `ASN`).
    Asn,
    /// A port, 0 to 65535.
    Port,
    /// A whole number (IntelMQ `Integer`).
    Int,
    /// A number (IntelMQ `Float`).
    Float,
    /// True or false (IntelMQ `Boolean`).
    Bool,
    /// A moment, stored in UTC (IntelMQ `DateTime`).
    Time,
    /// `classification.taxonomy` (IntelMQ `ClassificationTaxonomy`).
    Taxonomy,
    /// `classification.type` (IntelMQ `ClassificationType`).
    Type,
    /// A TLP 2.0 label; IntelMQ's `WHITE` reads as `CLEAR` (IntelMQ `TLP`).
    Tlp,
    /// A number from 0 to 100 (IntelMQ `Accuracy`).
    Accuracy,
    /// A regional Internet registry: AFRINIC, APNIC, ARIN, LACNIC, RIPE (IntelMQ `Registry`).
    Registry,
    /// A lower-case UUID (IntelMQ's `misp.*_uuid`).
    Uuid,
    /// The original line or record; written as base64 (IntelMQ `Base64`).
    Raw,
    /// Any JSON (IntelMQ `JSON`): kept as its text.
    Json,
}

/// A two-character location code as feeds write it: ISO 3166-1 alpha-2 (`AT`), or one of the
/// placeholders that feeds use and IntelMQ accepts (`ZZ`, `XX`, `EU`, `A1`). Upper case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    pub fn parse(s: &str) -> Option<Self> {
        let b = trim(s).as_bytes();
        (b.len() == 2 && b.iter().all(u8::is_ascii_alphanumeric))
            .then(|| CountryCode([b[0].to_ascii_uppercase(), b[1].to_ascii_uppercase()]))
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("??")
    }

    /// The country, when the code is an assigned ISO 3166-1 code.
    pub fn country(&self) -> Option<Country> {
        self.as_str().parse().ok()
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One typed value of a harmonised field.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(Arc<str>),
    Int(i64),
    Float(f64),
    Bool(bool),
    Ip(IpAddr),
    Network(IpNet),
    Time(DateTime<Utc>),
    Asn(u32),
    Port(u16),
    Cc(CountryCode),
    Taxonomy(Taxonomy),
    Type(ClassificationType),
    Tlp(Tlp),
    /// Bytes of `raw`.
    Raw(Arc<[u8]>),
}

impl Value {
    /// The value as JSON, as IntelMQ writes it.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Text(s) => J::String(s.to_string()),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map(J::Number).unwrap_or(J::Null),
            Value::Bool(b) => J::Bool(*b),
            Value::Asn(a) => J::from(*a),
            Value::Port(p) => J::from(*p),
            Value::Raw(bytes) => J::String(base64_encode(bytes)),
            other => J::String(other.to_string()),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Text(s) => f.write_str(s),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{x}"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Ip(ip) => write!(f, "{ip}"),
            Value::Network(n) => write!(f, "{n}"),
            Value::Time(t) => f.write_str(&format_time(t)),
            Value::Asn(a) => write!(f, "{a}"),
            Value::Port(p) => write!(f, "{p}"),
            Value::Cc(c) => f.write_str(c.as_str()),
            Value::Taxonomy(t) => f.write_str(t.as_str()),
            Value::Type(t) => f.write_str(t.as_str()),
            Value::Tlp(t) => f.write_str(t.as_str()),
            Value::Raw(bytes) => f.write_str(&base64_encode(bytes)),
        }
    }
}

pub(crate) fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Writes a moment as IntelMQ does: ISO 8601 in UTC with `+00:00`, fractions only when present.
pub fn format_time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, false)
}

/// Reads the many ways feeds write a moment: RFC 3339, `2019-09-04 07:00:19` (taken as UTC),
/// with ` UTC`/` GMT`/`Z`/an offset, RFC 2822 (`Wed, 10 Feb 2010 00:00:00 GMT`), Apache's
/// `01/Aug/2018:09:49:41 +0200`, or a date alone (midnight UTC).
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let t = trim(s);
    if t.is_empty() || t.len() > 64 {
        return None;
    }
    if let Some(fast) = fast_time(t) {
        return Some(fast);
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(d.with_timezone(&Utc));
    }
    for f in ["%Y-%m-%d %H:%M:%S%.f%:z", "%Y-%m-%d %H:%M:%S%.f %z", "%Y-%m-%dT%H:%M:%S%.f%z", "%d/%b/%Y:%H:%M:%S %z"] {
        if let Ok(d) = DateTime::parse_from_str(t, f) {
            return Some(d.with_timezone(&Utc));
        }
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(t) {
        return Some(d.with_timezone(&Utc));
    }
    let naive = t
        .strip_suffix(" UTC")
        .or_else(|| t.strip_suffix(" GMT"))
        .or_else(|| t.strip_suffix('Z'))
        .or_else(|| t.strip_suffix("+00:00"))
        .unwrap_or(t);
    for f in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"] {
        if let Ok(n) = NaiveDateTime::parse_from_str(naive, f) {
            return Some(Utc.from_utc_datetime(&n));
        }
    }
    NaiveDate::parse_from_str(naive, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|n| Utc.from_utc_datetime(&n))
}

/// The common `2019-09-04 07:00:19` (or with `T`, and ` UTC`/`Z`/`+00:00`) without the general
/// parsers: feeds write millions of them.
fn fast_time(t: &str) -> Option<DateTime<Utc>> {
    let b = t.as_bytes();
    let rest = &b.get(19..)?;
    if !(rest.is_empty() || *rest == b" UTC" || *rest == b"Z" || *rest == b"+00:00") {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |n, d| d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0')))
    };
    if b[4] != b'-' || b[7] != b'-' || !(b[10] == b' ' || b[10] == b'T') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)?;
    let time = date.and_hms_opt(num(11..13)?, num(14..16)?, num(17..19)?)?;
    Some(Utc.from_utc_datetime(&time))
}

/// A moment from seconds since 1970 (whole or fractional), as some feeds write it.
pub fn time_from_epoch(s: &str) -> Option<DateTime<Utc>> {
    let t = trim(s);
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let secs: i64 = whole.parse().ok()?;
    let mut nanos = 0u32;
    for (i, b) in frac.bytes().take(9).enumerate() {
        nanos += u32::from(b - b'0') * 10u32.pow(8 - i as u32);
    }
    DateTime::from_timestamp(secs, nanos)
}

fn clean_text(s: &str) -> Option<&str> {
    let t = trim(s);
    let control = if t.is_ascii() {
        t.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f)
    } else {
        t.chars().any(|c| c.is_control() && c != '\t')
    };
    (!t.is_empty() && !control).then_some(t)
}

/// `str::trim`, without decoding characters when the text starts and ends with printable ASCII
/// (the common case: every Unicode blank is either ASCII or not ASCII at all).
pub(crate) fn trim(s: &str) -> &str {
    let printable = |b: Option<&u8>| b.is_some_and(|b| (0x21..0x7f).contains(b));
    let bytes = s.as_bytes();
    if printable(bytes.first()) && printable(bytes.last()) { s } else { s.trim() }
}

/// Sanitises text into a value of `kind`, by IntelMQ's rules. `Err` carries the reason.
pub fn sanitize(kind: Kind, s: &str) -> Result<Value, &'static str> {
    Ok(match kind {
        Kind::Text | Kind::Json => Value::Text(clean_text(s).ok_or("it is empty or holds control characters")?.into()),
        Kind::Lower => {
            let t = clean_text(s).ok_or("it is empty or holds control characters")?;
            if t.bytes().any(|b| b.is_ascii_uppercase() || !b.is_ascii()) {
                Value::Text(t.to_lowercase().into())
            } else {
                Value::Text(t.into())
            }
        }
        Kind::Upper => {
            Value::Text(clean_text(s).ok_or("it is empty or holds control characters")?.to_uppercase().into())
        }
        Kind::Cc => Value::Cc(CountryCode::parse(s).ok_or("a location code has two letters or digits")?),
        Kind::Ip => Value::Ip(parse_ip(s).ok_or("it is not an IP address")?),
        Kind::Network => Value::Network(parse_network(s).ok_or("it is not a network in CIDR notation")?),
        Kind::Fqdn => Value::Text(sanitize_fqdn(s)?.into()),
        Kind::Url => Value::Text(sanitize_url(s)?.into()),
        Kind::Asn => Value::Asn(parse_asn(s).ok_or("an AS number is a whole number from 1 to 4294967295")?),
        Kind::Port => Value::Port(parse_int(s).and_then(|i| u16::try_from(i).ok()).ok_or("a port is 0 to 65535")?),
        Kind::Int => Value::Int(parse_int(s).ok_or("it is not a whole number")?),
        Kind::Float => Value::Float(parse_float(s).ok_or("it is not a number")?),
        Kind::Accuracy => {
            let f = parse_float(s).ok_or("accuracy is a number from 0 to 100")?;
            if !(0.0..=100.0).contains(&f) {
                return Err("accuracy is a number from 0 to 100");
            }
            Value::Float(f)
        }
        Kind::Bool => Value::Bool(parse_bool(s).ok_or("use true or false")?),
        Kind::Time => Value::Time(parse_time(s).ok_or("it is not a date and time this parser reads")?),
        Kind::Taxonomy => Value::Taxonomy(Taxonomy::parse(s).ok_or("it is not one of the RSIT classes")?),
        Kind::Type => {
            Value::Type(ClassificationType::parse(s).ok_or("it is not one of IntelMQ's classification types")?)
        }
        Kind::Tlp => Value::Tlp(parse_tlp(s).ok_or("use CLEAR (or WHITE), GREEN, AMBER, AMBER+STRICT or RED")?),
        Kind::Registry => Value::Text(parse_registry(s).ok_or("use AFRINIC, APNIC, ARIN, LACNIC or RIPE")?.into()),
        Kind::Uuid => Value::Text(parse_uuid(s).ok_or("it is not a UUID")?.into()),
        Kind::Raw => Value::Raw(Arc::from(s.as_bytes())),
    })
}

/// Checks a value already typed (from JSON or a parser) against `kind`, converting where IntelMQ
/// would (an integer for a float field, text for anything).
pub fn sanitize_value(kind: Kind, v: Value) -> Result<Value, &'static str> {
    match (kind, v) {
        (_, Value::Text(s)) if kind != Kind::Raw => sanitize(kind, &s),
        (Kind::Int, Value::Int(i)) => Ok(Value::Int(i)),
        (Kind::Float, Value::Int(i)) => Ok(Value::Float(i as f64)),
        (Kind::Float, Value::Float(f)) if f.is_finite() => Ok(Value::Float(f)),
        (Kind::Accuracy, Value::Int(i)) => sanitize(kind, &i.to_string()),
        (Kind::Accuracy, Value::Float(f)) => sanitize(kind, &f.to_string()),
        (Kind::Asn, Value::Int(i)) => {
            u32::try_from(i).ok().filter(|a| *a != 0).map(Value::Asn).ok_or("an AS number is 1 to 4294967295")
        }
        (Kind::Port, Value::Int(i)) => u16::try_from(i).map(Value::Port).map_err(|_| "a port is 0 to 65535"),
        (Kind::Text | Kind::Lower | Kind::Upper, Value::Int(i)) => Ok(Value::Text(i.to_string().into())),
        (Kind::Text | Kind::Lower | Kind::Upper, Value::Float(f)) => Ok(Value::Text(f.to_string().into())),
        (Kind::Bool, Value::Int(0)) => Ok(Value::Bool(false)),
        (Kind::Bool, Value::Int(1)) => Ok(Value::Bool(true)),
        (Kind::Asn, v @ Value::Asn(a)) if a != 0 => Ok(v),
        (Kind::Bool, v @ Value::Bool(_))
        | (Kind::Ip, v @ Value::Ip(_))
        | (Kind::Network, v @ Value::Network(_))
        | (Kind::Time, v @ Value::Time(_))
        | (Kind::Port, v @ Value::Port(_))
        | (Kind::Cc, v @ Value::Cc(_))
        | (Kind::Taxonomy, v @ Value::Taxonomy(_))
        | (Kind::Type, v @ Value::Type(_))
        | (Kind::Tlp, v @ Value::Tlp(_))
        | (Kind::Raw, v @ Value::Raw(_)) => Ok(v),
        (Kind::Raw, Value::Text(s)) => Ok(Value::Raw(Arc::from(s.as_bytes()))),
        _ => Err("the value is not of the field's type"),
    }
}

pub(crate) fn parse_ip(s: &str) -> Option<IpAddr> {
    let t = trim(s);
    let t = t.strip_prefix('[').and_then(|x| x.strip_suffix(']')).unwrap_or(t);
    if let Ok(ip) = IpAddr::from_str(t) {
        return Some(match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        });
    }
    None
}

fn parse_network(s: &str) -> Option<IpNet> {
    let t = trim(s);
    IpNet::from_str(t).ok().or_else(|| parse_ip(t).map(IpNet::from)).map(|n| n.trunc())
}

/// `AS64500`, `as64500` or `64500`; zero is not an AS that announces anything and is refused.
pub(crate) fn parse_asn(s: &str) -> Option<u32> {
    let t = trim(s);
    let digits = t.get(..2).filter(|p| p.eq_ignore_ascii_case("as")).map(|_| &t[2..]).unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u32>().ok().filter(|a| *a != 0)
}

pub(crate) fn parse_int(s: &str) -> Option<i64> {
    let t = trim(s);
    t.parse::<i64>().ok().or_else(|| {
        // IntelMQ's Integer accepts a float with no fraction ("80.0").
        t.parse::<f64>().ok().filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15).map(|f| f as i64)
    })
}

fn parse_float(s: &str) -> Option<f64> {
    trim(s).parse::<f64>().ok().filter(|f| f.is_finite())
}

pub(crate) fn parse_bool(s: &str) -> Option<bool> {
    match trim(s).to_ascii_lowercase().as_str() {
        "true" | "yes" | "y" | "1" | "enabled" => Some(true),
        "false" | "no" | "n" | "0" | "disabled" => Some(false),
        _ => None,
    }
}

fn parse_tlp(s: &str) -> Option<Tlp> {
    let t = trim(s).to_ascii_uppercase();
    let t = t.strip_prefix("TLP:").unwrap_or(&t);
    let t = if t == "WHITE" { "CLEAR" } else { t };
    Tlp::from_str(t).ok()
}

fn parse_registry(s: &str) -> Option<&'static str> {
    match trim(s).to_ascii_uppercase().as_str() {
        "AFRINIC" => Some("AFRINIC"),
        "APNIC" => Some("APNIC"),
        "ARIN" => Some("ARIN"),
        "LACNIC" => Some("LACNIC"),
        "RIPE" | "RIPE NCC" | "RIPE-NCC" | "RIPENCC" => Some("RIPE"),
        _ => None,
    }
}

fn parse_uuid(s: &str) -> Option<String> {
    let t = trim(s).to_ascii_lowercase();
    let ok = t.len() == 36
        && t.bytes()
            .enumerate()
            .all(|(i, b)| if [8, 13, 18, 23].contains(&i) { b == b'-' } else { b.is_ascii_hexdigit() });
    ok.then_some(t)
}

/// IntelMQ's FQDN: trimmed, without the trailing dot, lower case (internationalised names as
/// their `xn--` form), not an IP address, labels of letters, digits, `-` and `_`.
pub(crate) fn sanitize_fqdn(s: &str) -> Result<std::borrow::Cow<'_, str>, &'static str> {
    let t = trim(s).trim_end_matches('.');
    if t.is_empty() {
        return Err("a host name cannot be empty");
    }
    // Only hex digits, dots, colons and brackets can make an address.
    if t.bytes().all(|b| b.is_ascii_hexdigit() || b".:[]".contains(&b)) && parse_ip(t).is_some() {
        return Err("an IP address is not a host name");
    }
    let lower: std::borrow::Cow<'_, str> = if t.is_ascii() && !t.bytes().any(|b| b.is_ascii_uppercase()) {
        t.into()
    } else if t.is_ascii() {
        t.to_ascii_lowercase().into()
    } else {
        t.parse::<cirtkit_domain::DomainName>()
            .map_err(|_| "it is not a valid internationalised host name")?
            .to_string()
            .into()
    };
    if lower.len() > 253 {
        return Err("a host name has at most 253 characters");
    }
    for label in lower.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err("each label of a host name has 1 to 63 characters");
        }
        if !label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'*') {
            return Err("a host name holds only letters, digits, '-' and '_'");
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err("a label of a host name cannot start or end with '-'");
        }
    }
    Ok(lower)
}

/// IntelMQ's URL: trimmed, `hxxp` re-armed, `http://` added when there is no scheme; it must
/// then have a host. Otherwise kept as written (no re-encoding), so that it matches the feed.
pub(crate) fn sanitize_url(s: &str) -> Result<String, &'static str> {
    let t = trim(s);
    if t.is_empty() || t.chars().any(|c| c.is_control() || c == ' ') {
        return Err("a URL has no blanks or control characters");
    }
    if t.len() > 8192 {
        return Err("a URL has at most 8192 characters");
    }
    // `get`: the fifth byte may be inside a character (found by the feed_parse fuzz target).
    let mut url = match t.get(..4) {
        Some(p) if p.eq_ignore_ascii_case("hxxp") => format!("http{}", &t[4..]),
        _ => t.to_owned(),
    };
    let Some(colon) = url.find("://") else {
        url.insert_str(0, "http://");
        return check_url_host(url, 7);
    };
    let scheme = &url[..colon];
    if scheme.is_empty() || !scheme.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b)) {
        return Err("the URL's scheme is not valid");
    }
    let lowered = scheme.to_ascii_lowercase();
    url.replace_range(..colon, &lowered);
    check_url_host(url, colon + 3)
}

fn check_url_host(url: String, start: usize) -> Result<String, &'static str> {
    let rest = &url[start..];
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("");
    let host =
        if host.starts_with('[') { host.split(']').next().unwrap_or("") } else { host.split(':').next().unwrap_or("") };
    if host.is_empty() || host.trim_start_matches('[').is_empty() {
        return Err("the URL has no host");
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::sanitize_url;

    /// Found by the feed_parse fuzz target (OpenPhish lines): a URL whose fourth byte starts a
    /// character of several bytes.
    #[test]
    fn a_url_with_a_wide_character_early_is_read_not_a_panic() {
        assert_eq!(sanitize_url("uol\u{fffd}x.example/a").as_deref(), Ok("http://uol\u{fffd}x.example/a"));
        assert_eq!(sanitize_url("hXxps://example.org/a").as_deref(), Ok("https://example.org/a"));
    }

    use super::*;

    #[test]
    fn times_in_the_ways_feeds_write_them() {
        let want = "2019-09-04T07:00:19+00:00";
        for s in [
            "2019-09-04 07:00:19",
            "2019-09-04 07:00:19 UTC",
            "2019-09-04T07:00:19Z",
            "2019-09-04 09:00:19+02:00",
            "Wed, 04 Sep 2019 07:00:19 GMT",
            "04/Sep/2019:09:00:19 +0200",
        ] {
            assert_eq!(parse_time(s).map(|t| format_time(&t)).as_deref(), Some(want), "{s}");
        }
        assert_eq!(
            format_time(&parse_time("2021-03-27T00:00:00.521730Z").unwrap()),
            "2021-03-27T00:00:00.521730+00:00"
        );
        assert_eq!(format_time(&parse_time("2020-08-02").unwrap()), "2020-08-02T00:00:00+00:00");
        assert_eq!(format_time(&time_from_epoch("1441008970").unwrap()), "2015-08-31T08:16:10+00:00");
        assert!(parse_time("yesterday").is_none());
    }

    #[test]
    fn trim_is_str_trim() {
        for s in ["", " ", "a", " a ", "\u{a0}a\u{2003}", "a\u{a0}", "\u{b}x", "x\u{85}", "\t\n x \r"] {
            assert_eq!(trim(s), s.trim(), "{s:?}");
        }
    }

    #[test]
    fn sanitation_follows_intelmq() {
        assert_eq!(sanitize(Kind::Fqdn, " Example.COM. "), Ok(Value::Text("example.com".into())));
        assert!(sanitize(Kind::Fqdn, "192.0.2.1").is_err());
        assert!(sanitize(Kind::Fqdn, "bad host").is_err());
        assert_eq!(sanitize(Kind::Url, "hxxp://example.com/a"), Ok(Value::Text("http://example.com/a".into())));
        assert!(sanitize(Kind::Url, "example.com/a b").is_err());
        assert_eq!(sanitize(Kind::Url, "www.example.com/x"), Ok(Value::Text("http://www.example.com/x".into())));
        assert!(sanitize(Kind::Url, "http:///nohost").is_err());
        assert_eq!(sanitize(Kind::Asn, "AS64496"), Ok(Value::Asn(64496)));
        assert!(sanitize(Kind::Asn, "0").is_err());
        assert_eq!(sanitize(Kind::Asn, "4294967295"), Ok(Value::Asn(u32::MAX)));
        assert!(sanitize(Kind::Asn, "4294967296").is_err());
        assert_eq!(sanitize(Kind::Cc, "at"), Ok(Value::Cc(CountryCode::parse("AT").unwrap())));
        assert!(sanitize(Kind::Cc, "AUT").is_err());
        assert_eq!(sanitize(Kind::Ip, "::ffff:192.0.2.1"), Ok(Value::Ip("192.0.2.1".parse().unwrap())));
        assert_eq!(sanitize(Kind::Network, "192.0.2.7/24"), Ok(Value::Network("192.0.2.0/24".parse().unwrap())));
        assert_eq!(sanitize(Kind::Bool, "Y"), Ok(Value::Bool(true)));
        assert_eq!(sanitize(Kind::Int, "80.0"), Ok(Value::Int(80)));
        assert!(sanitize(Kind::Type, "nonsense").is_err());
        assert_eq!(sanitize(Kind::Tlp, "white"), Ok(Value::Tlp(Tlp::Clear)));
        assert_eq!(sanitize(Kind::Registry, "ripe-ncc"), Ok(Value::Text("RIPE".into())));
        assert!(sanitize(Kind::Accuracy, "101").is_err());
        assert!(sanitize(Kind::Text, " ").is_err());
    }
}
