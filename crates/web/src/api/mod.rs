//! The JSON API under `/api/v1`, described by the OpenAPI 3.1 document at
//! `/api/v1/openapi.json` (committed as docs/openapi.json; a test keeps the two equal), and what
//! every JSON answer shares: the one error type, and the answers for requests no route knows.
//!
//! Handlers are thin: they read the request into domain types (a value that does not parse is a
//! 422 naming the field), call one service, and shape the answer. Rules live in the services.

mod accounts;
pub(crate) mod attachments;
mod auth;
mod constituency;
mod error;
mod events;
mod incidents;

pub use auth::Caller;
pub use error::ApiError;

use crate::WebState;
use axum::{
    Router,
    http::{Method, StatusCode, Uri},
    routing::{get, post},
};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use utoipa::{
    Modify, OpenApi, ToSchema,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};

/// Answers a path no route knows. Only the path is echoed: the query may hold personal data.
pub(crate) async fn no_route(method: Method, uri: Uri) -> ApiError {
    ApiError::no_route(&method, uri.path())
}

/// Answers a known path asked with a method it does not take (axum adds the `Allow` header).
pub(crate) async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::method_not_allowed(&method, uri.path())
}

/// An optional RFC 3339 time from a query parameter; a bad one is a 422 naming the field.
pub(crate) fn instant(value: &Option<String>, field: &str) -> Result<Option<DateTime<Utc>>, ApiError> {
    value
        .as_deref()
        .map(|v| {
            DateTime::parse_from_rfc3339(v)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| invalid(field, format!("{e}; write it as 2026-03-01T00:00:00Z")))
        })
        .transpose()
}

/// One page of a list: the items, and the cursor of the next page (`null` on the last page).
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T: ToSchema> {
    pub items: Vec<T>,
    /// Pass it as `cursor` to get the next page.
    pub next: Option<String>,
}

/// The routes of `/api/v1`.
pub(crate) fn routes() -> Router<WebState> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi_json))
        .route("/api/v1/incidents", get(incidents::list).post(incidents::create))
        .route("/api/v1/incidents/{incident}", get(incidents::read).patch(incidents::update))
        .route("/api/v1/incidents/{incident}/transitions", post(incidents::transition))
        .route("/api/v1/incidents/{incident}/journal", get(incidents::journal).post(incidents::add_journal_entry))
        .route("/api/v1/incidents/{incident}/observables", get(incidents::observables).post(incidents::add_observable))
        .route("/api/v1/incidents/{incident}/links", post(incidents::link))
        .route("/api/v1/incidents/{incident}/replies", post(incidents::send_reply))
        .route("/api/v1/incidents/{incident}/attachments", get(attachments::list))
        .route("/api/v1/incidents/{incident}/attachments/{id}", get(attachments::download))
        .route("/api/v1/observables/search", get(incidents::search_observable))
        .route("/api/v1/events", get(events::list))
        .route("/api/v1/feeds/runs", get(events::runs))
        .route("/api/v1/feeds/quarantine", get(events::quarantine))
        .route("/api/v1/feeds/{feed}/quarantine/rerun", post(events::rerun_quarantine))
        .route("/api/v1/lookup", get(constituency::lookup))
        .route("/api/v1/organisations", get(constituency::list).post(constituency::create))
        .route("/api/v1/organisations/{id}", get(constituency::read).put(constituency::update))
        .route("/api/v1/users", get(accounts::list_users).post(accounts::create_user))
        .route("/api/v1/users/{name}", get(accounts::read_user).patch(accounts::update_user))
        .route("/api/v1/users/{name}/password", axum::routing::put(accounts::set_password))
        .route("/api/v1/tokens", get(accounts::list_tokens).post(accounts::create_token))
        .route("/api/v1/tokens/{id}", axum::routing::delete(accounts::revoke_token))
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "cirtkit API",
        description = "The JSON API of cirtkit, the platform of a national CIRT. Authenticate with an API token: \
                       `Authorization: Bearer <token>` (create one with `cirtkit token create --user NAME`). \
                       Errors answer `{\"error\": {\"code\": \"…\", \"message\": \"…\"}}`.",
        license(name = "MIT OR Apache-2.0")
    ),
    paths(
        incidents::list, incidents::create, incidents::read, incidents::update, incidents::transition, incidents::journal,
        incidents::add_journal_entry, incidents::send_reply, incidents::observables, incidents::add_observable, incidents::link,
        attachments::list, attachments::download,
        incidents::search_observable, constituency::lookup, constituency::list, constituency::create,
        constituency::read, constituency::update, accounts::list_users, accounts::create_user, accounts::read_user, accounts::update_user, accounts::set_password,
        accounts::list_tokens, accounts::create_token, accounts::revoke_token,
        events::list, events::runs, events::quarantine, events::rerun_quarantine,
    ),
    components(schemas(error::ErrorBody)),
    modifiers(&BearerAuth),
    tags(
        (name = "incidents", description = "Incidents, their journal, observables, links and attachments"),
        (name = "constituency", description = "The organisations the CIRT serves, and who owns what"),
        (name = "accounts", description = "Users and API tokens"),
        (name = "events", description = "Harmonised feed events, feed runs and the quarantine"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("cirtkit token").build(),
            ),
        );
    }
}

/// The OpenAPI document, as served and as committed in docs/openapi.json.
pub fn openapi_document() -> String {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    let mut text = doc.to_pretty_json().unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}

async fn openapi_json() -> ([(axum::http::HeaderName, &'static str); 1], String) {
    ([(axum::http::header::CONTENT_TYPE, "application/json")], openapi_document())
}

/// Tells a field given as `null` (`Some(None)`) from a field left out (`None`).
pub(crate) fn present<'de, D: serde::Deserializer<'de>, T: serde::Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// Maps a value that does not parse to a 422 that names the field.
pub(crate) trait ParseField<T> {
    fn field(self, name: &str) -> Result<T, ApiError>;
}

impl<T, E: std::fmt::Display> ParseField<T> for Result<T, E> {
    fn field(self, name: &str) -> Result<T, ApiError> {
        self.map_err(|e| invalid(name, e))
    }
}

pub(crate) fn invalid(field: &str, message: impl std::fmt::Display) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", format!("{field}: {message}"))
}

/// The page size asked for, within 1 to 200 (50 when not given).
pub(crate) fn limit(asked: Option<u32>) -> Result<u32, ApiError> {
    match asked {
        None => Ok(50),
        Some(n) if (1..=200).contains(&n) => Ok(n),
        Some(_) => Err(invalid("limit", "use a number from 1 to 200")),
    }
}

pub(crate) fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub(crate) fn time_opt(t: Option<DateTime<Utc>>) -> Option<String> {
    t.map(time)
}

#[cfg(test)]
mod tests {
    /// The committed copy is what people and client generators read: it must be the served one.
    #[test]
    fn the_committed_openapi_document_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json");
        let current = super::openapi_document();
        if std::env::var_os("CIRTKIT_UPDATE_OPENAPI").is_some() {
            std::fs::write(path, &current).unwrap();
        }
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == current,
            "docs/openapi.json is out of date: run `CIRTKIT_UPDATE_OPENAPI=1 cargo test -p cirtkit-web openapi` and commit it"
        );
        let doc: serde_json::Value = serde_json::from_str(&current).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
    }
}
