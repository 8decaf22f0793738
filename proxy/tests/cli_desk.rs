//! `hashwall desk` at the command line: the default configuration, staff
//! accounts (password on standard input, token printed once), statistics
//! and retention, and errors that say what is wrong.
#![allow(clippy::unwrap_used)]

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

fn desk(config: &Path, args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hashwall"))
        .arg("desk")
        .arg("--config")
        .arg(config)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn config(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("desk.toml");
    std::fs::write(
        &path,
        format!(
            "[desk]\nlisten = \"127.0.0.1:0\"\ndata_dir = {:?}\nissuer = \"Meldpunt\"\njurisdiction = \"NL\"\nresolve_hosts = false\n",
            dir.join("data").display().to_string()
        ),
    )
    .unwrap();
    path
}

#[test]
fn default_config_parses_and_names_the_default_listener() {
    let o = Command::new(env!("CARGO_BIN_EXE_hashwall"))
        .args(["desk", "default-config"])
        .output()
        .unwrap();
    assert!(o.status.success());
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains("listen = \"127.0.0.1:8090\""), "{text}");
    assert!(text.contains("data_dir = \"desk-data\""), "{text}");
    let o = Command::new(env!("CARGO_BIN_EXE_hashwall"))
        .args(["desk", "--help"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&o.stdout).contains("user"));
}

#[test]
fn accounts_stats_and_retention_from_the_shell() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let (code, token, err) = desk(
        &cfg,
        &["user", "add", "ann", "--role", "supervisor"],
        "a long enough password\n",
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        token.trim().starts_with("hwd_") && token.trim().len() == 47,
        "{token}"
    );
    assert!(err.contains("created ann (supervisor)"), "{err}");
    // The key, the lists and their first publication exist now.
    let data = dir.path().join("data");
    for f in [
        "desk.key",
        "desk.trust",
        "desk.db",
        "lists/desk-csam.hwl",
        "publication/desk-csam/manifest",
    ] {
        assert!(data.join(f).exists(), "{f}");
    }
    let (code, _, err) = desk(&cfg, &["user", "add", "ann"], "another long password\n");
    assert_eq!(code, 2);
    assert!(err.contains("there is a user \"ann\" already"), "{err}");
    let (code, _, err) = desk(
        &cfg,
        &["user", "add", "bob", "--role", "boss"],
        "another long password\n",
    );
    assert_eq!(code, 2);
    assert!(err.contains("unknown role \"boss\""), "{err}");
    let (code, _, err) = desk(&cfg, &["user", "add", "bob"], "short\n");
    assert_eq!(code, 2);
    assert!(err.contains("12"), "{err}");
    let (code, csv, err) = desk(&cfg, &["stats", "--by", "week", "--csv"], "");
    assert_eq!(code, 0, "{err}");
    assert!(csv.starts_with("period,reports,category_csam"), "{csv}");
    let (code, json, _) = desk(&cfg, &["stats"], "");
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["by"], "month");
    assert_eq!(v["totals"]["reports"], 0);
    let (code, _, err) = desk(&cfg, &["stats", "--by", "year"], "");
    assert_eq!(code, 2);
    assert!(err.contains("day, week or month"), "{err}");
    let (code, out, err) = desk(&cfg, &["retention"], "");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("0 e-mail address(es) deleted"), "{out}");
    // A broken configuration is refused with the reason.
    std::fs::write(&cfg, "[desk]\nlisten = 5\n").unwrap();
    let (code, _, err) = desk(&cfg, &["stats"], "");
    assert_eq!(code, 2);
    assert!(err.contains("configuration"), "{err}");
}
