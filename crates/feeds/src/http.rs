//! The HTTP(S) collector: a conditional download (`If-None-Match` / `If-Modified-Since` from
//! the last download read), retried on connection errors, 429 and 5xx, streamed into the spool
//! under a size bound.
//!
//! The new validators are kept only after the run has read the file ([`PendingValidators`]):
//! kept at download time, a run killed half-way would get a 304 next time and never read the
//! rest of the file. Kept late, a file downloaded again after such a stop is resumed (or
//! skipped, by its content hash) by the run as any other.

use crate::collect::{Input, spool_path};
use crate::run::{FileOutcome, RunReport};
use crate::spec::{CollectorSpec, FeedSpec};
use crate::{FeedError, Result};
use cirtkit_storage::{HttpValidators, Store};
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use std::path::Path;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

/// The longest wait between two attempts, whatever `Retry-After` says.
const MAX_WAIT: Duration = Duration::from_secs(60);

/// The validators of a download, to keep once the run has read the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingValidators {
    feed: String,
    url: String,
    input: String,
    validators: HttpValidators,
}

impl PendingValidators {
    /// Keeps the validators when the run read the downloaded file (read, resumed to its end,
    /// or skipped as seen before). After a failed run the old ones stay, so that the next run
    /// downloads the file again and resumes it.
    pub async fn keep_if_read(self, store: &Store, report: &RunReport) -> Result<()> {
        let read =
            report.files.iter().any(|f| f.name == self.input && !matches!(f.outcome, FileOutcome::Failed { .. }));
        if read && report.error.is_none() {
            store.set_http_validators(&self.feed, &self.url, &self.validators).await?;
        }
        Ok(())
    }
}

/// What a download gave: nothing new (304), or a spooled file and its validators.
#[derive(Debug)]
pub struct Download {
    pub input: Option<Input>,
    pub validators: Option<PendingValidators>,
}

enum Failure {
    /// Worth another attempt, after the server's wait if it gave one.
    Retry {
        reason: String,
        wait: Option<Duration>,
    },
    Fatal(String),
}

enum Got {
    NotModified,
    File(Input, HttpValidators),
}

/// Downloads an HTTP feed's file when it changed since the last download the run read.
pub async fn collect_http(store: &Store, spec: &FeedSpec, spool_dir: &Path) -> Result<Download> {
    let CollectorSpec::Http { url, headers, timeout_secs, retries, max_bytes } = &spec.collector else {
        return Err(FeedError::Internal(format!("feed {:?} is not an HTTP feed", spec.name)));
    };
    let failed = |reason: String| FeedError::Collect { feed: spec.name.clone(), reason: format!("{url}: {reason}") };
    let timeout = Duration::from_secs((*timeout_secs).max(1));
    let client = reqwest::Client::builder()
        .connect_timeout(timeout)
        .read_timeout(timeout)
        .user_agent(concat!("cirtkit/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| failed(format!("cannot set up the HTTP client: {}", describe(&e))))?;
    let mut request_headers = HeaderMap::new();
    for (name, value) in headers {
        let (Ok(name), Ok(value)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value)) else {
            return Err(failed(format!("the header {name:?} is not a valid header name and value")));
        };
        request_headers.insert(name, value);
    }
    let previous = store.http_validators(&spec.name, url).await?;
    if let Some(v) = previous.etag.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
        request_headers.insert(header::IF_NONE_MATCH, v);
    }
    if let Some(v) = previous.last_modified.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
        request_headers.insert(header::IF_MODIFIED_SINCE, v);
    }
    let mut attempt = 0u32;
    loop {
        match attempt_once(&client, url, &request_headers, *max_bytes, spool_dir).await {
            Ok(Got::NotModified) => {
                tracing::info!(feed = %spec.name, url = %url, "not modified since the last download: nothing new");
                return Ok(Download { input: None, validators: None });
            }
            Ok(Got::File(input, validators)) => {
                let pending = PendingValidators {
                    feed: spec.name.clone(),
                    url: url.clone(),
                    input: input.name.clone(),
                    validators,
                };
                return Ok(Download { input: Some(input), validators: Some(pending) });
            }
            Err(Failure::Retry { reason, wait }) if attempt < *retries => {
                let wait = wait.unwrap_or(Duration::from_secs(1 << attempt.min(6))).min(MAX_WAIT);
                tracing::warn!(feed = %spec.name, url = %url, attempt = attempt + 1, error = %reason,
                    wait_secs = wait.as_secs_f64(), "feed download failed; trying again");
                tokio::time::sleep(wait).await;
                attempt += 1;
            }
            Err(Failure::Retry { reason, .. }) => {
                return Err(failed(format!("{reason} (gave up after {} attempts)", attempt + 1)));
            }
            Err(Failure::Fatal(reason)) => return Err(failed(reason)),
        }
    }
}

async fn attempt_once(
    client: &reqwest::Client,
    url: &str,
    headers: &HeaderMap,
    max_bytes: u64,
    spool_dir: &Path,
) -> Result<Got, Failure> {
    let mut response = client.get(url).headers(headers.clone()).send().await.map_err(|e| {
        if e.is_builder() || e.is_redirect() {
            Failure::Fatal(describe(&e))
        } else {
            Failure::Retry { reason: describe(&e), wait: None }
        }
    })?;
    let status = response.status();
    if status == StatusCode::NOT_MODIFIED {
        return Ok(Got::NotModified);
    }
    if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
        let wait = retry_after(response.headers());
        return Err(Failure::Retry { reason: format!("the server answered {status}"), wait });
    }
    if !status.is_success() {
        return Err(Failure::Fatal(format!("the server answered {status}")));
    }
    let too_big = || {
        Failure::Fatal(format!(
            "the file is bigger than collector.max_bytes ({max_bytes} bytes): refused (raise max_bytes to accept it)"
        ))
    };
    if response.content_length().is_some_and(|n| n > max_bytes) {
        return Err(too_big());
    }
    let name = file_name(response.headers(), response.url());
    let text = |h: header::HeaderName| response.headers().get(h).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let validators = HttpValidators { etag: text(header::ETAG), last_modified: text(header::LAST_MODIFIED) };
    let path = spool_path(spool_dir).map_err(|e| Failure::Fatal(e.to_string()))?;
    let written = async {
        let cannot_write = |e: std::io::Error| Failure::Fatal(format!("cannot write {}: {e}", path.display()));
        let mut file = tokio::fs::File::create(&path).await.map_err(cannot_write)?;
        let mut size = 0u64;
        while let Some(chunk) = response.chunk().await.map_err(|e| Failure::Retry {
            reason: format!("the download broke off after {size} bytes: {}", describe(&e)),
            wait: None,
        })? {
            size += chunk.len() as u64;
            if size > max_bytes {
                return Err(too_big());
            }
            file.write_all(&chunk).await.map_err(cannot_write)?;
        }
        file.flush().await.map_err(cannot_write)?;
        file.sync_all().await.map_err(cannot_write)
    }
    .await;
    if let Err(e) = written {
        let _ = tokio::fs::remove_file(&path).await;
        return Err(e);
    }
    Ok(Got::File(Input { path, name, spooled: true }, validators))
}

/// An error with its causes ("error sending request: connection refused").
fn describe(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out = format!("{out}: {text}");
        }
        source = s.source();
    }
    out
}

/// The wait a 429 or 503 asks for, in seconds or as a date (at most [`MAX_WAIT`]).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs).min(MAX_WAIT));
    }
    // A date is read against the answer's own Date (the server's clock, not ours); without
    // one, the usual backoff applies.
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let date = chrono::DateTime::parse_from_rfc2822(headers.get(header::DATE)?.to_str().ok()?.trim()).ok()?;
    let secs = (at.timestamp() - date.timestamp()).max(0);
    Some(Duration::from_secs(secs.unsigned_abs()).min(MAX_WAIT))
}

/// The name parsers see: the `Content-Disposition` file name, or else the URL's last path
/// segment, or else its host.
fn file_name(headers: &HeaderMap, url: &reqwest::Url) -> String {
    let disposition = headers.get(header::CONTENT_DISPOSITION).and_then(|v| v.to_str().ok()).and_then(|v| {
        v.split(';').map(str::trim).find_map(|part| {
            let (key, value) = part.split_once('=')?;
            (key.trim().eq_ignore_ascii_case("filename")).then(|| value.trim().trim_matches('"').to_owned())
        })
    });
    let from_url = || url.path_segments().and_then(|mut s| s.rfind(|s| !s.is_empty()).map(str::to_owned));
    disposition
        .map(|n| n.rsplit(['/', '\\']).next().unwrap_or_default().to_owned())
        .filter(|n| !n.is_empty() && n != "." && n != "..")
        .or_else(from_url)
        .or_else(|| url.host_str().map(str::to_owned))
        .unwrap_or_else(|| "download".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downloads_are_named_by_their_disposition_or_url() {
        let url = reqwest::Url::parse("https://dl.example/reports/2024-06-01-scan_rdp-xx.csv?key=1").unwrap();
        let mut h = HeaderMap::new();
        assert_eq!(file_name(&h, &url), "2024-06-01-scan_rdp-xx.csv");
        h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"../x/blocked.csv\""));
        assert_eq!(file_name(&h, &url), "blocked.csv");
        assert_eq!(file_name(&HeaderMap::new(), &reqwest::Url::parse("http://h.example/").unwrap()), "h.example");
    }

    #[test]
    fn retry_after_is_read_and_bounded() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(5)));
        h.insert(header::RETRY_AFTER, HeaderValue::from_static("3600"));
        assert_eq!(retry_after(&h), Some(MAX_WAIT));
        h.insert(header::RETRY_AFTER, HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"));
        assert_eq!(retry_after(&h), None, "a date without the answer's Date");
        h.insert(header::DATE, HeaderValue::from_static("Wed, 21 Oct 2015 07:27:50 GMT"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(10)));
    }
}
