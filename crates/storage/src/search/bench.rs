//! A measurement, not a test: loads 100,000 incidents and 1,000,000 journal entries with raw,
//! batched SQL (no audit, for speed) and times the list and search queries. Ignored by default:
//! `cargo test --release -p cirtkit-storage -- --ignored --nocapture incident_search_at_scale`
//! (set `CIRTKIT_TEST_DATABASE_URL` to measure PostgreSQL too).

use super::{Bind, Sql};
use crate::Store;
use crate::tests::TestDb;
use chrono::{DateTime, Duration, TimeZone, Utc};
use cirtkit_domain::{IncidentQuery, IncidentState, Observable, OrganisationId, Rsit, Severity, Tlp, Visibility};
use std::time::Instant;

const INCIDENTS: i64 = 100_000;
const JOURNAL_PER_INCIDENT: i64 = 10;
const ORGANISATIONS: i64 = 1_000;
const USERS: i64 = 20;
const RUNS: usize = 50;

/// A small deterministic generator (xorshift), so that every run loads the same data.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const WORDS: &[&str] = &[
    "botnet",
    "phishing",
    "serveur",
    "compromis",
    "équipe",
    "malware",
    "ransomware",
    "scan",
    "défacement",
    "credential",
    "leak",
    "ddos",
    "amplification",
    "sinkhole",
    "drone",
    "exploit",
    "webshell",
    "vulnérabilité",
    "برمجية",
    "خبيثة",
    "الخادم",
    "اختراق",
    "تصيد",
    "rapport",
    "partner",
    "customer",
    "ministère",
    "banque",
];

fn text(d: &mut Dice, words: usize) -> String {
    (0..words)
        .map(|_| {
            // Mostly a long tail of synthetic words, sometimes a real one.
            if d.below(4) == 0 {
                WORDS[d.below(WORDS.len() as u64) as usize].to_owned()
            } else {
                format!("w{}", d.below(20_000))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

async fn insert_rows(store: &Store, head: &str, columns: usize, rows: Vec<Vec<Bind>>) {
    let mut sql = Sql::default();
    // Ids are given, as in a restore; PostgreSQL's identity columns must be told.
    let overriding = if store.is_sqlite() || !head.contains("(id,") { "" } else { " OVERRIDING SYSTEM VALUE" };
    let mut text = format!("{head}{overriding} VALUES ");
    for (n, row) in rows.into_iter().enumerate() {
        assert_eq!(row.len(), columns);
        let list = sql.bind_list(row);
        text.push_str(if n == 0 { "(" } else { ", (" });
        text.push_str(&list);
        text.push(')');
    }
    on_pool!(store, pool => {
        bind_all!(sqlx::query(&text), &sql.binds).execute(pool).await.unwrap();
    });
}

async fn load(store: &Store) {
    let start = Instant::now();
    let t0: DateTime<Utc> = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    let mut d = Dice(0x9e37_79b9_7f4a_7c15);
    let rows = (1..=ORGANISATIONS)
        .map(|o| {
            let name = format!("Organisation {o}");
            vec![
                Bind::Int(o),
                Bind::Text(name),
                Bind::Text("isp".into()),
                Bind::Text("TN".into()),
                Bind::Text("[\"ar\"]".into()),
                Bind::Time(t0),
                Bind::Time(t0),
            ]
        })
        .collect();
    insert_rows(
        store,
        "INSERT INTO organisations (id, name, sector, country, languages, created_at, updated_at)",
        7,
        rows,
    )
    .await;
    let rows = (1..=USERS)
        .map(|u| {
            vec![
                Bind::Int(u),
                Bind::Text(format!("analyst{u}")),
                Bind::Text(format!("Analyst {u}")),
                Bind::Text("analyst".into()),
                Bind::Text("fr".into()),
                Bind::Time(t0),
                Bind::Time(t0),
            ]
        })
        .collect();
    insert_rows(store, "INSERT INTO users (id, name, display_name, role, language, created_at, updated_at)", 7, rows)
        .await;

    let rsits: Vec<Rsit> = Rsit::all().collect();
    let batch = 500;
    for first in (1..=INCIDENTS).step_by(batch) {
        let ids = first..(first + batch as i64).min(INCIDENTS + 1);
        let (mut incidents, mut links, mut observables, mut journal) = (vec![], vec![], vec![], vec![]);
        for id in ids {
            // About 3 incidents an hour over three years, ids in creation order.
            let created = t0 + Duration::seconds(id * 1_000);
            let updated = created + Duration::seconds(d.below(30 * 86_400) as i64);
            let state = IncidentState::ALL[d.below(6) as usize];
            let severity = Severity::ALL[d.below(4) as usize];
            let tlp = Tlp::ALL[d.below(5) as usize];
            let assignee = if d.below(3) == 0 { None } else { Some(1 + d.below(USERS as u64) as i64) };
            incidents.push(vec![
                Bind::Int(id),
                Bind::Text(format!("CIRT-{}-{:05}", 2024 + id / 40_000, id % 40_000 + 1)),
                Bind::Text(text(&mut d, 5)),
                Bind::Text(text(&mut d, 20)),
                Bind::Text(rsits[d.below(rsits.len() as u64) as usize].to_string()),
                Bind::Text(severity.as_str().into()),
                Bind::Text(tlp.to_string()),
                Bind::Text("PAP:GREEN".into()),
                Bind::Text(state.as_str().into()),
                assignee.map_or(Bind::NullInt, Bind::Int),
                Bind::Time(created),
                Bind::Time(updated),
                Bind::Time(created + Duration::hours(4)),
                Bind::Time(created + Duration::days(5)),
            ]);
            let org = 1 + d.below(ORGANISATIONS as u64) as i64;
            links.push(vec![Bind::Int(id), Bind::Int(org)]);
            if d.below(10) == 0 {
                links.push(vec![Bind::Int(id), Bind::Int(1 + (org % ORGANISATIONS))]);
            }
            // Addresses across 10.0.0.0/8, some netblocks, some domains.
            let raw = d.next();
            let value = match d.below(10) {
                0 => format!("10.{}.{}.0/24", (raw >> 8) & 0xff, raw & 0xff),
                1 => format!("host{}.example", raw % 50_000),
                2 => format!("2001:db8:{:x}::{:x}", raw & 0xffff, (raw >> 16) & 0xffff),
                _ => format!("10.{}.{}.{}", (raw >> 16) & 0xff, (raw >> 8) & 0xff, raw & 0xff),
            };
            let observable = Observable::parse(&value).unwrap();
            let range = super::ip_range(&observable);
            observables.push(vec![
                Bind::Int(id),
                Bind::Text(observable.kind().as_str().into()),
                Bind::Text(observable.value()),
                Bind::Time(created),
                range.map_or(Bind::NullBytes, |(s, _)| Bind::Bytes(s.to_vec())),
                range.map_or(Bind::NullBytes, |(_, e)| Bind::Bytes(e.to_vec())),
            ]);
            for n in 0..JOURNAL_PER_INCIDENT {
                journal.push(vec![
                    Bind::Int(id),
                    Bind::Text("comment".into()),
                    Bind::Text("analyst1".into()),
                    Bind::Text(text(&mut d, 20)),
                    Bind::Time(created + Duration::minutes(n * 30)),
                ]);
            }
        }
        insert_rows(
            store,
            "INSERT INTO incidents (id, reference, title, description, rsit, severity, tlp, pap, state, \
            assignee_id, created_at, updated_at, respond_by, resolve_by)",
            14,
            incidents,
        )
        .await;
        insert_rows(store, "INSERT INTO incident_organisations (incident_id, organisation_id)", 2, links).await;
        insert_rows(
            store,
            "INSERT INTO incident_observables (incident_id, kind, value, created_at, ip_start, ip_end)",
            6,
            observables,
        )
        .await;
        for chunk in journal.chunks(1_000) {
            insert_rows(store, "INSERT INTO journal_entries (incident_id, kind, author, body, at)", 5, chunk.to_vec())
                .await;
        }
    }
    store.analyze().await.unwrap();
    eprintln!(
        "{}: loaded {INCIDENTS} incidents, {} journal entries in {:.0?}",
        store.backend_name(),
        INCIDENTS * JOURNAL_PER_INCIDENT,
        start.elapsed()
    );
}

async fn time<F, Fut>(store: &Store, name: &str, run: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = usize>,
{
    let mut times = Vec::with_capacity(RUNS);
    let mut found = 0;
    for _ in 0..RUNS {
        let start = Instant::now();
        found = run().await;
        times.push(start.elapsed());
    }
    times.sort();
    eprintln!(
        "{:>8} | {name:<58} | {found:>3} | median {:>7.2} ms | max {:>7.2} ms",
        store.backend_name(),
        times[RUNS / 2].as_secs_f64() * 1e3,
        times[RUNS - 1].as_secs_f64() * 1e3
    );
}

async fn measure(store: &Store) {
    load(store).await;
    let q = IncidentQuery::default;
    let queries: Vec<(&str, IncidentQuery)> = vec![
        ("(a) first page, no filter", q()),
        (
            "(b) state new|triage + severity critical",
            IncidentQuery {
                states: vec![IncidentState::New, IncidentState::Triage],
                severities: vec![Severity::Critical],
                ..q()
            },
        ),
        (
            "(b') state + severity + tlp + assignee + created range",
            IncidentQuery {
                states: vec![IncidentState::InProgress],
                severities: vec![Severity::High],
                tlps: vec![Tlp::Amber],
                assignee: Some(cirtkit_domain::UserId(3)),
                created_after: Some(Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap()),
                created_before: Some(Utc.with_ymd_and_hms(2025, 7, 1, 0, 0, 0).unwrap()),
                ..q()
            },
        ),
        ("(b'') organisation", IncidentQuery { organisation: Some(OrganisationId(42)), ..q() }),
        (
            "(b''') visible to an organisation up to AMBER",
            IncidentQuery {
                visible_to: Some(Visibility { organisation: OrganisationId(42), max_tlp: Tlp::Amber }),
                ..q()
            },
        ),
        ("(c) text, a common word", IncidentQuery { text: Some("ransomware".into()), ..q() }),
        ("(c') text, two words", IncidentQuery { text: Some("botnet خبيثة".into()), ..q() }),
        ("(c'') text, a rare word (w12345)", IncidentQuery { text: Some("w12345".into()), ..q() }),
        ("(c''') text, absent word", IncidentQuery { text: Some("zzzabsent".into()), ..q() }),
        (
            "(c'''') text + state",
            IncidentQuery { text: Some("sinkhole".into()), states: vec![IncidentState::Closed], ..q() },
        ),
    ];
    for (name, query) in &queries {
        time(store, name, || async { store.search_incidents(query, None, 50).await.unwrap().len() }).await;
    }
    let page = store.search_incidents(&q(), None, 50).await.unwrap();
    let cursor = page.last().map(|i| i.id);
    time(store, "(a') second page (cursor)", || async {
        store.search_incidents(&q(), cursor, 50).await.unwrap().len()
    })
    .await;
    for value in ["10.20.30.40", "10.20.0.0/16", "10.0.0.0/8", "2001:db8:1234::/48", "host123.example"] {
        let observable = Observable::parse(value).unwrap();
        time(store, &format!("(d) observable {value}"), || async {
            store.search_by_observable(&observable, None, None, 50).await.unwrap().len()
        })
        .await;
    }
}

#[tokio::test]
#[ignore = "a measurement: loads 100,000 incidents; run in release with --ignored --nocapture"]
async fn incident_search_at_scale() {
    let db = TestDb::sqlite().await;
    measure(&db.store).await;
    db.finish().await;
    if let Some(db) = TestDb::postgres().await {
        measure(&db.store).await;
        db.finish().await;
    }
}
