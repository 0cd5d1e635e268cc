//! The `cirtkit` binary, run as an operator would.

use crate::support::{Instance, PgSchema, json, write};

const SUBCOMMANDS: &[&[&str]] = &[
    &["init"],
    &["serve"],
    &["demo"],
    &["migrate"],
    &["migrate", "status"],
    &["user"],
    &["user", "add"],
    &["user", "list"],
    &["user", "disable"],
    &["user", "enable"],
    &["user", "passwd"],
    &["token"],
    &["token", "create"],
    &["token", "list"],
    &["token", "revoke"],
    &["org"],
    &["org", "import"],
    &["org", "export"],
    &["status"],
    &["audit"],
    &["audit", "verify"],
    &["config"],
    &["config", "check"],
    &["mail"],
    &["mail", "ingest"],
    &["bench"],
    &["bench", "api"],
    &["bench", "pipeline"],
    &["feed"],
    &["feed", "list"],
    &["feed", "formats"],
    &["feed", "test"],
    &["feed", "run"],
    &["feed", "rerun"],
    &["feed", "ingest"],
    &["events"],
    &["events", "export"],
];

#[test]
fn every_command_explains_itself() {
    let i = Instance::sqlite();
    let top = i.ok(&["--help"]);
    for word in ["init", "serve", "demo", "--data-dir", "--database-url", "--listen", "--config", "--log-format"] {
        assert!(top.contains(word), "--help lacks {word}:\n{top}");
    }
    for sub in SUBCOMMANDS {
        let mut args = sub.to_vec();
        args.push("--help");
        let help = i.ok(&args);
        assert!(help.contains("Usage:"), "{sub:?} --help:\n{help}");
    }
}

#[test]
fn bad_input_ends_with_one_error_line_and_no_panic() {
    let i = Instance::sqlite();
    i.ok(&["init"]);
    let err = i.fails(&["--database-url", "mysql://x", "status"]);
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains("sqlite:// or postgres://"), "{err}");
    assert!(!err.contains("panicked") && !err.contains("backtrace"), "{err}");
    let err = i.fails(&["--listen", "nowhere", "status"]);
    assert!(err.contains("server.listen"), "{err}");
    let err = i.fails(&["user", "disable", "Not A Name"]);
    assert!(err.starts_with("error: ") && err.contains("user name"), "{err}");
}

#[test]
fn init_then_status_users_and_tokens() {
    let i = Instance::sqlite();
    let out = i.ok(&["init"]);
    assert!(out.contains("Created the admin user admin"), "{out}");
    assert!(!out.contains("password, shown"), "a given password is not printed");
    assert!(i.ok(&["init"]).contains("already initialised"));

    let status = json(&i.ok(&["status", "--json"]));
    for key in ["organisations", "incidents", "events", "partners", "users", "schema_version"] {
        assert!(status.get(key).is_some(), "status lacks {key}: {status}");
    }
    assert_eq!(status["users"], 1);
    assert_eq!(status["schema_version"], cirtkit_storage::Store::latest_schema_version());

    let out = i.run_with_stdin(
        &["user", "add", "amina", "--role", "analyst", "--language", "ar", "--password-stdin"],
        b"a long enough password\n",
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let short = i.run_with_stdin(&["user", "add", "bob", "--role", "analyst", "--password-stdin"], b"short\n");
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 12 characters"));
    let generated = i.ok(&["user", "add", "karim", "--role", "auditor"]);
    assert!(generated.contains("shown only this once"), "{generated}");
    let err = i.fails(&["user", "add", "nour", "--role", "constituent"]);
    assert!(err.contains("organisation"), "{err}");
    let list = i.ok(&["user", "list"]);
    assert!(list.contains("amina") && list.contains("analyst") && list.contains("karim"), "{list}");

    let created = i.ok(&["token", "create", "--user", "amina", "--name", "scripts"]);
    let token = created.lines().last().unwrap();
    assert!(token.starts_with("cirtkit_") && token.len() > 40, "{created}");
    let listed = i.ok(&["token", "list", "--json"]);
    assert!(!listed.contains(token), "a token is never shown again");
    let tokens = json(&listed);
    assert_eq!(tokens[0]["user_name"], "amina");
    let id = tokens[0]["id"].to_string();
    assert!(i.ok(&["token", "revoke", &id]).contains("revoked"));
    assert!(i.fails(&["token", "revoke", &id]).contains("already revoked"));

    i.ok(&["user", "disable", "amina"]);
    assert!(i.ok(&["user", "list"]).contains("disabled"));
    i.ok(&["user", "passwd", "karim"]);
    assert!(i.ok(&["audit", "verify"]).contains("intact"));
}

const ORGS_CSV: &str = "organisation,record,sector,country,languages,value,name,email,phone,language,role,openpgp_key
Agence Nationale de l'Energie,organisation,energy,TN,ar fr,,,,,,,
Agence Nationale de l'Energie,netblock,,,,198.51.100.0/24,,,,,,
Agence Nationale de l'Energie,contact,,,,,SOC,soc@ane.example,,fr,security,
Réseau Universitaire,organisation,education,TN,ar en fr,,,,,,,
Réseau Universitaire,netblock,,,,192.0.2.0/24,,,,,,
Réseau Universitaire,netblock,,,,2001:db8:100::/48,,,,,,
Réseau Universitaire,asn,,,,AS64501,,,,,,
Réseau Universitaire,domain,,,,ru.example,,,,,,
Réseau Universitaire,contact,,,,,سامي الحداد,abuse@ru.example,+216 71 100 200,ar,abuse,
";

#[test]
fn constituency_export_import_export_is_byte_identical() {
    let a = Instance::sqlite();
    a.ok(&["init"]);
    let file = write(a.dir.path(), "orgs.csv", ORGS_CSV);
    let out = a.ok(&["org", "import", "--format", "csv", file.to_str().unwrap()]);
    assert!(out.contains("2 created"), "{out}");
    for format in ["csv", "json"] {
        let first = a.ok(&["org", "export", "--format", format]);
        let b = Instance::sqlite();
        b.ok(&["init"]);
        let out = b.run_with_stdin(&["org", "import", "--format", format, "-"], first.as_bytes());
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let second = b.ok(&["org", "export", "--format", format]);
        assert_eq!(first, second, "{format} export → import → export changed the bytes");
        // Importing the same again changes nothing.
        let again = b.run_with_stdin(&["org", "import", "--format", format, "-"], first.as_bytes());
        assert!(String::from_utf8_lossy(&again.stdout).contains("2 unchanged"));
    }
}

#[test]
fn a_bad_row_is_named_and_nothing_is_half_imported() {
    let i = Instance::sqlite();
    i.ok(&["init"]);
    let bad = ORGS_CSV.replace("192.0.2.0/24", "192.0.2.0/40");
    let file = write(i.dir.path(), "bad.csv", &bad);
    let err = i.fails(&["org", "import", "--format", "csv", file.to_str().unwrap()]);
    assert!(err.contains("line 6"), "{err}");
    assert!(err.contains("nothing was imported"), "{err}");
    assert_eq!(json(&i.ok(&["status", "--json"]))["organisations"], 0);
    let err = i.fails(&["org", "import", "--format", "json", file.to_str().unwrap()]);
    assert!(err.contains("line 1"), "{err}");
}

#[test]
fn a_tampered_audit_row_is_caught_by_verify() {
    let i = Instance::sqlite();
    i.ok(&["init"]);
    let file = write(i.dir.path(), "orgs.csv", ORGS_CSV);
    i.ok(&["org", "import", "--format", "csv", file.to_str().unwrap()]);
    assert!(i.ok(&["audit", "verify"]).contains("intact"));
    let db = i.sqlite_file();
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let url = format!("sqlite://{}", db.display());
        let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url).await.unwrap();
        sqlx::raw_sql("DROP TRIGGER audit_log_no_update; UPDATE audit_log SET actor = 'cli:mallory' WHERE id = 2")
            .execute(&mut conn)
            .await
            .unwrap();
    });
    let err = i.fails(&["audit", "verify"]);
    assert!(err.contains("row 2"), "{err}");
}

#[test]
fn config_check_shows_the_effective_configuration_with_secrets_masked() {
    let i = Instance::sqlite();
    std::fs::create_dir_all(i.data_dir()).unwrap();
    write(&i.data_dir(), "cirtkit.toml", "[instance]\nname = \"TunCERT\"\n");
    let out = i.ok(&["--database-url", "postgres://cirt:hunter2@db.example/cirtkit", "config", "check"]);
    assert!(out.contains("TunCERT") && out.contains("********"), "{out}");
    assert!(!out.contains("hunter2"), "{out}");
    write(
        &i.data_dir(),
        "cirtkit.toml",
        "[instance]\nname = \"TunCERT\"\ncolour = 1\n[sla.high]\nresponse_hours = 0\nresolution_hours = 1\n",
    );
    let err = i.fails(&["config", "check"]);
    assert!(err.contains("instance.colour") && err.contains("sla.high"), "{err}");
}

#[test]
fn migrate_and_its_status() {
    let i = Instance::sqlite();
    assert!(i.ok(&["migrate", "status"]).contains("pending migrations: 1 foundation"));
    assert!(i.ok(&["migrate"]).contains("Applied migrations 1"));
    let status = json(&i.ok(&["migrate", "status", "--json"]));
    assert_eq!(status["current"], status["latest"]);
}

#[tokio::test]
async fn everything_also_works_on_postgresql() {
    let Some(pg) = PgSchema::create("cli").await else { return };
    let mut i = Instance::sqlite();
    i.database_url = Some(pg.url.clone());
    let run = |i: &Instance, args: &[&str]| i.ok(args);
    assert!(run(&i, &["init"]).contains("postgres://"));
    let file = write(i.dir.path(), "orgs.csv", ORGS_CSV);
    run(&i, &["org", "import", "--format", "csv", file.to_str().unwrap()]);
    let status = json(&run(&i, &["status", "--json"]));
    assert_eq!((status["organisations"].as_i64(), status["users"].as_i64()), (Some(2), Some(1)));
    assert_eq!(status["backend"], "postgres");
    let exported = run(&i, &["org", "export", "--format", "csv"]);
    assert_eq!(exported.lines().count(), ORGS_CSV.lines().count());
    let token = run(&i, &["token", "create", "--user", "admin"]);
    assert!(token.lines().last().unwrap().starts_with("cirtkit_"));
    assert!(run(&i, &["audit", "verify"]).contains("intact"));
    pg.drop_schema().await;
}

#[tokio::test]
async fn the_demonstration_also_seeds_postgresql() {
    let Some(pg) = PgSchema::create("demo").await else { return };
    let mut i = Instance::sqlite();
    i.database_url = Some(pg.url.clone());
    i.ok(&["demo", "--no-serve"]);
    let s = json(&i.ok(&["status", "--json"]));
    assert!(s["organisations"].as_i64().unwrap() >= 50 && s["incidents"].as_i64().unwrap() >= 200, "{s}");
    assert_eq!(s["backend"], "postgres");
    assert!(i.ok(&["audit", "verify"]).contains("intact"));
    pg.drop_schema().await;
}

#[test]
fn demo_seeds_a_realistic_cirt() {
    let i = Instance::sqlite();
    let out = i.ok(&["demo", "--no-serve", "--seed", "7"]);
    assert!(out.contains("admin") && out.contains("coordinator") && out.contains("constituent"), "{out}");
    let s = json(&i.ok(&["status", "--json"]));
    assert!(s["organisations"].as_i64().unwrap() >= 50, "{s}");
    assert!(s["incidents"].as_i64().unwrap() >= 200, "{s}");
    assert!(s["partners"].as_i64().unwrap() >= 3, "{s}");
    assert!(s["users"].as_i64().unwrap() >= 5, "{s}");
    assert!(i.ok(&["audit", "verify"]).contains("intact"));
    let err = i.fails(&["demo", "--no-serve"]);
    assert!(err.contains("not empty"), "{err}");
}

#[test]
fn an_as_table_is_imported_and_looked_up() {
    let i = Instance::sqlite();
    i.ok(&["init"]);
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/crates/pipeline/tests/expert-data/asn/");
    let out = i.ok(&["asn", "import", &format!("{data}ip2asn-sample.tsv")]);
    assert!(out.contains("ip2asn format"), "{out}");
    assert!(i.data_dir().join("asn.bin").is_file());
    let out = i.ok(&["asn", "import", &format!("{data}intelmq-ipasn.dat")]);
    assert!(out.contains("pyasn format"), "{out}");
    let out = i.ok(&["asn", "import", &format!("{data}ip2asn-sample.tsv")]);
    assert!(out.contains("Imported"), "{out}");
    let found = i.ok(&["asn", "lookup", "93.184.216.34"]);
    assert!(found.starts_with("93.184.216.34\tAS15133\t93.184.216.0/24\tEDGECAST"), "{found}");
    let missing = i.run(&["asn", "lookup", "0.0.0.1"]);
    assert_eq!(missing.status.code(), Some(1));
    let err = i.fails(&["asn", "import", &format!("{data}does-not-exist")]);
    assert!(err.contains("cannot open"), "{err}");
}
