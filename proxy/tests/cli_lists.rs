//! `hashwall lists …` as a list maintainer runs it: keys, signing,
//! verification, deltas, audit; exit 0 ok, 1 verification failure, 2 usage
//! or I/O error.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn run_at(now: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hashwall"))
        .args(args)
        .env("HASHWALL_NOW", now)
        .output()
        .unwrap()
}

fn run(args: &[&str]) -> Output {
    run_at("2026-03-01T00:00:00Z", args)
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

fn so(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn se(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[track_caller]
fn ok(o: &Output) -> String {
    assert_eq!(code(o), 0, "stdout: {}\nstderr: {}", so(o), se(o));
    so(o)
}

/// A scratch directory removed (with its contents) when dropped, so the
/// tests leave nothing in the temp dir, even when they fail.
fn tempdir(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("hashwall-cli-lists-{name}-"))
        .tempdir()
        .unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// keygen + trust store with the printed line.
fn setup(dir: &Path) -> (PathBuf, PathBuf) {
    let prefix = dir.join("police");
    let o = ok(&run(&[
        "lists",
        "keygen",
        "--out",
        s(&prefix),
        "--issuer",
        "Example Police",
    ]));
    let line = o.lines().find(|l| l.starts_with("ed25519 ")).unwrap();
    assert!(line.ends_with(" - - Example Police"), "{line}");
    let trust = dir.join("trust.store");
    std::fs::write(&trust, format!("{line}\n")).unwrap();
    (dir.join("police.key"), trust)
}

fn new_list(dir: &Path, key: &Path) -> PathBuf {
    let list = dir.join("police.list");
    ok(&run(&[
        "lists",
        "new",
        s(&list),
        "--issuer",
        "Example Police",
        "--jurisdiction",
        "DE",
        "--category",
        "csam",
        "--key",
        s(key),
    ]));
    list
}

#[test]
fn keygen_new_add_verify_show_stats() {
    let tmp = tempdir("basic");
    let dir = tmp.path();
    let (key, trust) = setup(dir);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let list = new_list(dir, &key);
    let o = ok(&run(&[
        "lists",
        "add",
        s(&list),
        "url-prefix",
        "evil.example/gallery/",
        "--ref",
        "CASE-1",
        "--reason",
        "court order 5",
        "--key",
        s(&key),
    ]));
    assert!(o.contains("sequence 1"), "{o}");
    ok(&run(&[
        "lists",
        "add",
        s(&list),
        "sha1",
        "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709",
        "--ref",
        "CASE-2",
        "--key",
        s(&key),
    ]));
    let v = ok(&run(&["lists", "verify", s(&list), "--trust", s(&trust)]));
    assert!(v.starts_with("ok\t"), "{v}");
    assert!(
        v.contains("sequence 2, 2 entries, signed by \"Example Police\""),
        "{v}"
    );
    let show = ok(&run(&["lists", "show", s(&list), "--entries"]));
    assert!(show.contains("jurisdiction: DE\n"), "{show}");
    assert!(
        show.contains("@2026-03-01T00:00:00Z sha1 da39a3ee5e6b4b0d3255bfef95601890afd80709 CASE-2"),
        "{show}"
    );
    let stats = ok(&run(&["lists", "stats", s(&list)]));
    assert!(
        stats.contains("entries\t2\nurl-prefix\t1\nsha1\t1\n"),
        "{stats}"
    );
    // `new`, then two changes: each an entry record and a commit record.
    let a = ok(&run(&["lists", "audit", s(&list), "--records"]));
    assert!(a.contains("5 records, head "), "{a}");
    assert!(a.contains("\t2\tcommit\tsha256 "), "{a}");
    assert!(!a.contains("pending"), "{a}");
    assert!(a.contains("court order 5"), "{a}");
    // The signed list works with `check` through the trust store.
    let c = run(&[
        "check",
        "--trust",
        s(&trust),
        "--list",
        s(&list),
        "--url",
        "http://www.evil.example/gallery/1.jpg",
    ]);
    assert_eq!(code(&c), 1, "{}", se(&c));
    assert!(so(&c).starts_with("block\t"), "{}", so(&c));
    // Without the trust store, or with one that does not hold the key, it
    // is refused (exit 2, naming the file), --allow-unsigned or not.
    let empty = dir.join("empty.store");
    std::fs::write(&empty, "# nobody\n").unwrap();
    for extra in [
        &[][..],
        &["--trust", s(&empty)][..],
        &["--allow-unsigned"][..],
    ] {
        let mut args = vec!["check", "--list", s(&list), "--url", "http://a.example/"];
        args.extend_from_slice(extra);
        let c = run(&args);
        assert_eq!(code(&c), 2, "{extra:?}: {}", se(&c));
        assert!(se(&c).contains(s(&list)), "{}", se(&c));
        assert!(se(&c).contains("Example Police"), "{}", se(&c));
        assert!(so(&c).is_empty(), "{}", so(&c));
    }
    // A tampered copy is refused even with the right store.
    let bad = dir.join("tampered.list");
    let text = std::fs::read_to_string(&list).unwrap();
    std::fs::write(&bad, text.replace("evil.example", "good.example")).unwrap();
    let c = run(&[
        "match",
        "--trust",
        s(&trust),
        "--list",
        s(&bad),
        "--hash",
        "sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709",
    ]);
    assert_eq!(code(&c), 2, "{}", se(&c));
    assert!(se(&c).contains("tampered.list"), "{}", se(&c));
    assert!(se(&c).contains("signature does not verify"), "{}", se(&c));
}

#[test]
fn verification_failures_exit_1_and_name_the_file() {
    let tmp = tempdir("fail");
    let dir = tmp.path();
    let (key, trust) = setup(dir);
    let list = new_list(dir, &key);
    ok(&run(&[
        "lists",
        "add",
        s(&list),
        "domain",
        "bad.example",
        "--ref",
        "C1",
        "--key",
        s(&key),
    ]));
    // Tampered entry.
    let text = std::fs::read_to_string(&list).unwrap();
    std::fs::write(&list, text.replace("bad.example", "good.example")).unwrap();
    let o = run(&["lists", "verify", s(&list), "--trust", s(&trust)]);
    assert_eq!(code(&o), 1);
    assert!(se(&o).contains(s(&list)), "{}", se(&o));
    assert!(se(&o).contains("signature does not verify"), "{}", se(&o));
    // Empty trust store: untrusted.
    std::fs::write(&list, &text).unwrap();
    let empty = dir.join("empty.store");
    std::fs::write(&empty, "# nobody\n").unwrap();
    let o = run(&["lists", "verify", s(&list), "--trust", s(&empty)]);
    assert_eq!(code(&o), 1, "{}", se(&o));
    // Cut in half: truncated.
    let cut = dir.join("cut.list");
    std::fs::write(&cut, &text.as_bytes()[..text.len() - 12]).unwrap();
    let o = run(&["lists", "verify", s(&cut), "--trust", s(&trust)]);
    assert_eq!(code(&o), 1, "{}", se(&o));
    assert!(se(&o).contains("cut short"), "{}", se(&o));
    // Unsigned needs --allow-unsigned.
    let unsigned = dir.join("local.list");
    std::fs::write(&unsigned, "url http://x.example/\n").unwrap();
    assert_eq!(code(&run(&["lists", "verify", s(&unsigned)])), 1);
    let o = ok(&run(&["lists", "verify", s(&unsigned), "--allow-unsigned"]));
    assert!(o.contains("UNSIGNED"), "{o}");
    // Rollback.
    let o = run(&[
        "lists",
        "verify",
        s(&list),
        "--trust",
        s(&trust),
        "--min-sequence",
        "5",
    ]);
    assert_eq!(code(&o), 1, "{}", se(&o));
}

#[test]
fn expiry_refused_or_flagged() {
    let tmp = tempdir("expiry");
    let dir = tmp.path();
    let (key, trust) = setup(dir);
    let list = dir.join("e.list");
    ok(&run(&[
        "lists",
        "new",
        s(&list),
        "--issuer",
        "Example Police",
        "--expires",
        "2026-04-01T00:00:00Z",
        "--key",
        s(&key),
    ]));
    ok(&run(&["lists", "verify", s(&list), "--trust", s(&trust)]));
    let later = "2026-05-01T00:00:00Z";
    let o = run_at(later, &["lists", "verify", s(&list), "--trust", s(&trust)]);
    assert_eq!(code(&o), 1);
    assert!(se(&o).contains("expired"), "{}", se(&o));
    let o = run_at(
        later,
        &[
            "lists",
            "verify",
            s(&list),
            "--trust",
            s(&trust),
            "--expired",
            "flag",
        ],
    );
    assert!(ok(&o).contains("EXPIRED"));
}

#[test]
fn diff_apply_replay_audit() {
    let tmp = tempdir("delta");
    let dir = tmp.path();
    let (key, trust) = setup(dir);
    let list = new_list(dir, &key);
    for (i, d) in ["a.example", "b.example", "c.example"].iter().enumerate() {
        ok(&run(&[
            "lists",
            "add",
            s(&list),
            "domain",
            d,
            "--ref",
            &format!("C{i}"),
            "--key",
            s(&key),
        ]));
    }
    // The subscriber's copy at sequence 3.
    let copy = dir.join("copy");
    std::fs::create_dir(&copy).unwrap();
    let sub = copy.join("police.list");
    std::fs::copy(&list, &sub).unwrap();
    let old = dir.join("old.list");
    std::fs::copy(&list, &old).unwrap();
    // The issuer removes one, adds one: sequence 5.
    ok(&run_at(
        "2026-03-02T00:00:00Z",
        &[
            "lists",
            "remove",
            s(&list),
            "domain",
            "b.example",
            "--reason",
            "appeal",
            "--key",
            s(&key),
        ],
    ));
    ok(&run_at(
        "2026-03-02T00:00:00Z",
        &[
            "lists",
            "add",
            s(&list),
            "url",
            "http://d.example/x",
            "--ref",
            "C9",
            "--key",
            s(&key),
        ],
    ));
    let delta = dir.join("3-5.delta");
    let o = ok(&run(&[
        "lists",
        "diff",
        s(&old),
        s(&list),
        "--out",
        s(&delta),
        "--key",
        s(&key),
    ]));
    assert!(o.contains("sequence 3 -> 5, -1 +1"), "{o}");
    let o = ok(&run_at(
        "2026-03-03T00:00:00Z",
        &[
            "lists",
            "apply",
            s(&sub),
            s(&delta),
            "--trust",
            s(&trust),
            "--reason",
            "feed",
        ],
    ));
    assert!(o.contains("sequence 3 -> 5"), "{o}");
    let v = ok(&run_at(
        "2026-03-03T00:00:00Z",
        &["lists", "verify", s(&sub), "--trust", s(&trust)],
    ));
    assert!(v.contains("sequence 5, 3 entries"), "{v}");
    // Replay: exit 1, list untouched.
    let before = std::fs::read(&sub).unwrap();
    let o = run_at(
        "2026-03-03T00:00:00Z",
        &["lists", "apply", s(&sub), s(&delta), "--trust", s(&trust)],
    );
    assert_eq!(code(&o), 1, "{}", se(&o));
    assert!(se(&o).contains("already applied"), "{}", se(&o));
    assert_eq!(std::fs::read(&sub).unwrap(), before);
    // Audit of the subscriber's copy (a list copied without its log): a
    // baseline commit of the list as found, the two changes, their commit.
    let a = ok(&run(&["lists", "audit", s(&sub), "--records"]));
    assert!(a.contains("4 records"), "{a}");
    assert!(a.contains("\t3\tcommit\tsha256 "), "{a}");
    assert!(a.contains("\tbaseline\t"), "{a}");
    assert!(a.contains("\tremove\tdomain b.example\t"), "{a}");
    // Tampered audit log: exit 1 naming the line.
    let ap = copy.join("police.list.audit");
    let t = std::fs::read_to_string(&ap).unwrap();
    std::fs::write(&ap, t.replacen("b.example", "z.example", 1)).unwrap();
    let o = run(&["lists", "audit", s(&sub)]);
    assert_eq!(code(&o), 1);
    assert!(se(&o).contains("police.list.audit:2:"), "{}", se(&o));
}

#[test]
fn usage_and_io_errors_exit_2() {
    let tmp = tempdir("usage");
    let dir = tmp.path();
    let (key, _trust) = setup(dir);
    let list = new_list(dir, &key);
    // Bad kind / value.
    let o = run(&["lists", "add", s(&list), "md7", "abc", "--ref", "x"]);
    assert_eq!(code(&o), 2);
    assert!(se(&o).contains("unknown entry kind"), "{}", se(&o));
    let o = run(&["lists", "add", s(&list), "md5", "abc", "--ref", "x"]);
    assert_eq!(code(&o), 2);
    // Missing file.
    let o = run(&["lists", "show", s(&dir.join("nope.list"))]);
    assert_eq!(code(&o), 2);
    // Malformed list: file and line named.
    let bad = dir.join("bad.list");
    std::fs::write(&bad, "url a\nurl b\nsha1 xyz\n").unwrap();
    let o = run(&["lists", "show", s(&bad)]);
    assert_eq!(code(&o), 2);
    assert!(se(&o).contains(&format!("{}:3: ", s(&bad))), "{}", se(&o));
    // Missing required argument.
    assert_eq!(code(&run(&["lists", "add", s(&list), "url", "x"])), 2);
    // World-readable secret key.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        let o = run(&["lists", "sign", s(&list), "--key", s(&key)]);
        assert_eq!(code(&o), 2);
        assert!(se(&o).contains("chmod 600"), "{}", se(&o));
    }
    // Changing without a key drops the signature, with a warning.
    let o = ok(&run(&[
        "lists",
        "add",
        s(&list),
        "url",
        "http://x.example/",
        "--ref",
        "R",
    ]));
    let _ = o;
    let o = run(&["lists", "remove", s(&list), "url", "http://x.example/"]);
    assert_eq!(code(&o), 0, "{}", se(&o));
}

#[test]
fn add_image_adds_pdq_md5_sha256_and_names_bad_files() {
    let Some(pdq) = hashwall::conformance::dir("pdq") else {
        return;
    };
    let dih = pdq.join("pdq/data/reg-test-input/dih");
    let orig = dih.join("bridge-1-original.jpg");
    let rotated = dih.join("bridge-2-rotate-90.jpg");
    let tmp = tempdir("image");
    let dir = tmp.path();
    let (key, trust) = setup(dir);
    let list = new_list(dir, &key);
    let junk = dir.join("junk.jpg");
    std::fs::write(&junk, "not an image").unwrap();

    let o = ok(&run(&[
        "lists",
        "add-image",
        s(&list),
        s(&orig),
        "--ref",
        "CASE-IMG-1",
        "--reason",
        "hotline report 9",
        "--key",
        s(&key),
    ]));
    assert!(o.contains("added 3 entries"), "{o}");
    assert!(o.contains("(sequence 1)"), "{o}");
    let show = ok(&run(&["lists", "show", s(&list), "--entries"]));
    for kind in ["pdq", "md5", "sha256"] {
        assert!(
            show.lines()
                .any(|l| l.contains(&format!(" {kind} ")) && l.ends_with(" CASE-IMG-1")),
            "{kind}: {show}"
        );
    }
    let a = ok(&run(&["lists", "audit", s(&list), "--records"]));
    assert!(a.contains("5 records, head "), "{a}");
    assert!(a.contains("hotline report 9"), "{a}");
    ok(&run(&["lists", "verify", s(&list), "--trust", s(&trust)]));

    // The signed list blocks the image, and its rotated copy by PDQ.
    let c = run(&[
        "check",
        "--trust",
        s(&trust),
        "--list",
        s(&list),
        "--image",
        s(&orig),
        "--image",
        s(&rotated),
    ]);
    assert_eq!(code(&c), 1, "{}", se(&c));
    let lines: Vec<String> = so(&c).lines().map(str::to_owned).collect();
    assert!(
        lines[0].starts_with("block\t") && lines[0].contains("ref=CASE-IMG-1"),
        "{lines:?}"
    );
    assert!(
        lines[1].starts_with("block\t") && lines[1].contains("kind=pdq"),
        "{lines:?}"
    );

    // An undecodable file is an error naming it and adds nothing for it;
    // the image already listed is not added twice; the good new one is.
    let o = run(&[
        "lists",
        "add-image",
        s(&list),
        s(&junk),
        s(&orig),
        s(&rotated),
        "--ref",
        "CASE-IMG-2",
        "--key",
        s(&key),
    ]);
    assert_eq!(code(&o), 2, "{}", se(&o));
    assert!(se(&o).contains("junk.jpg"), "{}", se(&o));
    assert!(so(&o).contains("already listed"), "{}", so(&o));
    assert!(so(&o).contains("added 3 entries"), "{}", so(&o));
    let stats = ok(&run(&["lists", "stats", s(&list)]));
    assert!(stats.contains("entries\t6\n"), "{stats}");
    let show = ok(&run(&["lists", "show", s(&list)]));
    assert!(show.contains("sequence: 2"), "{show}");

    // Only bad files: nothing written, exit 2.
    let o = run(&["lists", "add-image", s(&list), s(&junk), "--ref", "X"]);
    assert_eq!(code(&o), 2);
    assert!(se(&o).contains("junk.jpg"), "{}", se(&o));
    ok(&run(&["lists", "verify", s(&list), "--trust", s(&trust)]));
}

/// A trust store made from what `keygen` wrote, without copying lines by
/// hand: `trust add|list|remove`; the `.pub` file given as a store is
/// refused with how to make one.
#[test]
fn trust_store_from_keygen_files() {
    let tmp = tempdir("trust");
    let dir = tmp.path();
    let prefix = dir.join("police");
    let o = ok(&run(&[
        "lists",
        "keygen",
        "--out",
        s(&prefix),
        "--issuer",
        "Example Police",
    ]));
    let (key, public) = (dir.join("police.key"), dir.join("police.pub"));
    assert!(o.contains("hashwall lists trust add STORE"), "{o}");
    let id = o
        .lines()
        .next()
        .unwrap()
        .strip_prefix("key id ")
        .unwrap()
        .to_owned();
    let list = new_list(dir, &key);
    let verify = |store: &Path| run(&["lists", "verify", s(&list), "--trust", s(store)]);

    // The public key file is not a store: say how to make one (exit 2).
    let o = verify(&public);
    assert_eq!(code(&o), 2, "{}", se(&o));
    assert!(
        se(&o).contains("lists trust add STORE KEY.pub --issuer NAME"),
        "{}",
        se(&o)
    );

    // `trust add` makes the store from the .pub file; the list verifies.
    let store = dir.join("partners.store");
    let o = ok(&run(&[
        "lists",
        "trust",
        "add",
        s(&store),
        s(&public),
        "--issuer",
        "Example Police",
    ]));
    assert!(
        o.contains(&format!("trusted key {id} for issuer \"Example Police\"")),
        "{o}"
    );
    let v = ok(&verify(&store));
    assert!(
        v.contains(&format!("signed by \"Example Police\" with key {id}")),
        "{v}"
    );
    // Twice is refused, the store unchanged.
    let before = std::fs::read_to_string(&store).unwrap();
    let o = run(&[
        "lists",
        "trust",
        "add",
        s(&store),
        s(&public),
        "--issuer",
        "Example Police",
    ]);
    assert_eq!(code(&o), 2, "{}", se(&o));
    assert!(se(&o).contains("already trusted"), "{}", se(&o));
    assert_eq!(std::fs::read_to_string(&store).unwrap(), before);
    // The secret key file is not taken for a public one.
    let o = run(&["lists", "trust", "add", s(&store), s(&key), "--issuer", "X"]);
    assert_eq!(code(&o), 2, "{}", se(&o));

    // A second issuer's key with a window; comments in the store survive.
    let mut text = std::fs::read_to_string(&store).unwrap();
    text.insert_str(0, "# reviewed by the hotline, 2026-02\n");
    std::fs::write(&store, &text).unwrap();
    ok(&run(&["lists", "keygen", "--out", s(&dir.join("other"))]));
    ok(&run(&[
        "lists",
        "trust",
        "add",
        s(&store),
        s(&dir.join("other.pub")),
        "--issuer",
        "Other Hotline",
        "--not-after",
        "2026-12-31T00:00:00Z",
    ]));
    let listed = ok(&run(&["lists", "trust", "list", s(&store)]));
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), 2, "{listed}");
    assert_eq!(lines[0], format!("{id}\t-\t-\tExample Police"));
    assert!(
        lines[1].ends_with("\t-\t2026-12-31T00:00:00Z\tOther Hotline"),
        "{listed}"
    );
    assert!(
        std::fs::read_to_string(&store)
            .unwrap()
            .starts_with("# reviewed by the hotline")
    );

    // Removing the police key (by id) makes the list untrusted (exit 1).
    let o = ok(&run(&["lists", "trust", "remove", s(&store), &id]));
    assert!(
        o.contains(&format!("removed key {id} for issuer \"Example Police\"")),
        "{o}"
    );
    let o = verify(&store);
    assert_eq!(code(&o), 1, "{}", se(&o));
    // Nothing left to remove for that issuer: exit 2, store unchanged.
    let before = std::fs::read_to_string(&store).unwrap();
    let o = run(&[
        "lists",
        "trust",
        "remove",
        s(&store),
        "--issuer",
        "Example Police",
    ]);
    assert_eq!(code(&o), 2, "{}", se(&o));
    assert_eq!(std::fs::read_to_string(&store).unwrap(), before);
    // By issuer (and by key file) works too.
    ok(&run(&[
        "lists",
        "trust",
        "remove",
        s(&store),
        "--issuer",
        "Other Hotline",
    ]));
    assert_eq!(ok(&run(&["lists", "trust", "list", s(&store)])), "");
    ok(&run(&[
        "lists",
        "trust",
        "add",
        s(&store),
        s(&public),
        "--issuer",
        "Example Police",
    ]));
    ok(&run(&["lists", "trust", "remove", s(&store), s(&public)]));
    let o = run(&["lists", "trust", "remove", s(&store), "not-a-key"]);
    assert_eq!(code(&o), 2, "{}", se(&o));
}
