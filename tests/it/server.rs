//! The real server: in-process on port 0 for the HTTP checks, and the real binary for start-up
//! and graceful shutdown on SIGTERM.

use crate::support::{Instance, spawn_app, terminate};

#[tokio::test]
async fn health_readiness_and_metrics() {
    let app = spawn_app().await;
    let base = app.base.clone();
    let client = reqwest::Client::new();
    let health = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert!(health.headers().contains_key("x-request-id"));
    assert_eq!(health.headers()["x-content-type-options"], "nosniff");
    let ready = client.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["schema_version"], cirtkit_storage::Store::latest_schema_version());
    let missing = client.get(format!("{base}/no/such/page")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    let metrics = client.get(format!("{base}/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("cirtkit_build_info"), "{metrics}");
    assert!(metrics.contains("route=\"/healthz\""), "{metrics}");
}

#[test]
fn the_binary_serves_and_stops_gracefully_on_sigterm() {
    let i = Instance::sqlite();
    i.ok(&["init"]);
    let (mut child, addr, lines) = i.serve();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let status = rt.block_on(async { reqwest::get(format!("http://{addr}/readyz")).await.unwrap().status() });
    assert_eq!(status, 200);
    let exit = terminate(&mut child);
    assert!(exit.success(), "graceful shutdown exits 0, got {exit:?}");
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(rest.iter().any(|l| l.contains("HTTP server stopped")), "{rest:?}");
}
