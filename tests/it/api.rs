//! The JSON API through the real server: a whole incident worked over HTTP, bad requests answered
//! with 4xx and a message, and the authorisation matrix: every route × every role, with no
//! leak across organisations or TLP.

use crate::support::{App, spawn_app};
use cirtkit_domain::{
    Contact, ContactRole, NewIncident, NewOrganisation, Observable, OrganisationId, Pap, Role, Sector, Severity, Tlp,
};
use cirtkit_service::{NewUser, Principal};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Two organisations, incidents of each at several TLP levels, and a user with a token in
/// every role (the constituent belongs to the bank).
struct Fixture {
    app: App,
    tokens: BTreeMap<&'static str, String>,
    bank: OrganisationId,
    other: OrganisationId,
    bank_amber: i64,
    bank_red: i64,
    other_green: i64,
    /// A file kept with `bank_amber`, and one kept with `other_green` (from mail filed into them).
    amber_file: i64,
    other_file: i64,
}

fn org(name: &str, net: &str, domain: &str) -> NewOrganisation {
    NewOrganisation {
        name: name.into(),
        sector: Sector::Finance,
        country: "MA".parse().unwrap(),
        languages: vec!["fr".parse().unwrap(), "ar".parse().unwrap()],
        contacts: vec![Contact {
            name: "SOC".into(),
            email: format!("soc@{domain}").parse().unwrap(),
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

fn incident(title: &str, tlp: Tlp, observable: &str) -> NewIncident {
    NewIncident {
        title: title.into(),
        description: format!("{title}: details"),
        rsit: "malicious-code/infected-system".parse().unwrap(),
        severity: Severity::High,
        tlp,
        pap: Pap::Green,
        assignee: None,
        organisations: vec![],
        observables: vec![Observable::parse(observable).unwrap()],
    }
}

async fn fixture() -> Fixture {
    let app = spawn_app().await;
    let s = &app.services;
    let op = Principal::Operator("test".into());
    let bank = s.create_organisation(&op, org("Banque Atlas", "192.0.2.0/24", "atlas.example")).await.unwrap().id;
    let other =
        s.create_organisation(&op, org("Office Portuaire", "198.51.100.0/24", "port.example")).await.unwrap().id;
    let mut tokens = BTreeMap::new();
    for (name, role) in [
        ("admin", Role::Admin),
        ("coordinator", Role::Coordinator),
        ("analyst", Role::Analyst),
        ("auditor", Role::Auditor),
        ("constituent", Role::Constituent(bank)),
    ] {
        let user = s
            .create_user(
                &op,
                NewUser {
                    name: name.parse().unwrap(),
                    display_name: name.into(),
                    email: None,
                    role,
                    language: "fr".parse().unwrap(),
                    password: None,
                },
            )
            .await
            .unwrap();
        let (_, secret) = s.create_token(&op, &user.name, "test").await.unwrap();
        tokens.insert(name, secret.0);
    }
    let amber = s.create_incident(&op, incident("Bank drone", Tlp::Amber, "192.0.2.10")).await.unwrap();
    let bank_red = s.create_incident(&op, incident("Bank red", Tlp::Red, "192.0.2.11")).await.unwrap().id.0;
    let green = s.create_incident(&op, incident("Port scan", Tlp::Green, "198.51.100.7")).await.unwrap();
    let mut files = Vec::new();
    for i in [&amber, &green] {
        let raw = format!(
            "From: soc@atlas.example\r\nSubject: Re: [{}] logs\r\nMIME-Version: 1.0\r\n\
             Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nLogs attached.\r\n\
             --b\r\nContent-Type: application/gzip\r\nContent-Disposition: attachment; filename=logs.gz\r\n\
             Content-Transfer-Encoding: base64\r\n\r\nH4sIAAAAAAAAA0vLz1dISixSyEgtSgUAnB8L7woAAAA=\r\n--b--\r\n",
            i.reference
        );
        s.ingest_mail(&op, cirtkit_service::mail::parse_mail(raw.as_bytes()).unwrap()).await.unwrap();
        files.push(s.attachments(&op, i.id).await.unwrap()[0].id.0);
    }
    let (bank_amber, other_green) = (amber.id.0, green.id.0);
    Fixture { app, tokens, bank, other, bank_amber, bank_red, other_green, amber_file: files[0], other_file: files[1] }
}

async fn call(f: &Fixture, role: Option<&str>, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    let client = reqwest::Client::new();
    let mut request = client.request(method, format!("{}{path}", f.app.base));
    if let Some(role) = role {
        request = request.bearer_auth(&f.tokens[role]);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    let value = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
    (status, value)
}

const ROLES: [&str; 5] = ["admin", "coordinator", "analyst", "auditor", "constituent"];

#[tokio::test]
async fn every_route_for_every_role() {
    let f = fixture().await;
    let (amber, red, other) = (f.bank_amber, f.bank_red, f.other_green);
    let new_incident = json!({"title": "Phishing kit", "rsit": "fraud/phishing", "severity": "medium",
        "tlp": "TLP:GREEN", "pap": "PAP:GREEN", "observables": [{"value": "hxxps://atlas-login[.]example/"}]});
    let new_org = |n: &str| json!({"name": n, "sector": "health", "country": "MA", "languages": ["fr"]});
    // (method, path, body, expected status per role in ROLES order)
    // A constituent gets 404 for what it may not see (as if it did not exist), 403 for what it
    // sees but may not do.
    type Row = (Method, String, Option<Value>, [u16; 5]);
    let rows: Vec<Row> = vec![
        (Method::GET, "/api/v1/incidents".into(), None, [200, 200, 200, 200, 200]),
        (Method::POST, "/api/v1/incidents".into(), Some(new_incident.clone()), [201, 201, 201, 403, 403]),
        (Method::GET, format!("/api/v1/incidents/{amber}"), None, [200, 200, 200, 200, 200]),
        (Method::GET, format!("/api/v1/incidents/{red}"), None, [200, 200, 200, 200, 404]),
        (Method::GET, format!("/api/v1/incidents/{other}"), None, [200, 200, 200, 200, 404]),
        (Method::GET, format!("/api/v1/incidents/{other}/journal"), None, [200, 200, 200, 200, 404]),
        (Method::GET, format!("/api/v1/incidents/{other}/observables"), None, [200, 200, 200, 200, 404]),
        (Method::GET, format!("/api/v1/incidents/{amber}/journal"), None, [200, 200, 200, 200, 200]),
        (
            Method::PATCH,
            format!("/api/v1/incidents/{amber}"),
            Some(json!({"severity": "critical"})),
            [200, 200, 200, 403, 403],
        ),
        (
            Method::PATCH,
            format!("/api/v1/incidents/{other}"),
            Some(json!({"title": "Port scan (confirmed)"})),
            [200, 200, 200, 403, 404],
        ),
        (
            Method::POST,
            format!("/api/v1/incidents/{amber}/journal"),
            Some(json!({"body": "noted"})),
            [201, 201, 201, 403, 403],
        ),
        (
            Method::POST,
            format!("/api/v1/incidents/{amber}/observables"),
            Some(json!({"value": "203.0.113.9"})),
            [201, 200, 200, 403, 403],
        ),
        (
            Method::POST,
            format!("/api/v1/incidents/{other}/links"),
            Some(json!({"to": amber.to_string(), "kind": "related"})),
            [204, 409, 409, 403, 404],
        ),
        (
            Method::POST,
            format!("/api/v1/incidents/{other}/transitions"),
            Some(json!({"transition": "triage"})),
            [200, 409, 409, 403, 404],
        ),
        // No SMTP relay in this fixture: those who may send get 409 "not configured".
        (
            Method::POST,
            format!("/api/v1/incidents/{amber}/replies"),
            Some(json!({"body": "Dear SOC"})),
            [409, 409, 409, 403, 403],
        ),
        (
            Method::POST,
            format!("/api/v1/incidents/{other}/replies"),
            Some(json!({"body": "Dear SOC"})),
            [409, 409, 409, 403, 404],
        ),
        (Method::GET, format!("/api/v1/incidents/{amber}/attachments"), None, [200, 200, 200, 200, 200]),
        (Method::GET, format!("/api/v1/incidents/{red}/attachments"), None, [200, 200, 200, 200, 404]),
        (Method::GET, format!("/api/v1/incidents/{other}/attachments"), None, [200, 200, 200, 200, 404]),
        (
            Method::GET,
            format!("/api/v1/incidents/{amber}/attachments/{}", f.amber_file),
            None,
            [200, 200, 200, 200, 200],
        ),
        (
            Method::GET,
            format!("/api/v1/incidents/{other}/attachments/{}", f.other_file),
            None,
            [200, 200, 200, 200, 404],
        ),
        // A file is reached through its own incident only.
        (
            Method::GET,
            format!("/api/v1/incidents/{amber}/attachments/{}", f.other_file),
            None,
            [404, 404, 404, 404, 404],
        ),
        (Method::GET, format!("/api/v1/incidents/{amber}/attachments/first"), None, [422, 422, 422, 422, 422]),
        (Method::GET, "/api/v1/observables/search?q=192.0.2.0/24".into(), None, [200, 200, 200, 200, 200]),
        (Method::GET, "/api/v1/lookup?q=198.51.100.7".into(), None, [200, 200, 200, 200, 200]),
        (Method::GET, "/api/v1/organisations".into(), None, [200, 200, 200, 200, 200]),
        (Method::GET, format!("/api/v1/organisations/{}", f.bank.0), None, [200, 200, 200, 200, 200]),
        (Method::GET, format!("/api/v1/organisations/{}", f.other.0), None, [200, 200, 200, 200, 403]),
        (Method::POST, "/api/v1/organisations".into(), None, [201, 201, 403, 403, 403]),
        (
            Method::PUT,
            format!("/api/v1/organisations/{}", f.other.0),
            Some(new_org("Office Portuaire")),
            [200, 200, 403, 403, 403],
        ),
        (Method::GET, "/api/v1/users".into(), None, [200, 200, 200, 200, 403]),
        (
            Method::POST,
            "/api/v1/users".into(),
            Some(json!({"name": "newcomer", "role": "analyst"})),
            [201, 403, 403, 403, 403],
        ),
        (Method::GET, "/api/v1/users/analyst".into(), None, [200, 200, 200, 200, 403]),
        (Method::GET, "/api/v1/users/constituent".into(), None, [200, 200, 200, 200, 200]),
        (Method::PATCH, "/api/v1/users/newcomer".into(), Some(json!({"language": "ar"})), [200, 403, 403, 403, 403]),
        (Method::PATCH, "/api/v1/users/auditor".into(), Some(json!({"disabled": false})), [200, 403, 403, 403, 403]),
        (
            Method::PUT,
            "/api/v1/users/newcomer/password".into(),
            Some(json!({"password": "another long password"})),
            [204, 403, 403, 403, 403],
        ),
        (Method::GET, "/api/v1/tokens".into(), None, [200, 200, 403, 200, 403]),
        (Method::POST, "/api/v1/tokens".into(), Some(json!({"name": "second"})), [201, 201, 201, 201, 201]),
        (Method::GET, "/api/v1/events".into(), None, [200, 200, 200, 200, 200]),
        (
            Method::GET,
            "/api/v1/events?source.ip=192.0.2.0/24&classification.taxonomy=vulnerable&source.asn=AS64500".into(),
            None,
            [200, 200, 200, 200, 200],
        ),
        (Method::GET, "/api/v1/events?source.ip=somewhere".into(), None, [422, 422, 422, 422, 422]),
        (Method::GET, "/api/v1/events?classification.type=bogus".into(), None, [422, 422, 422, 422, 422]),
        (Method::GET, "/api/v1/events?cursor=zzz".into(), None, [422, 422, 422, 422, 422]),
        (Method::GET, "/api/v1/feeds/runs".into(), None, [200, 200, 200, 200, 403]),
        (Method::GET, "/api/v1/feeds/quarantine?feed=x".into(), None, [200, 200, 200, 200, 403]),
        (Method::POST, "/api/v1/feeds/x/quarantine/rerun".into(), None, [404, 404, 404, 403, 403]),
        (Method::GET, "/api/v1/openapi.json".into(), None, [200, 200, 200, 200, 200]),
    ];
    for (method, path, body, expected) in rows {
        for (role, want) in ROLES.iter().zip(expected) {
            // A new organisation gets a fresh name each time, so that only the role decides the answer.
            let body = if method == Method::POST && path == "/api/v1/organisations" {
                Some(new_org(&format!("Clinique {role}")))
            } else {
                body.clone()
            };
            let (status, answer) = call(&f, Some(role), method.clone(), &path, body).await;
            assert_eq!(status.as_u16(), want, "{method} {path} as {role}: {answer}");
            if status.is_client_error() {
                assert!(answer["error"]["code"].is_string() && answer["error"]["message"].is_string(), "{answer}");
            }
        }
        // Without a token, only the OpenAPI document answers.
        let (status, _) = call(&f, None, method.clone(), &path, None).await;
        let want = if path == "/api/v1/openapi.json" { 200 } else { 401 };
        assert_eq!(status.as_u16(), want, "{method} {path} without a token");
    }
}

#[tokio::test]
async fn a_constituent_never_sees_another_organisation_or_red() {
    let f = fixture().await;
    let (_, list) = call(&f, Some("constituent"), Method::GET, "/api/v1/incidents", None).await;
    let ids: Vec<i64> = list["items"].as_array().unwrap().iter().map(|i| i["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![f.bank_amber], "{list}");
    let (_, found) =
        call(&f, Some("constituent"), Method::GET, "/api/v1/observables/search?q=198.51.100.0/24", None).await;
    assert_eq!(found["items"], json!([]), "{found}");
    let (_, found) = call(&f, Some("constituent"), Method::GET, "/api/v1/incidents?q=Port", None).await;
    assert_eq!(found["items"], json!([]), "{found}");
    let (_, lookup) = call(&f, Some("constituent"), Method::GET, "/api/v1/lookup?q=198.51.100.7", None).await;
    assert_eq!(lookup["organisation"], Value::Null, "{lookup}");
    let (_, orgs) = call(&f, Some("constituent"), Method::GET, "/api/v1/organisations", None).await;
    assert_eq!(orgs.as_array().unwrap().len(), 1);
    let (status, _) =
        call(&f, Some("constituent"), Method::GET, &format!("/api/v1/incidents/{}", f.bank_red), None).await;
    assert_eq!(status, 404, "TLP:RED stays with the team");
    let (_, analyst_view) = call(&f, Some("analyst"), Method::GET, "/api/v1/lookup?q=198.51.100.7", None).await;
    assert_eq!(analyst_view["organisation"]["name"], "Office Portuaire");
    assert_eq!(analyst_view["matched_by"], "netblock");
}

#[tokio::test]
async fn an_incident_worked_from_report_to_closure_over_http() {
    let f = fixture().await;
    let body = json!({"title": "Compromised web server", "description": "Defaced page reported by a citizen",
        "rsit": "intrusions/system-compromise", "severity": "critical", "tlp": "amber+strict", "pap": "PAP:AMBER",
        "observables": [{"value": "192.0.2[.]80"}, {"value": "hxxp://www.atlas[.]example/index.php"}]});
    let (status, created) = call(&f, Some("analyst"), Method::POST, "/api/v1/incidents", Some(body)).await;
    assert_eq!(status, 201, "{created}");
    let reference = created["reference"].as_str().unwrap().to_owned();
    assert_eq!(created["organisations"], json!([f.bank.0]), "the lookup found the owner");
    assert_eq!(created["tlp"], "TLP:AMBER+STRICT");
    assert_eq!(created["transitions"], json!(["triage"]));
    for step in ["triage", "start", "wait", "resume", "resolve", "close"] {
        let (status, answer) = call(
            &f,
            Some("analyst"),
            Method::POST,
            &format!("/api/v1/incidents/{reference}/transitions"),
            Some(json!({"transition": step})),
        )
        .await;
        assert_eq!(status, 200, "{step}: {answer}");
    }
    let (_, closed) = call(&f, Some("analyst"), Method::GET, &format!("/api/v1/incidents/{reference}"), None).await;
    assert_eq!(closed["state"], "closed");
    assert!(closed["resolved_at"].is_string());
    let (status, refused) = call(
        &f,
        Some("analyst"),
        Method::POST,
        &format!("/api/v1/incidents/{reference}/transitions"),
        Some(json!({"transition": "wait"})),
    )
    .await;
    assert_eq!(status, 409, "{refused}");
    let (_, journal) =
        call(&f, Some("analyst"), Method::GET, &format!("/api/v1/incidents/{reference}/journal"), None).await;
    assert_eq!(journal.as_array().unwrap().len(), 6);
    let (_, found) = call(&f, Some("analyst"), Method::GET, "/api/v1/observables/search?q=192.0.2.0/25", None).await;
    let refs: Vec<&str> =
        found["items"].as_array().unwrap().iter().map(|m| m["incident"]["reference"].as_str().unwrap()).collect();
    assert!(refs.contains(&reference.as_str()), "an IP inside the CIDR finds the incident: {found}");
    let (_, text) = call(&f, Some("analyst"), Method::GET, "/api/v1/incidents?q=defaced", None).await;
    assert_eq!(text["items"][0]["reference"], reference.as_str(), "{text}");
    let (_, filtered) =
        call(&f, Some("analyst"), Method::GET, "/api/v1/incidents?state=closed&severity=critical", None).await;
    assert_eq!(filtered["items"].as_array().unwrap().len(), 1, "{filtered}");
}

#[tokio::test]
async fn pages_follow_their_cursor() {
    let f = fixture().await;
    let mut seen = Vec::new();
    let mut path = "/api/v1/incidents?limit=2".to_owned();
    for _ in 0..10 {
        let (status, page) = call(&f, Some("auditor"), Method::GET, &path, None).await;
        assert_eq!(status, 200, "{page}");
        seen.extend(page["items"].as_array().unwrap().iter().map(|i| i["id"].as_i64().unwrap()));
        match page["next"].as_str() {
            Some(next) => path = format!("/api/v1/incidents?limit=2&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(seen, vec![f.other_green, f.bank_red, f.bank_amber]);
}

#[tokio::test]
async fn bad_requests_get_a_4xx_that_says_why() {
    let f = fixture().await;
    let client = reqwest::Client::new();
    let url = format!("{}/api/v1/incidents", f.app.base);
    let token = &f.tokens["analyst"];
    let cases: Vec<(&str, &str, u16, &str)> = vec![
        ("not json", "{\"title\": ", 400, ""),
        (
            "wrong type",
            r#"{"title": 5, "rsit": "fraud/phishing", "severity": "low", "tlp": "TLP:CLEAR", "pap": "PAP:CLEAR"}"#,
            422,
            "title",
        ),
        (
            "unknown field",
            r#"{"title": "x", "rsit": "fraud/phishing", "severity": "low", "tlp": "TLP:CLEAR", "pap": "PAP:CLEAR", "colour": 1}"#,
            422,
            "colour",
        ),
        (
            "bad rsit",
            r#"{"title": "x", "rsit": "fraud/spam", "severity": "low", "tlp": "TLP:CLEAR", "pap": "PAP:CLEAR"}"#,
            422,
            "rsit",
        ),
        (
            "bad tlp",
            r#"{"title": "x", "rsit": "fraud/phishing", "severity": "low", "tlp": "TLP:BLUE", "pap": "PAP:CLEAR"}"#,
            422,
            "tlp",
        ),
        (
            "bad observable",
            r#"{"title": "x", "rsit": "fraud/phishing", "severity": "low", "tlp": "TLP:CLEAR", "pap": "PAP:CLEAR", "observables": [{"value": "999.1.1.1"}]}"#,
            422,
            "observables[0]",
        ),
        (
            "empty title",
            r#"{"title": " ", "rsit": "fraud/phishing", "severity": "low", "tlp": "TLP:CLEAR", "pap": "PAP:CLEAR"}"#,
            422,
            "title",
        ),
    ];
    for (what, body, want, mentions) in cases {
        let response = client
            .post(&url)
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let answer: Value = response.json().await.unwrap();
        assert_eq!(status, want, "{what}: {answer}");
        assert!(answer["error"]["message"].as_str().unwrap().contains(mentions), "{what}: {answer}");
    }
    let huge = format!(r#"{{"title": "{}"}}"#, "x".repeat(2 * 1024 * 1024));
    let response = client
        .post(&url)
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    for query in [
        "state=done",
        "severity=urgent",
        "rsit_class=nonsense",
        "created_after=yesterday",
        "limit=0",
        "limit=500",
        "cursor=zzz",
        "colour=blue",
    ] {
        let (status, answer) =
            call(&f, Some("analyst"), Method::GET, &format!("/api/v1/incidents?{query}"), None).await;
        assert_eq!(status, 422, "{query}: {answer}");
    }
    let (status, _) = call(&f, Some("analyst"), Method::GET, "/api/v1/incidents/CIRT-1999-00001", None).await;
    assert_eq!(status, 422, "a year before 2000 is not a reference");
    let (status, _) = call(&f, Some("analyst"), Method::GET, "/api/v1/incidents/CIRT-2026-99999", None).await;
    assert_eq!(status, 404);
    let (status, answer) = call(&f, Some("analyst"), Method::GET, "/api/v1/lookup?q=not%20an%20address", None).await;
    assert_eq!(status, 422, "{answer}");
    let response = client.get(&url).header("authorization", "Bearer cirtkit_nope").send().await.unwrap();
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn the_openapi_document_matches_the_server() {
    let f = fixture().await;
    let (status, served) = call(&f, None, Method::GET, "/api/v1/openapi.json", None).await;
    assert_eq!(status, 200);
    let committed: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/openapi.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(served, committed, "the served document is the committed one");
    // Every operation it describes exists: without a token each answers 401, never 404 or 405.
    let paths = served["paths"].as_object().unwrap();
    assert!(paths.len() >= 10);
    for (path, operations) in paths {
        let concrete = path.replace("{incident}", "1").replace("{id}", "1").replace("{name}", "admin");
        for method in operations.as_object().unwrap().keys() {
            let method: Method = method.to_uppercase().parse().unwrap();
            let (status, answer) = call(&f, None, method.clone(), &concrete, None).await;
            assert_eq!(status, 401, "{method} {path}: {answer}");
        }
    }
}

#[tokio::test]
async fn users_change_their_own_language_but_not_their_role() {
    let f = fixture().await;
    let (status, me) = call(
        &f,
        Some("analyst"),
        Method::PATCH,
        "/api/v1/users/analyst",
        Some(json!({"language": "ar", "display_name": "Ali"})),
    )
    .await;
    assert_eq!(status, 200, "{me}");
    assert_eq!((me["language"].as_str(), me["display_name"].as_str()), (Some("ar"), Some("Ali")));
    let (status, _) =
        call(&f, Some("analyst"), Method::PATCH, "/api/v1/users/analyst", Some(json!({"role": "admin"}))).await;
    assert_eq!(status, 403, "no one promotes themselves");
    let (status, _) =
        call(&f, Some("analyst"), Method::PUT, "/api/v1/users/analyst/password", Some(json!({"password": "short"})))
            .await;
    assert_eq!(status, 422);
    let (status, _) = call(
        &f,
        Some("analyst"),
        Method::PUT,
        "/api/v1/users/analyst/password",
        Some(json!({"password": "a much longer password"})),
    )
    .await;
    assert_eq!(status, 204);
    assert!(f.app.services.authenticate_password("analyst", "a much longer password").await.is_ok());
    let (status, disabled) =
        call(&f, Some("admin"), Method::PATCH, "/api/v1/users/analyst", Some(json!({"disabled": true}))).await;
    assert_eq!(status, 200, "{disabled}");
    let (status, _) = call(&f, Some("analyst"), Method::GET, "/api/v1/incidents", None).await;
    assert_eq!(status, 401, "a disabled user's token stops working");
}

/// A feed declared in cirtkit.toml with fixed options; its quarantine, filled under the old
/// ones, is re-run over the API: the records leave it and their events are stored, once.
#[tokio::test]
async fn a_feeds_quarantine_is_rerun_over_the_api() {
    use cirtkit_feeds::{FeedSpec, RunOptions, collect::Input, run_feed};
    let app = crate::support::spawn_app_with_config(
        "[[feeds]]\nname = \"scan\"\nformat = \"csv\"\nexperts = [\"dedup\"]\ncollector = { kind = \"stdin\" }\n\
         [feeds.options]\nconstant = { \"classification.type\" = \"scanner\" }\n\
         header_map = { ip = \"source.ip\", port = \"extra.service\" }\n",
    )
    .await;
    let s = &app.services;
    let op = Principal::Operator("test".into());
    let user = s
        .create_user(
            &op,
            NewUser {
                name: "ali".parse().unwrap(),
                display_name: "Ali".into(),
                email: None,
                role: Role::Analyst,
                language: "fr".parse().unwrap(),
                password: None,
            },
        )
        .await
        .unwrap();
    let (_, token) = s.create_token(&op, &user.name, "test").await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("scan.csv");
    std::fs::write(&file, "ip,port\n192.0.2.1,ssh\n192.0.2.2,telnet\n192.0.2.2,telnet\n").unwrap();
    let mut old = FeedSpec::one_off("scan", "csv");
    old.experts = vec!["dedup".into()];
    old.options = serde_json::from_value(json!({
        "header_map": {"ip": "source.ip", "port": "source.port"}, "constant": {"classification.type": "scanner"}
    }))
    .unwrap();
    let run = run_feed(s.store(), &old, s.index(), s.clock(), vec![Input::file(&file)], &RunOptions::default(), None)
        .await
        .unwrap();
    assert_eq!(run.quarantined, 3);
    let client = reqwest::Client::new();
    let rerun = |feed: &str| {
        client.post(format!("{}/api/v1/feeds/{feed}/quarantine/rerun", app.base)).bearer_auth(&token.0).send()
    };
    let answer = rerun("scan").await.unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let report: Value = answer.json().await.unwrap();
    assert_eq!(
        (&report["records"], &report["released"], &report["stored"], &report["duplicates"]),
        (&json!(3), &json!(3), &json!(2), &json!(1)),
        "{report}"
    );
    let answer = rerun("scan").await.unwrap();
    let report: Value = answer.json().await.unwrap();
    assert_eq!((&report["records"], &report["stored"]), (&json!(0), &json!(0)), "{report}");
    assert_eq!(s.store().counts().await.unwrap().events, 2);
    let missing = rerun("nope").await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let body: Value = missing.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("declared: scan"), "{body}");
}
