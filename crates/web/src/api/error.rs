//! The one place where errors become HTTP answers. Handlers return `Result<_, ApiError>` and use
//! `?` on service calls; the status, the stable code and the wording are decided here, once.
//!
//! Callers' mistakes (4xx) say what was wrong so that it can be fixed. Our own faults (5xx) say
//! nothing about the inside: the cause is logged at error level instead, inside the request's
//! span, so the log line carries the `request_id` the caller sees in `x-request-id`.

use axum::{
    Json,
    extract::rejection::JsonRejection,
    http::{HeaderValue, Method, StatusCode, header},
    response::{IntoResponse, Response},
};
use cirtkit_service::ServiceError;
use serde::Serialize;
use std::{error::Error, fmt, time::Duration};

/// An answer other than success, as `{"error":{"code":"…","message":"…"}}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    /// What went wrong inside, for the log only; set for 5xx.
    cause: Option<String>,
}

/// The shape of every error answer, for the OpenAPI document.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // described, not built: `Body` below writes the same shape
pub(crate) struct ErrorBody {
    error: ErrorDetail,
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub(crate) struct ErrorDetail {
    /// A stable code: unauthenticated, forbidden, invalid, not_found, conflict, internal…
    code: String,
    /// What was wrong, and how to put it right.
    message: String,
}

#[derive(Serialize)]
struct Body<'a> {
    error: Detail<'a>,
}

#[derive(Serialize)]
struct Detail<'a> {
    code: &'a str,
    message: &'a str,
}

impl ApiError {
    /// A caller's mistake: `message` should say how to put it right.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into(), cause: None }
    }

    /// Our fault: the caller learns only that it happened; `cause` (with its source chain) is logged.
    pub fn internal(cause: &(dyn Error + 'static)) -> ApiError {
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "internal",
            message: "an internal error occurred; quote the x-request-id of this answer when reporting it".into(),
            cause: Some(chain(cause)),
        }
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn code(&self) -> &'static str {
        self.code
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub(crate) fn no_route(method: &Method, path: &str) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("no route for {method} {path}"))
    }

    pub(crate) fn method_not_allowed(method: &Method, path: &str) -> ApiError {
        let message = format!("{method} is not allowed on {path}; the Allow header lists the methods that are");
        ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", message)
    }

    pub(crate) fn payload_too_large(limit_bytes: usize) -> ApiError {
        let message = format!("the request body is larger than the limit of {limit_bytes} bytes");
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", message)
    }

    /// 503 rather than 408: the time ran out on our side (a slow handler or database) at least as
    /// often as on the caller's, and 503 tells clients and proxies that a retry later may work.
    pub(crate) fn timeout(limit: Duration) -> ApiError {
        let message = format!("the request was not answered within {} s; try again later", limit.as_secs());
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "timeout", message)
    }
}

/// Writes an error and its sources on one line, so that one log record holds the whole story.
fn chain(error: &(dyn Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> ApiError {
        let code = error.code();
        match error {
            ServiceError::Unauthenticated(m) => ApiError::new(StatusCode::UNAUTHORIZED, code, m),
            ServiceError::Forbidden(m) => ApiError::new(StatusCode::FORBIDDEN, code, m),
            // 422, as axum answers a well-formed body with wrong values: the request was read,
            // a value in it was refused (400 stays for bodies that do not parse at all).
            ServiceError::Invalid(m) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, m),
            ServiceError::NotFound(m) => ApiError::new(StatusCode::NOT_FOUND, code, m),
            ServiceError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, code, m),
            ServiceError::Storage(cause) => ApiError::internal(&cause),
        }
    }
}

/// For handlers taking `Result<Json<T>, JsonRejection>`: a body the `Json` extractor refused
/// (too large, not JSON, wrong shape) answers in the same shape as every other error.
impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> ApiError {
        let status = rejection.status();
        let code = match status {
            StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
            StatusCode::UNPROCESSABLE_ENTITY => "invalid",
            _ => "malformed",
        };
        ApiError::new(status, code, rejection.body_text())
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.code, self.message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Some(cause) = &self.cause {
            tracing::error!(code = self.code, status = self.status.as_u16(), cause = %cause, "request failed inside the server");
        }
        let body = Body { error: Detail { code: self.code, message: &self.message } };
        let mut response = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            // RFC 9110 requires a challenge with 401; the API takes bearer tokens.
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cirtkit_service::storage::StorageError;

    async fn answer(error: impl Into<ApiError>) -> (StatusCode, axum::http::HeaderMap, serde_json::Value) {
        let (parts, body) = error.into().into_response().into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
        assert_eq!(parts.headers[header::CONTENT_TYPE], "application/json");
        (parts.status, parts.headers, serde_json::from_slice(&bytes).unwrap())
    }

    fn body(code: &str, message: &str) -> serde_json::Value {
        serde_json::json!({"error": {"code": code, "message": message}})
    }

    #[tokio::test]
    async fn unauthenticated_is_401_with_a_bearer_challenge() {
        let (status, headers, json) = answer(ServiceError::Unauthenticated("the token has expired".into())).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(json, body("unauthenticated", "the token has expired"));
        assert_eq!(headers[header::WWW_AUTHENTICATE], "Bearer");
    }

    #[tokio::test]
    async fn forbidden_is_403() {
        let (status, _, json) = answer(ServiceError::Forbidden("analysts may not manage users".into())).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(json, body("forbidden", "analysts may not manage users"));
    }

    #[tokio::test]
    async fn invalid_is_422() {
        let (status, _, json) = answer(ServiceError::Invalid("TLP:PURPLE is not a TLP 2.0 label".into())).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(json, body("invalid", "TLP:PURPLE is not a TLP 2.0 label"));
    }

    #[tokio::test]
    async fn not_found_is_404() {
        let (status, _, json) = answer(ServiceError::NotFound("no incident CIRT-2026-00001".into())).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(json, body("not_found", "no incident CIRT-2026-00001"));
    }

    #[tokio::test]
    async fn conflict_is_409() {
        let (status, _, json) = answer(ServiceError::Conflict("the incident is closed".into())).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(json, body("conflict", "the incident is closed"));
    }

    #[tokio::test]
    async fn storage_is_500_and_does_not_tell_the_cause() {
        let cause = StorageError::Database("disk I/O error at /var/lib/cirtkit/cirtkit.db".into());
        let (status, _, json) = answer(ServiceError::Storage(cause)).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(json["error"]["code"], "internal");
        let message = json["error"]["message"].as_str().unwrap();
        assert!(!message.contains("disk") && !message.contains("/var/lib"), "{message}");
        assert!(message.contains("x-request-id"), "{message}");
    }

    #[tokio::test]
    async fn storage_errors_that_the_caller_caused_keep_their_status() {
        let (status, _, _) = answer(ServiceError::from(StorageError::Conflict("it already exists".into()))).await;
        assert_eq!(status, StatusCode::CONFLICT);
    }

    #[tokio::test]
    async fn the_edge_errors_have_their_statuses() {
        let (status, _, json) = answer(ApiError::no_route(&Method::GET, "/x")).await;
        assert_eq!((status, json), (StatusCode::NOT_FOUND, body("not_found", "no route for GET /x")));
        let (status, _, json) = answer(ApiError::method_not_allowed(&Method::DELETE, "/healthz")).await;
        assert_eq!(
            (status, json["error"]["code"].as_str()),
            (StatusCode::METHOD_NOT_ALLOWED, Some("method_not_allowed"))
        );
        let (status, _, json) = answer(ApiError::payload_too_large(1024)).await;
        assert_eq!(
            (status, json["error"]["code"].as_str()),
            (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large"))
        );
        let (status, _, json) = answer(ApiError::timeout(Duration::from_secs(30))).await;
        assert_eq!((status, json["error"]["code"].as_str()), (StatusCode::SERVICE_UNAVAILABLE, Some("timeout")));
    }

    #[test]
    fn the_cause_chain_is_kept_for_the_log() {
        #[derive(Debug)]
        struct Outer(std::io::Error);
        impl fmt::Display for Outer {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("cannot write the journal")
            }
        }
        impl Error for Outer {
            fn source(&self) -> Option<&(dyn Error + 'static)> {
                Some(&self.0)
            }
        }
        let error = ApiError::internal(&Outer(std::io::Error::other("disk full")));
        assert_eq!(error.cause.as_deref(), Some("cannot write the journal: disk full"));
    }
}
