//! Shared parts of the subscription tests: the publisher's file server as
//! a child process, signed test lists published with `hashwall lists
//! publish add`, metrics and readiness, and a throwaway PKI for HTTPS.
#![allow(dead_code, clippy::unwrap_used)]

use std::future::Future;
use std::io::BufRead as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hashwall_lists::{List, SecretKey, TrustStore, TrustedKey};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};

use crate::serve_support::{ProxyConn, STEP, TempDir, admin_request};

/// `hashwall lists publish serve DIR` on a free loopback port, killed on
/// drop.
pub struct Publisher {
    child: Child,
    pub addr: SocketAddr,
    /// `http` or `https`, as the publisher announced.
    pub scheme: String,
}

impl Publisher {
    pub fn start(dir: &Path) -> Publisher {
        Publisher::start_with(dir, &[])
    }

    /// With extra options (`--tls-cert`, `--token-file` …).
    pub fn start_with(dir: &Path, extra: &[&str]) -> Publisher {
        let mut child = Command::new(env!("CARGO_BIN_EXE_hashwall"))
            .args(["lists", "publish", "serve", dir.to_str().unwrap()])
            .args(["--listen", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let (scheme, rest) = line
            .trim()
            .strip_prefix("listening on ")
            .and_then(|u| u.split_once("://"))
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
        let addr = rest
            .strip_suffix('/')
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .parse()
            .unwrap();
        Publisher {
            child,
            addr,
            scheme: scheme.to_owned(),
        }
    }

    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Publisher {
    fn drop(&mut self) {
        self.stop();
    }
}

pub fn hashwall(args: &[&str]) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_hashwall"))
        .args(args)
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// The police list at `sequence` blocking `127.0.0.1/<p>/` for each `p`,
/// signed with `key`.
pub fn police(key: &SecretKey, sequence: u64, paths: &[&str]) -> List {
    let mut text = format!("# id: police\n# issuer: Example Police\n# sequence: {sequence}\n");
    for p in paths {
        text.push_str(&format!("url-prefix 127.0.0.1/{p}/ CASE-{p}\n"));
    }
    let mut list = List::from_text(text.as_bytes(), "police").unwrap();
    list.sign(key);
    list
}

pub fn trust_store(key: &SecretKey) -> String {
    let mut store = TrustStore::new();
    store.add(TrustedKey {
        issuer: "Example Police".into(),
        key: key.public_key(),
        not_before: None,
        not_after: None,
    });
    store.to_text()
}

/// Replaces a file by rename, as a publisher must.
pub fn replace(path: &Path, text: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// Publishes `list` with `hashwall lists publish add` (delta computed and
/// signed with `key_file`).
pub fn publish(dir: &TempDir, pubdir: &Path, list: &List, key_file: &Path) -> String {
    let path = dir.write(
        &format!("police-{}.hwl", list.meta.sequence),
        &list.to_text(),
    );
    let (code, out, err) = hashwall(&[
        "lists",
        "publish",
        "add",
        pubdir.to_str().unwrap(),
        path.to_str().unwrap(),
        "--key",
        key_file.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    out
}

pub async fn status_of(proxy: SocketAddr, up: SocketAddr, p: &str) -> u16 {
    let mut c = ProxyConn::open(proxy).await;
    c.get(&format!("http://{up}/{p}/x")).await.unwrap().0
}

/// A counter or gauge from `/metrics` (0 when absent).
pub async fn metric(admin: SocketAddr, series: &str) -> u64 {
    let (_, text) = admin_request(admin, "GET", "/metrics", None).await;
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0)
}

/// Waits (polling, bounded by [`STEP`]) until `f` holds.
pub async fn eventually<F, Fut>(what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + STEP;
    while !f().await {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub async fn readyz(admin: SocketAddr) -> serde_json::Value {
    let (status, body) = admin_request(admin, "GET", "/readyz", None).await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

/// A throwaway certificate authority, made afresh for each test: nothing
/// to expire, no private key in the repository.
pub struct TestCa {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl TestCa {
    pub fn new(name: &str) -> TestCa {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        TestCa { issuer }
    }

    /// The CA certificate (PEM) written to `dir/name`.
    pub fn write_ca(&self, dir: &TempDir, name: &str) -> PathBuf {
        dir.write(name, &self.issuer.pem())
    }

    /// A server certificate for `names` (DNS names or IP addresses) and
    /// its key, written as `dir/<stem>.crt` and `dir/<stem>.key` (PEM).
    pub fn server_cert(&self, dir: &TempDir, stem: &str, names: &[&str]) -> (PathBuf, PathBuf) {
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let mut params = CertificateParams::new(names).unwrap();
        params.distinguished_name.push(DnType::CommonName, stem);
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        (
            dir.write(&format!("{stem}.crt"), &cert.pem()),
            dir.write(&format!("{stem}.key"), &key.serialize_pem()),
        )
    }
}
