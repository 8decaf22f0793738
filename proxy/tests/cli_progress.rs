//! Progress lines: shown on a terminal, never in pipes or scripts, never
//! with `--quiet`.

use std::path::Path;
use std::process::Command;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_hashwall")
}

fn data(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../hashlists/tests/data/exchange")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// Labels the long commands show; none may appear in a pipe.
const LABELS: &[&str] = &[
    "reading lists",
    "linting",
    "exporting",
    "verifying",
    "importing",
    "checking",
];

/// The test harness runs the binary with pipes: standard error is not a
/// terminal, so nothing but the usual messages is written there.
#[test]
fn no_progress_in_pipes() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli_progress-pipes");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let bloom = dir.join("f.bloom");
    let runs: Vec<Vec<String>> = vec![
        vec!["lists".into(), "lint".into(), data("police.list")],
        vec![
            "lists".into(),
            "export".into(),
            "--format".into(),
            "bloom".into(),
            data("police.list"),
            "-o".into(),
            bloom.to_string_lossy().into_owned(),
        ],
        vec![
            "lists".into(),
            "bloom-check".into(),
            "--allow-unsigned".into(),
            bloom.to_string_lossy().into_owned(),
            "http://example.org/".into(),
        ],
        vec![
            "lists".into(),
            "verify".into(),
            "--allow-unsigned".into(),
            data("police.list"),
        ],
        vec![
            "lists".into(),
            "import".into(),
            "--format".into(),
            "hosts".into(),
            data("hosts.txt"),
        ],
    ];
    for args in &runs {
        let o = Command::new(bin()).args(args).output().expect("runs");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.code().is_some_and(|c| c <= 1), "{args:?}: {err}");
        assert!(!err.contains('\r'), "{args:?}: {err:?}");
        for label in LABELS {
            assert!(
                !err.lines().any(|l| l.starts_with(label)),
                "{args:?}: {err:?}"
            );
        }
    }
    std::fs::remove_dir_all(&dir).expect("clean up");
}

/// On a terminal (a pseudo-terminal from util-linux's `script`) the line is
/// drawn and cleared; `--quiet` silences it. The line is redrawn by going
/// back to the start of the line and erasing it (`\r` then `ESC [2K`,
/// indicatif's terminal handling).
#[test]
fn progress_on_a_terminal_unless_quiet() {
    if Command::new("script").arg("--version").output().is_err() {
        println!("skipped: util-linux `script` is not installed");
        return;
    }
    let tty = |quiet: &str| -> String {
        let cmd = format!("'{}' {quiet} lists lint '{}'", bin(), data("police.list"));
        let o = Command::new("script")
            .args(["-q", "-e", "-c", &cmd, "/dev/null"])
            .output()
            .expect("script runs");
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let shown = tty("");
    assert!(shown.contains("\r\x1b[2Klinting 0/1 (0%) "), "{shown:?}");
    // Cleared (the line erased) before the findings.
    let cleared = shown.rfind("\r\x1b[2K").expect("the line is cleared");
    let finding = shown.find("warning duplicate").expect("a finding");
    assert!(cleared < finding, "{shown:?}");
    assert!(!shown[cleared..].contains("linting"), "{shown:?}");
    // Results on standard output start on a clean line: the progress line
    // is taken off the screen first.
    let cmd = format!(
        "'{}' lists verify --allow-unsigned '{}'",
        bin(),
        data("police.list")
    );
    let o = Command::new("script")
        .args(["-q", "-e", "-c", &cmd, "/dev/null"])
        .output()
        .expect("script runs");
    let verify = String::from_utf8_lossy(&o.stdout).into_owned();
    let at = verify.find("ok\t").expect("verify prints ok");
    // The line (long: it names the file, so it wraps on an 80-column
    // terminal) was drawn, then erased row by row: after its last drawing
    // only padding, carriage returns and cursor and erase sequences come
    // before the result.
    let drawn = verify[..at].rfind("verifying ").expect("the line is drawn");
    let tail = &verify[drawn..at];
    // The elapsed time ends the drawing (`0.0s`): a space follows it unless
    // the line filled the terminal's width exactly (it depends on the
    // checkout's path length).
    let elapsed = tail
        .as_bytes()
        .windows(2)
        .position(|w| w[0].is_ascii_digit() && w[1] == b's')
        .expect("the elapsed time");
    let tail = &tail[elapsed + 1..];
    assert!(tail.contains("\x1b[2K"), "{verify:?}");
    let rest = without_csi(tail);
    assert!(
        rest[1..].chars().all(|c| c == ' ' || c == '\r'),
        "{verify:?}"
    );
    let quiet = tty("--quiet");
    assert!(quiet.contains("lint: "), "{quiet:?}");
    assert!(!quiet.contains("linting"), "{quiet:?}");
}

/// `text` without its terminal control sequences (`ESC [ digits letter`).
fn without_csi(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' && chars.peek() == Some(&'[') {
            chars.next();
            while chars.next().is_some_and(|d| d.is_ascii_digit() || d == ';') {}
            continue;
        }
        out.push(c);
    }
    out
}
