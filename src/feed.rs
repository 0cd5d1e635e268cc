//! `cirtkit feed …` and `cirtkit events export`: the feed pipeline from the command line. Runs
//! write through `cirtkit_feeds` exactly as `serve` does; the run is audited as the operator.

use crate::cli::{EventsAction, EventsFormat, FeedAction, SchemaAction};
use anyhow::{Context, Result, anyhow, bail};
use cirtkit_app::Config;
use cirtkit_feeds::collect::{self, Collected, CollectedRun, Input};
use cirtkit_feeds::run::{Progress, RunOptions, RunReport, feed_resources, load_dedup};
use cirtkit_feeds::{CollectorSpec, FeedSpec, dry_run, run_collected};
use cirtkit_service::{Principal, Services};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::Ordering;

pub async fn feed(config: &Config, services: Services, operator: &Principal, action: FeedAction) -> Result<ExitCode> {
    match action {
        FeedAction::List { json } => list(config, &services, json).await,
        FeedAction::Schema { action: SchemaAction::Update { file } } => schema_update(config, &file),
        FeedAction::Formats => {
            for spec in cirtkit_feeds::pipeline::formats() {
                println!("{:<24} {}", spec.format, spec.description);
            }
            Ok(ExitCode::SUCCESS)
        }
        FeedAction::Test { name, files, samples, json } => test(config, &services, &name, files, samples, json).await,
        FeedAction::Run { name, json } => {
            let spec = declared(config, &name)?.clone();
            let collected = collect::collect_any(services.store(), &spec, &config.spool_dir()).await?;
            let batch = RunOptions::default().batch_records;
            run(config, &services, operator, &spec, collected, batch, json).await
        }
        FeedAction::Rerun { name, json } => {
            declared(config, &name)?;
            let r = services.rerun_quarantine(operator, &name).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                println!(
                    "{name}: {} quarantined records parsed again: {} left the quarantine ({} events stored, {} \
                     duplicates, {} dropped), {} still fail, {} cannot be parsed on their own.",
                    r.records,
                    r.released,
                    r.stored,
                    r.duplicates,
                    r.dropped_by.values().sum::<u64>(),
                    r.still_quarantined,
                    r.not_reparsable
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        FeedAction::Ingest { format, feed, files, batch_records, json } => {
            let name = feed.unwrap_or_else(|| format.clone());
            let spec = match config.feed(&name) {
                Some(spec) if spec.format != format => {
                    bail!("the feed {name:?} reads the format {:?}, not {format:?}", spec.format)
                }
                Some(spec) => spec.clone(),
                None => {
                    let spec = FeedSpec::one_off(&name, &format);
                    let problems = spec.problems("--feed/--format");
                    if !problems.is_empty() {
                        bail!("{}", problems.join("; "));
                    }
                    spec
                }
            };
            let mut inputs = Vec::new();
            for file in files {
                if file.as_os_str() == "-" {
                    let spool = config.spool_dir();
                    inputs.push(
                        tokio::task::spawn_blocking(move || {
                            collect::spool(&mut std::io::stdin().lock(), &spool, "stdin")
                        })
                        .await??,
                    );
                } else if file.is_file() {
                    inputs.push(Input::file(&file));
                } else {
                    bail!("{} is not a readable file", file.display());
                }
            }
            let batch = usize::try_from(batch_records).unwrap_or(usize::MAX);
            let collected = Collected::files(inputs);
            run(config, &services, operator, &spec, collected, batch, json).await
        }
    }
}

fn declared<'c>(config: &'c Config, name: &str) -> Result<&'c FeedSpec> {
    config.feed(name).ok_or_else(|| {
        let known: Vec<&str> = config.feeds.iter().map(|f| f.name.as_str()).collect();
        if known.is_empty() {
            anyhow!("no feed is named {name:?}: no feeds are declared ([[feeds]] in cirtkit.toml)")
        } else {
            anyhow!("no feed is named {name:?}; declared: {}", known.join(", "))
        }
    })
}

fn collector_kind(spec: &FeedSpec) -> &'static str {
    match spec.collector {
        CollectorSpec::File { .. } => "file",
        CollectorSpec::Directory { .. } => "directory",
        CollectorSpec::Stdin => "stdin",
        CollectorSpec::Http { .. } => "http",
        CollectorSpec::Imap { .. } => "imap",
    }
}

async fn list(config: &Config, services: &Services, json: bool) -> Result<ExitCode> {
    let mut rows = Vec::new();
    for spec in &config.feeds {
        let last = services.store().feed_runs(Some(&spec.name), 1).await?.into_iter().next();
        rows.push((spec, last));
    }
    if json {
        let out: Vec<serde_json::Value> = rows
            .iter()
            .map(|(spec, last)| {
                serde_json::json!({
                    "name": spec.name,
                    "format": spec.format,
                    "collector": collector_kind(spec),
                    "interval_secs": spec.interval_secs,
                    "experts": spec.experts,
                    "expert_options": spec.expert_options,
                    "last_run": last,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        println!("No feeds are declared: add [[feeds]] tables to cirtkit.toml (see docs/configuration.md).");
        return Ok(ExitCode::SUCCESS);
    }
    println!("{:<24} {:<16} {:<10} {:<10} LAST RUN", "NAME", "FORMAT", "COLLECTOR", "EVERY");
    for (spec, last) in rows {
        let every = spec.interval_secs.map_or_else(|| "on demand".to_owned(), |s| format!("{s}s"));
        let last = match last {
            Some(r) if r.not_modified => {
                format!("{} not modified since the last download", r.finished_at.format("%Y-%m-%d %H:%M UTC"))
            }
            Some(r) => format!(
                "{} stored {}, {} duplicates, {} quarantined{}",
                r.finished_at.format("%Y-%m-%d %H:%M UTC"),
                r.stored,
                r.duplicates,
                r.quarantined,
                r.error.map(|e| format!(" (error: {e})")).unwrap_or_default()
            ),
            None => "never".into(),
        };
        println!("{:<24} {:<16} {:<10} {:<10} {last}", spec.name, spec.format, collector_kind(spec), every);
        println!("  experts: {}", spec.experts_summary());
    }
    Ok(ExitCode::SUCCESS)
}

async fn test(
    config: &Config,
    services: &Services,
    name: &str,
    files: Vec<PathBuf>,
    samples: usize,
    json: bool,
) -> Result<ExitCode> {
    let spec = declared(config, name)?.clone();
    let inputs = if files.is_empty() {
        // Conditional as a run would ask (an unchanged download shows nothing); the validators
        // are not kept, and mail is neither marked nor moved, by a dry run.
        let collected = collect::collect_any(services.store(), &spec, &config.spool_dir()).await?;
        if !json {
            if collected.not_modified {
                println!("{name}: not modified since the last download: nothing to read.");
            }
            print_set_aside(&spec, collected.set_aside());
        }
        collected.inputs
    } else {
        files.iter().map(|f| Input::file(f)).collect()
    };
    let now = services.clock().now();
    let dedup = load_dedup(services.store(), &spec, now).await?;
    let asn_table = if spec.has_expert("asn") { cirtkit_app::load_asn_table(&config.asn_table_path()) } else { None };
    let resources = feed_resources(services.store(), &spec, services.index(), now, asn_table).await?;
    let shown = inputs.clone();
    let experts = spec.experts_summary();
    let out = tokio::task::spawn_blocking(move || dry_run(&spec, &shown, &resources, dedup, now, samples)).await??;
    for input in inputs.iter().filter(|i| i.spooled) {
        let _ = std::fs::remove_file(&input.path);
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!("Dry run of {name} over {} file(s): nothing was written.", out.files.len());
        println!("experts: {experts}");
        println!(
            "read {}: {} events would be stored, {} duplicates, {} dropped, {} quarantined",
            out.read, out.events, out.duplicates, out.dropped, out.quarantined
        );
        for (reason, n) in &out.dropped_by {
            println!("  dropped ({reason}): {n}");
        }
        for e in &out.errors {
            println!("  file error: {e}");
        }
        if !out.samples.is_empty() {
            println!("First events:");
            for s in &out.samples {
                println!("  {s}");
            }
        }
        if !out.quarantine_samples.is_empty() {
            println!("First quarantined records:");
            for q in &out.quarantine_samples {
                println!("  {} line {}: {}", q.file.as_deref().unwrap_or("-"), q.line, q.reason);
            }
        }
    }
    Ok(if out.errors.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// A progress bar on stderr while the run goes, when stderr is a terminal.
fn progress_bar(progress: Arc<Progress>) -> Option<(indicatif::ProgressBar, tokio::task::JoinHandle<()>)> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(0);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({bytes_per_sec}) {msg}",
    ) {
        bar.set_style(style);
    }
    let shown = bar.clone();
    let ticker = tokio::spawn(async move {
        loop {
            shown.set_length(progress.total_bytes.load(Ordering::Relaxed));
            shown.set_position(progress.bytes.load(Ordering::Relaxed));
            shown.set_message(format!("{} stored", progress.stored.load(Ordering::Relaxed)));
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    });
    Some((bar, ticker))
}

pub async fn run(
    config: &Config,
    services: &Services,
    operator: &Principal,
    spec: &FeedSpec,
    collected: Collected,
    batch_records: usize,
    json: bool,
) -> Result<ExitCode> {
    let progress = Arc::new(Progress::default());
    let bar = if json { None } else { progress_bar(progress.clone()) };
    let asn_table = if spec.has_expert("asn") { cirtkit_app::load_asn_table(&config.asn_table_path()) } else { None };
    let shadowserver_schema = cirtkit_app::load_shadowserver_schema(&config.shadowserver_schema_path());
    let options = RunOptions { actor: operator.actor(), batch_records, asn_table, shadowserver_schema, live: None };
    let run =
        run_collected(services.store(), spec, services.index(), services.clock(), collected, &options, Some(progress))
            .await;
    if let Some((bar, ticker)) = bar {
        ticker.abort();
        bar.finish_and_clear();
    }
    let run = run?;
    print_run(spec, &run, json)?;
    if let Some(e) = &run.settle_error {
        eprintln!("error: {e}");
    }
    if run.report.stored > 0 {
        let passes = services.hand_off_after_run(&spec.name).await;
        if !json {
            crate::handoff::print_passes(&passes, false);
        }
    }
    let unread_report = run.set_aside.iter().any(|m| m.unread_report);
    let ok = run.report.error.is_none() && run.settle_error.is_none() && !unread_report;
    Ok(if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// The run, and what its source was told (a download not modified, messages marked or set aside).
fn print_run(spec: &FeedSpec, run: &CollectedRun, json: bool) -> Result<()> {
    let mail = matches!(spec.collector, CollectorSpec::Imap { .. });
    if json {
        let mut out = report_json(&run.report);
        out["not_modified"] = run.not_modified.into();
        if mail {
            let set_aside: Vec<serde_json::Value> = run
                .set_aside
                .iter()
                .map(|m| serde_json::json!({"uid": m.uid, "reason": m.reason, "moved_to": m.moved_to}))
                .collect();
            out["mail"] = serde_json::json!({
                "marked": run.marked,
                "set_aside": set_aside,
                "left_for_next_run": run.left_for_next_run,
            });
        }
        println!("{out}");
        print_set_aside(spec, &run.set_aside);
        return Ok(());
    }
    if run.not_modified {
        println!("{}: not modified since the last download: nothing to read.", spec.name);
        return Ok(());
    }
    print_report(&run.report, false)?;
    if mail {
        println!("{} message(s) marked read in the mailbox.", run.marked);
        if run.left_for_next_run > 0 {
            println!("{} more unseen message(s) wait for the next run (max_messages).", run.left_for_next_run);
        }
    }
    print_set_aside(spec, &run.set_aside);
    Ok(())
}

/// Messages that gave nothing to read, one line each on stderr.
fn print_set_aside(spec: &FeedSpec, set_aside: &[collect::SetAside]) {
    let folder = match &spec.collector {
        CollectorSpec::Imap(imap) => imap.folder.as_str(),
        _ => return,
    };
    for m in set_aside {
        let where_ = match &m.moved_to {
            Some(to) => format!("moved to {to}"),
            None => format!("left unseen in {folder}"),
        };
        eprintln!("message UID {}: {}: {where_}", m.uid, m.reason);
    }
}

fn report_json(r: &RunReport) -> serde_json::Value {
    let files_skipped = r.files.iter().filter(|f| f.outcome == cirtkit_feeds::FileOutcome::Skipped).count();
    serde_json::json!({
        "read": r.read,
        "stored": r.stored,
        "duplicates": r.duplicates,
        "quarantined": r.quarantined,
        "seconds": r.seconds,
        "dropped": r.dropped,
        "feed": r.feed,
        "files": r.files.len(),
        "files_skipped": files_skipped,
        "error": r.error,
    })
}

pub fn print_report(r: &RunReport, json: bool) -> Result<()> {
    if json {
        println!("{}", report_json(r));
        return Ok(());
    }
    for f in &r.files {
        let how = match &f.outcome {
            cirtkit_feeds::FileOutcome::Read => "read".to_owned(),
            cirtkit_feeds::FileOutcome::Resumed { from } => format!("resumed after record {from}"),
            cirtkit_feeds::FileOutcome::Skipped => "read before: skipped".to_owned(),
            cirtkit_feeds::FileOutcome::Failed { error } => format!("failed: {error}"),
        };
        println!(
            "{}: {how}; {} read, {} stored, {} duplicates, {} dropped, {} quarantined",
            f.name, f.read, f.stored, f.duplicates, f.dropped, f.quarantined
        );
    }
    println!(
        "{}: stored {} of {} records ({} duplicates, {} dropped, {} quarantined) in {:.2} s.",
        r.feed, r.stored, r.read, r.duplicates, r.dropped, r.quarantined, r.seconds
    );
    if let Some(e) = &r.error {
        eprintln!("error: {e}");
    }
    Ok(())
}

pub async fn events(services: Services, action: EventsAction) -> Result<ExitCode> {
    let EventsAction::Export { format: EventsFormat::Jsonl, feed } = action;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut after = 0;
    loop {
        let page = services.store().events_after(after, feed.as_deref(), 10_000).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for e in &page {
            // The harmonised writer's form (keys in order), whichever database kept it.
            let line = cirtkit_feeds::pipeline::Event::from_json_str(&e.payload)
                .map(|ev| ev.to_json_line())
                .unwrap_or_else(|_| e.payload.clone());
            if let Err(err) = writeln!(out, "{line}") {
                if err.kind() == std::io::ErrorKind::BrokenPipe {
                    return Ok(ExitCode::SUCCESS);
                }
                return Err(err).context("cannot write the events");
            }
        }
    }
    match out.flush() {
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => Err(err).context("cannot write the events"),
        _ => Ok(ExitCode::SUCCESS),
    }
}

/// `cirtkit feed schema update FILE`: checks Shadowserver's schema and keeps it in the data
/// directory, replacing the one there in one step.
fn schema_update(config: &Config, file: &std::path::Path) -> Result<ExitCode> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let schema = cirtkit_pipeline::ShadowserverSchema::from_json(bytes.as_slice(), cirtkit_app::MAX_SCHEMA_BYTES)
        .with_context(|| format!("{} is not a Shadowserver schema", file.display()))?;
    let compiled = cirtkit_pipeline::ShadowserverSchema::compiled();
    let new = schema.reports().iter().filter(|r| compiled.by_name(&r.key).is_none()).count();
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("cannot create the data directory {}", config.data_dir.display()))?;
    let target = config.shadowserver_schema_path();
    let partial = target.with_extension("json.partial");
    std::fs::write(&partial, &bytes).with_context(|| format!("cannot write {}", partial.display()))?;
    std::fs::rename(&partial, &target).with_context(|| format!("cannot replace {}", target.display()))?;
    println!(
        "Loaded {} Shadowserver reports ({} compiled in, {new} new to this build) into {}.",
        schema.reports().len(),
        compiled.reports().len(),
        target.display()
    );
    Ok(ExitCode::SUCCESS)
}
