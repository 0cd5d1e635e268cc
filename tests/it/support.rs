//! What the integration tests share: running the binary in a fresh data directory, and a fresh
//! PostgreSQL schema when `CIRTKIT_TEST_DATABASE_URL` is set.

use std::io::{BufRead, BufReader, Lines, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

pub const ADMIN_PASSWORD: &str = "integration-test-password";

/// A data directory of its own, and optionally a database URL to use instead of SQLite.
pub struct Instance {
    pub dir: tempfile::TempDir,
    pub database_url: Option<String>,
}

impl Instance {
    pub fn sqlite() -> Instance {
        Instance { dir: tempfile::tempdir().unwrap(), database_url: None }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn sqlite_file(&self) -> PathBuf {
        self.data_dir().join("cirtkit.db")
    }

    /// A `cirtkit` command for this instance, with a clean environment of `CIRTKIT_*` variables.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_cirtkit"));
        for (k, _) in std::env::vars() {
            if k.starts_with("CIRTKIT_") {
                cmd.env_remove(k);
            }
        }
        cmd.env("CIRTKIT_ADMIN_PASSWORD", ADMIN_PASSWORD);
        cmd.arg("--data-dir").arg(self.data_dir());
        if let Some(url) = &self.database_url {
            cmd.arg("--database-url").arg(url);
        }
        cmd.args(args);
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.run_with_stdin(args, b"")
    }

    pub fn run_with_stdin(&self, args: &[&str], stdin: &[u8]) -> Output {
        let mut child =
            self.command(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        child.stdin.take().unwrap().write_all(stdin).unwrap();
        child.wait_with_output().unwrap()
    }

    /// Starts `cirtkit serve` on a free loopback port, logging JSON to a pipe; returns the
    /// process, the address it listens on, and the rest of its log.
    pub fn serve(&self) -> (Child, String, Lines<BufReader<ChildStderr>>) {
        let mut child = self
            .command(&["--log-format", "json", "serve", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let addr = lines
            .by_ref()
            .map_while(Result::ok)
            .find(|l| l.contains("serving HTTP"))
            .and_then(|l| serde_json::from_str::<serde_json::Value>(&l).ok()?["address"].as_str().map(str::to_owned))
            .expect("the server said where it listens");
        (child, addr, lines)
    }

    /// Runs and requires success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "cirtkit {args:?} failed:\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs and requires failure; returns stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(!out.status.success(), "cirtkit {args:?} should have failed: {}", String::from_utf8_lossy(&out.stdout));
        String::from_utf8(out.stderr).unwrap()
    }
}

/// A PostgreSQL database URL whose connections work in a fresh schema of their own, dropped
/// when the guard goes; `None` when no server is configured.
pub struct PgSchema {
    pub url: String,
    admin_url: String,
    schema: String,
}

impl PgSchema {
    pub async fn create(tag: &str) -> Option<PgSchema> {
        let Ok(admin_url) = std::env::var("CIRTKIT_TEST_DATABASE_URL") else {
            let _ = writeln!(
                std::io::stderr(),
                "note: PostgreSQL tests skipped ({tag}): set CIRTKIT_TEST_DATABASE_URL to run them"
            );
            return None;
        };
        let schema = format!("cirtkit_it_{tag}_{}", std::process::id());
        let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin_url).await.unwrap();
        sqlx::raw_sql(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"))
            .execute(&mut conn)
            .await
            .unwrap();
        let sep = if admin_url.contains('?') { '&' } else { '?' };
        let url = format!("{admin_url}{sep}options=-c%20search_path%3D{schema}");
        Some(PgSchema { url, admin_url, schema })
    }

    pub async fn drop_schema(self) {
        let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&self.admin_url).await.unwrap();
        sqlx::raw_sql(&format!("DROP SCHEMA {} CASCADE", self.schema)).execute(&mut conn).await.unwrap();
    }
}

/// Sends SIGTERM, as a service manager would, and waits (30 s at most) for the process to end.
pub fn terminate(child: &mut Child) -> ExitStatus {
    let killed = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status().unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "the process did not stop within 30 s of SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub fn json(out: &str) -> serde_json::Value {
    serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

pub fn write(dir: &Path, name: &str, content: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p
}

/// The real application on a loopback port, over a fresh SQLite database.
pub struct App {
    pub base: String,
    pub services: cirtkit_service::Services,
    _dir: tempfile::TempDir,
}

/// Starts the real application (the same wiring as `cirtkit serve`) on port 0.
pub async fn spawn_app() -> App {
    spawn_app_with_config("").await
}

/// Starts the real application with this `cirtkit.toml` in its data directory.
pub async fn spawn_app_with_config(cirtkit_toml: &str) -> App {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    write(&dir.path().join("data"), "cirtkit.toml", cirtkit_toml);
    let overrides = cirtkit_app::Overrides {
        data_dir: Some(dir.path().join("data")),
        listen: Some("127.0.0.1:0".into()),
        ..Default::default()
    };
    let config = cirtkit_app::Config::load(&overrides).unwrap();
    let services = cirtkit_app::open_services(&config).await.unwrap();
    let app = cirtkit_app::Application::build(&config, services.clone()).await.unwrap();
    let addr = app.local_addr().unwrap();
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    App { base: format!("http://{addr}"), services, _dir: dir }
}

/// Where [`test_certificates`] wrote the test CA and the server's certificate and key.
pub struct TestCertificates {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// Makes a test CA in `dir`, and a certificate it signs for `localhost` and 127.0.0.1 (for mail
/// servers on loopback that speak TLS); `None` when openssl is missing.
pub fn test_certificates(dir: &Path) -> Option<TestCertificates> {
    let run = |args: &[&str]| {
        let out = Command::new("openssl").args(args).current_dir(dir).output().ok()?;
        assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        Some(())
    };
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj"];
    let request = |head: &[&str], subject: &str| {
        let mut args = head.to_vec();
        args.extend(ec);
        args.push(subject);
        run(&args)
    };
    request(&["req", "-x509", "-days", "2", "-keyout", "ca.key", "-out", "ca.pem"], "/CN=cirtkit test CA")?;
    request(&["req", "-keyout", "key.pem", "-out", "req.csr"], "/CN=localhost")?;
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName = DNS:localhost, IP:127.0.0.1\nbasicConstraints = CA:FALSE\nextendedKeyUsage = serverAuth\n",
    )
    .unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "req.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-out",
        "cert.pem",
        "-extfile",
        "ext.cnf",
    ])?;
    Some(TestCertificates { ca: dir.join("ca.pem"), cert: dir.join("cert.pem"), key: dir.join("key.pem") })
}
