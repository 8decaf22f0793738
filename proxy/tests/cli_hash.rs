//! `hashwall hash`, run as a process.

use std::io::Write;
use std::process::{Command, Stdio};

fn hashwall() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hashwall"))
}

fn bridge() -> Option<std::path::PathBuf> {
    Some(hashwall::conformance::dir("pdq")?.join("pdq/data/bridge-mods/aaa-orig.jpg"))
}

#[test]
fn default_algorithms_print_tsv_rows() {
    let Some(img) = bridge() else { return };
    let out = hashwall().arg("hash").arg(&img).output().expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    let rows: Vec<Vec<&str>> = stdout.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(rows.len(), 2, "{stdout}");
    let path = img.to_string_lossy();
    // The pdq row is the reference's full-resolution hash (golden.json).
    assert_eq!(
        rows[0],
        [
            &*path,
            "pdq",
            "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22",
            "100"
        ]
    );
    assert_eq!(rows[1][1], "md5");
    assert_eq!(rows[1][2].len(), 32);
    assert_eq!(rows[1][3], "-");
}

#[test]
fn dihedral_rows_and_stdin() {
    let Some(img) = bridge() else { return };
    let bytes = std::fs::read(&img).expect("readable");
    let mut child = hashwall()
        .args(["hash", "--algo", "pdq-512", "--dihedral", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("runs");
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(&bytes)
        .expect("writes");
    let out = child.wait_with_output().expect("finishes");
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    let algos: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.split('\t').nth(1))
        .collect();
    assert_eq!(
        algos,
        [
            "pdq-512",
            "pdq-512/rot90",
            "pdq-512/rot180",
            "pdq-512/rot270",
            "pdq-512/flipx",
            "pdq-512/flipy",
            "pdq-512/flipplus1",
            "pdq-512/flipminus1"
        ]
    );
    assert!(stdout.lines().all(|l| l.starts_with("-\t")));
    // The original is the C++ reference's hash (golden.json).
    assert!(stdout.contains("d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22"));
}

#[test]
fn failures_go_to_stderr_and_exit_2() {
    let dir = std::env::temp_dir().join(format!("hashwall-cli-hash-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let junk = dir.join("junk.jpg");
    std::fs::write(&junk, b"this is not an image").expect("writes");
    let missing = dir.join("missing.png");
    let out = hashwall()
        .args(["hash", "--algo", "sha256,pdq", "--stats"])
        .arg(&junk)
        .arg(&missing)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).expect("utf-8");
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(
        lines[0].starts_with(&format!("{}\terror\tunsupported", junk.display())),
        "{stderr}"
    );
    assert!(
        lines[1].starts_with(&format!("{}\terror\tio:", missing.display())),
        "{stderr}"
    );
    assert!(
        lines[2].starts_with("stats: files=2 failed=2 decode_ms="),
        "{stderr}"
    );
    assert!(lines[2].contains(" hash_ms="));
    // Digests alone need no decode and succeed on anything.
    let out = hashwall()
        .args(["hash", "--algo", "sha1"])
        .arg(&junk)
        .output()
        .expect("runs");
    assert!(out.status.success());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn unknown_algorithm_is_a_usage_error() {
    let out = hashwall()
        .args(["hash", "--algo", "sha512", "x"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("sha512"));
}
