//! A feed's experts: its `experts` list and `expert_options` tables made into the pipeline
//! library's experts (`cirtkit_pipeline::experts`, one [`Expert`] trait for all), with the
//! files they name loaded and the store's deduplication window restored.
//!
//! The options of an expert are the library's (docs/events.md), plus what only a running feed
//! can provide: `geoip.database` (and `geoip.language`), the MaxMind-format file to read, and
//! `warninglist.lists`, the MISP warning lists' files. `dedup` is kept apart from the chain
//! and always runs last: the feed runtime stores the key it hashed with each event, so that the
//! window holds across runs (see `crate::run`).

use crate::spec::FeedSpec;
use crate::{FeedError, Result};
use cirtkit_domain::{Clock, ConstituencyIndex, OrganisationId};
use cirtkit_pipeline::Event;
use cirtkit_pipeline::experts::{
    AsnTable, DedupExpert, ExpertResources, GeoLocation, GeoLookup, MmdbGeo, TimeBasis, WarningList, expert_for,
    experts,
};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use cirtkit_pipeline::experts::{DropReason, Expert, Verdict};

/// The `extra.*` key under which the `constituency` expert sets the owner's id.
pub const ORGANISATION_ID_KEY: &str = cirtkit_pipeline::experts::constituency::ORGANISATION_ID;

/// The organisation id the constituency expert set, if any.
pub fn organisation_of(event: &Event) -> Option<i64> {
    event.extra_value(ORGANISATION_ID_KEY).and_then(|v| v.to_json().as_i64())
}

/// What a feed's experts share, loaded once per run.
#[derive(Clone)]
pub struct FeedResources {
    /// The run's clock (the `sanitise` expert's "now").
    pub clock: Arc<dyn Clock>,
    /// The prefix-to-AS table (`cirtkit asn import`); without one `asn` is left out, with a warning.
    pub asn_table: Option<Arc<AsnTable>>,
    pub constituency: Arc<ConstituencyIndex>,
    /// Organisation names, for `extra.organisation`.
    pub organisation_names: Arc<HashMap<OrganisationId, Arc<str>>>,
}

impl FeedResources {
    pub fn new(clock: Arc<dyn Clock>, constituency: Arc<ConstituencyIndex>) -> Self {
        Self { clock, asn_table: None, constituency, organisation_names: Arc::default() }
    }
}

/// The options of `geoip` that are the feed's: which database file.
const GEOIP_DATABASE: &str = "database";
const GEOIP_LANGUAGE: &str = "language";
/// The option of `warninglist` that is the feed's: which list files.
const WARNINGLIST_LISTS: &str = "lists";

/// An expert's options with the feed's own keys taken out.
struct Split {
    /// What goes to the library's expert.
    library: serde_json::Value,
    /// `geoip.database`, `geoip.language`.
    database: Option<(PathBuf, String)>,
    /// `warninglist.lists`: each path with the id the list is known by.
    lists: Vec<(PathBuf, String)>,
}

/// Splits an expert's options into the library's and the feed's, or says what is wrong.
fn split(name: &str, options: Option<&serde_json::Map<String, serde_json::Value>>) -> Result<Split, Vec<String>> {
    let mut library = options.cloned().unwrap_or_default();
    let mut errors = Vec::new();
    let mut out = Split { library: serde_json::Value::Null, database: None, lists: Vec::new() };
    match name {
        "geoip" => {
            let language = match library.remove(GEOIP_LANGUAGE) {
                None => "en".to_owned(),
                Some(serde_json::Value::String(l)) if !l.is_empty() => l,
                Some(_) => {
                    errors.push(format!("{GEOIP_LANGUAGE}: a language code such as \"en\" or \"fr\""));
                    "en".to_owned()
                }
            };
            match library.remove(GEOIP_DATABASE) {
                Some(serde_json::Value::String(p)) if !p.is_empty() => {
                    out.database = Some((PathBuf::from(p), language))
                }
                Some(_) => errors.push(format!("{GEOIP_DATABASE}: the path of a MaxMind-format .mmdb file")),
                None => errors.push(format!(
                    "{GEOIP_DATABASE}: required, the path of a MaxMind-format .mmdb file (GeoLite2-City.mmdb …)"
                )),
            }
        }
        "warninglist" => match library.remove(WARNINGLIST_LISTS) {
            Some(serde_json::Value::Array(paths)) if !paths.is_empty() => {
                for p in paths {
                    match p {
                        serde_json::Value::String(p) if !p.is_empty() => {
                            let path = PathBuf::from(p);
                            let id = list_id(&path);
                            if out.lists.iter().any(|(_, other)| *other == id) {
                                errors.push(format!("{WARNINGLIST_LISTS}: two lists are named {id:?}"));
                            }
                            out.lists.push((path, id));
                        }
                        _ => errors.push(format!("{WARNINGLIST_LISTS}: each entry is the path of a list")),
                    }
                }
            }
            _ => errors.push(format!(
                "{WARNINGLIST_LISTS}: required, the paths of MISP warning lists (list.json files or their folders)"
            )),
        },
        _ => {}
    }
    if !library.is_empty() {
        out.library = serde_json::Value::Object(library);
    }
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

/// How options and metrics name a list: its folder for `…/rfc1918/list.json` or `…/rfc1918`,
/// else the file's name without `.json`.
fn list_id(path: &Path) -> String {
    let named = if path.file_name().is_some_and(|n| n == "list.json") { path.parent() } else { Some(path) };
    named
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().trim_end_matches(".json").to_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// The `list.json` of a list given by its file or its folder.
fn list_file(path: &Path) -> PathBuf {
    if path.is_dir() { path.join("list.json") } else { path.to_path_buf() }
}

/// Every problem of a feed's experts and their options, each prefixed with where it is. Files
/// are checked to exist; they are read when a run builds the experts.
pub fn problems(spec: &FeedSpec, at: &str) -> Vec<String> {
    let mut out = Vec::new();
    let known = || experts().map(|s| s.name).collect::<Vec<_>>().join(", ");
    for (i, name) in spec.experts.iter().enumerate() {
        if experts().all(|s| s.name != name) {
            out.push(format!("{at}.experts: unknown expert {name:?}; known: {}", known()));
        } else if spec.experts[..i].contains(name) {
            out.push(format!("{at}.experts: {name:?} is listed twice"));
        }
    }
    for name in spec.expert_options.keys() {
        if !spec.has_expert(name) {
            out.push(format!("{at}.expert_options.{name}: the feed does not run {name:?} (add it to experts)"));
        }
    }
    let probe = probe_resources();
    for name in spec.experts.iter().filter(|n| experts().any(|s| s.name == n.as_str())) {
        let where_ = format!("{at}.expert_options.{name}");
        if name == "dedup" {
            if let Err(e) =
                dedup_options(spec).and_then(|o| DedupExpert::from_options(&o, &probe).map_err(|e| e.to_string()))
            {
                out.push(format!("{where_}: {e}"));
            }
            continue;
        }
        let split = match split(name, spec.expert_options.get(name)) {
            Ok(s) => s,
            Err(errors) => {
                out.extend(errors.into_iter().map(|e| format!("{where_}.{e}")));
                continue;
            }
        };
        let mut resources = probe.clone();
        if let Some((path, _)) = &split.database
            && !path.is_file()
        {
            out.push(format!("{where_}.{GEOIP_DATABASE}: {} is not a readable file", path.display()));
        }
        for (path, id) in &split.lists {
            if !list_file(path).is_file() {
                out.push(format!(
                    "{where_}.{WARNINGLIST_LISTS}: {} is neither a list.json file nor a folder holding one",
                    path.display()
                ));
            }
            // An empty list stands for the file while the options are checked.
            let empty = serde_json::json!({"name": id, "type": "string", "list": []}).to_string();
            if let Ok(list) = WarningList::from_json(id, empty.as_bytes()) {
                resources.warning_lists.push(Arc::new(list));
            }
        }
        if let Err(e) = expert_for(name, &split.library, &resources) {
            out.push(format!("{where_}: {e}"));
        }
    }
    out
}

/// Resources standing for the real ones while options are checked: every expert can be built.
fn probe_resources() -> ExpertResources {
    let mut r = ExpertResources::new(Arc::new(cirtkit_domain::ManualClock::new(chrono::DateTime::UNIX_EPOCH)));
    r.asn_table = AsnTable::from_pyasn(&b""[..]).ok().map(Arc::new);
    r.constituency = Some(Arc::default());
    r.geoip = Some(Arc::new(Nowhere));
    r
}

/// A geolocation database that knows no address.
struct Nowhere;

impl GeoLookup for Nowhere {
    fn locate(&self, _: std::net::IpAddr) -> Result<Option<GeoLocation>, cirtkit_pipeline::PipelineError> {
        Ok(None)
    }
}

/// The `dedup` options as the library takes them: the window from `dedup_window_hours`.
fn dedup_options(spec: &FeedSpec) -> Result<serde_json::Value, String> {
    let mut o = spec.expert_options.get("dedup").cloned().unwrap_or_default();
    if o.contains_key("window_seconds") {
        return Err("window_seconds: set the feed's dedup_window_hours instead".into());
    }
    // The store keeps each key with its event's `time.observation`: only that time reloads
    // the same window.
    if o.get("time").is_some_and(|t| t.as_str() != Some("observation")) {
        return Err("time: a feed places events in its window by time.observation only".into());
    }
    o.insert("window_seconds".into(), spec.dedup_window().num_seconds().max(1).into());
    Ok(serde_json::Value::Object(o))
}

/// The feed's deduplication, empty (the caller restores the store's window), if it has one.
pub fn build_dedup(spec: &FeedSpec, resources: &FeedResources) -> Result<Option<DedupExpert>> {
    if !spec.has_expert("dedup") {
        return Ok(None);
    }
    let options = dedup_options(spec).map_err(|reason| config(spec, "dedup", reason))?;
    let mut library = ExpertResources::new(resources.clock.clone());
    library.constituency = Some(resources.constituency.clone());
    let dedup = DedupExpert::from_options(&options, &library).map_err(|e| config(spec, "dedup", e.to_string()))?;
    debug_assert_eq!(dedup.time_basis(), TimeBasis::Observation);
    Ok(Some(dedup))
}

fn config(spec: &FeedSpec, expert: &str, reason: String) -> FeedError {
    FeedError::Config { feed: spec.name.clone(), reason: format!("expert_options.{expert}: {reason}") }
}

/// The feed's experts but deduplication, in order, with their options and files. `asn`
/// without an AS table is left out with a warning (it would do nothing).
pub fn build_chain(spec: &FeedSpec, resources: &FeedResources) -> Result<Vec<Box<dyn Expert>>> {
    let mut chain = Vec::new();
    for name in spec.experts.iter().filter(|n| *n != "dedup") {
        if name == "asn" && resources.asn_table.is_none() {
            tracing::warn!(feed = %spec.name, "no AS table: import one with `cirtkit asn import FILE`");
            continue;
        }
        let split = split(name, spec.expert_options.get(name)).map_err(|e| config(spec, name, e.join("; ")))?;
        let mut library = ExpertResources::new(resources.clock.clone());
        library.asn_table = resources.asn_table.clone();
        library.constituency = Some(resources.constituency.clone());
        library.organisation_names = resources.organisation_names.clone();
        if let Some((path, language)) = &split.database {
            let bytes =
                std::fs::read(path).map_err(|e| config(spec, name, format!("cannot read {}: {e}", path.display())))?;
            let geo = MmdbGeo::from_bytes(bytes, language)
                .map_err(|e| config(spec, name, format!("{} is not a MaxMind-format database: {e}", path.display())))?;
            library.geoip = Some(Arc::new(geo));
        }
        for (path, id) in &split.lists {
            let file = list_file(path);
            let reader = std::fs::File::open(&file)
                .map_err(|e| config(spec, name, format!("cannot read {}: {e}", file.display())))?;
            let list = WarningList::from_json(id, std::io::BufReader::new(reader))
                .map_err(|e| config(spec, name, e.to_string()))?;
            library.warning_lists.push(Arc::new(list));
        }
        chain.push(expert_for(name, &split.library, &library).map_err(|e| config(spec, name, e.to_string()))?);
    }
    Ok(chain)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(experts: &[&str], options: serde_json::Value) -> FeedSpec {
        let mut spec = FeedSpec::one_off("f", "blocklistde");
        spec.experts = experts.iter().map(|s| (*s).to_owned()).collect();
        spec.expert_options = serde_json::from_value(options).unwrap();
        spec
    }

    #[test]
    fn every_mistake_in_the_experts_is_reported() {
        let s = spec(
            &["rsit", "geoip", "warninglist", "rules", "nope", "rsit", "dedup"],
            serde_json::json!({
                "geoip": {"destination": "yes"},
                "warninglist": {"lists": ["/nonexistent/rfc1918"], "action": "drop"},
                "rules": {"rules": [{"field": "source.nope", "eq": "x"}]},
                "bogons": {},
                "dedup": {"window_seconds": 5},
            }),
        );
        let all = problems(&s, "feeds[0]").join("\n");
        for needle in [
            "feeds[0].experts: unknown expert \"nope\"",
            "feeds[0].experts: \"rsit\" is listed twice",
            "feeds[0].expert_options.bogons: the feed does not run",
            "feeds[0].expert_options.geoip.database: required",
            "feeds[0].expert_options.warninglist.lists: /nonexistent/rfc1918 is neither",
            "feeds[0].expert_options.rules: [pipeline.expert_config]",
            "feeds[0].expert_options.dedup: window_seconds",
        ] {
            assert!(all.contains(needle), "{needle} in\n{all}");
        }
        let fine = spec(&["rsit", "bogons", "dedup"], serde_json::json!({"dedup": {"fields": ["source.ip"]}}));
        assert!(problems(&fine, "f").is_empty(), "{:?}", problems(&fine, "f"));
    }

    /// A MaxMind DB of IPv4 networks, each with a country, a city and a location, written
    /// after the format's specification: a search tree of 24-bit records, 16 zero bytes, the
    /// data section, then the metadata after its marker.
    fn mmdb(networks: &[(&str, &str, &str, f64, f64)]) -> Vec<u8> {
        fn head(out: &mut Vec<u8>, kind: u8, size: usize) {
            assert!(size < 29);
            if kind <= 7 {
                out.push((kind << 5) | size as u8);
            } else {
                out.extend([size as u8, kind - 7]);
            }
        }
        fn text(out: &mut Vec<u8>, s: &str) {
            head(out, 2, s.len());
            out.extend(s.as_bytes());
        }
        fn uint(out: &mut Vec<u8>, kind: u8, bytes: &[u8]) {
            head(out, kind, bytes.len());
            out.extend(bytes);
        }
        #[derive(Clone, Copy)]
        enum Rec {
            Empty,
            Node(usize),
            Data(usize),
        }
        let (mut nodes, mut data) = (vec![[Rec::Empty; 2]], Vec::new());
        for (net, cc, city, lat, lon) in networks {
            let net: ipnet::Ipv4Net = net.parse().unwrap();
            let offset = data.len();
            head(&mut data, 7, 3);
            text(&mut data, "country");
            head(&mut data, 7, 1);
            text(&mut data, "iso_code");
            text(&mut data, cc);
            text(&mut data, "city");
            head(&mut data, 7, 1);
            text(&mut data, "names");
            head(&mut data, 7, 1);
            text(&mut data, "en");
            text(&mut data, city);
            text(&mut data, "location");
            head(&mut data, 7, 2);
            text(&mut data, "latitude");
            uint(&mut data, 3, &lat.to_be_bytes());
            text(&mut data, "longitude");
            uint(&mut data, 3, &lon.to_be_bytes());
            let (addr, len) = (u32::from(net.network()), usize::from(net.prefix_len()));
            let mut node = 0;
            for i in 0..len {
                let bit = ((addr >> (31 - i)) & 1) as usize;
                if i + 1 == len {
                    nodes[node][bit] = Rec::Data(offset);
                } else if let Rec::Node(next) = nodes[node][bit] {
                    node = next;
                } else {
                    nodes.push([Rec::Empty; 2]);
                    nodes[node][bit] = Rec::Node(nodes.len() - 1);
                    node = nodes.len() - 1;
                }
            }
        }
        let count = nodes.len();
        let mut out = Vec::new();
        for pair in &nodes {
            for rec in pair {
                let v = match rec {
                    Rec::Empty => count,
                    Rec::Node(n) => *n,
                    Rec::Data(offset) => count + 16 + offset,
                } as u32;
                out.extend(&v.to_be_bytes()[1..]);
            }
        }
        out.extend([0u8; 16]);
        out.extend(data);
        out.extend(b"\xAB\xCD\xEFMaxMind.com");
        head(&mut out, 7, 9);
        for (key, kind, value) in [
            ("binary_format_major_version", 5u8, 2u64),
            ("binary_format_minor_version", 5, 0),
            ("ip_version", 5, 4),
            ("record_size", 5, 24),
            ("node_count", 6, count as u64),
            ("build_epoch", 9, 1_700_000_000),
        ] {
            text(&mut out, key);
            match kind {
                5 => uint(&mut out, 5, &(value as u16).to_be_bytes()),
                6 => uint(&mut out, 6, &(value as u32).to_be_bytes()),
                _ => uint(&mut out, 9, &value.to_be_bytes()),
            }
        }
        text(&mut out, "database_type");
        text(&mut out, "Test-City");
        text(&mut out, "description");
        head(&mut out, 7, 1);
        text(&mut out, "en");
        text(&mut out, "test");
        text(&mut out, "languages");
        head(&mut out, 11, 1);
        text(&mut out, "en");
        out
    }

    #[test]
    fn the_test_database_is_read_by_the_geoip_reader() {
        let bytes =
            mmdb(&[("198.51.100.0/24", "FR", "Paris", 48.85, 2.35), ("203.0.113.0/25", "SN", "Dakar", 14.7, -17.4)]);
        let geo = MmdbGeo::from_bytes(bytes, "en").unwrap();
        let at = geo.locate("198.51.100.9".parse().unwrap()).unwrap().unwrap();
        assert_eq!((at.cc.map(|c| c.to_string()), at.city.as_deref()), (Some("FR".into()), Some("Paris")));
        assert_eq!(geo.locate("203.0.113.1".parse().unwrap()).unwrap().unwrap().city.as_deref(), Some("Dakar"));
        assert_eq!(geo.locate("203.0.113.200".parse().unwrap()).unwrap(), None);
    }

    /// A feed with `geoip`, `warninglist` and `rules` options of its own, run into a store:
    /// the fields set, the events dropped by reason, and the window kept for the next run.
    #[tokio::test]
    async fn a_feed_runs_its_experts_with_its_options() {
        use crate::collect::Input;
        use crate::run::{RunOptions, run_feed};
        use chrono::TimeZone;
        use cirtkit_storage::{ConnectOptions, DatabaseUrl, EventQuery, Store};
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&DatabaseUrl::sqlite_file(&dir.path().join("t.db")), &ConnectOptions::default())
            .await
            .unwrap();
        let t0 = chrono::Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0).unwrap();
        store.migrate(t0).await.unwrap();
        let geo = dir.path().join("city.mmdb");
        std::fs::write(&geo, mmdb(&[("198.51.100.0/24", "FR", "Paris", 48.85, 2.35)])).unwrap();
        let lists = dir.path().join("lists/test-net-3");
        std::fs::create_dir_all(&lists).unwrap();
        let list = serde_json::json!({"name": "TEST-NET-3", "type": "cidr", "list": ["203.0.113.0/24"],
            "matching_attributes": ["ip-src"], "description": "", "version": 1});
        std::fs::write(lists.join("list.json"), list.to_string()).unwrap();
        let mut spec = spec(
            &["sanitise", "rsit", "bogons", "geoip", "warninglist", "rules", "constituency", "dedup"],
            serde_json::json!({
                "geoip": {"database": geo.display().to_string(), "destination": false},
                "warninglist": {"lists": [lists.display().to_string()]},
                "rules": {"rules": [{"field": "source.ip", "in_cidr": ["198.51.100.200/32"]}]},
                "dedup": {"fields": ["source.ip"]},
                "bogons": {"allow": ["documentation"]},
            }),
        );
        spec.options.insert("list".into(), "ssh".into());
        assert!(spec.problems("feeds[0]").is_empty(), "{:?}", spec.problems("feeds[0]"));
        let file = dir.path().join("ssh.txt");
        std::fs::write(&file, "198.51.100.7\n203.0.113.5\n198.51.100.200\n10.0.0.1\n198.51.100.7\nnot an address\n")
            .unwrap();
        let mut index = ConstituencyIndex::builder();
        index.netblock("198.51.100.0/24".parse().unwrap(), OrganisationId(7));
        let clock = cirtkit_domain::ManualClock::new(t0);
        let options = RunOptions { batch_records: 2, ..RunOptions::default() };
        let index = Arc::new(index.build());
        let r = run_feed(&store, &spec, index.clone(), &clock, vec![Input::file(&file)], &options, None).await.unwrap();
        assert_eq!((r.read, r.stored, r.duplicates, r.dropped, r.quarantined), (6, 1, 1, 3, 1), "{r:?}");
        let by: Vec<(&str, u64)> = r.dropped_by.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        assert_eq!(by, [("expert.bogon", 1), ("expert.rule", 1), ("expert.warninglist", 1)]);
        let stages: Vec<(&str, u64, u64)> =
            r.stages.iter().map(|s| (s.stage.as_str(), s.received, s.dropped)).collect();
        assert_eq!(
            stages,
            [
                ("parser", 6, 0),
                ("sanitise", 5, 0),
                ("rsit", 5, 0),
                ("bogons", 5, 1),
                ("geoip", 4, 0),
                ("warninglist", 4, 1),
                ("rules", 3, 1),
                ("constituency", 2, 0),
                ("dedup", 2, 1),
                ("output", 1, 0)
            ]
        );
        let stored = store.events_page(&EventQuery { limit: 10, ..Default::default() }).await.unwrap();
        let event: serde_json::Value = serde_json::from_str(&stored[0].payload).unwrap();
        assert_eq!(event["source.geolocation.cc"], "FR");
        assert_eq!(event["source.geolocation.city"], "Paris");
        assert_eq!(event["extra.organisation_id"], 7);
        assert_eq!(stored[0].organisation, Some(OrganisationId(7)));

        // The window came from the store: the same address in a new file is a duplicate.
        clock.advance(chrono::Duration::hours(1));
        let again = dir.path().join("ssh-2.txt");
        std::fs::write(&again, "198.51.100.7\n198.51.100.8\n").unwrap();
        let r = run_feed(&store, &spec, index, &clock, vec![Input::file(&again)], &options, None).await.unwrap();
        assert_eq!((r.stored, r.duplicates), (1, 1));

        // A file the options name that is gone stops the run with a clear error.
        std::fs::remove_file(&geo).unwrap();
        let err = run_feed(&store, &spec, Arc::default(), &clock, vec![], &options, None).await.unwrap_err();
        assert!(err.to_string().contains("expert_options.geoip: cannot read"), "{err}");
        assert!(spec.problems("f").join("\n").contains("f.expert_options.geoip.database"));
    }

    #[test]
    fn list_ids_come_from_their_folder_or_file() {
        assert_eq!(list_id(Path::new("/l/rfc1918/list.json")), "rfc1918");
        assert_eq!(list_id(Path::new("/l/rfc1918")), "rfc1918");
        assert_eq!(list_id(Path::new("/l/mine.json")), "mine");
    }
}
