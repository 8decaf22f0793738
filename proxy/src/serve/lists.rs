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
//! Where a list comes from is a [`ListSource`] ([`super::source`]). Files
//! and the built-in demo list are two sources; a subscription to a
//! publisher ([`super::subscribe`]) is the third: its [`ListSource::load`]
//! loads the verified local copy, its [`ListSource::fingerprint`] changes
//! when a new sequence has been applied, and its poller tells the list
//! manager ([`OnUpdate`], implemented here for [`Lists`]) when one was.
//! The subscriptions are handed to the caller next to the sources
//! ([`Sources`]); no source knows the manager.
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

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use hashwall::{Engine, ListConfig, Snapshot};
use hashwall_lists::{ErrorKind, NoFloor, RollbackFloor, Timestamp};
use serde_json::{Value, json};

use super::config::{
    Builtin, ListSource as ConfiguredSource, ListSourceConfig, PathCase, TrustConfig,
};
use super::metrics::Metrics;
use super::source::{DemoSource, FileSource, Fingerprint, ListSource, SourceError, TrustSettings};
use super::state::{Floors, State};
use super::subscribe::{OnUpdate, SubscribeSource, Subscription, Updated};

/// The configured sources, each with how its list is enforced, and the
/// subscriptions among them (whose pollers must run while serving).
#[derive(Debug, Default)]
pub struct Sources {
    /// The sources, in configuration order.
    pub lists: Vec<(Box<dyn ListSource>, ListConfig)>,
    /// The subscriptions.
    pub subscriptions: Vec<Arc<Subscription>>,
}

/// The sources for a configuration's `[[list]]` entries, checked as
/// `[trust]` says. A subscription's CA and token files are read here, at
/// start: one that cannot be read is an error naming the list.
pub fn sources_from_config(
    configs: &[ListSourceConfig],
    trust: &TrustConfig,
) -> Result<Sources, String> {
    let settings = Arc::new(TrustSettings {
        store: trust.store.clone(),
        expired: trust.expired,
    });
    let mut out = Sources::default();
    for (n, c) in configs.iter().enumerate() {
        let file = |path: &PathBuf| FileSource {
            path: path.clone(),
            trust: Arc::clone(&settings),
            allow_unsigned: c.allow_unsigned.unwrap_or(trust.allow_unsigned),
            allow_rollback: c.allow_rollback,
        };
        let source: Box<dyn ListSource> = match &c.source {
            ConfiguredSource::File(p) => Box::new(file(p)),
            ConfiguredSource::Builtin(Builtin::Demo) => Box::new(DemoSource),
            ConfiguredSource::Subscription(sub) => {
                let s = SubscribeSource::new(sub, file(&sub.cache))
                    .map_err(|e| format!("[[list]] #{}: {e}", n + 1))?;
                out.subscriptions.push(Arc::clone(&s.0));
                Box::new(s)
            }
        };
        let mut lc = ListConfig::default();
        if let Some(p) = c.policy {
            lc = lc.with_policy(p);
        }
        if c.skip_invalid {
            lc = lc.skipping_invalid();
        }
        if c.path_case == PathCase::Insensitive {
            lc = lc.case_insensitive_paths();
        }
        out.lists.push((source, lc));
    }
    Ok(out)
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
    subscriptions: Vec<Arc<Subscription>>,
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
        sources: Sources,
        metrics: Arc<Metrics>,
        state: Option<PathBuf>,
    ) -> Result<Arc<Lists>, String> {
        let start = Instant::now();
        let Sources {
            lists: sources,
            subscriptions,
        } = sources;
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
            subscriptions,
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
        self.subscriptions.clone()
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
/// Writes nothing.
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

/// What `serve --check-config` found: the snapshot the sources that can
/// load build, and a note for each that has nothing to load yet and needs
/// none (a subscription whose local copy `serve` fetches at start).
#[derive(Debug)]
pub struct StartCheck {
    /// The snapshot of the sources that loaded.
    pub snapshot: Snapshot,
    /// `(source, why it was left out)`.
    pub absent: Vec<(String, String)>,
}

/// [`build_at_start`] for `--check-config`: a source with nothing to load
/// yet that `serve` will fill ([`ListSource::absent`]) is reported, not
/// an error. Writes nothing, fetches nothing.
pub fn check_at_start(sources: &Sources, state: Option<&Path>) -> Result<StartCheck, String> {
    let (present, absent): (Vec<_>, Vec<_>) = sources
        .lists
        .iter()
        .partition(|(s, _)| s.absent().is_none());
    let floors = match state {
        Some(p) => Floors::read(p)?,
        None => Floors::default(),
    };
    let (snapshot, _) = build_each(present.into_iter(), &floors, state)?;
    let absent = absent
        .into_iter()
        .map(|(s, _)| (s.describe(), s.absent().unwrap_or_default()))
        .collect();
    Ok(StartCheck { snapshot, absent })
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
    build_each(sources.iter(), floors, state)
}

fn build_each<'a>(
    sources: impl Iterator<Item = &'a (Box<dyn ListSource>, ListConfig)>,
    floors: &Floors,
    state: Option<&Path>,
) -> Result<(Snapshot, Floors), String> {
    let mut builder = Snapshot::builder();
    let mut next = floors.clone();
    for (source, config) in sources {
        let allow = source.allow_rollback();
        let floor: &dyn RollbackFloor = if allow { &NoFloor } else { floors };
        let m = source
            .load_into(floor, builder.list_adder(config))
            .map_err(|e| load_error(source.as_ref(), &e, state))?;
        next.record(&m.issuer, &m.id, m.sequence, allow);
    }
    Ok((builder.build(), next))
}

/// A source's load error for logs and the admin answer: the source, the
/// error, and where a rollback floor is recorded.
fn load_error(source: &dyn ListSource, e: &SourceError, state: Option<&Path>) -> String {
    let what = source.describe();
    let kept = match (e.kind, state) {
        (Some(ErrorKind::Rollback), Some(p)) => {
            format!(" (the floor is recorded in {})", p.display())
        }
        _ => String::new(),
    };
    // File errors already start with the file's name.
    if e.message.starts_with(&what) {
        format!("{}{kept}", e.message)
    } else {
        format!("{what}: {}{kept}", e.message)
    }
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

/// A subscription's poller reloads the lists when it changed the local
/// copy; a failed reload fails the poll (reason `load`).
impl OnUpdate for Arc<Lists> {
    fn updated(&self) -> Updated<'_> {
        Box::pin(async move {
            let report = self.reload("subscription").await;
            if report.ok {
                Ok(())
            } else {
                Err(report.error.unwrap_or_else(|| "reload failed".into()))
            }
        })
    }
}
