//! Collectors: where a feed's files come from. Each gives the run a list of local files; what
//! arrives on a stream (stdin), a download or a mail attachment is first spooled to a file in the
//! data directory, so that every input has a content hash (for "seen before") and can be read
//! again to resume. What a source must be told once the run has read its files (an HTTP
//! download's validators, a mailbox's messages to mark) waits in [`Pending`] until then:
//! [`run_collected`] runs the feed and settles it.

pub use crate::http::PendingValidators;
pub use crate::imap::{PendingMail, SetAside};
use crate::run::{Progress, RunOptions, RunReport, run_feed};
use crate::spec::{CollectorSpec, FeedSpec, matches_pattern};
use crate::{FeedError, Result};
use cirtkit_domain::{Clock, ConstituencyIndex};
use cirtkit_storage::{FeedRunRecord, Store};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A file for the run to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    pub path: PathBuf,
    /// The name parsers see (Shadowserver's parser picks the report by it).
    pub name: String,
    /// A spooled copy, removed once the run is over.
    pub spooled: bool,
}

impl Input {
    /// A file on disk, named by its file name.
    pub fn file(path: &Path) -> Input {
        let name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
        Input { path: path.to_owned(), name, spooled: false }
    }
}

static SPOOL_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A new file's path under `spool_dir` (created if needed).
pub(crate) fn spool_path(spool_dir: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(spool_dir)
        .map_err(FeedError::io(format!("cannot create the spool folder {}", spool_dir.display())))?;
    let n = SPOOL_COUNTER.fetch_add(1, Ordering::Relaxed);
    Ok(spool_dir.join(format!("spool-{}-{n}.part", std::process::id())))
}

/// Copies a stream into a new file under `spool_dir` and returns it as an input named `name`.
pub fn spool(reader: &mut dyn Read, spool_dir: &Path, name: &str) -> Result<Input> {
    let path = spool_path(spool_dir)?;
    let mut file = std::fs::File::create(&path).map_err(FeedError::io(format!("cannot create {}", path.display())))?;
    std::io::copy(reader, &mut file).map_err(FeedError::io("cannot spool the input"))?;
    file.flush().map_err(FeedError::io("cannot spool the input"))?;
    Ok(Input { path, name: name.to_owned(), spooled: true })
}

/// What a feed's collector gave: the files to read, and what to tell the source once the run
/// has read them.
#[derive(Debug, Default)]
pub struct Collected {
    pub inputs: Vec<Input>,
    pub pending: Option<Pending>,
    /// The source has not changed since the last run read it (HTTP 304): there is nothing to read.
    pub not_modified: bool,
    /// Unseen messages left for the next run (beyond `max_messages`).
    pub left_for_next_run: usize,
}

impl Collected {
    /// Just files, with nothing to tell their source.
    pub fn files(inputs: Vec<Input>) -> Collected {
        Collected { inputs, ..Collected::default() }
    }

    /// Messages of a mailbox that give no input (to be set aside after the run).
    pub fn set_aside(&self) -> &[SetAside] {
        match &self.pending {
            Some(Pending::Mail(mail)) => mail.set_aside(),
            _ => &[],
        }
    }

    /// Removes the spooled inputs (when they will not be read).
    pub fn discard(&self) {
        for input in self.inputs.iter().filter(|i| i.spooled) {
            let _ = std::fs::remove_file(&input.path);
        }
    }
}

/// What the source of a run's files is told once the run has read them, and not before.
#[derive(Debug)]
pub enum Pending {
    /// An HTTP download's validators, kept for the next conditional request.
    Validators(PendingValidators),
    /// A mailbox's messages, marked filed.
    Mail(PendingMail),
}

/// The files a feed's collector offers now: HTTP downloads and mailboxes on the runtime, the
/// other collectors ([`collect`]) on a blocking thread.
pub async fn collect_any(store: &Store, spec: &FeedSpec, spool_dir: &Path) -> Result<Collected> {
    match spec.collector {
        CollectorSpec::Http { .. } => {
            let download = crate::http::collect_http(store, spec, spool_dir).await?;
            return Ok(Collected {
                not_modified: download.input.is_none(),
                inputs: download.input.into_iter().collect(),
                pending: download.validators.map(Pending::Validators),
                ..Collected::default()
            });
        }
        CollectorSpec::Imap { .. } => {
            let mail = crate::imap::collect_imap(spec, spool_dir).await?;
            return Ok(Collected {
                inputs: mail.inputs,
                pending: Some(Pending::Mail(mail.pending)),
                not_modified: false,
                left_for_next_run: mail.left_for_next_run,
            });
        }
        _ => {}
    }
    let (spec, spool_dir) = (spec.clone(), spool_dir.to_owned());
    let inputs = tokio::task::spawn_blocking(move || collect(&spec, &spool_dir))
        .await
        .map_err(|e| FeedError::Internal(format!("the collection stopped abnormally: {e}")))??;
    Ok(Collected::files(inputs))
}

/// A run over what a collector gave, and what its source was then told.
#[derive(Debug)]
pub struct CollectedRun {
    pub report: RunReport,
    /// Nothing was read: the source had not changed (the run is recorded as such).
    pub not_modified: bool,
    /// Messages marked filed in the mailbox.
    pub marked: usize,
    /// Messages of the mailbox that gave nothing to read, with where they went.
    pub set_aside: Vec<SetAside>,
    pub left_for_next_run: usize,
    /// Why the source could not be told (validators not kept, messages not marked): it gives
    /// the same files again next time, which the run then skips as read before.
    pub settle_error: Option<String>,
}

/// Runs a feed over what its collector gave ([`run_feed`]), then tells the source what the run
/// read: an HTTP download's validators are kept, a mailbox's messages marked filed. A source
/// that had not changed is recorded as a "not modified" run. With `options.live`, the run's
/// counts reach the metrics as it goes and in full at its end.
#[allow(clippy::too_many_arguments)]
pub async fn run_collected(
    store: &Store,
    spec: &FeedSpec,
    index: std::sync::Arc<ConstituencyIndex>,
    clock: &dyn Clock,
    collected: Collected,
    options: &RunOptions,
    progress: Option<std::sync::Arc<Progress>>,
) -> Result<CollectedRun> {
    if collected.not_modified && collected.inputs.is_empty() {
        let report = record_not_modified(store, spec, clock, &options.actor).await;
        if let Some(live) = &options.live {
            match &report {
                Ok(_) => live.not_modified(),
                Err(_) => live.failed(),
            }
        }
        return Ok(CollectedRun {
            report: report?,
            not_modified: true,
            marked: 0,
            set_aside: Vec::new(),
            left_for_next_run: 0,
            settle_error: None,
        });
    }
    let set_aside = collected.set_aside().to_vec();
    let Collected { inputs, pending, left_for_next_run, .. } = collected;
    let spooled: Vec<PathBuf> = inputs.iter().filter(|i| i.spooled).map(|i| i.path.clone()).collect();
    let report = match run_feed(store, spec, index, clock, inputs, options, progress).await {
        Ok(report) => report,
        Err(e) => {
            // A run that stopped before its files (a bad parser option, the store away) leaves
            // no spooled copy behind: the source gives them again.
            for path in spooled {
                let _ = std::fs::remove_file(path);
            }
            if let Some(live) = &options.live {
                live.failed();
            }
            return Err(e);
        }
    };
    if let Some(live) = &options.live {
        live.finish(&report);
    }
    let (mut marked, mut set_aside) = (0, set_aside);
    let settled = match pending {
        None => Ok(()),
        Some(Pending::Validators(v)) => v.keep_if_read(store, &report).await,
        Some(Pending::Mail(mail)) => mail.settle(&report).await.map(|s| {
            marked = s.marked;
            set_aside = s.set_aside;
        }),
    };
    let settle_error = settled.err().map(|e| {
        tracing::warn!(feed = %spec.name, error = %e, "the feed's source was not told what the run read");
        e.to_string()
    });
    Ok(CollectedRun { report, not_modified: false, marked, set_aside, left_for_next_run, settle_error })
}

/// Records (and audits) a run that read nothing because its source had not changed.
async fn record_not_modified(store: &Store, spec: &FeedSpec, clock: &dyn Clock, actor: &str) -> Result<RunReport> {
    let now = clock.now();
    let mut report = RunReport::empty(&spec.name);
    let record = FeedRunRecord {
        id: 0,
        feed: spec.name.clone(),
        started_at: now,
        finished_at: now,
        files: 0,
        files_skipped: 0,
        read: 0,
        stored: 0,
        duplicates: 0,
        dropped: 0,
        quarantined: 0,
        seconds: 0.0,
        error: None,
        not_modified: true,
    };
    let mut tx = store.begin(actor, now).await?;
    report.run_id = tx.record_feed_run(&record).await?;
    tx.commit().await?;
    Ok(report)
}

/// The files a feed's collector offers now (blocking; an HTTP feed needs [`collect_any`]).
pub fn collect(spec: &FeedSpec, spool_dir: &Path) -> Result<Vec<Input>> {
    let failed = |reason: String| FeedError::Collect { feed: spec.name.clone(), reason };
    match &spec.collector {
        CollectorSpec::File { path } => {
            if !path.is_file() {
                return Err(failed(format!("{} is not a readable file", path.display())));
            }
            Ok(vec![Input::file(path)])
        }
        CollectorSpec::Directory { path, pattern } => {
            let entries = std::fs::read_dir(path)
                .map_err(|e| failed(format!("cannot read the folder {}: {e}", path.display())))?;
            let mut inputs = Vec::new();
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                // Hidden files and partial uploads (`.part`, `.tmp`) are not ready to read.
                if name.starts_with('.') || name.ends_with(".part") || name.ends_with(".tmp") {
                    continue;
                }
                if entry.file_type().is_ok_and(|t| t.is_file()) && matches_pattern(pattern, &name) {
                    inputs.push(Input { path: entry.path(), name, spooled: false });
                }
            }
            inputs.sort_by(|a, b| a.name.cmp(&b.name));
            Ok(inputs)
        }
        CollectorSpec::Stdin => Ok(vec![spool(&mut std::io::stdin().lock(), spool_dir, "stdin")?]),
        CollectorSpec::Http { .. } | CollectorSpec::Imap { .. } => {
            Err(FeedError::Internal(format!("feed {:?}: an HTTP or IMAP feed is collected by collect_any", spec.name)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_drop_folder_offers_its_ready_matching_files_in_name_order() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["b.csv", "a.csv", "c.txt", ".hidden.csv", "d.csv.part"] {
            std::fs::write(dir.path().join(name), "x").unwrap();
        }
        std::fs::create_dir(dir.path().join("sub.csv")).unwrap();
        let mut spec = FeedSpec::one_off("drop", "generic-csv");
        spec.collector = CollectorSpec::Directory { path: dir.path().to_owned(), pattern: "*.csv".into() };
        let names: Vec<String> = collect(&spec, dir.path()).unwrap().into_iter().map(|i| i.name).collect();
        assert_eq!(names, ["a.csv", "b.csv"]);
        spec.collector = CollectorSpec::File { path: dir.path().join("missing.csv") };
        assert!(collect(&spec, dir.path()).unwrap_err().to_string().contains("feed.collect"));
    }

    #[test]
    fn streams_are_spooled_to_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let input = spool(&mut &b"192.0.2.1\n"[..], &dir.path().join("spool"), "stdin").unwrap();
        assert!(input.spooled);
        assert_eq!(std::fs::read(&input.path).unwrap(), b"192.0.2.1\n");
    }
}
