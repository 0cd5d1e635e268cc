//! The event as flat JSON with the harmonised dotted names, as IntelMQ writes it
//! (`{"classification.type":"…","source.ip":"…","extra.naics":517311}`), and back.

use super::{Event, Field, Kind, Value};
use crate::PipelineError;
use serde_json::{Map, Value as J};
use std::sync::Arc;

impl Event {
    /// The event as one flat JSON object, keys in alphabetical order.
    pub fn to_json(&self) -> Map<String, J> {
        let mut m = Map::new();
        for (f, v) in self.fields() {
            m.insert(f.name().to_owned(), v.to_json());
        }
        for (k, v) in self.extra() {
            m.insert(format!("extra.{k}"), v.to_json());
        }
        m
    }

    /// One line of JSON, keys sorted: the form of golden files and JSON-lines output.
    pub fn to_json_line(&self) -> String {
        let mut out = String::with_capacity(512);
        self.write_json(&mut out, true);
        out
    }

    /// Appends the event as one flat JSON object, keys sorted, as [`Event::to_json_line`]
    /// writes it; without `raw` when `with_raw` is false (the store keeps `raw` apart).
    /// Written straight into `out`: no intermediate `serde_json::Value`.
    pub fn write_json(&self, out: &mut String, with_raw: bool) {
        out.push('{');
        let mut first = true;
        let mut extra_written = false;
        let mut key = |out: &mut String, k: &str| {
            if !first {
                out.push(',');
            }
            first = false;
            push_json_str(out, k);
            out.push(':');
        };
        let extras = |out: &mut String, key: &mut dyn FnMut(&mut String, &str)| {
            for (k, v) in self.extra() {
                let mut name = String::with_capacity(6 + k.len());
                name.push_str("extra.");
                name.push_str(k);
                key(out, &name);
                match v {
                    super::ExtraValue::Text(t) => push_json_str(out, t),
                    super::ExtraValue::Json(j) => out.push_str(&j.to_string()),
                }
            }
        };
        self.for_each_field(|f, v| {
            if f == Field::Raw && !with_raw {
                return;
            }
            if !extra_written && f.name() > "extra" {
                extras(out, &mut key);
                extra_written = true;
            }
            key(out, f.name());
            push_json_value(out, v);
        });
        if !extra_written {
            extras(out, &mut key);
        }
        out.push('}');
    }

    /// Reads a flat JSON object (IntelMQ's form; `__type` is ignored, and a nested `extra`
    /// object is accepted too). Every value goes through the field's sanitation.
    pub fn from_json(object: &Map<String, J>) -> Result<Event, PipelineError> {
        let mut e = Event::default();
        for (k, v) in object {
            if k == "__type" {
                continue;
            }
            if k == "extra" {
                let J::Object(inner) = v else {
                    return Err(PipelineError::record("extra must be a JSON object"));
                };
                for (ik, iv) in inner {
                    e.set_extra(ik, iv.clone())?;
                }
                continue;
            }
            if let Some(key) = k.strip_prefix("extra.") {
                e.set_extra(key, v.clone())?;
                continue;
            }
            let field = Field::from_name(k).ok_or_else(|| PipelineError::UnknownField { name: k.clone() })?;
            if v.is_null() {
                continue;
            }
            let value = json_to_value(field, v)?;
            e.set(field, value)?;
        }
        Ok(e)
    }

    /// Reads one line of flat JSON.
    pub fn from_json_str(s: &str) -> Result<Event, PipelineError> {
        match serde_json::from_str::<J>(s).map_err(PipelineError::json)? {
            J::Object(m) => Event::from_json(&m),
            _ => Err(PipelineError::record("an event is a JSON object")),
        }
    }
}

fn json_to_value(field: Field, v: &J) -> Result<Value, PipelineError> {
    let bad = || crate::error::FieldError::new(field.name(), &v.to_string(), "this JSON type does not fit the field");
    Ok(match (field.kind(), v) {
        (Kind::Raw, J::String(s)) => {
            use base64::Engine;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(s.trim())
                .map_err(|_| crate::error::FieldError::new(field.name(), s, "raw is base64"))?;
            Value::Raw(Arc::from(bytes))
        }
        (_, J::String(s)) => Value::Text(s.as_str().into()),
        (_, J::Bool(b)) => Value::Bool(*b),
        (_, J::Number(n)) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().ok_or_else(bad)?),
        },
        (Kind::Json, other) => Value::Text(other.to_string().into()),
        _ => return Err(bad().into()),
    })
}

/// Appends `s` as a JSON string, escaped as serde_json escapes it (quote, backslash and control
/// characters), so that both writers give the same bytes.
pub(crate) fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &str = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if escape.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push_str("\\u00");
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 0xf)] as char);
        } else {
            out.push_str(escape);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// Appends a field's value as JSON, as [`Value::to_json`] gives it.
fn push_json_value(out: &mut String, v: &Value) {
    use std::fmt::Write as _;
    match v {
        Value::Text(s) => push_json_str(out, s),
        Value::Int(i) => out.push_str(itoa::Buffer::new().format(*i)),
        Value::Asn(a) => out.push_str(itoa::Buffer::new().format(*a)),
        Value::Port(p) => out.push_str(itoa::Buffer::new().format(*p)),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Float(_) => out.push_str(&v.to_json().to_string()),
        Value::Raw(bytes) => {
            use base64::Engine;
            out.push('"');
            base64::engine::general_purpose::STANDARD.encode_string(bytes, out);
            out.push('"');
        }
        Value::Ip(ip) => {
            out.push('"');
            let _ = write!(out, "{ip}");
            out.push('"');
        }
        Value::Network(n) => {
            out.push('"');
            let _ = write!(out, "{n}");
            out.push('"');
        }
        Value::Time(t) => push_json_str(out, &super::value::format_time(t)),
        Value::Cc(c) => push_json_str(out, c.as_str()),
        Value::Taxonomy(t) => push_json_str(out, t.as_str()),
        Value::Type(t) => push_json_str(out, t.as_str()),
        Value::Tlp(t) => push_json_str(out, t.as_str()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn writes_flat_sorted_json() {
        let mut e = Event::default();
        e.add(Field::SourceIp, "192.0.2.1").unwrap();
        e.add(Field::SourceAsn, "64496").unwrap();
        e.add(Field::TimeSource, "2019-09-04 07:00:19").unwrap();
        e.add(Field::FeedName, "Accessible-RDP").unwrap();
        e.set_extra("naics", 517311.into()).unwrap();
        e.set_raw(b"a,b");
        assert_eq!(
            e.to_json_line(),
            r#"{"extra.naics":517311,"feed.name":"Accessible-RDP","raw":"YSxi","source.asn":64496,"source.ip":"192.0.2.1","time.source":"2019-09-04T07:00:19+00:00"}"#
        );
        let back = Event::from_json_str(&e.to_json_line()).unwrap();
        assert_eq!(back, e);
    }

    #[test]
    fn refuses_unknown_fields_and_bad_values_by_name() {
        let err = Event::from_json_str(r#"{"source.ipp":"1.2.3.4"}"#).unwrap_err();
        assert_eq!(err.code(), "pipeline.field_unknown");
        let err = Event::from_json_str(r#"{"source.ip":"1.2.3"}"#).unwrap_err();
        assert!(err.to_string().contains("source.ip"), "{err}");
    }

    fn text_for(kind: Kind) -> BoxedStrategy<String> {
        match kind {
            Kind::Ip => any::<std::net::IpAddr>().prop_map(|i| i.to_string()).boxed(),
            Kind::Port => (0u16..).prop_map(|p| p.to_string()).boxed(),
            Kind::Asn => (1u32..).prop_map(|a| a.to_string()).boxed(),
            Kind::Int => any::<i32>().prop_map(|a| a.to_string()).boxed(),
            Kind::Float => (-1.0e6f64..1.0e6).prop_map(|a| a.to_string()).boxed(),
            Kind::Accuracy => (0.0f64..100.0).prop_map(|a| a.to_string()).boxed(),
            Kind::Bool => any::<bool>().prop_map(|a| a.to_string()).boxed(),
            Kind::Time => (0i64..4_000_000_000, 0u32..1_000_000)
                .prop_map(|(s, us)| super::super::format_time(&chrono::DateTime::from_timestamp(s, us * 1000).unwrap()))
                .boxed(),
            Kind::Cc => "[A-Z0-9]{2}".boxed(),
            // A letter first, so that the name is never an IPv4 address such as "8.6.7.1".
            Kind::Fqdn => "[a-z][a-z0-9]{0,9}(\\.[a-z0-9]([a-z0-9-]{0,6}[a-z0-9])?){0,3}".boxed(),
            Kind::Url => "https?://[a-z0-9.]{1,20}(/[a-zA-Z0-9%._~-]{0,10}){0,3}".boxed(),
            Kind::Network => (any::<std::net::Ipv4Addr>(), 0u8..=32)
                .prop_map(|(a, l)| ipnet::Ipv4Net::new(a, l).unwrap().trunc().to_string())
                .boxed(),
            Kind::Taxonomy => proptest::sample::select(super::super::Taxonomy::ALL).prop_map(|t| t.to_string()).boxed(),
            Kind::Type => {
                proptest::sample::select(super::super::ClassificationType::ALL).prop_map(|t| t.to_string()).boxed()
            }
            Kind::Tlp => proptest::sample::select(vec!["CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"])
                .prop_map(String::from)
                .boxed(),
            Kind::Registry => proptest::sample::select(vec!["AFRINIC", "APNIC", "ARIN", "LACNIC", "RIPE"])
                .prop_map(String::from)
                .boxed(),
            Kind::Uuid => "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}".boxed(),
            Kind::Lower => "[a-z0-9 ]{0,10}[a-z0-9]".boxed(),
            Kind::Upper => "[A-Z0-9]{1,10}".boxed(),
            Kind::Text | Kind::Json | Kind::Raw => "[^\\p{Cc}]{0,20}[a-zA-Z0-9]".boxed(),
        }
    }

    fn arb_event() -> impl Strategy<Value = Event> {
        let fields = proptest::sample::subsequence(Field::ALL.to_vec(), 0..20);
        fields
            .prop_flat_map(|fs| {
                let values: Vec<_> = fs.iter().map(|f| text_for(f.kind())).collect();
                (
                    Just(fs),
                    values,
                    proptest::collection::btree_map("[a-z_.]{1,12}", any::<i32>(), 0..4),
                    proptest::collection::btree_map("[a-z_.]{1,12}", "\\PC{0,70}|[ -~\\n\"\\\\]{0,20}", 0..4),
                )
            })
            .prop_map(|(fs, values, extra, text)| {
                let mut e = Event::default();
                for (f, v) in fs.iter().zip(values) {
                    e.add(*f, &v).unwrap_or_else(|err| panic!("{err}"));
                }
                for (k, v) in extra {
                    e.set_extra(&k, v.into()).unwrap();
                }
                for (k, v) in text {
                    e.set_extra(&format!("t{k}"), v.into()).unwrap();
                }
                e
            })
    }

    proptest! {
        #[test]
        fn json_round_trips(e in arb_event()) {
            let line = e.to_json_line();
            let back = Event::from_json_str(&line).unwrap();
            prop_assert_eq!(&back, &e);
            prop_assert_eq!(back.to_json_line(), line);
            prop_assert_eq!(back.dedup_hash(&Default::default()), e.dedup_hash(&Default::default()));
            prop_assert_eq!(e.dedup_hash(&Default::default()), e.dedup_hash_reference());
        }
    }
}
