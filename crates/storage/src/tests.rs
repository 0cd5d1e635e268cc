//! The storage test suite. Each test is written once, as a function of a `Store`, and run against
//! SQLite always and against PostgreSQL when `CIRTKIT_TEST_DATABASE_URL` is set; each PostgreSQL
//! test works in a fresh schema of its own, dropped afterwards, so tests run in parallel.

use crate::{ConnectOptions, DatabaseUrl, NewUserRecord, StorageError, Store};
use chrono::{DateTime, TimeZone, Utc};
use cirtkit_domain::{
    Contact, ContactRole, IncidentState, JournalKind, LinkKind, NewIncident, NewOrganisation, NewPartner, Observable,
    Role, Sector, SlaPolicy, Tlp,
};
use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering};

pub(crate) struct TestDb {
    pub store: Store,
    _dir: Option<tempfile::TempDir>,
    pg_schema: Option<(DatabaseUrl, String)>,
}

static SCHEMA_COUNTER: AtomicU32 = AtomicU32::new(0);
static SKIP_NOTICE: std::sync::Once = std::sync::Once::new();

fn t(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 9, 30, 0).unwrap()
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        let url = DatabaseUrl::sqlite_file(&dir.path().join("test.db"));
        let store = Store::connect(&url, &ConnectOptions::default()).await.unwrap();
        store.migrate(t(2026, 1, 1)).await.unwrap();
        TestDb { store, _dir: Some(dir), pg_schema: None }
    }

    /// A store in a fresh PostgreSQL schema, or `None` (and a notice) when no server is configured.
    pub async fn postgres() -> Option<TestDb> {
        let Ok(raw) = std::env::var("CIRTKIT_TEST_DATABASE_URL") else {
            SKIP_NOTICE.call_once(|| {
                // Written to the real stderr, past the test harness's capture, so a person sees it.
                let _ = writeln!(
                    std::io::stderr(),
                    "note: PostgreSQL storage tests skipped: set CIRTKIT_TEST_DATABASE_URL=postgres://… to run them"
                );
            });
            return None;
        };
        let url: DatabaseUrl = raw.parse().unwrap();
        // A unique name: the process, a counter, and the wall clock against a leftover of a crash.
        #[allow(clippy::disallowed_methods)]
        let schema = format!(
            "cirtkit_test_{}_{}_{}",
            std::process::id(),
            SCHEMA_COUNTER.fetch_add(1, Ordering::Relaxed),
            chrono::Utc::now().timestamp_subsec_nanos()
        );
        let admin = Store::connect(&url, &ConnectOptions { max_connections: 1, ..Default::default() }).await.unwrap();
        admin.execute_raw(&format!("CREATE SCHEMA {schema}")).await.unwrap();
        admin.close().await;
        let options = ConnectOptions { pg_schema: Some(schema.clone()), ..Default::default() };
        let store = Store::connect(&url, &options).await.unwrap();
        store.migrate(t(2026, 1, 1)).await.unwrap();
        Some(TestDb { store, _dir: None, pg_schema: Some((url, schema)) })
    }
}

impl TestDb {
    /// Closes the store and drops the test's PostgreSQL schema.
    pub async fn finish(mut self) {
        self.store.close().await;
        if let Some((url, schema)) = self.pg_schema.take() {
            drop_schema(url, schema).await;
        }
    }
}

async fn drop_schema(url: DatabaseUrl, schema: String) {
    let admin = Store::connect(&url, &ConnectOptions { max_connections: 1, ..Default::default() }).await.unwrap();
    admin.execute_raw(&format!("DROP SCHEMA {schema} CASCADE")).await.unwrap();
    admin.close().await;
}

impl Drop for TestDb {
    fn drop(&mut self) {
        // Only a failed test gets here with its schema still there. Its runtime is blocked in this
        // drop, so clean up from a thread of our own, and do not wait for it.
        if let Some((url, schema)) = self.pg_schema.take() {
            std::thread::spawn(move || {
                if let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() {
                    rt.block_on(drop_schema(url, schema));
                }
            });
        }
    }
}

impl Store {
    /// Runs a statement as is: only tests use this, to tamper with what the API protects.
    pub(crate) async fn execute_raw(&self, sql: &str) -> crate::Result<()> {
        on_pool!(self, pool => {
            sqlx::raw_sql(sql).execute(pool).await?;
        });
        Ok(())
    }
}

macro_rules! store_tests {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let db = super::TestDb::sqlite().await;
                    super::$name(&db.store).await;
                    db.finish().await;
                }
            )*
        }
        mod on_postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    let Some(db) = super::TestDb::postgres().await else { return };
                    super::$name(&db.store).await;
                    db.finish().await;
                }
            )*
        }
    };
}

store_tests!(
    migrations_reach_the_latest_version_once,
    organisations_round_trip,
    users_and_tokens,
    incidents_are_numbered_per_year_and_keep_their_parts,
    stale_state_changes_are_refused,
    partners_round_trip,
    audit_chain_holds_and_catches_tampering,
    audit_catches_removed_rows,
    a_dropped_change_leaves_no_trace,
    concurrent_writers_keep_one_chain,
);

fn sample_org(name: &str, net: &str, domain: &str) -> NewOrganisation {
    NewOrganisation {
        name: name.into(),
        sector: Sector::Isp,
        country: "TN".parse().unwrap(),
        languages: vec!["ar".parse().unwrap(), "fr".parse().unwrap()],
        contacts: vec![Contact {
            name: "NOC".into(),
            email: format!("abuse@{domain}").parse().unwrap(),
            phone: Some("+216 71 000 000".into()),
            openpgp_key: None,
            language: "fr".parse().unwrap(),
            role: ContactRole::Abuse,
        }],
        netblocks: vec![net.parse().unwrap(), "2001:db8:10::/48".parse().unwrap()],
        asns: vec!["AS64500".parse().unwrap()],
        domains: vec![domain.parse().unwrap()],
    }
    .normalised()
    .unwrap()
}

fn sample_incident(title: &str) -> NewIncident {
    NewIncident {
        title: title.into(),
        description: "Reported by a partner CIRT".into(),
        rsit: "malicious-code/infected-system".parse().unwrap(),
        severity: cirtkit_domain::Severity::High,
        tlp: Tlp::Amber,
        pap: cirtkit_domain::Pap::Green,
        assignee: None,
        organisations: vec![],
        observables: vec![
            Observable::parse("192.0.2[.]15").unwrap(),
            Observable::parse("hxxp://bad.example/x").unwrap(),
        ],
    }
}

async fn migrations_reach_the_latest_version_once(store: &Store) {
    let status = store.schema_status().await.unwrap();
    assert_eq!(status.current, Store::latest_schema_version());
    assert!(status.is_current() && status.pending.is_empty());
    assert!(store.migrate(t(2026, 1, 2)).await.unwrap().is_empty(), "a second run applies nothing");
    store.ping().await.unwrap();
}

async fn organisations_round_trip(store: &Store) {
    let mut tx = store.begin("test", t(2026, 2, 1)).await.unwrap();
    let a = tx.insert_organisation(&sample_org("Tunisie Telecom", "192.0.2.0/24", "tt.example")).await.unwrap();
    tx.insert_organisation(&sample_org("Banque Centrale", "198.51.100.0/24", "bc.example")).await.unwrap();
    tx.commit().await.unwrap();

    let all = store.organisations().await.unwrap();
    assert_eq!(all.iter().map(|o| o.details.name.as_str()).collect::<Vec<_>>(), ["Banque Centrale", "Tunisie Telecom"]);
    let loaded = store.organisation(a.id).await.unwrap().unwrap();
    assert_eq!(loaded, a, "what is read back equals what was written");

    let mut changed = a.details.clone();
    changed.sector = Sector::Telecom;
    changed.netblocks.push("203.0.113.0/25".parse().unwrap());
    let changed = changed.normalised().unwrap();
    let mut tx = store.begin("test", t(2026, 2, 2)).await.unwrap();
    tx.update_organisation(&loaded, &changed).await.unwrap();
    tx.commit().await.unwrap();
    let reloaded = store.organisation_by_name("Tunisie Telecom").await.unwrap().unwrap();
    assert_eq!(reloaded.details, changed);

    let mut tx = store.begin("test", t(2026, 2, 3)).await.unwrap();
    let dup = tx.insert_organisation(&sample_org("Tunisie Telecom", "192.0.2.0/24", "x.example")).await;
    assert!(matches!(dup, Err(StorageError::Conflict(_))), "{dup:?}");
    assert_eq!(store.counts().await.unwrap().organisations, 2);
}

async fn users_and_tokens(store: &Store) {
    let mut tx = store.begin("test", t(2026, 3, 1)).await.unwrap();
    let org = tx.insert_organisation(&sample_org("Ministry", "192.0.2.0/24", "gov.example")).await.unwrap();
    let name = "amina".parse().unwrap();
    let lang = "ar".parse().unwrap();
    let user = tx
        .insert_user(NewUserRecord {
            name: &name,
            display_name: "Amina B.",
            email: None,
            role: Role::Constituent(org.id),
            language: &lang,
            password_hash: Some("$argon2id$fake"),
        })
        .await
        .unwrap();
    let token = tx.insert_token(&user, "ci", "hash-1").await.unwrap();
    tx.commit().await.unwrap();

    let stored = store.user_by_name(&name).await.unwrap().unwrap();
    assert_eq!(stored.user, user);
    assert_eq!(stored.password_hash.as_deref(), Some("$argon2id$fake"));
    let (found, owner) = store.token_by_hash("hash-1").await.unwrap().unwrap();
    assert_eq!((found.id, owner.id), (token.id, user.id));
    assert!(store.token_by_hash("hash-2").await.unwrap().is_none());

    let mut tx = store.begin("test", t(2026, 3, 2)).await.unwrap();
    tx.revoke_token(&token).await.unwrap();
    let disabled = tx.set_user_disabled(&user, true).await.unwrap();
    tx.commit().await.unwrap();
    assert!(disabled.disabled);
    assert!(store.token_by_hash("hash-1").await.unwrap().is_none(), "a revoked token no longer works");
    assert!(store.tokens(Some(user.id)).await.unwrap()[0].revoked_at.is_some());
    assert!(store.user(user.id).await.unwrap().unwrap().disabled);

    let mut tx = store.begin("test", t(2026, 3, 3)).await.unwrap();
    assert!(matches!(tx.revoke_token(&token).await, Err(StorageError::Conflict(_))));
}

async fn incidents_are_numbered_per_year_and_keep_their_parts(store: &Store) {
    let sla = SlaPolicy::default();
    let mut tx = store.begin("test", t(2026, 1, 10)).await.unwrap();
    let org = tx.insert_organisation(&sample_org("ISP", "192.0.2.0/24", "isp.example")).await.unwrap();
    let mut new = sample_incident("Botnet drone");
    new.organisations = vec![org.id];
    let first = tx.insert_incident(&new, "CIRT", sla.due(new.severity, tx.now())).await.unwrap();
    let second = tx.insert_incident(&sample_incident("Second"), "CIRT", sla.due(new.severity, tx.now())).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.begin("test", t(2027, 1, 2)).await.unwrap();
    let next_year =
        tx.insert_incident(&sample_incident("New year"), "CIRT", sla.due(new.severity, tx.now())).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(first.reference.to_string(), "CIRT-2026-00001");
    assert_eq!(second.reference.to_string(), "CIRT-2026-00002");
    assert_eq!(next_year.reference.to_string(), "CIRT-2027-00001");

    let loaded = store.incident(first.id).await.unwrap().unwrap();
    assert_eq!(loaded, first);
    assert_eq!(store.incident_by_reference(&first.reference).await.unwrap().unwrap().id, first.id);
    let observables = store.incident_observables(first.id).await.unwrap();
    assert_eq!(observables.len(), 2);
    assert_eq!(observables[0].1.to_string(), "192.0.2.15");

    let mut tx = store.begin("analyst", t(2026, 1, 11)).await.unwrap();
    assert!(tx.add_observable(&first, &observables[0].1).await.unwrap().is_none(), "no duplicate observable");
    let entry = tx.add_journal_entry(&first, JournalKind::Comment, "analyst", "Looking", None).await.unwrap();
    tx.add_journal_entry(&first, JournalKind::MailOut, "analyst", "Dear ISP", Some(entry.id)).await.unwrap();
    let triaged = tx.set_incident_state(&first, IncidentState::Triage).await.unwrap();
    let started = tx.set_incident_state(&triaged, IncidentState::InProgress).await.unwrap();
    tx.link_incidents(&second, &first, LinkKind::DuplicateOf).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(started.first_response_at, Some(t(2026, 1, 11)));
    let journal = store.journal(first.id).await.unwrap();
    assert_eq!(journal.len(), 2);
    assert_eq!(journal[1].reply_to, Some(entry.id));
    assert_eq!(store.incident(first.id).await.unwrap().unwrap().state, IncidentState::InProgress);
    let links = store.incident_links(first.id).await.unwrap();
    assert_eq!((links.len(), links[0].kind), (1, LinkKind::DuplicateOf));
    let page = store.incidents_page(None, 2).await.unwrap();
    assert_eq!(page.iter().map(|i| i.id).collect::<Vec<_>>(), [next_year.id, second.id]);
    let rest = store.incidents_page(Some(second.id), 10).await.unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].organisations, vec![org.id]);
    assert_eq!(store.counts().await.unwrap().incidents, 3);
}

async fn stale_state_changes_are_refused(store: &Store) {
    let sla = SlaPolicy::default();
    let mut tx = store.begin("test", t(2026, 4, 1)).await.unwrap();
    let incident = tx
        .insert_incident(&sample_incident("Race"), "CIRT", sla.due(cirtkit_domain::Severity::Low, tx.now()))
        .await
        .unwrap();
    tx.set_incident_state(&incident, IncidentState::Triage).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.begin("test", t(2026, 4, 2)).await.unwrap();
    let stale = tx.set_incident_state(&incident, IncidentState::Triage).await;
    assert!(matches!(stale, Err(StorageError::Conflict(_))), "{stale:?}");
}

async fn partners_round_trip(store: &Store) {
    let partner = NewPartner {
        name: "CERT-FR".into(),
        country: Some("FR".parse().unwrap()),
        contacts: vec![],
        max_tlp: Tlp::Amber,
    };
    let mut tx = store.begin("test", t(2026, 5, 1)).await.unwrap();
    let stored = tx.insert_partner(&partner).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(store.partners().await.unwrap(), vec![stored]);
    assert_eq!(store.counts().await.unwrap().partners, 1);
}

async fn make_some_changes(store: &Store) {
    let mut tx = store.begin("user:admin", t(2026, 6, 1)).await.unwrap();
    tx.insert_organisation(&sample_org("A", "192.0.2.0/24", "a.example")).await.unwrap();
    tx.insert_organisation(&sample_org("B", "198.51.100.0/24", "b.example")).await.unwrap();
    tx.insert_partner(&NewPartner { name: "P".into(), country: None, contacts: vec![], max_tlp: Tlp::Green })
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

async fn audit_chain_holds_and_catches_tampering(store: &Store) {
    make_some_changes(store).await;
    let ok = store.verify_audit().await.unwrap();
    assert!(ok.is_intact(), "{ok:?}");
    assert_eq!(ok.rows, 3);
    let newest = store.audit_entries(1).await.unwrap();
    assert_eq!(newest[0].action, "partner.create");
    assert_eq!(newest[0].actor, "user:admin");

    // The log refuses edits through SQL...
    assert!(store.execute_raw("UPDATE audit_log SET actor = 'x' WHERE id = 2").await.is_err());
    // ...and if someone with full access removes that guard, the chain still tells.
    let drop_guard = match store.backend_name() {
        "sqlite" => "DROP TRIGGER audit_log_no_update",
        _ => "DROP TRIGGER audit_log_no_update ON audit_log",
    };
    store.execute_raw(drop_guard).await.unwrap();
    store.execute_raw("UPDATE audit_log SET actor = 'someone-else' WHERE id = 2").await.unwrap();
    let bad = store.verify_audit().await.unwrap();
    assert_eq!(bad.first_bad_row, Some(2), "{bad:?}");
    assert!(bad.reason.unwrap().contains("altered"));
}

async fn audit_catches_removed_rows(store: &Store) {
    make_some_changes(store).await;
    let drop_guard = match store.backend_name() {
        "sqlite" => "DROP TRIGGER audit_log_no_delete",
        _ => "DROP TRIGGER audit_log_no_update ON audit_log",
    };
    store.execute_raw(drop_guard).await.unwrap();
    store.execute_raw("DELETE FROM audit_log WHERE id = 3").await.unwrap();
    let bad = store.verify_audit().await.unwrap();
    assert_eq!(bad.first_bad_row, Some(3), "{bad:?}");
    store.execute_raw("DELETE FROM audit_log WHERE id = 1").await.unwrap();
    let bad = store.verify_audit().await.unwrap();
    assert_eq!(bad.first_bad_row, Some(1), "{bad:?}");
}

async fn a_dropped_change_leaves_no_trace(store: &Store) {
    {
        let mut tx = store.begin("test", t(2026, 7, 1)).await.unwrap();
        tx.insert_organisation(&sample_org("Ghost", "192.0.2.0/24", "ghost.example")).await.unwrap();
        // dropped without commit
    }
    assert_eq!(store.counts().await.unwrap().organisations, 0);
    assert!(store.audit_entries(10).await.unwrap().is_empty());
    make_some_changes(store).await;
    assert!(store.verify_audit().await.unwrap().is_intact());
}

async fn concurrent_writers_keep_one_chain(store: &Store) {
    let mut tasks = Vec::new();
    for w in 0..6 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..5 {
                let mut tx = store.begin(&format!("writer-{w}"), t(2026, 8, 1)).await.unwrap();
                let p = NewPartner { name: format!("P{w}-{i}"), country: None, contacts: vec![], max_tlp: Tlp::Clear };
                tx.insert_partner(&p).await.unwrap();
                tx.commit().await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let v = store.verify_audit().await.unwrap();
    assert!(v.is_intact(), "{v:?}");
    assert_eq!(v.rows, 30);
}
