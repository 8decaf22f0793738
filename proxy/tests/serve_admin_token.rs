//! The admin API without a token (issue 18): a warning at start on
//! loopback; a refusal to start (and a `--check-config` error) on any
//! other address. Nothing here forwards a request: no namespace needed.
#![allow(clippy::unwrap_used)]

mod common;
mod serve_support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use hashwall_proxy::serve::config::Config;
use serve_support::*;

/// The admin sections tried: (`[admin]` keys, whether a config holding
/// them is valid).
const CASES: &[(&str, bool)] = &[
    ("listen = \"0.0.0.0:0\"", false),
    ("listen = \"[::]:0\"", false),
    ("listen = \"192.0.2.1:9128\"", false),
    ("listen = \"[2001:db8::1]:9128\"", false),
    ("listen = \"[::ffff:127.0.0.1]:0\"", true),
    ("listen = \"[::ffff:192.0.2.1]:0\"", false),
    ("listen = \"0.0.0.0:0\"\ntoken = \"\"", false),
    (
        "listen = \"0.0.0.0:0\"\ntoken_env = \"HASHWALL_TEST_UNSET_TOKEN_VAR\"",
        false,
    ),
    ("listen = \"0.0.0.0:0\"\ntoken = \"s3cret\"", true),
    ("listen = \"0.0.0.0:0\"\nenabled = false", true),
    ("listen = \"127.0.0.1:0\"", true),
    ("listen = \"127.0.0.2:0\"", true),
    ("listen = \"[::1]:0\"", true),
];

fn config_text(admin: &str) -> String {
    format!(
        "[proxy]\nlisten = \"127.0.0.1:0\"\n[api]\nlisten = \"127.0.0.1:0\"\n[admin]\n{admin}\ntoken_env = \"HASHWALL_TEST_UNSET_TOKEN_VAR\"\n"
    )
    // A second token_env would be a duplicate key.
    .replace(
        "token_env = \"HASHWALL_TEST_UNSET_TOKEN_VAR\"\ntoken_env = \"HASHWALL_TEST_UNSET_TOKEN_VAR\"",
        "token_env = \"HASHWALL_TEST_UNSET_TOKEN_VAR\"",
    )
}

#[test]
fn an_exposed_admin_listener_needs_a_token() {
    for (admin, valid) in CASES {
        let text = config_text(admin);
        match Config::from_toml(&text, None) {
            Ok(_) => assert!(valid, "accepted:\n{text}"),
            Err(e) => {
                assert!(!valid, "refused:\n{text}\n{e}");
                assert!(e.0.contains("no token"), "{e}");
            }
        }
    }
}

#[test]
fn check_config_reports_an_exposed_admin_without_a_token() {
    let dir = TempDir::new("admin-token-check");
    for (admin, valid) in CASES {
        let path = dir.write("hashwall.toml", &config_text(admin));
        let out = common::hashwall(
            &[
                "serve",
                "--check-config",
                "--config",
                path.to_str().unwrap(),
            ],
            None,
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        if *valid {
            assert!(out.status.success(), "{admin}: {stderr}");
        } else {
            assert_eq!(out.status.code(), Some(2), "{admin}: {stderr}");
            assert!(
                stderr.contains("admin.listen") && stderr.contains("no token"),
                "{stderr}"
            );
        }
    }
}

/// A config built in code skips `from_toml`'s validation: `start` checks
/// again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_refuses_an_exposed_admin_without_a_token() {
    let mut config = Config::from_toml(&config_text("listen = \"127.0.0.1:0\""), None).unwrap();
    config.admin.listen = "0.0.0.0:0".parse().unwrap();
    let e = Proxy::try_start_config(config).await.err().unwrap();
    assert!(e.contains("no token"), "{e}");
}

/// On loopback without a token the proxy starts, and says at start that
/// any local process can use the admin API.
#[test]
fn a_loopback_admin_without_a_token_is_warned_about() {
    let dir = TempDir::new("admin-token-warn");
    let path = dir.write("hashwall.toml", &config_text("listen = \"127.0.0.1:0\""));
    let mut child = Command::new(env!("CARGO_BIN_EXE_hashwall"))
        .args(["serve", "--config", path.to_str().unwrap()])
        .env_remove("HASHWALL_TEST_UNSET_TOKEN_VAR")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let deadline = Instant::now() + STEP;
    let mut seen = Vec::new();
    let mut warned = false;
    while Instant::now() < deadline {
        let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) else {
            continue;
        };
        warned |= line.contains("WARN") && line.contains("admin API has no token");
        let listening = line.contains("hashwall serve listening");
        seen.push(line);
        if listening {
            break;
        }
    }
    // Stop what we started, by its id.
    let _ = child.kill();
    let _ = child.wait();
    assert!(warned, "no warning before listening:\n{}", seen.join("\n"));
}
