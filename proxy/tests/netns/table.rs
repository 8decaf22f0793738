//! Table-driven cases against real proxies in a namespace: the shared
//! namespace setup, the address list, rows and their runner.
//!
//! To add a case, add a [`Row`] to a table: a name, a raw request (the
//! helpers [`get`], [`connect`], [`host`] write one) and the status it
//! must get. A row wanting 2xx must reach the origin; any other row must
//! not reach it at all. The including test crate declares
//! `mod serve_support;` next to `mod netns;`.
#![allow(dead_code, clippy::unwrap_used)]

use crate::netns;
use crate::netns::origin::Origin;
use crate::serve_support::{Proxy, TempDir, base_config, raw};

/// The namespace: test addresses on `lo`, test names in /etc/hosts.
pub const SETUP: netns::Setup = netns::Setup {
    addrs: &[
        "192.0.2.10",
        "192.0.2.11",
        "10.66.77.88",
        "10.66.77.89",
        "10.66.77.90",
        "2001:db8::10",
        "2001:db8::66",
    ],
    hosts: &[
        ("192.0.2.10", "ok.test ok.test. multi.test"),
        ("10.66.77.88", "listed.test listed.test. multi.test"),
        ("::ffff:10.66.77.88", "mapped.test"),
        ("64:ff9b::a42:4d58", "nat64.test"),
        ("10.66.77.89", "prefix.test"),
        ("10.66.77.90", "exact.test"),
        ("2001:db8::66", "listed6.test"),
        ("2001:db8::10", "ok6.test"),
        ("192.0.2.11", "other.test"),
        ("127.0.0.1", "local.test admin.test admin.test."),
        ("::1", "local6.test admin6.test"),
        ("169.254.169.254", "metadata.test"),
        ("0.0.0.0", "zero.test"),
    ],
};

/// Lists for these tests: IP entries of every kind, and one name.
pub const ADDRESS_LIST: &str = "\
# issuer: Netns Police
# category: csam
# policy: block
domain 10.66.77.88 ADDR-DOMAIN
url-prefix 10.66.77.89/x/ ADDR-PREFIX
url http://10.66.77.90/exact/file.jpg ADDR-URL
domain 2001:db8::66 ADDR-V6
domain blocked.example NAME-1
";

/// How the proxy takes requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Absolute-form and CONNECT.
    Forward,
    /// Origin-form with `Host` (an interception proxy).
    Transparent,
}

/// One case of a table.
pub struct Row {
    /// What the row tries.
    pub name: String,
    /// Which proxy it is sent to.
    pub mode: Mode,
    /// The raw request.
    pub request: String,
    /// The status it must get. 2xx: the origin must be reached;
    /// anything else: the origin must not be reached.
    pub want: u16,
}

/// `GET url` in absolute-form.
pub fn get(url: &str) -> String {
    format!("GET {url} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
}

/// `CONNECT authority`.
pub fn connect(authority: &str) -> String {
    format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n\r\n")
}

/// Origin-form `GET path` with `Host: host` (transparent mode).
pub fn host(host: &str, path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")
}

/// A row.
pub fn row(name: impl Into<String>, mode: Mode, request: String, want: u16) -> Row {
    Row {
        name: name.into(),
        mode,
        request,
        want,
    }
}

/// Sends every row to the proxy of its mode; collects every mismatch
/// (status, origin reached or not) and fails once with all of them.
pub async fn run_rows(rows: &[Row], forward: &Proxy, transparent: &Proxy, origin: &Origin) {
    let mut failures = Vec::new();
    for r in rows {
        let proxy = match r.mode {
            Mode::Forward => forward.addr,
            Mode::Transparent => transparent.addr,
        };
        let before = origin.count();
        let (status, head, body) = raw(proxy, r.request.as_bytes()).await;
        // A tunnel's server side is connected before the 200, but the
        // origin's accept loop may record it a moment later (longer on a
        // loaded machine): wait for it, so it is not counted against the
        // next row.
        if (200..300).contains(&status) {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            while origin.count() == before && std::time::Instant::now() < deadline {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        }
        let reached = origin.since(before);
        let status_line = head.lines().next().unwrap_or("").to_owned();
        if status != r.want {
            failures.push(format!(
                "{}: got {status} ({status_line}), want {}; {}",
                r.name,
                r.want,
                body.trim()
            ));
        } else if (200..300).contains(&r.want) && reached.is_empty() {
            failures.push(format!("{}: {status} but the origin saw nothing", r.name));
        } else if !(200..300).contains(&r.want) && !reached.is_empty() {
            failures.push(format!(
                "{}: refused with {status} but the origin was reached at {reached:?}",
                r.name
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

/// Two proxies (forward and transparent) on the same configuration.
pub async fn proxies(dir: &TempDir, extra: &str) -> (Proxy, Proxy) {
    let forward = Proxy::start(&base_config(dir, extra)).await;
    let transparent = if extra.contains("[proxy]\n") {
        extra.replacen("[proxy]\n", "[proxy]\ntransparent = true\n", 1)
    } else {
        format!("[proxy]\ntransparent = true\n{extra}")
    };
    let transparent = Proxy::start(&base_config(dir, &transparent)).await;
    (forward, transparent)
}

/// A config with the address list, `acl` keys and more.
pub fn with_list(dir: &TempDir, acl: &str, more: &str) -> String {
    let list = dir.write("addresses.list", ADDRESS_LIST);
    format!(
        "[acl]\n{acl}\n{more}\n[[list]]\npath = {:?}\nallow_unsigned = true\n",
        list.display().to_string()
    )
}

/// A counter's value in the Prometheus text.
pub fn counter(metrics: &str, series: &str) -> u64 {
    metrics
        .lines()
        .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
        .unwrap_or(0)
}
