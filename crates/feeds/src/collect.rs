//! Collectors: where a feed's files come from. Each gives the run a list of local files; what
//! arrives on a stream (stdin) is first spooled to a file in the data directory, so that every
//! input has a content hash (for "seen before") and can be read again to resume.

pub use crate::http::PendingValidators;
use crate::spec::{CollectorSpec, FeedSpec, matches_pattern};
use crate::{FeedError, Result};
use cirtkit_storage::Store;
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

/// What a feed's collector gave: the files to read and, for an HTTP download, the validators
/// to keep once the run has read it ([`PendingValidators::keep_if_read`]).
#[derive(Debug, Default)]
pub struct Collected {
    pub inputs: Vec<Input>,
    pub validators: Option<PendingValidators>,
}

/// The files a feed's collector offers now: an HTTP download on the runtime, the other
/// collectors ([`collect`]) on a blocking thread.
pub async fn collect_any(store: &Store, spec: &FeedSpec, spool_dir: &Path) -> Result<Collected> {
    if let CollectorSpec::Http { .. } = spec.collector {
        let download = crate::http::collect_http(store, spec, spool_dir).await?;
        return Ok(Collected { inputs: download.input.into_iter().collect(), validators: download.validators });
    }
    let (spec, spool_dir) = (spec.clone(), spool_dir.to_owned());
    let inputs = tokio::task::spawn_blocking(move || collect(&spec, &spool_dir))
        .await
        .map_err(|e| FeedError::Internal(format!("the collection stopped abnormally: {e}")))??;
    Ok(Collected { inputs, validators: None })
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
        CollectorSpec::Http { .. } => {
            Err(FeedError::Internal(format!("feed {:?}: an HTTP feed is collected by collect_any", spec.name)))
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
