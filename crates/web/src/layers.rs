//! The middleware every request and response passes through: request id, security headers,
//! tracing, metrics, the request timeout and the body limit.
//!
//! The layers go on the router (`Router::layer`), not around it, so that they see the matched
//! route for logs and metric labels; axum applies them to the fallback too, so 404s carry the
//! same headers.

use crate::{ApiError, WebState, api, metrics, request_id};
use axum::{
    Router,
    extract::{DefaultBodyLimit, Request, State},
    http::{HeaderName, HeaderValue, header},
    middleware::{Next, from_fn_with_state},
    response::{IntoResponse, Response},
};
use std::time::Duration;
use tower::ServiceBuilder;
use tower_http::{
    LatencyUnit,
    limit::RequestBodyLimitLayer,
    request_id::{PropagateRequestIdLayer, SetRequestIdLayer},
    set_header::SetResponseHeaderLayer,
    trace::{DefaultOnFailure, DefaultOnRequest, DefaultOnResponse, TraceLayer},
};
use tracing::{Level, Span};

/// Limits on a single request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Later routes (reports, imports) count on no body being larger than this.
    pub body_bytes: usize,
    pub request_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { body_bytes: 1024 * 1024, request_timeout: Duration::from_secs(30) }
    }
}

/// The Content-Security-Policy of the server-rendered UI: everything from this origin, no
/// inline script or style, no framing (clickjacking), no plugins.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; \
    script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// Set on every answer unless a handler set its own. No Strict-Transport-Security: the server
/// often runs behind a TLS-terminating proxy, which is where HSTS belongs (set it there).
const SECURITY_HEADERS: [(HeaderName, &str); 6] = [
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::REFERRER_POLICY, "no-referrer"),
    (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
    (HeaderName::from_static("permissions-policy"), "camera=(), microphone=(), geolocation=()"),
    (HeaderName::from_static("cross-origin-opener-policy"), "same-origin"),
];

/// Adds the fallbacks and every layer to `routes`. Routes added to the result afterwards would
/// miss the 405 answer and the layers: add them to `routes` first.
pub(crate) fn apply(routes: Router<WebState>, state: WebState, limits: Limits) -> Router {
    let [nosniff, frame, referrer, csp, permissions, opener] = SECURITY_HEADERS
        .map(|(name, value)| SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value)));
    // Outermost first: the request id exists before the span is made; the metrics and the
    // span see the answers the timeout and the body limit give.
    let layers = ServiceBuilder::new()
        .map_request(request_id::drop_unusable)
        .layer(SetRequestIdLayer::new(request_id::X_REQUEST_ID, request_id::MakeUniqueRequestId::new()))
        .layer(PropagateRequestIdLayer::new(request_id::X_REQUEST_ID))
        .layer(nosniff)
        .layer(frame)
        .layer(referrer)
        .layer(csp)
        .layer(permissions)
        .layer(opener)
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(DefaultOnRequest::new().level(Level::DEBUG))
                .on_response(DefaultOnResponse::new().level(Level::INFO).latency_unit(LatencyUnit::Micros))
                // Causes of 5xx are logged where they are known (ApiError); this only flags them.
                .on_failure(DefaultOnFailure::new().level(Level::WARN)),
        )
        .layer(from_fn_with_state(state.metrics().http().clone(), metrics::record))
        .layer(from_fn_with_state(limits, time_limit))
        .layer(from_fn_with_state(limits, refuse_declared_oversize))
        // Bounds every way of reading the body, extractors or not; the extractors' own default
        // limit is switched off so that this one number is the limit.
        .layer(RequestBodyLimitLayer::new(limits.body_bytes))
        .layer(DefaultBodyLimit::disable());
    routes.fallback(api::no_route).method_not_allowed_fallback(api::method_not_allowed).layer(layers).with_state(state)
}

/// The span of one request: the method, the matched route (or, for a miss, the path) and the
/// request id. Never the query string or headers, which may hold personal data or credentials.
fn request_span(request: &Request) -> Span {
    let method = request.method();
    let request_id = request.headers().get(request_id::X_REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("");
    match request.extensions().get::<axum::extract::MatchedPath>() {
        Some(route) => tracing::info_span!("request", %method, route = route.as_str(), request_id),
        None => {
            tracing::info_span!("request", %method, route = "unmatched", path = request.uri().path(), request_id)
        }
    }
}

/// Answers in JSON when a request runs past the timeout (dropping the handler's work), instead
/// of tower-http's empty-bodied answer.
async fn time_limit(State(limits): State<Limits>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limits.request_timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(limit_s = limits.request_timeout.as_secs(), "request timed out");
            ApiError::timeout(limits.request_timeout).into_response()
        }
    }
}

/// Refuses a body whose declared length is over the limit before reading it, in JSON (the
/// body-limit layer would answer in plain text). Bodies without a length are cut off as they
/// are read, and the extractor reading them answers 413.
async fn refuse_declared_oversize(State(limits): State<Limits>, request: Request, next: Next) -> Response {
    let declared =
        request.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limits.body_bytes as u64) {
        return ApiError::payload_too_large(limits.body_bytes).into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::{self, call, get, services};
    use axum::{
        Json,
        body::Body,
        extract::rejection::JsonRejection,
        http::{Method, StatusCode},
        routing::{get as get_route, post},
    };

    async fn app_with_test_routes(dir: &std::path::Path, limits: Limits) -> Router {
        async fn slow() -> &'static str {
            tokio::time::sleep(Duration::from_secs(10)).await;
            "late"
        }
        async fn echo(
            body: Result<Json<serde_json::Value>, JsonRejection>,
        ) -> Result<Json<serde_json::Value>, ApiError> {
            Ok(body?)
        }
        async fn broken() -> Result<(), ApiError> {
            Err(cirtkit_service::ServiceError::Storage(cirtkit_service::storage::StorageError::Database(
                "disk I/O error".into(),
            )))?
        }
        let routes = crate::routes()
            .route("/slow", get_route(slow))
            .route("/echo", post(echo))
            .route("/broken", get_route(broken));
        apply(routes, WebState::new(services(dir).await, fixture::build()), limits)
    }

    fn post_json(body: Vec<u8>, declare_length: bool) -> Request {
        let mut request =
            Request::builder().method(Method::POST).uri("/echo").header(header::CONTENT_TYPE, "application/json");
        if declare_length {
            request = request.header(header::CONTENT_LENGTH, body.len());
        }
        request.body(Body::from(body)).unwrap()
    }

    /// A JSON document of exactly `len` bytes.
    fn json_of_len(len: usize) -> Vec<u8> {
        format!("\"{}\"", "a".repeat(len - 2)).into_bytes()
    }

    #[tokio::test]
    async fn security_headers_are_on_every_answer() {
        let dir = tempfile::tempdir().unwrap();
        let app = crate::router(WebState::new(services(dir.path()).await, fixture::build()));
        for uri in ["/healthz", "/metrics", "/nowhere"] {
            let answer = call(&app, get(uri)).await;
            for (name, value) in &SECURITY_HEADERS {
                assert_eq!(answer.headers.get(name).map(|v| v.to_str().unwrap()), Some(*value), "{name} on {uri}");
            }
            assert!(answer.headers.get(header::STRICT_TRANSPORT_SECURITY).is_none());
            assert!(answer.headers.contains_key("x-request-id"), "{uri}");
        }
    }

    #[tokio::test]
    async fn a_body_up_to_the_limit_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let app = app_with_test_routes(dir.path(), Limits::default()).await;
        let answer = call(&app, post_json(json_of_len(1024 * 1024), true)).await;
        assert_eq!(answer.status, StatusCode::OK);
    }

    #[tokio::test]
    async fn a_declared_body_over_the_limit_is_a_json_413() {
        let dir = tempfile::tempdir().unwrap();
        let app = app_with_test_routes(dir.path(), Limits::default()).await;
        let answer = call(&app, post_json(json_of_len(1024 * 1024 + 1), true)).await;
        assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(answer.json()["error"]["code"], "payload_too_large");
    }

    #[tokio::test]
    async fn an_undeclared_body_over_the_limit_is_cut_off() {
        let dir = tempfile::tempdir().unwrap();
        let app = app_with_test_routes(dir.path(), Limits::default()).await;
        let answer = call(&app, post_json(json_of_len(1024 * 1024 + 1), false)).await;
        assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(answer.json()["error"]["code"], "payload_too_large");
    }

    #[tokio::test]
    async fn a_slow_request_is_a_json_503_not_a_hang() {
        let dir = tempfile::tempdir().unwrap();
        let limits = Limits { request_timeout: Duration::from_millis(50), ..Limits::default() };
        let app = app_with_test_routes(dir.path(), limits).await;
        let answer = tokio::time::timeout(Duration::from_secs(5), call(&app, get("/slow"))).await.unwrap();
        assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(answer.json()["error"]["code"], "timeout");
        assert!(answer.headers.contains_key("x-request-id"));
    }

    /// Collects what the fmt subscriber writes, to read the log lines back.
    #[derive(Clone, Default)]
    struct Log(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Log {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Log {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    #[tokio::test]
    async fn each_request_is_logged_with_route_and_id_but_not_its_query() {
        let dir = tempfile::tempdir().unwrap();
        let app = app_with_test_routes(dir.path(), Limits::default()).await;
        let log = Log::default();
        let writer = log.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .with_max_level(Level::INFO)
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        // Another test's thread, with no subscriber, may have met a span's call site first and
        // cached "nobody listens" for it: have every call site ask again.
        tracing::callsite::rebuild_interest_cache();

        let request =
            |uri: &str, id: &str| Request::builder().uri(uri).header("x-request-id", id).body(Body::empty()).unwrap();
        call(&app, request("/healthz?email=someone@example.org", "id-ok")).await;
        call(&app, request("/broken?token=secret", "id-broken")).await;
        call(&app, request("/nowhere?name=someone", "id-miss")).await;
        let text = log.text();

        let line = |id: &str, what: &str| {
            text.lines()
                .find(|l| l.contains(&format!("request_id=\"{id}\"")) && l.contains(what))
                .unwrap_or_else(|| panic!("no {what} line for {id} in\n{text}"))
                .to_owned()
        };
        let ok = line("id-ok", "finished processing request");
        assert!(ok.contains("INFO") && ok.contains("route=\"/healthz\"") && ok.contains("status=200"), "{ok}");
        let cause = line("id-broken", "request failed inside the server");
        assert!(
            cause.contains("ERROR") && cause.contains("disk I/O error") && cause.contains("route=\"/broken\""),
            "{cause}"
        );
        let miss = line("id-miss", "finished processing request");
        assert!(miss.contains("route=\"unmatched\" path=\"/nowhere\"") && miss.contains("status=404"), "{miss}");
        for private in ["someone", "secret", "email="] {
            assert!(!text.contains(private), "{private} was logged:\n{text}");
        }
    }
}
