//! A feed as the configuration declares it (`[[feeds]]` in cirtkit.toml). The doc comments here
//! are the reference for those keys (docs/configuration.md is written from them).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// The experts a feed runs when its `experts` key is left out.
pub const DEFAULT_EXPERTS: &[&str] = &["rsit", "asn", "constituency", "dedup"];

/// One feed: where its files come from, how they are read, what is done to each event, and
/// how often it runs inside `cirtkit serve`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedSpec {
    /// The feed's name: `feed.name` of its events, and how `cirtkit feed run NAME`, the API and
    /// the UI name it. Letters, digits, `-`, `_`, `.` and spaces.
    pub name: String,
    /// The parser, by format name (`cirtkit feed formats` lists them), such as `shadowserver`.
    pub format: String,
    /// The parser's options, a table (see docs/events.md for each format's options).
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub options: serde_json::Map<String, serde_json::Value>,
    /// Where the feed's files come from.
    pub collector: CollectorSpec,
    /// Seconds between two runs inside `cirtkit serve`. Not set: the feed runs only when asked
    /// (`cirtkit feed run NAME`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval_secs: Option<u64>,
    /// The experts each event goes through, in order, by name (docs/events.md describes each
    /// and its options): `sanitise` (refuses
    /// impossible times and coordinates), `rsit` (drops events without a classification),
    /// `bogons` (drops events whose source is private, reserved or otherwise unroutable), `asn`
    /// (sets `source.asn`, `source.network` and `source.as_name`, and the same for the
    /// destination, from the table `cirtkit asn import` made; left out without one), `geoip`
    /// (sets `source.geolocation.*` from a MaxMind-format database), `warninglist` (drops or
    /// tags events matching MISP warning lists), `rules` (keeps or drops events by conditions
    /// on their fields), `constituency` (sets `extra.organisation_id` and `extra.organisation`
    /// to the constituent owning `source.ip`, or else `source.fqdn`, the host of `source.url`,
    /// or `source.asn`), `dedup` (drops an event whose deduplication key was stored within
    /// `dedup_window_hours`; always applied last, its window kept in the store across runs).
    /// Each name at most once.
    #[serde(default = "default_experts")]
    pub experts: Vec<String>,
    /// Options of the experts, one table per expert named in `experts`
    /// (`[feeds.expert_options.geoip]`), with the keys docs/events.md gives for it. Besides
    /// those, `geoip` needs `database`, the path of the `.mmdb` file (and takes `language` for
    /// city names, default `en`), and `warninglist` needs `lists`, the paths of MISP warning
    /// lists (each a `list.json` file or the folder holding it; named by the folder). `dedup`
    /// takes `fields`, `with_extra` and `max_entries`; its window is `dedup_window_hours`.
    /// Checked when the configuration is read; the files are read at each run.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub expert_options: BTreeMap<String, serde_json::Map<String, serde_json::Value>>,
    /// How long, in hours, an event stored keeps an identical later one out (with `dedup`).
    #[serde(default = "default_window_hours")]
    pub dedup_window_hours: u64,
}

fn default_experts() -> Vec<String> {
    DEFAULT_EXPERTS.iter().map(|s| (*s).to_owned()).collect()
}

fn default_window_hours() -> u64 {
    24
}

/// Where a feed's files come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum CollectorSpec {
    /// One file, read again at each run when its content changed.
    File {
        /// The file's path.
        path: PathBuf,
    },
    /// A drop folder: each run reads the files in it whose name matches `pattern` and whose
    /// content was not read before (files are left where they are).
    Directory {
        /// The folder's path.
        path: PathBuf,
        /// A file name pattern with `*` and `?` wildcards, such as `*.csv`. Default: every file.
        #[serde(default = "default_pattern")]
        pattern: String,
    },
    /// Standard input, read to its end (for `cirtkit feed run NAME < file`).
    Stdin,
    /// A download over HTTP or HTTPS (TLS with the Mozilla roots built in). Each run asks with
    /// `If-None-Match` / `If-Modified-Since` from the last download the run read to its end, so
    /// an unchanged file is not downloaded again (a 304 stores nothing). The file is named after
    /// the `Content-Disposition` file name, or else the URL's last path segment (Shadowserver's
    /// parser picks the report by it). Connection errors, timeouts, 429 and 5xx answers are
    /// retried after 1, 2, 4 … seconds (or the server's `Retry-After`, up to 60 seconds); other
    /// answers (4xx) are not.
    Http {
        /// The URL, `http://` or `https://`, with its query (an API key in it stays in the
        /// configuration file; prefer `headers` for secrets).
        url: String,
        /// Extra request headers, a table such as `{ Authorization = "Bearer …" }`.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        headers: BTreeMap<String, String>,
        /// Seconds to wait for the connection, the answer, or the next piece of the body
        /// (a slow but moving download is not cut). Default 60.
        #[serde(default = "default_timeout_secs")]
        timeout_secs: u64,
        /// How many times a failed attempt is tried again (0 to 10). Default 3.
        #[serde(default = "default_retries")]
        retries: u32,
        /// The largest body accepted, in bytes; a bigger one is refused. Default 536870912 (512 MiB).
        #[serde(default = "default_max_bytes")]
        max_bytes: u64,
    },
}

fn default_timeout_secs() -> u64 {
    60
}

fn default_retries() -> u32 {
    3
}

fn default_max_bytes() -> u64 {
    512 * 1024 * 1024
}

fn default_pattern() -> String {
    "*".into()
}

impl FeedSpec {
    /// A feed for a one-off file (`cirtkit feed ingest`): the default experts, no schedule.
    pub fn one_off(name: &str, format: &str) -> FeedSpec {
        FeedSpec {
            name: name.to_owned(),
            format: format.to_owned(),
            options: serde_json::Map::new(),
            collector: CollectorSpec::Stdin,
            interval_secs: None,
            experts: default_experts(),
            expert_options: BTreeMap::new(),
            dedup_window_hours: default_window_hours(),
        }
    }

    /// The parser's options as the parser registry takes them.
    pub fn options_value(&self) -> serde_json::Value {
        if self.options.is_empty() { serde_json::Value::Null } else { serde_json::Value::Object(self.options.clone()) }
    }

    pub fn interval(&self) -> Option<Duration> {
        self.interval_secs.map(Duration::from_secs)
    }

    pub fn dedup_window(&self) -> chrono::Duration {
        chrono::Duration::hours(i64::try_from(self.dedup_window_hours).unwrap_or(i64::MAX / 3_600_000))
    }

    /// The experts in order, each with its options when it has some, for people:
    /// `rsit, geoip {"database":"/var/lib/geo.mmdb"}, dedup`.
    pub fn experts_summary(&self) -> String {
        let one = |name: &String| match self.expert_options.get(name) {
            Some(o) if !o.is_empty() => format!("{name} {}", serde_json::Value::Object(o.clone())),
            _ => name.clone(),
        };
        self.experts.iter().map(one).collect::<Vec<_>>().join(", ")
    }

    pub fn has_expert(&self, name: &str) -> bool {
        self.experts.iter().any(|e| e == name)
    }

    /// Every problem of this feed's declaration, each prefixed with where it is.
    pub fn problems(&self, at: &str) -> Vec<String> {
        let mut out = Vec::new();
        let name_ok = !self.name.trim().is_empty()
            && self.name.len() <= 100
            && self.name.chars().all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ' '));
        if !name_ok {
            out.push(format!("{at}.name: use 1 to 100 letters, digits, '-', '_', '.' or spaces"));
        }
        if let Err(e) = cirtkit_pipeline::parser_for(&self.format, &self.options_value()) {
            out.push(format!("{at}.format: {e}"));
        }
        out.extend(crate::expert::problems(self, at));
        if self.interval_secs == Some(0) {
            out.push(format!("{at}.interval_secs: must be at least 1 (or leave it out)"));
        }
        if self.dedup_window_hours == 0 || self.dedup_window_hours > 24 * 366 {
            out.push(format!("{at}.dedup_window_hours: use 1 to 8784 hours"));
        }
        if let CollectorSpec::Directory { pattern, .. } = &self.collector
            && (pattern.is_empty() || pattern.contains('/'))
        {
            out.push(format!("{at}.collector.pattern: a file name pattern such as *.csv, without '/'"));
        }
        if let CollectorSpec::Http { url, headers, timeout_secs, retries, max_bytes } = &self.collector {
            match reqwest::Url::parse(url) {
                Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
                _ => out.push(format!("{at}.collector.url: an http:// or https:// URL, not {url:?}")),
            }
            for (name, value) in headers {
                if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err()
                    || reqwest::header::HeaderValue::from_str(value).is_err()
                {
                    out.push(format!("{at}.collector.headers: {name:?} is not a valid header name and value"));
                }
            }
            if *timeout_secs == 0 || *timeout_secs > 3600 {
                out.push(format!("{at}.collector.timeout_secs: use 1 to 3600 seconds"));
            }
            if *retries > 10 {
                out.push(format!("{at}.collector.retries: use 0 to 10"));
            }
            if *max_bytes == 0 {
                out.push(format!("{at}.collector.max_bytes: must be at least 1"));
            }
        }
        if self.interval_secs.is_some() && matches!(self.collector, CollectorSpec::Stdin) {
            out.push(format!("{at}.interval_secs: a stdin feed cannot run on a schedule"));
        }
        out
    }
}

/// Whether `name` matches a pattern of `*` (any run) and `?` (one character).
pub fn matches_pattern(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    let (mut pi, mut ni, mut star, mut mark) = (0, 0, None, 0);
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ni;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ni = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_like_a_shell() {
        for (p, n, ok) in [
            ("*", "a.csv", true),
            ("*.csv", "scan.csv", true),
            ("*.csv", "scan.csv.gz", false),
            ("scan_??.csv", "scan_12.csv", true),
            ("*scan*", "2024-scan_rdp.csv", true),
            ("a*b*c", "axxbyyc", true),
            ("a*b*c", "axxbyy", false),
        ] {
            assert_eq!(matches_pattern(p, n), ok, "{p} {n}");
        }
    }

    #[test]
    fn declarations_are_read_and_checked() {
        let spec: FeedSpec = serde_json::from_value(serde_json::json!({
            "name": "shadowserver-scan",
            "format": "shadowserver",
            "collector": {"kind": "directory", "path": "/srv/drop"},
            "interval_secs": 3600
        }))
        .unwrap();
        assert_eq!(spec.experts, ["rsit", "asn", "constituency", "dedup"]);
        assert_eq!(spec.collector, CollectorSpec::Directory { path: "/srv/drop".into(), pattern: "*".into() });
        assert!(spec.problems("feeds[0]").is_empty(), "{:?}", spec.problems("feeds[0]"));
        let bad = FeedSpec {
            name: "a/b".into(),
            format: "nope".into(),
            experts: vec!["geo".into()],
            interval_secs: Some(0),
            dedup_window_hours: 0,
            ..spec
        };
        let all = bad.problems("feeds[1]").join("\n");
        for key in ["feeds[1].name", "feeds[1].format", "feeds[1].experts", "interval_secs", "dedup_window_hours"] {
            assert!(all.contains(key), "{key} in {all}");
        }
        let typo = serde_json::from_value::<FeedSpec>(serde_json::json!({
            "name": "x", "format": "generic-csv", "collector": {"kind": "file", "path": "/x", "patern": "*"}
        }));
        assert!(typo.is_err(), "unknown keys are refused");
        let http: FeedSpec = serde_json::from_value(serde_json::json!({
            "name": "x", "format": "blocklistde", "options": {"list": "ssh"}, "collector": {"kind": "http", "url": "https://dl.example/a.csv"}
        }))
        .unwrap();
        let CollectorSpec::Http { timeout_secs: 60, retries: 3, max_bytes: 536_870_912, .. } = &http.collector else {
            panic!("{:?}", http.collector)
        };
        assert!(http.problems("f").is_empty(), "{:?}", http.problems("f"));
        let bad = FeedSpec {
            collector: CollectorSpec::Http {
                url: "ftp://x/y".into(),
                headers: [("Bad Name".to_owned(), "v".to_owned())].into(),
                timeout_secs: 0,
                retries: 11,
                max_bytes: 0,
            },
            ..http
        };
        let all = bad.problems("f").join("\n");
        for key in ["url", "headers", "timeout_secs", "retries", "max_bytes"] {
            assert!(all.contains(&format!("f.collector.{key}")), "{key} in {all}");
        }
    }
}
