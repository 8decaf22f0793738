//! Lists while serving: the first load at start, then reloads (SIGHUP, list
//! file changes, `POST /reload`). A new snapshot is built on the blocking
//! pool, off the request path, and swapped into the [`Engine`] atomically:
//! requests in flight finish on the snapshot they started with. A failed
//! load keeps the last good snapshot and is reported (log, metrics, the
//! admin answer).
//!
//! Every list file is checked against the trust store (`[trust]`) while it
//! is compiled: a list that fails verification fails the load exactly like
//! one that fails to parse.
//!
//! # Extension point: other sources
//!
//! Where a list comes from is a [`ListSource`]. Files and the built-in demo
//! list are two sources here; a subscription to a publisher
//! ([`super::subscribe`]) is the third: its [`ListSource::load`] loads the
//! verified local copy, its [`ListSource::fingerprint`] changes when a new
//! sequence has been applied, and its poller calls [`Lists::reload`]
//! itself when one was.
//!
//! # Rollback and the trust store
//!
//! A reload that finds a list at a lower sequence than the one served under
//! the same id is refused like a broken file (unless its `[[list]]` says
//! `allow_rollback = true`): an attacker who can replace a file with an
//! older, genuinely signed version must not be able to un-block what the
//! issuer added since. The trust store file is part of every file source's
//! fingerprint, so editing it (a key revoked or rotated) triggers a reload
//! through the same poll as a list change.
//!
//! The floor is the highest sequence ever served ([`super::state`]), not
//! only the running snapshot: with `[lists] state` set it is kept in a file
//! and the first load after a restart is held to it too. A subscription's
//! cache is loaded through the same check.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

use hashwall::{Engine, ListConfig, Snapshot};
use hashwall_lists::{
    Error, ErrorKind, ExpiredPolicy, List, LoadOptions, Timestamp, TrustStore, Verification,
    load_verified_then,
};
use serde_json::{Value, json};

use super::config::{ListSourceConfig, TrustConfig};
use super::metrics::Metrics;
use super::state::{Floors, State};
use super::subscribe::{SubscribeSource, Subscription};

/// What identifies one version of a source: for a file its modification
/// time, size, inode and change time. A change means "load again".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fingerprint(pub Vec<u8>);

/// Somewhere a list comes from.
pub trait ListSource: Send + Sync + fmt::Debug {
    /// A short description for logs and errors (a path, `builtin:demo`).
    fn describe(&self) -> String;
    /// Reads, parses and verifies the current version (blocking I/O
    /// allowed: called on the blocking pool).
    fn load(&self) -> Result<List, String>;
    /// [`ListSource::load`], then `f` (compiling) on the list. A source may
    /// run `f` while it verifies, but must return `f`'s work only for a list
    /// that verified: on failure the caller discards what `f` built.
    fn load_then(&self, f: &mut dyn FnMut(&List) -> Result<(), String>) -> Result<(), String> {
        f(&self.load()?)
    }
    /// The current version's fingerprint, cheaply (no parse); `None` when
    /// the source never changes.
    fn fingerprint(&self) -> Option<Fingerprint>;
    /// Whether a reload may serve this list at a lower sequence than the
    /// one served now (`allow_rollback`).
    fn allow_rollback(&self) -> bool {
        false
    }
    /// The subscription behind this source, whose poller must run while
    /// serving.
    fn subscription(&self) -> Option<Arc<Subscription>> {
        None
    }
}

/// How list files are checked: the `[trust]` section.
#[derive(Debug, Clone)]
pub struct TrustSettings {
    /// The trust store file, re-read at every load; none trusts no key.
    pub store: Option<PathBuf>,
    /// Expired lists: refuse or flag.
    pub expired: ExpiredPolicy,
}

/// A list file in the text format, verified against the trust store.
#[derive(Debug)]
pub struct FileSource {
    /// The file.
    pub path: PathBuf,
    /// The trust store and expiry policy.
    pub trust: Arc<TrustSettings>,
    /// Accept the file without a signature.
    pub allow_unsigned: bool,
    /// Accept a reload at a lower sequence than the one served.
    pub allow_rollback: bool,
}

impl FileSource {
    /// The trust store and load options for one load. The store is read
    /// each time so that an operator's key rotation or removal of a
    /// compromised key takes effect at the next reload.
    pub fn trust(&self) -> Result<(TrustStore, LoadOptions), String> {
        let store = match &self.trust.store {
            Some(p) => TrustStore::load(p).map_err(|e| format!("trust store {e}"))?,
            None => TrustStore::new(),
        };
        let opts = LoadOptions {
            allow_unsigned: self.allow_unsigned,
            expired: self.trust.expired,
            min_sequence: None,
            now: None,
        };
        Ok((store, opts))
    }

    /// The message for a load error, with what the operator can do about
    /// the trust failures that are configuration, not tampering.
    fn explain(&self, e: &Error) -> String {
        let hint = match e.kind() {
            ErrorKind::Unsigned => {
                " (set allow_unsigned = true in [trust] or in its [[list]] to accept it unsigned)"
            }
            ErrorKind::UntrustedKey if self.trust.store.is_none() => {
                " (no [trust] store is configured)"
            }
            ErrorKind::Expired => " ([trust] expired = \"flag\" loads expired lists)",
            _ => "",
        };
        format!("{e}{hint}")
    }

    fn warn_expired(&self, list: &List, v: &Verification) {
        if v.expired {
            tracing::warn!(
                path = %self.path.display(),
                list = %list.meta.id,
                expires = %list.meta.expires.unwrap_or_default(),
                "list is expired (loaded: [trust] expired = \"flag\")"
            );
        }
    }
}

impl ListSource for FileSource {
    fn describe(&self) -> String {
        self.path.display().to_string()
    }

    fn load(&self) -> Result<List, String> {
        let (store, opts) = self.trust()?;
        let (list, v, ()) =
            load_verified_then(&self.path, &store, &opts, |_| ()).map_err(|e| self.explain(&e))?;
        self.warn_expired(&list, &v);
        Ok(list)
    }

    fn load_then(&self, f: &mut dyn FnMut(&List) -> Result<(), String>) -> Result<(), String> {
        let (store, opts) = self.trust()?;
        // Compiles on this thread while another checks the signature.
        let (list, v, compiled) =
            load_verified_then(&self.path, &store, &opts, f).map_err(|e| self.explain(&e))?;
        compiled?;
        self.warn_expired(&list, &v);
        Ok(())
    }

    fn fingerprint(&self) -> Option<Fingerprint> {
        let mut fp = Vec::with_capacity(96);
        file_fingerprint(&self.path, &mut fp);
        // A changed trust store (a key revoked or added) changes what this
        // file verifies to.
        if let Some(store) = &self.trust.store {
            file_fingerprint(store, &mut fp);
        }
        Some(Fingerprint(fp))
    }

    fn allow_rollback(&self) -> bool {
        self.allow_rollback
    }
}

/// Appends what identifies the current version of the file at `path` to
/// `fp`: modification time, size, inode, device, change time.
pub fn file_fingerprint(path: &Path, fp: &mut Vec<u8>) {
    match std::fs::metadata(path) {
        Ok(m) => {
            let mtime = m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            fp.extend_from_slice(&mtime.to_le_bytes());
            fp.extend_from_slice(&m.len().to_le_bytes());
            // File times come from a coarse clock (a few ms): two
            // same-size versions written quickly can share them. A
            // replace-by-rename (how lists should be published) changes
            // the inode; an in-place write changes the ctime too.
            #[cfg(unix)]
            {
                use std::os::unix::fs::MetadataExt;
                fp.extend_from_slice(&m.ino().to_le_bytes());
                fp.extend_from_slice(&m.dev().to_le_bytes());
                fp.extend_from_slice(&m.ctime().to_le_bytes());
                fp.extend_from_slice(&m.ctime_nsec().to_le_bytes());
            }
        }
        // A missing file is a state too: its reappearance is a change.
        Err(_) => fp.push(0),
    }
}

/// The list built into the binary: ours, so it needs no signature.
#[derive(Debug)]
pub struct DemoSource;

impl ListSource for DemoSource {
    fn describe(&self) -> String {
        "builtin:demo".to_owned()
    }

    fn load(&self) -> Result<List, String> {
        crate::demo::demo_list().map_err(|e| format!("built-in demo list: {e}"))
    }

    fn fingerprint(&self) -> Option<Fingerprint> {
        None
    }
}

/// The sources for a configuration's `[[list]]` entries, checked as
/// `[trust]` says.
pub fn sources_from_config(
    configs: &[ListSourceConfig],
    trust: &TrustConfig,
) -> Vec<(Box<dyn ListSource>, ListConfig)> {
    let settings = Arc::new(TrustSettings {
        store: trust.store.clone(),
        expired: trust.expired,
    });
    configs
        .iter()
        .map(|c| {
            let file = |path: &PathBuf| FileSource {
                path: path.clone(),
                trust: Arc::clone(&settings),
                allow_unsigned: c.allow_unsigned.unwrap_or(trust.allow_unsigned),
                allow_rollback: c.allow_rollback,
            };
            let source: Box<dyn ListSource> = match (&c.path, &c.subscribe, &c.cache) {
                (Some(p), _, _) => Box::new(file(p)),
                (None, Some(url), Some(cache)) => {
                    match SubscribeSource::new(url, file(cache), c) {
                        Ok(s) => Box::new(s),
                        // Validated with the configuration; a source that
                        // cannot load fails the load, never the process.
                        Err(e) => Box::new(Broken(format!("subscribe {url:?}: {e}"))),
                    }
                }
                _ => Box::new(DemoSource),
            };
            let mut lc = ListConfig::default();
            if let Some(p) = c.policy {
                lc = lc.with_policy(p);
            }
            if c.skip_invalid {
                lc = lc.skipping_invalid();
            }
            (source, lc)
        })
        .collect()
}

/// A source whose configuration was refused: every load fails.
#[derive(Debug)]
struct Broken(String);

impl ListSource for Broken {
    fn describe(&self) -> String {
        "invalid [[list]]".to_owned()
    }

    fn load(&self) -> Result<List, String> {
        Err(self.0.clone())
    }

    fn fingerprint(&self) -> Option<Fingerprint> {
        None
    }
}

/// The outcome of the last load, for `/readyz` and `POST /reload`.
#[derive(Clone, Debug)]
pub struct LoadReport {
    /// Whether it succeeded.
    pub ok: bool,
    /// Why it was loaded (`start`, `sighup`, `file-change`, `admin`).
    pub reason: String,
    /// When.
    pub at: Timestamp,
    /// Milliseconds it took.
    pub millis: f64,
    /// The error, when it failed.
    pub error: Option<String>,
    /// Lists and sequences now served.
    pub lists: Vec<(String, u64, usize)>,
}

impl LoadReport {
    /// As JSON for the admin API.
    pub fn to_json(&self) -> Value {
        json!({
            "ok": self.ok,
            "reason": self.reason,
            "at": self.at.to_string(),
            "millis": self.millis,
            "error": self.error,
            "lists": self.lists.iter().map(|(id, seq, n)| json!({"id": id, "sequence": seq, "entries": n})).collect::<Vec<_>>(),
        })
    }
}

/// The configured sources, the engine they feed, and the reload machinery.
#[derive(Debug)]
pub struct Lists {
    engine: Arc<Engine>,
    sources: Vec<(Box<dyn ListSource>, ListConfig)>,
    metrics: Arc<Metrics>,
    /// Fingerprints of the last attempted load (successful or not), so a
    /// broken file is not retried every poll until it changes again.
    attempted: Mutex<Vec<Option<Fingerprint>>>,
    last: Mutex<Option<LoadReport>>,
    /// The rollback floors and where they are kept.
    state: Mutex<State>,
    /// One load at a time: concurrent triggers queue here.
    reloading: tokio::sync::Mutex<()>,
}

impl Lists {
    /// Loads every source once (blocking), held to the floors recorded in
    /// the state file `state` (if any), records the new floors there, and
    /// returns the manager with an engine serving the result.
    pub fn load_initial(
        sources: Vec<(Box<dyn ListSource>, ListConfig)>,
        metrics: Arc<Metrics>,
        state: Option<PathBuf>,
    ) -> Result<Arc<Lists>, String> {
        let start = Instant::now();
        let fps: Vec<_> = sources.iter().map(|(s, _)| s.fingerprint()).collect();
        let (snapshot, floors) = build_at_start(&sources, state.as_deref())?;
        persist(state.as_deref(), &floors, &metrics);
        super::memory::release_free_memory();
        let report = report_ok("start", &snapshot, start);
        metrics.reloads_ok.fetch_add(1, Relaxed);
        metrics
            .last_reload_ok
            .store(report.at.unix_seconds(), Relaxed);
        Ok(Arc::new(Lists {
            engine: Arc::new(Engine::new(snapshot)),
            sources,
            metrics,
            attempted: Mutex::new(fps),
            last: Mutex::new(Some(report)),
            state: Mutex::new(State {
                path: state,
                floors,
            }),
            reloading: tokio::sync::Mutex::new(()),
        }))
    }

    /// The subscriptions among the sources.
    pub fn subscriptions(&self) -> Vec<Arc<Subscription>> {
        self.sources
            .iter()
            .filter_map(|(s, _)| s.subscription())
            .collect()
    }

    /// The engine requests check against.
    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    /// The last load's report.
    pub fn last_report(&self) -> Option<LoadReport> {
        self.last.lock().ok().and_then(|l| l.clone())
    }

    /// Whether any source changed since the last attempt.
    pub fn changed(&self) -> bool {
        let now: Vec<_> = self.sources.iter().map(|(s, _)| s.fingerprint()).collect();
        self.attempted.lock().map(|a| *a != now).unwrap_or(true)
    }

    /// Builds a new snapshot on the blocking pool and swaps it in; on
    /// failure keeps the current one. Always reports (log and metrics).
    pub async fn reload(self: &Arc<Self>, reason: &str) -> LoadReport {
        let _one_at_a_time = self.reloading.lock().await;
        let start = Instant::now();
        let this = Arc::clone(self);
        let joined = tokio::task::spawn_blocking(move || {
            let fps: Vec<_> = this.sources.iter().map(|(s, _)| s.fingerprint()).collect();
            let (floors, path) = match this.state.lock() {
                Ok(s) => (s.floors.clone(), s.path.clone()),
                Err(_) => return Err("list state poisoned".to_owned()),
            };
            let built = build_checked(&this.sources, &floors, path.as_deref());
            if let Ok(mut a) = this.attempted.lock() {
                *a = fps;
            }
            let (snapshot, floors) = built?;
            // Recorded before the swap: the floor never lags what is served.
            persist(path.as_deref(), &floors, &this.metrics);
            if let Ok(mut s) = this.state.lock() {
                s.floors = floors;
            }
            Ok(snapshot)
        })
        .await;
        let built = match joined {
            Ok(b) => b,
            Err(e) => Err(format!("list load task failed: {e}")),
        };
        let report = match built {
            Ok(snapshot) => {
                let report = report_ok(reason, &snapshot, start);
                // The old snapshot is dropped when the last request holding
                // it finishes.
                drop(self.engine.swap(snapshot));
                // The parsed lists (and usually the old snapshot) are freed
                // by now: hand their pages back, off the request path.
                drop(tokio::task::spawn_blocking(
                    super::memory::release_free_memory,
                ));
                self.metrics.reloads_ok.fetch_add(1, Relaxed);
                self.metrics
                    .last_reload_ok
                    .store(report.at.unix_seconds(), Relaxed);
                tracing::info!(
                    reason,
                    millis = report.millis,
                    lists = %lists_summary(&report.lists),
                    "lists reloaded"
                );
                report
            }
            Err(error) => {
                self.metrics.reloads_failed.fetch_add(1, Relaxed);
                let at = Timestamp::now();
                self.metrics
                    .last_reload_failed
                    .store(at.unix_seconds(), Relaxed);
                tracing::error!(reason, %error, "list reload failed; keeping the previous snapshot");
                LoadReport {
                    ok: false,
                    reason: reason.to_owned(),
                    at,
                    millis: start.elapsed().as_secs_f64() * 1e3,
                    error: Some(error),
                    lists: served(&self.engine.snapshot()),
                }
            }
        };
        if let Ok(mut l) = self.last.lock() {
            *l = Some(report.clone());
        }
        report
    }
}

fn served(s: &Snapshot) -> Vec<(String, u64, usize)> {
    s.lists()
        .iter()
        .map(|l| (l.id().to_owned(), l.sequence(), l.entries()))
        .collect()
}

fn lists_summary(lists: &[(String, u64, usize)]) -> String {
    lists
        .iter()
        .map(|(id, seq, n)| format!("{id}@{seq}({n})"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn report_ok(reason: &str, snapshot: &Snapshot, start: Instant) -> LoadReport {
    LoadReport {
        ok: true,
        reason: reason.to_owned(),
        at: Timestamp::now(),
        millis: start.elapsed().as_secs_f64() * 1e3,
        error: None,
        lists: served(snapshot),
    }
}

/// Reads and verifies every source and compiles the snapshot (blocking).
/// Any failure returns the error and drops the half-built snapshot, so a
/// list that did not verify is never served.
pub fn build(sources: &[(Box<dyn ListSource>, ListConfig)]) -> Result<Snapshot, String> {
    build_checked(sources, &Floors::default(), None).map(|(s, _)| s)
}

/// The first load: reads the floors from the state file `state` (none: no
/// floor; missing file: no floor; unreadable or corrupt: an error) and
/// builds held to them. Returns the snapshot and the floors to record.
/// Writes nothing (`--check-config` uses it too).
pub fn build_at_start(
    sources: &[(Box<dyn ListSource>, ListConfig)],
    state: Option<&Path>,
) -> Result<(Snapshot, Floors), String> {
    let floors = match state {
        Some(p) => Floors::read(p)?,
        None => Floors::default(),
    };
    build_checked(sources, &floors, state)
}

/// [`build`], refusing a list whose sequence is below its floor (the
/// highest served under its issuer and id; kept in the state file `state`)
/// unless its source allows a rollback. Returns the snapshot and `floors`
/// updated with what it serves.
pub fn build_checked(
    sources: &[(Box<dyn ListSource>, ListConfig)],
    floors: &Floors,
    state: Option<&Path>,
) -> Result<(Snapshot, Floors), String> {
    let mut builder = Snapshot::builder();
    let mut next = floors.clone();
    for (source, config) in sources {
        let allow = source.allow_rollback();
        source
            .load_then(&mut |list| {
                let (issuer, id, seq) = (&list.meta.issuer, &list.meta.id, list.meta.sequence);
                if !allow
                    && let Some(floor) = floors.get(issuer, id)
                    && seq < floor
                {
                    let by = if issuer.is_empty() {
                        String::new()
                    } else {
                        format!(" of issuer {issuer:?}")
                    };
                    let kept = state.map_or_else(String::new, |p| {
                        format!(" (the floor recorded in {})", p.display())
                    });
                    return Err(format!(
                        "list {id}{by} is at sequence {seq}, below the sequence {floor} \
                         already served{kept}: rollback refused \
                         (allow_rollback = true in its [[list]] accepts it)"
                    ));
                }
                builder.add_list(list, config).map_err(|e| e.to_string())?;
                next.record(issuer, id, seq, allow);
                Ok(())
            })
            .map_err(|e| format!("{}: {e}", source.describe()))?;
    }
    Ok((builder.build(), next))
}

/// Writes `floors` to the state file, if one is configured. A failure is
/// logged and counted, never fatal: the lists just loaded verified and are
/// served; only the restart protection lags until the next good write.
fn persist(state: Option<&Path>, floors: &Floors, metrics: &Metrics) {
    let Some(path) = state else {
        return;
    };
    if let Err(error) = floors.write(path) {
        metrics.state_write_failures.fetch_add(1, Relaxed);
        tracing::error!(
            %error,
            "cannot record the rollback floors; serving the new lists anyway"
        );
    }
}
