//! `/api/v1/events`: stored feed events, filtered and paged like incidents; and the feed runs
//! and quarantine behind the feed status page, and re-running a feed's quarantine.

use super::{Caller, Page, ParseField, time, time_opt};
use crate::{ApiError, WebState};
use axum::{
    Json,
    extract::{Path, Query, State},
};
use cirtkit_domain::OrganisationId;
use cirtkit_pipeline::{ClassificationType, Taxonomy};
use cirtkit_storage::{EventQuery, FeedRunRecord, QuarantineRecord, StoredEvent};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A stored harmonised event.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventOut {
    pub id: i64,
    /// `feed.name`.
    pub feed: String,
    #[schema(format = DateTime)]
    pub time_observation: String,
    #[schema(format = DateTime)]
    pub time_source: Option<String>,
    /// The constituent owning the source, when the constituency expert found one.
    pub organisation: Option<i64>,
    /// The event: flat JSON with the harmonised field names (docs/events.md).
    #[schema(value_type = Object)]
    pub event: serde_json::Value,
}

impl From<StoredEvent> for EventOut {
    fn from(e: StoredEvent) -> EventOut {
        EventOut {
            id: e.id,
            feed: e.feed,
            time_observation: time(e.time_observation),
            time_source: time_opt(e.time_source),
            organisation: e.organisation.map(|o| o.0),
            event: serde_json::from_str(&e.payload).unwrap_or(serde_json::Value::String(e.payload)),
        }
    }
}

/// The event list's filters; several values of one filter are separated by commas.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventFilter {
    /// Feed names, such as `shadowserver-scan,blocklist.de`.
    pub feed: Option<String>,
    /// Classification types (IntelMQ's), such as `vulnerable-system,infected-system`.
    #[serde(rename = "classification.type")]
    #[param(rename = "classification.type")]
    pub classification_type: Option<String>,
    /// Classification taxonomies (RSIT classes as IntelMQ names them), such as `vulnerable`.
    #[serde(rename = "classification.taxonomy")]
    #[param(rename = "classification.taxonomy")]
    pub taxonomy: Option<String>,
    /// An address (the events from it) or a CIDR (the events from inside it).
    #[serde(rename = "source.ip")]
    #[param(rename = "source.ip")]
    pub source_ip: Option<String>,
    /// An AS number, `64500` or `AS64500`.
    #[serde(rename = "source.asn")]
    #[param(rename = "source.asn")]
    pub source_asn: Option<String>,
    /// The id of the organisation owning the source.
    pub organisation: Option<i64>,
    /// Observed (taken in) at or after (RFC 3339).
    pub observed_after: Option<String>,
    /// Observed before (RFC 3339).
    pub observed_before: Option<String>,
    /// `time.source` at or after (RFC 3339).
    pub source_after: Option<String>,
    /// `time.source` before (RFC 3339).
    pub source_before: Option<String>,
    /// How many items (1 to 200, default 50).
    pub limit: Option<u32>,
    /// The `next` value of the previous page.
    pub cursor: Option<String>,
}

fn words(value: &Option<String>) -> impl Iterator<Item = &str> {
    value.iter().flat_map(|v| v.split(',')).map(str::trim).filter(|v| !v.is_empty())
}

impl EventFilter {
    fn query(&self) -> Result<EventQuery, ApiError> {
        let mut types = Vec::new();
        for t in words(&self.classification_type) {
            let Some(t) = ClassificationType::parse(t) else {
                return Err(super::invalid("classification.type", format!("unknown type {t:?}; see docs/events.md")));
            };
            types.push(t.as_str().to_owned());
        }
        let mut taxonomies = Vec::new();
        for t in words(&self.taxonomy) {
            let Some(t) = Taxonomy::parse(t) else {
                let all: Vec<&str> = Taxonomy::ALL.iter().map(|t| t.as_str()).collect();
                return Err(super::invalid(
                    "classification.taxonomy",
                    format!("unknown {t:?}; use {}", all.join(", ")),
                ));
            };
            taxonomies.push(t.as_str().to_owned());
        }
        let source = self
            .source_ip
            .as_deref()
            .map(|s| {
                let s = s.trim();
                s.parse::<ipnet::IpNet>()
                    .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| "an address (192.0.2.1) or a CIDR (192.0.2.0/24)")
            })
            .transpose()
            .field("source.ip")?
            .map(|n| n.trunc());
        let source_asn = self
            .source_asn
            .as_deref()
            .map(|a| a.parse::<cirtkit_domain::Asn>().map(|a| a.get()))
            .transpose()
            .field("source.asn")?;
        Ok(EventQuery {
            feeds: words(&self.feed).map(str::to_owned).collect(),
            classification_types: types,
            taxonomies,
            source,
            source_asn,
            organisation: self.organisation.map(OrganisationId),
            observed_after: super::instant(&self.observed_after, "observed_after")?,
            observed_before: super::instant(&self.observed_before, "observed_before")?,
            source_after: super::instant(&self.source_after, "source_after")?,
            source_before: super::instant(&self.source_before, "source_before")?,
            before_id: None,
            limit: 0,
        })
    }
}

/// List and filter stored feed events, newest first.
#[utoipa::path(operation_id = "list_events", get, path = "/api/v1/events", tag = "events", params(EventFilter),
    responses((status = 200, description = "A page of events", body = Page<EventOut>), (status = 422, description = "A filter is invalid")),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<WebState>,
    Caller(caller): Caller,
    filter: Result<Query<EventFilter>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Page<EventOut>>, ApiError> {
    let Query(filter) = filter.map_err(|e| super::invalid("query", e.body_text()))?;
    let query = filter.query()?;
    let page =
        state.services().list_events(&caller, query, filter.cursor.as_deref(), super::limit(filter.limit)?).await?;
    Ok(Json(Page { items: page.items.into_iter().map(EventOut::from).collect(), next: page.next }))
}

/// One run of a feed.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedRunOut {
    pub id: i64,
    pub feed: String,
    #[schema(format = DateTime)]
    pub started_at: String,
    #[schema(format = DateTime)]
    pub finished_at: String,
    /// Files read (or resumed).
    pub files: u64,
    /// Files skipped because their content was read before.
    pub files_skipped: u64,
    pub read: u64,
    pub stored: u64,
    pub duplicates: u64,
    pub dropped: u64,
    pub quarantined: u64,
    pub seconds: f64,
    /// Why the run stopped early, if it did.
    pub error: Option<String>,
    /// The source had not changed since the last download the feed read (HTTP 304), so the run
    /// read nothing.
    pub not_modified: bool,
}

impl From<FeedRunRecord> for FeedRunOut {
    fn from(r: FeedRunRecord) -> FeedRunOut {
        FeedRunOut {
            id: r.id,
            feed: r.feed,
            started_at: time(r.started_at),
            finished_at: time(r.finished_at),
            files: r.files,
            files_skipped: r.files_skipped,
            read: r.read,
            stored: r.stored,
            duplicates: r.duplicates,
            dropped: r.dropped,
            quarantined: r.quarantined,
            seconds: r.seconds,
            error: r.error,
            not_modified: r.not_modified,
        }
    }
}

/// Which feed, and how many.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FeedParams {
    /// Only this feed.
    pub feed: Option<String>,
    /// How many items (1 to 200, default 50).
    pub limit: Option<u32>,
    /// The `next` value of the previous page (quarantine only).
    pub cursor: Option<String>,
}

/// The latest feed runs, newest first.
#[utoipa::path(operation_id = "list_feed_runs", get, path = "/api/v1/feeds/runs", tag = "events", params(FeedParams),
    responses((status = 200, description = "The latest runs", body = Vec<FeedRunOut>)),
    security(("bearer" = [])))]
pub async fn runs(
    State(state): State<WebState>,
    Caller(caller): Caller,
    params: Result<Query<FeedParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<FeedRunOut>>, ApiError> {
    let Query(params) = params.map_err(|e| super::invalid("query", e.body_text()))?;
    let runs = state.services().feed_runs(&caller, params.feed.as_deref(), super::limit(params.limit)?).await?;
    Ok(Json(runs.into_iter().map(FeedRunOut::from).collect()))
}

/// A record a parser could not read.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuarantinedOut {
    pub id: i64,
    pub feed: String,
    /// The file (or archive member) it came from.
    pub file: Option<String>,
    /// Its 1-based line (or record index).
    pub line: u64,
    /// The stable error code, such as `pipeline.field_invalid`.
    pub code: String,
    pub reason: String,
    /// The record as read (cut at 4 KiB).
    pub raw: String,
    #[schema(format = DateTime)]
    pub at: String,
}

impl From<QuarantineRecord> for QuarantinedOut {
    fn from(q: QuarantineRecord) -> QuarantinedOut {
        QuarantinedOut {
            id: q.id,
            feed: q.feed,
            file: q.file,
            line: q.line,
            code: q.code,
            reason: q.reason,
            raw: q.raw,
            at: time(q.at),
        }
    }
}

/// Quarantined records, newest first.
#[utoipa::path(operation_id = "list_quarantine", get, path = "/api/v1/feeds/quarantine", tag = "events", params(FeedParams),
    responses((status = 200, description = "A page of quarantined records", body = Page<QuarantinedOut>)),
    security(("bearer" = [])))]
pub async fn quarantine(
    State(state): State<WebState>,
    Caller(caller): Caller,
    params: Result<Query<FeedParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Page<QuarantinedOut>>, ApiError> {
    let Query(params) = params.map_err(|e| super::invalid("query", e.body_text()))?;
    let page = state
        .services()
        .quarantine(&caller, params.feed.as_deref(), params.cursor.as_deref(), super::limit(params.limit)?)
        .await?;
    Ok(Json(Page { items: page.items.into_iter().map(QuarantinedOut::from).collect(), next: page.next }))
}

/// What a quarantine re-run did.
#[derive(Debug, Serialize, ToSchema)]
pub struct RerunOut {
    pub feed: String,
    /// Quarantined records looked at.
    pub records: u64,
    /// Records that now parse: they left the quarantine.
    pub released: u64,
    /// Records that still fail: they stay, with the reason found now.
    pub still_quarantined: u64,
    /// Records that cannot be parsed on their own (cut at 4 KiB, or kept without text): left as they are.
    pub not_reparsable: u64,
    /// Events of the released records that were stored.
    pub stored: u64,
    /// Events of the released records that deduplication dropped.
    pub duplicates: u64,
    /// Events of the released records an expert dropped, by drop code (`expert.bogon`).
    pub dropped_by: std::collections::BTreeMap<String, u64>,
}

impl From<cirtkit_service::RerunReport> for RerunOut {
    fn from(r: cirtkit_service::RerunReport) -> RerunOut {
        RerunOut {
            feed: r.feed,
            records: r.records,
            released: r.released,
            still_quarantined: r.still_quarantined,
            not_reparsable: r.not_reparsable,
            stored: r.stored,
            duplicates: r.duplicates,
            dropped_by: r.dropped_by,
        }
    }
}

/// Parses the feed's quarantined records again with its current declaration (after its options
/// were fixed in cirtkit.toml): those that now parse go through the feed's experts and
/// deduplication, are stored and leave the quarantine; the others stay, with their new reason.
/// For admins, coordinators and analysts.
#[utoipa::path(operation_id = "rerun_quarantine", post, path = "/api/v1/feeds/{feed}/quarantine/rerun", tag = "events",
    params(("feed" = String, Path, description = "The feed's name, as declared")),
    responses(
        (status = 200, description = "What the re-run did", body = RerunOut),
        (status = 403, description = "The caller may not re-run feeds"),
        (status = 404, description = "No feed is declared with this name"),
        (status = 409, description = "A re-run of this feed is under way, or its declaration cannot be used as it is"),
    ),
    security(("bearer" = [])))]
pub async fn rerun_quarantine(
    State(state): State<WebState>,
    Caller(caller): Caller,
    Path(feed): Path<String>,
) -> Result<Json<RerunOut>, ApiError> {
    let report = state.services().rerun_quarantine(&caller, &feed).await?;
    Ok(Json(RerunOut::from(report)))
}
