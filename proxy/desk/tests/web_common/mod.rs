//! A desk served on 127.0.0.1 for the web tests, and a small HTTP/1.1
//! client over a raw socket (so the tests see exactly what goes over the
//! wire: status, every header, the body).

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;

use hashwall_desk::web::{self, WebOptions};
use hashwall_desk::{Desk, DeskConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

#[path = "../support/mod.rs"]
mod support;

/// The password of the staff accounts `ann`, `bob` (analysts) and `sue` (supervisor).
pub const PASSWORD: &str = "a long enough password";

/// A running desk.
pub struct Server {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The desk behind it (to check what was stored).
    pub desk: Desk,
    /// Its configuration.
    pub config: DeskConfig,
    /// API tokens of ann, bob and sue.
    pub tokens: [String; 3],
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

impl Server {
    /// Starts a desk on SQLite in a temporary directory; `tune` adjusts
    /// the configuration and the web options first.
    pub async fn start(tune: impl FnOnce(&mut DeskConfig, &mut WebOptions)) -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = support::config(dir.path(), "");
        let mut options = WebOptions {
            secure_cookies: false,
            ..WebOptions::default()
        };
        tune(&mut config, &mut options);
        let (desk, tokens) = support::desk_with_staff(&config).await;
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (stop, stopped) = oneshot::channel::<()>();
        let served = desk.clone();
        let task = tokio::spawn(async move {
            web::serve(listener, served, options, async {
                let _ = stopped.await;
            })
            .await
            .expect("serve");
        });
        Server {
            addr,
            desk,
            config,
            tokens,
            stop: Some(stop),
            task: Some(task),
            _dir: dir,
        }
    }

    /// The publication directory of the desk's list for `category`.
    pub fn publication(&self, list: &str) -> PathBuf {
        self.config.data_dir.join("publication").join(list)
    }

    /// Stops the server and waits for it to drain.
    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.expect("server task");
        }
    }

    /// A client with an empty cookie jar.
    pub fn client(&self) -> Client {
        Client {
            addr: self.addr,
            cookies: BTreeMap::new(),
        }
    }
}

/// An answer.
#[derive(Debug)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Headers, names lower-cased, in order.
    pub headers: Vec<(String, String)>,
    /// The body as text.
    pub body: String,
}

impl Response {
    /// The first header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every header `name`.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// Sends one request on a fresh connection and reads the whole answer.
pub async fn raw(addr: SocketAddr, head: &str, body: &[u8]) -> Response {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(head.as_bytes()).await.expect("write head");
    // The server may answer (413) before reading the body; ignore a reset.
    let _ = stream.write_all(body).await;
    let mut buf = Vec::new();
    let _ = stream.read_to_end(&mut buf).await;
    parse(&buf)
}

fn parse(buf: &[u8]) -> Response {
    let end = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no response head in {:?}", String::from_utf8_lossy(buf)));
    let head = String::from_utf8_lossy(&buf[..end]).to_string();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("status line");
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut body = buf[end + 4..].to_vec();
    if headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"))
    {
        body = dechunk(&body);
    }
    Response {
        status,
        headers,
        body: String::from_utf8_lossy(&body).to_string(),
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(nl) = data.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&data[..nl]).trim(), 16).unwrap_or(0);
        if size == 0 {
            return out;
        }
        let start = nl + 2;
        out.extend_from_slice(&data[start..(start + size).min(data.len())]);
        data = &data[(start + size + 2).min(data.len())..];
    }
}

/// A client with a cookie jar.
pub struct Client {
    /// The server.
    pub addr: SocketAddr,
    /// Cookies set by the server (name → value); expired ones removed.
    pub cookies: BTreeMap<String, String>,
}

impl Client {
    /// Sends `method path` with extra `headers` and `body`; keeps cookies.
    pub async fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Response {
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.addr,
            body.len()
        );
        if !self.cookies.is_empty() {
            let jar: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            head.push_str(&format!("Cookie: {}\r\n", jar.join("; ")));
        }
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        let r = raw(self.addr, &head, body).await;
        for c in r.all("set-cookie") {
            let first = c.split(';').next().unwrap_or("");
            if let Some((k, v)) = first.split_once('=') {
                if v.is_empty() || c.contains("Max-Age=0") {
                    self.cookies.remove(k);
                } else {
                    self.cookies.insert(k.to_string(), v.to_string());
                }
            }
        }
        r
    }

    /// `GET path`.
    pub async fn get(&mut self, path: &str) -> Response {
        self.send("GET", path, &[], b"").await
    }

    /// `POST path` with a form.
    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Response {
        let body = form(fields);
        self.send(
            "POST",
            path,
            &[("Content-Type", "application/x-www-form-urlencoded")],
            body.as_bytes(),
        )
        .await
    }

    /// `method path` with a JSON body and an optional bearer token.
    pub async fn json(
        &mut self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: &serde_json::Value,
    ) -> Response {
        let auth = token.map(|t| format!("Bearer {t}"));
        let mut headers = vec![("Content-Type", "application/json")];
        if let Some(a) = &auth {
            headers.push(("Authorization", a.as_str()));
        }
        self.send(method, path, &headers, body.to_string().as_bytes())
            .await
    }

    /// Logs in as `name` through the login form; returns the answer to the POST.
    pub async fn login(&mut self, name: &str, password: &str) -> Response {
        let page = self.get("/login").await;
        assert_eq!(page.status, 200);
        let csrf = hidden(&page.body, "csrf");
        self.post_form(
            "/login",
            &[("name", name), ("password", password), ("csrf", &csrf)],
        )
        .await
    }
}

/// A form body.
pub fn form(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b' ' => "+".to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The value of the first `<input … name="NAME" value="…">` in `html`.
pub fn hidden(html: &str, name: &str) -> String {
    let needle = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&needle)
        .unwrap_or_else(|| panic!("no field {name} in {html}"))
        + needle.len();
    html[start..].split('"').next().unwrap_or("").to_string()
}

/// The report reference shown on an answer page (`id="reference"`).
pub fn reference_in(html: &str) -> String {
    let start = html
        .find("id=\"reference\">")
        .unwrap_or_else(|| panic!("no reference in {html}"))
        + "id=\"reference\">".len();
    html[start..].split('<').next().unwrap_or("").to_string()
}

/// Asserts the security headers every answer carries.
pub fn assert_security_headers(r: &Response) {
    let csp = r.header("content-security-policy").expect("CSP");
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(r.header("referrer-policy"), Some("no-referrer"));
}
