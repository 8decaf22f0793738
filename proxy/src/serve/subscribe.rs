//! Subscriptions: a `[[list]]` with `subscribe = "https://…/LIST-ID/"` keeps
//! a local copy of a publisher's list (`cache`) in step with the publisher
//! ([`super::publication`] layout), over HTTPS with the publisher's
//! certificate verified and, with `token_file`, a bearer token
//! ([`super::transport`]: the lists are confidential).
//!
//! A background task polls the manifest (`If-None-Match`, so an unchanged
//! one costs a 304). When the publisher is ahead it fetches the deltas from
//! the local sequence, checks each one's signature, issuer and continuity
//! while applying it ([`Delta::apply_to`]), or, when there is no chain (a
//! gap, no local copy), the full list; verifies the result like any list
//! file; writes the cache atomically (appending the changes to its audit
//! log); and reloads the lists. The proxy serves the cache like a list
//! file, so a restart works offline from it.
//!
//! Anything that goes wrong — publisher unreachable, a TLS failure, a token
//! refused, a timeout, a file over
//! `max_bytes`, a bad or untrusted signature, a manifest going backwards, a
//! delta that does not fit — changes nothing: the cache and the snapshot
//! stay as they were, the failure is logged and counted
//! (`hashwall_subscription_failures_total{list,reason}`), and the next poll
//! tries again.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hashwall_lists::{AuditRecord, Change, Delta, List, Timestamp, check_list, commit_change};
use serde_json::{Value, json};
use tokio::sync::watch;

use super::config::{ListSourceConfig, secs};
use super::lists::{FileSource, Fingerprint, ListSource, Lists};
use super::metrics::Metrics;
use super::publication::{MANIFEST, MAX_MANIFEST_BYTES, Manifest};
use super::publisher::{
    BaseUrl, Failure, Fetched, HttpClient, Transport, fail, fetch, http_client, reason_of,
};
use super::stopped;
use super::transport::Token;

/// What a subscription knows of itself, for `/readyz`.
#[derive(Debug, Default)]
struct State {
    /// The local copy's sequence, once known.
    sequence: Option<u64>,
    /// The manifest's `ETag` when the last poll succeeded.
    etag: Option<String>,
    last_success: Option<Timestamp>,
    last_attempt: Option<Timestamp>,
    last_error: Option<String>,
}

/// One subscription: where, the local copy, and the poll settings.
#[derive(Debug)]
pub struct Subscription {
    url: BaseUrl,
    transport: Transport,
    cache: FileSource,
    poll: Duration,
    timeout: Duration,
    max_bytes: u64,
    state: Mutex<State>,
}

/// The [`ListSource`] of a subscription: the verified local copy.
#[derive(Debug)]
pub struct SubscribeSource(pub Arc<Subscription>);

impl SubscribeSource {
    /// The source for `[[list]]` `config` subscribing to `url`, kept in
    /// `cache` (whose trust settings verify everything fetched).
    pub fn new(
        url: &str,
        mut cache: FileSource,
        config: &ListSourceConfig,
    ) -> Result<SubscribeSource, String> {
        // What a publisher serves is signed: an unsigned list is refused.
        cache.allow_unsigned = false;
        let url = BaseUrl::parse(url)?;
        if let Some(t) = &config.token_file
            && super::transport::readable_by_others(t)
        {
            tracing::warn!(
                token_file = %t.display(),
                "the subscription's token file is readable by every user of this host (chmod o-r)"
            );
        }
        Ok(SubscribeSource(Arc::new(Subscription {
            transport: Transport::from_config(&url, config)?,
            url,
            cache,
            poll: secs(config.sub_poll_secs()),
            timeout: secs(config.sub_timeout_secs()),
            max_bytes: config.sub_max_bytes(),
            state: Mutex::new(State::default()),
        })))
    }
}

impl ListSource for SubscribeSource {
    fn describe(&self) -> String {
        format!(
            "{} (subscription {})",
            self.0.cache.path.display(),
            self.0.url.base
        )
    }

    fn load(&self) -> Result<List, String> {
        self.0.cache.load()
    }

    fn load_then(&self, f: &mut dyn FnMut(&List) -> Result<(), String>) -> Result<(), String> {
        self.0.cache.load_then(f)
    }

    fn fingerprint(&self) -> Option<Fingerprint> {
        self.0.cache.fingerprint()
    }

    fn allow_rollback(&self) -> bool {
        self.0.cache.allow_rollback
    }

    fn subscription(&self) -> Option<Arc<Subscription>> {
        Some(Arc::clone(&self.0))
    }
}

impl Subscription {
    /// The name in logs and metrics: the URL's last path segment.
    pub fn name(&self) -> &str {
        &self.url.name
    }

    /// The local copy.
    pub fn cache_path(&self) -> &PathBuf {
        &self.cache.path
    }

    /// Before the first load: without a local copy, fetch the publisher's
    /// full list now (there is nothing else to serve). With one, nothing:
    /// the poller catches up once serving.
    pub async fn bootstrap(self: &Arc<Self>, metrics: &Metrics) -> Result<(), String> {
        metrics.subscription_register(self.name());
        if self.cache.path.exists() {
            return Ok(());
        }
        let client = http_client(self.timeout, &self.transport);
        self.poll_once(&client, None, metrics)
            .await
            .map(drop)
            .map_err(|e| {
                format!(
                    "subscription {}: no local copy at {} and none could be fetched: {e}",
                    self.url.base,
                    self.cache.path.display()
                )
            })
    }

    /// Polls until `stop`: at once, then every `poll_secs`.
    pub async fn run(
        self: Arc<Self>,
        lists: Arc<Lists>,
        metrics: Arc<Metrics>,
        mut stop: watch::Receiver<bool>,
    ) {
        let client = http_client(self.timeout, &self.transport);
        loop {
            tokio::select! {
                _ = self.poll_once(&client, Some(&lists), &metrics) => {}
                () = stopped(&mut stop) => return,
            }
            tokio::select! {
                () = tokio::time::sleep(self.poll) => {}
                () = stopped(&mut stop) => return,
            }
        }
    }

    /// One poll: brings the local copy in step with the publisher and, when
    /// it changed, reloads `lists`. Records the outcome (state, metrics,
    /// log); returns the local sequence or the error.
    pub async fn poll_once(
        self: &Arc<Self>,
        client: &HttpClient,
        lists: Option<&Arc<Lists>>,
        metrics: &Metrics,
    ) -> Result<u64, String> {
        let started = Timestamp::now();
        let result = self.step(client, lists).await;
        let Ok(mut st) = self.state.lock() else {
            return Err("subscription state poisoned".into());
        };
        st.last_attempt = Some(started);
        match result {
            Ok((sequence, etag)) => {
                st.sequence = Some(sequence);
                st.etag = etag;
                st.last_success = Some(started);
                st.last_error = None;
                metrics.subscription_success(self.name(), sequence, started.unix_seconds());
                Ok(sequence)
            }
            Err(f) => {
                let message = format!("{}: {}", f.reason, f.message);
                tracing::warn!(
                    subscription = %self.url.base,
                    reason = f.reason,
                    error = %f.message,
                    "subscription poll failed; keeping the last good list"
                );
                st.last_error = Some(message.clone());
                metrics.subscription_failure(self.name(), f.reason);
                Err(message)
            }
        }
    }

    /// The subscription's state as JSON (`/readyz`).
    pub fn status_json(&self) -> Value {
        let st = match self.state.lock() {
            Ok(st) => st,
            Err(p) => p.into_inner(),
        };
        let now = Timestamp::now().unix_seconds();
        json!({
            "list": self.name(),
            "url": self.url.base,
            "cache": self.cache.path.display().to_string(),
            "sequence": st.sequence,
            "last_success": st.last_success.map(|t| t.to_string()),
            "last_attempt": st.last_attempt.map(|t| t.to_string()),
            "stale_secs": st.last_success.map(|t| now.saturating_sub(t.unix_seconds())),
            "last_error": st.last_error,
        })
    }

    /// The work of a poll: the local sequence after it, and the manifest's
    /// `ETag`.
    async fn step(
        self: &Arc<Self>,
        client: &HttpClient,
        lists: Option<&Arc<Lists>>,
    ) -> Result<(u64, Option<String>), Failure> {
        let (etag, known) = match self.state.lock() {
            Ok(st) => (st.etag.clone(), st.sequence),
            Err(_) => (None, None),
        };
        let token = self.transport.token()?;
        let token = token.as_ref();
        // A 304 means: the manifest we were in step with last time.
        let sent = etag.as_deref().filter(|_| known.is_some());
        let (manifest, etag) = match fetch(
            client,
            token,
            &self.url,
            self.timeout,
            MANIFEST,
            sent,
            MAX_MANIFEST_BYTES as u64,
        )
        .await?
        {
            Fetched::NotModified => match known {
                Some(seq) => return Ok((seq, etag)),
                None => return Err(fail("http_status", "unexpected 304 for the manifest")),
            },
            Fetched::Body(body, tag) => (
                Manifest::from_text(&body).map_err(|e| fail("manifest", e))?,
                tag,
            ),
        };
        let mut local = None;
        let local_seq = match known {
            Some(s) => Some(s),
            None => {
                local = self.read_local().await;
                local.as_ref().map(|l| l.meta.sequence)
            }
        };
        if let Some(seq) = local_seq {
            if manifest.sequence < seq {
                return Err(fail(
                    "rollback",
                    format!(
                        "the publisher's manifest is at sequence {} but the local list is at {seq}: \
                         refused (an old manifest replayed, or the publisher lost its state)",
                        manifest.sequence
                    ),
                ));
            }
            if manifest.sequence == seq {
                return Ok((seq, etag));
            }
        }
        if local.is_none() {
            local = self.read_local().await;
        }
        if let Some(l) = &local
            && l.meta.id != manifest.id
        {
            return Err(fail(
                "wrong_list",
                format!(
                    "the manifest is for list {:?}, the local copy is {:?}",
                    manifest.id, l.meta.id
                ),
            ));
        }
        let base = local.as_ref().map_or(0, |l| l.meta.sequence);
        let new = self.catch_up(client, token, &manifest, local).await?;
        let seq = self.store(new, base).await?;
        if let Some(lists) = lists {
            let report = lists.reload("subscription").await;
            if !report.ok {
                return Err(fail(
                    "load",
                    report.error.unwrap_or_else(|| "reload failed".into()),
                ));
            }
        }
        tracing::info!(subscription = %self.url.base, sequence = seq, "subscription updated");
        Ok((seq, etag))
    }

    /// The list at the manifest's sequence with the audit records of the
    /// change: by deltas from `local` when the manifest has a chain, else
    /// the full list.
    async fn catch_up(
        self: &Arc<Self>,
        client: &HttpClient,
        token: Option<&Token>,
        manifest: &Manifest,
        local: Option<List>,
    ) -> Result<(List, Vec<AuditRecord>), Failure> {
        let chain = local
            .as_ref()
            .and_then(|l| manifest.chain(l.meta.sequence))
            .unwrap_or_default();
        if let (Some(local), false) = (local.as_ref(), chain.is_empty()) {
            let mut deltas = Vec::with_capacity(chain.len());
            let mut missing = false;
            for d in chain {
                match fetch(
                    client,
                    token,
                    &self.url,
                    self.timeout,
                    &d.file,
                    None,
                    self.max_bytes,
                )
                .await
                {
                    Ok(Fetched::Body(b, _)) => deltas.push(
                        Delta::from_text(&b)
                            .map_err(|e| fail(reason_of(&e), format!("{}: {e}", d.file)))?,
                    ),
                    // A pruned delta: the full list still gets us there.
                    Err(f) if f.reason == "not_found" => {
                        missing = true;
                        break;
                    }
                    Err(f) => return Err(f),
                    Ok(Fetched::NotModified) => {
                        return Err(fail("http_status", format!("{}: unexpected 304", d.file)));
                    }
                }
            }
            if !missing {
                let this = Arc::clone(self);
                let mut list = local.clone();
                let expected = manifest.sequence;
                return blocking(move || {
                    let (store, _) = this.cache.trust().map_err(|e| fail("trust_store", e))?;
                    let now = Timestamp::now();
                    let mut records = Vec::new();
                    for d in &deltas {
                        d.apply_to(&mut list, &store, now).map_err(|e| {
                            fail(reason_of(&e), format!("delta {} -> {}: {e}", d.from, d.to))
                        })?;
                        records.extend(d.audit_records("subscription", now));
                    }
                    if list.meta.sequence != expected {
                        return Err(fail(
                            "manifest",
                            format!(
                                "the deltas lead to sequence {}, the manifest says {expected}",
                                list.meta.sequence
                            ),
                        ));
                    }
                    Ok((list, records))
                })
                .await;
            }
        }
        let body = match fetch(
            client,
            token,
            &self.url,
            self.timeout,
            &manifest.list,
            None,
            self.max_bytes,
        )
        .await?
        {
            Fetched::Body(b, _) => b,
            Fetched::NotModified => {
                return Err(fail("http_status", "unexpected 304 for the list"));
            }
        };
        let id = manifest.id.clone();
        let expected = manifest.sequence;
        blocking(move || {
            let list = List::from_text(&body, &id)
                .map_err(|e| fail(reason_of(&e), format!("{id} full list: {e}")))?;
            if list.meta.id != id || list.meta.sequence != expected {
                return Err(fail(
                    "manifest",
                    format!(
                        "the full list is {}@{}, the manifest says {id}@{expected}",
                        list.meta.id, list.meta.sequence
                    ),
                ));
            }
            let records = match &local {
                Some(old) => {
                    if old.meta.issuer != list.meta.issuer {
                        return Err(fail(
                            "wrong_list",
                            format!(
                                "the full list is issued by {:?}, the local copy by {:?}",
                                list.meta.issuer, old.meta.issuer
                            ),
                        ));
                    }
                    if list.meta.sequence <= old.meta.sequence {
                        return Err(fail(
                            "rollback",
                            format!(
                                "the full list is at sequence {}, not after the local {}",
                                list.meta.sequence, old.meta.sequence
                            ),
                        ));
                    }
                    let mut d = Delta::diff(old, &list);
                    d.signature = list.meta.signature;
                    d.audit_records("subscription (full list)", Timestamp::now())
                }
                None => Vec::new(),
            };
            Ok((list, records))
        })
        .await
    }

    /// Verifies `new` like a list file (signature, issuer's key, expiry),
    /// then replaces the cache with it, write-ahead: the audit records and
    /// their commit go to the cache's audit log first (`FORMAT.md`,
    /// "Write-ahead order"), so a crash leaves the last good copy and a
    /// log that says so. `base` is the sequence of the copy being replaced.
    async fn store(
        self: &Arc<Self>,
        new: (List, Vec<AuditRecord>),
        base: u64,
    ) -> Result<u64, Failure> {
        let this = Arc::clone(self);
        blocking(move || {
            let (list, records) = new;
            let (store, opts) = this.cache.trust().map_err(|e| fail("trust_store", e))?;
            check_list(&list, &store, &opts)
                .map_err(|e| fail(reason_of(&e), format!("{}: {e}", list.meta.id)))?;
            let change = Change {
                operation: "subscription".to_owned(),
                reason: format!("subscription to {}", this.url.base),
                time: Timestamp::now(),
                key_id: list.meta.signature.as_ref().map(|s| s.key_id),
                base_sequence: base,
                records,
            };
            let done = commit_change(&this.cache.path, &list, &change)
                .map_err(|e| fail("cache_write", e.to_string()))?;
            for r in &done.recovered {
                tracing::warn!(subscription = %this.url.base, "cache audit log repaired: {r}");
            }
            Ok(list.meta.sequence)
        })
        .await
    }

    /// The local copy, verified; `None` when there is none or it no longer
    /// verifies (then the full list replaces it).
    async fn read_local(self: &Arc<Self>) -> Option<List> {
        let this = Arc::clone(self);
        let read = tokio::task::spawn_blocking(move || {
            if !this.cache.path.exists() {
                return Ok(None);
            }
            this.cache.load().map(Some)
        })
        .await;
        match read {
            Ok(Ok(l)) => l,
            Ok(Err(e)) => {
                tracing::warn!(
                    subscription = %self.url.base,
                    error = %e,
                    "the local copy does not load; fetching the full list"
                );
                None
            }
            Err(_) => None,
        }
    }
}

/// Runs blocking work (parsing, verifying, writing) off the async workers.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, Failure> + Send + 'static,
) -> Result<T, Failure> {
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|e| Err(fail("internal", format!("task failed: {e}"))))
}
