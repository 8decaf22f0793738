//! The admin API (token, endpoints) and `hashwall serve --check-config`.
#![allow(clippy::unwrap_used)]

mod serve_support;

use std::process::Command;

use serve_support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_endpoints_and_token() {
    let dir = TempDir::new("admin");
    let up = upstream().await;
    let proxy = Proxy::start(&base_config(&dir, "[admin]\ntoken = \"sesame\"\n")).await;
    let admin = proxy.admin.unwrap();
    // /healthz is open on loopback.
    let (status, body) = admin_request(admin, "GET", "/healthz", None).await;
    assert_eq!((status, body.as_str()), (200, "ok\n"));
    // Everything else needs the token.
    for (method, path) in [
        ("GET", "/readyz"),
        ("GET", "/metrics"),
        ("GET", "/stats"),
        ("POST", "/reload"),
    ] {
        let (status, _) = admin_request(admin, method, path, None).await;
        assert_eq!(status, 401, "{method} {path}");
        let (status, _) = admin_request(admin, method, path, Some("sesamf")).await;
        assert_eq!(status, 401, "{method} {path} wrong token");
        let (status, body) = admin_request(admin, method, path, Some("sesame")).await;
        assert_eq!(status, 200, "{method} {path}: {body}");
    }
    let (status, _) = admin_request(admin, "GET", "/nope", Some("sesame")).await;
    assert_eq!(status, 404);
    let (status, _) = admin_request(admin, "GET", "/reload", Some("sesame")).await;
    assert_eq!(status, 405);

    // A block and a monitor match show in /stats and /metrics.
    let mut c = ProxyConn::open(proxy.addr).await;
    assert_eq!(c.get("http://blocked.example/").await.unwrap().0, 451);
    let (status, _, _) = c.get(&format!("http://{up}/monitored/x")).await.unwrap();
    assert_eq!(status, 200);
    let (_, body) = admin_request(admin, "GET", "/stats", Some("sesame")).await;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["retention_hours"], 720);
    let rows = v["hourly"].as_array().unwrap();
    let find = |list: &str, action: &str| {
        rows.iter()
            .find(|r| r["list"] == list && r["action"] == action)
            .map(|r| (r["category"].clone(), r["matches"].as_u64().unwrap()))
    };
    assert_eq!(find("police", "block"), Some(("csam".into(), 1)), "{body}");
    assert_eq!(
        find("monitor", "monitor"),
        Some(("terrorism".into(), 1)),
        "{body}"
    );
    assert!(!body.contains("CASE-SECRET"), "{body}");

    let (_, metrics) = admin_request(admin, "GET", "/metrics", Some("sesame")).await;
    for needle in [
        "hashwall_decisions_total{list=\"police\",category=\"csam\",action=\"block\"} 1",
        "hashwall_requests_total{method=\"GET\",outcome=\"blocked\"} 1",
        "hashwall_list_sequence{list=\"police\"} 7",
        "hashwall_reloads_total{result=\"success\"} 2",
        "hashwall_connections_total ",
        "hashwall_request_duration_seconds_bucket{le=\"+Inf\"} 2",
    ] {
        assert!(metrics.contains(needle), "{needle} missing:\n{metrics}");
    }
    let (_, ready) = admin_request(admin, "GET", "/readyz", Some("sesame")).await;
    let v: serde_json::Value = serde_json::from_str(&ready).unwrap();
    assert_eq!(v["ready"], true);
    assert_eq!(v["lists"][0]["id"], "police");
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_token_from_environment_variable() {
    let dir = TempDir::new("admin-env");
    // A variable cargo sets for every test run: setting one here would race
    // with getenv in other threads (the resolver reads the environment).
    let var = "CARGO_PKG_NAME";
    let Ok(token) = std::env::var(var) else {
        eprintln!("{var} not set: skipped");
        return;
    };
    let proxy = Proxy::start(&base_config(
        &dir,
        &format!("[admin]\ntoken_env = {var:?}\n"),
    ))
    .await;
    let admin = proxy.admin.unwrap();
    assert_eq!(admin_request(admin, "GET", "/metrics", None).await.0, 401);
    assert_eq!(
        admin_request(admin, "GET", "/metrics", Some(token.as_str()))
            .await
            .0,
        200
    );
    proxy.stop().await;
}

fn hashwall(args: &[&str]) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_hashwall"))
        .args(args)
        .env_remove("HASHWALL_ADMIN_TOKEN")
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn check_config_good_and_bad() {
    let dir = TempDir::new("checkcfg");
    // No --config: the embedded default with the demo list.
    let (code, out, err) = hashwall(&["serve", "--check-config"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("ok\tproxy=127.0.0.1:3128 admin=127.0.0.1:9128 lists=1"),
        "{out}"
    );
    assert!(out.contains("list\tdemo\t"), "{out}");

    let good = dir.write("good.toml", &base_config(&dir, ""));
    let (code, out, err) = hashwall(&[
        "serve",
        "--check-config",
        "--config",
        good.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("list\tpolice\tsequence=7\t"), "{out}");
    assert!(out.contains("list\tmonitor\t"), "{out}");

    // Relative list paths are relative to the config file.
    dir.write("rel.list", "domain rel.example\n");
    let rel = dir.write(
        "rel.toml",
        "[[list]]\npath = \"rel.list\"\npolicy = \"monitor\"\nallow_unsigned = true\n",
    );
    let (code, out, err) =
        hashwall(&["serve", "--check-config", "--config", rel.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("list\trel\tsequence=0\tentries=1\tpolicy=monitor"),
        "{out}"
    );

    for (name, text, needle) in [
        (
            "unknown.toml",
            "[proxy]\nlisen = \"127.0.0.1:1\"\n",
            "lisen",
        ),
        ("syntax.toml", "[proxy\n", "syntax.toml"),
        (
            "missing.toml",
            "[[list]]\npath = \"nope.list\"\n",
            "nope.list",
        ),
        (
            "cidr.toml",
            "[acl]\nallow_clients = [\"10.0.0.0/40\"]\n",
            "prefix",
        ),
        (
            "policy.toml",
            "[[list]]\nbuiltin = \"demo\"\npolicy = \"deny\"\n",
            "policy",
        ),
        (
            "limit.toml",
            "[limits]\nmax_request_header_bytes = 100\n",
            "max_request_header_bytes",
        ),
        (
            "template.toml",
            "[stop_page]\ntemplate = \"nope.html\"\n",
            "nope.html",
        ),
    ] {
        let p = dir.write(name, text);
        let (code, _, err) =
            hashwall(&["serve", "--check-config", "--config", p.to_str().unwrap()]);
        assert_eq!(code, 2, "{name} accepted");
        assert!(err.contains(needle), "{name}: {err}");
    }
    let (code, _, _) = hashwall(&["serve", "--check-config", "--config", "/nonexistent/x.toml"]);
    assert_eq!(code, 2);
}

#[test]
fn readme_main_command_is_serve_with_the_default() {
    let readme = include_str!("../../README.md");
    assert!(
        readme.contains("cargo run --release -p hashwall-proxy -- serve\n"),
        "README's main command changed: update this test"
    );
    // What the README promises the default does.
    let (code, out, _) = hashwall(&["serve", "--check-config"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("proxy=127.0.0.1:3128 admin=127.0.0.1:9128"),
        "{out}"
    );
}

#[test]
fn print_default_config_is_the_embedded_file() {
    let (code, out, _) = hashwall(&["serve", "--print-default-config"]);
    assert_eq!(code, 0);
    assert_eq!(out, include_str!("../assets/default-config.toml"));
}
