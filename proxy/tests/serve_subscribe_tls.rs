//! Confidential subscriptions end to end: `hashwall lists publish serve`
//! over HTTPS with a certificate from a throwaway CA made by the test, and
//! with a bearer token; a proxy subscribed to it; what is refused and
//! counted when the certificate or the token is wrong (and that it changes
//! nothing); the configuration and command-line refusals.
#![allow(clippy::unwrap_used)]

mod serve_support;
mod subscribe_support;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use hashwall_lists::{List, SecretKey};
use hashwall_proxy::serve::config::Config;
use hashwall_proxy::serve::lists::sources_from_config;
use serve_support::*;
use subscribe_support::*;

const TLS_FAILURES: &str = "hashwall_subscription_failures_total{list=\"police\",reason=\"tls\"}";
const UNAUTHORIZED: &str =
    "hashwall_subscription_failures_total{list=\"police\",reason=\"unauthorized\"}";
const SEQUENCE: &str = "hashwall_subscription_sequence{list=\"police\"}";

/// A publication directory with the police list at sequence 1, its key and
/// the subscribers' trust store.
struct Setup {
    dir: TempDir,
    key: SecretKey,
    key_file: PathBuf,
    store: PathBuf,
    pubdir: PathBuf,
}

impl Setup {
    fn new(tag: &str) -> Setup {
        let dir = TempDir::new(tag);
        let key = SecretKey::from_seed(&[7; 32]);
        let key_file = dir.0.join("police.key");
        key.write_file(&key_file).unwrap();
        let store = dir.write("trust.store", &trust_store(&key));
        let pubdir = dir.0.join("pub");
        let s = Setup {
            dir,
            key,
            key_file,
            store,
            pubdir,
        };
        s.publish(1, &["a"]);
        s
    }

    fn publish(&self, sequence: u64, paths: &[&str]) {
        let list = police(&self.key, sequence, paths);
        publish(&self.dir, &self.pubdir, &list, &self.key_file);
    }

    /// A fresh local copy holding sequence 1 (as a proxy that followed the
    /// publisher before would have).
    fn seeded_cache(&self, name: &str) -> PathBuf {
        let cache = self.dir.0.join(name);
        std::fs::write(&cache, police(&self.key, 1, &["a"]).to_text()).unwrap();
        cache
    }

    /// A proxy configuration subscribing to `url`; `extra` goes into the
    /// `[[list]]`.
    fn config(&self, url: &str, cache: &Path, extra: &str) -> String {
        base_config(
            &self.dir,
            &format!(
                "[trust]\nstore = {:?}\n[[list]]\nsubscribe = {url:?}\ncache = {:?}\n\
                 poll_secs = 0.1\ntimeout_secs = 5\n{extra}",
                self.store.display().to_string(),
                cache.display().to_string(),
            ),
        )
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A TOML string for a path.
fn q(p: &Path) -> String {
    format!("{:?}", p.display().to_string())
}

/// A subscription that cannot get through (`reason`): counted, reported in
/// `/readyz` with `detail`, and nothing changes — the local copy stays at
/// sequence 1 and the proxy keeps blocking by it.
async fn refused_changes_nothing(
    setup: &Setup,
    up: SocketAddr,
    url: &str,
    extra: &str,
    reason: &str,
    detail: &str,
) -> String {
    let cache = setup.seeded_cache("refused.hwl");
    let proxy = Proxy::start(&setup.config(url, &cache, extra)).await;
    let admin = proxy.admin.unwrap();
    let series =
        format!("hashwall_subscription_failures_total{{list=\"police\",reason=\"{reason}\"}}");
    let deadline = std::time::Instant::now() + STEP;
    while metric(admin, &series).await == 0 {
        let v = readyz(admin).await;
        assert!(
            std::time::Instant::now() < deadline,
            "{url} {extra}: no {reason} failure counted: {v}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let v = readyz(admin).await;
    let error = v["subscriptions"][0]["last_error"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        error.starts_with(&format!("{reason}: ")) && error.contains(detail),
        "{url} {extra}: {v}"
    );
    assert_eq!(v["lists"][0]["sequence"], 1, "{v}");
    assert_eq!(status_of(proxy.addr, up, "a").await, 451);
    assert_eq!(status_of(proxy.addr, up, "b").await, 200, "not updated");
    assert_eq!(metric(admin, SEQUENCE).await, 0, "never in step");
    proxy.stop().await;
    assert_eq!(List::read_file(&cache).unwrap().meta.sequence, 1);
    std::fs::remove_file(&cache).unwrap();
    error
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_subscription_verifies_the_publisher_certificate() {
    let setup = Setup::new("subscribe-tls");
    let dir = &setup.dir;
    let ca = TestCa::new("hashwall test CA");
    let ca_file = ca.write_ca(dir, "ca.pem");
    let (crt, key) = ca.server_cert(dir, "publisher", &["localhost", "127.0.0.1"]);
    let publisher = Publisher::start_with(
        &setup.pubdir,
        &["--tls-cert", s(&crt), "--tls-key", s(&key)],
    );
    assert_eq!(publisher.scheme, "https");
    let url = format!("https://127.0.0.1:{}/police/", publisher.addr.port());
    let up = upstream().await;

    // No local copy: the first fetch is over HTTPS, verified against the
    // private CA alone.
    let cache = dir.0.join("cache.hwl");
    let ca_line = format!("ca_file = {}\n", q(&ca_file));
    let proxy = Proxy::start(&setup.config(&url, &cache, &ca_line)).await;
    let admin = proxy.admin.unwrap();
    assert_eq!(List::read_file(&cache).unwrap().meta.sequence, 1);
    assert_eq!(status_of(proxy.addr, up, "a").await, 451);
    assert_eq!(status_of(proxy.addr, up, "b").await, 200);
    setup.publish(2, &["a", "b"]);
    eventually("the new version blocks /b/ over HTTPS", || async {
        status_of(proxy.addr, up, "b").await == 451
    })
    .await;
    eventually("sequence 2 reported", || async {
        metric(admin, SEQUENCE).await == 2
    })
    .await;
    assert_eq!(metric(admin, TLS_FAILURES).await, 0);
    let v = readyz(admin).await;
    assert_eq!(v["subscriptions"][0]["url"], url.as_str(), "{v}");
    proxy.stop().await;

    // The certificate names `localhost` too.
    let by_name = format!("https://localhost:{}/police/", publisher.addr.port());
    let cache2 = setup.seeded_cache("by-name.hwl");
    let proxy = Proxy::start(&setup.config(&by_name, &cache2, &ca_line)).await;
    eventually("followed by host name", || async {
        status_of(proxy.addr, up, "b").await == 451
    })
    .await;
    proxy.stop().await;

    // Another CA in ca_file: the publisher's certificate is not trusted.
    let other = TestCa::new("someone else's CA");
    let other_file = other.write_ca(dir, "other-ca.pem");
    let other_line = format!("ca_file = {}\n", q(&other_file));
    refused_changes_nothing(&setup, up, &url, &other_line, "tls", "UnknownIssuer").await;
    // No ca_file: Mozilla's roots, which do not include a private CA.
    refused_changes_nothing(&setup, up, &url, "", "tls", "UnknownIssuer").await;

    // The right CA, but a certificate for another name.
    let (crt2, key2) = ca.server_cert(dir, "elsewhere", &["publisher.example"]);
    let elsewhere = Publisher::start_with(
        &setup.pubdir,
        &["--tls-cert", s(&crt2), "--tls-key", s(&key2)],
    );
    let url2 = format!("https://127.0.0.1:{}/police/", elsewhere.addr.port());
    refused_changes_nothing(&setup, up, &url2, &ca_line, "tls", "not valid for name").await;

    // A plain-HTTP server behind an https:// URL: the handshake fails.
    let plain = Publisher::start(&setup.pubdir);
    let url3 = format!("https://127.0.0.1:{}/police/", plain.addr.port());
    refused_changes_nothing(&setup, up, &url3, &ca_line, "tls", "corrupt message").await;

    // Without a local copy, a TLS failure stops the start, clearly.
    let none = dir.0.join("none.hwl");
    let config = Config::from_toml(&setup.config(&url, &none, &other_line), None).unwrap();
    let e = hashwall_proxy::serve::start(config, std::future::pending())
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("no local copy") && e.contains("tls: "), "{e}");
    assert!(!none.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_protected_publisher_serves_only_with_the_token() {
    let setup = Setup::new("subscribe-token");
    let dir = &setup.dir;
    let ca = TestCa::new("hashwall test CA");
    let ca_file = ca.write_ca(dir, "ca.pem");
    let (crt, key) = ca.server_cert(dir, "publisher", &["127.0.0.1"]);
    const TOKEN: &str = "hw-7f3a9c1e5b2d4068-right";
    let token_file = dir.write("publisher.token", &format!("{TOKEN}\n"));
    let publisher = Publisher::start_with(
        &setup.pubdir,
        &[
            "--tls-cert",
            s(&crt),
            "--tls-key",
            s(&key),
            "--token-file",
            s(&token_file),
        ],
    );
    setup.publish(2, &["a", "b"]);
    let url = format!("https://127.0.0.1:{}/police/", publisher.addr.port());
    let up = upstream().await;
    let ca_line = format!("ca_file = {}\n", q(&ca_file));

    // No token, then a wrong one: refused, counted, nothing changes.
    let e = refused_changes_nothing(&setup, up, &url, &ca_line, "unauthorized", "401").await;
    assert!(e.contains("no token_file"), "{e}");
    let wrong_file = dir.write("wrong.token", "hw-7f3a9c1e5b2d4068-wrong");
    let wrong = format!("{ca_line}token_file = {}\n", q(&wrong_file));
    let e = refused_changes_nothing(&setup, up, &url, &wrong, "unauthorized", "refused").await;
    assert!(!e.contains("7f3a9c1e"), "the token is never reported: {e}");

    // The member's token file still holds an old token: refused. It is
    // read at every poll, so putting the right token in it (surrounding
    // whitespace ignored) opens the publisher without a restart.
    let right_file = dir.write("right.token", "hw-7f3a9c1e5b2d4068-old");
    let right = format!("{ca_line}token_file = {}\n", q(&right_file));
    let cache = setup.seeded_cache("right.hwl");
    let proxy = Proxy::start(&setup.config(&url, &cache, &right)).await;
    let admin = proxy.admin.unwrap();
    eventually("the old token is refused", || async {
        metric(admin, UNAUTHORIZED).await >= 1
    })
    .await;
    assert_eq!(status_of(proxy.addr, up, "b").await, 200);
    replace(&right_file, &format!("  {TOKEN}\r\n\n"));
    eventually("the token opens the publisher", || async {
        status_of(proxy.addr, up, "b").await == 451
    })
    .await;
    let v = readyz(admin).await;
    assert!(v["subscriptions"][0]["last_error"].is_null(), "{v}");
    assert!(!v.to_string().contains("7f3a9c1e"), "{v}");
    // A token file that disappears: counted, the list kept.
    std::fs::remove_file(&right_file).unwrap();
    let gone = "hashwall_subscription_failures_total{list=\"police\",reason=\"token_file\"}";
    eventually("the missing token file is counted", || async {
        metric(admin, gone).await >= 1
    })
    .await;
    assert_eq!(status_of(proxy.addr, up, "b").await, 451);
    proxy.stop().await;
    assert_eq!(List::read_file(&cache).unwrap().meta.sequence, 2);
    std::fs::write(&right_file, TOKEN).unwrap();

    // Over cleartext only when both sides say so: what the publisher
    // answers, seen on the wire.
    let clear = Publisher::start_with(
        &setup.pubdir,
        &["--token-file", s(&token_file), "--allow-cleartext-token"],
    );
    assert_eq!(clear.scheme, "http");
    let get = |target: &'static str, auth: String| async move {
        raw(
            clear.addr,
            format!("GET {target} HTTP/1.1\r\nHost: pub\r\n{auth}Connection: close\r\n\r\n")
                .as_bytes(),
        )
        .await
    };
    let (status, head, body) = get("/police/manifest", String::new()).await;
    assert_eq!(status, 401, "{head}");
    assert!(!body.contains("police"), "{body}");
    let challenge = head
        .lines()
        .find_map(|l| {
            l.strip_prefix("www-authenticate: ")
                .or(l.strip_prefix("WWW-Authenticate: "))
        })
        .unwrap_or_else(|| panic!("no challenge: {head}"))
        .to_owned();
    assert!(challenge.starts_with("Bearer "), "{challenge}");
    let (status, head, _) = get("/police/manifest", "Authorization: Bearer nope\r\n".into()).await;
    assert_eq!(status, 401);
    assert!(head.contains("invalid_token"), "{head}");
    // Not even whether a file exists is told without the token.
    let (status, _, _) = get("/nope", String::new()).await;
    assert_eq!(status, 401);
    let (status, _, body) = get(
        "/police/manifest",
        format!("Authorization: Bearer {TOKEN}\r\n"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(body.contains("police"), "{body}");
    let cleartext = format!(
        "token_file = {}\nallow_cleartext_token = true\n",
        q(&right_file)
    );
    let url = format!("http://{}/police/", clear.addr);
    let cache = setup.seeded_cache("clear.hwl");
    let proxy = Proxy::start(&setup.config(&url, &cache, &cleartext)).await;
    eventually("followed over cleartext with the token", || async {
        status_of(proxy.addr, up, "b").await == 451
    })
    .await;
    proxy.stop().await;
}

#[test]
fn confidential_subscription_config_is_checked() {
    let dir = TempDir::new("subscribe-tls-config");
    let ca = TestCa::new("hashwall test CA");
    ca.write_ca(&dir, "ca.pem");
    dir.write("token", "t0ken\n");
    dir.write("empty.token", " \n\t\n");
    dir.write("not-a-ca.pem", "hello\n");
    let base = "[trust]\nstore = \"t\"\n[[list]]\ncache = \"p.hwl\"\n";
    let load = |extra: &str| Config::from_toml(&format!("{base}{extra}"), Some(&dir.0));

    // Relative paths are resolved against the configuration's directory.
    let ok = load("subscribe = \"https://127.0.0.1:8443/police\"\nca_file = \"ca.pem\"\ntoken_file = \"token\"\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let sub = ok.list[0].subscription().unwrap();
    assert_eq!(sub.ca_file.as_deref(), Some(dir.0.join("ca.pem").as_path()));
    assert_eq!(
        sub.token_file.as_deref(),
        Some(dir.0.join("token").as_path())
    );
    assert!(
        !format!("{ok:?}").contains("t0ken"),
        "the token is not in the config's Debug"
    );
    load("subscribe = \"http://127.0.0.1:8080/police\"\ntoken_file = \"token\"\nallow_cleartext_token = true\n")
        .unwrap_or_else(|e| panic!("{e}"));

    for (extra, why) in [
        (
            "subscribe = \"http://127.0.0.1:8080/police\"\ntoken_file = \"token\"\n",
            "clear text",
        ),
        (
            "subscribe = \"https://127.0.0.1:8443/police\"\ntoken_file = \"empty.token\"\n",
            "is empty",
        ),
        (
            "subscribe = \"https://127.0.0.1:8443/police\"\ntoken_file = \"missing.token\"\n",
            "missing.token",
        ),
        (
            "subscribe = \"https://127.0.0.1:8443/police\"\nca_file = \"missing-ca.pem\"\n",
            "missing-ca.pem",
        ),
        (
            "subscribe = \"https://127.0.0.1:8443/police\"\nca_file = \"not-a-ca.pem\"\n",
            "no PEM certificate",
        ),
        (
            "subscribe = \"http://127.0.0.1:8080/police\"\nca_file = \"ca.pem\"\n",
            "is for an https:// publisher",
        ),
    ] {
        // Syntax is refused when the configuration is read; the CA and
        // token files are read when the sources are made, at start (and by
        // `serve --check-config`).
        let e = match load(extra) {
            Err(e) => e.0,
            Ok(c) => match sources_from_config(&c.list, &c.trust) {
                Err(e) => e,
                Ok(_) => panic!("accepted: {extra}"),
            },
        };
        assert!(e.contains(why), "{extra}: {e}");
        assert!(!e.contains("t0ken"), "{e}");
    }
    let e = Config::from_toml(
        "[[list]]\npath = \"a\"\ntoken_file = \"token\"\n",
        Some(&dir.0),
    );
    assert!(e.err().unwrap().0.contains("only for a `subscribe`"));
}

#[test]
fn publisher_command_line_refuses_half_tls_and_cleartext_tokens() {
    let dir = TempDir::new("publish-serve-tls-args");
    let pubdir = dir.0.join("pub");
    std::fs::create_dir_all(&pubdir).unwrap();
    let ca = TestCa::new("hashwall test CA");
    let (crt, key) = ca.server_cert(&dir, "publisher", &["127.0.0.1"]);
    let token = dir.write("token", "t0ken\n");
    let empty = dir.write("empty.token", "\n");
    let serve = |extra: &[&str]| {
        let mut args = vec![
            "lists",
            "publish",
            "serve",
            s(&pubdir),
            "--listen",
            "127.0.0.1:0",
        ];
        args.extend_from_slice(extra);
        hashwall(&args)
    };
    let (code, out, err) = serve(&["--tls-cert", s(&crt)]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("--tls-key"), "{err}");
    let (code, _, err) = serve(&["--tls-key", s(&key)]);
    assert_eq!(code, 2);
    assert!(err.contains("--tls-cert"), "{err}");
    let (code, out, err) = serve(&["--token-file", s(&token)]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("clear text"), "{err}");
    assert!(!out.contains("listening"), "{out}");
    let (code, _, err) = serve(&[
        "--tls-cert",
        s(&crt),
        "--tls-key",
        s(&key),
        "--token-file",
        s(&empty),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("is empty"), "{err}");
    // A key that is not the certificate's, or not a key at all.
    let (code, _, err) = serve(&["--tls-cert", s(&crt), "--tls-key", s(&crt)]);
    assert_eq!(code, 2);
    assert!(err.contains("publisher.crt"), "{err}");
}
