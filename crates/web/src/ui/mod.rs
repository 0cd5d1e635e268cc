//! The handlers' web interface: server-rendered pages (askama templates in `templates/`), one
//! stylesheet and one small script compiled into the binary, every string from the Fluent
//! catalogues in `locales/`. Handlers are thin like the API's: they read the form, call one
//! service, and render a page; the services enforce the roles.
//!
//! Map: `session` (who is looking, cookies, CSRF), `i18n` (languages), `assets` (CSS and JS),
//! `auth` (sign-in, two-factor, sign-out), `dashboard`, `incidents` (list, page, actions, new,
//! merge), `organisations`, `admin` (users and tokens), `settings` (password, language, second
//! factor) and `report` (the public form).

// Page handlers answer a page either way (`Result<Response, Response>`, as axum does): the
// error side is a response on its way out, boxing it would buy nothing.
#![allow(clippy::result_large_err)]

mod admin;
mod assets;
mod auth;
mod dashboard;
mod events;
pub(crate) mod i18n;
mod incidents;
mod organisations;
mod report;
mod session;
mod settings;
mod svg;

use crate::WebState;
use axum::{
    Router,
    http::{HeaderMap, StatusCode, header},
    middleware,
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};
use cirtkit_domain::{Permission, Role};
use cirtkit_service::ServiceError;
use i18n::{Lang, Tr};
pub(crate) use session::{Viewer, Visitor};

/// The routes of the interface.
pub(crate) fn routes() -> Router<WebState> {
    Router::new()
        .route("/assets/{name}", get(assets::serve))
        .route("/login", get(auth::login_page).post(auth::login))
        .route("/login/code", post(auth::second_factor))
        .route("/logout", post(auth::logout))
        .route("/language", post(settings::language))
        .route("/dashboard", get(dashboard::page))
        .route("/incidents", get(incidents::list))
        .route("/incidents/new", get(incidents::new_page).post(incidents::create))
        .route("/incidents/new/extract", post(incidents::extract))
        .route("/incidents/{key}", get(incidents::page).post(incidents::edit))
        .route("/incidents/{key}/transition", post(incidents::transition))
        .route("/incidents/{key}/comment", post(incidents::comment))
        .route("/incidents/{key}/reply", post(incidents::reply))
        .route("/incidents/{key}/observables", post(incidents::add_observable))
        .route("/incidents/{key}/merge", post(incidents::merge))
        .route("/incidents/{key}/attachments/{id}", get(incidents::attachment))
        .route("/events", get(events::list))
        .route("/events/incident", post(events::open_incident))
        .route("/feeds", get(events::feeds))
        .route("/feeds/rerun", post(events::rerun_quarantine))
        .route("/organisations", get(organisations::list))
        .route("/organisations/{id}", get(organisations::page))
        .route("/admin/users", get(admin::users).post(admin::create_user))
        .route("/admin/users/{name}", post(admin::change_user))
        .route("/admin/tokens", get(admin::tokens).post(admin::create_token))
        .route("/admin/tokens/{id}/revoke", post(admin::revoke_token))
        .route("/settings", get(settings::page))
        .route("/settings/password", post(settings::password))
        .route("/settings/totp", post(settings::totp_start))
        .route("/settings/totp/confirm", post(settings::totp_confirm))
        .route("/settings/totp/disable", post(settings::totp_disable))
        .route("/report", get(report::form).post(report::submit))
        .layer(middleware::from_fn(session::same_origin_posts))
}

/// `GET /`: browsers go to the dashboard (or sign in); programs get what this server is.
pub(crate) async fn home(state: axum::extract::State<WebState>, headers: HeaderMap) -> Response {
    let wants_html = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"));
    if wants_html {
        Redirect::to("/dashboard").into_response()
    } else {
        crate::health::index(state).await.into_response()
    }
}

/// The signed-in user, as the page header shows them and as the pages decide what to offer.
#[derive(Debug, Clone)]
pub(crate) struct Me {
    pub display: String,
    /// May change incidents.
    pub can_edit: bool,
    /// The CIRT's own staff (not a constituent).
    pub staff: bool,
    pub admin: bool,
    pub constituent_of: Option<i64>,
}

/// What every page's frame needs: the language, who is signed in, the CSRF token for its forms,
/// where we are.
#[derive(Debug, Clone)]
pub(crate) struct Chrome {
    pub t: Tr,
    pub lang: Lang,
    pub langs: [Lang; 3],
    pub me: Option<Me>,
    pub csrf: String,
    pub nav: &'static str,
    pub title: String,
    pub path: String,
    pub css: &'static str,
    pub js: &'static str,
}

impl Chrome {
    pub fn new(viewer: &Viewer, nav: &'static str, title: String) -> Chrome {
        let role = viewer.principal.role();
        let me = viewer.principal.user().map(|u| Me {
            display: if u.display_name.trim().is_empty() { u.name.to_string() } else { u.display_name.clone() },
            can_edit: role.allows(Permission::EditIncidents),
            staff: !matches!(role, Role::Constituent(_)),
            admin: role.allows(Permission::ManageUsers),
            constituent_of: role.organisation().map(|o| o.0),
        });
        Chrome {
            t: viewer.t(),
            lang: viewer.lang,
            langs: Lang::ALL,
            me,
            csrf: viewer.csrf.clone(),
            nav,
            title,
            path: viewer.path.clone(),
            css: assets::css_path(),
            js: assets::js_path(),
        }
    }

    pub fn public(visitor: &Visitor, title: String) -> Chrome {
        Chrome {
            t: Tr::new(visitor.lang),
            lang: visitor.lang,
            langs: Lang::ALL,
            me: None,
            csrf: visitor.session.as_ref().map(|s| s.csrf_token.clone()).unwrap_or_default(),
            nav: "",
            title,
            path: visitor.path.clone(),
            css: assets::css_path(),
            js: assets::js_path(),
        }
    }
}

/// Renders a template into an HTML answer.
pub(crate) fn render(template: &impl askama::Template) -> Response {
    render_with(StatusCode::OK, template)
}

pub(crate) fn render_with(status: StatusCode, template: &impl askama::Template) -> Response {
    match template.render() {
        Ok(html) => (status, [(header::CACHE_CONTROL, "no-store")], Html(html)).into_response(),
        Err(error) => {
            tracing::error!(%error, "page rendering failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "the page could not be rendered").into_response()
        }
    }
}

#[derive(askama::Template)]
#[template(path = "error.html")]
struct ErrorPage {
    c: Chrome,
    heading: String,
    message: String,
}

/// An error page in the viewer's language, for what a service refused.
pub(crate) fn error_page(viewer: &Viewer, error: &ServiceError) -> Response {
    let t = viewer.t();
    let (status, heading) = match error {
        ServiceError::Unauthenticated(_) => return Redirect::to("/login").into_response(),
        ServiceError::NotFound(_) => (StatusCode::NOT_FOUND, t.get("error-not-found")),
        ServiceError::Forbidden(_) => (StatusCode::FORBIDDEN, t.get("error-forbidden")),
        ServiceError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, t.get("error-invalid")),
        ServiceError::Conflict(_) => (StatusCode::CONFLICT, t.get("error-conflict")),
        ServiceError::Storage(_) => (StatusCode::INTERNAL_SERVER_ERROR, t.get("error-internal")),
    };
    let message = if error.is_caller_error() {
        error.to_string()
    } else {
        tracing::error!(error = %error, "service failed behind a page");
        String::new()
    };
    render_with(status, &ErrorPage { c: Chrome::new(viewer, "", heading.clone()), heading, message })
}

/// `?` for service results in page handlers: an error becomes the error page.
pub(crate) trait OrPage<T> {
    fn or_page(self, viewer: &Viewer) -> Result<T, Response>;
}

impl<T> OrPage<T> for Result<T, ServiceError> {
    fn or_page(self, viewer: &Viewer) -> Result<T, Response> {
        self.map_err(|e| error_page(viewer, &e))
    }
}

/// A 303 to `path` after a form succeeded (the browser then GETs it: reloading does not resend).
pub(crate) fn see_other(path: &str) -> Response {
    Redirect::to(path).into_response()
}

/// Percent-encodes a query value.
pub(crate) fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => out.push(char::from(b)),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A list's filters as a query string: the non-empty ones, encoded.
pub(crate) fn query_string(pairs: &[(&str, &String)]) -> String {
    pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", url_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The links of a keyset-paged list at `path` with these filters: back to the first page (when
/// on a later one) and to the next page (when there is one).
pub(crate) fn page_links(
    path: &str,
    filters: &str,
    cursor: Option<&str>,
    next: Option<String>,
) -> (Option<String>, Option<String>) {
    let first = cursor.map(|_| format!("{path}?{filters}"));
    let separator = if filters.is_empty() { "" } else { "&" };
    let next = next.map(|c| format!("{path}?{filters}{separator}cursor={}", url_encode(&c)));
    (first, next)
}

/// Only local paths are followed after signing in or changing language (no open redirect).
pub(crate) fn local_path(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") { next } else { "/dashboard" }
}

/// A date from a filter form (`YYYY-MM-DD`) as the start of that day, or of the next day when
/// it ends a range (`next`); empty is no bound, a bad date names `field` (a catalogue key).
pub(crate) fn day_bound(
    text: &str,
    field: &'static str,
    next: bool,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, &'static str> {
    if text.is_empty() {
        return Ok(None);
    }
    let d = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| field)?;
    let d = if next { d.succ_opt().ok_or(field)? } else { d };
    Ok(d.and_hms_opt(0, 0, 0).map(|t| t.and_utc()))
}

/// Times as pages show them: UTC, to the minute (the team works across time zones).
pub(crate) fn when(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

#[cfg(test)]
mod tests;
