//! The feed pipeline from the command line: `feed ingest`, `feed test`/`run`/`list`,
//! `events export`, and the promise that a run killed at any point and started again stores
//! every event exactly once.

use crate::support::{Instance, PgSchema, json, write};
use std::collections::BTreeSet;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// An exported event line without `time.observation`, which differs between two databases.
fn without_observation(line: &str) -> String {
    let mut v: serde_json::Value = serde_json::from_str(line).unwrap();
    v.as_object_mut().unwrap().remove("time.observation");
    v.to_string()
}

#[test]
fn feed_ingest_stores_once_counts_duplicates_and_exports_harmonised_events() {
    let i = Instance::sqlite();
    i.ok(&["init"]);
    let file = write(i.dir.path(), "ssh.txt", "192.0.2.1\n192.0.2.1\nnot an address\n192.0.2.7\n");
    let f = file.to_str().unwrap();
    let out = json(&i.ok(&["feed", "ingest", "--format", "blocklistde", "--feed", "blocklist", "--json", f]));
    for (key, want) in [("read", 4), ("stored", 2), ("duplicates", 1), ("quarantined", 1), ("files_skipped", 0)] {
        assert_eq!(out[key], want, "{key} in {out}");
    }
    assert!(out["seconds"].as_f64().unwrap() >= 0.0);
    let again = json(&i.ok(&["feed", "ingest", "--format", "blocklistde", "--feed", "blocklist", "--json", f]));
    assert_eq!((again["stored"].as_u64(), again["files_skipped"].as_u64()), (Some(0), Some(1)), "seen before");
    let content = std::fs::read(&file).unwrap();
    let out = i.run_with_stdin(&["feed", "ingest", "--format", "blocklistde", "--feed", "blocklist", "-"], &content);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.contains("read before: skipped"), "stdin with the same content: {text}");
    // A parser that needs a file name to know the list cannot read a nameless stream: a clear error.
    let out =
        i.run_with_stdin(&["feed", "ingest", "--format", "blocklistde", "--feed", "blocklist", "-"], b"192.0.2.8\n");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("set the list option"));

    let exported = i.ok(&["events", "export", "--format", "jsonl"]);
    let lines: Vec<&str> = exported.lines().collect();
    assert_eq!(lines.len(), 2, "{exported}");
    let first: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(first["source.ip"], "192.0.2.1");
    assert_eq!(first["feed.name"], "blocklist");
    assert_eq!(first["classification.type"], "brute-force", "{first}");
    let status = json(&i.ok(&["status", "--json"]));
    assert_eq!(status["events"], 2);
    let refused = i.fails(&["feed", "ingest", "--format", "nope", f]);
    assert!(refused.contains("pipeline.format_unknown"), "{refused}");
    let audit = i.ok(&["audit", "verify"]);
    assert!(audit.contains("intact"), "{audit}");
}

#[test]
fn declared_feeds_are_listed_tested_and_run() {
    let i = Instance::sqlite();
    let drop = i.dir.path().join("drop");
    std::fs::create_dir_all(&drop).unwrap();
    write(&drop, "a-ssh.txt", "192.0.2.1\n192.0.2.2\nbad line\n");
    write(&drop, "b-ssh.txt", "192.0.2.2\n192.0.2.3\n");
    std::fs::create_dir_all(i.data_dir()).unwrap();
    write(
        &i.data_dir(),
        "cirtkit.toml",
        &format!(
            "[[feeds]]\nname = \"ssh\"\nformat = \"blocklistde\"\noptions = {{ list = \"ssh\" }}\ninterval_secs = 600\n\
             collector = {{ kind = \"directory\", path = \"{}\", pattern = \"*.txt\" }}\n",
            drop.display()
        ),
    );
    i.ok(&["init"]);
    let list = i.ok(&["feed", "list"]);
    assert!(list.contains("ssh") && list.contains("directory") && list.contains("never"), "{list}");
    let dry = json(&i.ok(&["feed", "test", "ssh", "--json"]));
    assert_eq!(
        (dry["events"].as_u64(), dry["duplicates"].as_u64(), dry["quarantined"].as_u64()),
        (Some(3), Some(1), Some(1))
    );
    assert_eq!(json(&i.ok(&["status", "--json"]))["events"], 0, "a dry run writes nothing");
    let run = json(&i.ok(&["feed", "run", "ssh", "--json"]));
    assert_eq!((run["stored"].as_u64(), run["files"].as_u64()), (Some(3), Some(2)));
    write(&drop, "c-ssh.txt", "192.0.2.9\n");
    let run = json(&i.ok(&["feed", "run", "ssh", "--json"]));
    assert_eq!((run["stored"].as_u64(), run["files_skipped"].as_u64()), (Some(1), Some(2)), "{run}");
    let list = json(&i.ok(&["feed", "list", "--json"]));
    assert_eq!(list[0]["last_run"]["stored"], 1);
    let missing = i.fails(&["feed", "run", "nope"]);
    assert!(missing.contains("declared: ssh"), "{missing}");
}

/// Experts with options of their own, checked when the configuration is read (every mistake
/// at once), shown by `feed list` and `feed test`; and a quarantine filled under a wrong parser
/// option, taken back by `feed rerun` once the option is fixed.
#[test]
fn feed_experts_take_options_and_a_fixed_feed_reruns_its_quarantine() {
    let i = Instance::sqlite();
    let drop = i.dir.path().join("drop");
    std::fs::create_dir_all(&drop).unwrap();
    std::fs::create_dir_all(i.data_dir()).unwrap();
    let declare = |port_target: &str, extra: &str| {
        write(
            &i.data_dir(),
            "cirtkit.toml",
            &format!(
                "[[feeds]]\nname = \"scan\"\nformat = \"csv\"\nexperts = [\"rsit\", \"bogons\", \"rules\", \"dedup\"]\n\
                 collector = {{ kind = \"directory\", path = \"{}\", pattern = \"*.csv\" }}\n\
                 [feeds.options]\nconstant = {{ \"classification.type\" = \"scanner\" }}\n\
                 header_map = {{ ip = \"source.ip\", port = \"{port_target}\" }}\n\
                 [feeds.expert_options.bogons]\nallow = [\"documentation\"]\n\
                 [feeds.expert_options.rules]\nrules = [{{ field = \"source.ip\", in_cidr = [\"192.0.2.9/32\"] }}]\n{extra}",
                drop.display()
            ),
        )
    };
    declare(
        "source.port",
        "[feeds.expert_options.geoip]\ndatabase = \"/nonexistent.mmdb\"\n[feeds.expert_options.rsit]\nstrict = true\n",
    );
    let err = i.fails(&["feed", "list"]);
    for needle in [
        "feeds[0].expert_options.geoip: the feed does not run \"geoip\"",
        "feeds[0].expert_options.rsit: [pipeline.expert_config]",
    ] {
        assert!(err.contains(needle), "{needle} in {err}");
    }
    declare("source.port", "");
    i.ok(&["init"]);
    let list = i.ok(&["feed", "list"]);
    assert!(list.contains("rules {\"rules\":[{\"field\":\"source.ip\""), "{list}");
    let listed = json(&i.ok(&["feed", "list", "--json"]));
    assert_eq!(listed[0]["expert_options"]["bogons"]["allow"][0], "documentation");
    write(&drop, "a.csv", "ip,port\n192.0.2.1,ssh\n192.0.2.9,telnet\n10.0.0.1,smtp\n192.0.2.2,22\n");
    assert!(i.ok(&["feed", "test", "scan"]).contains("experts: rsit, bogons {\"allow\":[\"documentation\"]}"));
    let run = json(&i.ok(&["feed", "run", "scan", "--json"]));
    assert_eq!((run["stored"].as_u64(), run["quarantined"].as_u64()), (Some(1), Some(3)), "{run}");

    declare("extra.service", "");
    let r = json(&i.ok(&["feed", "rerun", "scan", "--json"]));
    assert_eq!(
        (r["records"].as_u64(), r["released"].as_u64(), r["stored"].as_u64()),
        (Some(3), Some(3), Some(1)),
        "{r}"
    );
    assert_eq!(r["dropped_by"], serde_json::json!({"expert.bogon": 1, "expert.rule": 1}), "{r}");
    let again = i.ok(&["feed", "rerun", "scan"]);
    assert!(again.contains("0 quarantined records parsed again"), "{again}");
    assert_eq!(json(&i.ok(&["status", "--json"]))["events"], 2);
    assert!(i.fails(&["feed", "rerun", "nope"]).contains("declared: scan"));
}

/// A tiny HTTP server on loopback for the HTTP collector: the first request gets a 503 (with
/// `Retry-After: 1`), `/ssh.txt` is served with an ETag and a 304 to a matching
/// `If-None-Match`, anything else is a 404. Returns the base URL and the requests' heads.
fn serve_feed(body: &'static str) -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut head = String::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                head.push_str(&line);
            }
            let first = log.lock().unwrap().is_empty();
            log.lock().unwrap().push(head.clone());
            let lower = head.to_ascii_lowercase();
            let answer = if first {
                "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\n".to_owned()
            } else if !head.starts_with("GET /ssh.txt ") {
                "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n".to_owned()
            } else if lower.contains("if-none-match: \"v1\"") {
                "HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\n".to_owned()
            } else {
                format!("HTTP/1.1 200 OK\r\nETag: \"v1\"\r\nContent-Length: {}\r\n\r\n{body}", body.len())
            };
            let answer = match answer.split_once("\r\n\r\n") {
                Some((head, body)) => format!("{head}\r\nConnection: close\r\n\r\n{body}"),
                None => format!("{answer}Connection: close\r\n\r\n"),
            };
            let _ = stream.write_all(answer.as_bytes());
        }
    });
    (base, seen)
}

#[test]
fn http_feeds_download_once_retry_on_503_and_ask_if_modified() {
    let (base, seen) = serve_feed("192.0.2.1\n192.0.2.2\n");
    let i = Instance::sqlite();
    std::fs::create_dir_all(i.data_dir()).unwrap();
    write(
        &i.data_dir(),
        "cirtkit.toml",
        &format!(
            "[[feeds]]\nname = \"ssh\"\nformat = \"blocklistde\"\noptions = {{ list = \"ssh\" }}\n\
             collector = {{ kind = \"http\", url = \"{base}/ssh.txt\", headers = {{ X-Token = \"t\" }} }}\n\
             [[feeds]]\nname = \"gone\"\nformat = \"blocklistde\"\noptions = {{ list = \"ssh\" }}\n\
             collector = {{ kind = \"http\", url = \"{base}/gone.txt\", retries = 0 }}\n"
        ),
    );
    i.ok(&["init"]);
    assert!(i.ok(&["feed", "list"]).contains("http"));
    let started = Instant::now();
    let run = json(&i.ok(&["feed", "run", "ssh", "--json"]));
    assert_eq!((run["stored"].as_u64(), run["files"].as_u64()), (Some(2), Some(1)), "{run}");
    assert!(started.elapsed() >= Duration::from_secs(1), "the 503 was retried after its Retry-After");
    let heads = seen.lock().unwrap().clone();
    assert_eq!(heads.len(), 2, "{heads:?}");
    assert!(heads[1].to_ascii_lowercase().contains("x-token: t"), "configured headers are sent: {}", heads[1]);
    assert!(!heads[1].to_ascii_lowercase().contains("if-none-match"), "nothing to match yet: {}", heads[1]);

    let again = json(&i.ok(&["feed", "run", "ssh", "--json"]));
    assert_eq!((again["stored"].as_u64(), again["files"].as_u64()), (Some(0), Some(0)), "{again}");
    let heads = seen.lock().unwrap().clone();
    assert_eq!(heads.len(), 3, "{heads:?}");
    assert!(heads[2].to_ascii_lowercase().contains("if-none-match: \"v1\""), "{}", heads[2]);
    assert_eq!(json(&i.ok(&["status", "--json"]))["events"], 2);
    // The 304 is recorded as such, not as an empty run.
    assert_eq!(again["not_modified"], true, "{again}");
    assert!(i.ok(&["feed", "run", "ssh"]).contains("not modified since the last download"));
    let list = json(&i.ok(&["feed", "list", "--json"]));
    assert_eq!(list[0]["last_run"]["not_modified"], true, "{list}");
    assert!(i.ok(&["feed", "list"]).contains("not modified"));

    let gone = i.fails(&["feed", "run", "gone"]);
    assert!(gone.contains("feed.collect") && gone.contains("/gone.txt") && gone.contains("404"), "{gone}");
    assert_eq!(seen.lock().unwrap().len(), 5, "a 404 is not retried");
}

/// Rows of the generated report: enough for several batches in a debug build.
const ROWS: u64 = 200_000;
const BATCH: &str = "5000";

async fn count_events(url: &str) -> i64 {
    let query = "SELECT COUNT(*) FROM events";
    if url.starts_with("sqlite:") {
        let Ok(mut c) = <sqlx::SqliteConnection as sqlx::Connection>::connect(url).await else { return 0 };
        sqlx::query_scalar(query).fetch_one(&mut c).await.unwrap_or(0)
    } else {
        let Ok(mut c) = <sqlx::PgConnection as sqlx::Connection>::connect(url).await else { return 0 };
        sqlx::query_scalar(query).fetch_one(&mut c).await.unwrap_or(0)
    }
}

async fn killed_and_resumed(clean: &Instance, killed: &Instance, url: impl Fn(&Instance) -> String) {
    let report = clean.dir.path().join(cirtkit_feeds::synthetic::FILE_NAME);
    let mut out = std::io::BufWriter::new(std::fs::File::create(&report).unwrap());
    cirtkit_feeds::synthetic::scan_rdp(ROWS, &mut out).unwrap();
    std::io::Write::flush(&mut out).unwrap();
    drop(out);
    let f = report.to_str().unwrap();
    let ingest = ["feed", "ingest", "--format", "shadowserver", "--batch-records", BATCH, "--json", f];

    // A clean, uninterrupted run, for comparison.
    clean.ok(&["init"]);
    let whole = json(&clean.ok(&ingest));
    assert_eq!(whole["stored"], ROWS, "{whole}");

    // The same file, killed with SIGKILL once some batches are committed.
    killed.ok(&["init"]);
    let mut child = killed.command(&ingest).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(300);
    let target = (ROWS / 4) as i64;
    let mut seen = 0;
    while seen < target {
        assert!(Instant::now() < deadline, "no progress: {seen} events after 300 s");
        assert!(child.try_wait().unwrap().is_none(), "the run ended before it could be killed ({seen} events)");
        tokio::time::sleep(Duration::from_millis(20)).await;
        seen = count_events(&url(killed)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let committed = count_events(&url(killed)).await;
    assert!(committed > 0 && committed < ROWS as i64, "killed part-way: {committed}");

    let resumed = json(&killed.ok(&ingest));
    assert_eq!(resumed["stored"].as_i64().unwrap(), ROWS as i64 - committed, "only what was not committed: {resumed}");
    assert_eq!(count_events(&url(killed)).await, ROWS as i64);
    let again = json(&killed.ok(&ingest));
    assert_eq!((again["stored"].as_u64(), again["files_skipped"].as_u64()), (Some(0), Some(1)));

    let export = |i: &Instance| -> Vec<String> {
        let text = i.ok(&["events", "export", "--format", "jsonl"]);
        let mut lines: Vec<String> = text.lines().map(without_observation).collect();
        lines.sort();
        lines
    };
    let (a, b) = (export(clean), export(killed));
    assert_eq!(b.len() as u64, ROWS);
    assert_eq!(b.iter().collect::<BTreeSet<_>>().len() as u64, ROWS, "no event twice");
    assert!(a == b, "the killed and resumed run stored exactly what the clean run stored");
}

#[tokio::test]
async fn a_run_killed_at_any_point_stores_every_event_once_on_sqlite() {
    let (clean, killed) = (Instance::sqlite(), Instance::sqlite());
    killed_and_resumed(&clean, &killed, |i| format!("sqlite://{}", i.sqlite_file().display())).await;
}

#[tokio::test]
async fn a_run_killed_at_any_point_stores_every_event_once_on_postgres() {
    let Some(a) = PgSchema::create("feed_clean").await else { return };
    let Some(b) = PgSchema::create("feed_killed").await else { return };
    let clean = Instance { dir: tempfile::tempdir().unwrap(), database_url: Some(a.url.clone()) };
    let killed = Instance { dir: tempfile::tempdir().unwrap(), database_url: Some(b.url.clone()) };
    let url = b.url.clone();
    killed_and_resumed(&clean, &killed, move |_| url.clone()).await;
    a.drop_schema().await;
    b.drop_schema().await;
}

#[test]
fn events_get_their_as_from_the_imported_table() {
    let i = Instance::sqlite();
    i.ok(&["init"]);
    let table = concat!(env!("CARGO_MANIFEST_DIR"), "/crates/pipeline/tests/expert-data/asn/ip2asn-sample.tsv");
    i.ok(&["asn", "import", table]);
    let file = write(i.dir.path(), "ssh.txt", "93.184.216.34\n1.0.0.7\n");
    let out = json(&i.ok(&["feed", "ingest", "--format", "blocklistde", "--json", file.to_str().unwrap()]));
    assert_eq!(out["stored"], 2, "{out}");
    let exported = i.ok(&["events", "export", "--format", "jsonl"]);
    let events: Vec<serde_json::Value> = exported.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let edgecast = events.iter().find(|e| e["source.ip"] == "93.184.216.34").unwrap();
    assert_eq!(edgecast["source.asn"], 15133, "{edgecast}");
    assert_eq!(edgecast["source.network"], "93.184.216.0/24");
    assert_eq!(edgecast["source.as_name"], "EDGECAST");
}

#[tokio::test]
async fn an_incident_is_opened_from_the_events_a_filter_selects() {
    let i = Instance::sqlite();
    i.ok(&["init"]);
    let file = write(i.dir.path(), "ssh.txt", "192.0.2.1\n192.0.2.7\n");
    i.ok(&["feed", "ingest", "--format", "blocklistde", "--feed", "blocklist", file.to_str().unwrap()]);
    let overrides = cirtkit_app::Overrides { data_dir: Some(i.data_dir()), ..Default::default() };
    let config = cirtkit_app::Config::load(&overrides).unwrap();
    let services = cirtkit_app::open_services(&config).await.unwrap();
    let op = cirtkit_service::Principal::Operator("test".into());
    let query = cirtkit_service::storage::EventQuery { feeds: vec!["blocklist".into()], ..Default::default() };
    let incident = services.incident_from_events(&op, query).await.unwrap();
    assert_eq!(incident.title, "2 events from blocklist: brute-force");
    assert_eq!(incident.rsit.to_string(), "intrusion-attempts/brute-force");
    let observables = services.observables(&op, incident.id).await.unwrap();
    assert_eq!(observables.len(), 2, "{observables:?}");
    let none = cirtkit_service::storage::EventQuery { feeds: vec!["nothing".into()], ..Default::default() };
    assert!(matches!(services.incident_from_events(&op, none).await, Err(cirtkit_service::ServiceError::Invalid(_))));
}

/// A report this build does not know, in the format of Shadowserver's schema for IntelMQ
/// (written for this test: the published schema is not ours to copy).
const SCHEMA: &str = r#"{
  "_meta": {"date_created": "2026-11-01"},
  "scan_newthing": {
    "feed_name": "Vulnerable-NewThing",
    "file_name": "scan_newthing",
    "constant_fields": {"classification.taxonomy": "vulnerable", "classification.type": "vulnerable-system", "classification.identifier": "newthing"},
    "required_fields": [["time.source", "timestamp", "add_UTC_to_timestamp"], ["source.ip", "ip"]],
    "optional_fields": [["source.port", "port", "convert_int"], ["extra.", "tag", "validate_to_none"]]
  }
}"#;

#[test]
fn a_loaded_shadowserver_schema_reads_reports_the_build_does_not_know() {
    let i = Instance::sqlite();
    i.ok(&["init"]);
    let csv = write(
        i.dir.path(),
        "2026-11-20-scan_newthing-xx-geo.csv",
        "\"timestamp\",\"ip\",\"port\",\"tag\"\n\"2026-11-20 10:00:00\",\"192.0.2.44\",8443,\"newthing\"\n",
    );
    let before = i.run(&["feed", "ingest", "--format", "shadowserver", "--json", csv.to_str().unwrap()]);
    let before: serde_json::Value = serde_json::from_slice(&before.stdout).unwrap_or_default();
    assert_ne!(before["stored"], 1, "unknown to the compiled table: {before}");

    let bad = write(i.dir.path(), "bad.json", "{\"x\": {\"file_name\": \"x\"}}");
    let err = i.fails(&["feed", "schema", "update", bad.to_str().unwrap()]);
    assert!(err.contains("not a Shadowserver schema"), "{err}");
    let schema = write(i.dir.path(), "schema.json", SCHEMA);
    let out = i.ok(&["feed", "schema", "update", schema.to_str().unwrap()]);
    assert!(out.contains("Loaded 1 Shadowserver reports") && out.contains("1 new to this build"), "{out}");

    let csv2 = write(
        i.dir.path(),
        "2026-11-21-scan_newthing-xx-geo.csv",
        "\"timestamp\",\"ip\",\"port\",\"tag\"\n\"2026-11-21 10:00:00\",\"192.0.2.45\",8443,\"newthing\"\n",
    );
    let after = json(&i.ok(&["feed", "ingest", "--format", "shadowserver", "--json", csv2.to_str().unwrap()]));
    assert_eq!(after["stored"], 1, "{after}");
    let exported = i.ok(&["events", "export", "--format", "jsonl"]);
    assert!(exported.contains("\"classification.identifier\":\"newthing\""), "{exported}");
}
