//! The hand-off by rule, through the services, on SQLite always and on PostgreSQL when
//! `CIRTKIT_TEST_DATABASE_URL` is set (each PostgreSQL test in a fresh schema of its own).

use super::{HandoffPass, HandoffRule, OwnerMatch};
use crate::{Principal, ServiceError, ServiceSettings, Services};
use chrono::{DateTime, Duration, TimeZone, Utc};
use cirtkit_domain::{Clock, Incident, IncidentState, JournalKind, ManualClock, Organisation, Rsit, Tlp, Transition};
use cirtkit_storage::{ConnectOptions, DatabaseUrl, EventPacker, FeedBatch, NewEvent, Store};
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A fresh migrated store, and what to drop when the test is done.
struct Db {
    store: Store,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 4, 8, 0, 0).unwrap()
}

impl Db {
    async fn sqlite() -> Db {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&DatabaseUrl::sqlite_file(&dir.path().join("t.db")), &ConnectOptions::default())
            .await
            .unwrap();
        store.migrate(start()).await.unwrap();
        Db { store, _dir: Some(dir), pg: None }
    }

    async fn postgres() -> Option<Db> {
        let Ok(admin) = std::env::var("CIRTKIT_TEST_DATABASE_URL") else {
            let _ = writeln!(
                std::io::stderr(),
                "note: PostgreSQL hand-off tests skipped: set CIRTKIT_TEST_DATABASE_URL=postgres://… to run them"
            );
            return None;
        };
        #[allow(clippy::disallowed_methods)]
        let schema = format!(
            "cirtkit_handoff_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            Utc::now().timestamp_subsec_nanos()
        );
        let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin).await.unwrap();
        sqlx::raw_sql(&format!("CREATE SCHEMA {schema}")).execute(&mut conn).await.unwrap();
        let url: DatabaseUrl = admin.parse().unwrap();
        let options = ConnectOptions { pg_schema: Some(schema.clone()), ..Default::default() };
        let store = Store::connect(&url, &options).await.unwrap();
        store.migrate(start()).await.unwrap();
        Some(Db { store, _dir: None, pg: Some((admin, schema)) })
    }

    async fn finish(self) {
        self.store.close().await;
        if let Some((admin, schema)) = self.pg {
            let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin).await.unwrap();
            sqlx::raw_sql(&format!("DROP SCHEMA {schema} CASCADE")).execute(&mut conn).await.unwrap();
        }
    }
}

macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let db = super::Db::sqlite().await;
                    super::$name(&db.store).await;
                    db.finish().await;
                }
            )*
        }
        mod on_postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    let Some(db) = super::Db::postgres().await else { return };
                    super::$name(&db.store).await;
                    db.finish().await;
                }
            )*
        }
    };
}

on_both!(
    a_rule_opens_one_incident_per_owner_and_type,
    later_events_join_the_open_incident_within_the_window,
    after_the_window_or_once_closed_a_new_incident_opens,
    a_second_pass_hands_nothing_off_twice,
    two_passes_at_once_open_one_incident,
    the_marking_is_never_looser_than_the_events,
    caps_bound_the_observables_and_the_incidents,
    a_feed_being_read_is_left_for_the_hand_off_after_its_run,
    a_new_rule_looks_back_one_window,
    events_no_one_owns_are_grouped_together,
    the_command_needs_a_known_rule_and_the_right_to_edit,
);

struct World {
    services: Services,
    clock: Arc<ManualClock>,
    bank: Organisation,
    telco: Organisation,
}

fn operator() -> Principal {
    Principal::Operator("test".into())
}

/// Services with these rules over the store, and two constituents.
async fn world(store: &Store, rules: Vec<HandoffRule>) -> World {
    let clock = Arc::new(ManualClock::new(start()));
    let settings = ServiceSettings { handoff: rules, ..Default::default() };
    let services = Services::new(store.clone(), clock.clone(), settings).await.unwrap();
    let mut orgs = services.organisations(&operator()).await.unwrap();
    if orgs.is_empty() {
        services
            .create_organisation(&operator(), crate::tests::org("Banque", "192.0.2.0/24", "banque.example"))
            .await
            .unwrap();
        services
            .create_organisation(&operator(), crate::tests::org("Telco", "198.51.100.0/24", "telco.example"))
            .await
            .unwrap();
        orgs = services.organisations(&operator()).await.unwrap();
    }
    orgs.sort_by_key(|o| o.id);
    let telco = orgs.pop().unwrap();
    let bank = orgs.pop().unwrap();
    World { services, clock, bank, telco }
}

/// The same store with other rules (and the same clock time).
async fn with_rules(w: &World, rules: Vec<HandoffRule>) -> World {
    let next = world(w.services.store(), rules).await;
    next.clock.set(w.clock.now());
    next
}

/// One event to store: its JSON and its row.
struct TestEvent {
    json: String,
    row: NewEvent,
}

/// One event: its feed, type, source address, owner and TLP.
fn event(
    feed: &str,
    kind: &str,
    ip: &str,
    owner: Option<&Organisation>,
    tlp: Option<&str>,
    at: DateTime<Utc>,
) -> TestEvent {
    let kind = cirtkit_pipeline::ClassificationType::parse(kind).unwrap();
    let taxonomy = kind.taxonomy().as_str();
    let mut payload = serde_json::json!({
        "feed.name": feed,
        "time.observation": at.to_rfc3339(),
        "classification.taxonomy": taxonomy,
        "classification.type": kind.as_str(),
        "source.ip": ip,
    });
    if let Some(t) = tlp {
        payload["tlp"] = t.into();
    }
    TestEvent {
        json: payload.to_string(),
        row: NewEvent {
            time_observation: at,
            time_source: None,
            classification_type: Some(kind.as_str()),
            taxonomy: Some(taxonomy),
            source_ip: Some(ip.parse().unwrap()),
            source_asn: None,
            organisation: owner.map(|o| o.id),
            dedup_hash: COUNTER.fetch_add(1, Ordering::Relaxed),
            block: 0,
            slot: 0,
        },
    }
}

/// Stores events as one feed file (read to its end unless `done` is false).
async fn store_events(w: &World, feed: &str, events: Vec<TestEvent>, done: bool) {
    let store = w.services.store();
    let sha = format!("{:064x}", COUNTER.fetch_add(1, Ordering::Relaxed));
    let now = w.clock.now();
    let file = store.open_feed_file(feed, &sha, Some("f.csv"), 10, now).await.unwrap();
    let rows = events.len() as u64;
    let mut packer = EventPacker::new();
    let events = events
        .into_iter()
        .map(|e| {
            let (block, slot) = packer.push(&e.json, None);
            NewEvent { block, slot, ..e.row }
        })
        .collect();
    let batch = FeedBatch {
        feed: feed.into(),
        file_id: file.id,
        rows_committed: rows,
        done,
        events,
        blocks: packer.take(),
        quarantined: vec![],
        at: now,
        release_quarantine: vec![],
    };
    store.commit_feed_batch(&batch).await.unwrap();
}

fn rule(name: &str) -> HandoffRule {
    HandoffRule::named(name)
}

async fn incidents(w: &World) -> Vec<Incident> {
    let mut all = w.services.store().incidents_page(None, 1_000).await.unwrap();
    all.reverse();
    all
}

async fn observables(w: &World, i: &Incident) -> Vec<String> {
    let mut v: Vec<String> =
        w.services.observables(&operator(), i.id).await.unwrap().iter().map(|o| o.value()).collect();
    v.sort();
    v
}

fn only(passes: &[HandoffPass]) -> &HandoffPass {
    assert_eq!(passes.len(), 1, "{passes:?}");
    assert_eq!(passes[0].error, None, "{passes:?}");
    &passes[0]
}

async fn a_rule_opens_one_incident_per_owner_and_type(store: &Store) {
    let mut r = rule("bots");
    r.feeds = vec!["scan".into()];
    r.title = "{count} × {type} at {organisation} ({feed}, {rule})".into();
    let w = world(store, vec![r]).await;
    let now = w.clock.now();
    let (bank, telco) = (&w.bank, &w.telco);
    store_events(
        &w,
        "scan",
        vec![
            event("scan", "infected-system", "192.0.2.1", Some(bank), None, now),
            event("scan", "infected-system", "192.0.2.2", Some(bank), None, now),
            event("scan", "infected-system", "192.0.2.1", Some(bank), None, now),
            event("scan", "infected-system", "198.51.100.7", Some(telco), None, now),
            event("scan", "vulnerable-system", "192.0.2.9", Some(bank), None, now),
            // No owner: the default rule leaves it.
            event("scan", "infected-system", "203.0.113.5", None, None, now),
        ],
        true,
    )
    .await;
    // Another feed's events are not this rule's.
    store_events(&w, "other", vec![event("other", "infected-system", "192.0.2.3", Some(bank), None, now)], true).await;
    assert!(w.services.hand_off_after_run("other").await.is_empty());

    let passes = w.services.hand_off_after_run("scan").await;
    let pass = only(&passes);
    assert_eq!((pass.events, pass.opened.len(), pass.updated.len()), (5, 3, 0), "{pass:?}");
    let all = incidents(&w).await;
    assert_eq!(all.len(), 3);
    let titles: Vec<&str> = all.iter().map(|i| i.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "3 × infected-system at Banque (scan, bots)",
            "1 × vulnerable-system at Banque (scan, bots)",
            "1 × infected-system at Telco (scan, bots)"
        ]
    );
    let first = &all[0];
    assert_eq!(first.rsit, "malicious-code/infected-system".parse::<Rsit>().unwrap());
    assert_eq!((first.tlp, first.state, first.organisations.clone()), (Tlp::Amber, IncidentState::New, vec![bank.id]));
    assert_eq!(observables(&w, first).await, ["192.0.2.1", "192.0.2.2"]);
    assert_eq!(all[1].rsit, "vulnerable/vulnerable-system".parse::<Rsit>().unwrap());
    let journal = w.services.journal(&operator(), first.id).await.unwrap();
    let note = journal.iter().find(|e| e.kind == JournalKind::Comment).unwrap();
    assert_eq!(note.author, "system:handoff:bots");
    assert!(note.body.contains("Opened by the hand-off rule bots from 3 events of the feed scan"), "{}", note.body);
    let audit = w.services.store().audit_entries(100).await.unwrap();
    assert!(audit.iter().any(|a| a.action == "incident.create" && a.actor == "system:handoff:bots"));
    assert!(audit.iter().any(|a| a.action == "handoff.run" && a.entity_id == "bots"));
    assert_eq!(w.services.store().verify_audit().await.unwrap().first_bad_row, None);
}

async fn later_events_join_the_open_incident_within_the_window(store: &Store) {
    let w = world(store, vec![rule("bots")]).await;
    let bank = &w.bank;
    let now = w.clock.now();
    store_events(&w, "scan", vec![event("scan", "infected-system", "192.0.2.1", Some(bank), None, now)], true).await;
    let first = only(&w.services.hand_off_after_run("scan").await).opened.clone();
    assert_eq!(first.len(), 1);

    w.clock.advance(Duration::hours(20));
    let now = w.clock.now();
    store_events(
        &w,
        "scan",
        vec![
            event("scan", "infected-system", "192.0.2.1", Some(bank), None, now),
            event("scan", "infected-system", "192.0.2.44", Some(bank), None, now),
        ],
        true,
    )
    .await;
    let passes = w.services.hand_off_after_run("scan").await;
    let pass = only(&passes);
    assert_eq!((pass.events, pass.opened.len()), (2, 0), "{pass:?}");
    assert_eq!(pass.updated, first);
    let all = incidents(&w).await;
    assert_eq!(all.len(), 1, "no second incident within the window");
    assert_eq!(observables(&w, &all[0]).await, ["192.0.2.1", "192.0.2.44"]);
    let journal = w.services.journal(&operator(), all[0].id).await.unwrap();
    let last = journal.last().unwrap();
    assert_eq!(last.author, "system:handoff:bots");
    assert!(last.body.starts_with("2 more events from the feed scan (hand-off rule bots"), "{}", last.body);
    assert!(last.body.contains("1 new observables"), "{}", last.body);
}

async fn after_the_window_or_once_closed_a_new_incident_opens(store: &Store) {
    let mut r = rule("bots");
    r.window_hours = 6;
    let w = world(store, vec![r]).await;
    let bank = &w.bank;
    let ev = |w: &World| event("scan", "infected-system", "192.0.2.1", Some(&w.bank), None, w.clock.now());
    store_events(&w, "scan", vec![ev(&w)], true).await;
    assert_eq!(only(&w.services.hand_off_after_run("scan").await).opened.len(), 1);

    w.clock.advance(Duration::hours(7));
    store_events(&w, "scan", vec![ev(&w)], true).await;
    let pass = only(&w.services.hand_off_after_run("scan").await).clone();
    assert_eq!((pass.opened.len(), pass.updated.len()), (1, 0), "past the window: {pass:?}");

    // The new incident takes the next events, until a handler closes it.
    w.clock.advance(Duration::hours(1));
    store_events(&w, "scan", vec![ev(&w)], true).await;
    assert_eq!(only(&w.services.hand_off_after_run("scan").await).updated, pass.opened);
    let second = incidents(&w).await.pop().unwrap();
    w.services.transition(&operator(), second.id, Transition::Triage).await.unwrap();
    w.services.transition(&operator(), second.id, Transition::Close).await.unwrap();
    store_events(&w, "scan", vec![ev(&w)], true).await;
    let pass = only(&w.services.hand_off_after_run("scan").await).clone();
    assert_eq!((pass.opened.len(), pass.updated.len()), (1, 0), "closed: {pass:?}");
    let all = incidents(&w).await;
    assert_eq!(all.len(), 3);
    assert!(all.iter().all(|i| i.organisations == vec![bank.id]));
}

async fn a_second_pass_hands_nothing_off_twice(store: &Store) {
    let w = world(store, vec![rule("bots")]).await;
    let now = w.clock.now();
    let events = (1..=5).map(|n| event("scan", "infected-system", &format!("192.0.2.{n}"), Some(&w.bank), None, now));
    store_events(&w, "scan", events.collect(), true).await;

    // A dry run does everything but store it: like a pass that died before its commit.
    let dry = w.services.hand_off(&operator(), None, true).await.unwrap();
    let dry = only(&dry);
    assert!(dry.dry_run);
    assert_eq!((dry.events, dry.opened.len()), (5, 1));
    assert!(incidents(&w).await.is_empty(), "a dry run stores nothing");
    assert_eq!(w.services.store().handoff_mark("bots", "scan").await.unwrap(), None);

    let passes = w.services.hand_off(&operator(), None, false).await.unwrap();
    assert_eq!(only(&passes).opened.len(), 1);
    for again in
        [w.services.hand_off_after_run("scan").await, w.services.hand_off(&operator(), None, false).await.unwrap()]
    {
        let pass = only(&again);
        assert_eq!((pass.events, pass.opened.len(), pass.updated.len()), (0, 0, 0), "{pass:?}");
    }
    let all = incidents(&w).await;
    assert_eq!(all.len(), 1);
    assert_eq!(w.services.journal(&operator(), all[0].id).await.unwrap().len(), 1, "no second journal entry");

    // A pass that finds the mark moved since it read it (another node took these events) is
    // dropped whole.
    let mark = w.services.store().handoff_mark("bots", "scan").await.unwrap().unwrap();
    let mut tx = w.services.store().begin("test", w.clock.now()).await.unwrap();
    assert!(!tx.move_handoff_mark("bots", "scan", Some(mark - 1), mark + 10).await.unwrap());
    assert!(!tx.move_handoff_mark("bots", "scan", None, mark + 10).await.unwrap());
    drop(tx);
    assert_eq!(w.services.store().handoff_mark("bots", "scan").await.unwrap(), Some(mark));
}

async fn the_marking_is_never_looser_than_the_events(store: &Store) {
    let mut green = rule("green");
    green.tlp = Tlp::Green;
    green.types = vec!["infected-system".into()];
    let mut strict = rule("strict");
    strict.tlp = Tlp::AmberStrict;
    strict.types = vec!["vulnerable-system".into()];
    let w = world(store, vec![green, strict]).await;
    let (bank, telco) = (&w.bank, &w.telco);
    let now = w.clock.now();
    store_events(
        &w,
        "scan",
        vec![
            // The bank's events are marked AMBER (one of them): the incident is AMBER, not GREEN.
            event("scan", "infected-system", "192.0.2.1", Some(bank), Some("GREEN"), now),
            event("scan", "infected-system", "192.0.2.2", Some(bank), Some("AMBER"), now),
            // Unmarked: the rule's GREEN.
            event("scan", "infected-system", "198.51.100.1", Some(telco), None, now),
            // The rule's AMBER+STRICT is stricter than the event's CLEAR.
            event("scan", "vulnerable-system", "192.0.2.3", Some(bank), Some("CLEAR"), now),
        ],
        true,
    )
    .await;
    let passes = w.services.hand_off_after_run("scan").await;
    assert_eq!(passes.len(), 2);
    let all = incidents(&w).await;
    let tlps: Vec<(String, Tlp)> = all.iter().map(|i| (i.title.clone(), i.tlp)).collect();
    assert_eq!(
        tlps,
        [
            ("infected-system: Banque (scan)".to_owned(), Tlp::Amber),
            ("infected-system: Telco (scan)".to_owned(), Tlp::Green),
            ("vulnerable-system: Banque (scan)".to_owned(), Tlp::AmberStrict),
        ]
    );

    // A later RED event raises the open incident; a handler's RED is not lowered by AMBER events.
    let telco_incident = all[1].clone();
    let bank_incident = all[0].clone();
    w.services
        .update_incident(
            &operator(),
            bank_incident.id,
            cirtkit_domain::IncidentChanges { tlp: Some(Tlp::Red), ..Default::default() },
        )
        .await
        .unwrap();
    w.clock.advance(Duration::hours(1));
    let now = w.clock.now();
    store_events(
        &w,
        "scan",
        vec![
            event("scan", "infected-system", "198.51.100.2", Some(telco), Some("RED"), now),
            event("scan", "infected-system", "192.0.2.5", Some(bank), Some("AMBER"), now),
        ],
        true,
    )
    .await;
    w.services.hand_off_after_run("scan").await;
    let telco_after = w.services.incident(&operator(), telco_incident.id).await.unwrap();
    assert_eq!(telco_after.tlp, Tlp::Red);
    let bank_after = w.services.incident(&operator(), bank_incident.id).await.unwrap();
    assert_eq!(bank_after.tlp, Tlp::Red);
    assert_eq!(incidents(&w).await.len(), 3, "both joined their incidents");
}

async fn caps_bound_the_observables_and_the_incidents(store: &Store) {
    let mut r = rule("capped");
    r.max_observables = 5;
    r.max_incidents = 1;
    r.min_events = 2;
    r.organisation = OwnerMatch::Any;
    let w = world(store, vec![r]).await;
    let (bank, telco) = (&w.bank, &w.telco);
    let now = w.clock.now();
    let mut events: Vec<TestEvent> =
        (1..=8).map(|n| event("scan", "infected-system", &format!("192.0.2.{n}"), Some(bank), None, now)).collect();
    // The second group: beyond max_incidents.
    events
        .extend((1..=3).map(|n| event("scan", "infected-system", &format!("198.51.100.{n}"), Some(telco), None, now)));
    // The third: below min_events.
    events.push(event("scan", "infected-system", "203.0.113.1", None, None, now));
    store_events(&w, "scan", events, true).await;

    let passes = w.services.hand_off_after_run("scan").await;
    let pass = only(&passes);
    assert_eq!((pass.events, pass.opened.len(), pass.over_cap, pass.below_minimum), (12, 1, 3, 1), "{pass:?}");
    assert_eq!(pass.events_left_out, 3, "three events' addresses did not fit: {pass:?}");
    let all = incidents(&w).await;
    assert_eq!(all.len(), 1);
    assert_eq!(observables(&w, &all[0]).await.len(), 5);
    let journal = w.services.journal(&operator(), all[0].id).await.unwrap();
    assert!(
        journal[0].body.contains("cap of 5 observables per incident is reached: the observables of 3 more events"),
        "{}",
        journal[0].body
    );

    // The full incident takes no more observables, and says how many it left out.
    w.clock.advance(Duration::hours(1));
    let now = w.clock.now();
    store_events(&w, "scan", vec![event("scan", "infected-system", "192.0.2.77", Some(bank), None, now)], true).await;
    let passes = w.services.hand_off_after_run("scan").await;
    let pass = only(&passes);
    assert_eq!((pass.updated.len(), pass.observables_left_out), (1, 1), "{pass:?}");
    assert_eq!(observables(&w, &all[0]).await.len(), 5);
    let last = w.services.journal(&operator(), all[0].id).await.unwrap().pop().unwrap();
    assert!(last.body.contains("1 observables were left out"), "{}", last.body);
}

async fn a_feed_being_read_is_left_for_the_hand_off_after_its_run(store: &Store) {
    let w = world(store, vec![rule("bots")]).await;
    let now = w.clock.now();
    // A file part-read: its run is under way (or stopped), and may still commit events.
    store_events(&w, "scan", vec![event("scan", "infected-system", "192.0.2.1", Some(&w.bank), None, now)], false)
        .await;
    let passes = w.services.hand_off(&operator(), None, false).await.unwrap();
    let pass = &passes[0];
    assert!(pass.skipped.as_deref().unwrap_or_default().contains("being read"), "{pass:?}");
    assert!(incidents(&w).await.is_empty());
    // The run's own hand-off, once it is over, takes them.
    assert_eq!(only(&w.services.hand_off_after_run("scan").await).opened.len(), 1);
}

async fn a_new_rule_looks_back_one_window(store: &Store) {
    let w = world(store, vec![]).await;
    let old = w.clock.now();
    store_events(&w, "scan", vec![event("scan", "infected-system", "192.0.2.1", Some(&w.bank), None, old)], true).await;
    w.clock.advance(Duration::hours(30));
    let now = w.clock.now();
    store_events(&w, "scan", vec![event("scan", "infected-system", "192.0.2.2", Some(&w.bank), None, now)], true).await;

    let w = with_rules(&w, vec![rule("bots")]).await;
    let passes = w.services.hand_off(&operator(), Some("bots"), false).await.unwrap();
    let pass = only(&passes);
    assert_eq!((pass.events, pass.opened.len()), (1, 1), "only the event of the last 24 hours: {pass:?}");
    assert_eq!(observables(&w, &incidents(&w).await[0]).await, ["192.0.2.2"]);
}

async fn the_command_needs_a_known_rule_and_the_right_to_edit(store: &Store) {
    let w = world(store, vec![rule("bots")]).await;
    let e = w.services.hand_off(&operator(), Some("nope"), false).await.unwrap_err();
    assert!(matches!(&e, ServiceError::Invalid(m) if m.contains("declared: bots")), "{e}");
    let constituent = w
        .services
        .create_user(
            &operator(),
            crate::NewUser {
                name: "bank".parse().unwrap(),
                display_name: "Bank".into(),
                email: None,
                role: cirtkit_domain::Role::Constituent(w.bank.id),
                language: "fr".parse().unwrap(),
                password: Some("a long test password".into()),
            },
        )
        .await
        .unwrap();
    let e = w.services.hand_off(&Principal::User(constituent), None, false).await.unwrap_err();
    assert!(matches!(e, ServiceError::Forbidden(_)), "{e}");
}

async fn two_passes_at_once_open_one_incident(store: &Store) {
    let w = world(store, vec![rule("bots")]).await;
    // A second node: other services over the same database.
    let other = with_rules(&w, vec![rule("bots")]).await;
    let now = w.clock.now();
    let events = (1..=50).map(|n| event("scan", "infected-system", &format!("192.0.2.{n}"), Some(&w.bank), None, now));
    store_events(&w, "scan", events.collect(), true).await;
    let (a, b) = tokio::join!(w.services.hand_off_after_run("scan"), other.services.hand_off_after_run("scan"));
    let (a, b) = (only(&a), only(&b));
    assert_eq!(a.opened.len() + b.opened.len(), 1, "{a:?} {b:?}");
    assert!(a.skipped.is_some() || b.skipped.is_some(), "{a:?} {b:?}");
    assert_eq!(incidents(&w).await.len(), 1);
}

async fn events_no_one_owns_are_grouped_together(store: &Store) {
    let mut r = rule("unowned");
    r.organisation = OwnerMatch::Unknown;
    let w = world(store, vec![r]).await;
    let now = w.clock.now();
    store_events(
        &w,
        "scan",
        vec![
            event("scan", "infected-system", "203.0.113.1", None, None, now),
            event("scan", "infected-system", "192.0.2.1", Some(&w.bank), None, now),
        ],
        true,
    )
    .await;
    let pass = only(&w.services.hand_off_after_run("scan").await).clone();
    assert_eq!((pass.events, pass.opened.len()), (1, 1), "{pass:?}");
    w.clock.advance(Duration::hours(1));
    store_events(&w, "scan", vec![event("scan", "infected-system", "203.0.113.2", None, None, w.clock.now())], true)
        .await;
    assert_eq!(only(&w.services.hand_off_after_run("scan").await).updated, pass.opened);
    let all = incidents(&w).await;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].title, "infected-system: unknown owner (scan)");
    assert!(all[0].organisations.is_empty());
    assert_eq!(observables(&w, &all[0]).await, ["203.0.113.1", "203.0.113.2"]);
}
