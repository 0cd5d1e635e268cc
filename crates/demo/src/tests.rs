//! Seeds real SQLite stores and checks what `cirtkit status --json` and people looking at the
//! demonstration would check.

use crate::{DemoError, DemoOptions, DemoSummary, seed};
use chrono::{DateTime, Duration, Utc};
use cirtkit_domain::{
    Clock, IncidentState, JournalKind, LinkKind, ManualClock, Observable, Organisation, Role, Rsit, Sector, Severity,
    Tlp,
};
use cirtkit_service::storage::{ConnectOptions, DatabaseUrl, Store};
use cirtkit_service::{Principal, ServiceSettings, Services};
use ipnet::IpNet;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

fn now() -> DateTime<Utc> {
    "2026-11-30T10:00:00Z".parse().unwrap()
}

async fn fresh(dir: &tempfile::TempDir) -> (Services, Arc<ManualClock>) {
    let path = dir.path().join("cirtkit.db");
    let store = Store::connect(&DatabaseUrl::sqlite_file(&path), &ConnectOptions::default()).await.unwrap();
    store.migrate(now()).await.unwrap();
    let clock = Arc::new(ManualClock::new(now()));
    let services =
        Services::new(store, Arc::clone(&clock) as Arc<dyn Clock>, ServiceSettings::default()).await.unwrap();
    (services, clock)
}

fn options(seed: u64) -> DemoOptions {
    DemoOptions { seed, now: now(), admin_password: Some("correct horse battery staple".into()) }
}

async fn seeded(seed_value: u64) -> (tempfile::TempDir, Services, Arc<ManualClock>, DemoSummary) {
    let dir = tempfile::tempdir().unwrap();
    let (services, clock) = fresh(&dir).await;
    let started = std::time::Instant::now();
    let summary = seed(&services, &clock, &options(seed_value)).await.unwrap();
    eprintln!("seeded {} incidents in {:.1?}", summary.incidents, started.elapsed());
    (dir, services, clock, summary)
}

fn operator() -> Principal {
    Principal::Operator("test".into())
}

fn is_arabic(text: &str) -> bool {
    text.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn seeds_a_complete_demonstration_once() {
    let (_dir, services, clock, summary) = seeded(2026).await;
    let store = services.store();

    // Counts, as `cirtkit status` reports them.
    let counts = services.status().await.unwrap().counts;
    assert!(summary.organisations >= 50, "{}", summary.organisations);
    assert!(summary.incidents >= 200, "{}", summary.incidents);
    assert!(summary.partners >= 3);
    assert_eq!(counts.organisations as usize, summary.organisations);
    assert_eq!(counts.incidents as usize, summary.incidents);
    assert_eq!(counts.partners as usize, summary.partners);
    assert_eq!(counts.users as usize, summary.accounts.len());
    assert_eq!(clock.now(), now(), "the clock is left at now");

    // Accounts in every role, with passwords that work.
    let roles: BTreeSet<&str> = summary.accounts.iter().map(|a| a.role.as_str()).collect();
    assert_eq!(roles, BTreeSet::from(["admin", "analyst", "auditor", "constituent", "coordinator"]));
    assert_eq!(summary.accounts.iter().filter(|a| a.role == "analyst").count(), 2);
    let admin = summary.accounts.iter().find(|a| a.role == "admin").unwrap();
    assert_eq!((admin.name.as_str(), admin.password.as_str()), ("admin", "correct horse battery staple"));
    for account in &summary.accounts {
        assert!(account.password.len() >= 12);
        let who = services.authenticate_password(&account.name, &account.password).await.unwrap();
        assert_eq!(who.role().name(), account.role);
    }
    let users = services.users(&operator()).await.unwrap();
    let languages: BTreeSet<&str> = users.iter().map(|u| u.language.as_str()).collect();
    assert_eq!(languages, BTreeSet::from(["ar", "en", "fr"]));
    assert!(users.iter().any(|u| is_arabic(&u.display_name)));
    let constituent = users.iter().find(|u| matches!(u.role, Role::Constituent(_))).unwrap();

    // The constituency.
    let orgs = services.organisations(&operator()).await.unwrap();
    check_constituency(&orgs);
    assert!(orgs.iter().any(|o| Some(o.id) == constituent.role.organisation()));

    let partners = services.partners(&operator()).await.unwrap();
    let max_tlps: BTreeSet<Tlp> = partners.iter().map(|p| p.details.max_tlp).collect();
    assert!(max_tlps.len() >= 3, "{max_tlps:?}");
    assert!(partners.iter().any(|p| p.details.country.is_none()));
    assert!(partners.iter().all(|p| !p.details.contacts.is_empty()));

    // The incidents.
    let incidents = store.incidents_page(None, 10_000).await.unwrap();
    assert_eq!(incidents.len(), summary.incidents);
    let classes: BTreeSet<&str> = incidents.iter().map(|i| i.rsit.class()).collect();
    assert_eq!(classes.len(), Rsit::classes().count(), "{classes:?}");
    let tlps: BTreeSet<Tlp> = incidents.iter().map(|i| i.tlp).collect();
    assert_eq!(tlps.len(), Tlp::ALL.len());
    let severities: BTreeSet<Severity> = incidents.iter().map(|i| i.severity).collect();
    assert_eq!(severities.len(), Severity::ALL.len());
    let states: BTreeMap<IncidentState, usize> = incidents.iter().fold(BTreeMap::new(), |mut m, i| {
        *m.entry(i.state).or_default() += 1;
        m
    });
    assert_eq!(states.len(), IncidentState::ALL.len(), "{states:?}");
    eprintln!("states: {states:?}");
    let references: BTreeSet<String> = incidents.iter().map(|i| i.reference.to_string()).collect();
    assert_eq!(references.len(), incidents.len());
    assert!(incidents.iter().any(|i| is_arabic(&i.title)));
    assert!(incidents.iter().any(|i| i.title.contains("chez") || i.title.contains("de ")));
    let assigned = incidents.iter().filter(|i| i.assignee.is_some()).count();
    assert!(assigned * 2 > incidents.len(), "{assigned} assigned");

    // History: a year long, old incidents mostly done, recent ones mostly open.
    let year_ago = now() - Duration::days(366);
    assert!(incidents.iter().all(|i| i.created_at > year_ago && i.created_at < now()));
    assert!(incidents.iter().all(|i| i.updated_at < now()));
    let old: Vec<_> = incidents.iter().filter(|i| i.created_at < now() - Duration::days(90)).collect();
    let old_done = old.iter().filter(|i| !i.state.is_open()).count();
    assert!(old_done * 10 >= old.len() * 8, "{old_done} of {} old incidents done", old.len());
    let recent: Vec<_> = incidents.iter().filter(|i| i.created_at > now() - Duration::days(7)).collect();
    let recent_open = recent.iter().filter(|i| i.state.is_open()).count();
    assert!(
        !recent.is_empty() && recent_open * 2 >= recent.len(),
        "{recent_open} of {} recent incidents open",
        recent.len()
    );

    let index = services.index();
    let mut kinds = BTreeSet::new();
    let mut links = BTreeSet::new();
    let mut observables_total = 0;
    let mut journal_total = 0;
    let team: BTreeSet<String> = users.iter().filter(|u| u.role == Role::Analyst).map(|u| u.name.to_string()).collect();
    let mut analyst_comments = 0;
    for incident in &incidents {
        let observables = services.observables(&operator(), incident.id).await.unwrap();
        assert!((1..=4).contains(&observables.len()), "{}: {} observables", incident.reference, observables.len());
        observables_total += observables.len();
        for o in &observables {
            // Every observable reads back as itself, and the constituency lookup links the
            // organisations its addresses belong to.
            assert_eq!(&Observable::parse_as(o.kind(), &o.value()).unwrap(), o);
            if let (Observable::Ipv4(_), Some(m)) = (o, index.lookup(o)) {
                assert!(incident.organisations.contains(&m.organisation), "{}: {o}", incident.reference);
            }
        }
        let journal = services.journal(&operator(), incident.id).await.unwrap();
        let written: Vec<_> = journal.iter().filter(|e| e.kind != JournalKind::StateChange).collect();
        assert!((1..=5).contains(&written.len()), "{}: {} journal entries", incident.reference, written.len());
        journal_total += journal.len();
        kinds.extend(journal.iter().map(|e| e.kind.as_str()));
        analyst_comments +=
            written.iter().filter(|e| e.kind == JournalKind::Comment && team.contains(&e.author)).count();
        assert!(journal.windows(2).all(|w| w[0].at <= w[1].at));
        assert!(journal.iter().all(|e| e.at >= incident.created_at && e.at < now()));
        assert!(!journal.iter().any(|e| e.body.contains("{ref}") || e.body.contains("{other}")));
        let state_changes = journal.iter().filter(|e| e.kind == JournalKind::StateChange).count();
        assert_eq!(state_changes == 0, incident.state == IncidentState::New);
        for link in store.incident_links(incident.id).await.unwrap() {
            links.insert((link.from, link.to, link.kind.as_str()));
        }
    }
    for kind in [JournalKind::Comment, JournalKind::MailIn, JournalKind::MailOut, JournalKind::StateChange] {
        assert!(kinds.contains(kind.as_str()), "{kind:?}");
    }
    assert!(analyst_comments > 50, "{analyst_comments}");
    let link_kinds: BTreeSet<&str> = links.iter().map(|l| l.2).collect();
    assert!(
        link_kinds.contains(LinkKind::Related.as_str()) && link_kinds.contains(LinkKind::DuplicateOf.as_str()),
        "{link_kinds:?}"
    );
    eprintln!("{observables_total} observables, {journal_total} journal entries, {} links", links.len());

    // The audit chain holds, in time order, and names people.
    let audit = store.verify_audit().await.unwrap();
    assert_eq!(audit.first_bad_row, None, "{:?}", audit.reason);
    let entries = store.audit_entries(100_000).await.unwrap();
    eprintln!("{} audit records", entries.len());
    let seeded: Vec<_> = entries.iter().rev().skip_while(|e| !e.actor.starts_with("cli:")).collect();
    assert!(seeded.windows(2).all(|w| w[0].at <= w[1].at), "audit times only increase");
    let actors: BTreeSet<&str> = seeded.iter().map(|e| e.actor.as_str()).collect();
    assert!(
        actors.contains("cli:cirtkit-demo") && actors.contains("user:admin") && actors.contains("user:karim.mansouri")
    );

    // A second demonstration is refused.
    let again = seed(&services, &clock, &options(2026)).await;
    assert!(matches!(again, Err(DemoError::NotEmpty(_))), "{again:?}");
}

fn check_constituency(orgs: &[Organisation]) {
    let sectors: BTreeSet<Sector> = orgs.iter().map(|o| o.details.sector).collect();
    assert!(sectors.len() >= 6, "{sectors:?}");
    let mut with_v6 = 0;
    let mut contact_languages: BTreeMap<String, usize> = BTreeMap::new();
    let mut arabic_names = 0;
    for org in orgs {
        let d = &org.details;
        let v4 = d.netblocks.iter().filter(|n| matches!(n, IpNet::V4(_))).count();
        assert!((1..=4).contains(&v4), "{}: {v4} IPv4 netblocks", d.name);
        if d.netblocks.iter().any(|n| matches!(n, IpNet::V6(_))) {
            with_v6 += 1;
        }
        assert!(d.asns.len() <= 2);
        assert!(d.asns.iter().all(|a| (64_512..=65_534).contains(&a.get()) || a.get() >= 4_200_000_000));
        assert!((1..=3).contains(&d.contacts.len()), "{}", d.name);
        assert!(!d.domains.is_empty() && d.domains.iter().all(|x| x.as_str().ends_with(".tn.example")));
        assert_eq!(d.country.as_str(), "TN");
        for c in &d.contacts {
            assert!(d.domains.contains(c.email.domain()), "{}: {}", d.name, c.email);
            assert!(d.languages.contains(&c.language));
            assert!(c.phone.as_deref().is_none_or(|p| p.starts_with("+216 ")));
            *contact_languages.entry(c.language.to_string()).or_default() += 1;
            arabic_names += usize::from(is_arabic(&c.name));
        }
    }
    assert!(with_v6 * 10 >= orgs.len() * 7, "{with_v6} of {} with IPv6", orgs.len());
    for language in ["ar", "en", "fr"] {
        assert!(contact_languages.get(language).copied().unwrap_or(0) >= 10, "{contact_languages:?}");
    }
    assert!(arabic_names >= 5, "{arabic_names}");

    // Netblocks overlap only where a customer's lies inside its carrier's.
    let mut nested = BTreeSet::new();
    for a in orgs {
        for b in orgs {
            if a.id == b.id {
                continue;
            }
            for na in &a.details.netblocks {
                for nb in &b.details.netblocks {
                    if na.contains(&nb.network()) || nb.contains(&na.network()) {
                        let (outer, inner) = if na.prefix_len() <= nb.prefix_len() { (na, nb) } else { (nb, na) };
                        assert!(outer.contains(inner), "{na} and {nb} overlap");
                        assert!(matches!(outer.prefix_len(), 14 | 40), "{outer} holds {inner}");
                        nested.insert(if outer == na { b.id } else { a.id });
                    }
                }
            }
        }
    }
    assert!(nested.len() >= 3, "{nested:?}");
}

/// What two demonstrations must have alike: everything but password hashes.
async fn snapshot(services: &Services) -> Vec<String> {
    let who = operator();
    let mut lines: Vec<String> = Vec::new();
    lines.extend(services.organisations(&who).await.unwrap().iter().map(|o| format!("{o:?}")));
    lines.extend(services.partners(&who).await.unwrap().iter().map(|p| format!("{p:?}")));
    lines.extend(
        services
            .users(&who)
            .await
            .unwrap()
            .iter()
            .map(|u| format!("{} {} {} {:?} {}", u.id, u.name, u.display_name, u.role, u.created_at)),
    );
    for incident in services.store().incidents_page(None, 10_000).await.unwrap() {
        lines.push(format!("{incident:?}"));
        lines.extend(services.journal(&who, incident.id).await.unwrap().iter().map(|e| format!("{e:?}")));
        lines.extend(services.observables(&who, incident.id).await.unwrap().iter().map(|o| o.to_string()));
        lines.extend(services.store().incident_links(incident.id).await.unwrap().iter().map(|l| format!("{l:?}")));
    }
    lines
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn the_same_seed_gives_the_same_demonstration() {
    let (_a, first, _, _) = seeded(7).await;
    let (_b, second, _, _) = seeded(7).await;
    let (one, two) = (snapshot(&first).await, snapshot(&second).await);
    assert_eq!(one.len(), two.len());
    for (x, y) in one.iter().zip(&two) {
        assert_eq!(x, y);
    }
    // The audit records match too, but for the password hashes' random salts.
    let strip = |entries: Vec<cirtkit_service::storage::AuditEntry>| -> Vec<String> {
        entries
            .into_iter()
            .filter(|e| e.action != "user.create")
            .map(|e| format!("{} {} {} {} {:?}", e.at, e.actor, e.action, e.entity_id, e.after))
            .collect()
    };
    let a = strip(first.store().audit_entries(100_000).await.unwrap());
    let b = strip(second.store().audit_entries(100_000).await.unwrap());
    assert_eq!(a, b);
}
