//! The handlers' interface in headless Chromium, driven through chromedriver (Debian's
//! `chromium` and `chromium-driver`, which `.ci/run` installs), against the real binary's
//! demonstration CIRT: sign in, open an incident from a pasted mail, move it through its states,
//! reply by mail to a real SMTP server, and read the Arabic interface right to left.
//!
//! Skipped, with a note, when chromedriver or Chromium is missing. With
//! `CIRTKIT_SCREENSHOTS=DIR` the tests also save screenshots of the main pages there (the README
//! shows the ones in docs/screenshots, made with `CIRTKIT_SCREENSHOTS=docs/screenshots`).

use crate::mail_out::SmtpServer;
use crate::support::Instance;
use fantoccini::{Client, ClientBuilder, Locator, elements::Element};
use serde_json::json;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn find_program(env: &str, names: &[&str]) -> Option<PathBuf> {
    if let Ok(path) = std::env::var(env) {
        return Some(PathBuf::from(path));
    }
    let dirs = std::env::var("PATH").unwrap_or_default();
    names
        .iter()
        .flat_map(|n| std::env::split_paths(&dirs).map(move |d| d.join(n)))
        .chain(names.iter().map(|n| PathBuf::from("/usr/bin").join(n)))
        .find(|p| p.is_file())
}

/// A child process killed when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn wait_for_port(port: u16, what: &str, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(child.try_wait().unwrap().is_none(), "{what} stopped at once");
        assert!(Instant::now() < deadline, "{what} did not listen on {port} within 20 s");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// chromedriver and Chromium, or `None` (with a note) when either is missing.
struct Browser {
    _driver: Running,
    url: String,
    chromium: PathBuf,
}

impl Browser {
    fn start() -> Option<Browser> {
        let driver = find_program("CIRTKIT_CHROMEDRIVER", &["chromedriver"]);
        let chromium = find_program("CIRTKIT_CHROMIUM", &["chromium", "chromium-browser", "google-chrome"]);
        let (Some(driver), Some(chromium)) = (driver, chromium) else {
            let _ = writeln!(
                std::io::stderr(),
                "note: browser tests skipped: chromium and chromedriver are missing (Debian: apt-get install chromium chromium-driver)"
            );
            return None;
        };
        let port = free_port();
        let mut child = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        wait_for_port(port, "chromedriver", &mut child);
        Some(Browser { _driver: Running(child), url: format!("http://127.0.0.1:{port}"), chromium })
    }

    async fn client(&self, lang: &str) -> Client {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": self.chromium,
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                         "--window-size=1280,900", format!("--lang={lang}")],
            }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        ClientBuilder::new(connector).capabilities(caps).connect(&self.url).await.unwrap()
    }
}

/// `cirtkit demo` (the README's command) on a free port, with outbound mail to `smtp_port`.
struct Demo {
    _process: Running,
    _instance: Instance,
    base: String,
    passwords: HashMap<String, String>,
}

impl Demo {
    fn start(smtp_port: u16) -> Demo {
        let instance = Instance::sqlite();
        std::fs::create_dir_all(instance.data_dir()).unwrap();
        std::fs::write(
            instance.data_dir().join("cirtkit.toml"),
            format!(
                "[smtp]\nhost = \"127.0.0.1\"\nport = {smtp_port}\ntls = \"none\"\nfrom = \"cirt@cirt.example\"\ntimeout_secs = 5\n"
            ),
        )
        .unwrap();
        let mut child = instance
            .command(&["demo", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut passwords = HashMap::new();
        let mut base = None;
        let mut lines = BufReader::new(stdout).lines();
        for line in lines.by_ref() {
            let line = line.unwrap();
            let words: Vec<&str> = line.split_whitespace().collect();
            if let [name, _role, password] = words.as_slice() {
                passwords.insert((*name).to_owned(), (*password).to_owned());
            }
            if let Some(url) = line.strip_prefix("Serving the demonstration at ") {
                base = Some(url.trim_end_matches('/').to_owned());
                break;
            }
        }
        let base = base.expect("the demo said where it serves");
        // Keep reading what it prints, or its next line would meet a closed pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Demo { _process: Running(child), _instance: instance, base, passwords }
    }
}

async fn find(c: &Client, css: &str) -> Element {
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
}

async fn sign_in(c: &Client, demo: &Demo, name: &str) {
    c.goto(&format!("{}/login", demo.base)).await.unwrap();
    find(c, "#name").await.send_keys(name).await.unwrap();
    find(c, "#password").await.send_keys(&demo.passwords[name]).await.unwrap();
    find(c, "form[action='/login'] button[type=submit]").await.click().await.unwrap();
    find(c, "header.top nav").await;
    assert!(c.current_url().await.unwrap().path().starts_with("/dashboard"), "signed in to the dashboard");
}

async fn screenshot(c: &Client, name: &str) {
    let Ok(dir) = std::env::var("CIRTKIT_SCREENSHOTS") else { return };
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(dir);
    std::fs::create_dir_all(&dir).unwrap();
    let png = c.screenshot().await.unwrap();
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

async fn text(c: &Client, css: &str) -> String {
    find(c, css).await.text().await.unwrap()
}

#[tokio::test]
async fn a_handler_works_an_incident_from_report_to_closure_in_the_browser() {
    let Some(smtp) = SmtpServer::start() else { return };
    let Some(browser) = Browser::start() else { return };
    let demo = Demo::start(smtp.port);
    let c = browser.client("en").await;
    sign_in(&c, &demo, "sarah.haddad").await;
    screenshot(&c, "en-dashboard").await;
    assert!(find(&c, "svg.chart").await.attr("role").await.unwrap().as_deref() == Some("img"));

    // Paste a mail: the script finds the observables (defanged ones too) without leaving the page.
    c.goto(&format!("{}/incidents/new", demo.base)).await.unwrap();
    find(&c, "#title").await.send_keys("Phishing kit on a hacked site").await.unwrap();
    find(&c, "#paste")
        .await
        .send_keys("Reported by a customer: hxxps://secure-login.bank[.]example/verify hosted at 192.0.2[.]77")
        .await
        .unwrap();
    find(&c, "button[formaction='/incidents/new/extract']").await.click().await.unwrap();
    find(&c, "#found input[value='192.0.2.77']").await;
    find(&c, "#found input[value='https://secure-login.bank.example/verify']").await;
    assert!(c.current_url().await.unwrap().path().ends_with("/incidents/new"), "the page stayed");
    find(&c, "#severity option[value='high']").await.click().await.unwrap();
    find(&c, "#rsit option[value='fraud/phishing']").await.click().await.unwrap();
    screenshot(&c, "en-new-incident").await;
    find(&c, "#create").await.click().await.unwrap();
    find(&c, ".tlp-banner").await;
    let url = c.current_url().await.unwrap();
    let reference = url.path().trim_start_matches("/incidents/").to_owned();
    assert!(reference.starts_with("CIRT-"), "{url}");
    assert_eq!(text(&c, ".tlp-banner").await, "TLP:AMBER");

    // Through its states with the buttons the page offers (only legal ones).
    for (step, state) in [("triage", "triage"), ("start", "in-progress")] {
        find(&c, &format!("button[value='{step}']")).await.click().await.unwrap();
        find(&c, &format!("h2[data-state='{state}']")).await;
    }
    assert!(c.find(Locator::Css("button[value='close']")).await.is_err(), "no close from in progress");

    // Reply by mail from the incident page.
    find(&c, "details summary").await.click().await.unwrap();
    find(&c, "#reply-to").await.clear().await.unwrap();
    find(&c, "#reply-to").await.send_keys("soc@bank.example").await.unwrap();
    find(&c, "#reply-body").await.send_keys("Please take the kit down and tell us when it is done.").await.unwrap();
    find(&c, "form[action$='/reply'] button[type=submit]").await.click().await.unwrap();
    find(&c, ".journal li.mail-out").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while smtp.messages().is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let messages = smtp.messages();
    assert_eq!(messages.len(), 1);
    assert!(messages[0].contains(&format!("[{reference}]")), "{}", messages[0]);
    screenshot(&c, "en-incident").await;

    for (step, state) in [("resolve", "resolved"), ("close", "closed")] {
        find(&c, &format!("button[value='{step}']")).await.click().await.unwrap();
        find(&c, &format!("h2[data-state='{state}']")).await;
    }

    // Found again by an address inside a netblock, from the list's observable search.
    c.goto(&format!("{}/incidents?obs=192.0.2.0%2F24", demo.base)).await.unwrap();
    find(&c, &format!("a[href='/incidents/{reference}']")).await;
    c.goto(&format!("{}/incidents", demo.base)).await.unwrap();
    screenshot(&c, "en-incidents").await;
    c.close().await.unwrap();
}

#[tokio::test]
async fn the_arabic_interface_reads_right_to_left() {
    let Some(browser) = Browser::start() else { return };
    let demo = Demo::start(free_port());
    let c = browser.client("en").await;
    sign_in(&c, &demo, "admin").await;
    // Switch with the footer's language buttons: the choice is saved for the user.
    find(&c, "footer button[value='ar']").await.click().await.unwrap();
    c.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css("html[dir='rtl']")).await.unwrap();
    let layout = c
        .execute(
            "return [getComputedStyle(document.documentElement).direction, \
             document.querySelector('.brand').getBoundingClientRect().left, window.innerWidth, document.title];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(layout[0], "rtl");
    let (left, width) = (layout[1].as_f64().unwrap(), layout[2].as_f64().unwrap());
    assert!(left > width / 2.0, "the brand starts the header on the right: {left} of {width}");
    assert!(layout[3].as_str().unwrap().contains("لوحة المتابعة"), "{}", layout[3]);
    screenshot(&c, "ar-dashboard").await;
    c.goto(&format!("{}/incidents", demo.base)).await.unwrap();
    assert_eq!(text(&c, "h1").await, "الحوادث");
    screenshot(&c, "ar-incidents").await;
    let first = find(&c, "tbody a").await.attr("href").await.unwrap().unwrap();
    c.goto(&format!("{}{first}", demo.base)).await.unwrap();
    find(&c, ".tlp-banner").await;
    screenshot(&c, "ar-incident").await;

    // At 360 px wide (a phone), no page scrolls sideways: wide tables scroll in their own box.
    c.set_window_size(360, 800).await.unwrap();
    for path in ["/dashboard", "/incidents", first.as_str(), "/incidents/new", "/settings"] {
        c.goto(&format!("{}{path}", demo.base)).await.unwrap();
        find(&c, "main h1").await;
        let widths =
            c.execute("return [document.documentElement.scrollWidth, window.innerWidth];", vec![]).await.unwrap();
        let (scroll, inner) = (widths[0].as_f64().unwrap(), widths[1].as_f64().unwrap());
        assert!(scroll <= inner + 1.0, "{path} is {scroll} px wide in a {inner} px window");
        if path == first {
            screenshot(&c, "ar-incident-phone").await;
        }
    }
    c.set_window_size(1280, 900).await.unwrap();

    // Signed out, the public form follows the browser's language and the saved cookie.
    find(&c, "form[action='/logout'] button").await.click().await.unwrap();
    c.goto(&format!("{}/report", demo.base)).await.unwrap();
    assert_eq!(text(&c, "h1").await, "الإبلاغ عن حادثة");
    screenshot(&c, "ar-report").await;
    find(&c, "footer button[value='fr']").await.click().await.unwrap();
    c.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css("html[lang='fr'][dir='ltr']")).await.unwrap();
    c.goto(&format!("{}/report", demo.base)).await.unwrap();
    assert_eq!(text(&c, "h1").await, "Signaler un incident");
    c.close().await.unwrap();
}
