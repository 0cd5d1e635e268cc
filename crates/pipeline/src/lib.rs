//! The feed pipeline: the harmonised [`Event`] (IntelMQ's field names, typed values, IntelMQ's
//! sanitation, RSIT classification), the parsers that read feeds into it, and the
//! [`experts`] that enrich, filter and deduplicate it.
//!
//! Pure: parsers read the bytes they are given and send events and quarantined records to a
//! [`Sink`]; time comes from the [`ParseContext`] (built from a `Clock`). Hostile input is
//! refused with a [`PipelineError`] under the [`Limits`], never with a panic or unbounded memory.
//!
//! ```
//! use cirtkit_pipeline::{Collected, ParseContext, parser_for};
//! # let clock = cirtkit_domain::ManualClock::new(chrono::DateTime::UNIX_EPOCH);
//! let parser = parser_for("blocklistde", &serde_json::Value::Null).unwrap();
//! let ctx = ParseContext::new("blocklist.de", &clock).with_file_name("ssh.txt");
//! let mut out = Collected::default();
//! parser.parse(&mut &b"192.0.2.1\n"[..], &ctx, &mut out).unwrap();
//! assert_eq!(out.events[0].source_ip().unwrap().to_string(), "192.0.2.1");
//! ```

mod csv_records;
pub mod error;
pub mod event;
pub mod experts;
pub mod parse;
pub mod parsers;
pub mod unpack;

pub use error::{FieldError, PipelineError};
pub use event::{
    ClassificationType, CountryCode, DedupKey, Event, ExtraKey, ExtraValue, FeedMeta, Field, Kind, Taxonomy, Value,
};
pub use parse::{Collected, Limits, ParseContext, Parser, ParserSpec, Quarantined, Sink, formats, parser_for};
pub use parsers::shadowserver::schema::ShadowserverSchema;
pub use unpack::ingest;
