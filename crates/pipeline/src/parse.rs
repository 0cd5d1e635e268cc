//! What every parser shares: the [`Parser`] trait, the context a file is parsed in, where events
//! and quarantined records go, limits on hostile input, and the registry of formats.

use crate::error::{LimitExceeded, PipelineError, shorten};
use crate::event::{Event, FeedMeta, Field, Value};
use chrono::{DateTime, Utc};
use cirtkit_domain::Clock;
use std::io::{self, BufRead, Read};
use std::sync::Arc;

/// Bounds that keep memory small whatever the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The longest line or CSV record, in bytes.
    pub max_line: usize,
    /// The largest single JSON document (a MISP event, a STIX bundle, one array element).
    pub max_document: usize,
    /// The most bytes that unpacking (gzip, zip, mail) may produce, in all.
    pub max_unpacked: u64,
    /// The largest ratio of unpacked to packed bytes in one archive member.
    pub max_ratio: u64,
    /// The largest mail message, and the largest zip archive held in memory.
    pub max_container: usize,
    /// How many containers may nest (a zip in a mail is two).
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_line: 1 << 20,
            max_document: 64 << 20,
            max_unpacked: 4 << 30,
            max_ratio: 1000,
            max_container: 64 << 20,
            max_depth: 3,
        }
    }
}

/// What a parser knows about the file it reads.
#[derive(Debug, Clone)]
pub struct ParseContext {
    /// `feed.*` for every event; `feed.name` names the feed in quarantine records.
    pub feed: Arc<FeedMeta>,
    /// `time.observation` of every event: when the file was taken in.
    pub observed: DateTime<Utc>,
    /// The file's name (or the archive member's, or the attachment's), for parsers that choose
    /// by name, such as Shadowserver's.
    pub file_name: Option<String>,
    pub limits: Limits,
}

impl ParseContext {
    /// A context for a feed, observed now by `clock`.
    pub fn new(feed_name: &str, clock: &dyn Clock) -> Self {
        Self::with_feed(FeedMeta { name: Some(feed_name.into()), ..FeedMeta::default() }, clock.now())
    }

    pub fn with_feed(feed: FeedMeta, observed: DateTime<Utc>) -> Self {
        Self { feed: Arc::new(feed), observed, file_name: None, limits: Limits::default() }
    }

    pub fn with_file_name(mut self, name: impl Into<String>) -> Self {
        self.file_name = Some(name.into());
        self
    }

    /// A new event with the feed and the observation time set.
    pub fn new_event(&self) -> Event {
        let mut e = Event::for_feed(self.feed.clone());
        e.put(Field::TimeObservation, Value::Time(self.observed));
        e
    }

    pub(crate) fn feed_name(&self) -> &str {
        self.feed.name.as_deref().unwrap_or("")
    }

    /// A record set aside, with the feed, its position and why.
    pub fn quarantine(&self, line: u64, error: &PipelineError, raw: &[u8]) -> Quarantined {
        Quarantined {
            feed: self.feed_name().to_owned(),
            file: self.file_name.clone(),
            line,
            code: error.code(),
            reason: error.to_string(),
            raw: shorten(&String::from_utf8_lossy(raw), RAW_LIMIT),
            context: None,
        }
    }
}

/// A line or record that could not be parsed; the rest of the file goes on.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Quarantined {
    pub feed: String,
    pub file: Option<String>,
    /// 1-based line of the record's start (for JSON documents: the record's index, 1-based).
    pub line: u64,
    /// The stable error code, such as `pipeline.field_invalid`.
    pub code: &'static str,
    pub reason: String,
    /// The record as read, lossily decoded and cut at 4 KiB.
    pub raw: String,
    /// What the record needs to be parsed again on its own, once the feed's options are fixed:
    /// the header line of its CSV file, as `raw` is written. Parsing `context`, a line end and
    /// `raw` with the file's name gives the record again (see [`Quarantined::reparse_input`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
}

/// The longest `raw` kept of a quarantined record, in bytes.
pub const RAW_LIMIT: usize = 4096;

impl Quarantined {
    /// Whether `raw` is the whole record (not cut at [`RAW_LIMIT`] and marked with `…`): only
    /// then can it be parsed again. A whole record of nearly the limit that ends with `…` is
    /// taken for a cut one, which is the safe side.
    pub fn is_whole(raw: &str) -> bool {
        !(raw.len() > RAW_LIMIT - 4 && raw.ends_with('…'))
    }

    /// The input that gives the record to its parser again: the context line (the CSV header),
    /// then the record, each ending a line.
    pub fn reparse_input(context: Option<&str>, raw: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(context.map_or(0, str::len) + raw.len() + 2);
        if let Some(c) = context {
            out.extend_from_slice(c.as_bytes());
            out.push(b'\n');
        }
        out.extend_from_slice(raw.as_bytes());
        out.push(b'\n');
        out
    }
}

/// Where a parser sends what it reads.
pub trait Sink {
    fn event(&mut self, event: Event);
    fn quarantine(&mut self, record: Quarantined);
}

/// A sink that keeps everything, for tests and small files.
#[derive(Debug, Default)]
pub struct Collected {
    pub events: Vec<Event>,
    pub quarantined: Vec<Quarantined>,
}

impl Sink for Collected {
    fn event(&mut self, event: Event) {
        self.events.push(event);
    }

    fn quarantine(&mut self, record: Quarantined) {
        self.quarantined.push(record);
    }
}

/// A feed format's parser: configuration data plus this one method.
pub trait Parser: Send + Sync + std::fmt::Debug {
    /// The format's name, as in `--format` and the registry.
    fn format(&self) -> &'static str;

    /// Reads every record from `input`, sending events and quarantined records to `sink`.
    /// An `Err` means the file as a whole could not be read (wrong format, unreadable header,
    /// a limit exceeded); records already sent stay sent.
    fn parse(&self, input: &mut dyn BufRead, ctx: &ParseContext, sink: &mut dyn Sink) -> Result<(), PipelineError>;

    /// Whether the parser reads whole e-mail messages (ARF, X-ARF) rather than their attachments.
    fn reads_mail(&self) -> bool {
        false
    }
}

/// How a format is registered: its name, a line for `--help`, and how to build its parser from
/// its options (a JSON object, `null` when there are none).
#[derive(Debug, Clone, Copy)]
pub struct ParserSpec {
    pub format: &'static str,
    pub description: &'static str,
    pub build: fn(&serde_json::Value) -> Result<Box<dyn Parser>, PipelineError>,
}

/// Every registered format.
pub fn formats() -> impl Iterator<Item = &'static ParserSpec> {
    crate::parsers::SPECS.iter().flat_map(|s| s.iter())
}

/// Builds the parser of a format by its name, with its options (`null` for none).
pub fn parser_for(format: &str, options: &serde_json::Value) -> Result<Box<dyn Parser>, PipelineError> {
    let spec = formats().find(|s| s.format == format).ok_or_else(|| PipelineError::UnknownFormat {
        name: format.to_owned(),
        known: formats().map(|s| s.format).collect::<Vec<_>>().join(", "),
    })?;
    (spec.build)(options)
}

/// Reads a parser's options into its configuration struct, refusing unknown keys.
pub(crate) fn options<T: serde::de::DeserializeOwned + Default>(
    format: &'static str,
    v: &serde_json::Value,
) -> Result<T, PipelineError> {
    if v.is_null() {
        return Ok(T::default());
    }
    serde_json::from_value(v.clone()).map_err(|e| PipelineError::Config { format, reason: e.to_string() })
}

/// A reader that refuses lines longer than a limit, so that no line is ever held whole.
pub(crate) struct BoundedLines<R> {
    inner: R,
    max: usize,
    run: usize,
}

impl<R: Read> BoundedLines<R> {
    pub fn new(inner: R, max: usize) -> Self {
        Self { inner, max, run: 0 }
    }
}

impl<R: Read> Read for BoundedLines<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let chunk = &buf[..n];
        let too_long =
            || io::Error::new(io::ErrorKind::InvalidData, LimitExceeded { what: "a line", limit: self.max as u64 });
        match memchr::memchr(b'\n', chunk) {
            None => {
                self.run += n;
                if self.run > self.max {
                    return Err(too_long());
                }
            }
            Some(first) => {
                if self.run + first > self.max {
                    return Err(too_long());
                }
                let last = memchr::memrchr(b'\n', chunk).unwrap_or(first);
                // Lines wholly inside a chunk longer than the limit must be measured one by one.
                if last - first > self.max {
                    let mut prev = first;
                    for pos in memchr::memchr_iter(b'\n', &chunk[first + 1..=last]) {
                        let at = first + 1 + pos;
                        if at - prev - 1 > self.max {
                            return Err(too_long());
                        }
                        prev = at;
                    }
                }
                self.run = n - last - 1;
                if self.run > self.max {
                    return Err(too_long());
                }
            }
        }
        Ok(n)
    }
}

/// Reads lines with a length limit; yields (1-based line number, bytes without the line end).
/// Over-long lines are an error: the file cannot be resynchronised safely.
pub(crate) fn for_each_line(
    input: &mut dyn BufRead,
    max: usize,
    mut f: impl FnMut(u64, &[u8]) -> Result<(), PipelineError>,
) -> Result<(), PipelineError> {
    let mut buf = Vec::with_capacity(256);
    let mut n = 0u64;
    loop {
        buf.clear();
        let read = input.take(max as u64 + 1).read_until(b'\n', &mut buf).map_err(|e| PipelineError::from_io(&e))?;
        if read == 0 {
            return Ok(());
        }
        n += 1;
        if buf.last() != Some(&b'\n') && buf.len() > max {
            return Err(PipelineError::TooLarge { what: "a line", limit: max as u64 });
        }
        while matches!(buf.last(), Some(b'\n' | b'\r')) {
            buf.pop();
        }
        f(n, &buf)?;
    }
}

/// Sends one record's outcome on: the event, or the record to quarantine.
pub(crate) fn emit(
    ctx: &ParseContext,
    sink: &mut dyn Sink,
    line: u64,
    raw: &[u8],
    result: Result<Option<Event>, PipelineError>,
) {
    emit_in(ctx, sink, line, raw, None, result);
}

/// [`emit`] for a record read after a header: a quarantined record keeps the header line as its
/// context, to be parsed again on its own.
pub(crate) fn emit_in(
    ctx: &ParseContext,
    sink: &mut dyn Sink,
    line: u64,
    raw: &[u8],
    header: Option<&str>,
    result: Result<Option<Event>, PipelineError>,
) {
    match result {
        Ok(Some(e)) => sink.event(e),
        Ok(None) => {}
        Err(err) => {
            let mut q = ctx.quarantine(line, &err, raw);
            q.context = header.map(str::to_owned);
            sink.quarantine(q);
        }
    }
}

/// A CSV reader with the line limit, flexible record lengths, and no header handling of its own.
pub(crate) fn csv_reader<'a>(
    input: &'a mut dyn BufRead,
    delimiter: u8,
    limits: &Limits,
) -> csv::Reader<BoundedLines<&'a mut dyn BufRead>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(BoundedLines::new(input, limits.max_line))
}

/// Reads the next CSV record; `Ok(false)` at the end. A record that is not valid CSV or UTF-8
/// is an error for the record, an I/O error or a limit for the file.
pub(crate) fn next_record(
    reader: &mut csv::Reader<BoundedLines<&'_ mut dyn BufRead>>,
    record: &mut csv::ByteRecord,
) -> Result<bool, PipelineError> {
    reader.read_byte_record(record).map_err(|e| match e.kind() {
        csv::ErrorKind::Io(io) => PipelineError::from_io(io),
        _ => PipelineError::record(e.to_string()),
    })
}

/// The raw bytes of a CSV record, fields joined by the delimiter, for `raw` and quarantine.
pub(crate) fn record_raw(record: &csv::ByteRecord, delimiter: u8) -> Vec<u8> {
    let mut out = Vec::with_capacity(record.as_slice().len() + record.len());
    record_raw_into(record, delimiter, &mut out);
    out
}

/// [`record_raw`] into a buffer that the caller reuses.
pub(crate) fn record_raw_into(record: &csv::ByteRecord, delimiter: u8, out: &mut Vec<u8>) {
    // Most records quote nothing: one search over all their bytes instead of one per field.
    let all = record.as_slice();
    if memchr::memchr3(b'"', b'\n', b'\r', all).is_none() && memchr::memchr(delimiter, all).is_none() {
        out.reserve(all.len() + record.len());
        for (i, f) in record.iter().enumerate() {
            if i > 0 {
                out.push(delimiter);
            }
            out.extend_from_slice(f);
        }
        return;
    }
    for (i, f) in record.iter().enumerate() {
        if i > 0 {
            out.push(delimiter);
        }
        quote_field(f, delimiter, out);
    }
}

/// Writes a CSV field, quoted when it holds a quote, a line break or the delimiter.
pub(crate) fn quote_field(f: &[u8], delimiter: u8, out: &mut Vec<u8>) {
    let needs_quotes = memchr::memchr3(b'"', b'\n', b'\r', f).is_some() || memchr::memchr(delimiter, f).is_some();
    if needs_quotes {
        out.push(b'"');
        for &b in f {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(b);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(f);
    }
}

/// A CSV field as text; invalid UTF-8 is a record error.
pub(crate) fn field_str(bytes: &[u8]) -> Result<&str, PipelineError> {
    std::str::from_utf8(bytes).map_err(|_| PipelineError::record("the record is not valid UTF-8"))
}

/// The fields of a CSV record as text; invalid UTF-8 is a record error.
pub(crate) fn field_strs(record: &csv::ByteRecord) -> Result<Vec<&str>, PipelineError> {
    record.iter().map(field_str).collect()
}

/// Streams the elements of a top-level JSON array (or the one value of a non-array document),
/// one element in memory at a time; `f` gets the 1-based index and the element.
pub(crate) fn for_each_json_element(
    input: &mut dyn BufRead,
    limits: &Limits,
    f: &mut dyn FnMut(u64, serde_json::Value),
) -> Result<(), PipelineError> {
    use serde::de::{Deserializer, SeqAccess, Visitor};
    struct Elements<'f> {
        f: &'f mut dyn FnMut(u64, serde_json::Value),
    }
    impl<'de> Visitor<'de> for Elements<'_> {
        type Value = ();
        fn expecting(&self, out: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            out.write_str("a JSON array")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            let mut n = 0;
            while let Some(v) = seq.next_element::<serde_json::Value>()? {
                n += 1;
                (self.f)(n, v);
            }
            Ok(())
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
            let v = serde_json::Value::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
            (self.f)(1, v);
            Ok(())
        }
    }
    use serde::Deserialize;
    let bounded = input.take(limits.max_document as u64 + 1);
    let mut counted = CountingReader { inner: bounded, n: 0 };
    let mut de = serde_json::Deserializer::from_reader(&mut counted);
    let result = de.deserialize_any(Elements { f }).and_then(|()| de.end());
    drop(de);
    if counted.n > limits.max_document as u64 {
        return Err(PipelineError::TooLarge { what: "a JSON document", limit: limits.max_document as u64 });
    }
    result.map_err(PipelineError::json)
}

struct CountingReader<R> {
    inner: R,
    n: u64,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let k = self.inner.read(buf)?;
        self.n += k as u64;
        Ok(k)
    }
}

/// Whether a line is blank or a comment (`#` or `;` first, after blanks).
pub(crate) fn is_comment(line: &str, markers: &[char]) -> bool {
    let t = line.trim();
    t.is_empty() || t.starts_with(markers)
}

/// Text of a JSON value for sanitation: strings as they are, numbers and booleans written out;
/// `null`, empty strings and containers give `None`.
pub(crate) fn json_text(v: &serde_json::Value) -> Option<std::borrow::Cow<'_, str>> {
    match v {
        serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.as_str().into()),
        serde_json::Value::Number(n) => Some(n.to_string().into()),
        serde_json::Value::Bool(b) => Some(b.to_string().into()),
        _ => None,
    }
}

/// Adds a JSON value to a field when present.
pub(crate) fn add_json(e: &mut Event, field: Field, v: Option<&serde_json::Value>) -> Result<(), PipelineError> {
    if let Some(t) = v.and_then(json_text) {
        e.add(field, &t)?;
    }
    Ok(())
}

/// A line-oriented record parser's loop: comments skipped, each other line parsed by `f`, its
/// failure quarantined with the line number.
pub(crate) fn parse_lines(
    input: &mut dyn BufRead,
    ctx: &ParseContext,
    sink: &mut dyn Sink,
    comment: &[char],
    mut f: impl FnMut(&str) -> Result<Option<Event>, PipelineError>,
) -> Result<(), PipelineError> {
    for_each_line(input, ctx.limits.max_line, |n, bytes| {
        let result = match std::str::from_utf8(bytes) {
            Ok(line) if is_comment(line, comment) => return Ok(()),
            Ok(line) => f(line),
            Err(_) => Err(PipelineError::record("the line is not valid UTF-8")),
        };
        let result = result.map(|o| {
            o.map(|mut e| {
                e.set_raw(bytes);
                e
            })
        });
        emit(ctx, sink, n, bytes, result);
        Ok(())
    })
}

/// A JSON-array parser's loop: each element parsed by `f`, its raw text kept, its failure
/// quarantined with its 1-based index.
pub(crate) fn parse_json_elements(
    input: &mut dyn BufRead,
    ctx: &ParseContext,
    sink: &mut dyn Sink,
    mut f: impl FnMut(&serde_json::Value) -> Result<Option<Event>, PipelineError>,
) -> Result<(), PipelineError> {
    for_each_json_element(input, &ctx.limits, &mut |n, v| {
        let raw = v.to_string();
        let result = f(&v).map(|o| {
            o.map(|mut e| {
                e.set_raw(raw.as_bytes());
                e
            })
        });
        emit(ctx, sink, n, raw.as_bytes(), result);
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Reads in chunks of `chunk` bytes; whether some line was longer than `max`.
    fn refused(input: &[u8], max: usize, chunk: usize) -> bool {
        struct Chunks<'a>(&'a [u8], usize);
        impl Read for Chunks<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = self.0.len().min(self.1).min(buf.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut r = BoundedLines::new(Chunks(input, chunk), max);
        io::copy(&mut r, &mut io::sink()).is_err()
    }

    proptest! {
        #[test]
        fn bounded_lines_refuses_exactly_the_long_lines(
            lines in proptest::collection::vec(0usize..40, 0..12),
            max in 1usize..30,
            chunk in 1usize..100,
        ) {
            let input: Vec<u8> = lines.iter().flat_map(|n| std::iter::repeat_n(b'x', *n).chain([b'\n'])).collect();
            let longest = lines.iter().copied().max().unwrap_or(0);
            prop_assert_eq!(refused(&input, max, chunk), longest > max);
        }
    }
}
