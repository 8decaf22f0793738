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
            "url-prefix files.example.org/users/123/",
            "url-prefix evil.example/private",
            "url-prefix evil.example/private/",
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
    let imported = import("hosts", "hosts.txt", &["-o", out.to_str().expect("utf-8")]);
    assert_eq!(imported.status.code(), Some(0), "{}", stderr(&imported));
    let o = hashwall(&[
        "check",
        "--allow-unsigned",
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
    // Importing into a list file is a logged change: a commit record for
    // the list as written, consistent with it; importing again, another.
    let audit = |o: &Output| {
        assert_eq!(o.status.code(), Some(0), "{}", stderr(o));
        let a = hashwall(&["lists", "audit", out.to_str().expect("utf-8"), "--records"]);
        assert_eq!(a.status.code(), Some(0), "{}", stderr(&a));
        stdout(&a)
    };
    let first = audit(&imported);
    assert!(first.contains("\tcommit\tsha256 "), "{first}");
    assert!(first.contains("\timport\timported from "), "{first}");
    assert!(
        first.contains("ok\t") && !first.contains("pending"),
        "{first}"
    );
    let again = import("hosts", "hosts.txt", &["-o", out.to_str().expect("utf-8")]);
    assert!(audit(&again).contains("2 records"), "{}", audit(&again));
}

fn export(format: &str, list: &str, out: &Path, extra: &[&str]) -> Output {
    let path = data(list);
    let mut args = vec![
        "lists",
        "export",
        "--format",
        format,
        path.as_str(),
        "-o",
        out.to_str().expect("utf-8"),
    ];
    args.extend_from_slice(extra);
    hashwall(&args)
}

/// URLs around each `url-prefix` entry of `prefixes.list`: the entry itself,
/// under other schemes and escapings, subdomains, deeper paths, queries, and
/// near misses.
fn probe_urls() -> Vec<String> {
    let bases = [
        "evil.example/gallery/",
        "files.example.org/users/123/",
        "evil.example/gallery/deep/x.html",
        "cdn.bad.test/a/b/c/",
        "192.0.2.44/share/",
        "xn--bcher-kva.example/",
        "bücher.example/",
        "evil.example/q.php?id=9",
        "a.b.c.d.e.deep.example/x/",
    ];
    let mut urls = Vec::new();
    for b in bases {
        let (host, path) = b.split_once('/').expect("has a path");
        let path = format!("/{path}");
        for sub in ["", "www.", "a.b.", "x.y.z.w.", "1.2.3.4.5.6."] {
            for tail in ["", "1.jpg", "sub/dir/2.jpg?x=1", "?id=9", "../other/"] {
                for scheme in ["http://", "HTTPS://"] {
                    urls.push(format!("{scheme}{sub}{host}{path}{tail}"));
                }
            }
            urls.push(format!("http://{sub}{host}/"));
            urls.push(format!("http://{sub}{host}{}", path.to_uppercase()));
            urls.push(format!("http://{sub}{host}.evil.test{path}"));
            urls.push(format!("http://{sub}not{host}{path}"));
        }
    }
    urls.push("http://evil.example/%67allery/1.jpg".into());
    urls.push("http://EVIL.example:8080/gallery/./a/../b.jpg#frag".into());
    urls.push("http://evil.example/q.php?id=10".into());
    urls
}

/// The hashed export blocks exactly the URLs the plaintext `url-prefix`
/// entries block, and holds no plaintext.
#[test]
fn export_hashed_blocks_the_same_urls() {
    use hashwall::{ListConfig, Snapshot};
    use hashwall_lists::List;

    let dir = scratch("export_hashed");
    let out = dir.join("hashed.list");
    let o = export("hashed", "prefixes.list", &out, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("exported 8 url-sha256 entries"),
        "{}",
        stderr(&o)
    );
    let text = std::fs::read_to_string(&out).expect("output");
    assert!(
        entries(&text).iter().all(|l| l.starts_with("url-sha256 ")),
        "{text}"
    );
    for plain in ["evil", "files", "bad.test", "192.0.2", "bcher", "q.php"] {
        assert!(
            !entries(&text).join("\n").contains(plain),
            "{plain} in\n{text}"
        );
    }
    assert!(text.contains("# issuer: Example Hotline") && text.contains("# sequence: 3"));

    let original = List::read_file(Path::new(&data("prefixes.list"))).expect("original");
    let hashed = List::read_file(&out).expect("hashed");
    let config = ListConfig::default();
    let a = Snapshot::builder()
        .add_list(&original, &config)
        .expect("adds")
        .build();
    let b = Snapshot::builder()
        .add_list(&hashed, &config)
        .expect("adds")
        .build();
    let (mut blocked, mut passed) = (0, 0);
    for url in probe_urls() {
        let (va, vb) = (a.check_url(&url), b.check_url(&url));
        let (va, vb) = match (va, vb) {
            (Ok(va), Ok(vb)) => (va, vb),
            (Err(_), Err(_)) => continue,
            (x, y) => panic!("{url}: {x:?} vs {y:?}"),
        };
        assert_eq!(va.action(), vb.action(), "{url}");
        let refs = |v: &hashwall::Verdict| {
            let mut r: Vec<String> = v
                .matches()
                .iter()
                .map(|m| m.reference().unwrap_or("-").to_owned())
                .collect();
            r.sort();
            r
        };
        assert_eq!(refs(&va), refs(&vb), "{url}");
        if va.is_blocked() {
            blocked += 1;
        } else {
            passed += 1;
        }
    }
    assert!(
        blocked > 100 && passed > 100,
        "{blocked} blocked, {passed} passed"
    );
}

#[test]
fn export_hashed_domains_and_urls_through_check() {
    let dir = scratch("export_hashed_check");
    let out = dir.join("police-hashed.list");
    let o = export("hashed", "police.list", &out, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("4 non-URL entries left out"),
        "{}",
        stderr(&o)
    );
    let check = |url: &str| {
        let o = hashwall(&[
            "check",
            "--allow-unsigned",
            "--list",
            out.to_str().expect("utf-8"),
            "--url",
            url,
        ]);
        stdout(&o).split('\t').next().unwrap_or_default().to_owned()
    };
    // domain bad.example → bad.example/: the host and subdomains.
    assert_eq!(check("http://bad.example/x"), "block");
    assert_eq!(check("http://a.b.c.d.e.bad.example/x"), "block");
    // url → its full expression, which now also matches subdomains.
    assert_eq!(check("http://evil.example/a/img-1.jpg?size=2"), "block");
    assert_eq!(check("http://www.evil.example/a/img-1.jpg?size=2"), "block");
    assert_eq!(check("http://evil.example/a/img-1.jpg"), "no-match");
    assert_eq!(check("http://good.example/"), "no-match");
}

#[test]
fn export_rpz_zone_is_valid() {
    let dir = scratch("export_rpz");
    let out = dir.join("police.rpz");
    let o = export("rpz", "police.list", &out, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let zone = std::fs::read_to_string(&out).expect("zone");
    assert!(
        zone.contains("@ IN SOA localhost. hostmaster.localhost. 20260501 "),
        "{zone}"
    );
    for rr in [
        "\nbad.example CNAME .\n",
        "\n*.bad.example CNAME .\n",
        "\nxn--bcher-kva.example CNAME .\n",
        "\n*.xn--bcher-kva.example CNAME .\n",
    ] {
        assert!(zone.contains(rr), "{rr} missing in\n{zone}");
    }
    assert!(!zone.contains("192.0.2.7"), "{zone}");
    // The real validators, when installed.
    match Command::new("named-checkzone")
        .args(["rpz.hashwall.test", out.to_str().expect("utf-8")])
        .output()
    {
        Ok(o) => assert!(
            o.status.success(),
            "named-checkzone: {}{}",
            stdout(&o),
            stderr(&o)
        ),
        Err(_) => eprintln!("named-checkzone not installed: parser-level checks only"),
    }
    let conf = dir.join("unbound.conf");
    std::fs::write(
        &conf,
        format!(
            "server:\n  module-config: \"respip validator iterator\"\n  chroot: \"\"\n  \
             directory: \"{d}\"\n  username: \"\"\n  pidfile: \"\"\n\
             rpz:\n  name: rpz.hashwall.test\n  zonefile: \"{z}\"\n",
            d = dir.display(),
            z = out.display()
        ),
    )
    .expect("conf");
    match Command::new("unbound-checkconf").arg(&conf).output() {
        Ok(o) => assert!(
            o.status.success(),
            "unbound-checkconf: {}{}",
            stdout(&o),
            stderr(&o)
        ),
        Err(_) => eprintln!("unbound-checkconf not installed: parser-level checks only"),
    }
}

#[test]
fn export_bloom_and_bloom_check() {
    let dir = scratch("export_bloom");
    let out = dir.join("police.bloom");
    let o = export("bloom", "police.list", &out, &["--fp-rate", "0.0001"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("Bloom filter of 9 items"),
        "{}",
        stderr(&o)
    );
    let bytes = std::fs::read(&out).expect("filter");
    assert_eq!(&bytes[..8], b"HWBLOOM\0");
    // Deterministic: the same list gives the same bytes.
    let again = dir.join("again.bloom");
    export("bloom", "police.list", &again, &["--fp-rate", "0.0001"]);
    assert_eq!(std::fs::read(&again).expect("again"), bytes);

    let empty = dir.join("empty.bin"); // MD5, SHA-1, SHA-256 of "" are listed
    std::fs::write(&empty, b"").expect("write");
    let other = dir.join("other.bin");
    std::fs::write(&other, b"not listed").expect("write");
    let inputs = [
        ("http://www.evil.example/gallery/x.jpg", "maybe"),
        ("https://files.example.org/users/123/a.png", "maybe"),
        ("http://a.b.c.bad.example/", "maybe"),
        ("http://bücher.example/", "maybe"),
        ("http://evil.example/a/img-1.jpg?size=2", "maybe"),
        ("http://evil.example/a/img-1.jpg", "no"),
        ("http://example.org/", "no"),
        (empty.to_str().expect("utf-8"), "maybe"),
        (other.to_str().expect("utf-8"), "no"),
    ];
    let mut args = vec![
        "lists",
        "bloom-check",
        out.to_str().expect("utf-8"),
        "--allow-unsigned",
    ];
    args.extend(inputs.iter().map(|(i, _)| *i));
    let o = hashwall(&args);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let got: Vec<String> = stdout(&o).lines().map(str::to_owned).collect();
    let want: Vec<String> = inputs.iter().map(|(i, v)| format!("{v}\t{i}")).collect();
    assert_eq!(got, want);
    // Nothing listed: exit 0.
    let o = hashwall(&[
        "lists",
        "bloom-check",
        "--allow-unsigned",
        out.to_str().expect("utf-8"),
        "http://example.org/",
    ]);
    assert_eq!(o.status.code(), Some(0));
    // Unsigned without --allow-unsigned: refused, nothing tested.
    let o = hashwall(&[
        "lists",
        "bloom-check",
        out.to_str().expect("utf-8"),
        "http://example.org/",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stdout(&o).is_empty(), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("police.bloom: the Bloom filter is not signed (pass --allow-unsigned"),
        "{}",
        stderr(&o)
    );
    // A bad URL is an error line, exit 2.
    let o = hashwall(&[
        "lists",
        "bloom-check",
        "--allow-unsigned",
        out.to_str().expect("utf-8"),
        "http://",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stdout(&o).starts_with("error\thttp://\t"), "{}", stdout(&o));
    // A hostile filter: a giant declared size is a typed error, not an allocation.
    let bad = dir.join("bad.bloom");
    let mut h = bytes[..48].to_vec();
    h[16..24].copy_from_slice(&u64::MAX.to_le_bytes());
    std::fs::write(&bad, &h).expect("write");
    let o = hashwall(&[
        "lists",
        "bloom-check",
        bad.to_str().expect("utf-8"),
        "http://a.example/",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("bad.bloom: bit count m ="),
        "{}",
        stderr(&o)
    );
}

/// A signed filter: verified against the trust store before any probe; a
/// tampered filter (bits changed, checksum recomputed), a wrong key and a
/// missing trust store are refused with typed errors.
#[test]
fn bloom_signed_export_and_check() {
    let dir = scratch("bloom_signed");
    let p = |n: &str| dir.join(n).to_string_lossy().into_owned();
    let keygen = |name: &str| {
        let o = hashwall(&[
            "lists",
            "keygen",
            "--out",
            &p(name),
            "--issuer",
            "Example Police",
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o)
            .lines()
            .find(|l| l.starts_with("ed25519 "))
            .expect("trust store line")
            .to_owned()
    };
    let line = keygen("police");
    let other = keygen("other");
    std::fs::write(p("trust.txt"), format!("{line}\n")).expect("trust");
    std::fs::write(p("other-trust.txt"), format!("{other}\n")).expect("trust");
    let out = dir.join("police.bloom");
    let o = export("bloom", "police.list", &out, &["--key", &p("police.key")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("signed as \"Example Police\""),
        "{}",
        stderr(&o)
    );
    let check = |filter: &str, extra: &[&str]| {
        let mut args = vec!["lists", "bloom-check", filter];
        args.extend_from_slice(extra);
        args.push("http://www.evil.example/gallery/x.jpg");
        hashwall(&args)
    };
    let f = p("police.bloom");
    let o = check(&f, &["--trust", &p("trust.txt")]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(stdout(&o), "maybe\thttp://www.evil.example/gallery/x.jpg\n");
    assert!(
        stderr(&o).contains("filter signed by \"Example Police\""),
        "{}",
        stderr(&o)
    );
    // Signed but no trust store: refused even with --allow-unsigned.
    let o = check(&f, &["--allow-unsigned"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("pass --trust"), "{}", stderr(&o));
    // Another key for the same issuer.
    let o = check(&f, &["--trust", &p("other-trust.txt")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("is not trusted for issuer"),
        "{}",
        stderr(&o)
    );
    assert!(stdout(&o).is_empty());
    // Tampered: one bit flipped and the checksum recomputed.
    use sha2::Digest as _;
    let mut bytes = std::fs::read(&out).expect("filter");
    bytes[48] ^= 1;
    let end = bytes.len() - 32;
    let sum = sha2::Sha256::digest(&bytes[..end]);
    bytes[end..].copy_from_slice(&sum);
    std::fs::write(p("tampered.bloom"), &bytes).expect("write");
    let o = check(&p("tampered.bloom"), &["--trust", &p("trust.txt")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("tampered.bloom: signature does not verify"),
        "{}",
        stderr(&o)
    );
    // Tampered without fixing the checksum: a format error.
    bytes[end] ^= 1;
    std::fs::write(p("tampered.bloom"), &bytes).expect("write");
    let o = check(&p("tampered.bloom"), &["--trust", &p("trust.txt")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("checksum mismatch"), "{}", stderr(&o));
}

/// Lists linted together: an entry in more than one is reported on the
/// later list with both list ids and the first occurrence's line.
#[test]
fn lint_reports_duplicates_across_lists() {
    let dir = scratch("lint_across");
    let a = dir.join("a.list");
    let b = dir.join("b.list");
    std::fs::write(
        &a,
        "# id: hotline\ndomain bad.example\nurl-prefix evil.example/a/\n",
    )
    .expect("write");
    std::fs::write(
        &b,
        "# id: police\ndomain other.example\n\ndomain BAD.example\n",
    )
    .expect("write");
    let (sa, sb) = (
        a.to_string_lossy().into_owned(),
        b.to_string_lossy().into_owned(),
    );
    let o = hashwall(&[
        "lists",
        "lint",
        "--never-block",
        &data("never-block.txt"),
        &sa,
        &sb,
    ]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{}", stderr(&o));
    assert_eq!(
        out,
        format!(
            "{sb}:4: warning cross-duplicate: domain \"BAD.example\" of list police is also in list hotline at {sa}:2\n"
        )
    );
    assert!(
        stderr(&o).contains("0 errors, 1 warnings"),
        "{}",
        stderr(&o)
    );
    // Each alone: clean.
    for l in [&sa, &sb] {
        let o = hashwall(&[
            "lists",
            "lint",
            "--never-block",
            &data("never-block.txt"),
            l,
        ]);
        assert_eq!(stdout(&o), "", "{l}");
    }
}

#[test]
fn export_errors() {
    let dir = scratch("export_errors");
    let list = dir.join("bad.list");
    std::fs::write(
        &list,
        "# id: bad\nurl-prefix ok.example/\n\ndomain bad.example:99\n",
    )
    .expect("write");
    let out = dir.join("out");
    let o = hashwall(&[
        "lists",
        "export",
        "--format",
        "rpz",
        list.to_str().expect("utf-8"),
        "-o",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("bad.list:4: list bad: domain entry"),
        "{}",
        stderr(&o)
    );
    let p = data("police.list");
    let o = hashwall(&["lists", "export", "--format", "hashed", &p, &p]);
    assert_eq!(o.status.code(), Some(2));
    let o = hashwall(&["lists", "export", "--format", "bloom", &p, "--fp-rate", "0"]);
    assert_eq!(o.status.code(), Some(2));
}

fn lint(args: &[&str]) -> (Option<i32>, Vec<String>, String) {
    let mut all = vec!["lists", "lint"];
    all.extend_from_slice(args);
    let o = hashwall(&all);
    (
        o.status.code(),
        stdout(&o).lines().map(str::to_owned).collect(),
        stderr(&o),
    )
}

/// (line, severity, code) of each finding line `FILE:LINE: severity code: …`.
fn findings(lines: &[String]) -> Vec<(usize, String, String)> {
    lines
        .iter()
        .map(|l| {
            let (loc, rest) = l.split_once(": ").expect("location");
            let line = loc
                .rsplit(':')
                .next()
                .expect("line")
                .parse()
                .expect("number");
            let mut words = rest.split_whitespace();
            let severity = words.next().expect("severity").to_owned();
            let code = words.next().expect("code").trim_end_matches(':').to_owned();
            (line, severity, code)
        })
        .collect()
}

#[test]
fn lint_finds_over_blocking() {
    let bad = data("lint-bad.list");
    let allow = data("allow.list");
    let (code, out, err) = lint(&[&bad, "--cover-threshold", "3", "--allow", &allow]);
    assert_eq!(code, Some(1), "{out:?}\n{err}");
    let f = findings(&out);
    let has = |line: usize, sev: &str, c: &str| {
        f.iter().any(|(l, s, k)| *l == line && s == sev && k == c)
    };
    assert!(has(4, "error", "public-suffix"), "{out:#?}");
    assert!(has(5, "error", "public-suffix"), "{out:#?}"); // github.io
    assert!(has(6, "error", "never-block"), "{out:#?}"); // google.com, default list
    assert!(has(9, "warning", "duplicate"), "{out:#?}");
    assert!(has(10, "warning", "duplicate"), "{out:#?}"); // hashed form of line 8
    assert!(has(11, "error", "allowed"), "{out:#?}");
    assert!(has(8, "warning", "covers-many"), "{out:#?}");
    assert!(has(14, "warning", "covers-many"), "{out:#?}");
    assert!(has(14, "info", "covers-allowed"), "{out:#?}");
    assert!(has(15, "error", "invalid"), "{out:#?}");
    assert!(
        !has(9, "warning", "covers-many"),
        "duplicates are reported once: {out:#?}"
    );
    assert!(
        out.iter().all(|l| l.starts_with(&format!("{bad}:"))),
        "{out:#?}"
    );
    let allowed = out
        .iter()
        .find(|l| l.contains(": error allowed: "))
        .expect("allowed");
    assert!(allowed.ends_with("allow.list:4"), "{allowed}");
    assert!(
        err.contains("lint: 5 errors, 4 warnings, 3 notes in 1 lists"),
        "{err}"
    );

    // A never-block file replaces the default list.
    let nb = data("never-block.txt");
    let (_, out, _) = lint(&[&bad, "--never-block", &nb]);
    let f = findings(&out);
    assert!(
        f.iter().any(|(l, _, c)| *l == 7 && c == "never-block"),
        "{out:#?}"
    );
    assert!(
        !f.iter().any(|(l, _, c)| *l == 6 && c == "never-block"),
        "{out:#?}"
    );
    // Below the threshold nothing covers "many".
    assert!(!f.iter().any(|(_, _, c)| c == "covers-many"), "{out:#?}");
}

#[test]
fn lint_clean_lists_exit_zero() {
    for l in ["clean.list", "prefixes.list"] {
        let (code, out, err) = lint(&[&data(l)]);
        assert_eq!(code, Some(0), "{out:?}\n{err}");
        assert!(out.is_empty(), "{out:?}");
        assert!(err.contains("0 errors, 0 warnings"), "{err}");
    }
    // Together they share one entry: a warning, still exit 0.
    let (code, out, err) = lint(&[&data("clean.list"), &data("prefixes.list")]);
    assert_eq!(code, Some(0), "{out:?}\n{err}");
    assert_eq!(
        findings(&out),
        [(6, "warning".into(), "cross-duplicate".into())]
    );
    assert!(err.contains("0 errors, 1 warnings"), "{err}");
    // Warnings alone do not fail.
    let (code, out, _) = lint(&[&data("police.list")]);
    assert_eq!(code, Some(0));
    assert_eq!(findings(&out), [(19, "warning".into(), "duplicate".into())]);
}

#[test]
fn lint_psl_file() {
    let dir = scratch("lint_psl");
    let psl = dir.join("psl.dat");
    std::fs::write(&psl, "// test list\nexample\n*.bad.test\n!ok.bad.test\n").expect("write");
    let list = dir.join("l.list");
    std::fs::write(
        &list,
        "domain example\ndomain x.bad.test\ndomain ok.bad.test\ndomain y.x.bad.test\nurl-prefix co.uk/\n",
    )
    .expect("write");
    let (code, out, _) = lint(&[
        list.to_str().expect("utf-8"),
        "--psl",
        psl.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, Some(1));
    let f: Vec<usize> = findings(&out)
        .into_iter()
        .filter(|(_, _, c)| c == "public-suffix")
        .map(|(l, _, _)| l)
        .collect();
    // co.uk is not in this small list: the file is used, not the fallback.
    assert_eq!(f, [1, 2], "{out:#?}");
    let (code, _, err) = lint(&[
        list.to_str().expect("utf-8"),
        "--psl",
        "/nonexistent/psl.dat",
    ]);
    assert_eq!(code, Some(2));
    assert!(err.contains("/nonexistent/psl.dat"), "{err}");
    // A bad never-block line names its file and line.
    let nb = dir.join("nb.txt");
    std::fs::write(&nb, "ok.example\nbad.example:80\n").expect("write");
    let (code, _, err) = lint(&[
        list.to_str().expect("utf-8"),
        "--never-block",
        nb.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, Some(2));
    assert!(err.contains("nb.txt:2: never-block domain"), "{err}");
}

/// The DNS response code Unbound gives for `name` (A query over UDP to
/// 127.0.0.1:`port`), or `None` on timeout.
fn dns_rcode(port: u16, name: &str) -> Option<u8> {
    let mut q = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
    for label in name.split('.') {
        q.push(u8::try_from(label.len()).expect("short label"));
        q.extend_from_slice(label.as_bytes());
    }
    q.extend_from_slice(&[0, 0, 1, 0, 1]);
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
    sock.set_read_timeout(Some(std::time::Duration::from_millis(500)))
        .expect("timeout");
    sock.send_to(&q, ("127.0.0.1", port)).ok()?;
    let mut buf = [0u8; 512];
    let (n, _) = sock.recv_from(&mut buf).ok()?;
    (n >= 4 && buf[..2] == [0x12, 0x34]).then_some(buf[3] & 0x0f)
}

/// End to end, when Unbound is installed: the exported zone loaded as an
/// RPZ answers NXDOMAIN for listed domains and their subdomains. Loopback
/// only, bounded in time; the resolver is stopped by its own handle.
#[test]
fn export_rpz_zone_blocks_in_unbound() {
    if Command::new("unbound").arg("-V").output().is_err() {
        eprintln!("unbound not installed: skipping the end-to-end RPZ test");
        return;
    }
    let dir = scratch("export_rpz_unbound");
    let zone = dir.join("police.rpz");
    let o = export("rpz", "police.list", &zone, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let port = {
        let s = std::net::UdpSocket::bind("127.0.0.1:0").expect("free port");
        s.local_addr().expect("addr").port()
    };
    let conf = dir.join("unbound.conf");
    std::fs::write(
        &conf,
        format!(
            "server:\n  interface: 127.0.0.1\n  port: {port}\n  do-daemonize: no\n  use-syslog: no\n  \
             logfile: \"\"\n  chroot: \"\"\n  username: \"\"\n  pidfile: \"\"\n  directory: \"{d}\"\n  \
             module-config: \"respip iterator\"\n  do-ip6: no\n\
             rpz:\n  name: rpz.hashwall.test\n  zonefile: \"{z}\"\n",
            d = dir.display(),
            z = zone.display()
        ),
    )
    .expect("conf");
    let mut child = Command::new("unbound")
        .args(["-d", "-c", conf.to_str().expect("utf-8")])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("unbound starts");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut first = None;
    while std::time::Instant::now() < deadline {
        first = dns_rcode(port, "bad.example");
        if first.is_some() {
            break;
        }
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    if first.is_none()
        && let Ok(Some(status)) = child.try_wait()
    {
        // Unbound could not start here (environment, not the zone, which
        // named-checkzone validates in export_rpz_zone_is_valid).
        let out = child.wait_with_output().expect("unbound exited");
        eprintln!(
            "unbound exited with {status} before answering, skipping: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        return;
    }
    let results = [
        first,
        dns_rcode(port, "a.b.bad.example"),
        dns_rcode(port, "xn--bcher-kva.example"),
    ];
    let _ = child.kill();
    let out = child.wait_with_output().expect("unbound exits");
    const NXDOMAIN: u8 = 3;
    assert_eq!(
        results,
        [Some(NXDOMAIN); 3],
        "unbound: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A hashed export of a signed list does not carry the plaintext's
/// signature (it would not verify); with `--key` the issuer signs the export
/// and partners verify it against the same trust store.
#[test]
fn export_hashed_of_a_signed_list_is_unsigned_or_signed_anew() {
    let dir = scratch("hashed-signed");
    let p = |n: &str| dir.join(n).to_string_lossy().into_owned();
    let o = hashwall(&["lists", "keygen", "--out", &p("k"), "--issuer", "Hotline"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let line = stdout(&o)
        .lines()
        .find(|l| l.starts_with("ed25519 "))
        .expect("keygen prints a trust store line")
        .to_owned();
    std::fs::write(p("trust.txt"), format!("{line}\n")).expect("trust store");
    let key = p("k.key");
    let list = p("l.list");
    for args in [
        vec![
            "lists",
            "new",
            list.as_str(),
            "--issuer",
            "Hotline",
            "--key",
            key.as_str(),
        ],
        vec![
            "lists",
            "add",
            list.as_str(),
            "url-prefix",
            "evil.example/a/",
            "--ref",
            "R1",
            "--key",
            key.as_str(),
        ],
    ] {
        let o = hashwall(&args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    }
    let (unsigned, signed) = (p("unsigned.list"), p("signed.list"));
    let o = hashwall(&[
        "lists", "export", "--format", "hashed", &list, "-o", &unsigned,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&unsigned).expect("export written");
    assert!(!text.contains("# signature:"), "{text}");
    let trust = p("trust.txt");
    let o = hashwall(&["lists", "verify", &unsigned, "--trust", &trust]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "an unsigned export must not verify"
    );
    let o = hashwall(&[
        "lists", "export", "--format", "hashed", &list, "-o", &signed, "--key", &key,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = hashwall(&["lists", "verify", &signed, "--trust", &trust]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
}
