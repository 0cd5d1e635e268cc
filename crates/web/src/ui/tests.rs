//! The interface through the router: signing in, CSRF, the pages in three languages, working
//! an incident, and the public form.

use crate::fixture::{self, Answer, call, get, services};
use crate::{WebState, router};
use axum::{
    Router,
    body::Body,
    http::{Request, StatusCode, header},
};
use cirtkit_domain::{Role, Tlp};
use cirtkit_service::{NewUser, Principal, Services};

struct Site {
    app: Router,
    services: Services,
    _dir: tempfile::TempDir,
}

async fn site() -> Site {
    let dir = tempfile::tempdir().unwrap();
    let services = services(dir.path()).await;
    let app = router(WebState::new(services.clone(), fixture::build()));
    Site { app, services, _dir: dir }
}

async fn add_user(s: &Site, name: &str, role: Role, language: &str) {
    s.services
        .create_user(
            &Principal::Operator("test".into()),
            NewUser {
                name: name.parse().unwrap(),
                display_name: format!("{name} display"),
                email: None,
                role,
                language: language.parse().unwrap(),
                password: Some("a long test password".into()),
            },
        )
        .await
        .unwrap();
}

fn form(uri: &str, cookie: &str, body: &str) -> Request<Body> {
    Request::builder()
        .method("POST")
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, cookie)
        .header(header::HOST, "cirt.example")
        .header(header::ORIGIN, "https://cirt.example")
        .body(Body::from(body.to_owned()))
        .unwrap()
}

fn page(uri: &str, cookie: &str) -> Request<Body> {
    Request::builder().uri(uri).header(header::COOKIE, cookie).body(Body::empty()).unwrap()
}

/// Signs in and returns the cookie header value and the CSRF token of the session's forms.
async fn sign_in(s: &Site, name: &str) -> (String, String) {
    let answer =
        call(&s.app, form("/login", "", &format!("name={name}&password=a+long+test+password&next=/incidents"))).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert_eq!(answer.headers[header::LOCATION], "/incidents");
    let set = answer.headers[header::SET_COOKIE].to_str().unwrap().to_owned();
    let cookie = set.split(';').next().unwrap().to_owned();
    let dashboard = call(&s.app, page("/dashboard", &cookie)).await;
    assert_eq!(dashboard.status, StatusCode::OK);
    (cookie, csrf_of(&dashboard))
}

fn csrf_of(answer: &Answer) -> String {
    let at = answer.body.find("name=\"csrf\" value=\"").expect("a form with a CSRF token");
    answer.body[at + 19..at + 19 + 64].to_owned()
}

#[tokio::test]
async fn pages_need_a_session_and_come_back_after_signing_in() {
    let s = site().await;
    let answer = call(&s.app, get("/incidents?state=new")).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(answer.headers[header::LOCATION], "/login?next=/incidents%3Fstate%3Dnew");
    let login = call(&s.app, get("/login")).await;
    assert_eq!(login.status, StatusCode::OK);
    assert!(login.body.contains("<form method=\"post\" action=\"/login\">"));

    add_user(&s, "ali", Role::Analyst, "en").await;
    let wrong = call(&s.app, form("/login", "", "name=ali&password=nope-nope-nope")).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("Wrong user name or password."));
    let (cookie, _) = sign_in(&s, "ali").await;
    assert!(cookie.starts_with("__Host-cirtkit_session="));
    // An outside `next` is not followed.
    let answer = call(&s.app, form("/login", "", "name=ali&password=a+long+test+password&next=//evil.example/")).await;
    assert_eq!(answer.headers[header::LOCATION], "/dashboard");
}

#[tokio::test]
async fn forms_without_the_session_token_or_from_another_site_are_refused() {
    let s = site().await;
    add_user(&s, "ali", Role::Analyst, "en").await;
    let (cookie, csrf) = sign_in(&s, "ali").await;
    let body = "csrf=0000&title=t&description=&rsit=fraud%2Fphishing&severity=high&tlp=TLP%3AAMBER&pap=PAP%3AAMBER";
    let answer = call(&s.app, form("/incidents/new", &cookie, body)).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let mut cross = form("/incidents/new", &cookie, &body.replace("0000", &csrf));
    cross.headers_mut().insert(header::ORIGIN, "https://evil.example".parse().unwrap());
    assert_eq!(call(&s.app, cross).await.status, StatusCode::FORBIDDEN);
    let ok = call(&s.app, form("/incidents/new", &cookie, &body.replace("0000", &csrf))).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
}

#[tokio::test]
async fn an_incident_is_opened_with_pasted_observables_worked_and_merged() {
    let s = site().await;
    add_user(&s, "ali", Role::Analyst, "en").await;
    let (cookie, csrf) = sign_in(&s, "ali").await;

    // Paste-to-extract, as the script asks for it (the fragment alone) and without the script.
    let paste = "paste=Received+from+hxxp%3A%2F%2Fbad%5B.%5Dexample%2Fx+via+192.0.2%5B.%5D7";
    let mut partial = form("/incidents/new/extract", &cookie, &format!("csrf={csrf}&{paste}"));
    partial.headers_mut().insert("x-partial", "1".parse().unwrap());
    let fragment = call(&s.app, partial).await;
    assert!(fragment.body.starts_with("<fieldset id=\"found\">"), "{}", fragment.body);
    assert!(fragment.body.contains("value=\"192.0.2.7\"") && fragment.body.contains("value=\"http://bad.example/x\""));
    let whole = call(&s.app, form("/incidents/new/extract", &cookie, &format!("csrf={csrf}&{paste}"))).await;
    assert!(whole.body.contains("<!doctype html>") && whole.body.contains("value=\"192.0.2.7\""));

    let body = format!(
        "csrf={csrf}&title=Phishing+kit&description=&rsit=fraud%2Fphishing&severity=high&tlp=TLP%3AAMBER&pap=PAP%3AAMBER&observable=192.0.2.7&observable=http%3A%2F%2Fbad.example%2Fx"
    );
    let created = call(&s.app, form("/incidents/new", &cookie, &body)).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let location = created.headers[header::LOCATION].to_str().unwrap().to_owned();
    let reference = location.trim_start_matches("/incidents/").to_owned();
    let page_answer = call(&s.app, page(&location, &cookie)).await;
    assert_eq!(page_answer.status, StatusCode::OK);
    assert!(page_answer.body.contains("class=\"tlp tlp-banner tlp-amber\""), "the TLP banner");
    assert!(page_answer.body.contains("value=\"triage\""), "the only legal move from new");
    assert!(!page_answer.body.contains("value=\"resolve\""));

    // Found by an address inside a CIDR? The observable is an address: find it by its /24.
    let found = call(&s.app, page("/incidents?obs=192.0.2.0%2F24", &cookie)).await;
    assert!(found.body.contains(&reference), "observable search by CIDR");
    let by_text = call(&s.app, page("/incidents?q=kit", &cookie)).await;
    assert!(by_text.body.contains(&reference));

    // Moves: an illegal one is refused with the page and a 409.
    let illegal =
        call(&s.app, form(&format!("{location}/transition"), &cookie, &format!("csrf={csrf}&transition=close"))).await;
    assert_eq!(illegal.status, StatusCode::CONFLICT);
    for step in ["triage", "start", "resolve", "close"] {
        let moved =
            call(&s.app, form(&format!("{location}/transition"), &cookie, &format!("csrf={csrf}&transition={step}")))
                .await;
        assert_eq!(moved.status, StatusCode::SEE_OTHER, "{step}: {}", moved.body);
    }
    let closed = call(&s.app, page(&location, &cookie)).await;
    assert!(closed.body.contains("Closed") && closed.body.contains("value=\"reopen\""));

    // A comment, and an edit that someone else's change overtook.
    let commented =
        call(&s.app, form(&format!("{location}/comment"), &cookie, &format!("csrf={csrf}&body=Called+the+bank"))).await;
    assert_eq!(commented.status, StatusCode::SEE_OTHER);
    let stale = format!(
        "csrf={csrf}&updated_at=2000-01-01T00%3A00%3A00%2B00%3A00&title=x&description=&rsit=fraud%2Fphishing&severity=low&tlp=TLP%3AAMBER&pap=PAP%3AAMBER&assignee="
    );
    assert_eq!(call(&s.app, form(&location, &cookie, &stale)).await.status, StatusCode::CONFLICT);

    // Replying without mail configured says so, and nothing is lost.
    let reply =
        call(&s.app, form(&format!("{location}/reply"), &cookie, &format!("csrf={csrf}&to=a%40b.example&body=hello")))
            .await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.body);

    // Merge a second incident into the first.
    let second = call(&s.app, form("/incidents/new", &cookie, &body.replace("Phishing+kit", "Same+kit"))).await;
    let second_location = second.headers[header::LOCATION].to_str().unwrap().to_owned();
    let merged =
        call(&s.app, form(&format!("{second_location}/merge"), &cookie, &format!("csrf={csrf}&into={reference}")))
            .await;
    assert_eq!(merged.status, StatusCode::SEE_OTHER, "{}", merged.body);
    assert_eq!(merged.headers[header::LOCATION].to_str().unwrap(), location);
}

#[tokio::test]
async fn pages_speak_the_users_language_and_arabic_is_right_to_left() {
    let s = site().await;
    add_user(&s, "samia", Role::Coordinator, "ar").await;
    add_user(&s, "luc", Role::Auditor, "fr").await;
    let (cookie, csrf) = sign_in(&s, "samia").await;
    let dashboard = call(&s.app, page("/dashboard", &cookie)).await;
    assert!(dashboard.body.contains("<html lang=\"ar\" dir=\"rtl\">"));
    assert!(dashboard.body.contains("لوحة المتابعة"));
    let (cookie_fr, _) = sign_in(&s, "luc").await;
    let incidents = call(&s.app, page("/incidents", &cookie_fr)).await;
    assert!(incidents.body.contains("<html lang=\"fr\" dir=\"ltr\">") && incidents.body.contains("Tableau de bord"));

    // Switching language saves the user's setting.
    let switched = call(&s.app, form("/language", &cookie, &format!("csrf={csrf}&lang=en&next=/incidents"))).await;
    assert_eq!(switched.headers[header::LOCATION], "/incidents");
    let after = call(&s.app, page("/dashboard", &cookie)).await;
    assert!(after.body.contains("<html lang=\"en\" dir=\"ltr\">"));

    // Without a session: the cookie, then the browser's languages.
    let mut anonymous = get("/report");
    anonymous.headers_mut().insert(header::ACCEPT_LANGUAGE, "ar-TN,fr;q=0.8".parse().unwrap());
    assert!(call(&s.app, anonymous).await.body.contains("dir=\"rtl\""));
    let french = call(&s.app, page("/login", "cirtkit_lang=fr")).await;
    assert!(french.body.contains("Connexion"));
}

#[tokio::test]
async fn every_page_is_light_and_labelled() {
    let s = site().await;
    add_user(&s, "admin", Role::Admin, "en").await;
    let (cookie, _) = sign_in(&s, "admin").await;
    for uri in [
        "/dashboard",
        "/incidents",
        "/incidents/new",
        "/organisations",
        "/admin/users",
        "/admin/tokens",
        "/settings",
        "/report",
        "/login",
    ] {
        let answer = call(&s.app, page(uri, &cookie)).await;
        assert!(matches!(answer.status, StatusCode::OK | StatusCode::SEE_OTHER), "{uri}: {}", answer.status);
        assert!(answer.body.len() < 100 * 1024, "{uri} is {} bytes", answer.body.len());
        // Every visible input has a label (hidden ones and the honeypot aside).
        for (at, _) in answer.body.match_indices("<input id=\"") {
            let id = &answer.body[at + 11..];
            let id = &id[..id.find('"').unwrap()];
            assert!(answer.body.contains(&format!("for=\"{id}\"")), "{uri}: input {id} has no label");
        }
    }
    let css = call(&s.app, get(super::assets::css_path())).await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.headers[header::CACHE_CONTROL].to_str().unwrap().contains("immutable"));
    assert_eq!(call(&s.app, get("/assets/app.0000.css")).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_constituent_sees_only_its_own_and_no_admin_pages() {
    let s = site().await;
    let op = Principal::Operator("test".into());
    let orgs = vec![cirtkit_domain::NewOrganisation {
        name: "Bank".into(),
        sector: cirtkit_domain::Sector::Finance,
        country: "TN".parse().unwrap(),
        languages: vec![],
        contacts: vec![],
        netblocks: vec!["198.51.100.0/24".parse().unwrap()],
        asns: vec![],
        domains: vec![],
    }];
    s.services.import_organisations(&op, orgs).await.unwrap();
    let bank = s.services.organisations(&op).await.unwrap()[0].id;
    add_user(&s, "bank", Role::Constituent(bank), "en").await;
    let mk = |title: &str, tlp: Tlp, orgs: Vec<cirtkit_domain::OrganisationId>| cirtkit_domain::NewIncident {
        title: title.into(),
        description: String::new(),
        rsit: "fraud/phishing".parse().unwrap(),
        severity: cirtkit_domain::Severity::High,
        tlp,
        pap: cirtkit_domain::Pap::Amber,
        assignee: None,
        organisations: orgs,
        observables: vec![],
    };
    let mine = s.services.create_incident(&op, mk("ours-visible", Tlp::Amber, vec![bank])).await.unwrap();
    let red = s.services.create_incident(&op, mk("ours-red", Tlp::Red, vec![bank])).await.unwrap();
    let other = s.services.create_incident(&op, mk("someone-else", Tlp::Clear, vec![])).await.unwrap();
    let (cookie, _) = sign_in(&s, "bank").await;
    let list = call(&s.app, page("/incidents", &cookie)).await;
    assert!(
        list.body.contains("ours-visible") && !list.body.contains("ours-red") && !list.body.contains("someone-else")
    );
    assert_eq!(call(&s.app, page(&format!("/incidents/{}", mine.reference), &cookie)).await.status, StatusCode::OK);
    for hidden in [&red, &other] {
        assert_eq!(
            call(&s.app, page(&format!("/incidents/{}", hidden.reference), &cookie)).await.status,
            StatusCode::NOT_FOUND
        );
    }
    let incident_page = call(&s.app, page(&format!("/incidents/{}", mine.reference), &cookie)).await;
    assert!(!incident_page.body.contains("/transition"), "a constituent cannot move incidents");
    assert_eq!(call(&s.app, page("/admin/users", &cookie)).await.status, StatusCode::FORBIDDEN);
    let orgs = call(&s.app, page("/organisations", &cookie)).await;
    assert!(orgs.body.contains(">Bank<") && orgs.body.contains("1 organisation"), "only its own");
    assert_eq!(call(&s.app, page(&format!("/organisations/{}", bank.0), &cookie)).await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_public_form_opens_an_incident_and_shows_its_reference() {
    let s = site().await;
    let body = "category=phishing&description=A+fake+bank+page+at+hxxps%3A%2F%2Flogin-bank%5B.%5Dexample%2F&name=&email=&organisation=&website=";
    let answer = call(&s.app, form("/report", "", body)).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    assert!(answer.body.contains("id=\"reference\">CIRT-"), "{}", answer.body);
    // The honeypot: a bot that fills every field gets a thank-you and no incident.
    let before = s.services.status().await.unwrap().counts.incidents;
    let bot = call(&s.app, form("/report", "", &body.replace("website=", "website=http%3A%2F%2Fspam.example"))).await;
    assert_eq!(bot.status, StatusCode::OK);
    assert!(!bot.body.contains("id=\"reference\""));
    assert_eq!(s.services.status().await.unwrap().counts.incidents, before);
    let empty = call(&s.app, form("/report", "", "category=&description=")).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn two_factor_is_enrolled_from_the_settings_page() {
    let s = site().await;
    add_user(&s, "ali", Role::Analyst, "en").await;
    let (cookie, csrf) = sign_in(&s, "ali").await;
    let start = call(&s.app, form("/settings/totp", &cookie, &format!("csrf={csrf}"))).await;
    assert_eq!(start.status, StatusCode::OK);
    assert!(start.body.contains("<div class=\"qr\"><svg"), "an inline SVG QR code");
    let bad = call(
        &s.app,
        form(
            "/settings/totp/confirm",
            &cookie,
            &format!("csrf={csrf}&secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&uri=x&code=000000"),
        ),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let signed_out = call(&s.app, form("/logout", &cookie, &format!("csrf={csrf}"))).await;
    assert_eq!(signed_out.headers[header::LOCATION], "/login");
    assert_eq!(call(&s.app, page("/dashboard", &cookie)).await.status, StatusCode::SEE_OTHER, "the session ended");
}

#[tokio::test]
async fn a_mail_attachment_is_listed_and_downloaded_from_the_incident_page() {
    let s = site().await;
    add_user(&s, "ali", Role::Analyst, "en").await;
    let raw = "From: jane@citizen.example\r\nSubject: Fake bank page\r\nMessage-ID: <a1@citizen.example>\r\n\
MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n\
See the capture.\r\n--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"capture.bin\"\r\n\
Content-Transfer-Encoding: base64\r\n\r\nAAECAwQF\r\n--b--\r\n";
    let mail = cirtkit_service::mail::parse_mail(raw.as_bytes()).unwrap();
    let outcome = s.services.ingest_mail(&Principal::Operator("test".into()), mail).await.unwrap();
    let (cookie, _) = sign_in(&s, "ali").await;
    let incident = call(&s.app, page(&format!("/incidents/{}", outcome.reference), &cookie)).await;
    let at = incident.body.find("/attachments/").expect("the file is listed");
    let href_start = incident.body[..at].rfind('"').unwrap() + 1;
    let href = &incident.body[href_start..at + incident.body[at..].find('"').unwrap()];
    let file = call(&s.app, page(href, &cookie)).await;
    assert_eq!(file.status, StatusCode::OK);
    assert!(file.headers[header::CONTENT_DISPOSITION].to_str().unwrap().contains("capture.bin"));
    assert_eq!(file.body.as_bytes(), &[0u8, 1, 2, 3, 4, 5]);
    assert_eq!(call(&s.app, page(href, "")).await.status, StatusCode::SEE_OTHER, "signed in only");
}

#[tokio::test]
async fn the_feeds_page_says_when_a_source_was_not_modified() {
    let s = site().await;
    add_user(&s, "ali", Role::Analyst, "fr").await;
    let now = s.services.clock().now();
    let run = cirtkit_storage::FeedRunRecord {
        id: 0,
        feed: "blocklist".into(),
        started_at: now,
        finished_at: now,
        files: 0,
        files_skipped: 0,
        read: 0,
        stored: 0,
        duplicates: 0,
        dropped: 0,
        quarantined: 0,
        seconds: 0.0,
        error: None,
        not_modified: true,
    };
    let mut tx = s.services.store().begin("system:feeds", now).await.unwrap();
    tx.record_feed_run(&run).await.unwrap();
    tx.commit().await.unwrap();
    let (cookie, _) = sign_in(&s, "ali").await;
    let feeds = call(&s.app, page("/feeds", &cookie)).await;
    assert_eq!(feeds.status, StatusCode::OK);
    assert!(feeds.body.contains("Non modifié"), "{}", feeds.body);
}

/// Every page × every role, and no session: what each may open. The services decide; this checks
/// that no page shows what its role may not see (another organisation's, TLP:RED, admin pages).
#[tokio::test]
async fn the_pages_authorisation_matrix() {
    let s = site().await;
    let op = Principal::Operator("test".into());
    let org = |name: &str, net: &str| cirtkit_domain::NewOrganisation {
        name: name.into(),
        sector: cirtkit_domain::Sector::Finance,
        country: "TN".parse().unwrap(),
        languages: vec![],
        contacts: vec![],
        netblocks: vec![net.parse().unwrap()],
        asns: vec![],
        domains: vec![],
    };
    s.services
        .import_organisations(&op, vec![org("Bank", "198.51.100.0/24"), org("Other", "203.0.113.0/24")])
        .await
        .unwrap();
    let orgs = s.services.organisations(&op).await.unwrap();
    let (bank, other) = (
        orgs.iter().find(|o| o.details.name == "Bank").unwrap().id,
        orgs.iter().find(|o| o.details.name == "Other").unwrap().id,
    );
    let mk = |tlp: Tlp, org| cirtkit_domain::NewIncident {
        title: "matrix".into(),
        description: String::new(),
        rsit: "fraud/phishing".parse().unwrap(),
        severity: cirtkit_domain::Severity::High,
        tlp,
        pap: cirtkit_domain::Pap::Amber,
        assignee: None,
        organisations: vec![org],
        observables: vec![],
    };
    let own = s.services.create_incident(&op, mk(Tlp::Amber, bank)).await.unwrap().reference;
    let red = s.services.create_incident(&op, mk(Tlp::Red, bank)).await.unwrap().reference;
    let theirs = s.services.create_incident(&op, mk(Tlp::Clear, other)).await.unwrap().reference;
    let roles = [
        ("admin", Role::Admin),
        ("coordinator", Role::Coordinator),
        ("analyst", Role::Analyst),
        ("auditor", Role::Auditor),
        ("constituent", Role::Constituent(bank)),
    ];
    let mut cookies = Vec::new();
    for (name, role) in roles {
        add_user(&s, name, role, "en").await;
        cookies.push(sign_in(&s, name).await.0);
    }
    cookies.push(String::new());
    const OK: u16 = 200;
    const NO: u16 = 403;
    const NF: u16 = 404;
    const IN: u16 = 303;
    //                                          admin coord analyst auditor constituent nobody
    let matrix: Vec<(String, [u16; 6])> = vec![
        ("/dashboard".into(), [OK, OK, OK, OK, OK, IN]),
        ("/incidents".into(), [OK, OK, OK, OK, OK, IN]),
        ("/incidents/new".into(), [OK, OK, OK, NO, NO, IN]),
        (format!("/incidents/{own}"), [OK, OK, OK, OK, OK, IN]),
        (format!("/incidents/{red}"), [OK, OK, OK, OK, NF, IN]),
        (format!("/incidents/{theirs}"), [OK, OK, OK, OK, NF, IN]),
        ("/events".into(), [OK, OK, OK, OK, OK, IN]),
        ("/events?source=192.0.2.0%2F24&type=scanner".into(), [OK, OK, OK, OK, OK, IN]),
        ("/feeds".into(), [OK, OK, OK, OK, NO, IN]),
        ("/organisations".into(), [OK, OK, OK, OK, OK, IN]),
        (format!("/organisations/{}", bank.0), [OK, OK, OK, OK, OK, IN]),
        (format!("/organisations/{}", other.0), [OK, OK, OK, OK, NO, IN]),
        ("/admin/users".into(), [OK, NO, NO, NO, NO, IN]),
        ("/admin/tokens".into(), [OK, OK, OK, OK, OK, IN]),
        ("/settings".into(), [OK, OK, OK, OK, OK, IN]),
        ("/report".into(), [OK, OK, OK, OK, OK, OK]),
    ];
    let mut wrong = Vec::new();
    for (uri, expected) in &matrix {
        for (i, cookie) in cookies.iter().enumerate() {
            let answer = call(&s.app, page(uri, cookie)).await;
            if answer.status.as_u16() != expected[i] {
                wrong.push(format!(
                    "{uri} as {}: {} (expected {})",
                    ["admin", "coordinator", "analyst", "auditor", "constituent", "nobody"][i],
                    answer.status,
                    expected[i]
                ));
            }
            if i == 4 && answer.status == StatusCode::OK {
                assert!(
                    !answer.body.contains(&red.to_string()) && !answer.body.contains(&theirs.to_string()),
                    "{uri} leaks to the constituent"
                );
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// A feed's quarantine, filled under a wrong option and re-run from the Feeds page once the
/// option is fixed: only those who handle incidents get the form and may post it, with the
/// session's token; the records then leave the quarantine and their events are stored.
#[tokio::test]
async fn a_feeds_quarantine_is_rerun_from_the_feeds_page() {
    use cirtkit_service::feeds::{FeedSpec, RunOptions, collect::Input, run_feed};
    let s = site().await;
    let op = Principal::Operator("test".into());
    let bank = cirtkit_domain::NewOrganisation {
        name: "Bank".into(),
        sector: cirtkit_domain::Sector::Finance,
        country: "TN".parse().unwrap(),
        languages: vec![],
        contacts: vec![],
        netblocks: vec!["198.51.100.0/24".parse().unwrap()],
        asns: vec![],
        domains: vec![],
    };
    s.services.import_organisations(&op, vec![bank]).await.unwrap();
    let bank = s.services.organisations(&op).await.unwrap()[0].id;
    for (name, role) in [("ali", Role::Analyst), ("aud", Role::Auditor), ("cons", Role::Constituent(bank))] {
        add_user(&s, name, role, "en").await;
    }
    let file = s._dir.path().join("scan.csv");
    std::fs::write(&file, "ip,port\n192.0.2.1,ssh\n192.0.2.2,telnet\n").unwrap();
    let mut spec = FeedSpec::one_off("scan", "csv");
    spec.experts = vec!["dedup".into()];
    spec.options = serde_json::from_value(serde_json::json!({
        "header_map": {"ip": "source.ip", "port": "source.port"}, "constant": {"classification.type": "scanner"}
    }))
    .unwrap();
    let run = run_feed(
        s.services.store(),
        &spec,
        s.services.index(),
        s.services.clock(),
        vec![Input::file(&file)],
        &RunOptions::default(),
        None,
    )
    .await
    .unwrap();
    assert_eq!(run.quarantined, 2);
    spec.options = serde_json::from_value(serde_json::json!({
        "header_map": {"ip": "source.ip", "port": "extra.service"}, "constant": {"classification.type": "scanner"}
    }))
    .unwrap();
    let run_options: cirtkit_service::RunOptionsFor =
        std::sync::Arc::new(|_, actor| RunOptions { actor, ..RunOptions::default() });
    s.services.set_feeds(cirtkit_service::FeedSetup { feeds: vec![spec], run_options });

    let (aud, aud_csrf) = sign_in(&s, "aud").await;
    let shown = call(&s.app, page("/feeds?feed=scan", &aud)).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(!shown.body.contains("action=\"/feeds/rerun\""), "an auditor gets no re-run form");
    let refused = call(&s.app, form("/feeds/rerun", &aud, &format!("csrf={aud_csrf}&feed=scan"))).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let (cons, cons_csrf) = sign_in(&s, "cons").await;
    let refused = call(&s.app, form("/feeds/rerun", &cons, &format!("csrf={cons_csrf}&feed=scan"))).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    let (ali, csrf) = sign_in(&s, "ali").await;
    let shown = call(&s.app, page("/feeds?feed=scan", &ali)).await;
    assert!(shown.body.contains("action=\"/feeds/rerun\""), "{}", shown.body);
    assert!(shown.body.contains("Re-run the quarantine of"));
    let without = call(&s.app, form("/feeds/rerun", &ali, "csrf=0000&feed=scan")).await;
    assert_eq!(without.status, StatusCode::FORBIDDEN, "no session token, no re-run");
    let unknown = call(&s.app, form("/feeds/rerun", &ali, &format!("csrf={csrf}&feed=nope"))).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(unknown.body.contains("declared: scan"), "{}", unknown.body);
    let done = call(&s.app, form("/feeds/rerun", &ali, &format!("csrf={csrf}&feed=scan"))).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let to = done.headers[header::LOCATION].to_str().unwrap().to_owned();
    assert_eq!(to, "/feeds?feed=scan&released=2&stored=2&kept=0");
    let after = call(&s.app, page(&to, &ali)).await;
    assert!(after.body.contains("records left the quarantine"), "{}", after.body);
    assert!(after.body.contains("Nothing quarantined."));
    assert_eq!(s.services.store().counts().await.unwrap().events, 2);
}
