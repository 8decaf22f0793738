//! `hashwall lists import|export|bloom-check|lint` as a user runs them, on
//! the fixtures in `hashlists/tests/data/exchange/`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn hashwall(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hashwall"))
        .args(args)
        .output()
        .expect("the hashwall binary runs")
}

fn data(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../hashlists/tests/data/exchange")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A fresh scratch directory for one test.
fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cli_exchange-{test}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// The entry lines of a list in the text format.
fn entries(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

fn import(format: &str, file: &str, extra: &[&str]) -> Output {
    let path = data(file);
    let mut args = vec!["lists", "import", "--format", format, path.as_str()];
    args.extend_from_slice(extra);
    hashwall(&args)
}

#[test]
fn import_url_list_with_header_flags() {
    let o = import(
        "urls",
        "urls.txt",
        &[
            "--issuer",
            "Test Hotline",
            "--jurisdiction",
            "gb",
            "--category",
            "csam",
            "--policy",
            "monitor",
            "--id",
            "hotline-urls",
            "--sequence",
            "7",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    for h in [
        "# id: hotline-urls",
        "# issuer: Test Hotline",
        "# jurisdiction: GB",
        "# category: csam",
        "# policy: monitor",
        "# sequence: 7",
    ] {
        assert!(out.contains(h), "{h} missing in\n{out}");
    }
    assert_eq!(
        entries(&out),
        [
            "url http://bad.example/gallery/1.jpg CASE-1",
            "url https://Files.Example.org/x/y.html?id=7",
            "url http://bad.example/gallery/2.jpg CASE 2 / part b",
        ]
    );
    assert!(stderr(&o).contains("imported 3 entries"), "{}", stderr(&o));
    let o = import("urls", "urls.txt", &["--url-prefix"]);
    assert!(
        entries(&stdout(&o))
            .iter()
            .all(|l| l.starts_with("url-prefix "))
    );
    // Header defaults: id from the file stem, issuer local.
    assert!(
        stdout(&o).contains("# id: urls\n# issuer: local\n"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn import_hosts_and_squidguard() {
    let o = import("hosts", "hosts.txt", &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        entries(&stdout(&o)),
        [
            "domain bad.example",
            "domain a.bad.test",
            "domain b.bad.test",
            "domain c.bad.test",
            "domain tracker.example.net"
        ]
    );
    assert!(
        stderr(&o).contains("5 local names ignored"),
        "{}",
        stderr(&o)
    );
    let o = import("squid-domains", "domains", &[]);
    assert_eq!(
        entries(&stdout(&o)),
        [
            "domain bad.example",
            "domain worse.example",
            "domain cdn.bad.test"
        ]
    );
    let o = import("squid-urls", "squid-urls", &[]);
    assert_eq!(
        entries(&stdout(&o)),
        [
            "url-prefix bad.example/gallery/",
            "url-prefix files.example.org/users/123/"
        ]
    );
}

#[test]
fn import_threatexchange_and_csv() {
    let pdq = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
    let o = import("threatexchange", "te-bank.txt", &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert_eq!(entries(&out)[0], format!("pdq {pdq}"));
    assert_eq!(entries(&out)[1], "md5 d41d8cd98f00b204e9800998ecf8427e");
    let o = import("csv", "hotline.csv", &[]);
    assert_eq!(
        entries(&stdout(&o)),
        [
            "md5 d41d8cd98f00b204e9800998ecf8427e HL-2026-001",
            "sha1 da39a3ee5e6b4b0d3255bfef95601890afd80709 HL-2026-001",
            &format!("pdq {pdq} HL-2026-002"),
            "md5 0cc175b9c0f1b6a831c399e269772661 HL-2026-003",
        ]
    );
    let o = import("csv", "hma.csv", &[]);
    assert_eq!(entries(&stdout(&o))[0], format!("pdq {pdq} 1001"));
    let o = import("csv", "te-descriptors.csv", &[]);
    assert_eq!(entries(&stdout(&o))[0], format!("pdq {pdq} 123456"));
}

#[test]
fn import_rejections_name_file_and_line() {
    let o = import("csv", "bad.csv", &[]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("bad.csv:3: md5 value must be 32 hex digits"),
        "{err}"
    );
    let o = import("csv", "bad.csv", &["--skip-invalid"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("skipped\t") && err.contains("bad.csv:3:"),
        "{err}"
    );
    assert!(
        err.contains("bad.csv:4: unterminated quoted CSV field"),
        "{err}"
    );
    assert!(err.contains("2 lines skipped"), "{err}");
    assert_eq!(entries(&stdout(&o)).len(), 2);
    // Values the engine cannot canonicalise are rejected at import.
    let dir = scratch("import_canon");
    let f = dir.join("d.txt");
    std::fs::write(&f, "ok.example\nbad.example:8080\n").expect("write");
    let o = hashwall(&[
        "lists",
        "import",
        "--format",
        "squid-domains",
        f.to_str().expect("utf-8"),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("d.txt:2: domain value"),
        "{}",
        stderr(&o)
    );
    // Bad header flags are usage errors.
    let o = import("urls", "urls.txt", &["--jurisdiction", "XX"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn import_output_file_loads_in_check() {
    let dir = scratch("import_output");
    let out = dir.join("hosts.list");
    let o = import("hosts", "hosts.txt", &["-o", out.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = hashwall(&[
        "check",
        "--list",
        out.to_str().expect("utf-8"),
        "--url",
        "http://www.bad.example/x",
        "--url",
        "http://example.org/",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(
        stdout(&o).starts_with("block\thttp://www.bad.example/x"),
        "{}",
        stdout(&o)
    );
}
