//! The Prometheus metrics served at `/metrics`: the server's own (requests, latencies, build),
//! and one registry that other components add theirs to at start-up.
//!
//! Every name is prefixed `cirtkit_`. Route labels are axum's matched route (`/api/v1/incidents/{id}`)
//! or `unmatched`, never the raw path, so that a scanner cannot create a series per URL it tries.

use crate::{ApiError, BuildInfo, WebState};
use axum::{
    extract::{MatchedPath, Request, State},
    http::{Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use prometheus_client::{
    encoding::{EncodeLabelSet, text::encode},
    metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram},
    registry::{Registry, Unit},
};
use std::time::{Duration, Instant};

/// The OpenMetrics text format that `prometheus_client::encoding::text` writes.
const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The route label of requests that matched no route.
const UNMATCHED: &str = "unmatched";

/// Upper bounds of the latency buckets, in seconds: from a cached lookup (1 ms) to the request
/// timeout's neighbourhood (10 s).
const LATENCY_BUCKETS: [f64; 13] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// The metrics registry and the server's own metrics.
///
/// Components register theirs before the server starts, because the registry is frozen once it
/// is in [`WebState`]. Use a sub-registry per component, so that names follow one scheme
/// (`cirtkit_<component>_<what>`), and keep a clone of each metric to update it:
///
/// ```
/// use cirtkit_web::{BuildInfo, Metrics, prometheus_client::metrics::counter::Counter};
///
/// let mut metrics = Metrics::new(&BuildInfo { version: "0.1.0", git_commit: "unknown" });
/// let received = Counter::<u64>::default();
/// metrics.registry_mut().sub_registry_with_prefix("pipeline").register(
///     "events_received",
///     "Events the pipeline's collectors received",
///     received.clone(),
/// );
/// received.inc();
/// assert!(metrics.encode().unwrap().contains("cirtkit_pipeline_events_received_total 1"));
/// // then: WebState::with_metrics(services, metrics)
/// ```
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    http: HttpMetrics,
    build: BuildInfo,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    version: &'static str,
    commit: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: &'static str,
    route: String,
}

type LatencyFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

/// The request metrics, cheap to clone into the middleware (the families share their series).
#[derive(Debug, Clone)]
pub(crate) struct HttpMetrics {
    requests: Family<RequestLabels, Counter>,
    latency: LatencyFamily,
}

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

impl Metrics {
    /// A registry holding `cirtkit_build_info` and the HTTP request metrics.
    pub fn new(build: &BuildInfo) -> Metrics {
        let mut registry = Registry::with_prefix("cirtkit");

        let build_info = Family::<BuildLabels, Gauge>::default();
        build_info.get_or_create(&BuildLabels { version: build.version, commit: build.git_commit }).set(1);
        registry.register("build_info", "The version and commit of this binary (always 1)", build_info);

        let http = HttpMetrics {
            requests: Family::default(),
            latency: Family::new_with_constructor(latency_histogram as fn() -> Histogram),
        };
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route and status",
            http.requests.clone(),
        );
        registry.register_with_unit(
            "http_request_duration",
            "Time until the response headers were ready, by method and route",
            Unit::Seconds,
            http.latency.clone(),
        );
        Metrics { registry, http, build: build.clone() }
    }

    /// Where other components register their metrics, at start-up.
    pub fn registry_mut(&mut self) -> &mut Registry {
        &mut self.registry
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    pub fn build(&self) -> &BuildInfo {
        &self.build
    }

    /// The OpenMetrics text exposition of everything registered.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::new();
        encode(&mut text, &self.registry)?;
        Ok(text)
    }

    pub(crate) fn http(&self) -> &HttpMetrics {
        &self.http
    }
}

impl HttpMetrics {
    fn observe(&self, method: &'static str, route: String, status: StatusCode, elapsed: Duration) {
        self.requests.get_or_create(&RequestLabels { method, route: route.clone(), status: status.as_u16() }).inc();
        self.latency.get_or_create(&RouteLabels { method, route }).observe(elapsed.as_secs_f64());
    }
}

/// The method as a label; methods outside the standard set share one series, because anyone
/// can send any token as a method.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Middleware counting and timing every request under its route.
pub(crate) async fn record(State(http): State<HttpMetrics>, request: Request, next: Next) -> Response {
    let method = method_label(request.method());
    let route = request.extensions().get::<MatchedPath>().map_or(UNMATCHED, MatchedPath::as_str).to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    http.observe(method, route, response.status(), started.elapsed());
    response
}

/// `GET /metrics`.
pub(crate) async fn exposition(State(state): State<WebState>) -> Result<Response, ApiError> {
    let text = state.metrics().encode().map_err(|e| ApiError::internal(&e))?;
    Ok(([(header::CONTENT_TYPE, OPENMETRICS)], text).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        fixture::{self, call, get, services},
        router,
    };

    #[tokio::test]
    async fn exposes_build_info_and_counts_requests_by_route() {
        let dir = tempfile::tempdir().unwrap();
        let app = router(WebState::new(services(dir.path()).await, fixture::build()));
        call(&app, get("/healthz")).await;
        call(&app, get("/healthz")).await;
        call(&app, get("/no/such/page?id=1")).await;
        call(&app, get("/another/miss")).await;

        let answer = call(&app, get("/metrics")).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.headers[header::CONTENT_TYPE], OPENMETRICS);
        let text = answer.body;
        for line in [
            r#"cirtkit_build_info{version="1.2.3",commit="abc1234"} 1"#,
            r#"cirtkit_http_requests_total{method="GET",route="/healthz",status="200"} 2"#,
            r#"cirtkit_http_requests_total{method="GET",route="unmatched",status="404"} 2"#,
            r#"cirtkit_http_request_duration_seconds_count{method="GET",route="/healthz"} 2"#,
            r#"cirtkit_http_request_duration_seconds_bucket{le="0.001",method="GET",route="/healthz"}"#,
            r#"cirtkit_http_request_duration_seconds_bucket{le="10.0",method="GET",route="/healthz"} 2"#,
            "# TYPE cirtkit_http_request_duration_seconds histogram",
            "# EOF",
        ] {
            assert!(text.contains(line), "missing {line} in\n{text}");
        }
        assert!(!text.contains("/no/such/page") && !text.contains("/another/miss"), "{text}");
    }

    #[test]
    fn odd_methods_share_one_label() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::from_bytes(b"BREW").unwrap()), "other");
    }
}
