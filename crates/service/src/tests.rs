//! The rules the services enforce, checked through the services themselves on a real (SQLite)
//! store: roles, what a constituent may see, the process, authentication and the audit trail.

use crate::{NewUser, Principal, ServiceError, ServiceSettings, Services};
use chrono::TimeZone;
use cirtkit_domain::{
    Clock, Contact, ContactRole, IncidentState, JournalKind, ManualClock, NewIncident, NewOrganisation, NewPartner,
    Observable, Pap, Role, Sector, Severity, Tlp, Transition, User,
};
use cirtkit_storage::{ConnectOptions, DatabaseUrl, Store};
use std::sync::Arc;

struct World {
    services: Services,
    clock: Arc<ManualClock>,
    _dir: tempfile::TempDir,
}

async fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let store =
        Store::connect(&DatabaseUrl::sqlite_file(&dir.path().join("t.db")), &ConnectOptions::default()).await.unwrap();
    let clock = Arc::new(ManualClock::new(chrono::Utc.with_ymd_and_hms(2026, 5, 4, 8, 0, 0).unwrap()));
    store.migrate(clock.now()).await.unwrap();
    let services = Services::new(store, clock.clone(), ServiceSettings::default()).await.unwrap();
    World { services, clock, _dir: dir }
}

fn signed(step: crate::LoginStep) -> crate::NewSession {
    match step {
        crate::LoginStep::Signed(session) => session,
        other => panic!("expected a session, got {other:?}"),
    }
}

fn operator() -> Principal {
    Principal::Operator("test".into())
}

pub(crate) fn org(name: &str, net: &str, domain: &str) -> NewOrganisation {
    NewOrganisation {
        name: name.into(),
        sector: Sector::Finance,
        country: "SN".parse().unwrap(),
        languages: vec!["fr".parse().unwrap()],
        contacts: vec![Contact {
            name: "CSIRT".into(),
            email: format!("csirt@{domain}").parse().unwrap(),
            phone: None,
            openpgp_key: None,
            language: "fr".parse().unwrap(),
            role: ContactRole::Abuse,
        }],
        netblocks: vec![net.parse().unwrap()],
        asns: vec![],
        domains: vec![domain.parse().unwrap()],
    }
}

async fn user(w: &World, name: &str, role: Role) -> User {
    w.services
        .create_user(
            &operator(),
            NewUser {
                name: name.parse().unwrap(),
                display_name: name.into(),
                email: None,
                role,
                language: "fr".parse().unwrap(),
                password: Some("a long test password".into()),
            },
        )
        .await
        .unwrap()
}

fn incident(title: &str, tlp: Tlp, observable: &str) -> NewIncident {
    NewIncident {
        title: title.into(),
        description: String::new(),
        rsit: "fraud/phishing".parse().unwrap(),
        severity: Severity::Critical,
        tlp,
        pap: Pap::Amber,
        assignee: None,
        organisations: vec![],
        observables: vec![Observable::parse(observable).unwrap()],
    }
}

fn forbidden<T>(r: Result<T, ServiceError>) -> bool {
    matches!(r, Err(ServiceError::Forbidden(_)))
}

#[tokio::test]
async fn roles_are_enforced_by_the_services() {
    let w = world().await;
    let bank =
        w.services.create_organisation(&operator(), org("Banque", "192.0.2.0/24", "banque.example")).await.unwrap();
    let auditor = Principal::User(user(&w, "audrey", Role::Auditor).await);
    let analyst = Principal::User(user(&w, "ali", Role::Analyst).await);
    let coordinator = Principal::User(user(&w, "coco", Role::Coordinator).await);
    let constituent = Principal::User(user(&w, "cons", Role::Constituent(bank.id)).await);

    assert!(forbidden(w.services.create_organisation(&auditor, org("X", "198.51.100.0/24", "x.example")).await));
    assert!(forbidden(w.services.create_organisation(&analyst, org("X", "198.51.100.0/24", "x.example")).await));
    assert!(forbidden(w.services.create_incident(&auditor, incident("t", Tlp::Green, "192.0.2.1")).await));
    assert!(forbidden(w.services.create_incident(&constituent, incident("t", Tlp::Green, "192.0.2.1")).await));
    let partner = NewPartner { name: "CERT-X".into(), country: None, contacts: vec![], max_tlp: Tlp::Green };
    assert!(forbidden(w.services.create_partner(&analyst, partner.clone()).await));
    w.services.create_partner(&coordinator, partner).await.unwrap();
    assert!(forbidden(w.services.users(&constituent).await));
    assert!(forbidden(w.services.verify_audit(&analyst).await));
    assert!(w.services.verify_audit(&auditor).await.unwrap().is_intact());
    assert!(forbidden(
        w.services
            .create_user(
                &coordinator,
                NewUser {
                    name: "eve".parse().unwrap(),
                    display_name: "Eve".into(),
                    email: None,
                    role: Role::Admin,
                    language: "en".parse().unwrap(),
                    password: None,
                },
            )
            .await
    ));
}

#[tokio::test]
async fn a_constituent_sees_only_its_own_incidents_below_red() {
    let w = world().await;
    let op = operator();
    let bank = w.services.create_organisation(&op, org("Banque", "192.0.2.0/24", "banque.example")).await.unwrap();
    let other = w.services.create_organisation(&op, org("Autre", "198.51.100.0/24", "autre.example")).await.unwrap();
    let analyst = Principal::User(user(&w, "ali", Role::Analyst).await);
    let cons = Principal::User(user(&w, "cons", Role::Constituent(bank.id)).await);

    // The lookup of the observable puts each incident on its owner.
    let own = w
        .services
        .create_incident(&analyst, incident("own", Tlp::Amber, "hxxp://login.banque[.]example/"))
        .await
        .unwrap();
    assert_eq!(own.organisations, vec![bank.id]);
    let red = w.services.create_incident(&analyst, incident("red", Tlp::Red, "192.0.2.7")).await.unwrap();
    let theirs = w.services.create_incident(&analyst, incident("theirs", Tlp::Clear, "198.51.100.9")).await.unwrap();
    assert_eq!(theirs.organisations, vec![other.id]);

    assert_eq!(w.services.incident(&cons, own.id).await.unwrap().id, own.id);
    assert!(
        matches!(w.services.incident(&cons, red.id).await, Err(ServiceError::NotFound(_))),
        "TLP:RED stays in the team"
    );
    assert!(matches!(w.services.incident(&cons, theirs.id).await, Err(ServiceError::NotFound(_))));
    assert!(w.services.journal(&cons, theirs.id).await.is_err());

    // The constituency answers a constituent only about its own networks.
    let q = Observable::parse("198.51.100.9").unwrap();
    assert!(w.services.lookup(&cons, &q).await.unwrap().is_none());
    assert_eq!(w.services.lookup(&analyst, &q).await.unwrap().unwrap().1.id, other.id);
    assert_eq!(w.services.organisations(&cons).await.unwrap().len(), 1);
    assert!(w.services.organisation(&cons, other.id).await.is_err());
}

#[tokio::test]
async fn the_process_is_followed_and_journalled_with_sla_times() {
    let w = world().await;
    let analyst = Principal::User(user(&w, "ali", Role::Analyst).await);
    let opened = w.services.create_incident(&analyst, incident("Phishing", Tlp::Green, "evil.example")).await.unwrap();
    assert_eq!(opened.reference.to_string(), "CIRT-2026-00001");
    assert_eq!(opened.respond_by - opened.created_at, chrono::Duration::hours(1), "critical: one hour");
    let illegal = w.services.transition(&analyst, opened.id, Transition::Resolve).await;
    assert!(matches!(illegal, Err(ServiceError::Conflict(_))), "{illegal:?}");
    w.clock.advance(chrono::Duration::minutes(30));
    w.services.transition(&analyst, opened.id, Transition::Triage).await.unwrap();
    w.clock.advance(chrono::Duration::minutes(45));
    let started = w.services.transition(&analyst, opened.id, Transition::Start).await.unwrap();
    assert_eq!(started.state, IncidentState::InProgress);
    assert!(started.response_overdue(w.clock.now()), "first response after 75 minutes misses a one-hour target");
    let journal = w.services.journal(&analyst, opened.id).await.unwrap();
    assert_eq!(journal.iter().filter(|e| e.kind == JournalKind::StateChange).count(), 2);
    assert!(w.services.add_journal_entry(&analyst, opened.id, JournalKind::StateChange, "x", None).await.is_err());
    assert!(w.services.add_journal_entry(&analyst, opened.id, JournalKind::Comment, "   ", None).await.is_err());
    let c = w
        .services
        .add_journal_entry(&analyst, opened.id, JournalKind::Comment, "Takedown requested", None)
        .await
        .unwrap();
    assert_eq!(c.author, "ali");
    let audit = w.services.store().audit_entries(1).await.unwrap();
    assert_eq!(audit[0].actor, "user:ali");
    assert_eq!(audit[0].action, "incident.journal.add");
}

#[tokio::test]
async fn passwords_and_tokens_authenticate_until_disabled_or_revoked() {
    let w = world().await;
    let ali = user(&w, "ali", Role::Analyst).await;
    let who = w.services.authenticate_password("ali", "a long test password").await.unwrap();
    assert_eq!(who.user().unwrap().id, ali.id);
    for (name, password) in [("ali", "wrong password!!"), ("nobody", "a long test password"), ("NOT A NAME", "x")] {
        let denied = w.services.authenticate_password(name, password).await;
        assert!(matches!(denied, Err(ServiceError::Unauthenticated(_))), "{name}");
    }
    let (record, secret) = w.services.create_token(&who, &ali.name, "script").await.unwrap();
    let by_token = w.services.authenticate_token(&secret.0).await.unwrap();
    assert_eq!(by_token.actor(), format!("token:{}:ali", record.id));
    assert!(w.services.authenticate_token("cirtkit_0000").await.is_err());

    w.services.set_user_disabled(&operator(), &ali.name, true).await.unwrap();
    assert!(w.services.authenticate_password("ali", "a long test password").await.is_err());
    assert!(w.services.authenticate_token(&secret.0).await.is_err(), "a disabled user's tokens stop working");
    w.services.set_user_disabled(&operator(), &ali.name, false).await.unwrap();
    w.services.revoke_token(&operator(), record.id).await.unwrap();
    assert!(w.services.authenticate_token(&secret.0).await.is_err());
}

#[tokio::test]
async fn imports_are_matched_by_name_and_rebuild_the_lookup() {
    let w = world().await;
    let op = operator();
    let first = w.services.import_organisations(&op, vec![org("A", "192.0.2.0/24", "a.example")]).await.unwrap();
    assert_eq!(first.created, 1);
    let q = Observable::parse("198.51.100.1").unwrap();
    assert!(w.services.lookup(&op, &q).await.unwrap().is_none());
    let moved = org("A", "198.51.100.0/24", "a.example");
    let second = w
        .services
        .import_organisations(&op, vec![moved.clone(), org("B", "203.0.113.0/24", "b.example")])
        .await
        .unwrap();
    assert_eq!((second.created, second.updated, second.unchanged), (1, 1, 0));
    assert_eq!(w.services.lookup(&op, &q).await.unwrap().unwrap().1.details.name, "A");
    let third = w.services.import_organisations(&op, vec![moved]).await.unwrap();
    assert_eq!(third.unchanged, 1);
    // A failing import changes nothing: the second organisation's duplicate netblock row is fine,
    // but an organisation without a name is not.
    let mut bad = org("C", "10.0.0.0/8", "c.example");
    bad.name = " ".into();
    assert!(w.services.import_organisations(&op, vec![org("D", "10.1.0.0/16", "d.example"), bad]).await.is_err());
    assert_eq!(w.services.status().await.unwrap().counts.organisations, 2);
}

#[tokio::test]
async fn sessions_open_throttle_expire_and_close() {
    let w = world().await;
    let ali = user(&w, "ali", Role::Analyst).await;
    let session = signed(w.services.login("ali", "a long test password", "192.0.2.1").await.unwrap());
    assert_eq!(session.secret.len(), 64);
    let live = w.services.session(&session.secret).await.unwrap();
    assert_eq!(live.principal.user().unwrap().id, ali.id);
    assert_eq!(live.csrf_token, session.csrf_token);
    assert!(w.services.session(&"0".repeat(64)).await.is_err());

    // Five failures lock the account, even for the right password, from any address.
    for _ in 0..5 {
        assert!(w.services.login("ali", "wrong password!!", "198.51.100.7").await.is_err());
    }
    let locked = w.services.login("ali", "a long test password", "192.0.2.1").await.unwrap_err();
    assert!(locked.to_string().contains("too many failed sign-ins"), "{locked}");
    w.clock.advance(chrono::Duration::minutes(16));
    let second = signed(w.services.login("ali", "a long test password", "192.0.2.1").await.unwrap());

    // Idle expiry: 12 hours without use ends a session; use keeps it alive.
    w.clock.advance(chrono::Duration::hours(11));
    assert!(w.services.session(&second.secret).await.is_ok());
    w.clock.advance(chrono::Duration::hours(11));
    assert!(w.services.session(&second.secret).await.is_ok(), "the last use extended it");
    assert!(w.services.session(&session.secret).await.is_err(), "the first one idled out");
    w.clock.advance(chrono::Duration::hours(13));
    assert!(w.services.session(&second.secret).await.is_err());

    // Signing out, changing the password and disabling all end sessions.
    let third = signed(w.services.login("ali", "a long test password", "192.0.2.1").await.unwrap());
    w.services.logout(&third.secret).await.unwrap();
    assert!(w.services.session(&third.secret).await.is_err());
    let fourth = signed(w.services.login("ali", "a long test password", "192.0.2.1").await.unwrap());
    w.services.set_password(&operator(), &ali.name, "a brand new password").await.unwrap();
    assert!(w.services.session(&fourth.secret).await.is_err());
    let fifth = signed(w.services.login("ali", "a brand new password", "192.0.2.1").await.unwrap());
    w.services.set_user_disabled(&operator(), &ali.name, true).await.unwrap();
    assert!(w.services.session(&fifth.secret).await.is_err());
    let actions: Vec<String> =
        w.services.store().audit_entries(50).await.unwrap().into_iter().map(|e| e.action).collect();
    assert!(actions.iter().any(|a| a == "user.login") && actions.iter().any(|a| a == "user.logout"), "{actions:?}");
}

/// The code an authenticator shows for `secret` at `at`.
fn totp_code(secret: &str, at: chrono::DateTime<chrono::Utc>) -> String {
    let secret = totp_rs::Secret::try_from_base32(secret).unwrap();
    totp_rs::Builder::new().with_secret(secret).build().unwrap().generate(at.timestamp() as u64).to_string()
}

#[tokio::test]
async fn a_second_factor_is_enrolled_asked_for_and_not_replayed() {
    let w = world().await;
    let ali = user(&w, "ali", Role::Analyst).await;
    let me = Principal::User(ali.clone());
    let enrolment = w.services.new_totp_enrolment(&me).unwrap();
    assert!(enrolment.uri.starts_with("otpauth://totp/cirtkit%20CIRT:ali?secret="), "{}", enrolment.uri);
    let wrong = w.services.enable_totp(&me, &enrolment.secret, "000000").await;
    assert!(matches!(wrong, Err(ServiceError::Invalid(_))) || totp_code(&enrolment.secret, w.clock.now()) == "000000");
    w.services.enable_totp(&me, &enrolment.secret, &totp_code(&enrolment.secret, w.clock.now())).await.unwrap();
    assert!(w.services.has_second_factor(&ali).await.unwrap());

    // The password alone no longer signs in: it gives a ticket for the code.
    w.clock.advance(chrono::Duration::seconds(60));
    let crate::LoginStep::SecondFactor { ticket } =
        w.services.login("ali", "a long test password", "192.0.2.1").await.unwrap()
    else {
        panic!("a code should be asked for");
    };
    assert!(w.services.login_second_factor(&ticket, "12345", "192.0.2.1").await.is_err());
    let code = totp_code(&enrolment.secret, w.clock.now());
    let session = w.services.login_second_factor(&ticket, &code, "192.0.2.1").await.unwrap();
    assert!(w.services.session(&session.secret).await.is_ok());
    assert!(w.services.login_second_factor(&ticket, &code, "192.0.2.1").await.is_err(), "the ticket is used up");

    // The same code again (same 30-second step) is refused: a replay.
    let crate::LoginStep::SecondFactor { ticket } =
        w.services.login("ali", "a long test password", "192.0.2.1").await.unwrap()
    else {
        panic!("a code should be asked for");
    };
    assert!(w.services.login_second_factor(&ticket, &code, "192.0.2.1").await.is_err());
    // Tickets expire.
    w.clock.advance(crate::PENDING_LOGIN + chrono::Duration::seconds(1));
    let fresh = totp_code(&enrolment.secret, w.clock.now());
    assert!(w.services.login_second_factor(&ticket, &fresh, "192.0.2.1").await.is_err());

    // Turning it off needs a code from the user, not from an admin.
    assert!(w.services.disable_totp(&me, &ali.name, Some("999999")).await.is_err() || fresh == "999999");
    w.services.disable_totp(&operator(), &ali.name, None).await.unwrap();
    assert!(!w.services.has_second_factor(&ali).await.unwrap());
    let actions: Vec<String> =
        w.services.store().audit_entries(50).await.unwrap().into_iter().map(|e| e.action).collect();
    assert!(actions.iter().any(|a| a == "user.totp.enable") && actions.iter().any(|a| a == "user.totp.disable"));
}

#[tokio::test]
async fn a_public_report_opens_an_incident_in_triage_and_is_rate_limited() {
    let w = world().await;
    w.services.import_organisations(&operator(), vec![org("Bank", "198.51.100.0/24", "bank.example")]).await.unwrap();
    let report = crate::PublicReport {
        category: crate::ReportCategory::Phishing,
        description: "I got a mail asking for my password, link hxxp://login.bank[.]example/verify from 198.51.100.7"
            .into(),
        reporter_name: "Samia".into(),
        reporter_email: Some("samia@example.org".parse().unwrap()),
        reporter_organisation: String::new(),
        language: "ar".into(),
    };
    let reference = w.services.submit_public_report(report.clone(), "203.0.113.9").await.unwrap();
    let incident = w.services.incident_by_key(&operator(), &reference.to_string()).await.unwrap();
    assert_eq!(incident.state, IncidentState::Triage);
    assert_eq!(incident.rsit.to_string(), "fraud/phishing");
    assert_eq!(incident.organisations.len(), 1, "the owner of 198.51.100.7 is affected");
    let observables = w.services.observables(&operator(), incident.id).await.unwrap();
    assert!(observables.iter().any(|o| o.value() == "198.51.100.7"), "{observables:?}");
    let journal = w.services.journal(&operator(), incident.id).await.unwrap();
    assert!(journal.iter().any(|e| e.body.contains("samia@example.org") && e.body.contains("203.0.113.9")));

    for _ in 1..crate::public::REPORTS_PER_ADDRESS_PER_HOUR {
        w.services.submit_public_report(report.clone(), "203.0.113.9").await.unwrap();
    }
    let refused = w.services.submit_public_report(report.clone(), "203.0.113.9").await.unwrap_err();
    assert!(matches!(refused, ServiceError::Conflict(_)), "{refused}");
    let short = crate::PublicReport { description: "help".into(), ..report };
    assert!(matches!(w.services.submit_public_report(short, "203.0.113.10").await, Err(ServiceError::Invalid(_))));
}

#[tokio::test]
async fn merging_moves_observables_and_mail_and_closes_the_duplicate() {
    let w = world().await;
    let op = operator();
    let new = |title: &str, obs: &str, tlp: Tlp| NewIncident {
        title: title.into(),
        description: String::new(),
        rsit: "fraud/phishing".parse().unwrap(),
        severity: Severity::High,
        tlp,
        pap: Pap::Amber,
        assignee: None,
        organisations: vec![],
        observables: vec![Observable::parse(obs).unwrap()],
    };
    let a = w.services.create_incident(&op, new("first", "192.0.2.1", Tlp::Green)).await.unwrap();
    let b = w.services.create_incident(&op, new("second", "bad.example", Tlp::Amber)).await.unwrap();
    w.services.add_journal_entry(&op, b.id, JournalKind::Comment, "seen on the bank's portal", None).await.unwrap();
    let merged = w.services.merge_incidents(&op, b.id, a.id).await.unwrap();
    assert_eq!(merged.tlp, Tlp::Amber, "the stricter marking wins");
    let obs: Vec<String> = w.services.observables(&op, a.id).await.unwrap().iter().map(Observable::value).collect();
    assert!(obs.contains(&"bad.example".to_owned()) && obs.contains(&"192.0.2.1".to_owned()), "{obs:?}");
    let journal = w.services.journal(&op, a.id).await.unwrap();
    assert!(journal.iter().any(|e| e.body.contains("seen on the bank's portal")));
    assert_eq!(w.services.incident(&op, b.id).await.unwrap().state, IncidentState::Closed);
    assert!(matches!(w.services.merge_incidents(&op, b.id, a.id).await, Err(ServiceError::Conflict(_))));
    assert!(matches!(w.services.merge_incidents(&op, a.id, a.id).await, Err(ServiceError::Invalid(_))));
}

#[tokio::test]
async fn the_dashboard_counts_what_the_viewer_may_see() {
    let w = world().await;
    let op = operator();
    let orgs =
        w.services.import_organisations(&op, vec![org("Bank", "198.51.100.0/24", "bank.example")]).await.unwrap();
    let _ = orgs;
    let bank = w.services.organisations(&op).await.unwrap()[0].id;
    let mk = |sev: Severity, tlp: Tlp, org: bool| NewIncident {
        title: "x".into(),
        description: String::new(),
        rsit: "fraud/phishing".parse().unwrap(),
        severity: sev,
        tlp,
        pap: Pap::Amber,
        assignee: None,
        organisations: if org { vec![bank] } else { vec![] },
        observables: vec![],
    };
    w.services.create_incident(&op, mk(Severity::High, Tlp::Amber, true)).await.unwrap();
    w.services.create_incident(&op, mk(Severity::Critical, Tlp::Red, true)).await.unwrap();
    let c = w.services.create_incident(&op, mk(Severity::Low, Tlp::Green, false)).await.unwrap();
    w.services.transition(&op, c.id, Transition::Triage).await.unwrap();
    w.services.transition(&op, c.id, Transition::Close).await.unwrap();
    w.clock.advance(chrono::Duration::days(3));
    let d = w.services.dashboard(&op).await.unwrap();
    assert_eq!(d.open_total, 2);
    assert_eq!(d.by_state[0], (IncidentState::New, 2));
    assert_eq!(d.by_severity[0], (Severity::Critical, 1));
    assert_eq!(d.response_overdue, 2, "three days without a response");
    assert_eq!(d.days.len(), 30);
    assert_eq!(d.days.iter().map(|(_, o, _)| o).sum::<i64>(), 3);
    let constituent = Principal::User(user(&w, "bank", Role::Constituent(bank)).await);
    let seen = w.services.dashboard(&constituent).await.unwrap();
    assert_eq!(seen.open_total, 1, "not the TLP:RED one, not another organisation's");
}

fn mail(raw: &str) -> cirtkit_intake::InboundMail {
    cirtkit_intake::parse_mail(raw.replace('\n', "\r\n").as_bytes()).unwrap()
}

const REPORT: &str = "From: jane@citizen.example\nSubject: Phishing page\nMessage-ID: <r1@citizen.example>\n\
MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\n\
See hxxp://bank-login[.]example/ and the capture.\n--b\nContent-Type: application/octet-stream\n\
Content-Disposition: attachment; filename=\"../capture.bin\"\nContent-Transfer-Encoding: base64\n\n\
AAECAwQFBgcICQ==\n--b--\n";

#[tokio::test]
async fn mail_attachments_are_kept_and_shown_only_to_who_sees_the_incident() {
    let w = world().await;
    let s = &w.services;
    let op = operator();
    let bank = s.create_organisation(&op, org("Banque", "192.0.2.0/24", "bank-login.example")).await.unwrap().id;
    let other = s.create_organisation(&op, org("Port", "198.51.100.0/24", "port.example")).await.unwrap().id;
    let outcome = s.ingest_mail(&op, mail(REPORT)).await.unwrap();
    assert!(outcome.created);
    let reported = s.incident_by_key(&op, &outcome.reference.to_string()).await.unwrap();
    assert_eq!(reported.organisations, vec![bank]);
    let files = s.attachments(&op, reported.id).await.unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!((files[0].filename.as_str(), files[0].size), ("capture.bin", 10));
    let (record, bytes) = s.attachment(&op, reported.id, files[0].id).await.unwrap();
    assert_eq!((record, bytes), (files[0].clone(), (0..10).collect::<Vec<u8>>()));
    let journal = s.journal(&op, reported.id).await.unwrap();
    assert_eq!(files[0].journal_entry, journal[1].id, "the file hangs under its journal entry");
    assert!(journal[1].body.contains("kept with the incident's attachments"), "{}", journal[1].body);

    let ours = Principal::User(user(&w, "bank", Role::Constituent(bank)).await);
    let theirs = Principal::User(user(&w, "port", Role::Constituent(other)).await);
    assert_eq!(s.attachments(&ours, reported.id).await.unwrap().len(), 1);
    assert!(matches!(s.attachments(&theirs, reported.id).await, Err(ServiceError::NotFound(_))));
    assert!(matches!(s.attachment(&theirs, reported.id, files[0].id).await, Err(ServiceError::NotFound(_))));
    let other_incident = s.create_incident(&op, incident("Scan", Tlp::Green, "198.51.100.9")).await.unwrap();
    assert!(
        matches!(s.attachment(&op, other_incident.id, files[0].id).await, Err(ServiceError::NotFound(_))),
        "a file is read through its own incident only"
    );
    // TLP:RED hides the files from the constituent as it hides the incident.
    let changes = cirtkit_domain::IncidentChanges { tlp: Some(Tlp::Red), ..Default::default() };
    s.update_incident(&op, reported.id, changes).await.unwrap();
    assert!(matches!(s.attachment(&ours, reported.id, files[0].id).await, Err(ServiceError::NotFound(_))));
}

#[tokio::test]
async fn an_attachment_over_the_limit_is_noted_not_kept_and_the_mail_is_filed() {
    let dir = tempfile::tempdir().unwrap();
    let store =
        Store::connect(&DatabaseUrl::sqlite_file(&dir.path().join("t.db")), &ConnectOptions::default()).await.unwrap();
    let clock = Arc::new(ManualClock::new(chrono::Utc.with_ymd_and_hms(2026, 5, 4, 8, 0, 0).unwrap()));
    store.migrate(clock.now()).await.unwrap();
    let settings = ServiceSettings { max_attachment_bytes: 4, ..Default::default() };
    let s = Services::new(store, clock, settings).await.unwrap();
    let outcome = s.ingest_mail(&operator(), mail(REPORT)).await.unwrap();
    let incident = s.incident_by_key(&operator(), &outcome.reference.to_string()).await.unwrap();
    assert!(s.attachments(&operator(), incident.id).await.unwrap().is_empty());
    let journal = s.journal(&operator(), incident.id).await.unwrap();
    assert_eq!(journal.len(), 2);
    assert!(journal[1].body.contains("not kept: larger than the 4 bytes"), "{}", journal[1].body);
}

#[tokio::test]
async fn a_mail_answering_a_filed_mail_is_threaded_by_its_references() {
    let w = world().await;
    let s = &w.services;
    let op = operator();
    let first = s.ingest_mail(&op, mail(REPORT)).await.unwrap();
    let answer = "From: jane@citizen.example\nSubject: one more thing\nMessage-ID: <r2@citizen.example>\n\
In-Reply-To: <unknown@elsewhere.example>\nReferences: <r1@citizen.example> <unknown@elsewhere.example>\n\n\
The page is back up.\n";
    let second = s.ingest_mail(&op, mail(answer)).await.unwrap();
    assert_eq!((second.reference.clone(), second.created), (first.reference.clone(), false));
    let unrelated = answer.replace("r1@citizen", "r9@citizen").replace("r2@", "r3@");
    assert!(s.ingest_mail(&op, mail(&unrelated)).await.unwrap().created, "no known Message-ID: a new incident");
    let found = s.incident_of_received_mail(&op, "<r2@citizen.example>").await.unwrap().unwrap();
    assert_eq!(found.reference, first.reference);
    assert!(s.incident_of_received_mail(&op, "never@seen.example").await.unwrap().is_none());
}
