//! cirtkit's HTTP server: the router with its middleware, the health and readiness probes, the
//! Prometheus metrics and graceful shutdown. The JSON API, the UI and TAXII mount here later.
//!
//! Map of the crate: [`router`] puts the routes together and `layers` wraps them in the
//! middleware every response passes through; `health` answers the probes; [`Metrics`] holds the
//! Prometheus registry; [`ApiError`] (in `api/error.rs`) is the one place errors become HTTP.

pub mod api;
mod health;
mod layers;
mod metrics;
mod request_id;
mod ui;

#[cfg(test)]
mod fixture;

pub use api::{ApiError, openapi_document};
pub use metrics::Metrics;
/// The metrics library the registry comes from, so that other crates register with the same version.
pub use prometheus_client;

use axum::{Router, routing::get};
use cirtkit_service::Services;
use std::sync::Arc;

/// What this binary is, for `cirtkit_build_info` and for logs.
#[derive(Debug, Clone)]
pub struct BuildInfo {
    pub version: &'static str,
    pub git_commit: &'static str,
}

/// What every handler may reach: the services, the metrics and the build. Cheap to clone.
#[derive(Debug, Clone)]
pub struct WebState {
    services: Services,
    metrics: Arc<Metrics>,
    build: BuildInfo,
    /// Sessions over plain HTTP from other hosts than localhost (a LAN without TLS).
    plain_http_sessions: bool,
}

impl WebState {
    /// State with the server's own metrics only.
    pub fn new(services: Services, build: BuildInfo) -> WebState {
        WebState::with_metrics(services, Metrics::new(&build))
    }

    /// State over a registry that other components have already registered their metrics in
    /// (see [`Metrics`]); the registry is frozen from here on, so registration comes first.
    pub fn with_metrics(services: Services, metrics: Metrics) -> WebState {
        let build = metrics.build().clone();
        WebState { services, metrics: Arc::new(metrics), build, plain_http_sessions: false }
    }

    /// Lets browsers keep the session cookie over plain HTTP (`server.plain_http_sessions`):
    /// the cookie loses `Secure` and its `__Host-` prefix. For a LAN without TLS only.
    pub fn with_plain_http_sessions(mut self, plain: bool) -> WebState {
        self.plain_http_sessions = plain;
        self
    }

    pub fn plain_http_sessions(&self) -> bool {
        self.plain_http_sessions
    }

    pub fn services(&self) -> &Services {
        &self.services
    }

    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    pub fn build(&self) -> &BuildInfo {
        &self.build
    }
}

/// The whole application: every route, with every middleware layer applied.
pub fn router(state: WebState) -> Router {
    layers::apply(routes(), state, layers::Limits::default())
}

/// Routes are added here, before the layers: the 405 handler and the layers only reach routes
/// that exist when `layers::apply` runs.
fn routes() -> Router<WebState> {
    Router::new()
        .route("/", get(ui::home))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::exposition))
        .merge(api::routes())
        .merge(ui::routes())
}

/// Serves until `shutdown` completes, then drains in-flight requests (graceful).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: WebState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let address = listener.local_addr()?;
    tracing::info!(%address, version = state.build.version, commit = state.build.git_commit, "serving HTTP");
    // The peer address reaches handlers for throttling sign-ins and the public form.
    axum::serve(listener, router(state).into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await?;
    tracing::info!("HTTP server stopped");
    Ok(())
}

/// Resolves on SIGTERM or Ctrl-C (SIGINT); logs which one.
pub async fn shutdown_signal() {
    let interrupt = async {
        match tokio::signal::ctrl_c().await {
            Ok(()) => "SIGINT",
            Err(error) => {
                // Without the handler the process still stops on SIGTERM (or SIGKILL): keep serving.
                tracing::error!(%error, "cannot listen for Ctrl-C");
                std::future::pending().await
            }
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                if signal.recv().await.is_none() {
                    std::future::pending::<()>().await;
                }
                "SIGTERM"
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending().await
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<&'static str>();

    let signal = tokio::select! {
        signal = interrupt => signal,
        signal = terminate => signal,
    };
    tracing::info!(signal, "shutdown requested; draining in-flight requests");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::{self, call, get, services};
    use axum::{
        body::Body,
        http::{Method, Request, StatusCode, header},
    };

    #[tokio::test]
    async fn healthz_says_ok() {
        let dir = tempfile::tempdir().unwrap();
        let app = router(WebState::new(services(dir.path()).await, fixture::build()));
        let answer = call(&app, get("/healthz")).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.json(), serde_json::json!({"status": "ok"}));
        assert_eq!(answer.headers[header::CONTENT_TYPE], "application/json");
    }

    #[tokio::test]
    async fn the_root_says_what_this_is() {
        let dir = tempfile::tempdir().unwrap();
        let app = router(WebState::new(services(dir.path()).await, fixture::build()));
        let answer = call(&app, get("/")).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.json()["service"], "cirtkit");
        assert_eq!(answer.json()["endpoints"]["readiness"], "/readyz");
    }

    #[tokio::test]
    async fn unknown_route_is_a_json_404() {
        let dir = tempfile::tempdir().unwrap();
        let app = router(WebState::new(services(dir.path()).await, fixture::build()));
        let answer = call(&app, get("/x?email=someone@example.org")).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND);
        assert_eq!(
            answer.json(),
            serde_json::json!({"error": {"code": "not_found", "message": "no route for GET /x"}})
        );
    }

    #[tokio::test]
    async fn wrong_method_is_a_json_405_with_allow() {
        let dir = tempfile::tempdir().unwrap();
        let app = router(WebState::new(services(dir.path()).await, fixture::build()));
        let request = Request::builder().method(Method::POST).uri("/healthz").body(Body::empty()).unwrap();
        let answer = call(&app, request).await;
        assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(answer.json()["error"]["code"], "method_not_allowed");
        assert_eq!(
            answer.json()["error"]["message"],
            "POST is not allowed on /healthz; the Allow header lists the methods that are"
        );
        assert_eq!(answer.headers[header::ALLOW], "GET,HEAD");
    }

    #[tokio::test]
    async fn shutdown_drains_and_returns() {
        let dir = tempfile::tempdir().unwrap();
        let state = WebState::new(services(dir.path()).await, fixture::build());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve(listener, state, async {
            let _ = stopped.await;
        }));
        stop.send(()).unwrap();
        let result = tokio::time::timeout(std::time::Duration::from_secs(5), server).await;
        assert!(matches!(result, Ok(Ok(Ok(())))), "{result:?}");
    }
}
