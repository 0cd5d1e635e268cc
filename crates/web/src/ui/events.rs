//! Feed events in the interface: the list with filters (feed, classification, a source address
//! or network, AS, organisation, observation time), and the feeds' page (recent runs with their
//! counts and errors, and the quarantine: what could not be parsed, with the reason and line).

use super::incidents::Choice;
use super::{Chrome, OrPage, Viewer, render, url_encode, when};
use crate::WebState;
use axum::{
    Form,
    extract::{Query, State},
    response::Response,
};
use cirtkit_domain::OrganisationId;
use cirtkit_pipeline::{ClassificationType, Taxonomy};
use cirtkit_service::storage::EventQuery;
use serde::Deserialize;

/// Events a page shows: each carries all its fields (folded), so pages stay under 100 KB.
const PAGE_SIZE: u32 = 30;

/// The list's filters, as the form sends them.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Filter {
    #[serde(default)]
    feed: String,
    #[serde(default)]
    r#type: String,
    #[serde(default)]
    taxonomy: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    asn: String,
    #[serde(default)]
    organisation: String,
    #[serde(default)]
    observed_from: String,
    #[serde(default)]
    observed_to: String,
    cursor: Option<String>,
}

impl Filter {
    fn query(&self) -> Result<EventQuery, &'static str> {
        let mut q = EventQuery::default();
        if !self.feed.trim().is_empty() {
            q.feeds = vec![self.feed.trim().to_owned()];
        }
        if !self.r#type.is_empty() {
            q.classification_types =
                vec![ClassificationType::parse(&self.r#type).ok_or("events-type")?.as_str().to_owned()];
        }
        if !self.taxonomy.is_empty() {
            q.taxonomies = vec![Taxonomy::parse(&self.taxonomy).ok_or("events-taxonomy")?.as_str().to_owned()];
        }
        let source = self.source.trim();
        if !source.is_empty() {
            let net = source
                .parse::<ipnet::IpNet>()
                .or_else(|_| source.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| "events-source")?;
            q.source = Some(net.trunc());
        }
        if !self.asn.trim().is_empty() {
            q.source_asn = Some(self.asn.trim().parse::<cirtkit_domain::Asn>().map_err(|_| "events-asn")?.get());
        }
        if !self.organisation.is_empty() {
            q.organisation = Some(OrganisationId(self.organisation.parse().map_err(|_| "filter-organisation")?));
        }
        q.observed_after = super::day_bound(&self.observed_from, "events-observed-from", false)?;
        q.observed_before = super::day_bound(&self.observed_to, "events-observed-to", true)?;
        Ok(q)
    }

    fn query_string(&self) -> String {
        let pairs = [
            ("feed", &self.feed),
            ("type", &self.r#type),
            ("taxonomy", &self.taxonomy),
            ("source", &self.source),
            ("asn", &self.asn),
            ("organisation", &self.organisation),
            ("observed_from", &self.observed_from),
            ("observed_to", &self.observed_to),
        ];
        super::query_string(&pairs)
    }
}

/// An event as a row: the fields people scan, and the whole event on demand.
struct Row {
    observed: String,
    feed: String,
    kind: String,
    source: String,
    port: String,
    asn: String,
    organisation: String,
    json: String,
}

fn text(v: &serde_json::Value, key: &str) -> String {
    match v.get(key) {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

#[derive(askama::Template)]
#[template(path = "events.html")]
struct EventsPage {
    c: Chrome,
    f: Filter,
    rows: Vec<Row>,
    next: Option<String>,
    first: Option<String>,
    error: Option<String>,
    types: Vec<Choice>,
    taxonomies: Vec<Choice>,
    organisations: Vec<Choice>,
    can_edit: bool,
}

#[derive(Debug, Deserialize)]
pub(crate) struct FromEventsForm {
    csrf: String,
    #[serde(flatten)]
    f: Filter,
}

/// `POST /events/incident`: opens an incident from the events the filters select.
pub(crate) async fn open_incident(
    State(state): State<WebState>,
    viewer: Viewer,
    Form(form): Form<FromEventsForm>,
) -> Result<Response, Response> {
    viewer.check_csrf(&form.csrf)?;
    let t = viewer.t();
    let query = form.f.query().map_err(|field| {
        super::error_page(
            &viewer,
            &cirtkit_service::ServiceError::Invalid(t.with("filter-invalid", "field", &t.get(field))),
        )
    })?;
    let incident = state.services().incident_from_events(&viewer.principal, query).await.or_page(&viewer)?;
    Ok(super::see_other(&format!("/incidents/{}", incident.reference)))
}

/// `GET /events`.
pub(crate) async fn list(
    State(state): State<WebState>,
    viewer: Viewer,
    Query(f): Query<Filter>,
) -> Result<Response, Response> {
    let services = state.services();
    let t = viewer.t();
    let mut rows = Vec::new();
    let mut next = None;
    let mut error = None;
    match f.query() {
        Ok(query) => {
            let page = services
                .list_events(&viewer.principal, query, f.cursor.as_deref(), PAGE_SIZE)
                .await
                .or_page(&viewer)?;
            next = page.next;
            rows = page
                .items
                .into_iter()
                .map(|e| {
                    let mut v: serde_json::Value = serde_json::from_str(&e.payload).unwrap_or_default();
                    // `raw` (the source line, base64) is in the API and the export; here it
                    // would double the page.
                    if let Some(map) = v.as_object_mut() {
                        map.remove("raw");
                    }
                    let pretty = serde_json::to_string_pretty(&v).unwrap_or_else(|_| e.payload.clone());
                    Row {
                        observed: when(e.time_observation),
                        feed: e.feed,
                        kind: text(&v, "classification.type"),
                        source: [text(&v, "source.ip"), text(&v, "source.fqdn"), text(&v, "source.url")]
                            .into_iter()
                            .find(|s| !s.is_empty())
                            .unwrap_or_default(),
                        port: text(&v, "source.port"),
                        asn: text(&v, "source.asn"),
                        organisation: text(&v, "extra.organisation"),
                        json: pretty,
                    }
                })
                .collect();
        }
        Err(field) => error = Some(t.with("filter-invalid", "field", &t.get(field))),
    }
    let (first, next) = super::page_links("/events", &f.query_string(), f.cursor.as_deref(), next);
    let staff = !matches!(viewer.principal.role(), cirtkit_domain::Role::Constituent(_));
    let organisations = if staff {
        let orgs = services.organisations(&viewer.principal).await.unwrap_or_default();
        orgs.into_iter()
            .map(|o| Choice {
                selected: o.id.0.to_string() == f.organisation,
                value: o.id.0.to_string(),
                label: o.details.name,
            })
            .collect()
    } else {
        Vec::new()
    };
    let types = ClassificationType::ALL
        .iter()
        .map(|c| Choice {
            value: c.as_str().to_owned(),
            label: c.as_str().to_owned(),
            selected: c.as_str() == f.r#type,
        })
        .collect();
    let taxonomies = Taxonomy::ALL
        .iter()
        .map(|c| Choice {
            value: c.as_str().to_owned(),
            label: c.as_str().to_owned(),
            selected: c.as_str() == f.taxonomy,
        })
        .collect();
    let page = EventsPage {
        c: Chrome::new(&viewer, "events", t.get("nav-events")),
        f,
        rows,
        next,
        first,
        error,
        types,
        taxonomies,
        organisations,
        can_edit: viewer.principal.role().allows(cirtkit_domain::Permission::EditIncidents),
    };
    Ok(render(&page))
}

struct RunRow {
    feed: String,
    started: String,
    seconds: String,
    files: u64,
    files_skipped: u64,
    read: u64,
    stored: u64,
    duplicates: u64,
    dropped: u64,
    quarantined: u64,
    error: Option<String>,
    /// The source had not changed (HTTP 304): nothing was read.
    not_modified: bool,
}

struct QuarantineRow {
    feed: String,
    file: String,
    line: u64,
    code: String,
    reason: String,
    raw: String,
    at: String,
}

#[derive(askama::Template)]
#[template(path = "feeds.html")]
struct FeedsPage {
    c: Chrome,
    feed: String,
    runs: Vec<RunRow>,
    quarantine: Vec<QuarantineRow>,
    next: Option<String>,
    /// The feed whose quarantine the viewer may re-run from here (a declared feed, chosen).
    rerun: Option<String>,
    /// What the last re-run did.
    notice: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct FeedsQuery {
    #[serde(default)]
    feed: String,
    cursor: Option<String>,
    /// After a re-run (see [`rerun_quarantine`]): what it did.
    released: Option<u64>,
    stored: Option<u64>,
    kept: Option<u64>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RerunForm {
    csrf: String,
    feed: String,
}

/// `POST /feeds/rerun`: parses a feed's quarantined records again with its current
/// declaration, then shows the feed with what the re-run did.
pub(crate) async fn rerun_quarantine(
    State(state): State<WebState>,
    viewer: Viewer,
    Form(form): Form<RerunForm>,
) -> Result<Response, Response> {
    viewer.check_csrf(&form.csrf)?;
    let feed = form.feed.trim();
    let r = state.services().rerun_quarantine(&viewer.principal, feed).await.or_page(&viewer)?;
    Ok(super::see_other(&format!(
        "/feeds?feed={}&released={}&stored={}&kept={}",
        url_encode(feed),
        r.released,
        r.stored,
        r.still_quarantined + r.not_reparsable
    )))
}

/// `GET /feeds`: the latest runs and the quarantine, of all feeds or one.
pub(crate) async fn feeds(
    State(state): State<WebState>,
    viewer: Viewer,
    Query(q): Query<FeedsQuery>,
) -> Result<Response, Response> {
    let services = state.services();
    let t = viewer.t();
    let feed = Some(q.feed.trim()).filter(|f| !f.is_empty());
    let runs = services.feed_runs(&viewer.principal, feed, 50).await.or_page(&viewer)?;
    let quarantine = services.quarantine(&viewer.principal, feed, q.cursor.as_deref(), 50).await.or_page(&viewer)?;
    let next = quarantine.next.map(|c| format!("/feeds?feed={}&cursor={}", url_encode(&q.feed), url_encode(&c)));
    let may_rerun = viewer.principal.role().allows(cirtkit_domain::Permission::EditIncidents);
    let rerun = feed.filter(|f| may_rerun && services.feed_names().iter().any(|n| n == f)).map(str::to_owned);
    let notice = match (q.released, q.stored, q.kept) {
        (Some(released), Some(stored), Some(kept)) => Some(t.args(
            "feeds-rerun-done",
            &[("released", released.to_string()), ("stored", stored.to_string()), ("kept", kept.to_string())],
        )),
        _ => None,
    };
    let page = FeedsPage {
        c: Chrome::new(&viewer, "feeds", t.get("nav-feeds")),
        feed: q.feed.clone(),
        runs: runs
            .into_iter()
            .map(|r| RunRow {
                feed: r.feed,
                started: when(r.started_at),
                seconds: format!("{:.1}", r.seconds),
                files: r.files,
                files_skipped: r.files_skipped,
                read: r.read,
                stored: r.stored,
                duplicates: r.duplicates,
                dropped: r.dropped,
                quarantined: r.quarantined,
                error: r.error,
                not_modified: r.not_modified,
            })
            .collect(),
        quarantine: quarantine
            .items
            .into_iter()
            .map(|r| QuarantineRow {
                feed: r.feed,
                file: r.file.unwrap_or_default(),
                line: r.line,
                code: r.code,
                reason: r.reason,
                raw: r.raw.chars().take(2_000).collect(),
                at: when(r.at),
            })
            .collect(),
        next,
        rerun,
        notice,
    };
    Ok(render(&page))
}
