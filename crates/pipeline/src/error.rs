//! The pipeline's one error type. Codes in brackets are stable: logs, quarantine records and scripts
//! match on them.

use std::fmt;

/// A value that a harmonised field does not accept, with the field's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The harmonised name, such as `source.ip` or `extra.naics`.
    pub field: String,
    /// The value, shortened when long.
    pub value: String,
    /// Why it was refused.
    pub reason: &'static str,
}

impl FieldError {
    pub(crate) fn new(field: &str, value: &str, reason: &'static str) -> Self {
        Self { field: field.to_owned(), value: shorten(value, 80), reason }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {:?}: {}", self.field, self.value, self.reason)
    }
}

impl std::error::Error for FieldError {}

/// Cuts `s` to at most `max` bytes on a character boundary, marking the cut.
pub(crate) fn shorten(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut cut = max;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}…", &s[..cut])
}

/// What stops a feed file, a parser's configuration, or one record.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PipelineError {
    #[error("[pipeline.field_invalid] {0}")]
    Field(#[from] FieldError),
    #[error(
        "[pipeline.field_unknown] {name:?} is not a harmonised field: use a name from docs/events.md or extra.<name>"
    )]
    UnknownField { name: String },
    #[error("[pipeline.format_unknown] no parser reads {name:?}; known formats: {known}")]
    UnknownFormat { name: String, known: String },
    #[error("[pipeline.config] parser {format}: {reason}")]
    Config { format: &'static str, reason: String },
    #[error("[pipeline.read] the input could not be read: {reason}")]
    Read { reason: String },
    #[error("[pipeline.too_large] {what} is larger than the limit of {limit} bytes")]
    TooLarge { what: &'static str, limit: u64 },
    #[error("[pipeline.archive] {reason}")]
    Archive { reason: String },
    #[error("[pipeline.unrecognised] {reason}")]
    Unrecognised { reason: String },
    #[error("[pipeline.schema] the Shadowserver schema is not usable: {reason}")]
    Schema { reason: String },
    #[error("[pipeline.record] {reason}")]
    Record { reason: String },
    #[error("[pipeline.json] {reason}")]
    Json { reason: String },
    #[error("[pipeline.expert_unknown] no expert is called {name:?}; known experts: {known}")]
    UnknownExpert { name: String, known: String },
    #[error("[pipeline.expert_config] expert {expert}: {reason}")]
    ExpertConfig { expert: &'static str, reason: String },
    #[error("[pipeline.asn_table] line {line}: {reason}")]
    AsnTable { line: u64, reason: String },
    #[error("[pipeline.warninglist] {reason}")]
    WarningList { reason: String },
    #[error("[pipeline.geoip] {reason}")]
    GeoIp { reason: String },
}

impl PipelineError {
    /// The stable code, without brackets: `pipeline.field_invalid`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Field(_) => "pipeline.field_invalid",
            Self::UnknownField { .. } => "pipeline.field_unknown",
            Self::UnknownFormat { .. } => "pipeline.format_unknown",
            Self::Config { .. } => "pipeline.config",
            Self::Read { .. } => "pipeline.read",
            Self::TooLarge { .. } => "pipeline.too_large",
            Self::Archive { .. } => "pipeline.archive",
            Self::Unrecognised { .. } => "pipeline.unrecognised",
            Self::Schema { .. } => "pipeline.schema",
            Self::Record { .. } => "pipeline.record",
            Self::Json { .. } => "pipeline.json",
            Self::UnknownExpert { .. } => "pipeline.expert_unknown",
            Self::ExpertConfig { .. } => "pipeline.expert_config",
            Self::AsnTable { .. } => "pipeline.asn_table",
            Self::WarningList { .. } => "pipeline.warninglist",
            Self::GeoIp { .. } => "pipeline.geoip",
        }
    }

    pub(crate) fn record(reason: impl Into<String>) -> Self {
        Self::Record { reason: reason.into() }
    }

    /// Reads an I/O error as a reason in words; a line-length overrun keeps its own code.
    pub(crate) fn from_io(e: &std::io::Error) -> Self {
        if let Some(inner) = e.get_ref().and_then(|i| i.downcast_ref::<LimitExceeded>()) {
            return Self::TooLarge { what: inner.what, limit: inner.limit };
        }
        Self::Read { reason: e.to_string() }
    }

    pub(crate) fn json(e: serde_json::Error) -> Self {
        if e.is_io() {
            return Self::from_io(&std::io::Error::from(e));
        }
        let reason = e.to_string();
        // serde_json stops at 128 nested arrays and objects; say so in words.
        if reason.starts_with("recursion limit exceeded") {
            return Self::Json {
                reason: format!(
                    "the document nests arrays and objects more than 128 deep, which is refused ({reason})"
                ),
            };
        }
        Self::Json { reason }
    }
}

/// Carried inside an `io::Error` by the bounded readers, so that the limit survives the trip
/// through `csv` and `serde_json`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LimitExceeded {
    pub what: &'static str,
    pub limit: u64,
}

impl fmt::Display for LimitExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} is larger than the limit of {} bytes", self.what, self.limit)
    }
}

impl std::error::Error for LimitExceeded {}
