//! Running a test inside a loopback-only network namespace, for tests
//! whose proxy would forward to addresses that are not on this machine
//! (the proxy under test forwards whatever it is given).
//!
//! # Mechanism
//!
//! `unshare(CLONE_NEWNS)` is refused in a process with threads, and
//! `cargo test` runs tests on threads, so a test does not enter a
//! namespace itself: [`run`] re-executes the test binary, for that one
//! test, under `unshare --net --mount --propagation private`:
//!
//! ```text
//! unshare --net --mount --propagation private -- <test binary> <name> --exact --nocapture --test-threads=1 --include-ignored
//! ```
//!
//! with `HASHWALL_NETNS_CHILD=<name>` in its environment. In the child the
//! same test function finds the variable, prepares the namespace and runs
//! the body:
//!
//! * it checks the isolation first (a network namespace other than the
//!   parent's, whose only link is `lo`), and refuses to run otherwise;
//! * `ip link set lo up`; each address of [`Setup::addrs`] goes on `lo`
//!   (`/32`, or `/128 nodad`): test addresses are the host's own there;
//! * a private `/etc/hosts` ([`Setup::hosts`] plus `localhost`) and an
//!   `/etc/resolv.conf` naming `127.0.0.1` (nothing answers: unknown names
//!   fail at once) are bind-mounted, visible only in the child's mount
//!   namespace.
//!
//! The parent passes when the child exits 0 having run exactly one test
//! (its `1 passed` line): a name that matched nothing cannot pass.
//!
//! When namespaces cannot be made (not root, no `unshare` or `ip`), the
//! test prints why and passes as skipped, unless `HASHWALL_REQUIRE_NETNS=1`
//! (CI sets it), where it fails. Without root, `unshare --map-root-user`
//! (a user namespace) is tried before giving up.
//!
//! # Adding a test
//!
//! ```ignore
//! #[test]
//! fn my_case() {
//!     netns::run("my_case", &SETUP, || async { /* tokio test body */ });
//! }
//! ```
//!
//! The name passed must be the test function's name (its path from the
//! crate root, as `cargo test -- --list` prints it).
#![allow(dead_code, clippy::unwrap_used)]

pub mod dns;
pub mod origin;
pub mod table;

use std::future::Future;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// Set in the child to the name of the test it runs.
const CHILD_VAR: &str = "HASHWALL_NETNS_CHILD";
/// The parent's network namespace (`/proc/self/ns/net` link), for the
/// child to check it is elsewhere.
const PARENT_NS_VAR: &str = "HASHWALL_NETNS_PARENT";
/// `1`: fail instead of skipping when namespaces are not available.
const REQUIRE_VAR: &str = "HASHWALL_REQUIRE_NETNS";

/// What the namespace holds besides loopback.
pub struct Setup {
    /// Addresses put on `lo` (IPv4 or IPv6 text).
    pub addrs: &'static [&'static str],
    /// `/etc/hosts` lines: (address, names separated by spaces).
    pub hosts: &'static [(&'static str, &'static str)],
}

/// Runs `body` (on a two-worker tokio runtime) in a fresh loopback-only
/// network namespace prepared as `setup` says; see the module docs.
pub fn run<F, Fut>(test: &str, setup: &Setup, body: F)
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = ()>,
{
    match std::env::var(CHILD_VAR) {
        Ok(name) if name == test => {
            let _mounts = enter(setup);
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(body());
        }
        Ok(name) => panic!("netns child for {name:?} ran {test:?}: pass the test's exact name"),
        Err(_) => run_child(test),
    }
}

/// The `unshare` flags that work here, or why none do.
fn unshare_flags() -> &'static Result<Vec<&'static str>, String> {
    static FLAGS: OnceLock<Result<Vec<&'static str>, String>> = OnceLock::new();
    FLAGS.get_or_init(|| {
        let mut why = Vec::new();
        for flags in [
            vec!["--net", "--mount", "--propagation", "private"],
            vec![
                "--map-root-user",
                "--net",
                "--mount",
                "--propagation",
                "private",
            ],
        ] {
            let probe = Command::new("unshare")
                .args(&flags)
                .args(["--", "ip", "link", "set", "lo", "up"])
                .output();
            match probe {
                Ok(o) if o.status.success() => return Ok(flags),
                Ok(o) => why.push(format!(
                    "`unshare {}` failed: {}",
                    flags.join(" "),
                    String::from_utf8_lossy(&o.stderr).trim()
                )),
                Err(e) => why.push(format!("cannot run unshare: {e}")),
            }
        }
        Err(why.join("; "))
    })
}

fn run_child(test: &str) {
    let flags = match unshare_flags() {
        Ok(f) => f,
        Err(why) => {
            if std::env::var(REQUIRE_VAR).as_deref() == Ok("1") {
                panic!("{test}: network namespaces are required ({REQUIRE_VAR}=1) but: {why}");
            }
            eprintln!(
                "SKIPPED {test}: no loopback-only network namespace ({why}); \
                 run as root with util-linux `unshare` and iproute2 `ip`, \
                 or set {REQUIRE_VAR}=1 to make this a failure"
            );
            return;
        }
    };
    let exe = std::env::current_exe().unwrap();
    let parent_ns = std::fs::read_link("/proc/self/ns/net")
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let out = Command::new("unshare")
        .args(flags)
        .arg("--")
        .arg(&exe)
        // --include-ignored: the parent only gets here for an ignored
        // test when it was asked to run it.
        .args([
            test,
            "--exact",
            "--nocapture",
            "--test-threads=1",
            "--include-ignored",
        ])
        .env(CHILD_VAR, test)
        .env(PARENT_NS_VAR, parent_ns)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Shown by the test runner on failure (and with --nocapture).
    println!("--- {test} in its network namespace: stdout\n{stdout}");
    println!("--- stderr\n{stderr}");
    assert!(
        out.status.success(),
        "{test} failed in its network namespace"
    );
    assert!(
        stdout.contains("test result: ok. 1 passed"),
        "{test}: the child did not run exactly this one test"
    );
}

/// The private hosts file of this namespace's test (only inside one):
/// writing it changes what names resolve to from then on (the file stays
/// the same inode, so the bind mount follows).
pub fn hosts_file() -> PathBuf {
    dir().join("hosts")
}

/// The private hosts file's text for `setup`.
pub fn hosts_text(setup: &Setup) -> String {
    // `localhost.` too: a DNS server answers it (RFC 6761), the hosts
    // file only matches names as written.
    let mut hosts =
        String::from("127.0.0.1 localhost localhost.\n::1 localhost localhost. ip6-localhost\n");
    for (addr, names) in setup.hosts {
        hosts.push_str(&format!("{addr} {names}\n"));
    }
    hosts
}

fn dir() -> PathBuf {
    std::env::temp_dir().join(format!("hashwall-netns-{}", std::process::id()))
}

/// Mounts made for the child (kept until the test ends; the namespace
/// goes with the process).
pub struct Mounts {
    dir: PathBuf,
}

impl Drop for Mounts {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn sh(program: &str, args: &[&str]) {
    let out = Command::new(program).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{program} {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn stdout_of(program: &str, args: &[&str]) -> String {
    let out = Command::new(program).args(args).output().unwrap();
    assert!(out.status.success(), "{program} {}", args.join(" "));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Inside the child: checks the isolation, then brings up `lo`, adds the
/// addresses and lays the private hosts and resolver files.
fn enter(setup: &Setup) -> Mounts {
    let here = std::fs::read_link("/proc/self/ns/net")
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let parent = std::env::var(PARENT_NS_VAR).unwrap_or_default();
    assert!(
        !here.is_empty() && here != parent,
        "not in a network namespace of our own ({here} vs {parent}): refusing to run"
    );
    let links = stdout_of("ip", &["-o", "link", "show"]);
    for line in links.lines() {
        let name = line.split(':').nth(1).unwrap_or("").trim();
        assert_eq!(name, "lo", "the namespace has a link other than lo: {line}");
    }
    sh("ip", &["link", "set", "lo", "up"]);
    for a in setup.addrs {
        if a.contains(':') {
            let cidr = format!("{a}/128");
            sh("ip", &["-6", "addr", "add", &cidr, "dev", "lo", "nodad"]);
        } else {
            let cidr = format!("{a}/32");
            sh("ip", &["addr", "add", &cidr, "dev", "lo"]);
        }
    }
    let dir = dir();
    std::fs::create_dir_all(&dir).unwrap();
    let hosts_file = dir.join("hosts");
    std::fs::write(&hosts_file, hosts_text(setup)).unwrap();
    let resolv_file = dir.join("resolv.conf");
    std::fs::write(
        &resolv_file,
        "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n",
    )
    .unwrap();
    for (file, target) in [
        (&hosts_file, "/etc/hosts"),
        (&resolv_file, "/etc/resolv.conf"),
    ] {
        // A missing resolv.conf already means "ask 127.0.0.1".
        if std::path::Path::new(target).exists() {
            sh("mount", &["--bind", &file.display().to_string(), target]);
        }
    }
    Mounts { dir }
}
