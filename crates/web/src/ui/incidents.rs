//! Incident pages: the list with filters, full-text and observable search; the incident page
//! with its TLP banner, classification, legal state moves, journal, replies, observables,
//! organisations, links and SLA clock; opening an incident with paste-to-extract; merging.

use super::{Chrome, OrPage, Viewer, error_page, render, render_with, see_other, url_encode, when};
use crate::WebState;
use axum::{
    Form,
    body::Bytes,
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode},
    response::Response,
};
use chrono::{DateTime, Utc};
use cirtkit_domain::{
    EmailAddress, Incident, IncidentChanges, IncidentQuery, IncidentState, JournalKind, NewIncident, Observable,
    OrganisationId, Pap, Rsit, Severity, Tlp, Transition, UserId, extract::extract_observables,
};
use cirtkit_service::{Reply, ServiceError, Services};
use serde::Deserialize;

/// How many incidents a list page shows.
const PAGE_SIZE: u32 = 50;

/// An incident as a list row.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub reference: String,
    pub title: String,
    pub state_label: String,
    pub severity: &'static str,
    pub severity_label: String,
    pub tlp_class: &'static str,
    pub tlp: String,
    pub rsit: String,
    pub updated: String,
    pub overdue: bool,
    /// Observables that matched an observable search.
    pub matched: Vec<String>,
}

impl Row {
    pub fn new(t: &super::Tr, i: &Incident, now: DateTime<Utc>) -> Row {
        Row {
            reference: i.reference.to_string(),
            title: i.title.clone(),
            state_label: t.state(i.state),
            severity: i.severity.as_str(),
            severity_label: t.severity(i.severity),
            tlp_class: tlp_class(i.tlp),
            tlp: i.tlp.to_string(),
            rsit: i.rsit.to_string(),
            updated: when(i.updated_at),
            overdue: i.state.is_open() && (i.response_overdue(now) || i.resolution_overdue(now)),
            matched: Vec::new(),
        }
    }
}

pub(crate) fn tlp_class(tlp: Tlp) -> &'static str {
    match tlp {
        Tlp::Clear => "tlp-clear",
        Tlp::Green => "tlp-green",
        Tlp::Amber => "tlp-amber",
        Tlp::AmberStrict => "tlp-amber-strict",
        Tlp::Red => "tlp-red",
    }
}

/// A choice in a select box.
#[derive(Debug, Clone)]
pub(crate) struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

fn choices<T>(
    items: impl IntoIterator<Item = T>,
    value: impl Fn(&T) -> String,
    label: impl Fn(&T) -> String,
    current: &str,
) -> Vec<Choice> {
    items
        .into_iter()
        .map(|item| {
            let v = value(&item);
            Choice { selected: v == current, label: label(&item), value: v }
        })
        .collect()
}

/// The list's filters, as the form sends them.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Filter {
    #[serde(default)]
    q: String,
    #[serde(default)]
    obs: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    rsit_class: String,
    #[serde(default)]
    tlp: String,
    #[serde(default)]
    organisation: String,
    #[serde(default)]
    assignee: String,
    #[serde(default)]
    created_from: String,
    #[serde(default)]
    created_to: String,
    cursor: Option<String>,
}

impl Filter {
    /// The query, or the name of the first field that does not read.
    fn query(&self) -> Result<IncidentQuery, &'static str> {
        let mut query = IncidentQuery::default();
        if !self.state.is_empty() {
            query.states = vec![self.state.parse().map_err(|_| "filter-state")?];
        }
        if !self.severity.is_empty() {
            query.severities = vec![self.severity.parse().map_err(|_| "filter-severity")?];
        }
        if !self.rsit_class.is_empty() {
            query = query.with_rsit_class(&self.rsit_class).map_err(|_| "filter-class")?;
        }
        if !self.tlp.is_empty() {
            query.tlps = vec![self.tlp.parse().map_err(|_| "filter-tlp")?];
        }
        if !self.organisation.is_empty() {
            query.organisation = Some(OrganisationId(self.organisation.parse().map_err(|_| "filter-organisation")?));
        }
        if !self.assignee.is_empty() {
            query.assignee = Some(UserId(self.assignee.parse().map_err(|_| "filter-assignee")?));
        }
        query.created_after = super::day_bound(&self.created_from, "filter-created-from", false)?;
        query.created_before = super::day_bound(&self.created_to, "filter-created-to", true)?;
        query.text = Some(self.q.clone()).filter(|q| !q.trim().is_empty());
        Ok(query)
    }

    /// The filters as a query string, without the cursor (for the next page's link).
    fn query_string(&self) -> String {
        let pairs = [
            ("q", &self.q),
            ("obs", &self.obs),
            ("state", &self.state),
            ("severity", &self.severity),
            ("rsit_class", &self.rsit_class),
            ("tlp", &self.tlp),
            ("organisation", &self.organisation),
            ("assignee", &self.assignee),
            ("created_from", &self.created_from),
            ("created_to", &self.created_to),
        ];
        super::query_string(&pairs)
    }
}

#[derive(askama::Template)]
#[template(path = "incidents.html")]
struct ListPage {
    c: Chrome,
    f: Filter,
    rows: Vec<Row>,
    next: Option<String>,
    first: Option<String>,
    error: Option<String>,
    states: Vec<Choice>,
    severities: Vec<Choice>,
    classes: Vec<Choice>,
    tlps: Vec<Choice>,
    organisations: Vec<Choice>,
    users: Vec<Choice>,
}

/// `GET /incidents`.
pub(crate) async fn list(
    State(state): State<WebState>,
    viewer: Viewer,
    Query(f): Query<Filter>,
) -> Result<Response, Response> {
    let services = state.services();
    let t = viewer.t();
    let now = services.clock().now();
    let who = &viewer.principal;
    let mut error = None;
    let mut rows = Vec::new();
    let mut next = None;
    let cursor = f.cursor.as_deref();
    if !f.obs.trim().is_empty() {
        match Observable::parse(f.obs.trim()) {
            Ok(observable) => {
                let page = services.search_by_observable(who, &observable, cursor, PAGE_SIZE).await.or_page(&viewer)?;
                next = page.next;
                rows = page
                    .items
                    .iter()
                    .map(|(i, matched)| Row {
                        matched: matched.iter().map(Observable::value).collect(),
                        ..Row::new(&t, i, now)
                    })
                    .collect();
            }
            Err(_) => error = Some(t.get("filter-bad-observable")),
        }
    } else {
        match f.query() {
            Ok(query) => {
                let page = services.list_incidents(who, query, cursor, PAGE_SIZE).await.or_page(&viewer)?;
                next = page.next;
                rows = page.items.iter().map(|i| Row::new(&t, i, now)).collect();
            }
            Err(field) => error = Some(t.with("filter-invalid", "field", &t.get(field))),
        }
    }
    let (first, next) = super::page_links("/incidents", &f.query_string(), f.cursor.as_deref(), next);
    let staff = !matches!(who.role(), cirtkit_domain::Role::Constituent(_));
    let organisations = if staff {
        let orgs = services.organisations(who).await.unwrap_or_default();
        choices(orgs, |o| o.id.0.to_string(), |o| o.details.name.clone(), &f.organisation)
    } else {
        Vec::new()
    };
    let users = if staff {
        let users = services.users(who).await.unwrap_or_default();
        choices(users, |u| u.id.0.to_string(), |u| u.name.to_string(), &f.assignee)
    } else {
        Vec::new()
    };
    let page = ListPage {
        c: Chrome::new(&viewer, "incidents", t.get("nav-incidents")),
        states: choices(IncidentState::ALL, |s| s.as_str().to_owned(), |s| t.state(*s), &f.state),
        severities: choices(
            Severity::ALL.into_iter().rev(),
            |s| s.as_str().to_owned(),
            |s| t.severity(*s),
            &f.severity,
        ),
        classes: choices(Rsit::classes(), |c| (*c).to_owned(), |c| (*c).to_owned(), &f.rsit_class),
        tlps: choices(Tlp::ALL, |x| x.to_string(), |x| x.to_string(), &f.tlp),
        organisations,
        users,
        f,
        rows,
        next,
        first,
        error,
    };
    Ok(render(&page))
}

/// A journal entry as the page shows it.
#[derive(Debug, Clone)]
struct EntryView {
    kind: &'static str,
    kind_label: String,
    author: String,
    at: String,
    body: String,
}

/// A move the incident may make now.
#[derive(Debug, Clone)]
struct Move {
    transition: &'static str,
    label: String,
}

#[derive(askama::Template)]
#[template(path = "incident.html")]
struct IncidentPage {
    c: Chrome,
    i: Incident,
    tlp_class: &'static str,
    state_label: String,
    severity_label: String,
    moves: Vec<Move>,
    journal: Vec<EntryView>,
    observables: Vec<(String, String)>,
    organisations: Vec<(i64, String)>,
    links: Vec<(String, String)>,
    assignee: String,
    created: String,
    updated: String,
    respond_by: String,
    resolve_by: String,
    response_overdue: bool,
    resolution_overdue: bool,
    error: Option<String>,
    rsits: Vec<Choice>,
    severities: Vec<Choice>,
    tlps: Vec<Choice>,
    paps: Vec<Choice>,
    users: Vec<Choice>,
    reply_to: String,
    can_edit: bool,
    /// The incident's files: id, name, size, type.
    attachments: Vec<(i64, String, String, String)>,
}

async fn incident_page(
    services: &Services,
    viewer: &Viewer,
    key: &str,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, Response> {
    let who = &viewer.principal;
    let t = viewer.t();
    let i = services.incident_by_key(who, key).await.or_page(viewer)?;
    let now = services.clock().now();
    let journal = services.journal(who, i.id).await.or_page(viewer)?;
    let observables = services.observables(who, i.id).await.or_page(viewer)?;
    let mut organisations = Vec::new();
    let mut reply_to = Vec::new();
    for id in &i.organisations {
        if let Ok(org) = services.organisation(who, *id).await {
            reply_to.extend(org.details.contacts.iter().map(|c| c.email.to_string()));
            organisations.push((id.0, org.details.name));
        }
    }
    let links = services.store().incident_links(i.id).await.map_err(|e| error_page(viewer, &ServiceError::from(e)))?;
    let mut link_views = Vec::new();
    for link in links {
        let other = if link.from == i.id { link.to } else { link.from };
        if let Ok(o) = services.incident(who, other).await {
            let label = if link.from == i.id { t.link(link.kind, true) } else { t.link(link.kind, false) };
            link_views.push((o.reference.to_string(), format!("{label} {} — {}", o.reference, o.title)));
        }
    }
    let attachments = services
        .attachments(who, i.id)
        .await
        .or_page(viewer)?
        .into_iter()
        .map(|a| (a.id.0, a.filename, human_size(a.size), a.content_type))
        .collect();
    let can_edit = who.role().allows(cirtkit_domain::Permission::EditIncidents);
    let users = if can_edit { services.users(who).await.unwrap_or_default() } else { Vec::new() };
    let assignee = i
        .assignee
        .and_then(|a| users.iter().find(|u| u.id == a).map(|u| u.name.to_string()))
        .unwrap_or_else(|| i.assignee.map_or_else(|| t.get("incident-unassigned"), |a| format!("#{}", a.0)));
    let current_assignee = i.assignee.map(|a| a.0.to_string()).unwrap_or_default();
    let mut user_choices =
        vec![Choice { value: String::new(), label: t.get("incident-unassigned"), selected: i.assignee.is_none() }];
    user_choices.extend(choices(users, |u| u.id.0.to_string(), |u| u.name.to_string(), &current_assignee));
    let page = IncidentPage {
        c: Chrome::new(viewer, "incidents", format!("{} {}", i.reference, i.title)),
        tlp_class: tlp_class(i.tlp),
        state_label: t.state(i.state),
        severity_label: t.severity(i.severity),
        moves: i
            .state
            .transitions()
            .iter()
            .map(|(tr, _)| Move { transition: tr.as_str(), label: t.transition(*tr) })
            .collect(),
        journal: journal
            .into_iter()
            .map(|e| EntryView {
                kind: e.kind.as_str(),
                kind_label: t.journal_kind(e.kind),
                author: e.author,
                at: when(e.at),
                body: e.body,
            })
            .collect(),
        observables: observables.iter().map(|o| (o.kind().to_string(), o.value())).collect(),
        organisations,
        links: link_views,
        assignee,
        created: when(i.created_at),
        updated: when(i.updated_at),
        respond_by: when(i.respond_by),
        resolve_by: when(i.resolve_by),
        response_overdue: i.state.is_open() && i.response_overdue(now),
        resolution_overdue: i.state.is_open() && i.resolution_overdue(now),
        error,
        rsits: choices(Rsit::all(), |r| r.to_string(), |r| r.to_string(), &i.rsit.to_string()),
        severities: choices(
            Severity::ALL.into_iter().rev(),
            |s| s.as_str().to_owned(),
            |s| t.severity(*s),
            i.severity.as_str(),
        ),
        tlps: choices(Tlp::ALL, |x| x.to_string(), |x| x.to_string(), &i.tlp.to_string()),
        paps: choices(Pap::ALL, |x| x.to_string(), |x| x.to_string(), &i.pap.to_string()),
        users: user_choices,
        reply_to: reply_to.join(", "),
        can_edit,
        attachments,
        i,
    };
    Ok(render_with(status, &page))
}

/// A size for people: bytes, kB or MB (decimal, as mail programs show them).
fn human_size(bytes: i64) -> String {
    match bytes {
        b if b < 1_000 => format!("{b} B"),
        b if b < 1_000_000 => format!("{:.1} kB", b as f64 / 1_000.0),
        b => format!("{:.1} MB", b as f64 / 1_000_000.0),
    }
}

/// `GET /incidents/{key}/attachments/{id}`: a file of the incident, as a download.
pub(crate) async fn attachment(
    State(state): State<WebState>,
    viewer: Viewer,
    Path((key, id)): Path<(String, i64)>,
) -> Result<Response, Response> {
    let services = state.services();
    let i = services.incident_by_key(&viewer.principal, &key).await.or_page(&viewer)?;
    let (file, content) =
        services.attachment(&viewer.principal, i.id, cirtkit_domain::AttachmentId(id)).await.or_page(&viewer)?;
    Ok(crate::api::attachments::file_response(&file, content))
}

/// `GET /incidents/{key}`.
pub(crate) async fn page(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(key): Path<String>,
) -> Result<Response, Response> {
    incident_page(state.services(), &viewer, &key, None, StatusCode::OK).await
}

/// After an action on an incident: back to its page, or the page again with what went wrong.
async fn after_action(
    services: &Services,
    viewer: &Viewer,
    key: &str,
    result: Result<(), ServiceError>,
    anchor: &str,
) -> Result<Response, Response> {
    match result {
        Ok(()) => Ok(see_other(&format!("/incidents/{}{anchor}", url_encode(key)))),
        Err(e) if e.is_caller_error() && !matches!(e, ServiceError::NotFound(_) | ServiceError::Forbidden(_)) => {
            let status = if matches!(e, ServiceError::Conflict(_)) {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            incident_page(services, viewer, key, Some(e.to_string()), status).await
        }
        Err(e) => Err(error_page(viewer, &e)),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct TransitionForm {
    csrf: String,
    transition: String,
}

/// `POST /incidents/{key}/transition`.
pub(crate) async fn transition(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(key): Path<String>,
    Form(form): Form<TransitionForm>,
) -> Result<Response, Response> {
    viewer.check_csrf(&form.csrf)?;
    let services = state.services();
    let result = async {
        let transition: Transition = form.transition.parse()?;
        let i = services.incident_by_key(&viewer.principal, &key).await?;
        services.transition(&viewer.principal, i.id, transition).await.map(|_| ())
    }
    .await;
    after_action(services, &viewer, &key, result, "").await
}

#[derive(Debug, Deserialize)]
pub(crate) struct CommentForm {
    csrf: String,
    body: String,
}

/// `POST /incidents/{key}/comment`.
pub(crate) async fn comment(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(key): Path<String>,
    Form(form): Form<CommentForm>,
) -> Result<Response, Response> {
    viewer.check_csrf(&form.csrf)?;
    let services = state.services();
    let result = async {
        let i = services.incident_by_key(&viewer.principal, &key).await?;
        services.add_journal_entry(&viewer.principal, i.id, JournalKind::Comment, &form.body, None).await.map(|_| ())
    }
    .await;
    after_action(services, &viewer, &key, result, "#journal").await
}

#[derive(Debug, Deserialize)]
pub(crate) struct ReplyForm {
    csrf: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    subject: String,
    body: String,
}

/// `POST /incidents/{key}/reply`: mail from the incident, logged in its journal.
pub(crate) async fn reply(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(key): Path<String>,
    Form(form): Form<ReplyForm>,
) -> Result<Response, Response> {
    viewer.check_csrf(&form.csrf)?;
    let services = state.services();
    let result = async {
        let to = form
            .to
            .split([',', ';', '\n'])
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(|a| a.parse::<EmailAddress>())
            .collect::<Result<Vec<_>, _>>()?;
        let i = services.incident_by_key(&viewer.principal, &key).await?;
        let subject = Some(form.subject.trim().to_owned()).filter(|s| !s.is_empty());
        services.send_reply(&viewer.principal, i.id, Reply { to, subject, body: form.body.clone() }).await.map(|_| ())
    }
    .await;
    after_action(services, &viewer, &key, result, "#journal").await
}

#[derive(Debug, Deserialize)]
pub(crate) struct ObservableForm {
    csrf: String,
    value: String,
}

/// `POST /incidents/{key}/observables`: one observable, or every one found in pasted text.
pub(crate) async fn add_observable(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(key): Path<String>,
    Form(form): Form<ObservableForm>,
) -> Result<Response, Response> {
    viewer.check_csrf(&form.csrf)?;
    let services = state.services();
    let result = async {
        let i = services.incident_by_key(&viewer.principal, &key).await?;
        let found = match Observable::parse(form.value.trim()) {
            Ok(o) => vec![o],
            Err(e) => {
                let found = extract_observables(&form.value);
                if found.is_empty() {
                    return Err(e.into());
                }
                found
            }
        };
        for o in &found {
            services.add_observable(&viewer.principal, i.id, o).await?;
        }
        Ok(())
    }
    .await;
    after_action(services, &viewer, &key, result, "#observables").await
}

#[derive(Debug, Deserialize)]
pub(crate) struct EditForm {
    csrf: String,
    updated_at: String,
    title: String,
    #[serde(default)]
    description: String,
    rsit: String,
    severity: String,
    tlp: String,
    pap: String,
    #[serde(default)]
    assignee: String,
}

/// `POST /incidents/{key}`: the classification, markings, assignee, title and description.
/// A change made by someone else since the page was loaded is not overwritten.
pub(crate) async fn edit(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(key): Path<String>,
    Form(form): Form<EditForm>,
) -> Result<Response, Response> {
    viewer.check_csrf(&form.csrf)?;
    let services = state.services();
    let result = async {
        let i = services.incident_by_key(&viewer.principal, &key).await?;
        if i.updated_at.to_rfc3339() != form.updated_at {
            return Err(ServiceError::Conflict(
                "someone changed this incident while you were editing it: your changes were not saved; check the \
                 incident as it is now and make them again"
                    .into(),
            ));
        }
        let assignee = if form.assignee.is_empty() {
            None
        } else {
            Some(UserId(
                form.assignee.parse().map_err(|_| ServiceError::Invalid("choose an assignee from the list".into()))?,
            ))
        };
        let changes = IncidentChanges {
            title: Some(form.title.clone()).filter(|t| *t != i.title),
            description: Some(form.description.clone()).filter(|d| *d != i.description),
            rsit: Some(form.rsit.parse()?).filter(|r| *r != i.rsit),
            severity: Some(form.severity.parse()?).filter(|s| *s != i.severity),
            tlp: Some(form.tlp.parse()?).filter(|x| *x != i.tlp),
            pap: Some(form.pap.parse()?).filter(|x| *x != i.pap),
            assignee: Some(assignee).filter(|a| *a != i.assignee),
            organisations: None,
        };
        services.update_incident(&viewer.principal, i.id, changes).await.map(|_| ())
    }
    .await;
    after_action(services, &viewer, &key, result, "").await
}

#[derive(Debug, Deserialize)]
pub(crate) struct MergeForm {
    csrf: String,
    into: String,
}

/// `POST /incidents/{key}/merge`: this incident is a duplicate of `into`.
pub(crate) async fn merge(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(key): Path<String>,
    Form(form): Form<MergeForm>,
) -> Result<Response, Response> {
    viewer.check_csrf(&form.csrf)?;
    let services = state.services();
    let result = async {
        let source = services.incident_by_key(&viewer.principal, &key).await?;
        let target = services.incident_by_key(&viewer.principal, form.into.trim()).await?;
        services.merge_incidents(&viewer.principal, source.id, target.id).await
    }
    .await;
    match result {
        Ok(target) => Ok(see_other(&format!("/incidents/{}", target.reference))),
        Err(e) => after_action(services, &viewer, &key, Err(e), "").await,
    }
}

/// What the new-incident form holds (also when it comes back with an error or found observables).
#[derive(Debug, Default)]
pub(crate) struct NewForm {
    csrf: String,
    title: String,
    description: String,
    rsit: String,
    severity: String,
    tlp: String,
    pap: String,
    /// The pasted mail or log.
    paste: String,
    /// The observables the handler keeps (one checkbox each, so the field repeats).
    observable: Vec<String>,
}

impl NewForm {
    /// Reads the form body; the checkboxes repeat `observable`, which serde's URL-encoded
    /// format does not take, so the pairs are read here.
    fn parse(body: &[u8]) -> NewForm {
        let mut f = NewForm::default();
        for (key, value) in form_urlencoded::parse(body) {
            let value = value.into_owned();
            match key.as_ref() {
                "csrf" => f.csrf = value,
                "title" => f.title = value,
                "description" => f.description = value,
                "rsit" => f.rsit = value,
                "severity" => f.severity = value,
                "tlp" => f.tlp = value,
                "pap" => f.pap = value,
                "paste" => f.paste = value,
                "observable" => f.observable.push(value),
                _ => {}
            }
        }
        f
    }
}

#[derive(askama::Template)]
#[template(path = "incident_new.html")]
struct NewPage {
    c: Chrome,
    f: NewForm,
    found: Vec<(String, String, bool)>,
    error: Option<String>,
    rsits: Vec<Choice>,
    severities: Vec<Choice>,
    tlps: Vec<Choice>,
    paps: Vec<Choice>,
}

#[derive(askama::Template)]
#[template(path = "observables_found.html")]
struct FoundFragment {
    c: Chrome,
    found: Vec<(String, String, bool)>,
}

fn new_form_page(viewer: &Viewer, f: NewForm, found: Vec<(String, String, bool)>, error: Option<String>) -> NewPage {
    let t = viewer.t();
    let rsit = if f.rsit.is_empty() { Rsit::undetermined().to_string() } else { f.rsit.clone() };
    let severity = if f.severity.is_empty() { "medium".to_owned() } else { f.severity.clone() };
    let tlp = if f.tlp.is_empty() { Tlp::Amber.to_string() } else { f.tlp.clone() };
    let pap = if f.pap.is_empty() { Pap::Amber.to_string() } else { f.pap.clone() };
    NewPage {
        c: Chrome::new(viewer, "new", t.get("new-title")),
        rsits: choices(Rsit::all(), |r| r.to_string(), |r| r.to_string(), &rsit),
        severities: choices(Severity::ALL.into_iter().rev(), |s| s.as_str().to_owned(), |s| t.severity(*s), &severity),
        tlps: choices(Tlp::ALL, |x| x.to_string(), |x| x.to_string(), &tlp),
        paps: choices(Pap::ALL, |x| x.to_string(), |x| x.to_string(), &pap),
        f,
        found,
        error,
    }
}

/// The observables in the pasted text and those already chosen, each with whether it is kept.
fn found_in(f: &NewForm) -> Vec<(String, String, bool)> {
    let mut found: Vec<(String, String, bool)> = Vec::new();
    for value in &f.observable {
        if let Ok(o) = Observable::parse(value) {
            found.push((o.kind().to_string(), o.value(), true));
        }
    }
    for o in extract_observables(&f.paste) {
        if !found.iter().any(|(_, v, _)| *v == o.value()) {
            found.push((o.kind().to_string(), o.value(), true));
        }
    }
    found
}

/// `GET /incidents/new`.
pub(crate) async fn new_page(viewer: Viewer) -> Result<Response, Response> {
    viewer.principal.require(cirtkit_domain::Permission::EditIncidents).or_page(&viewer)?;
    Ok(render(&new_form_page(&viewer, NewForm::default(), Vec::new(), None)))
}

/// `POST /incidents/new/extract`: finds the observables in the pasted text. The script asks for
/// the list alone (`X-Partial`); without it the whole form comes back with the list filled in.
pub(crate) async fn extract(viewer: Viewer, headers: HeaderMap, body: Bytes) -> Result<Response, Response> {
    let f = NewForm::parse(&body);
    viewer.check_csrf(&f.csrf)?;
    let found = found_in(&f);
    if headers.contains_key("x-partial") {
        let c = Chrome::new(&viewer, "new", String::new());
        return Ok(render(&FoundFragment { c, found }));
    }
    Ok(render(&new_form_page(&viewer, f, found, None)))
}

/// `POST /incidents/new`.
pub(crate) async fn create(State(state): State<WebState>, viewer: Viewer, body: Bytes) -> Result<Response, Response> {
    let f = NewForm::parse(&body);
    viewer.check_csrf(&f.csrf)?;
    let services = state.services();
    let result = async {
        let observables = f.observable.iter().map(|v| Observable::parse(v)).collect::<Result<Vec<_>, _>>()?;
        let mut description = f.description.clone();
        if !f.paste.trim().is_empty() {
            if !description.is_empty() {
                description.push_str("\n\n");
            }
            description.push_str(f.paste.trim());
        }
        let new = NewIncident {
            title: f.title.clone(),
            description,
            rsit: f.rsit.parse()?,
            severity: f.severity.parse()?,
            tlp: f.tlp.parse()?,
            pap: f.pap.parse()?,
            assignee: viewer.principal.user().map(|u| u.id),
            organisations: Vec::new(),
            observables,
        };
        services.create_incident(&viewer.principal, new).await
    }
    .await;
    match result {
        Ok(incident) => Ok(see_other(&format!("/incidents/{}", incident.reference))),
        Err(e) if e.is_caller_error() && !matches!(e, ServiceError::Forbidden(_)) => {
            let found = found_in(&f);
            Ok(render_with(StatusCode::UNPROCESSABLE_ENTITY, &new_form_page(&viewer, f, found, Some(e.to_string()))))
        }
        Err(e) => Err(error_page(&viewer, &e)),
    }
}
