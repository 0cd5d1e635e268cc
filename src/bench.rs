//! `cirtkit bench api`: the JSON API under load. Loads synthetic incidents into a fresh
//! database, runs the real server in this process on 127.0.0.1, and times each scenario with
//! concurrent keep-alive clients. Only 127.0.0.1 is contacted, and every loop is bounded.

use crate::cli::{BenchApiArgs, BenchPipelineArgs};
use anyhow::{Context, Result, bail};
use cirtkit_app::{Application, Config, Overrides};
use cirtkit_domain::{Clock, Role, SystemClock};
use cirtkit_service::{NewUser, Principal, Services, generate_password};
use cirtkit_storage::{DatabaseUrl, Store, SyntheticReport, SyntheticSpec};
use std::{
    path::PathBuf,
    process::ExitCode,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

/// The latency every scenario should keep its 99th percentile under.
const TARGET_P99: Duration = Duration::from_millis(50);
/// Full-text queries, cycled: a word in most incidents, two such words in two scripts, a word in
/// about 0.8 % of them (`w` and a number, drawn per request), and a word in none.
const TEXT_QUERIES: &[&str] = &["ransomware", "botnet خبيثة", "w*", "zzzabsent"];

/// One HTTP GET: a path under the server, and query parameters (encoded by the client).
struct Call {
    path: String,
    query: Vec<(&'static str, String)>,
}

/// What one request of a scenario fetches: usually one call; the incident page is two, fetched
/// one after the other and timed together.
type Request = Vec<Call>;

struct Scenario {
    name: &'static str,
    /// What the scenario asks, for the report.
    shape: &'static str,
    /// The `n`th request, drawn from `n` so that runs repeat.
    request: Box<dyn Fn(u64) -> Request + Send + Sync>,
}

/// A small deterministic mixer (splitmix64): request `n` of a scenario always asks the same.
fn mix(n: u64) -> u64 {
    let mut z = n.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn list(query: &[(&'static str, String)]) -> Request {
    vec![Call { path: "/api/v1/incidents".into(), query: query.to_vec() }]
}

fn scenarios(report: &SyntheticReport) -> Vec<Scenario> {
    let (incidents, organisations) = (report.incidents.max(1) as u64, report.organisations.max(1) as u64);
    let limit = || ("limit", "50".to_owned());
    vec![
        Scenario {
            name: "list",
            shape: "GET /api/v1/incidents?limit=50",
            request: Box::new(move |_| list(&[limit()])),
        },
        Scenario {
            name: "list, state + severity",
            shape: "?state=in-progress,waiting&severity=high,critical&limit=50",
            request: Box::new(move |_| {
                list(&[("state", "in-progress,waiting".into()), ("severity", "high,critical".into()), limit()])
            }),
        },
        Scenario {
            name: "list, organisation",
            shape: "?organisation=<random>&limit=50",
            request: Box::new(move |n| list(&[("organisation", (1 + mix(n) % organisations).to_string()), limit()])),
        },
        Scenario {
            name: "full text",
            shape: "?q=<common | two words | 0.8% | absent>&limit=50",
            request: Box::new(move |n| {
                let word = TEXT_QUERIES[(n % TEXT_QUERIES.len() as u64) as usize];
                let q = if word == "w*" { format!("w{}", mix(n) % 20_000) } else { word.to_owned() };
                list(&[("q", q), limit()])
            }),
        },
        Scenario {
            name: "incident page",
            shape: "GET /api/v1/incidents/<random> then …/journal",
            request: Box::new(move |n| {
                let id = 1 + mix(n) % incidents;
                vec![
                    Call { path: format!("/api/v1/incidents/{id}"), query: vec![] },
                    Call { path: format!("/api/v1/incidents/{id}/journal"), query: vec![] },
                ]
            }),
        },
        Scenario {
            name: "observable, address",
            shape: "GET /api/v1/observables/search?q=10.<r>.<r>.<r>",
            request: Box::new(move |n| {
                let r = mix(n);
                let q = format!("10.{}.{}.{}", (r >> 16) & 0xff, (r >> 8) & 0xff, r & 0xff);
                vec![Call { path: "/api/v1/observables/search".into(), query: vec![("q", q)] }]
            }),
        },
        Scenario {
            name: "observable, /24",
            shape: "GET /api/v1/observables/search?q=10.<r>.<r>.0/24",
            request: Box::new(move |n| {
                let r = mix(n);
                let q = format!("10.{}.{}.0/24", (r >> 8) & 0xff, r & 0xff);
                vec![Call { path: "/api/v1/observables/search".into(), query: vec![("q", q)] }]
            }),
        },
    ]
}

/// A scenario's measurements.
struct Outcome {
    name: &'static str,
    shape: &'static str,
    requests: usize,
    errors: usize,
    first_error: Option<String>,
    wall: Duration,
    /// Sorted.
    latencies: Vec<Duration>,
}

impl Outcome {
    /// The nearest-rank percentile: the smallest latency that at least `p` % of requests did not exceed.
    fn percentile(&self, p: f64) -> Duration {
        let n = self.latencies.len();
        if n == 0 {
            return Duration::ZERO;
        }
        let rank = ((p / 100.0) * n as f64).ceil() as usize;
        self.latencies[rank.clamp(1, n) - 1]
    }

    fn throughput(&self) -> f64 {
        self.requests as f64 / self.wall.as_secs_f64().max(1e-9)
    }

    fn passes(&self) -> bool {
        self.errors == 0 && self.percentile(99.0) < TARGET_P99
    }

    fn json(&self) -> serde_json::Value {
        let ms = |d: Duration| (d.as_secs_f64() * 1e6).round() / 1e3;
        serde_json::json!({
            "name": self.name,
            "request": self.shape,
            "requests": self.requests,
            "errors": self.errors,
            "first_error": self.first_error,
            "throughput_per_s": (self.throughput() * 10.0).round() / 10.0,
            "p50_ms": ms(self.percentile(50.0)),
            "p95_ms": ms(self.percentile(95.0)),
            "p99_ms": ms(self.percentile(99.0)),
            "max_ms": ms(self.latencies.last().copied().unwrap_or_default()),
            "pass": self.passes(),
        })
    }
}

/// Sends one request's calls in order; any answer but 200 is an error.
async fn send(client: &reqwest::Client, base: &str, token: &str, request: &Request) -> Result<(), String> {
    for call in request {
        let response = client
            .get(format!("{base}{}", call.path))
            .query(&call.query)
            .bearer_auth(token)
            .send()
            .await
            .map_err(|e| format!("GET {}: {e}", call.path))?;
        let status = response.status();
        // The whole body is read: it is part of what a client waits for.
        let body = response.bytes().await.map_err(|e| format!("GET {}: {e}", call.path))?;
        if status != reqwest::StatusCode::OK {
            let text = String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
            return Err(format!("GET {} {:?}: {status} {text}", call.path, call.query));
        }
    }
    Ok(())
}

/// Runs `requests` requests of a scenario over `clients` concurrent tasks.
async fn run_scenario(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    scenario: Arc<Scenario>,
    clients: usize,
    requests: usize,
) -> Result<Outcome> {
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(clients);
    for _ in 0..clients {
        let (client, base, token, scenario, next) =
            (client.clone(), base.to_owned(), token.to_owned(), scenario.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = Vec::new();
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= requests {
                    break;
                }
                let request = (scenario.request)(n as u64);
                let began = Instant::now();
                let result = send(&client, &base, &token, &request).await;
                latencies.push(began.elapsed());
                if let Err(e) = result {
                    errors.push(e);
                }
            }
            (latencies, errors)
        }));
    }
    let (mut latencies, mut errors) = (Vec::with_capacity(requests), Vec::new());
    for task in tasks {
        let (l, e) = task.await.context("a client task failed")?;
        latencies.extend(l);
        errors.extend(e);
    }
    let wall = start.elapsed();
    latencies.sort();
    Ok(Outcome {
        name: scenario.name,
        shape: scenario.shape,
        requests: latencies.len(),
        errors: errors.len(),
        first_error: errors.into_iter().next(),
        wall,
        latencies,
    })
}

/// Where the benchmark's data go: a fresh directory of its own unless told otherwise.
enum Place {
    /// A temporary directory this command made (and removes unless --keep).
    Temporary(PathBuf),
    /// The --data-dir given, which must not hold a database yet.
    Given,
    /// The PostgreSQL database given.
    Postgres,
}

pub async fn api(mut overrides: Overrides, args: BenchApiArgs) -> Result<ExitCode> {
    overrides.listen = Some("127.0.0.1:0".into());
    let place = place(&mut overrides, args.reuse)?;
    let config = bench_config(&overrides)?;
    let result = measure(&config, &args).await;
    place.clean(args.keep);
    result
}

/// Where a benchmark works: a fresh temporary directory (or an empty given one) with SQLite,
/// or the PostgreSQL database given.
/// With `reuse`, a given directory may hold what an earlier run left.
fn place(overrides: &mut Overrides, reuse: bool) -> Result<Place> {
    let postgres = overrides.database_url.as_deref().is_some_and(|u| !u.starts_with("sqlite:"));
    Ok(if postgres {
        Place::Postgres
    } else if overrides.database_url.is_none()
        && let Some(dir) = &overrides.data_dir
    {
        if !reuse && (dir.join(cirtkit_app::config::CONFIG_FILE_NAME).exists() || dir.join("cirtkit.db").exists()) {
            bail!(
                "{} holds a cirtkit instance; the benchmark needs a fresh directory: give an empty --data-dir, \
                 or none for a temporary one",
                dir.display()
            );
        }
        Place::Given
    } else if overrides.database_url.is_some() {
        bail!(
            "with SQLite, the benchmark makes its own database: give --data-dir (empty) or nothing, not --database-url"
        );
    } else {
        let stamp = SystemClock.now().timestamp_nanos_opt().unwrap_or_default();
        let dir = std::env::temp_dir().join(format!("cirtkit-bench-{}-{stamp:x}", std::process::id()));
        std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        overrides.data_dir = Some(dir.clone());
        Place::Temporary(dir)
    })
}

impl Place {
    fn clean(&self, keep: bool) {
        if let Place::Temporary(dir) = self {
            if keep {
                eprintln!("kept the benchmark's data directory {}", dir.display());
            } else if let Err(e) = std::fs::remove_dir_all(dir) {
                eprintln!("warning: cannot remove {}: {e}", dir.display());
            }
        }
    }
}

/// The configuration, logging only warnings unless -v (log lines would cost the CPUs measured).
fn bench_config(overrides: &Overrides) -> Result<Config> {
    let mut config = Config::load(overrides)?;
    if overrides.verbosity == 0 {
        config.log.level = "warn".into();
    }
    cirtkit_app::init_logging(&config);
    Ok(config)
}

/// `cirtkit bench pipeline`: a generated Shadowserver report through the whole feed path.
pub async fn pipeline(mut overrides: Overrides, args: BenchPipelineArgs) -> Result<ExitCode> {
    if let Some(path) = &args.write_report {
        let mut out = std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
        );
        cirtkit_feeds::synthetic::scan_rdp(args.rows, &mut out).context("cannot write the report")?;
        std::io::Write::flush(&mut out).context("cannot write the report")?;
        eprintln!("wrote {} rows to {}", args.rows, path.display());
        return Ok(ExitCode::SUCCESS);
    }
    let place = place(&mut overrides, false)?;
    let config = bench_config(&overrides)?;
    let result = measure_pipeline(&config, &args).await;
    place.clean(args.keep);
    result
}

/// The peak resident memory of this process so far (VmHWM), in bytes, where Linux tells it.
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.trim_start_matches("VmHWM:").trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kib * 1024)
}

async fn measure_pipeline(config: &Config, args: &BenchPipelineArgs) -> Result<ExitCode> {
    let store = fresh_store(config).await?;
    let services = Services::new(store.clone(), Arc::new(SystemClock), cirtkit_app::service_settings(config)).await?;
    let work = std::env::temp_dir().join(format!("cirtkit-bench-feed-{}", std::process::id()));
    std::fs::create_dir_all(&work).with_context(|| format!("cannot create {}", work.display()))?;
    let file = work.join(cirtkit_feeds::synthetic::FILE_NAME);
    let generated = Instant::now();
    {
        let path = file.clone();
        let rows = args.rows;
        tokio::task::spawn_blocking(move || -> Result<()> {
            let mut out = std::io::BufWriter::new(
                std::fs::File::create(&path).with_context(|| format!("cannot create {}", path.display()))?,
            );
            cirtkit_feeds::synthetic::scan_rdp(rows, &mut out).context("cannot write the report")?;
            std::io::Write::flush(&mut out).context("cannot write the report")?;
            Ok(())
        })
        .await??;
    }
    let generation = generated.elapsed();
    let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or_default();
    let spec = cirtkit_feeds::FeedSpec::one_off("shadowserver-bench", "shadowserver");
    let options = cirtkit_feeds::RunOptions { actor: "system:bench".into(), ..Default::default() };
    let inputs = vec![cirtkit_feeds::collect::Input::file(&file)];
    let report = cirtkit_feeds::run_feed(&store, &spec, services.index(), &SystemClock, inputs, &options, None).await;
    let _ = std::fs::remove_dir_all(&work);
    let report = report?;
    let rate = report.stored as f64 / report.seconds.max(1e-9);
    let peak = peak_rss();
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "backend": store.backend_name(),
                "rows": args.rows,
                "file_bytes": size,
                "read": report.read,
                "stored": report.stored,
                "duplicates": report.duplicates,
                "quarantined": report.quarantined,
                "seconds": report.seconds,
                "events_per_second": rate.round(),
                "peak_rss_bytes": peak,
                "batch_records": options.batch_records,
                "stages": report.stages,
                "error": report.error,
            })
        );
    } else {
        println!("backend:          {}", store.backend_name());
        println!(
            "generated:        {} rows, {:.1} MiB, in {:.1} s",
            args.rows,
            size as f64 / 1048576.0,
            generation.as_secs_f64()
        );
        println!(
            "pipeline:         read {}, stored {}, {} duplicates, {} quarantined",
            report.read, report.stored, report.duplicates, report.quarantined
        );
        println!("time:             {:.2} s (parse, experts, deduplication, batched writes, ANALYZE)", report.seconds);
        println!("throughput:       {rate:.0} events/s");
        for stage in &report.stages {
            println!(
                "  stage {:<12} {:>9} in, {:>9} out, {:.2} s",
                stage.stage, stage.received, stage.emitted, stage.seconds
            );
        }
        match peak {
            Some(p) => println!("peak memory:      {:.1} MiB (VmHWM)", p as f64 / 1048576.0),
            None => println!("peak memory:      unknown (no /proc/self/status)"),
        }
        if let Some(e) = &report.error {
            println!("error:            {e}");
        }
    }
    store.close().await;
    Ok(if report.error.is_none() && report.stored == args.rows { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// Requires a database that holds nothing yet, then migrates it.
async fn fresh_store(config: &Config) -> Result<Store> {
    let store = cirtkit_app::open_store(config).await?;
    let status = store.schema_status().await?;
    if status.current > 0 {
        let c = store.counts().await?;
        if c.organisations + c.incidents + c.events + c.partners + c.users > 0 {
            let hint = match config.database_url() {
                DatabaseUrl::Postgres(_) => {
                    "give an empty database, or a fresh schema with ?options=-c%20search_path%3D<schema>"
                }
                DatabaseUrl::Sqlite(_) => "give an empty --data-dir, or none for a temporary one",
            };
            bail!(
                "the benchmark needs an empty database, and {} holds {} incidents, {} organisations and {} users: {hint}",
                config.database_url(),
                c.incidents,
                c.organisations,
                c.users
            );
        }
    }
    store.migrate(SystemClock.now()).await?;
    Ok(store)
}

/// A store that an earlier run loaded with `spec`, and what it holds (as the load reported it).
async fn loaded_store(config: &Config, spec: &SyntheticSpec) -> Result<(Store, SyntheticReport)> {
    let store = cirtkit_app::open_store(config).await?;
    if store.schema_status().await?.current == 0 {
        bail!("--reuse needs the data of an earlier run, and {} holds no cirtkit schema", config.database_url());
    }
    let counts = store.counts().await?;
    if counts.incidents != spec.incidents || counts.organisations != spec.organisations {
        bail!(
            "--reuse needs the data of an earlier run with --incidents {}, and {} holds {} incidents and {} \
             organisations",
            spec.incidents,
            config.database_url(),
            counts.incidents,
            counts.organisations
        );
    }
    store.migrate(SystemClock.now()).await?;
    let report = SyntheticReport {
        organisations: counts.organisations,
        users: spec.users,
        incidents: counts.incidents,
        observables: counts.incidents,
        journal_entries: counts.incidents * spec.journal_per_incident,
        elapsed: Duration::ZERO,
    };
    Ok((store, report))
}

async fn measure(config: &Config, args: &BenchApiArgs) -> Result<ExitCode> {
    let spec = SyntheticSpec {
        incidents: args.incidents,
        journal_per_incident: args.journal_per_incident,
        ..SyntheticSpec::default()
    };
    let (store, report) = if args.reuse {
        let (store, report) = loaded_store(config, &spec).await?;
        eprintln!("bench: reusing the {} incidents in {}", report.incidents, config.database_url());
        (store, report)
    } else {
        let store = fresh_store(config).await?;
        let report = load(&store, config, &spec).await?;
        (store, report)
    };
    let services = Services::new(store.clone(), Arc::new(SystemClock), cirtkit_app::service_settings(config)).await?;
    let operator = Principal::operator();
    let admin = "bench-admin".parse()?;
    if !args.reuse {
        services
            .create_user(
                &operator,
                NewUser {
                    name: "bench-admin".parse()?,
                    display_name: "Benchmark".into(),
                    email: None,
                    role: Role::Admin,
                    language: "en".parse()?,
                    password: Some(generate_password()),
                },
            )
            .await?;
    }
    let (_, token) = services.create_token(&operator, &admin, "bench").await?;
    let app = Application::build(config, services).await?;
    let addr = app.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    let outcomes = drive(&format!("http://{addr}"), &token.0, &report, args).await;
    let _ = stop.send(());
    server.await.context("the server task failed")??;
    store.close().await;
    let outcomes = outcomes?;

    print_report(config, store.backend_name(), &report, args, &outcomes)?;
    let errors: usize = outcomes.iter().map(|o| o.errors).sum();
    if errors > 0 {
        let first = outcomes.iter().find_map(|o| o.first_error.clone()).unwrap_or_default();
        bail!("{errors} requests did not answer 200; the first: {first}");
    }
    Ok(ExitCode::SUCCESS)
}

/// Loads the synthetic data into a fresh store, with progress on stderr.
async fn load(store: &Store, config: &Config, spec: &SyntheticSpec) -> Result<SyntheticReport> {
    eprintln!(
        "bench: loading {} incidents with {} journal entries each into {} ({})…",
        spec.incidents,
        spec.journal_per_incident,
        config.database_url(),
        store.backend_name()
    );
    let step = (spec.incidents / 10).max(1);
    let mut shown = 0;
    let report = store
        .load_synthetic_incidents(spec, &mut |done| {
            if done / step > shown {
                shown = done / step;
                eprintln!("bench: {done} incidents loaded");
            }
        })
        .await?;
    eprintln!(
        "bench: loaded {} incidents, {} journal entries, {} observables in {:.1} s",
        report.incidents,
        report.journal_entries,
        report.observables,
        report.elapsed.as_secs_f64()
    );

    Ok(report)
}

async fn drive(base: &str, token: &str, report: &SyntheticReport, args: &BenchApiArgs) -> Result<Vec<Outcome>> {
    let clients = args.clients as usize;
    let client = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(clients)
        .timeout(Duration::from_secs(60))
        .build()
        .context("cannot build the HTTP client")?;
    // Open the clients' connections first, so that the first scenario does not pay for them.
    let warm_up =
        Arc::new(Scenario { name: "warm-up", shape: "", request: Box::new(|_| list(&[("limit", "1".into())])) });
    run_scenario(&client, base, token, warm_up, clients, clients).await?;
    let mut outcomes = vec![];
    for scenario in scenarios(report) {
        eprintln!("bench: {} ({} requests, {} clients)…", scenario.name, args.requests, clients);
        let outcome = run_scenario(&client, base, token, Arc::new(scenario), clients, args.requests as usize).await?;
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

fn print_report(
    config: &Config,
    backend: &str,
    report: &SyntheticReport,
    args: &BenchApiArgs,
    outcomes: &[Outcome],
) -> Result<()> {
    if args.json {
        let value = serde_json::json!({
            "backend": backend,
            "incidents": report.incidents,
            "journal_entries": report.journal_entries,
            "observables": report.observables,
            "organisations": report.organisations,
            "load_seconds": (report.elapsed.as_secs_f64() * 10.0).round() / 10.0,
            "clients": args.clients,
            "requests_per_scenario": args.requests,
            "database_connections": config.database.max_connections,
            "target_p99_ms": TARGET_P99.as_millis() as u64,
            "scenarios": outcomes.iter().map(Outcome::json).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string(&value)?);
        return Ok(());
    }
    println!(
        "{backend}: {} incidents, {} journal entries; {} clients, {} requests per scenario, {} database connections",
        report.incidents, report.journal_entries, args.clients, args.requests, config.database.max_connections
    );
    println!(
        "{:<22} {:>8} {:>6} {:>8} {:>8} {:>8} {:>8} {:>8}  p99 < {} ms",
        "scenario",
        "requests",
        "errors",
        "req/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms",
        TARGET_P99.as_millis()
    );
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    for o in outcomes {
        println!(
            "{:<22} {:>8} {:>6} {:>8.0} {:>8.1} {:>8.1} {:>8.1} {:>8.1}  {}",
            o.name,
            o.requests,
            o.errors,
            o.throughput(),
            ms(o.percentile(50.0)),
            ms(o.percentile(95.0)),
            ms(o.percentile(99.0)),
            ms(o.latencies.last().copied().unwrap_or_default()),
            if o.passes() { "PASS" } else { "FAIL" }
        );
    }
    println!("The incident page is one request: the incident, then its journal, timed together.");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let o = Outcome {
            name: "t",
            shape: "",
            requests: 100,
            errors: 0,
            first_error: None,
            wall: Duration::from_secs(1),
            latencies: (1..=100).map(Duration::from_millis).collect(),
        };
        assert_eq!(o.percentile(50.0), Duration::from_millis(50));
        assert_eq!(o.percentile(99.0), Duration::from_millis(99));
        assert_eq!(o.percentile(100.0), Duration::from_millis(100));
        assert!(!o.passes());
    }
}
