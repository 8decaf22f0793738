//! `hashwall check` and `hashwall url` as a user runs them.

mod common;

use std::process::Output;

use common::hashwall;

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The README's `check` example: the demo list blocks its example and lets the
/// rest through, exit status 1 (something was blocked).
#[test]
fn readme_check_command_on_demo_list() {
    let readme = include_str!("../../README.md");
    assert!(
        readme.contains(
            "check --url http://www.blocked.example/index.html --url http://example.org/"
        ),
        "README's check example changed: update this test"
    );
    let o = hashwall(
        &[
            "check",
            "--url",
            "http://www.blocked.example/index.html",
            "--url",
            "http://example.org/",
        ],
        None,
    );
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0]
            .starts_with("block\thttp://www.blocked.example/index.html\tdemo[issuer=hashwall-demo"),
        "{out}"
    );
    assert!(
        lines[0].contains("kind=domain expression=blocked.example ref=DEMO-1"),
        "{out}"
    );
    assert_eq!(lines[1], "no-match\thttp://example.org/");
}

#[test]
fn every_demo_entry_kind_matches() {
    let urls = [
        "http://gallery.example/banned/1.jpg",
        "https://files.example/abuse/image-0001.jpg",
        "http://www.hashed.example/private/x.html",
    ];
    for u in urls {
        let o = hashwall(&["check", "--url", u], None);
        assert_eq!(o.status.code(), Some(1), "{u}: {}", stdout(&o));
    }
    let o = hashwall(
        &[
            "check",
            "--url",
            "http://files.example/abuse/image-0002.jpg",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn json_stdin_and_stats() {
    let o = hashwall(
        &["check", "--stdin-urls", "--json", "--stats"],
        Some("http://sub.blocked.example/a\n\nhttp://fine.example/\nhttp://[::zz]/\n"),
    );
    let out = stdout(&o);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert_eq!(lines[0]["action"], "block");
    assert_eq!(lines[0]["matches"][0]["list"], "demo");
    assert_eq!(lines[0]["matches"][0]["reference"], "DEMO-1");
    assert_eq!(lines[0]["matches"][0]["jurisdiction"], "INT");
    assert_eq!(lines[1]["action"], "no-match");
    assert_eq!(lines[2]["action"], "error");
    // An input that could not be checked makes the exit status 2.
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    let stats = err.lines().last().unwrap_or("");
    assert!(
        stats.starts_with("stats: inputs=3 matched=1 load_ms="),
        "{err}"
    );
    assert!(stats.contains(" check_ms="), "{err}");
}

#[test]
fn lists_from_files_with_provenance_and_precedence() {
    let dir = std::env::temp_dir().join(format!("hashwall-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let block = dir.join("police.list");
    let allow = dir.join("fp.list");
    std::fs::write(
        &block,
        "# issuer: Police\n# jurisdiction: FR\n# category: csam\nurl-prefix evil.example/ P-1\n",
    )
    .expect("write");
    std::fs::write(
        &allow,
        "# policy: allow\nurl http://evil.example/ok.html FP-1\n",
    )
    .expect("write");
    let (b, a) = (
        block.to_string_lossy().into_owned(),
        allow.to_string_lossy().into_owned(),
    );
    let o = hashwall(
        &[
            "check",
            "--allow-unsigned",
            "--list",
            &b,
            "--list",
            &a,
            "--url",
            "http://evil.example/x",
            "--url",
            "http://evil.example/ok.html",
        ],
        None,
    );
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("block\t"), "{out}");
    assert!(
        lines[0].contains("police[issuer=Police jurisdiction=FR category=csam"),
        "{out}"
    );
    assert!(lines[1].starts_with("allow\t"), "{out}");
    assert!(lines[1].contains("fp[issuer=local"), "{out}");
    assert_eq!(o.status.code(), Some(1));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_bad_list_is_an_error_naming_the_line() {
    let dir = std::env::temp_dir().join(format!("hashwall-cli-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let bad = dir.join("bad.list");
    std::fs::write(&bad, "domain ok.example\nnonsense value\n").expect("write");
    let o = hashwall(
        &[
            "check",
            "--allow-unsigned",
            "--list",
            &bad.to_string_lossy(),
            "--url",
            "http://a.example/",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("bad.list") && err.contains(":2"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A list file needs a signature the trust store accepts, or
/// `--allow-unsigned`; an expired one needs `--allow-expired`.
#[test]
fn unsigned_and_expired_lists_need_explicit_permission() {
    let dir = std::env::temp_dir().join(format!("hashwall-cli-trust-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let plain = dir.join("plain.list");
    std::fs::write(&plain, "domain bad.example\n").expect("write");
    let p = plain.to_string_lossy().into_owned();
    let o = hashwall(
        &["check", "--list", &p, "--url", "http://bad.example/"],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("plain.list") && err.contains("not signed"),
        "{err}"
    );
    assert!(err.contains("--allow-unsigned"), "{err}");
    let o = hashwall(
        &[
            "check",
            "--allow-unsigned",
            "--list",
            &p,
            "--url",
            "http://bad.example/",
        ],
        None,
    );
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );

    let old = dir.join("old.list");
    std::fs::write(
        &old,
        "# expires: 2020-01-01T00:00:00Z\ndomain bad.example\n",
    )
    .expect("write");
    let p = old.to_string_lossy().into_owned();
    let args = [
        "check",
        "--allow-unsigned",
        "--list",
        &p,
        "--url",
        "http://bad.example/",
    ];
    let o = hashwall(&args, None);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("old.list") && err.contains("expired"), "{err}");
    let mut flagged = args.to_vec();
    flagged.push("--allow-expired");
    let o = hashwall(&flagged, None);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("old.list") && err.contains("EXPIRED"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn url_canon_and_expressions() {
    let o = hashwall(
        &[
            "url",
            "canon",
            "HTTP://www.GOOgle.com.../%7Efoo/./bar/../",
            "/nohost",
        ],
        None,
    );
    assert_eq!(
        stdout(&o).lines().next(),
        Some("http://www.google.com/~foo/")
    );
    assert!(
        stdout(&o)
            .lines()
            .nth(1)
            .is_some_and(|l| l.starts_with("error\t"))
    );
    assert_eq!(o.status.code(), Some(2));
    let o = hashwall(&["url", "canon"], Some("http://3279880203/blah\n"));
    assert_eq!(stdout(&o), "http://195.127.0.11/blah\n");
    assert_eq!(o.status.code(), Some(0));
    let o = hashwall(
        &["url", "expressions", "http://a.b.c/1/2.html?param=1"],
        None,
    );
    assert_eq!(
        stdout(&o),
        "a.b.c/1/2.html?param=1\na.b.c/1/2.html\na.b.c/\na.b.c/1/\nb.c/1/2.html?param=1\nb.c/1/2.html\nb.c/\nb.c/1/\n"
    );
}

#[test]
fn usage_errors_exit_2() {
    let o = hashwall(&["check"], None);
    assert_eq!(o.status.code(), Some(2));
    let o = hashwall(&["--help"], None);
    assert_eq!(o.status.code(), Some(0));
}
