//! The harmonised event: one observation from a feed, with IntelMQ's field names and sanitation.
//!
//! The fields most pipelines read (time, feed, classification, source and destination address,
//! port, AS, country, host name, URL) are typed slots; the rest of the harmonised fields are in a
//! small vector sorted by field, and `extra.*` in a small map sorted by key. Feed metadata is
//! shared by all the events of a feed. Every value enters through the field's sanitation, so an
//! `Event` only ever holds valid values.

mod classification;
mod field;
mod json;
mod value;

pub use classification::{ClassificationType, Taxonomy};
pub use field::Field;
pub use value::{CountryCode, Kind, Value, format_time, parse_time, sanitize, time_from_epoch};

/// A moment, in UTC, as events hold it.
pub type Time = DateTime<Utc>;
pub(crate) use value::{parse_asn, parse_bool, parse_int, parse_ip};

use crate::error::FieldError;
use chrono::{DateTime, Utc};
use cirtkit_domain::Rsit;
use std::{net::IpAddr, sync::Arc};

/// `feed.*`: the same for every event of a feed, so shared.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeedMeta {
    pub name: Option<Arc<str>>,
    pub provider: Option<Arc<str>>,
    pub code: Option<Arc<str>>,
    pub url: Option<Arc<str>>,
    pub documentation: Option<Arc<str>>,
    pub accuracy: Option<f64>,
}

/// The hot fields of `source.*` or `destination.*`.
#[derive(Debug, Clone, Default, PartialEq)]
struct Endpoint {
    ip: Option<IpAddr>,
    port: Option<u16>,
    asn: Option<u32>,
    cc: Option<CountryCode>,
    fqdn: Option<Arc<str>>,
    url: Option<Arc<str>>,
}

/// One harmonised event.
#[derive(Debug, Clone, Default)]
pub struct Event {
    time_source: Option<DateTime<Utc>>,
    time_observation: Option<DateTime<Utc>>,
    feed: Arc<FeedMeta>,
    taxonomy: Option<Taxonomy>,
    classification_type: Option<ClassificationType>,
    identifier: Option<Arc<str>>,
    source: Endpoint,
    destination: Endpoint,
    raw: Option<Arc<[u8]>>,
    /// The other harmonised fields, sorted by field.
    others: Vec<(Field, Value)>,
    /// `extra.*`, sorted by key (without the `extra.` prefix). Keys are shared: a parser makes
    /// each column's key once per file, not once per event.
    extra: Vec<(Arc<str>, StoredExtra)>,
    /// The text of every textual `extra.*` value, one after the other: one allocation per event
    /// instead of one per value.
    extra_text: String,
}

/// An `extra.*` value as the event stores it.
#[derive(Debug, Clone)]
pub(crate) enum StoredExtra {
    /// Text, as a range of [`Event::extra_text`].
    Text(u32, u32),
    Json(serde_json::Value),
}

/// An `extra.*` value, borrowed from its event: text (a JSON string), or any other JSON.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ExtraValue<'a> {
    Text(&'a str),
    Json(&'a serde_json::Value),
}

impl ExtraValue<'_> {
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            ExtraValue::Text(s) => serde_json::Value::String((*s).to_owned()),
            ExtraValue::Json(j) => (*j).clone(),
        }
    }

    /// The text of a textual value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            ExtraValue::Text(s) => Some(s),
            ExtraValue::Json(serde_json::Value::String(s)) => Some(s),
            ExtraValue::Json(_) => None,
        }
    }
}

impl PartialEq for Event {
    fn eq(&self, other: &Self) -> bool {
        self.time_source == other.time_source
            && self.time_observation == other.time_observation
            && self.feed == other.feed
            && self.taxonomy == other.taxonomy
            && self.classification_type == other.classification_type
            && self.identifier == other.identifier
            && self.source == other.source
            && self.destination == other.destination
            && self.raw == other.raw
            && self.others == other.others
            && self.extra().eq(other.extra())
    }
}

/// The key of an `extra.*` value (without the prefix): 1 to 256 characters, no control
/// characters. Checked once and shared, so that a parser that sets the same keys on millions of
/// events neither checks nor allocates them again.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ExtraKey(Arc<str>);

impl ExtraKey {
    pub fn new(key: &str) -> Result<Self, FieldError> {
        if key.is_empty() || key.len() > 256 || key.chars().any(char::is_control) {
            return Err(FieldError::new("extra", key, "an extra key is 1 to 256 printable characters"));
        }
        Ok(Self(key.into()))
    }

    /// A key the crate's own code names (a constant known to be valid), without the check.
    pub(crate) fn constant(key: &'static str) -> Self {
        debug_assert!(Self::new(key).is_ok(), "{key:?} is a valid extra key");
        Self(key.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Which fields make two events the same for deduplication.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum DedupKey {
    /// Every field except `time.observation` and `raw`, with every `extra.*`.
    #[default]
    AllButObservation,
    /// Only these fields, and `extra.*` when `with_extra`.
    Fields { fields: Vec<Field>, with_extra: bool },
}

impl Event {
    /// An empty event carrying a feed's metadata.
    pub fn for_feed(feed: Arc<FeedMeta>) -> Self {
        Self { feed, ..Self::default() }
    }

    pub fn feed(&self) -> &FeedMeta {
        &self.feed
    }

    pub fn time_source(&self) -> Option<DateTime<Utc>> {
        self.time_source
    }

    pub fn time_observation(&self) -> Option<DateTime<Utc>> {
        self.time_observation
    }

    pub fn source_ip(&self) -> Option<IpAddr> {
        self.source.ip
    }

    pub fn destination_ip(&self) -> Option<IpAddr> {
        self.destination.ip
    }

    pub fn source_asn(&self) -> Option<u32> {
        self.source.asn
    }

    pub fn source_cc(&self) -> Option<CountryCode> {
        self.source.cc
    }

    pub fn source_fqdn(&self) -> Option<&str> {
        self.source.fqdn.as_deref()
    }

    pub fn source_url(&self) -> Option<&str> {
        self.source.url.as_deref()
    }

    pub fn taxonomy(&self) -> Option<Taxonomy> {
        self.taxonomy
    }

    pub fn classification_type(&self) -> Option<ClassificationType> {
        self.classification_type
    }

    /// Sets `classification.type` and the taxonomy derived from it (IntelMQ's taxonomy expert
    /// does that later; here parsers do it at once).
    pub fn classify(&mut self, t: ClassificationType) {
        self.classification_type = Some(t);
        self.taxonomy = Some(t.taxonomy());
    }

    /// [`Event::classify`] from IntelMQ's name of the type.
    pub fn classify_as(&mut self, t: &str) -> Result<(), FieldError> {
        let ct = ClassificationType::parse(t).ok_or_else(|| {
            FieldError::new("classification.type", t, "it is not one of IntelMQ's classification types")
        })?;
        self.classify(ct);
        Ok(())
    }

    /// The RSIT classification: from `classification.type`, or the taxonomy's undetermined
    /// catch-all when only a taxonomy is known.
    pub fn rsit(&self) -> Option<Rsit> {
        self.classification_type.map(ClassificationType::rsit).or_else(|| {
            let class = self.taxonomy?;
            Rsit::all()
                .find(|r| r.class() == class.as_str() && r.kind() == "undetermined")
                .or(Some(Rsit::undetermined()))
        })
    }

    pub fn raw(&self) -> Option<&[u8]> {
        self.raw.as_deref()
    }

    /// `extra.*`, sorted by key, keys without the prefix.
    pub fn extra(&self) -> impl Iterator<Item = (&str, ExtraValue<'_>)> {
        self.extra.iter().map(|(k, v)| (&**k, self.extra_view(v)))
    }

    pub fn extra_value(&self, key: &str) -> Option<ExtraValue<'_>> {
        let i = self.extra.binary_search_by(|(k, _)| (**k).cmp(key)).ok()?;
        Some(self.extra_view(&self.extra[i].1))
    }

    fn extra_view<'a>(&'a self, v: &'a StoredExtra) -> ExtraValue<'a> {
        match v {
            StoredExtra::Text(a, b) => ExtraValue::Text(self.extra_text.get(*a as usize..*b as usize).unwrap_or("")),
            StoredExtra::Json(j) => ExtraValue::Json(j),
        }
    }

    /// Stores a value for `extra.*`: strings in the event's text buffer.
    fn store_extra(&mut self, value: serde_json::Value) -> StoredExtra {
        match value {
            serde_json::Value::String(s) => self.store_extra_text(&s),
            other => StoredExtra::Json(other),
        }
    }

    /// Stores text for `extra.*` in the event's text buffer, without an allocation of its own.
    pub(crate) fn store_extra_text(&mut self, text: &str) -> StoredExtra {
        let start = self.extra_text.len();
        match (u32::try_from(start), u32::try_from(start + text.len())) {
            (Ok(a), Ok(b)) => {
                self.extra_text.push_str(text);
                StoredExtra::Text(a, b)
            }
            _ => StoredExtra::Json(serde_json::Value::String(text.to_owned())),
        }
    }

    /// Makes room for `bytes` more bytes of `extra.*` text.
    pub(crate) fn reserve_extra_text(&mut self, bytes: usize) {
        self.extra_text.reserve(bytes);
    }

    /// The value of a field, if set.
    pub fn get(&self, field: Field) -> Option<Value> {
        use Field as F;
        let text = |s: &Option<Arc<str>>| s.clone().map(Value::Text);
        match field {
            F::TimeSource => self.time_source.map(Value::Time),
            F::TimeObservation => self.time_observation.map(Value::Time),
            F::FeedName => text(&self.feed.name),
            F::FeedProvider => text(&self.feed.provider),
            F::FeedCode => text(&self.feed.code),
            F::FeedUrl => text(&self.feed.url),
            F::FeedDocumentation => text(&self.feed.documentation),
            F::FeedAccuracy => self.feed.accuracy.map(Value::Float),
            F::ClassificationTaxonomy => self.taxonomy.map(Value::Taxonomy),
            F::ClassificationType => self.classification_type.map(Value::Type),
            F::ClassificationIdentifier => text(&self.identifier),
            F::Raw => self.raw.clone().map(Value::Raw),
            _ => {
                if let Some((ep, slot)) = self.endpoint_slot(field) {
                    return match slot {
                        Slot::Ip => ep.ip.map(Value::Ip),
                        Slot::Port => ep.port.map(Value::Port),
                        Slot::Asn => ep.asn.map(Value::Asn),
                        Slot::Cc => ep.cc.map(Value::Cc),
                        Slot::Fqdn => text(&ep.fqdn),
                        Slot::Url => text(&ep.url),
                    };
                }
                self.others.binary_search_by_key(&field, |(f, _)| *f).ok().map(|i| self.others[i].1.clone())
            }
        }
    }

    fn endpoint_slot(&self, field: Field) -> Option<(&Endpoint, Slot)> {
        let (dest, slot) = endpoint_of(field)?;
        Some((if dest { &self.destination } else { &self.source }, slot))
    }

    /// Sets a field from text, by the field's sanitation. On error the event is unchanged.
    pub fn add(&mut self, field: Field, text: &str) -> Result<(), FieldError> {
        let v = sanitize(field.kind(), text).map_err(|r| FieldError::new(field.name(), text, r))?;
        self.put(field, v);
        Ok(())
    }

    /// Sets a field from a whole number: the same as [`Event::add`] with its decimal text,
    /// without writing and reading the text for ports, AS numbers and integers.
    pub fn add_int(&mut self, field: Field, i: i64) -> Result<(), FieldError> {
        let v = match field.kind() {
            Kind::Port => u16::try_from(i).ok().map(Value::Port),
            Kind::Asn => u32::try_from(i).ok().filter(|a| *a != 0).map(Value::Asn),
            Kind::Int => Some(Value::Int(i)),
            _ => return self.add(field, &i.to_string()),
        };
        match v {
            Some(v) => {
                self.put(field, v);
                Ok(())
            }
            None => self.add(field, &i.to_string()),
        }
    }

    /// Sets a field from an address already read from `text` (by the same rules as the
    /// field's sanitation): the same as [`Event::add`] of `text`, without reading it again.
    pub(crate) fn add_ip(&mut self, field: Field, ip: IpAddr, text: &str) -> Result<(), FieldError> {
        if field.kind() == Kind::Ip {
            self.put(field, Value::Ip(ip));
            Ok(())
        } else {
            self.add(field, text)
        }
    }

    /// Sets a field from a typed value, checked against the field's kind.
    pub fn set(&mut self, field: Field, value: Value) -> Result<(), FieldError> {
        let shown = value.to_string();
        let v = value::sanitize_value(field.kind(), value).map_err(|r| FieldError::new(field.name(), &shown, r))?;
        self.put(field, v);
        Ok(())
    }

    /// Sets a field by its dotted name (`extra.*` included) from text.
    pub fn add_named(&mut self, name: &str, text: &str) -> Result<(), crate::PipelineError> {
        if let Some(key) = name.strip_prefix("extra.") {
            return self.set_extra(key, serde_json::Value::String(text.to_owned())).map_err(Into::into);
        }
        let field =
            Field::from_name(name).ok_or_else(|| crate::PipelineError::UnknownField { name: name.to_owned() })?;
        self.add(field, text).map_err(Into::into)
    }

    /// Removes a field.
    pub fn remove(&mut self, field: Field) {
        self.put_opt(field, None);
    }

    /// Sets `extra.<key>`. Keys are non-empty text without control characters.
    pub fn set_extra(&mut self, key: &str, value: serde_json::Value) -> Result<(), FieldError> {
        match self.extra.binary_search_by(|(k, _)| (**k).cmp(key)) {
            Ok(i) => self.extra[i].1 = self.store_extra(value),
            Err(i) => {
                let key = ExtraKey::new(key)?.0;
                let value = self.store_extra(value);
                self.extra.insert(i, (key, value));
            }
        }
        Ok(())
    }

    /// Sets `extra.<key>` with a key checked beforehand (no check, no allocation).
    pub fn set_extra_key(&mut self, key: &ExtraKey, value: serde_json::Value) {
        let value = self.store_extra(value);
        self.set_stored_extra(key, value);
    }

    /// Adds `extra.*` values whose keys are sorted and distinct (a parser's keys, sorted once
    /// per file): appended as they come to an event without extras, set one by one otherwise.
    pub(crate) fn add_sorted_extras<'k>(&mut self, values: impl Iterator<Item = (&'k ExtraKey, StoredExtra)>) {
        if self.extra.is_empty() {
            self.extra.extend(values.map(|(k, v)| (k.0.clone(), v)));
            debug_assert!(self.extra.windows(2).all(|w| w[0].0 < w[1].0));
        } else {
            for (k, v) in values {
                self.set_stored_extra(k, v);
            }
        }
    }

    /// Sets `extra.<key>` to text, copied into the event's text buffer (no allocation of its
    /// own once the buffer has room): for experts that set the same keys on every event.
    pub(crate) fn set_extra_text(&mut self, key: &ExtraKey, text: &str) {
        let value = self.store_extra_text(text);
        self.set_stored_extra(key, value);
    }

    /// Sets `extra.<key>` to a value stored by [`Event::store_extra_text`].
    pub(crate) fn set_stored_extra(&mut self, key: &ExtraKey, value: StoredExtra) {
        // Parsers mostly set keys in order: try the end first.
        if self.extra.last().is_none_or(|(k, _)| **k < *key.0) {
            self.extra.push((key.0.clone(), value));
            return;
        }
        match self.extra.binary_search_by(|(k, _)| (**k).cmp(&*key.0)) {
            Ok(i) => self.extra[i].1 = value,
            Err(i) => self.extra.insert(i, (key.0.clone(), value)),
        }
    }

    /// Makes room for `n` more harmonised fields outside the typed slots (host names, regions,
    /// protocols …), when a parser knows how many it may set.
    pub fn reserve_fields(&mut self, n: usize) {
        self.others.reserve(n);
    }

    /// Makes room for `n` more `extra.*` values, when a parser knows how many it may set.
    pub fn reserve_extra(&mut self, n: usize) {
        self.extra.reserve(n);
    }

    pub fn remove_extra(&mut self, key: &str) -> Option<serde_json::Value> {
        let i = self.extra.binary_search_by(|(k, _)| (**k).cmp(key)).ok()?;
        let value = self.extra_view(&self.extra[i].1).to_json();
        self.extra.remove(i);
        Some(value)
    }

    /// Sets the raw record (the line or JSON text the event came from).
    pub fn set_raw(&mut self, raw: &[u8]) {
        self.raw = Some(Arc::from(raw));
    }

    pub(crate) fn put(&mut self, field: Field, v: Value) {
        self.put_opt(field, Some(v));
    }

    /// Stores an already sanitised value (or clears the field with `None`).
    fn put_opt(&mut self, field: Field, v: Option<Value>) {
        use Field as F;
        fn text(v: Option<Value>) -> Option<Arc<str>> {
            match v {
                Some(Value::Text(s)) => Some(s),
                _ => None,
            }
        }
        match field {
            F::TimeSource => self.time_source = v.and_then(as_time),
            F::TimeObservation => self.time_observation = v.and_then(as_time),
            F::FeedName => Arc::make_mut(&mut self.feed).name = text(v),
            F::FeedProvider => Arc::make_mut(&mut self.feed).provider = text(v),
            F::FeedCode => Arc::make_mut(&mut self.feed).code = text(v),
            F::FeedUrl => Arc::make_mut(&mut self.feed).url = text(v),
            F::FeedDocumentation => Arc::make_mut(&mut self.feed).documentation = text(v),
            F::FeedAccuracy => {
                Arc::make_mut(&mut self.feed).accuracy = match v {
                    Some(Value::Float(f)) => Some(f),
                    _ => None,
                }
            }
            F::ClassificationTaxonomy => {
                self.taxonomy = match v {
                    Some(Value::Taxonomy(t)) => Some(t),
                    _ => None,
                }
            }
            F::ClassificationType => {
                self.classification_type = match v {
                    Some(Value::Type(t)) => Some(t),
                    _ => None,
                }
            }
            F::ClassificationIdentifier => self.identifier = text(v),
            F::Raw => {
                self.raw = match v {
                    Some(Value::Raw(r)) => Some(r),
                    _ => None,
                }
            }
            _ => {
                if let Some((dest, slot)) = endpoint_of(field) {
                    let ep = if dest { &mut self.destination } else { &mut self.source };
                    match (slot, v) {
                        (Slot::Ip, Some(Value::Ip(ip))) => ep.ip = Some(ip),
                        (Slot::Port, Some(Value::Port(p))) => ep.port = Some(p),
                        (Slot::Asn, Some(Value::Asn(a))) => ep.asn = Some(a),
                        (Slot::Cc, Some(Value::Cc(c))) => ep.cc = Some(c),
                        (Slot::Fqdn, v) => ep.fqdn = text(v),
                        (Slot::Url, v) => ep.url = text(v),
                        (Slot::Ip, _) => ep.ip = None,
                        (Slot::Port, _) => ep.port = None,
                        (Slot::Asn, _) => ep.asn = None,
                        (Slot::Cc, _) => ep.cc = None,
                    }
                    return;
                }
                match (self.others.binary_search_by_key(&field, |(f, _)| *f), v) {
                    (Ok(i), Some(v)) => self.others[i].1 = v,
                    (Err(i), Some(v)) => self.others.insert(i, (field, v)),
                    (Ok(i), None) => {
                        self.others.remove(i);
                    }
                    (Err(_), None) => {}
                }
            }
        }
    }

    /// Every field that is set, in field order (which is the names' alphabetical order).
    pub fn fields(&self) -> Vec<(Field, Value)> {
        let mut out = Vec::with_capacity(16 + self.others.len());
        self.for_each_field(|f, v| out.push((f, v.clone())));
        out
    }

    /// Calls `f` with every field that is set, in field order, without looking each one up.
    fn for_each_field(&self, mut f: impl FnMut(Field, &Value)) {
        let mut others = self.others.iter().peekable();
        for &slot in SLOT_FIELDS {
            while let Some((field, v)) = others.next_if(|(o, _)| *o < slot) {
                f(*field, v);
            }
            if let Some(v) = self.get(slot) {
                f(slot, &v);
            }
        }
        for (field, v) in others {
            f(*field, v);
        }
    }

    /// A slot's text without touching its reference count, or its value.
    fn slot_for_hash(&self, field: Field) -> Option<HashRef<'_>> {
        use Field as F;
        fn text(s: &Option<Arc<str>>) -> Option<HashRef<'_>> {
            s.as_deref().map(HashRef::Text)
        }
        match field {
            F::FeedName => text(&self.feed.name),
            F::FeedProvider => text(&self.feed.provider),
            F::FeedCode => text(&self.feed.code),
            F::FeedUrl => text(&self.feed.url),
            F::FeedDocumentation => text(&self.feed.documentation),
            F::ClassificationIdentifier => text(&self.identifier),
            F::SourceFqdn => text(&self.source.fqdn),
            F::SourceUrl => text(&self.source.url),
            F::DestinationFqdn => text(&self.destination.fqdn),
            F::DestinationUrl => text(&self.destination.url),
            _ => self.get(field).map(HashRef::Owned),
        }
    }

    /// A fast, stable 64-bit hash of the deduplication key: the same fields with the same values
    /// give the same hash in every run and on every machine.
    pub fn dedup_hash(&self, key: &DedupKey) -> u64 {
        let mut h = StableHasher::new();
        let (fields, with_extra): (&[Field], bool) = match key {
            DedupKey::AllButObservation => (Field::ALL, true),
            DedupKey::Fields { fields, with_extra } => (fields, *with_extra),
        };
        let field = |h: &mut StableHasher, f: Field, v: &Value| {
            h.write(&[f as u8]);
            hash_value(h, v);
        };
        match key {
            DedupKey::AllButObservation => {
                // The same order and bytes as `for_each_field`, without cloning slot values.
                let mut others = self.others.iter().peekable();
                for &slot in SLOT_FIELDS {
                    while let Some((f, v)) = others.next_if(|(o, _)| *o < slot) {
                        field(&mut h, *f, v);
                    }
                    if matches!(slot, Field::TimeObservation | Field::Raw) {
                        continue;
                    }
                    match self.slot_for_hash(slot) {
                        Some(HashRef::Text(s)) => {
                            h.write(&[slot as u8]);
                            h.write(s.as_bytes());
                            h.write(&[0]);
                        }
                        Some(HashRef::Owned(v)) => field(&mut h, slot, &v),
                        None => {}
                    }
                }
                for (f, v) in others {
                    field(&mut h, *f, v);
                }
            }
            DedupKey::Fields { .. } => {
                for f in fields {
                    if let Some(v) = self.get(*f) {
                        field(&mut h, *f, &v);
                    }
                }
            }
        }
        if with_extra {
            for (k, v) in self.extra() {
                h.write(&[0xff]);
                h.write(k.as_bytes());
                h.write(&[0]);
                match v {
                    ExtraValue::Text(s) if !needs_escape(s.as_bytes()) => h.write_quoted(s.as_bytes()),
                    ExtraValue::Text(s) => h.write(serde_json::Value::String(s.to_owned()).to_string().as_bytes()),
                    ExtraValue::Json(j) => hash_json(&mut h, j),
                }
            }
        }
        h.finish()
    }
}

/// Whether JSON escapes anything in this text: control characters, `"` and `\\`. Eight bytes
/// at a time.
fn needs_escape(s: &[u8]) -> bool {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let has_zero = |x: u64| x.wrapping_sub(LO) & !x & HI != 0;
    let mut chunks = s.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        let x = u64::from_le_bytes(w);
        // A byte below 0x20 (bytes of 0x80 and above are not below it), a quote, a backslash.
        if x.wrapping_sub(LO * 0x20) & !x & HI != 0
            || has_zero(x ^ (LO * u64::from(b'"')))
            || has_zero(x ^ (LO * u64::from(b'\\')))
        {
            return true;
        }
    }
    chunks.remainder().iter().any(|b| *b < 0x20 || *b == b'"' || *b == b'\\')
}

/// Hashes a JSON value's compact text, as one write, without building the text when it can be
/// avoided: strings with nothing to escape and numbers are the common case.
fn hash_json(h: &mut StableHasher, v: &serde_json::Value) {
    use serde_json::Value as J;
    match v {
        J::String(s) if !needs_escape(s.as_bytes()) => h.write_quoted(s.as_bytes()),
        J::Number(n) if n.is_i64() || n.is_u64() => {
            let mut buf = itoa::Buffer::new();
            let text = match (n.as_i64(), n.as_u64()) {
                (Some(i), _) => buf.format(i),
                (None, Some(u)) => buf.format(u),
                (None, None) => return h.write(v.to_string().as_bytes()),
            };
            h.write(text.as_bytes());
        }
        J::Number(_) | J::Bool(_) | J::Null => {
            let mut buf = [0u8; 64];
            let mut cursor = std::io::Cursor::new(&mut buf[..]);
            if serde_json::to_writer(&mut cursor, v).is_ok() {
                let n = cursor.position() as usize;
                h.write(&buf[..n]);
            } else {
                h.write(v.to_string().as_bytes());
            }
        }
        _ => h.write(v.to_string().as_bytes()),
    }
}

impl Event {
    /// The deduplication hash as first written, field by field and value by value through
    /// their text: what [`Event::dedup_hash`] must give, faster.
    #[cfg(test)]
    pub(crate) fn dedup_hash_reference(&self) -> u64 {
        let mut h = StableHasher::new();
        for f in Field::ALL {
            if matches!(f, Field::TimeObservation | Field::Raw) {
                continue;
            }
            if let Some(v) = self.get(*f) {
                h.write(&[*f as u8]);
                hash_value(&mut h, &v);
            }
        }
        for (k, v) in self.extra() {
            h.write(&[0xff]);
            h.write(k.as_bytes());
            h.write(&[0]);
            h.write(v.to_json().to_string().as_bytes());
        }
        h.finish()
    }
}

/// A field's value as the hash reads it: text borrowed from its slot, or the value.
enum HashRef<'a> {
    Text(&'a str),
    Owned(Value),
}

fn hash_value(h: &mut StableHasher, v: &Value) {
    match v {
        Value::Text(s) => h.write(s.as_bytes()),
        Value::Int(i) => h.write(&i.to_le_bytes()),
        Value::Float(f) => h.write(&f.to_bits().to_le_bytes()),
        Value::Bool(b) => h.write(&[u8::from(*b)]),
        Value::Ip(IpAddr::V4(a)) => h.write(&a.octets()),
        Value::Ip(IpAddr::V6(a)) => h.write(&a.octets()),
        Value::Time(t) => {
            h.write(&t.timestamp().to_le_bytes());
            h.write(&t.timestamp_subsec_nanos().to_le_bytes());
        }
        Value::Asn(a) => h.write(&a.to_le_bytes()),
        Value::Port(p) => h.write(&p.to_le_bytes()),
        Value::Cc(c) => h.write(c.as_str().as_bytes()),
        Value::Taxonomy(t) => h.write(&[*t as u8]),
        Value::Type(t) => h.write(&[*t as u8]),
        Value::Tlp(t) => h.write(&[*t as u8]),
        other => h.write(other.to_string().as_bytes()),
    }
    h.write(&[0]);
}

/// A word-at-a-time multiplicative hash with a final avalanche. Its output is part of the
/// stored data (deduplication keys), so it never changes.
struct StableHasher(u64);

impl StableHasher {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;

    fn new() -> Self {
        Self(0x243F_6A88_85A3_08D3)
    }

    /// The same as one `write` of `"`, `s` and `"`: a JSON string with nothing to escape,
    /// without copying it. The middle words are read from `s` directly, shifted by the quote.
    fn write_quoted(&mut self, s: &[u8]) {
        let total = s.len() + 2;
        if total <= 64 {
            // Short values, the most: copy them once to the stack.
            let mut buf = [b'"'; 64];
            buf[1..=s.len()].copy_from_slice(s);
            buf[total - 1] = b'"';
            return self.write(&buf[..total]);
        }
        let byte = |i: usize| if i == 0 || i == total - 1 { b'"' } else { s[i - 1] };
        let gather = |from: usize, to: usize| {
            let mut w = [0u8; 8];
            for (k, i) in (from..to).enumerate() {
                w[k] = byte(i);
            }
            u64::from_le_bytes(w)
        };
        let full = total / 8;
        for k in 0..full {
            let (from, to) = (8 * k, 8 * k + 8);
            let w = if from >= 1 && to <= s.len() + 1 {
                let mut w = [0u8; 8];
                w.copy_from_slice(&s[from - 1..to - 1]);
                u64::from_le_bytes(w)
            } else {
                gather(from, to)
            };
            self.mix(w);
        }
        let rest = total - 8 * full;
        if rest > 0 {
            self.mix(gather(8 * full, total) ^ ((rest as u64) << 59));
        }
    }

    fn write(&mut self, bytes: &[u8]) {
        if let [b] = bytes {
            // Field tags and separators: one byte, the same as the general case.
            return self.mix(u64::from(*b) ^ (1 << 59));
        }
        let rest = self.mix_words(bytes);
        let n = bytes.len();
        if n >= 8 && !rest.is_empty() {
            // The last eight bytes, shifted so that the leftover ones are the low bytes: the same
            // word as copying them into a zeroed one, without a copy of variable length.
            let mut w = [0u8; 8];
            w.copy_from_slice(&bytes[n - 8..]);
            let k = rest.len();
            return self.mix((u64::from_le_bytes(w) >> (8 * (8 - k))) ^ ((k as u64) << 59));
        }
        self.mix_tail(rest);
    }

    /// Mixes the whole words of `bytes`; returns the bytes left over.
    fn mix_words<'b>(&mut self, bytes: &'b [u8]) -> &'b [u8] {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.mix(u64::from_le_bytes(w));
        }
        chunks.remainder()
    }

    /// Mixes the last, partial word of a write with its length.
    fn mix_tail(&mut self, rest: &[u8]) {
        if !rest.is_empty() {
            let w = rest.iter().rev().fold(0u64, |w, b| (w << 8) | u64::from(*b));
            self.mix(w ^ ((rest.len() as u64) << 59));
        }
    }

    fn mix(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(23) ^ w).wrapping_mul(Self::K);
    }

    fn finish(&self) -> u64 {
        let mut x = self.0;
        x ^= x >> 33;
        x = x.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
        x ^= x >> 33;
        x = x.wrapping_mul(0xC4CE_B9FE_1A85_EC53);
        x ^ (x >> 33)
    }
}

fn as_time(v: Value) -> Option<DateTime<Utc>> {
    match v {
        Value::Time(t) => Some(t),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy)]
enum Slot {
    Ip,
    Port,
    Asn,
    Cc,
    Fqdn,
    Url,
}

/// The fields that live in typed slots rather than in `others`, in field order.
const SLOT_FIELDS: &[Field] = &[
    Field::ClassificationIdentifier,
    Field::ClassificationTaxonomy,
    Field::ClassificationType,
    Field::DestinationAsn,
    Field::DestinationFqdn,
    Field::DestinationGeolocationCc,
    Field::DestinationIp,
    Field::DestinationPort,
    Field::DestinationUrl,
    Field::FeedAccuracy,
    Field::FeedCode,
    Field::FeedDocumentation,
    Field::FeedName,
    Field::FeedProvider,
    Field::FeedUrl,
    Field::Raw,
    Field::SourceAsn,
    Field::SourceFqdn,
    Field::SourceGeolocationCc,
    Field::SourceIp,
    Field::SourcePort,
    Field::SourceUrl,
    Field::TimeObservation,
    Field::TimeSource,
];

/// Which typed slot holds a field, and whether it is the destination's.
fn endpoint_of(field: Field) -> Option<(bool, Slot)> {
    use Field as F;
    Some(match field {
        F::SourceIp => (false, Slot::Ip),
        F::SourcePort => (false, Slot::Port),
        F::SourceAsn => (false, Slot::Asn),
        F::SourceGeolocationCc => (false, Slot::Cc),
        F::SourceFqdn => (false, Slot::Fqdn),
        F::SourceUrl => (false, Slot::Url),
        F::DestinationIp => (true, Slot::Ip),
        F::DestinationPort => (true, Slot::Port),
        F::DestinationAsn => (true, Slot::Asn),
        F::DestinationGeolocationCc => (true, Slot::Cc),
        F::DestinationFqdn => (true, Slot::Fqdn),
        F::DestinationUrl => (true, Slot::Url),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Event {
        let mut e = Event::default();
        e.add(Field::SourceIp, "192.0.2.1").unwrap();
        e.add(Field::SourcePort, "443").unwrap();
        e.add(Field::ClassificationType, "infected-system").unwrap();
        e.add(Field::TimeObservation, "2024-01-01T00:00:00Z").unwrap();
        e.add(Field::ProtocolTransport, "TCP").unwrap();
        e.set_extra("naics", 517311.into()).unwrap();
        e
    }

    #[test]
    fn fields_go_in_and_out_typed() {
        let e = sample();
        assert_eq!(e.get(Field::SourceIp), Some(Value::Ip("192.0.2.1".parse().unwrap())));
        assert_eq!(e.get(Field::ProtocolTransport), Some(Value::Text("tcp".into())));
        assert_eq!(e.rsit().unwrap().to_string(), "malicious-code/infected-system");
        let mut e2 = e.clone();
        let err = e2.add(Field::SourceAsn, "AS0").unwrap_err();
        assert_eq!(err.field, "source.asn");
        assert_eq!(e2, e, "a refused value leaves the event as it was");
        e2.remove(Field::ProtocolTransport);
        assert_eq!(e2.get(Field::ProtocolTransport), None);
    }

    const PINNED: u64 = 1_246_999_625_672_907_314;

    #[test]
    fn dedup_hash_ignores_observation_and_raw_only() {
        let a = sample();
        let mut b = a.clone();
        b.add(Field::TimeObservation, "2030-01-01T00:00:00Z").unwrap();
        b.set_raw(b"anything");
        assert_eq!(a.dedup_hash(&DedupKey::default()), b.dedup_hash(&DedupKey::default()));
        b.add(Field::SourcePort, "444").unwrap();
        assert_ne!(a.dedup_hash(&DedupKey::default()), b.dedup_hash(&DedupKey::default()));
        let only_ip = DedupKey::Fields { fields: vec![Field::SourceIp], with_extra: false };
        assert_eq!(a.dedup_hash(&only_ip), b.dedup_hash(&only_ip));
        // The hash is part of stored data: it must not change between releases.
        assert_eq!(a.dedup_hash(&DedupKey::default()), PINNED);
    }

    #[test]
    fn writing_in_parts_hashes_as_one_write() {
        for len in 0..100u8 {
            let text: Vec<u8> = (b'a'..b'a' + len).collect();
            let mut one = StableHasher::new();
            one.write(&[b"\"", &text[..], b"\""].concat());
            let mut quoted = StableHasher::new();
            quoted.write_quoted(&text);
            assert_eq!(one.finish(), quoted.finish(), "{len}");
        }
        for v in [
            serde_json::json!("plain"),
            serde_json::json!("a \"quoted\"\n"),
            serde_json::json!(-1.5),
            serde_json::json!(-7),
            serde_json::json!(u64::MAX),
            serde_json::json!(true),
            serde_json::json!([1, {"a": null}]),
        ] {
            let mut one = StableHasher::new();
            one.write(v.to_string().as_bytes());
            let mut fast = StableHasher::new();
            hash_json(&mut fast, &v);
            assert_eq!(one.finish(), fast.finish(), "{v}");
        }
        // The reference: whole words, then the rest copied into a zeroed word with its length.
        for len in 0..40u8 {
            let bytes: Vec<u8> = (200..200 + len).collect();
            let mut reference = StableHasher::new();
            let mut chunks = bytes.chunks_exact(8);
            for c in &mut chunks {
                reference.mix(u64::from_le_bytes(c.try_into().unwrap()));
            }
            let rest = chunks.remainder();
            if !rest.is_empty() {
                let mut w = [0u8; 8];
                w[..rest.len()].copy_from_slice(rest);
                reference.mix(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 59));
            }
            let mut one = StableHasher::new();
            one.write(&bytes);
            assert_eq!(one.finish(), reference.finish(), "{len}");
        }
    }

    #[test]
    fn slot_fields_are_every_slot_in_order() {
        let slots: Vec<Field> = Field::ALL
            .iter()
            .copied()
            .filter(|f| {
                endpoint_of(*f).is_some()
                    || f.name().starts_with("feed.")
                    || f.name().starts_with("classification.")
                    || matches!(f, Field::Raw | Field::TimeObservation | Field::TimeSource)
            })
            .collect();
        assert_eq!(SLOT_FIELDS, &slots[..]);
    }

    proptest::proptest! {
        #[test]
        fn add_int_is_add_of_the_decimal_text(
            i in proptest::prop_oneof![proptest::num::i64::ANY, -5i64..70000],
            field in proptest::sample::select(vec![Field::SourcePort, Field::SourceAsn, Field::RtirId, Field::Comment]),
        ) {
            let (mut a, mut b) = (Event::default(), Event::default());
            proptest::prop_assert_eq!(a.add_int(field, i).is_ok(), b.add(field, &i.to_string()).is_ok());
            proptest::prop_assert_eq!(a, b);
        }

        #[test]
        fn needs_escape_agrees_with_serde_json(s in "\\PC{0,40}|[ -~\\x00-\\x1f]{0,40}") {
            let plain = format!("\"{s}\"");
            proptest::prop_assert_eq!(needs_escape(s.as_bytes()), serde_json::to_string(&s).ok() != Some(plain));
        }
    }
}
