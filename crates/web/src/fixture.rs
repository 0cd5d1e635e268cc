//! What the unit tests share: services over a fresh SQLite store, and a way to send one request
//! through a router and read the whole answer.

use crate::BuildInfo;
use axum::{
    Router,
    body::Body,
    http::{HeaderMap, Request, StatusCode},
};
use cirtkit_service::{
    ServiceSettings, Services,
    domain::{Clock, SystemClock},
    storage::{ConnectOptions, DatabaseUrl, Store},
};
use std::{path::Path, sync::Arc};
use tower::ServiceExt;

pub(crate) fn build() -> BuildInfo {
    BuildInfo { version: "1.2.3", git_commit: "abc1234" }
}

/// A store in `dir`, connected but not migrated.
pub(crate) async fn bare_store(dir: &Path) -> Store {
    Store::connect(&DatabaseUrl::sqlite_file(&dir.join("t.db")), &ConnectOptions::default()).await.unwrap()
}

/// Services over a migrated store in `dir`.
pub(crate) async fn services(dir: &Path) -> Services {
    let store = bare_store(dir).await;
    store.migrate(SystemClock.now()).await.unwrap();
    Services::new(store, Arc::new(SystemClock), ServiceSettings::default()).await.unwrap()
}

pub(crate) fn get(uri: &str) -> Request<Body> {
    Request::builder().uri(uri).body(Body::empty()).unwrap()
}

pub(crate) struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

pub(crate) async fn call(app: &Router, request: Request<Body>) -> Answer {
    let response = app.clone().oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    Answer { status: parts.status, headers: parts.headers, body: String::from_utf8(bytes.to_vec()).unwrap() }
}
