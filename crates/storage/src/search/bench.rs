//! A measurement, not a test: loads 100,000 incidents and 1,000,000 journal entries with the
//! synthetic loader (`crate::synthetic`: raw, batched SQL, no audit) and times the list and
//! search queries. Ignored by default:
//! `cargo test --release -p cirtkit-storage -- --ignored --nocapture incident_search_at_scale`
//! (set `CIRTKIT_TEST_DATABASE_URL` to measure PostgreSQL too).

use crate::tests::TestDb;
use crate::{Store, SyntheticSpec};
use chrono::{TimeZone, Utc};
use cirtkit_domain::{IncidentQuery, IncidentState, Observable, OrganisationId, Severity, Tlp, Visibility};
use std::time::Instant;

const RUNS: usize = 50;

async fn load(store: &Store) {
    let spec = SyntheticSpec::default();
    let report = store.load_synthetic_incidents(&spec, &mut |_| {}).await.unwrap();
    eprintln!(
        "{}: loaded {} incidents, {} journal entries in {:.0?}",
        store.backend_name(),
        report.incidents,
        report.journal_entries,
        report.elapsed
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
