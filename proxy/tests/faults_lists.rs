//! Faults while a list is being changed, with the real `hashwall` binary:
//! SIGKILL at many moments of `lists apply`, and a write that fails for
//! lack of space. After each, the list on disk is exactly the old or the
//! new version, verifies, and agrees with its audit log (a pending or
//! interrupted change is reported, never corruption).
//!
//! Figures printed by `kill_9_during_apply` are recorded in
//! `RELIABILITY.md` ("Crash during delta apply", "Disk full").

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use hashwall_lists::{
    Change, Delta, Entry, List, ListMeta, SecretKey, TrustedKey, audit_path, commit_change,
    trust_line,
};

const NOW: &str = "2026-03-01T00:00:00Z";

/// A scratch directory removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let d = std::env::temp_dir().join(format!(
            "hashwall-faults-{name}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&d).unwrap();
        TempDir(d)
    }
}

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn hashwall() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hashwall"));
    c.env("HASHWALL_NOW", NOW);
    c
}

fn run(args: &[&str]) -> Output {
    hashwall().args(args).output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn entry(i: usize) -> Entry {
    Entry::from_line(&format!("url-prefix bad{i}.example/gallery/ CASE-{i}")).unwrap()
}

struct Setup {
    list: PathBuf,
    delta: PathBuf,
    trust: PathBuf,
    key: PathBuf,
    old: Vec<u8>,
    new: Vec<u8>,
    old_audit: Vec<u8>,
}

/// A signed list of `n` entries committed with its audit log, and a signed
/// delta removing `n / 10` and adding `added` entries.
fn setup(dir: &Path, n: usize, added: usize) -> Setup {
    let key = SecretKey::from_seed(&[7; 32]);
    let key_path = dir.join("police.key");
    key.write_file(&key_path).unwrap();
    let trust = dir.join("trust.store");
    let line = trust_line(&TrustedKey {
        issuer: "Police".into(),
        key: key.public_key(),
        not_before: None,
        not_after: None,
    });
    std::fs::write(&trust, format!("{line}\n")).unwrap();
    let mut meta = ListMeta::with_defaults("police");
    meta.issuer = "Police".into();
    meta.sequence = 1;
    meta.created = "2026-02-01T00:00:00Z".parse().unwrap();
    let mut old = List {
        meta,
        entries: (0..n).map(entry).collect(),
    };
    old.sign(&key);
    let list = dir.join("police.list");
    let first = Change {
        operation: "new".into(),
        reason: String::new(),
        time: old.meta.created,
        key_id: Some(key.public_key().key_id()),
        base_sequence: 0,
        records: Vec::new(),
    };
    commit_change(&list, &old, &first).unwrap();
    let mut new = old.clone();
    new.meta.sequence = 2;
    new.meta.created = "2026-02-15T00:00:00Z".parse().unwrap();
    new.entries.drain(..n / 10);
    new.entries.extend((n..n + added).map(entry));
    new.sign(&key);
    let mut d = Delta::diff(&old, &new);
    d.sign(&old, &key).unwrap();
    let delta = dir.join("police.delta");
    std::fs::write(&delta, d.to_text()).unwrap();
    Setup {
        old: std::fs::read(&list).unwrap(),
        new: new.to_text().into_bytes(),
        old_audit: std::fs::read(audit_path(&list)).unwrap(),
        list,
        delta,
        trust,
        key: key_path,
    }
}

fn restore(st: &Setup) {
    std::fs::write(&st.list, &st.old).unwrap();
    std::fs::write(audit_path(&st.list), &st.old_audit).unwrap();
}

fn temps(list: &Path) -> Vec<String> {
    let name = list.file_name().unwrap().to_string_lossy().into_owned();
    std::fs::read_dir(list.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|f| f.starts_with(&format!(".{name}.tmp.")))
        .collect()
}

fn apply_args(st: &Setup) -> Vec<String> {
    [
        "lists",
        "apply",
        s(&st.list),
        s(&st.delta),
        "--trust",
        s(&st.trust),
    ]
    .map(str::to_owned)
    .to_vec()
}

/// After a fault: the list verifies and is exactly old or new; `lists
/// audit` exits 0; returns the outcome.
fn outcome(st: &Setup) -> &'static str {
    let bytes = std::fs::read(&st.list).unwrap();
    let is_new = bytes == st.new;
    assert!(is_new || bytes == st.old, "the list is neither old nor new");
    let v = run(&["lists", "verify", s(&st.list), "--trust", s(&st.trust)]);
    assert_eq!(v.status.code(), Some(0), "{}", text(&v));
    let a = run(&["lists", "audit", s(&st.list)]);
    assert_eq!(a.status.code(), Some(0), "{}", text(&a));
    let out = String::from_utf8_lossy(&a.stdout).into_owned();
    assert!(out.contains("\nok\t") || out.starts_with("ok\t"), "{out}");
    assert!(!out.contains("mismatch"), "{out}");
    let pending = out.contains("pending\t");
    let interrupted = out.contains("interrupted\t");
    match (is_new, pending, interrupted) {
        (true, false, false) => "new",
        (false, false, false) => "old",
        (false, true, _) => "old, change logged (pending)",
        (false, false, true) => "old, logging interrupted",
        _ => panic!("new list with a pending/interrupted log: {out}"),
    }
}

/// When to kill a `lists apply`.
#[derive(Clone, Copy, Debug)]
enum Moment {
    /// This long after the start.
    After(Duration),
    /// As soon as the audit log has grown (the commit phase has begun).
    LogGrew,
    /// As soon as the temporary list file exists.
    TempExists,
    /// As soon as the list file has been replaced.
    Replaced,
}

/// Polls until `moment` (or the child's exit), then SIGKILLs the child.
fn kill_at(st: &Setup, child: &mut std::process::Child, moment: Moment) {
    let log = audit_path(&st.list);
    let t = Instant::now();
    loop {
        let hit = match moment {
            Moment::After(d) => t.elapsed() >= d,
            Moment::LogGrew => {
                std::fs::metadata(&log).is_ok_and(|m| m.len() != st.old_audit.len() as u64)
            }
            Moment::TempExists => !temps(&st.list).is_empty(),
            Moment::Replaced => {
                std::fs::metadata(&st.list).is_ok_and(|m| m.len() != st.old.len() as u64)
            }
        };
        if hit || child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    // SIGKILL on Unix.
    let _ = child.kill();
    let _ = child.wait();
}

/// One `lists apply` killed at `moment`; returns the outcome and how many
/// temporary files the kill left beside the list (ignored by every reader).
fn kill_run(st: &Setup, moment: Moment) -> (&'static str, usize) {
    restore(st);
    let mut child = hashwall()
        .args(apply_args(st))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    kill_at(st, &mut child, moment);
    let stale = temps(&st.list).len();
    let what = outcome(st);
    if what != "new" && what != "old" {
        // The next operation repairs the log and completes the update,
        // removing the killed writer's temporary file.
        let o = hashwall().args(apply_args(st)).output().unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "after a kill at {moment:?}: {}",
            text(&o)
        );
        assert_eq!(std::fs::read(&st.list).unwrap(), st.new);
        assert!(temps(&st.list).is_empty(), "{:?}", temps(&st.list));
        assert_eq!(outcome(st), "new");
    }
    (what, stale)
}

#[test]
fn kill_9_during_apply() {
    let dir = TempDir::new("kill");
    // The list must take long enough to apply for kills spread over the run
    // to land in every phase: start at 100 k entries and double on a fast
    // machine (the kills at watched steps below do not depend on it).
    let mut n = 100_000;
    let (st, runs) = loop {
        let sub = dir.join(format!("n{n}"));
        std::fs::create_dir_all(&sub).unwrap();
        let st = setup(&sub, n, n / 4);
        // The duration of an apply: the median of three runs.
        let mut runs: Vec<Duration> = (0..3)
            .map(|_| {
                restore(&st);
                let t = Instant::now();
                let o = hashwall().args(apply_args(&st)).output().unwrap();
                assert_eq!(o.status.code(), Some(0), "{}", text(&o));
                t.elapsed()
            })
            .collect();
        runs.sort();
        if runs[1] >= Duration::from_millis(200) || n >= 800_000 {
            break (st, runs);
        }
        n *= 2;
    };
    let full = runs[1];
    assert_eq!(outcome(&st), "new");
    println!(
        "apply of {} removals + {} additions to {n} entries: {runs:?}",
        n / 10,
        n / 4
    );

    // 20 kills evenly over the run; then 5 at each step of the commit
    // phase, found by watching the files (timing alone rarely lands in
    // that short window on a busy machine).
    const KILLS: u32 = 20;
    let mut plan: Vec<(&str, Moment)> = (0..KILLS)
        .map(|i| {
            (
                "evenly spread",
                Moment::After(full.mul_f64((f64::from(i) + 0.5) / f64::from(KILLS))),
            )
        })
        .collect();
    for _ in 0..5 {
        plan.push(("log grew", Moment::LogGrew));
        plan.push(("temp file exists", Moment::TempExists));
        plan.push(("list replaced", Moment::Replaced));
    }
    let mut counts: std::collections::BTreeMap<(&str, &str), u32> = Default::default();
    let mut stale = 0;
    for (label, moment) in &plan {
        let (what, temps) = kill_run(&st, *moment);
        *counts.entry((label, what)).or_default() += 1;
        stale += temps;
    }
    println!(
        "{} SIGKILLs (median apply {full:?}), {stale} left a temporary file:",
        plan.len()
    );
    for ((label, what), n) in &counts {
        println!("  killed when {label:<17} -> {what}: {n}");
    }
    assert_eq!(counts.values().sum::<u32>(), plan.len() as u32);
}

/// The file size limit (`ulimit -f`, SIGXFSZ ignored so the write fails
/// with EFBIG instead of killing the process) stands in for a full disk:
/// unprivileged and exact. Each run fails with a typed "no space" error
/// naming the file, exits non-zero, and leaves the old list, no temporary
/// file, and an audit log that verifies and agrees with the list.
#[test]
fn no_space_while_writing() {
    if Command::new("sh").arg("-c").arg("true").status().is_err() {
        println!("skipped: no sh");
        return;
    }
    let dir = TempDir::new("nospace");
    let st = setup(&dir, 20_000, 0);
    // The list is ~1 MB: a 256 KiB limit stops the list's temporary file;
    // a limit of 0 stops the first write, the audit append itself.
    for (limit_blocks, what) in [(512, "list"), (0, "audit log")] {
        restore(&st);
        let bin = env!("CARGO_BIN_EXE_hashwall");
        let script = format!(
            "trap '' XFSZ; ulimit -f {limit_blocks} && exec \"$0\" lists add \"$1\" domain full.example --ref X --key \"$2\""
        );
        let o = Command::new("sh")
            .arg("-c")
            .arg(&script)
            .arg(bin)
            .arg(&st.list)
            .arg(&st.key)
            .env("HASHWALL_NOW", NOW)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        assert_eq!(o.status.code(), Some(2), "{what}: {}", text(&o));
        let named = match what {
            "list" => s(&st.list).to_owned(),
            _ => s(&audit_path(&st.list)).to_owned(),
        };
        assert!(
            err.contains(&format!("error: {named}: no space")),
            "{what}: {err}"
        );
        assert!(err.contains("too large"), "{what}: {err}");
        assert_eq!(std::fs::read(&st.list).unwrap(), st.old, "{what}");
        assert!(temps(&st.list).is_empty(), "{what}: {:?}", temps(&st.list));
        assert_eq!(
            std::fs::read(audit_path(&st.list)).unwrap(),
            st.old_audit,
            "{what}: the log is as before"
        );
        assert_eq!(outcome(&st), "old", "{what}");
        // Without the limit the same change goes through.
        let o = run(&[
            "lists",
            "add",
            s(&st.list),
            "domain",
            "full.example",
            "--ref",
            "X",
            "--key",
            s(&st.key),
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    }
}

/// Unmounts a file system when dropped (before its directory is removed).
struct Mount(PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// A real full disk: a small tmpfs (needs root and `mount`; skipped
/// otherwise). First the list's temporary file does not fit; then, with
/// the rest of the space taken, not even the audit append. Each time:
/// `ENOSPC` as a typed error naming the file, exit 2, the old list, no
/// temporary file, the log as before.
#[test]
fn disk_full_on_tmpfs() {
    let dir = TempDir::new("tmpfs");
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1536k", "tmpfs", s(&dir)])
        .output();
    match mounted {
        Ok(o) if o.status.success() => {}
        Ok(o) => {
            println!(
                "skipped: cannot mount a tmpfs here ({})",
                String::from_utf8_lossy(&o.stderr).trim()
            );
            return;
        }
        Err(e) => {
            println!("skipped: no mount command ({e})");
            return;
        }
    }
    let _mount = Mount(dir.to_path_buf());
    let st = setup(&dir, 20_000, 0);
    let add = || {
        run(&[
            "lists",
            "add",
            s(&st.list),
            "domain",
            "full.example",
            "--ref",
            "X",
            "--key",
            s(&st.key),
        ])
    };
    let check = |o: &Output, named: &Path| {
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        assert_eq!(o.status.code(), Some(2), "{}", text(o));
        assert!(
            err.contains(&format!("error: {}: no space", named.display())),
            "{err}"
        );
        assert!(err.contains("No space left on device"), "{err}");
        assert_eq!(std::fs::read(&st.list).unwrap(), st.old);
        assert!(temps(&st.list).is_empty(), "{:?}", temps(&st.list));
        assert_eq!(std::fs::read(audit_path(&st.list)).unwrap(), st.old_audit);
        assert_eq!(outcome(&st), "old");
    };
    // ~0.9 MB list on a 1.5 MB file system: its replacement does not fit.
    check(&add(), &st.list);
    // Take what is left: now the audit append itself fails (an apply of
    // 2 000 removals: its records need pages the log does not have yet).
    let filler = dir.join("filler");
    let mut f = std::fs::File::create(&filler).unwrap();
    let chunk = vec![0u8; 4096];
    while std::io::Write::write_all(&mut f, &chunk).is_ok() {}
    drop(f);
    let apply = hashwall().args(apply_args(&st)).output().unwrap();
    check(&apply, &audit_path(&st.list));
    // Space freed and the file system grown: the same change goes through.
    std::fs::remove_file(&filler).unwrap();
    let grown = Command::new("mount")
        .args(["-o", "remount,size=4m", s(&dir)])
        .status()
        .unwrap();
    assert!(grown.success());
    let o = add();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}
