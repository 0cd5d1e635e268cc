//! `/api/v1/incidents`: open, list, search, read and work incidents — their state, journal,
//! observables and links — and `/api/v1/observables/search`.

use super::{Caller, Page, ParseField, time, time_opt};
use crate::{ApiError, WebState};
use axum::{
    Json,
    extract::{Path, Query, State, rejection::JsonRejection},
    http::StatusCode,
};
use cirtkit_domain::{
    EmailAddress, Incident, IncidentChanges, IncidentQuery, IncidentState, JournalEntry, JournalEntryId, JournalKind,
    LinkKind, NewIncident, Observable, ObservableKind, OrganisationId, Pap, Rsit, Severity, Tlp, Transition, UserId,
};
use cirtkit_service::Reply;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// An incident as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentOut {
    pub id: i64,
    /// The human-friendly reference, such as `CIRT-2026-00123`.
    pub reference: String,
    pub title: String,
    pub description: String,
    /// RSIT class and type, `class/type`.
    #[schema(example = "malicious-code/infected-system")]
    pub rsit: String,
    /// low, medium, high or critical.
    pub severity: String,
    /// TLP 2.0 marking, such as `TLP:AMBER+STRICT`.
    pub tlp: String,
    /// PAP marking, such as `PAP:GREEN`.
    pub pap: String,
    /// new, triage, in-progress, waiting, resolved or closed.
    pub state: String,
    /// The moves the process allows from the current state.
    pub transitions: Vec<String>,
    pub assignee: Option<i64>,
    /// The affected organisations' ids.
    pub organisations: Vec<i64>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
    /// When the first response is due (SLA).
    #[schema(format = DateTime)]
    pub respond_by: String,
    /// When resolution is due (SLA).
    #[schema(format = DateTime)]
    pub resolve_by: String,
    #[schema(format = DateTime)]
    pub first_response_at: Option<String>,
    #[schema(format = DateTime)]
    pub resolved_at: Option<String>,
}

impl From<Incident> for IncidentOut {
    fn from(i: Incident) -> IncidentOut {
        IncidentOut {
            id: i.id.0,
            reference: i.reference.to_string(),
            title: i.title,
            description: i.description,
            rsit: i.rsit.to_string(),
            severity: i.severity.to_string(),
            tlp: i.tlp.to_string(),
            pap: i.pap.to_string(),
            state: i.state.to_string(),
            transitions: i.state.transitions().iter().map(|(t, _)| t.to_string()).collect(),
            assignee: i.assignee.map(|u| u.0),
            organisations: i.organisations.iter().map(|o| o.0).collect(),
            created_at: time(i.created_at),
            updated_at: time(i.updated_at),
            respond_by: time(i.respond_by),
            resolve_by: time(i.resolve_by),
            first_response_at: time_opt(i.first_response_at),
            resolved_at: time_opt(i.resolved_at),
        }
    }
}

/// An observable: its kind and canonical value.
#[derive(Debug, Serialize, ToSchema)]
pub struct ObservableOut {
    /// ipv4, ipv6, cidr, domain, url, email, md5, sha1, sha256, asn or filename.
    pub kind: String,
    pub value: String,
}

impl From<&Observable> for ObservableOut {
    fn from(o: &Observable) -> ObservableOut {
        ObservableOut { kind: o.kind().to_string(), value: o.value() }
    }
}

/// An observable to add: its value (defanged forms such as `hxxp://` and `1.2.3[.]4` are
/// accepted), and its kind when it cannot be guessed (a file name, or a bare AS number).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ObservableIn {
    pub value: String,
    pub kind: Option<String>,
}

impl ObservableIn {
    fn parse(&self, field: &str) -> Result<Observable, ApiError> {
        match &self.kind {
            Some(kind) => {
                let kind: ObservableKind = kind.parse().field(field)?;
                Observable::parse_as(kind, &self.value).field(field)
            }
            None => Observable::parse(&self.value).field(field),
        }
    }
}

/// What opens an incident.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewIncidentIn {
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// `class/type` from the RSIT.
    #[schema(example = "fraud/phishing")]
    pub rsit: String,
    #[schema(example = "high")]
    pub severity: String,
    #[schema(example = "TLP:AMBER")]
    pub tlp: String,
    #[schema(example = "PAP:GREEN")]
    pub pap: String,
    pub assignee: Option<i64>,
    /// Affected organisations' ids; owners of the observables are added by the constituency lookup.
    #[serde(default)]
    pub organisations: Vec<i64>,
    #[serde(default)]
    pub observables: Vec<ObservableIn>,
}

impl NewIncidentIn {
    fn parse(self) -> Result<NewIncident, ApiError> {
        Ok(NewIncident {
            rsit: self.rsit.parse::<Rsit>().field("rsit")?,
            severity: self.severity.parse::<Severity>().field("severity")?,
            tlp: self.tlp.parse::<Tlp>().field("tlp")?,
            pap: self.pap.parse::<Pap>().field("pap")?,
            observables: self
                .observables
                .iter()
                .enumerate()
                .map(|(i, o)| o.parse(&format!("observables[{i}]")))
                .collect::<Result<_, _>>()?,
            title: self.title,
            description: self.description,
            assignee: self.assignee.map(UserId),
            organisations: self.organisations.into_iter().map(OrganisationId).collect(),
        })
    }
}

/// The list's filters. Several values of one filter are separated by commas (`state=new,triage`).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct IncidentFilter {
    /// States, such as `new,triage`.
    pub state: Option<String>,
    /// Severities, such as `high,critical`.
    pub severity: Option<String>,
    /// RSIT classes, such as `fraud,malicious-code`.
    pub rsit_class: Option<String>,
    /// TLP labels, such as `CLEAR,GREEN`.
    pub tlp: Option<String>,
    /// An affected organisation's id.
    pub organisation: Option<i64>,
    /// The assignee's user id.
    pub assignee: Option<i64>,
    /// Created at or after (RFC 3339).
    pub created_after: Option<String>,
    /// Created before (RFC 3339).
    pub created_before: Option<String>,
    /// Updated at or after (RFC 3339).
    pub updated_after: Option<String>,
    /// Updated before (RFC 3339).
    pub updated_before: Option<String>,
    /// Words to find in titles, descriptions and journals (all of them must appear).
    pub q: Option<String>,
    /// How many items (1 to 200, default 50).
    pub limit: Option<u32>,
    /// The `next` value of the previous page.
    pub cursor: Option<String>,
}

fn list_of<T: std::str::FromStr<Err = cirtkit_domain::ParseError>>(
    value: &Option<String>,
    field: &str,
) -> Result<Vec<T>, ApiError> {
    value
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| v.parse::<T>().field(field))
        .collect()
}

impl IncidentFilter {
    fn query(&self) -> Result<IncidentQuery, ApiError> {
        let classes: Vec<String> = self
            .rsit_class
            .iter()
            .flat_map(|v| v.split(','))
            .map(|c| c.trim().to_ascii_lowercase())
            .filter(|c| !c.is_empty())
            .collect();
        if let Some(bad) = classes.iter().find(|c| !Rsit::classes().any(|k| k == c.as_str())) {
            let all: Vec<_> = Rsit::classes().collect();
            return Err(super::invalid("rsit_class", format!("unknown class {bad:?}; use {}", all.join(", "))));
        }
        Ok(IncidentQuery {
            states: list_of::<IncidentState>(&self.state, "state")?,
            severities: list_of::<Severity>(&self.severity, "severity")?,
            rsit_classes: classes,
            tlps: list_of::<Tlp>(&self.tlp, "tlp")?,
            organisation: self.organisation.map(OrganisationId),
            assignee: self.assignee.map(UserId),
            created_after: super::instant(&self.created_after, "created_after")?,
            created_before: super::instant(&self.created_before, "created_before")?,
            updated_after: super::instant(&self.updated_after, "updated_after")?,
            updated_before: super::instant(&self.updated_before, "updated_before")?,
            text: self.q.clone().filter(|q| !q.trim().is_empty()),
            visible_to: None,
        })
    }
}

/// List and search incidents, newest first.
#[utoipa::path(operation_id = "list_incidents", get, path = "/api/v1/incidents", tag = "incidents", params(IncidentFilter),
    responses((status = 200, description = "A page of incidents", body = Page<IncidentOut>), (status = 422, description = "A filter is invalid")),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<WebState>,
    Caller(caller): Caller,
    filter: Result<Query<IncidentFilter>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Page<IncidentOut>>, ApiError> {
    let Query(filter) = filter.map_err(|e| super::invalid("query", e.body_text()))?;
    let query = filter.query()?;
    let page =
        state.services().list_incidents(&caller, query, filter.cursor.as_deref(), super::limit(filter.limit)?).await?;
    Ok(Json(Page { items: page.items.into_iter().map(IncidentOut::from).collect(), next: page.next }))
}

/// Open an incident.
#[utoipa::path(operation_id = "create_incident", post, path = "/api/v1/incidents", tag = "incidents", request_body = NewIncidentIn,
    responses((status = 201, description = "The new incident", body = IncidentOut), (status = 422, description = "A field is invalid")),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<WebState>,
    Caller(caller): Caller,
    body: Result<Json<NewIncidentIn>, JsonRejection>,
) -> Result<(StatusCode, Json<IncidentOut>), ApiError> {
    let Json(body) = body?;
    let incident = state.services().create_incident(&caller, body.parse()?).await?;
    Ok((StatusCode::CREATED, Json(incident.into())))
}

/// Read one incident, by id or by reference.
#[utoipa::path(operation_id = "read_incident", get, path = "/api/v1/incidents/{incident}", tag = "incidents",
    params(("incident" = String, Path, description = "The id (such as 42) or the reference (such as CIRT-2026-00042)")),
    responses((status = 200, body = IncidentOut), (status = 404, description = "No such incident, or not visible to the caller")),
    security(("bearer" = [])))]
pub async fn read(
    State(state): State<WebState>,
    Caller(caller): Caller,
    Path(key): Path<String>,
) -> Result<Json<IncidentOut>, ApiError> {
    Ok(Json(state.services().incident_by_key(&caller, &key).await?.into()))
}

/// Changes to an incident: only the fields given change. `assignee: null` unassigns.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentPatchIn {
    pub title: Option<String>,
    pub description: Option<String>,
    /// `class/type` from the RSIT.
    pub rsit: Option<String>,
    /// low, medium, high or critical (the SLA due times follow).
    pub severity: Option<String>,
    pub tlp: Option<String>,
    pub pap: Option<String>,
    /// A user id, or null to unassign.
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<i64>)]
    pub assignee: Option<Option<i64>>,
    /// The affected organisations' ids (replaces the list).
    pub organisations: Option<Vec<i64>>,
}

impl IncidentPatchIn {
    fn parse(self) -> Result<IncidentChanges, ApiError> {
        Ok(IncidentChanges {
            rsit: self.rsit.map(|v| v.parse::<Rsit>().field("rsit")).transpose()?,
            severity: self.severity.map(|v| v.parse::<Severity>().field("severity")).transpose()?,
            tlp: self.tlp.map(|v| v.parse::<Tlp>().field("tlp")).transpose()?,
            pap: self.pap.map(|v| v.parse::<Pap>().field("pap")).transpose()?,
            assignee: self.assignee.map(|a| a.map(UserId)),
            organisations: self.organisations.map(|o| o.into_iter().map(OrganisationId).collect()),
            title: self.title,
            description: self.description,
        })
    }
}

/// Change an incident's title, description, classification, markings, assignee or organisations.
#[utoipa::path(operation_id = "update_incident", patch, path = "/api/v1/incidents/{incident}", tag = "incidents",
    request_body = IncidentPatchIn, params(("incident" = String, Path, description = "Id or reference")),
    responses((status = 200, body = IncidentOut), (status = 409, description = "Changed meanwhile by someone else")),
    security(("bearer" = [])))]
pub async fn update(
    State(state): State<WebState>,
    Caller(caller): Caller,
    Path(key): Path<String>,
    body: Result<Json<IncidentPatchIn>, JsonRejection>,
) -> Result<Json<IncidentOut>, ApiError> {
    let Json(body) = body?;
    let changes = body.parse()?;
    let incident = state.services().incident_by_key(&caller, &key).await?;
    Ok(Json(state.services().update_incident(&caller, incident.id, changes).await?.into()))
}

/// A move in the incident process.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionIn {
    /// triage, start, wait, resume, resolve, close or reopen.
    #[schema(example = "start")]
    pub transition: String,
}

/// Move an incident through its process; illegal moves are refused with 409.
#[utoipa::path(operation_id = "move_incident", post, path = "/api/v1/incidents/{incident}/transitions", tag = "incidents", request_body = TransitionIn,
    params(("incident" = String, Path, description = "Id or reference")),
    responses((status = 200, body = IncidentOut), (status = 409, description = "The process does not allow this move now")),
    security(("bearer" = [])))]
pub async fn transition(
    State(state): State<WebState>,
    Caller(caller): Caller,
    Path(key): Path<String>,
    body: Result<Json<TransitionIn>, JsonRejection>,
) -> Result<Json<IncidentOut>, ApiError> {
    let Json(body) = body?;
    let transition: Transition = body.transition.parse().field("transition")?;
    let incident = state.services().incident_by_key(&caller, &key).await?;
    Ok(Json(state.services().transition(&caller, incident.id, transition).await?.into()))
}

/// One journal entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct JournalEntryOut {
    pub id: i64,
    /// comment, mail-in, mail-out, state-change or attachment.
    pub kind: String,
    pub author: String,
    pub body: String,
    pub reply_to: Option<i64>,
    #[schema(format = DateTime)]
    pub at: String,
}

impl From<JournalEntry> for JournalEntryOut {
    fn from(e: JournalEntry) -> JournalEntryOut {
        JournalEntryOut {
            id: e.id.0,
            kind: e.kind.to_string(),
            author: e.author,
            body: e.body,
            reply_to: e.reply_to.map(|r| r.0),
            at: time(e.at),
        }
    }
}

/// A journal entry to add.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JournalEntryIn {
    /// comment (default), mail-in or mail-out.
    pub kind: Option<String>,
    pub body: String,
    /// The entry this one answers.
    pub reply_to: Option<i64>,
}

/// An incident's journal, oldest first.
#[utoipa::path(operation_id = "list_journal", get, path = "/api/v1/incidents/{incident}/journal", tag = "incidents",
    params(("incident" = String, Path, description = "Id or reference")),
    responses((status = 200, body = Vec<JournalEntryOut>)), security(("bearer" = [])))]
pub async fn journal(
    State(state): State<WebState>,
    Caller(caller): Caller,
    Path(key): Path<String>,
) -> Result<Json<Vec<JournalEntryOut>>, ApiError> {
    let incident = state.services().incident_by_key(&caller, &key).await?;
    let entries = state.services().journal(&caller, incident.id).await?;
    Ok(Json(entries.into_iter().map(JournalEntryOut::from).collect()))
}

/// Add a journal entry.
#[utoipa::path(operation_id = "add_journal_entry", post, path = "/api/v1/incidents/{incident}/journal", tag = "incidents", request_body = JournalEntryIn,
    params(("incident" = String, Path, description = "Id or reference")),
    responses((status = 201, body = JournalEntryOut)), security(("bearer" = [])))]
pub async fn add_journal_entry(
    State(state): State<WebState>,
    Caller(caller): Caller,
    Path(key): Path<String>,
    body: Result<Json<JournalEntryIn>, JsonRejection>,
) -> Result<(StatusCode, Json<JournalEntryOut>), ApiError> {
    let Json(body) = body?;
    let kind = match body.kind.as_deref() {
        None => JournalKind::Comment,
        Some(k) => k.parse::<JournalKind>().field("kind")?,
    };
    let incident = state.services().incident_by_key(&caller, &key).await?;
    let entry = state
        .services()
        .add_journal_entry(&caller, incident.id, kind, &body.body, body.reply_to.map(JournalEntryId))
        .await?;
    Ok((StatusCode::CREATED, Json(entry.into())))
}

/// A reply to mail from an incident.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyIn {
    /// The recipients. Left out or empty: the abuse contacts of the incident's organisations.
    #[serde(default)]
    #[schema(example = json!(["soc@bank.example"]))]
    pub to: Vec<String>,
    /// The subject; the incident's title when left out. The reference is put in front.
    pub subject: Option<String>,
    /// The text; the TLP line goes above it and the team's signature below.
    pub body: String,
}

/// Mail a reply from an incident, and note it in the journal (kind `mail-out`). Answers 409
/// when outbound mail is not configured, when the incident is TLP:RED (never mailed), or when
/// the mail relay did not take the message (nothing is noted then).
#[utoipa::path(operation_id = "send_reply", post, path = "/api/v1/incidents/{incident}/replies", tag = "incidents", request_body = ReplyIn,
    params(("incident" = String, Path, description = "Id or reference")),
    responses((status = 201, body = JournalEntryOut), (status = 409, description = "Mail not configured, a TLP:RED incident, or the relay did not take it")),
    security(("bearer" = [])))]
pub async fn send_reply(
    State(state): State<WebState>,
    Caller(caller): Caller,
    Path(key): Path<String>,
    body: Result<Json<ReplyIn>, JsonRejection>,
) -> Result<(StatusCode, Json<JournalEntryOut>), ApiError> {
    let Json(body) = body?;
    let to = body.to.iter().map(|a| a.parse::<EmailAddress>()).collect::<Result<Vec<_>, _>>().field("to")?;
    let incident = state.services().incident_by_key(&caller, &key).await?;
    let reply = Reply { to, subject: body.subject, body: body.body };
    let entry = state.services().send_reply(&caller, incident.id, reply).await?;
    Ok((StatusCode::CREATED, Json(entry.into())))
}

/// An incident's observables.
#[utoipa::path(operation_id = "list_observables", get, path = "/api/v1/incidents/{incident}/observables", tag = "incidents",
    params(("incident" = String, Path, description = "Id or reference")),
    responses((status = 200, body = Vec<ObservableOut>)), security(("bearer" = [])))]
pub async fn observables(
    State(state): State<WebState>,
    Caller(caller): Caller,
    Path(key): Path<String>,
) -> Result<Json<Vec<ObservableOut>>, ApiError> {
    let incident = state.services().incident_by_key(&caller, &key).await?;
    let list = state.services().observables(&caller, incident.id).await?;
    Ok(Json(list.iter().map(ObservableOut::from).collect()))
}

/// Whether an observable was added.
#[derive(Debug, Serialize, ToSchema)]
pub struct ObservableAdded {
    pub observable: ObservableOut,
    /// False when the incident had it already.
    pub added: bool,
}

/// Add an observable to an incident.
#[utoipa::path(operation_id = "add_observable", post, path = "/api/v1/incidents/{incident}/observables", tag = "incidents", request_body = ObservableIn,
    params(("incident" = String, Path, description = "Id or reference")),
    responses((status = 201, body = ObservableAdded), (status = 200, body = ObservableAdded, description = "Already there")),
    security(("bearer" = [])))]
pub async fn add_observable(
    State(state): State<WebState>,
    Caller(caller): Caller,
    Path(key): Path<String>,
    body: Result<Json<ObservableIn>, JsonRejection>,
) -> Result<(StatusCode, Json<ObservableAdded>), ApiError> {
    let Json(body) = body?;
    let observable = body.parse("value")?;
    let incident = state.services().incident_by_key(&caller, &key).await?;
    let added = state.services().add_observable(&caller, incident.id, &observable).await?;
    let status = if added { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(ObservableAdded { observable: (&observable).into(), added })))
}

/// A link to another incident.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkIn {
    /// The other incident's id or reference.
    pub to: String,
    /// related, duplicate-of or part-of.
    pub kind: String,
}

/// Link an incident to another.
#[utoipa::path(operation_id = "link_incidents", post, path = "/api/v1/incidents/{incident}/links", tag = "incidents", request_body = LinkIn,
    params(("incident" = String, Path, description = "Id or reference")),
    responses((status = 204, description = "Linked"), (status = 409, description = "Already linked so")), security(("bearer" = [])))]
pub async fn link(
    State(state): State<WebState>,
    Caller(caller): Caller,
    Path(key): Path<String>,
    body: Result<Json<LinkIn>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let Json(body) = body?;
    let kind: LinkKind = body.kind.parse().field("kind")?;
    let from = state.services().incident_by_key(&caller, &key).await?;
    let to = state.services().incident_by_key(&caller, &body.to).await?;
    state.services().link_incidents(&caller, from.id, to.id, kind).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An incident found by one of its observables.
#[derive(Debug, Serialize, ToSchema)]
pub struct ObservableMatch {
    pub incident: IncidentOut,
    /// The incident's observables that matched.
    pub matched: Vec<ObservableOut>,
}

/// The observable search's parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ObservableSearch {
    /// An IP, CIDR, domain, URL, e-mail, hash or AS number (defanged forms accepted). An IP
    /// matches the CIDRs that contain it; a CIDR matches the IPs and CIDRs inside it.
    pub q: String,
    /// How many items (1 to 200, default 50).
    pub limit: Option<u32>,
    /// The `next` value of the previous page.
    pub cursor: Option<String>,
}

/// Find incidents by observable.
#[utoipa::path(operation_id = "search_observable", get, path = "/api/v1/observables/search", tag = "incidents", params(ObservableSearch),
    responses((status = 200, body = Page<ObservableMatch>), (status = 422, description = "q is not an observable")),
    security(("bearer" = [])))]
pub async fn search_observable(
    State(state): State<WebState>,
    Caller(caller): Caller,
    params: Result<Query<ObservableSearch>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Page<ObservableMatch>>, ApiError> {
    let Query(params) = params.map_err(|e| super::invalid("query", e.body_text()))?;
    let observable = Observable::parse(&params.q).field("q")?;
    let page = state
        .services()
        .search_by_observable(&caller, &observable, params.cursor.as_deref(), super::limit(params.limit)?)
        .await?;
    Ok(Json(Page {
        items: page
            .items
            .into_iter()
            .map(|(incident, matched)| ObservableMatch {
                incident: incident.into(),
                matched: matched.iter().map(ObservableOut::from).collect(),
            })
            .collect(),
        next: page.next,
    }))
}
