//! The probes an orchestrator or a load balancer asks: `/healthz` (the process is up) and
//! `/readyz` (the database answers and has the schema this binary needs).

use crate::WebState;
use axum::{
    Json,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use cirtkit_service::storage::Store;
use serde_json::json;
use std::time::Duration;

/// How long readiness waits for the database: probes are asked every few seconds, and a hung
/// database must turn into "not ready", not into a probe that never answers.
const READINESS_TIMEOUT: Duration = Duration::from_secs(2);

/// `GET /healthz`: touches nothing, so that a slow database never gets a healthy process restarted.
pub(crate) async fn healthz() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

/// `GET /`: what this server is and where its endpoints are, for a person or a script that
/// finds it. (The handlers' web UI will answer here for browsers.)
pub(crate) async fn index(State(state): State<WebState>) -> Json<serde_json::Value> {
    Json(json!({
        "service": "cirtkit",
        "version": state.build().version,
        "endpoints": {
            "health": "/healthz",
            "readiness": "/readyz",
            "metrics": "/metrics",
        },
    }))
}

/// `GET /readyz`.
pub(crate) async fn readyz(State(state): State<WebState>) -> Response {
    readiness(state.services().store(), READINESS_TIMEOUT).await.into_response()
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Readiness {
    Ready {
        schema_version: i64,
    },
    /// `reason` is shown to whoever asks, so it names the condition, not the database's details.
    NotReady {
        reason: String,
    },
}

pub(crate) async fn readiness(store: &Store, limit: Duration) -> Readiness {
    within(limit, check(store)).await
}

async fn within(limit: Duration, check: impl Future<Output = Readiness>) -> Readiness {
    tokio::time::timeout(limit, check).await.unwrap_or_else(|_| {
        tracing::warn!(limit_ms = limit.as_millis(), "not ready: the database did not answer in time");
        Readiness::NotReady { reason: format!("database unreachable: no answer within {} ms", limit.as_millis()) }
    })
}

async fn check(store: &Store) -> Readiness {
    let unreachable = |error: &dyn std::fmt::Display| {
        tracing::warn!(%error, "not ready: database unreachable");
        Readiness::NotReady { reason: "database unreachable".into() }
    };
    if let Err(error) = store.ping().await {
        return unreachable(&error);
    }
    let schema = match store.schema_status().await {
        Ok(schema) => schema,
        Err(error) => return unreachable(&error),
    };
    if schema.is_current() {
        return Readiness::Ready { schema_version: schema.current };
    }
    let remedy = if schema.current < schema.latest { "run `cirtkit migrate`" } else { "upgrade cirtkit" };
    let reason = format!("schema at {}, this binary needs {}; {remedy}", schema.current, schema.latest);
    tracing::warn!(current = schema.current, latest = schema.latest, "not ready: schema is not current");
    Readiness::NotReady { reason }
}

impl IntoResponse for Readiness {
    fn into_response(self) -> Response {
        match self {
            Readiness::Ready { schema_version } => {
                Json(json!({"status": "ready", "database": "ok", "schema_version": schema_version})).into_response()
            }
            Readiness::NotReady { reason } => {
                (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"status": "not-ready", "reason": reason})))
                    .into_response()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        fixture::{self, bare_store, call, get, services},
        router,
    };

    #[tokio::test]
    async fn ready_on_a_migrated_store() {
        let dir = tempfile::tempdir().unwrap();
        let app = router(WebState::new(services(dir.path()).await, fixture::build()));
        let answer = call(&app, get("/readyz")).await;
        assert_eq!(answer.status, StatusCode::OK);
        let latest = Store::latest_schema_version();
        assert_eq!(answer.json(), json!({"status": "ready", "database": "ok", "schema_version": latest}));
    }

    #[tokio::test]
    async fn not_ready_once_the_store_is_closed() {
        let dir = tempfile::tempdir().unwrap();
        let services = services(dir.path()).await;
        let app = router(WebState::new(services.clone(), fixture::build()));
        services.store().close().await;
        let answer = call(&app, get("/readyz")).await;
        assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(answer.json(), json!({"status": "not-ready", "reason": "database unreachable"}));
    }

    // `Services::new` loads the constituency and so needs a migrated store: an unmigrated one is
    // checked below the handler, through the same function and the same rendering.
    #[tokio::test]
    async fn not_ready_on_an_unmigrated_store() {
        let dir = tempfile::tempdir().unwrap();
        let store = bare_store(dir.path()).await;
        let readiness = readiness(&store, READINESS_TIMEOUT).await;
        let latest = Store::latest_schema_version();
        let reason = format!("schema at 0, this binary needs {latest}; run `cirtkit migrate`");
        assert_eq!(readiness, Readiness::NotReady { reason: reason.clone() });

        let (parts, body) = readiness.into_response().into_parts();
        assert_eq!(parts.status, StatusCode::SERVICE_UNAVAILABLE);
        let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
        let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(json, json!({"status": "not-ready", "reason": reason}));
    }

    #[tokio::test]
    async fn a_hung_database_is_not_ready_rather_than_a_hang() {
        let readiness = within(Duration::from_millis(20), std::future::pending()).await;
        assert_eq!(readiness, Readiness::NotReady { reason: "database unreachable: no answer within 20 ms".into() });
    }
}
