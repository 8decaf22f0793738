//! A small WebDriver client (W3C protocol over HTTP/1.1 on loopback) for
//! Debian's `chromedriver` driving a headless Debian `chromium`: enough to
//! open pages, fill and submit forms by keyboard, read the page and take
//! screenshots.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// The key WebDriver sends for Enter.
pub const ENTER: &str = "\u{E007}";
/// The key WebDriver sends for Tab.
pub const TAB: &str = "\u{E004}";
/// The key WebDriver sends for the down arrow.
pub const DOWN: &str = "\u{E015}";
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Where Chromium and ChromeDriver are, if installed.
pub fn installed() -> Option<(PathBuf, PathBuf)> {
    let browser = PathBuf::from("/usr/bin/chromium");
    let driver = PathBuf::from("/usr/bin/chromedriver");
    (browser.exists() && driver.exists()).then_some((browser, driver))
}

/// A running chromedriver with one browser session; both end on drop.
pub struct Browser {
    driver: Child,
    addr: SocketAddr,
    session: String,
    _profile: tempfile::TempDir,
}

async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> Result<Value, String> {
    let body = body.map(Value::to_string).unwrap_or_default();
    let mut s = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    // chromedriver keeps the connection open whatever the request says:
    // read the head, then exactly Content-Length bytes (or to the end).
    let read = async {
        let mut raw = Vec::new();
        let mut chunk = [0u8; 8192];
        loop {
            if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
                let length = head.lines().find_map(|l| {
                    l.strip_prefix("content-length:")
                        .and_then(|v| v.trim().parse::<usize>().ok())
                });
                if length.is_some_and(|n| raw.len() >= end + 4 + n) {
                    return Ok::<_, std::io::Error>(raw);
                }
            }
            let n = s.read(&mut chunk).await?;
            if n == 0 {
                return Ok(raw);
            }
            raw.extend_from_slice(&chunk[..n]);
        }
    };
    let raw = tokio::time::timeout(Duration::from_secs(60), read)
        .await
        .map_err(|_| format!("{method} {path}: no answer in 60 s"))?
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&raw);
    let (head, rest) = text.split_once("\r\n\r\n").ok_or("no HTTP head")?;
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(rest)
    } else {
        rest.to_owned()
    };
    let v: Value =
        serde_json::from_str(&body).map_err(|e| format!("{method} {path}: {e}: {body}"))?;
    if v["value"].get("error").is_some() {
        return Err(format!("{method} {path}: {}", v["value"]));
    }
    Ok(v["value"].clone())
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

impl Browser {
    /// Start chromedriver and a headless Chromium (flags from
    /// `../shared/dependency-notes.md`: nothing reaches beyond loopback).
    pub async fn start(browser: &Path, driver: &Path) -> Browser {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = Instant::now() + Duration::from_secs(20);
        while http(addr, "GET", "/status", None).await.is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().unwrap();
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": browser.display().to_string(),
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--window-size=1100,900",
                    format!("--user-data-dir={}", profile.path().display())]
            }
        }}});
        let session = http(addr, "POST", "/session", Some(&caps)).await.unwrap();
        Browser {
            driver: child,
            addr,
            session: session["sessionId"].as_str().unwrap().to_owned(),
            _profile: profile,
        }
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let path = format!("/session/{}{path}", self.session);
        http(self.addr, method, &path, body.as_ref())
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Open `url` and wait for it to load.
    pub async fn goto(&self, url: &str) {
        self.call("POST", "/url", Some(json!({"url": url}))).await;
    }

    /// The current page's address.
    pub async fn url(&self) -> String {
        self.call("GET", "/url", None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The current page's HTML.
    pub async fn source(&self) -> String {
        self.call("GET", "/source", None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The element matching the CSS `selector` (panics when none).
    pub async fn find(&self, selector: &str) -> String {
        let v = self
            .call(
                "POST",
                "/element",
                Some(json!({"using": "css selector", "value": selector})),
            )
            .await;
        v[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {selector}: {v}"))
            .to_owned()
    }

    /// Wait (up to 20 s) until an element matches `selector`: the page a
    /// form submission or a click navigated to has loaded.
    pub async fn wait_for(&self, selector: &str) {
        let path = format!("/session/{}/elements", self.session);
        let body = json!({"using": "css selector", "value": selector});
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            // Errors while the old page goes away are expected: retry.
            if let Ok(v) = http(self.addr, "POST", &path, Some(&body)).await
                && v.as_array().is_some_and(|a| !a.is_empty())
            {
                return;
            }
            assert!(Instant::now() < deadline, "no {selector} after 20 s");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Wait (up to 20 s) until the page's HTML contains `needle`; returns it.
    pub async fn wait_for_text(&self, needle: &str) -> String {
        let path = format!("/session/{}/source", self.session);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(v) = http(self.addr, "GET", &path, None).await
                && let Some(html) = v.as_str()
                && html.contains(needle)
            {
                return html.to_owned();
            }
            assert!(
                Instant::now() < deadline,
                "no {needle:?} on the page after 20 s"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Type `text` into the element matching `selector` (keys such as
    /// [`ENTER`] included).
    pub async fn type_into(&self, selector: &str, text: &str) {
        let e = self.find(selector).await;
        self.call(
            "POST",
            &format!("/element/{e}/value"),
            Some(json!({"text": text})),
        )
        .await;
    }

    /// The `id` of the element that has the keyboard focus.
    pub async fn active_id(&self) -> String {
        let v = self.call("GET", "/element/active", None).await;
        let e = v[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no active element: {v}"))
            .to_owned();
        let id = self
            .call("GET", &format!("/element/{e}/attribute/id"), None)
            .await;
        id.as_str().unwrap_or_default().to_owned()
    }

    /// Type `text` into whatever has the focus, as a keyboard does.
    pub async fn keys(&self, text: &str) {
        let v = self.call("GET", "/element/active", None).await;
        let e = v[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no active element: {v}"))
            .to_owned();
        self.call(
            "POST",
            &format!("/element/{e}/value"),
            Some(json!({"text": text})),
        )
        .await;
    }

    /// Click the element matching `selector`.
    pub async fn click(&self, selector: &str) {
        let e = self.find(selector).await;
        self.call("POST", &format!("/element/{e}/click"), Some(json!({})))
            .await;
    }

    /// Forget every cookie (log out).
    pub async fn clear_cookies(&self) {
        self.call("DELETE", "/cookie", None).await;
    }

    /// Save a PNG of the page to `path`.
    pub async fn screenshot(&self, path: &Path) {
        let v = self.call("GET", "/screenshot", None).await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap_or_default())
            .unwrap();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(path, png).unwrap();
    }
}

impl Browser {
    /// End the browser session, then the driver.
    pub async fn quit(self) {
        let path = format!("/session/{}", self.session);
        let _ = http(self.addr, "DELETE", &path, None).await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        // A browser left behind by a failed test: its profile names it.
        let _ = Command::new("pkill")
            .arg("-f")
            .arg(self._profile.path())
            .status();
    }
}
