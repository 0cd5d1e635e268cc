//! The real server: in-process on port 0 for the HTTP checks, and the real binary for start-up
//! and graceful shutdown on SIGTERM.

use crate::support::{Instance, spawn_app};
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

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
    let mut child = i
        .command(&["--log-format", "json", "serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut addr = None;
    while addr.is_none() && Instant::now() < deadline {
        let Some(Ok(line)) = lines.next() else { break };
        if line.contains("serving HTTP") {
            let v: serde_json::Value = serde_json::from_str(&line).unwrap();
            addr = v["address"].as_str().map(str::to_owned);
        }
    }
    let addr = addr.expect("the server said where it listens");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let status = rt.block_on(async { reqwest::get(format!("http://{addr}/readyz")).await.unwrap().status() });
    assert_eq!(status, 200);
    // SIGTERM, as a service manager would send.
    let killed = std::process::Command::new("kill").arg("-TERM").arg(child.id().to_string()).status().unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let exit = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the server did not stop within 30 s");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "graceful shutdown exits 0, got {exit:?}");
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(rest.iter().any(|l| l.contains("HTTP server stopped")), "{rest:?}");
}
