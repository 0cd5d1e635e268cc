//! The storage test suite. Each test is written once, as a function of a `Store`, and run against
//! SQLite always and against PostgreSQL when `CIRTKIT_TEST_DATABASE_URL` is set; each PostgreSQL
//! test works in a fresh schema of its own, dropped afterwards, so tests run in parallel.

use crate::{ConnectOptions, DatabaseUrl, MailDirection, NewUserRecord, StorageError, Store};
use chrono::{DateTime, TimeZone, Utc};
use cirtkit_domain::{
    Contact, ContactRole, Incident, IncidentId, IncidentQuery, IncidentState, JournalKind, LinkKind, NewIncident,
    NewOrganisation, NewPartner, Observable, OrganisationId, Role, Sector, Severity, SlaPolicy, Tlp, UserId,
    Visibility,
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
    search_filters_alone_and_combined,
    search_pages_with_a_cursor,
    full_text_finds_words_in_titles_descriptions_and_journals,
    visibility_hides_other_organisations_and_higher_tlp,
    observable_search_matches_ranges_and_values,
    incident_updates_are_stored_searchable_and_refused_when_stale,
    attachments_keep_their_bytes_and_mail_threads_by_message_id,
    journal_entries_inserted_together_are_all_searchable,
    feed_batches_commit_with_their_progress_and_list_by_filters,
);

/// The synthetic loader inserts many journal entries of many incidents in one statement (on
/// PostgreSQL one trigger run for the statement): every entry's words must be found, in its own
/// incident only, and the list by organisation must come newest first.
async fn journal_entries_inserted_together_are_all_searchable(store: &Store) {
    let spec = crate::SyntheticSpec { incidents: 40, journal_per_incident: 3, organisations: 4, users: 2, seed: 11 };
    store.load_synthetic_incidents(&spec, &mut |_| {}).await.unwrap();
    for id in [1, 17, 40] {
        let journal = store.journal(IncidentId(id)).await.unwrap();
        assert_eq!(journal.len(), 3);
        for entry in &journal {
            // The rare words (`w` and a number) are in few incidents; each must find this one.
            let word = entry.body.split(' ').find(|w| w.starts_with('w')).unwrap_or(&entry.body).to_owned();
            let query = IncidentQuery { text: Some(word.clone()), ..Default::default() };
            let found: Vec<_> = store.search_incidents(&query, None, 100).await.unwrap().iter().map(|i| i.id).collect();
            assert!(found.contains(&IncidentId(id)), "{word} of incident {id}'s journal: {found:?}");
        }
    }
    let query = IncidentQuery { organisation: Some(OrganisationId(2)), ..Default::default() };
    let page = store.search_incidents(&query, None, 5).await.unwrap();
    assert!(!page.is_empty());
    assert!(page.windows(2).all(|w| w[0].id > w[1].id), "newest first");
    assert!(page.iter().all(|i| i.organisations.contains(&OrganisationId(2))));
}

fn new_event(packer: &mut crate::EventPacker, feed: &str, n: u32, observed: DateTime<Utc>) -> crate::NewEvent {
    let ip: std::net::IpAddr = format!("198.51.100.{}", n % 256).parse().unwrap();
    let json =
        format!("{{\"feed.name\":\"{feed}\",\"source.ip\":\"{ip}\",\"extra.n\":{n},\"comment\":\"tab\\there\\\\\"}}");
    let raw = format!("{ip},{n}\n");
    let (block, slot) = packer.push(&json, n.is_multiple_of(7).then_some(raw.as_bytes()));
    crate::NewEvent {
        time_observation: observed,
        time_source: Some(observed - chrono::Duration::hours(1)),
        classification_type: Some(if n.is_multiple_of(2) { "vulnerable-system" } else { "infected-system" }),
        taxonomy: Some(if n.is_multiple_of(2) { "vulnerable" } else { "malicious-code" }),
        source_ip: Some(ip),
        source_asn: Some(64500 + n % 3),
        organisation: n.is_multiple_of(5).then_some(OrganisationId(7)),
        dedup_hash: u64::MAX - u64::from(n),
        block,
        slot,
    }
}

async fn feed_batches_commit_with_their_progress_and_list_by_filters(store: &Store) {
    let observed = t(2026, 3, 1);
    let file = store.open_feed_file("scan", "ab12", Some("scan.csv"), 1234, observed).await.unwrap();
    assert_eq!((file.state, file.rows_committed), (crate::FeedFileState::Partial, 0));
    let again = store.open_feed_file("scan", "ab12", Some("other.csv"), 1234, t(2026, 3, 2)).await.unwrap();
    assert_eq!((again.id, again.first_seen), (file.id, observed), "the same content is the same file");

    let batch = |range: std::ops::Range<u32>, rows: u64, done: bool, observed: DateTime<Utc>| {
        let mut packer = crate::EventPacker::new();
        let events = range.map(|n| new_event(&mut packer, "scan", n, observed)).collect();
        crate::FeedBatch {
            feed: "scan".into(),
            file_id: file.id,
            rows_committed: rows,
            done,
            events,
            blocks: packer.take(),
            quarantined: if done {
                vec![crate::NewQuarantine {
                    feed: "scan".into(),
                    file: Some("scan.csv".into()),
                    line: 42,
                    code: "pipeline.field_invalid".into(),
                    reason: "source.ip \"x\": not an address".into(),
                    raw: "x,\ty".into(),
                    context: Some("ip,port".into()),
                }]
            } else {
                vec![]
            },
            at: observed,
            release_quarantine: vec![],
        }
    };
    store.commit_feed_batch(&batch(0..300, 300, false, observed)).await.unwrap();
    let f = store.feed_file("scan", "ab12").await.unwrap().unwrap();
    assert_eq!((f.state, f.rows_committed), (crate::FeedFileState::Partial, 300));
    // A second day: on PostgreSQL, a second partition.
    store.commit_feed_batch(&batch(300..500, 501, true, t(2026, 3, 2))).await.unwrap();
    let f = store.feed_file("scan", "ab12").await.unwrap().unwrap();
    assert_eq!((f.state, f.rows_committed), (crate::FeedFileState::Done, 501));
    assert_eq!(store.counts().await.unwrap().events, 500);

    let window = store.dedup_window("scan", t(2026, 3, 2)).await.unwrap();
    assert_eq!(window.len(), 200);
    assert!(window.iter().all(|(h, _)| *h >= u64::MAX - 500), "hashes read back as u64");
    let all_window = store.dedup_window("scan", t(2020, 1, 1)).await.unwrap();
    assert_eq!(all_window.len(), 500);
    assert!(all_window.windows(2).all(|w| w[0].1 <= w[1].1), "oldest first: the latest time of a key wins");
    assert!(store.dedup_window("other", t(2020, 1, 1)).await.unwrap().is_empty(), "another feed's keys stay out");

    let page =
        |q: crate::EventQuery| async move { store.events_page(&crate::EventQuery { limit: 1000, ..q }).await.unwrap() };
    let all = page(Default::default()).await;
    assert_eq!(all.len(), 500);
    assert!(all.windows(2).all(|w| w[0].id > w[1].id), "newest first");
    let first: serde_json::Value = serde_json::from_str(&all[499].payload).unwrap();
    assert_eq!(first["comment"], "tab\there\\", "payload escapes survive the blocks");
    assert_eq!(first["raw"], "MTk4LjUxLjEwMC4wLDAK", "raw comes back in base64 (198.51.100.0,0)");
    let second: serde_json::Value = serde_json::from_str(&all[498].payload).unwrap();
    assert_eq!((second["extra.n"].as_u64(), second.get("raw")), (Some(1), None));
    // A batch pointing outside its blocks is refused whole.
    let mut bad = batch(600..601, 502, false, observed);
    bad.events[0].slot = 9;
    assert!(store.commit_feed_batch(&bad).await.is_err());
    assert_eq!(store.counts().await.unwrap().events, 500);
    let by = |q: crate::EventQuery| async move { page(q).await.len() };
    assert_eq!(by(crate::EventQuery { taxonomies: vec!["vulnerable".into()], ..Default::default() }).await, 250);
    assert_eq!(
        by(crate::EventQuery { classification_types: vec!["infected-system".into()], ..Default::default() }).await,
        250
    );
    assert_eq!(
        by(crate::EventQuery { source: Some("198.51.100.0/30".parse().unwrap()), ..Default::default() }).await,
        8
    );
    assert_eq!(
        by(crate::EventQuery { source: Some("198.51.100.7/32".parse().unwrap()), ..Default::default() }).await,
        2
    );
    assert_eq!(by(crate::EventQuery { source: Some("2001:db8::/32".parse().unwrap()), ..Default::default() }).await, 0);
    assert_eq!(by(crate::EventQuery { source_asn: Some(64500), ..Default::default() }).await, 167);
    assert_eq!(by(crate::EventQuery { organisation: Some(OrganisationId(7)), ..Default::default() }).await, 100);
    assert_eq!(by(crate::EventQuery { observed_after: Some(t(2026, 3, 2)), ..Default::default() }).await, 200);
    assert_eq!(by(crate::EventQuery { source_before: Some(t(2026, 3, 1)), ..Default::default() }).await, 300);
    assert_eq!(by(crate::EventQuery { feeds: vec!["other".into()], ..Default::default() }).await, 0);
    let next = store
        .events_page(&crate::EventQuery { limit: 10, before_id: Some(all[9].id), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(next.iter().map(|e| e.id).collect::<Vec<_>>(), all[10..20].iter().map(|e| e.id).collect::<Vec<_>>());
    let exported = store.events_after(0, Some("scan"), 100_000).await.unwrap();
    assert_eq!(exported.len(), 500);
    assert!(exported.windows(2).all(|w| w[0].id < w[1].id));

    let q = store.quarantine_page(Some("scan"), None, 10).await.unwrap();
    assert_eq!((q.len(), q[0].line, q[0].raw.as_str()), (1, 42, "x,\ty"));
    assert_eq!(q[0].context.as_deref(), Some("ip,port"));
    assert_eq!(store.quarantine_of_feed("scan", 0, 10).await.unwrap(), q);
    assert!(store.quarantine_of_feed("scan", q[0].id, 10).await.unwrap().is_empty());
    store.requarantine(q[0].id, "pipeline.record", "still bad").await.unwrap();
    assert_eq!(store.quarantine_of_feed("scan", 0, 10).await.unwrap()[0].reason, "still bad");
    // A re-run releases the record with its events in one transaction, once: a second
    // release (a concurrent re-run) fails whole and stores nothing.
    let release = crate::FeedBatch {
        rows_committed: 0,
        done: false,
        release_quarantine: vec![q[0].id],
        ..batch(500..501, 0, false, t(2026, 3, 2))
    };
    store.commit_feed_batch(&release).await.unwrap();
    assert!(store.quarantine_page(Some("scan"), None, 10).await.unwrap().is_empty());
    assert_eq!(store.counts().await.unwrap().events, 501);
    let f = store.feed_file("scan", "ab12").await.unwrap().unwrap();
    assert_eq!((f.state, f.rows_committed), (crate::FeedFileState::Done, 501), "the file's progress stays");
    let err = store.commit_feed_batch(&release).await.unwrap_err();
    assert!(matches!(err, crate::StorageError::Conflict(_)), "{err}");
    assert_eq!(store.counts().await.unwrap().events, 501);

    let run = crate::FeedRunRecord {
        id: 0,
        feed: "scan".into(),
        started_at: observed,
        finished_at: observed,
        files: 1,
        files_skipped: 0,
        read: 501,
        stored: 500,
        duplicates: 0,
        dropped: 0,
        quarantined: 1,
        seconds: 0.25,
        error: None,
        not_modified: false,
    };
    let mut tx = store.begin("cli:test", observed).await.unwrap();
    let id = tx.record_feed_run(&run).await.unwrap();
    tx.commit().await.unwrap();
    let runs = store.feed_runs(None, 10).await.unwrap();
    assert_eq!(runs, vec![crate::FeedRunRecord { id, ..run.clone() }]);
    let unchanged = crate::FeedRunRecord { read: 0, stored: 0, quarantined: 0, files: 0, not_modified: true, ..run };
    let mut tx = store.begin("cli:test", observed).await.unwrap();
    let unchanged_id = tx.record_feed_run(&unchanged).await.unwrap();
    tx.commit().await.unwrap();
    let runs = store.feed_runs(Some("scan"), 1).await.unwrap();
    assert_eq!(runs, vec![crate::FeedRunRecord { id: unchanged_id, ..unchanged }], "kept as not modified");
    assert!(store.verify_audit().await.unwrap().is_intact());

    store.fail_feed_file(file.id, "unreadable", observed).await.unwrap();
    assert_eq!(store.feed_file("scan", "ab12").await.unwrap().unwrap().state, crate::FeedFileState::Failed);
    let v = crate::HttpValidators { etag: Some("\"x\"".into()), last_modified: None };
    store.set_http_validators("scan", "https://feed.example/x", &v).await.unwrap();
    assert_eq!(store.http_validators("scan", "https://feed.example/x").await.unwrap(), v);
    assert_eq!(store.http_validators("scan", "https://feed.example/y").await.unwrap(), Default::default());
}

async fn attachments_keep_their_bytes_and_mail_threads_by_message_id(store: &Store) {
    let sla = SlaPolicy::default();
    let mut tx = store.begin("test", t(2026, 4, 1)).await.unwrap();
    let first =
        tx.insert_incident(&sample_incident("Phishing"), "CIRT", sla.due(Severity::High, tx.now())).await.unwrap();
    let other = tx.insert_incident(&sample_incident("Other"), "CIRT", sla.due(Severity::High, tx.now())).await.unwrap();
    let mail =
        tx.add_journal_entry(&first, JournalKind::MailIn, "jane@example.org", "See attached", None).await.unwrap();
    let note = tx
        .add_journal_entry(&first, JournalKind::Attachment, "jane@example.org", "a.bin", Some(mail.id))
        .await
        .unwrap();
    // Every byte value, and a NUL first: binary content must come back as it went in.
    let bytes: Vec<u8> = (0..=255u8).rev().chain(0..=255u8).collect();
    let kept = tx.add_attachment(&first, note.id, "a.bin", "application/octet-stream", &bytes).await.unwrap();
    tx.add_attachment(&first, note.id, "empty.txt", "text/plain", b"").await.unwrap();
    tx.add_message_id(&first, mail.id, "1@example.org", MailDirection::In).await.unwrap();
    tx.add_message_id(&first, mail.id, "2@cirt.example", MailDirection::Out).await.unwrap();
    tx.commit().await.unwrap();

    assert_eq!(kept.size, 512);
    assert_eq!(kept.sha256, hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes)));
    let listed = store.attachments(first.id).await.unwrap();
    assert_eq!(listed.iter().map(|a| a.filename.as_str()).collect::<Vec<_>>(), ["a.bin", "empty.txt"]);
    assert_eq!(listed[0], kept);
    let (record, content) = store.attachment(first.id, kept.id).await.unwrap().unwrap();
    assert_eq!((record, content), (kept.clone(), bytes));
    assert!(store.attachment(other.id, kept.id).await.unwrap().is_none(), "a file belongs to its incident only");
    assert!(store.attachments(other.id).await.unwrap().is_empty());

    assert_eq!(store.incident_by_message_ids(&["nope", "2@cirt.example"]).await.unwrap(), Some(first.id));
    assert_eq!(store.incident_by_message_ids(&["nope"]).await.unwrap(), None);
    assert_eq!(store.incident_of_received_mail("1@example.org").await.unwrap(), Some(first.id));
    assert_eq!(store.incident_of_received_mail("2@cirt.example").await.unwrap(), None, "sent, not received");
    assert!(store.verify_audit().await.unwrap().is_intact());
    let actions: Vec<String> = store.audit_entries(10).await.unwrap().into_iter().map(|e| e.action).collect();
    assert!(actions.contains(&"incident.attachment.add".to_owned()), "{actions:?}");
}

async fn incident_updates_are_stored_searchable_and_refused_when_stale(store: &Store) {
    let sla = SlaPolicy::default();
    let mut tx = store.begin("test", t(2026, 9, 1)).await.unwrap();
    let org = tx.insert_organisation(&sample_org("ISP", "192.0.2.0/24", "isp.example")).await.unwrap();
    let before = tx
        .insert_incident(&sample_incident("Drone"), "CIRT", sla.due(cirtkit_domain::Severity::High, tx.now()))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let changes = cirtkit_domain::IncidentChanges {
        title: Some("Ransomware at the ISP".into()),
        severity: Some(cirtkit_domain::Severity::Critical),
        tlp: Some(Tlp::Red),
        organisations: Some(vec![org.id]),
        ..Default::default()
    };
    let wanted = changes.apply_to(&before).unwrap();
    let mut tx = store.begin("test", t(2026, 9, 2)).await.unwrap();
    let after = tx.update_incident(&before, &wanted).await.unwrap();
    tx.commit().await.unwrap();
    let loaded = store.incident(before.id).await.unwrap().unwrap();
    assert_eq!(loaded, after);
    assert_eq!(
        (loaded.title.as_str(), loaded.tlp, loaded.organisations.clone()),
        ("Ransomware at the ISP", Tlp::Red, vec![org.id])
    );
    let found = store
        .search_incidents(
            &cirtkit_domain::IncidentQuery { text: Some("ransomware".into()), ..Default::default() },
            None,
            10,
        )
        .await
        .unwrap();
    assert_eq!(found.iter().map(|i| i.id).collect::<Vec<_>>(), vec![before.id], "the new title is searchable");
    let mut tx = store.begin("test", t(2026, 9, 3)).await.unwrap();
    let stale = tx.update_incident(&before, &wanted).await;
    assert!(matches!(stale, Err(StorageError::Conflict(_))), "{stale:?}");
}

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

// ---- Incident lists and search ----

/// What the list should answer, computed in Rust from the incidents themselves (text aside).
fn expected_match(q: &IncidentQuery, i: &Incident) -> bool {
    let within = |t: DateTime<Utc>, after: Option<DateTime<Utc>>, before: Option<DateTime<Utc>>| {
        after.is_none_or(|a| t >= a) && before.is_none_or(|b| t < b)
    };
    (q.states.is_empty() || q.states.contains(&i.state))
        && (q.severities.is_empty() || q.severities.contains(&i.severity))
        && (q.rsit_classes.is_empty() || q.rsit_classes.iter().any(|c| c == i.rsit.class()))
        && (q.tlps.is_empty() || q.tlps.contains(&i.tlp))
        && q.organisation.is_none_or(|o| i.organisations.contains(&o))
        && q.assignee.is_none_or(|u| i.assignee == Some(u))
        && within(i.created_at, q.created_after, q.created_before)
        && within(i.updated_at, q.updated_after, q.updated_before)
        && q.visible_to.is_none_or(|v| i.organisations.contains(&v.organisation) && i.tlp <= v.max_tlp)
}

/// Two organisations, an analyst, and twelve incidents whose fields vary together; each
/// incident `n` is opened on 1 February + n days and moved on a day later.
async fn search_fixture(store: &Store) -> (Vec<Incident>, [OrganisationId; 2], UserId) {
    let sla = SlaPolicy::default();
    let mut tx = store.begin("test", t(2026, 1, 20)).await.unwrap();
    let a = tx.insert_organisation(&sample_org("Org A", "192.0.2.0/24", "a.example")).await.unwrap().id;
    let b = tx.insert_organisation(&sample_org("Org B", "198.51.100.0/24", "b.example")).await.unwrap().id;
    let (name, lang) = ("sami".parse().unwrap(), "fr".parse().unwrap());
    let user = tx
        .insert_user(NewUserRecord {
            name: &name,
            display_name: "Sami",
            email: None,
            role: Role::Analyst,
            language: &lang,
            password_hash: None,
        })
        .await
        .unwrap()
        .id;
    tx.commit().await.unwrap();
    let rsits = ["malicious-code/infected-system", "fraud/phishing", "availability/ddos"];
    let mut ids = Vec::new();
    for n in 0..12u32 {
        let mut new = sample_incident(&format!("Incident {n}"));
        new.observables = vec![];
        new.severity = Severity::ALL[n as usize % 4];
        new.tlp = Tlp::ALL[n as usize % 5];
        new.rsit = rsits[n as usize % 3].parse().unwrap();
        new.organisations = match n % 3 {
            0 => vec![a],
            1 => vec![b],
            _ => vec![a, b],
        };
        new.assignee = (n % 2 == 0).then_some(user);
        let mut tx = store.begin("test", t(2026, 2, 1 + n)).await.unwrap();
        let incident = tx.insert_incident(&new, "CIRT", sla.due(new.severity, tx.now())).await.unwrap();
        tx.commit().await.unwrap();
        let mut tx = store.begin("test", t(2026, 2, 2 + n) + chrono::Duration::hours(n.into())).await.unwrap();
        if n % 3 >= 1 {
            let triaged = tx.set_incident_state(&incident, IncidentState::Triage).await.unwrap();
            if n % 3 == 2 {
                tx.set_incident_state(&triaged, IncidentState::InProgress).await.unwrap();
            }
        }
        tx.commit().await.unwrap();
        ids.push(incident.id);
    }
    let mut all = Vec::new();
    for id in ids {
        all.push(store.incident(id).await.unwrap().unwrap());
    }
    (all, [a, b], user)
}

async fn assert_search(store: &Store, all: &[Incident], q: &IncidentQuery) -> usize {
    let found = store.search_incidents(q, None, 100).await.unwrap();
    let mut expected: Vec<&Incident> = all.iter().filter(|i| expected_match(q, i)).collect();
    expected.sort_by_key(|i| std::cmp::Reverse(i.id));
    assert_eq!(
        found.iter().map(|i| i.id).collect::<Vec<_>>(),
        expected.iter().map(|i| i.id).collect::<Vec<_>>(),
        "{q:?}"
    );
    for (f, e) in found.iter().zip(&expected) {
        assert_eq!(f, *e, "what the list returns equals the incident, organisations included");
    }
    found.len()
}

async fn search_filters_alone_and_combined(store: &Store) {
    let (all, [a, b], user) = search_fixture(store).await;
    let q = IncidentQuery::default;
    let mut queries = vec![
        q(),
        IncidentQuery { states: vec![IncidentState::Triage], ..q() },
        IncidentQuery { states: vec![IncidentState::New, IncidentState::InProgress], ..q() },
        IncidentQuery { severities: vec![Severity::High], ..q() },
        IncidentQuery { severities: vec![Severity::Low, Severity::Critical], ..q() },
        q().with_rsit_class("fraud").unwrap(),
        q().with_rsit_class("fraud").unwrap().with_rsit_class("availability").unwrap(),
        IncidentQuery { tlps: vec![Tlp::Amber, Tlp::Red], ..q() },
        IncidentQuery { organisation: Some(a), ..q() },
        IncidentQuery { organisation: Some(b), ..q() },
        IncidentQuery { assignee: Some(user), ..q() },
        IncidentQuery { created_after: Some(t(2026, 2, 5)), ..q() },
        IncidentQuery { created_before: Some(t(2026, 2, 5)), ..q() },
        IncidentQuery { created_after: Some(t(2026, 2, 3)), created_before: Some(t(2026, 2, 9)), ..q() },
        IncidentQuery { updated_after: Some(t(2026, 2, 6)), updated_before: Some(t(2026, 2, 10)), ..q() },
        IncidentQuery {
            states: vec![IncidentState::Triage, IncidentState::InProgress],
            severities: vec![Severity::Low, Severity::High],
            organisation: Some(b),
            created_after: Some(t(2026, 2, 2)),
            ..q()
        },
        IncidentQuery { assignee: Some(user), tlps: vec![Tlp::Clear, Tlp::Amber, Tlp::Red], ..q() }
            .with_rsit_class("malicious-code")
            .unwrap(),
    ];
    for v in [Visibility { organisation: a, max_tlp: Tlp::Amber }, Visibility { organisation: b, max_tlp: Tlp::Green }]
    {
        queries.push(IncidentQuery { visible_to: Some(v), ..q() });
        queries.push(IncidentQuery { visible_to: Some(v), states: vec![IncidentState::New], ..q() });
    }
    for query in &queries {
        let n = assert_search(store, &all, query).await;
        assert!(query == &q() || n < all.len(), "each filter filters: {query:?}");
    }
    assert_eq!(assert_search(store, &all, &q()).await, 12);
    assert!(assert_search(store, &all, &IncidentQuery { organisation: Some(a), ..q() }).await > 0);
    // An exact bound: `after` includes, `before` excludes.
    let at = all[4].created_at;
    let from = store.search_incidents(&IncidentQuery { created_after: Some(at), ..q() }, None, 100).await.unwrap();
    assert_eq!(from.last().unwrap().id, all[4].id);
    let until = store.search_incidents(&IncidentQuery { created_before: Some(at), ..q() }, None, 100).await.unwrap();
    assert_eq!(until.first().unwrap().id, all[3].id);
    // An unknown class that bypassed the constructor matches nothing rather than everything.
    let unknown = IncidentQuery { rsit_classes: vec!["no-such-class".into()], ..q() };
    assert!(store.search_incidents(&unknown, None, 100).await.unwrap().is_empty());
    assert!(store.search_incidents(&q(), None, 0).await.unwrap().is_empty());
}

async fn search_pages_with_a_cursor(store: &Store) {
    let (all, [a, _], _) = search_fixture(store).await;
    for query in [IncidentQuery::default(), IncidentQuery { organisation: Some(a), ..Default::default() }] {
        let mut seen: Vec<IncidentId> = Vec::new();
        let mut after = None;
        loop {
            let page = store.search_incidents(&query, after, 3).await.unwrap();
            assert!(page.len() <= 3);
            let Some(last) = page.last() else { break };
            after = Some(last.id);
            seen.extend(page.iter().map(|i| i.id));
        }
        let mut expected: Vec<IncidentId> = all.iter().filter(|i| expected_match(&query, i)).map(|i| i.id).collect();
        expected.sort_by(|x, y| y.cmp(x));
        assert!(expected.len() > 3, "more than one page");
        assert_eq!(seen, expected, "every incident once, newest first");
    }
}

async fn full_text_finds_words_in_titles_descriptions_and_journals(store: &Store) {
    let sla = SlaPolicy::default();
    let mut tx = store.begin("test", t(2026, 5, 1)).await.unwrap();
    let mut texts = Vec::new();
    for (title, description) in [
        ("Botnet drone at the ISP", "Reported by a partner CIRT"),
        ("Défacement du portail", "Le serveur compromis de l'équipe municipale"),
        ("Phishing kit", "Credential harvesting page"),
        ("Unrelated", "Nothing to see"),
    ] {
        let mut new = sample_incident(title);
        new.description = description.into();
        new.observables = vec![];
        texts.push(tx.insert_incident(&new, "CIRT", sla.due(new.severity, tx.now())).await.unwrap());
    }
    tx.add_journal_entry(&texts[2], JournalKind::Comment, "analyst", "تم اكتشاف برمجية خبيثة على الخادم", None)
        .await
        .unwrap();
    tx.add_journal_entry(&texts[0], JournalKind::Comment, "analyst", "Sinkholed the C2 domain", None).await.unwrap();
    tx.commit().await.unwrap();
    let [botnet, defacement, phishing, _] = [texts[0].id, texts[1].id, texts[2].id, texts[3].id];

    let search = |text: &str| {
        let query = IncidentQuery { text: Some(text.into()), ..Default::default() };
        async move { store.search_incidents(&query, None, 100).await.unwrap().iter().map(|i| i.id).collect::<Vec<_>>() }
    };
    assert_eq!(search("botnet").await, [botnet], "a word of the title");
    assert_eq!(search("BOTNET drone").await, [botnet], "case does not matter; all words must match");
    assert_eq!(search("harvesting").await, [phishing], "a word of the description");
    assert_eq!(search("équipe").await, [defacement], "an accented French word");
    assert_eq!(search("خبيثة").await, [phishing], "an Arabic word of a journal entry");
    assert_eq!(search("sinkholed").await, [botnet], "a word of a journal entry");
    assert_eq!(search("botnet sinkholed").await, [botnet], "words from the title and the journal together");
    assert!(search("harvest").await.is_empty(), "whole words, not prefixes");
    assert!(search("ransomware").await.is_empty(), "an absent word");
    assert!(search("botnet ransomware").await.is_empty(), "one absent word is enough to miss");
    for odd in
        ["\"", "*", "OR", "(", "-", "\"botnet", "bot*", "NEAR(a b)", "a'b", "\\", ":*", "&|!", "'", "-botnet", "^"]
    {
        let query = IncidentQuery { text: Some(odd.into()), ..Default::default() };
        if let Err(e) = store.search_incidents(&query, None, 100).await {
            panic!("{odd:?} broke the query: {e}");
        }
    }
    assert_eq!(search("\"botnet").await, [botnet], "quotes are not syntax");
    assert_eq!(search("\" * ( -").await.len(), 4, "text without words does not filter");

    // Kept current: a changed title is found by its new words only (SQLite triggers, PG generated column).
    store
        .execute_raw(&format!("UPDATE incidents SET title = 'Ransomware outbreak' WHERE id = {}", botnet.0))
        .await
        .unwrap();
    assert_eq!(search("ransomware").await, [botnet]);
    assert!(search("drone").await.is_empty());
}

async fn visibility_hides_other_organisations_and_higher_tlp(store: &Store) {
    let (all, [a, b], _) = search_fixture(store).await;
    let v = Visibility { organisation: a, max_tlp: Tlp::Amber };
    let seen = store.search_incidents(&IncidentQuery { visible_to: Some(v), ..Default::default() }, None, 100).await;
    let seen = seen.unwrap();
    assert!(!seen.is_empty());
    for i in &seen {
        assert!(i.organisations.contains(&a) && i.tlp <= Tlp::Amber, "{i:?}");
    }
    let hidden = all.iter().filter(|i| !seen.iter().any(|s| s.id == i.id));
    assert!(hidden.clone().any(|i| i.organisations == [b]), "another organisation's incident is hidden");
    assert!(hidden.clone().any(|i| i.organisations.contains(&a) && i.tlp > Tlp::Amber), "TLP above the maximum");
}

async fn observable_search_matches_ranges_and_values(store: &Store) {
    let sla = SlaPolicy::default();
    let mut tx = store.begin("test", t(2026, 6, 1)).await.unwrap();
    let org = tx.insert_organisation(&sample_org("Org", "192.0.2.0/24", "org.example")).await.unwrap().id;
    let mut by_value = std::collections::HashMap::new();
    let values = [
        "192.0.2.0/24",
        "192.0.2.77",
        "192.0.2.5",
        "192.0.2.0/25",
        "192.0.0.0/16",
        "198.51.100.1",
        "2001:db8::1",
        "2001:db8::/32",
        "2001:db8:1::/48",
        "2001:db9::1",
        "evil.example",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ];
    for (n, value) in values.into_iter().enumerate() {
        let mut new = sample_incident(value);
        new.observables = vec![Observable::parse(value).unwrap()];
        new.organisations = if n % 2 == 0 { vec![org] } else { vec![] };
        let incident = tx.insert_incident(&new, "CIRT", sla.due(new.severity, tx.now())).await.unwrap();
        by_value.insert(value, incident.id);
    }
    tx.commit().await.unwrap();

    let find = |query: &str, visible_to: Option<Visibility>| {
        let observable = Observable::parse(query).unwrap();
        async move {
            let found = store.search_by_observable(&observable, visible_to, None, 100).await.unwrap();
            let mut values: Vec<String> = found
                .iter()
                .map(|(i, obs)| {
                    assert_eq!(obs.len(), 1, "each incident comes with its matching observable");
                    assert_eq!(i.title, obs[0].to_string());
                    obs[0].to_string()
                })
                .collect();
            values.sort();
            values
        }
    };
    assert_eq!(find("192.0.2.77", None).await, ["192.0.0.0/16", "192.0.2.0/24", "192.0.2.0/25", "192.0.2.77"]);
    assert_eq!(
        find("192.0.2.0/24", None).await,
        ["192.0.0.0/16", "192.0.2.0/24", "192.0.2.0/25", "192.0.2.5", "192.0.2.77"]
    );
    assert_eq!(find("192.0.2.128/25", None).await, ["192.0.0.0/16", "192.0.2.0/24"]);
    assert_eq!(find("198.51.100.0/24", None).await, ["198.51.100.1"]);
    assert!(find("203.0.113.1", None).await.is_empty());
    assert_eq!(find("2001:db8::1", None).await, ["2001:db8::/32", "2001:db8::1"]);
    assert_eq!(find("2001:db8::/32", None).await, ["2001:db8:1::/48", "2001:db8::/32", "2001:db8::1"]);
    assert_eq!(find("2001:db8:1:2::9", None).await, ["2001:db8:1::/48", "2001:db8::/32"]);
    assert!(find("2001:db7::1", None).await.is_empty());
    assert_eq!(find("evil.example", None).await, ["evil.example"]);
    assert!(find("good.example", None).await.is_empty());
    assert_eq!(find("E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", None).await.len(), 1);
    // Visibility: only the organisation's incidents (the even ones in the list above).
    let v = Some(Visibility { organisation: org, max_tlp: Tlp::Red });
    assert_eq!(find("192.0.2.0/24", v).await, ["192.0.0.0/16", "192.0.2.0/24", "192.0.2.5"]);
    let v = Some(Visibility { organisation: org, max_tlp: Tlp::Green });
    assert!(find("192.0.2.0/24", v).await.is_empty(), "the incidents are TLP:AMBER");
    // Paging.
    let net = Observable::parse("192.0.2.0/24").unwrap();
    let first = store.search_by_observable(&net, None, None, 2).await.unwrap();
    let rest = store.search_by_observable(&net, None, Some(first[1].0.id), 10).await.unwrap();
    let ids: Vec<IncidentId> = first.iter().chain(&rest).map(|(i, _)| i.id).collect();
    assert_eq!(ids.len(), 5);
    assert!(ids.windows(2).all(|w| w[0] > w[1]));
    assert_eq!(ids[0], by_value["192.0.0.0/16"]);
}
