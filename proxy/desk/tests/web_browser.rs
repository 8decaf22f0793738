//! End to end in a real browser: headless Chromium, driven over WebDriver
//! (chromedriver), submits the public form by keyboard in Dutch and
//! English, two analysts log in, assess and confirm, and the statistics
//! page shows an SVG chart. Screenshots go to
//! `target/desk-screenshots/NN-name.png`.
//!
//! Skipped (with a message) when Chromium or chromedriver is missing,
//! unless `HASHWALL_REQUIRE_PEERS=1`.

mod web_common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};
use web_common::{PASSWORD, Server, raw};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
const TAB: &str = "\u{E004}";
const ENTER: &str = "\u{E007}";
const DOWN: &str = "\u{E015}";

/// chromedriver, ended when dropped.
struct Driver {
    child: Child,
    addr: SocketAddr,
    _profile: tempfile::TempDir,
    session: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        // A test that failed half-way still ends its browser: chromedriver
        // closes Chromium when the session is deleted (blocking here, as
        // drop cannot await); then chromedriver itself is ended.
        if !self.session.is_empty() {
            use std::io::{Read, Write};
            if let Ok(mut s) =
                std::net::TcpStream::connect_timeout(&self.addr, Duration::from_secs(2))
            {
                let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
                let head = format!(
                    "DELETE /session/{} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
                    self.session, self.addr
                );
                let _ = s.write_all(head.as_bytes());
                let _ = s.read(&mut [0u8; 1024]);
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn call(addr: SocketAddr, method: &str, path: &str, body: Option<Value>) -> Value {
    match try_call(addr, method, path, body).await {
        Ok(v) => v,
        Err(e) => panic!("WebDriver {method} {path}: {e}"),
    }
}

async fn try_call(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Result<Value, String> {
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let r = raw(addr, &head, body.as_bytes()).await;
    let v: Value = serde_json::from_str(&r.body).unwrap_or(Value::Null);
    if r.status < 300 {
        Ok(v["value"].clone())
    } else {
        Err(format!("{} {}", r.status, v["value"]["message"]))
    }
}

impl Driver {
    async fn start() -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let profile = tempfile::tempdir().expect("profile dir");
        let mut driver = Driver {
            child,
            addr,
            _profile: profile,
            session: String::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while tokio::net::TcpStream::connect(addr).await.is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1100,1000",
            &format!("--user-data-dir={}", driver._profile.path().display()),
        ];
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args}
        }}});
        let v = call(addr, "POST", "/session", Some(caps)).await;
        driver.session = v["sessionId"].as_str().expect("session id").to_string();
        driver
            .cmd(
                "POST",
                "timeouts",
                Some(json!({"implicit": 5000, "pageLoad": 20000})),
            )
            .await;
        driver
    }

    async fn cmd(&self, method: &str, what: &str, body: Option<Value>) -> Value {
        let path = format!("/session/{}/{what}", self.session);
        call(self.addr, method, &path, body).await
    }

    async fn goto(&self, url: &str) {
        self.cmd("POST", "url", Some(json!({"url": url}))).await;
    }

    async fn find(&self, css: &str) -> String {
        let v = self
            .cmd(
                "POST",
                "element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        v[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}"))
            .to_string()
    }

    async fn active(&self) -> String {
        let v = self.cmd("GET", "element/active", None).await;
        v[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("active element: {v}"))
            .to_string()
    }

    async fn active_id(&self) -> String {
        let e = self.active().await;
        let v = self
            .cmd("GET", &format!("element/{e}/attribute/id"), None)
            .await;
        v.as_str().unwrap_or("").to_string()
    }

    /// Types into whatever has the focus (as a keyboard does).
    async fn keys(&self, text: &str) {
        let e = self.active().await;
        self.cmd(
            "POST",
            &format!("element/{e}/value"),
            Some(json!({"text": text})),
        )
        .await;
    }

    async fn type_into(&self, css: &str, text: &str) {
        let e = self.find(css).await;
        self.cmd(
            "POST",
            &format!("element/{e}/value"),
            Some(json!({"text": text})),
        )
        .await;
    }

    async fn click(&self, css: &str) {
        let e = self.find(css).await;
        self.cmd("POST", &format!("element/{e}/click"), Some(json!({})))
            .await;
    }

    /// Waits (up to 10 s) until the element `css` of the page now loaded
    /// says `expected`: a click's navigation may still be under way.
    async fn wait_text(&self, css: &str, expected: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut last = String::new();
        while Instant::now() < deadline {
            let path = format!("/session/{}/element", self.session);
            let found = try_call(
                self.addr,
                "POST",
                &path,
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
            if let Ok(e) = found
                && let Some(id) = e[ELEMENT].as_str()
            {
                let path = format!("/session/{}/element/{id}/text", self.session);
                if let Ok(t) = try_call(self.addr, "GET", &path, None).await {
                    last = t.as_str().unwrap_or("").to_string();
                    if last == expected {
                        return;
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{css} says {last:?}, not {expected:?}");
    }

    async fn source(&self) -> String {
        self.cmd("GET", "source", None)
            .await
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    async fn text(&self, css: &str) -> String {
        let e = self.find(css).await;
        self.cmd("GET", &format!("element/{e}/text"), None)
            .await
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    async fn screenshot(&self, dir: &Path, name: &str) -> PathBuf {
        let v = self.cmd("GET", "screenshot", None).await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(v.as_str().expect("screenshot"))
            .expect("base64 png");
        assert!(png.starts_with(b"\x89PNG"), "a PNG");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write screenshot");
        path
    }

    async fn quit(&mut self) {
        call(
            self.addr,
            "DELETE",
            &format!("/session/{}", self.session),
            None,
        )
        .await;
        self.session.clear();
    }
}

fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let dir = target.join("desk-screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

/// Fills in and sends the public form with the keyboard only: the URL
/// field has the focus on arrival, Tab moves on, Enter sends.
async fn report_by_keyboard(d: &Driver, url: &str, description: &str) {
    assert_eq!(d.active_id().await, "urls", "the URL field has the focus");
    d.keys(url).await;
    d.keys(TAB).await;
    assert_eq!(d.active_id().await, "category");
    d.keys(DOWN).await; // terrorism
    d.keys(TAB).await;
    assert_eq!(d.active_id().await, "description");
    d.keys(description).await;
    d.keys(TAB).await;
    assert_eq!(d.active_id().await, "email");
    d.keys(TAB).await;
    assert_eq!(d.active_id().await, "submit");
    d.keys(ENTER).await;
}

async fn login(d: &Driver, base: &str, name: &str) {
    d.goto(&format!("{base}/login")).await;
    d.type_into("#name", name).await;
    d.type_into("#password", PASSWORD).await;
    d.click("#login").await;
    d.wait_text("h1", "Queue").await;
    assert!(
        d.source().await.contains(&format!("{name} (")),
        "{name} is logged in"
    );
}

#[tokio::test]
async fn a_browser_reports_by_keyboard_and_two_analysts_list_it() {
    let present = Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists();
    if !present {
        if std::env::var("HASHWALL_REQUIRE_PEERS").as_deref() == Ok("1") {
            panic!(
                "HASHWALL_REQUIRE_PEERS=1 but {CHROMIUM} or {CHROMEDRIVER} is missing (apt-get install chromium chromium-driver)"
            );
        }
        eprintln!("browser test skipped: install chromium and chromium-driver to run it");
        return;
    }
    let server = Server::start(|_, _| {}).await;
    let base = format!("http://{}", server.addr);
    let shots = screenshot_dir();
    let mut d = Driver::start().await;

    // The public, in Dutch, by keyboard.
    d.goto(&format!("{base}/?lang=nl")).await;
    assert!(d.source().await.contains("Meld illegale inhoud online"));
    d.screenshot(&shots, "01-form-nl").await;
    report_by_keyboard(
        &d,
        "http://browser.example/propaganda/1.html",
        "gezien op een forum",
    )
    .await;
    let reference = d.text("#reference").await;
    assert!(reference.starts_with("R-"), "{reference}");
    assert!(d.source().await.contains("Dank u, uw melding is ontvangen"));
    d.screenshot(&shots, "02-thanks-nl").await;
    d.click("a[href^='/report/']").await;
    d.wait_text("#state", "Ontvangen").await;
    d.screenshot(&shots, "03-state-nl").await;

    // And in English (the switch link, then the keyboard).
    d.goto(&format!("{base}/")).await;
    d.click("a[hreflang='en']").await;
    d.wait_text("h1", "Report illegal content online").await;
    d.screenshot(&shots, "04-form-en").await;
    report_by_keyboard(&d, "http://browser.example/other/2.html", "seen in a chat").await;
    let second = d.text("#reference").await;
    assert_ne!(second, reference);
    assert!(
        d.source()
            .await
            .contains("Thank you, your report was received")
    );

    // Analyst A opens and assesses (the defaults: illegal, terrorism, exact url).
    login(&d, &base, "ann").await;
    assert!(d.source().await.contains(&reference));
    d.screenshot(&shots, "05-queue").await;
    d.goto(&format!("{base}/reports/{reference}")).await;
    let page = d.source().await;
    assert!(page.contains("http://browser.example/propaganda/1.html"));
    assert!(!page.contains("href=\"http://browser.example"));
    d.screenshot(&shots, "06-report-assess").await;
    d.click("#assess").await;
    d.wait_text("#status", "awaiting_confirmation").await;
    assert!(d.source().await.contains("another analyst must confirm"));
    d.click("header form button").await; // log out
    d.wait_text("h1", "Staff login").await;

    // Analyst B confirms.
    login(&d, &base, "bob").await;
    d.goto(&format!("{base}/reports/{reference}")).await;
    d.screenshot(&shots, "07-report-confirm").await;
    d.click("#confirm").await;
    d.wait_text("#status", "closed").await;
    d.screenshot(&shots, "08-report-closed").await;
    let published =
        std::fs::read_to_string(server.publication("desk-terrorism").join("list-1.hwl"))
            .expect("published list");
    assert!(
        published.contains("browser.example/propaganda/1.html") && published.contains(&reference)
    );

    // The statistics page draws its charts as SVG.
    d.goto(&format!("{base}/stats")).await;
    d.wait_text("h1", "Statistics on alerts").await;
    let stats = d.source().await;
    assert!(stats.contains("<svg"), "an SVG chart: {stats}");
    assert!(stats.contains("id=\"total-reports\">2<"));
    d.screenshot(&shots, "09-stats").await;
    d.quit().await;
    drop(d);
    server.stop().await;
}
