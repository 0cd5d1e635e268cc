//! The hand-off by rule through the real binary: a `[[handoff]]` rule in cirtkit.toml, events
//! taken in by `cirtkit feed ingest`, and the incident the rule opened found through the API.

use crate::support::{Instance, PgSchema, json, terminate, write};

const ORGS: &str = "organisation,record,sector,country,languages,value,name,email,phone,language,role,openpgp_key
Réseau Universitaire,organisation,education,TN,ar en fr,,,,,,,
Réseau Universitaire,netblock,,,,192.0.2.0/24,,,,,,
Réseau Universitaire,contact,,,,,NOC,noc@ru.example,,fr,abuse,
";

const RULES: &str = "[[handoff]]
name = \"brute\"
feeds = [\"blocklist\"]
types = [\"brute-force\"]
tlp = \"AMBER+STRICT\"
severity = \"high\"
title = \"{type} from {organisation} ({count} events)\"
";

async fn a_rule_opens_and_updates_an_incident_after_ingest(i: &Instance) {
    i.ok(&["init"]);
    let orgs = write(i.dir.path(), "orgs.csv", ORGS);
    i.ok(&["org", "import", "--format", "csv", orgs.to_str().unwrap()]);
    std::fs::create_dir_all(i.data_dir()).unwrap();
    write(&i.data_dir(), "cirtkit.toml", RULES);

    // Two addresses of the constituent, one of nobody's: the rule takes the constituent's.
    let first = write(i.dir.path(), "ssh.txt", "192.0.2.1\n192.0.2.2\n203.0.113.9\n");
    let out = i.ok(&["feed", "ingest", "--format", "blocklistde", "--feed", "blocklist", first.to_str().unwrap()]);
    assert!(out.contains("hand-off brute (blocklist): 2 events; opened CIRT-"), "{out}");
    // A later file: the open incident takes it.
    let dir = i.dir.path().join("later");
    std::fs::create_dir_all(&dir).unwrap();
    let later = write(&dir, "ssh.txt", "192.0.2.1\n192.0.2.3\n");
    let out = i.ok(&["feed", "ingest", "--format", "blocklistde", "--feed", "blocklist", later.to_str().unwrap()]);
    assert!(out.contains("hand-off brute (blocklist): 1 events; updated CIRT-"), "{out}");

    // Nothing is handed off twice; a rule that is not declared is a clear error.
    let again = json(&i.ok(&["handoff", "run", "--json"]));
    assert!(again.as_array().unwrap().iter().all(|p| p["events"] == 0 && p["error"].is_null()), "{again}");
    let err = i.fails(&["handoff", "run", "--rule", "nope"]);
    assert!(err.contains("declared: brute"), "{err}");
    assert_eq!(json(&i.ok(&["status", "--json"]))["incidents"], 1);

    let token = i.ok(&["token", "create", "--user", "admin"]).lines().last().unwrap().to_owned();
    let (mut child, addr, _log) = i.serve();
    let client = reqwest::Client::new();
    let get = |path: String| {
        let request = client.get(format!("http://{addr}{path}")).bearer_auth(&token);
        async move {
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 200, "{path}");
            response.json::<serde_json::Value>().await.unwrap()
        }
    };
    let list = get("/api/v1/incidents".into()).await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{list}");
    let incident = &items[0];
    assert_eq!(incident["title"], "brute-force from Réseau Universitaire (2 events)");
    assert_eq!(incident["tlp"], "TLP:AMBER+STRICT");
    assert_eq!(incident["severity"], "high");
    assert_eq!(incident["rsit"], "intrusion-attempts/brute-force");
    assert_eq!(incident["organisations"].as_array().unwrap().len(), 1);
    let id = incident["id"].as_i64().unwrap();
    let observables = get(format!("/api/v1/incidents/{id}/observables")).await.to_string();
    for ip in ["192.0.2.1", "192.0.2.2", "192.0.2.3"] {
        assert!(observables.contains(ip), "{observables}");
    }
    assert!(!observables.contains("203.0.113.9"), "{observables}");
    let journal = get(format!("/api/v1/incidents/{id}/journal")).await;
    let entries = journal.as_array().or_else(|| journal["items"].as_array()).unwrap().clone();
    assert_eq!(entries.len(), 2, "{journal}");
    assert!(entries.iter().all(|e| e["author"] == "system:handoff:brute"), "{journal}");
    assert!(entries[1]["body"].as_str().unwrap().starts_with("1 more events from the feed blocklist"), "{journal}");
    assert!(terminate(&mut child).success());
    assert!(i.ok(&["audit", "verify"]).contains("intact"));
}

#[tokio::test]
async fn a_handoff_rule_opens_an_incident_after_feed_ingest_on_sqlite() {
    a_rule_opens_and_updates_an_incident_after_ingest(&Instance::sqlite()).await;
}

#[tokio::test]
async fn a_handoff_rule_opens_an_incident_after_feed_ingest_on_postgres() {
    let Some(pg) = PgSchema::create("handoff").await else { return };
    let i = Instance { dir: tempfile::tempdir().unwrap(), database_url: Some(pg.url.clone()) };
    a_rule_opens_and_updates_an_incident_after_ingest(&i).await;
    pg.drop_schema().await;
}

/// Inside `serve`, a scheduled feed run that stores events hands them off too.
#[tokio::test]
async fn a_scheduled_feed_run_hands_its_events_off() {
    let i = Instance::sqlite();
    let drop = i.dir.path().join("drop");
    std::fs::create_dir_all(&drop).unwrap();
    write(&drop, "ssh.txt", "192.0.2.1\n192.0.2.2\n");
    std::fs::create_dir_all(i.data_dir()).unwrap();
    let feed = format!(
        "[[feeds]]\nname = \"blocklist\"\nformat = \"blocklistde\"\noptions = {{ list = \"ssh\" }}\ninterval_secs = 3600\n\
         collector = {{ kind = \"directory\", path = \"{}\", pattern = \"*.txt\" }}\n",
        drop.display()
    );
    write(&i.data_dir(), "cirtkit.toml", &format!("{feed}{RULES}"));
    i.ok(&["init"]);
    let orgs = write(i.dir.path(), "orgs.csv", ORGS);
    i.ok(&["org", "import", "--format", "csv", orgs.to_str().unwrap()]);
    let (mut child, _addr, mut log) = i.serve();
    let handed_off = log
        .by_ref()
        .map_while(Result::ok)
        .find(|l| l.contains("hand-off") || l.contains("hand-off failed"))
        .expect("the server logged the hand-off");
    assert!(terminate(&mut child).success());
    std::mem::drop(log);
    let line = json(&handed_off);
    assert_eq!(line["rule"], "brute", "{line}");
    assert_eq!(line["opened"], 1, "{line}");
    assert_eq!(json(&i.ok(&["status", "--json"]))["incidents"], 1);
}
