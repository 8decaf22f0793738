//! Subscriptions: a `[[list]]` with `subscribe = "https://…/LIST-ID/"` keeps
//! a local copy of a publisher's list (`cache`) in step with the publisher
//! ([`hashwall_lists::publication`] layout), over HTTPS with the
//! publisher's certificate verified and, with `token_file`, a bearer token
//! ([`super::transport`]: the lists are confidential).
//!
//! A background task polls the manifest (`If-None-Match`, so an unchanged
//! one costs a 304). What to fetch is decided by the library's planner
//! ([`hashwall_lists::publication::plan`]): the deltas from the local
//! sequence, in order, each held to the plan and checked (signature,
//! issuer, continuity) while applying it ([`Delta::apply_to`]); or, when
//! there is no chain (a gap, no local copy), the full list. The result is
//! verified like any list file, written to the cache atomically (appending
//! the changes to its audit log), and the lists are told to reload
//! ([`OnUpdate`]). The proxy serves the cache like a list file, so a
//! restart works offline from it. The fetching itself is
//! [`super::publisher`], which every service that follows a publisher
//! uses.
//!
//! Anything that goes wrong — publisher unreachable, a TLS failure, a token
//! refused, a timeout, a file over `max_bytes`, a bad or untrusted
//! signature, a manifest going backwards or for another list, a delta that
//! does not fit — changes nothing: the cache and the snapshot stay as they
//! were, the failure is logged and counted
//! (`hashwall_subscription_failures_total{list,reason}`), and the next poll
//! tries again.
//!
//! [`Delta::apply_to`]: hashwall_lists::Delta::apply_to

mod catch_up;

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hashwall::ListAdder;
use hashwall_lists::publication::Local;
use hashwall_lists::{List, ListMeta, RollbackFloor, Timestamp};
use serde_json::{Value, json};
use tokio::sync::watch;

use super::config::{SubscriptionConfig, secs};
use super::metrics::Metrics;
use super::publisher::{BaseUrl, HttpClient, Transport, http_client};
use super::source::{FileSource, Fingerprint, ListSource, SourceError};
use super::stopped;

/// The future of [`OnUpdate::updated`].
pub type Updated<'a> = Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;

/// Whoever serves a subscription's local copy: told when the copy changed,
/// it reloads (the proxy's list manager; a matching service's index).
pub trait OnUpdate: Send + Sync {
    /// The local copy changed: load it. An error fails the poll (reason
    /// `load`); the copy on disk is the new one either way.
    fn updated(&self) -> Updated<'_>;
}

/// What a subscription knows of itself, for `/readyz`.
#[derive(Debug, Default)]
struct State {
    /// The local copy's issuer, id and sequence, once known.
    local: Option<Local>,
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
    /// The source for a `subscribe` `[[list]]`, kept in `cache` (whose
    /// trust settings verify everything fetched). Reads the CA and token
    /// files.
    pub fn new(
        config: &SubscriptionConfig,
        mut cache: FileSource,
    ) -> Result<SubscribeSource, String> {
        // What a publisher serves is signed: an unsigned list is refused.
        cache.allow_unsigned = false;
        let url = config.url.clone();
        if let Some(t) = &config.token_file
            && super::transport::readable_by_others(t)
        {
            tracing::warn!(
                token_file = %t.display(),
                "the subscription's token file is readable by every user of this host (chmod o-r)"
            );
        }
        let transport = Transport::new(
            &url,
            config.ca_file.as_deref(),
            config.token_file.as_deref(),
        )?;
        Ok(SubscribeSource(Arc::new(Subscription {
            transport,
            url,
            cache,
            poll: secs(config.poll_secs),
            timeout: secs(config.timeout_secs),
            max_bytes: config.max_bytes,
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

    fn load(&self) -> Result<List, SourceError> {
        self.0.cache.load()
    }

    fn load_into(
        &self,
        floor: &dyn RollbackFloor,
        adder: ListAdder<'_>,
    ) -> Result<ListMeta, SourceError> {
        self.0.cache.load_into(floor, adder)
    }

    fn fingerprint(&self) -> Option<Fingerprint> {
        self.0.cache.fingerprint()
    }

    fn allow_rollback(&self) -> bool {
        self.0.cache.allow_rollback
    }

    fn absent(&self) -> Option<String> {
        (!self.0.cache.path.exists()).then(|| {
            format!(
                "cache absent, will fetch: serve fetches the full list from {} at start",
                self.0.url.base
            )
        })
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

    /// Polls until `stop`: at once, then every `poll_secs`; tells
    /// `on_update` when the local copy changed.
    pub async fn run(
        self: Arc<Self>,
        on_update: impl OnUpdate,
        metrics: Arc<Metrics>,
        mut stop: watch::Receiver<bool>,
    ) {
        let client = http_client(self.timeout, &self.transport);
        loop {
            tokio::select! {
                _ = self.poll_once(&client, Some(&on_update), &metrics) => {}
                () = stopped(&mut stop) => return,
            }
            tokio::select! {
                () = tokio::time::sleep(self.poll) => {}
                () = stopped(&mut stop) => return,
            }
        }
    }

    /// One poll: brings the local copy in step with the publisher and, when
    /// it changed, tells `on_update`. Records the outcome (state, metrics,
    /// log); returns the local sequence or the error.
    pub async fn poll_once(
        self: &Arc<Self>,
        client: &HttpClient,
        on_update: Option<&dyn OnUpdate>,
        metrics: &Metrics,
    ) -> Result<u64, String> {
        let started = Timestamp::now();
        let result = self.step(client, on_update).await;
        let Ok(mut st) = self.state.lock() else {
            return Err("subscription state poisoned".into());
        };
        st.last_attempt = Some(started);
        match result {
            Ok((local, etag)) => {
                let sequence = local.sequence;
                st.local = Some(local);
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
            "sequence": st.local.as_ref().map(|l| l.sequence),
            "last_success": st.last_success.map(|t| t.to_string()),
            "last_attempt": st.last_attempt.map(|t| t.to_string()),
            "stale_secs": st.last_success.map(|t| now.saturating_sub(t.unix_seconds())),
            "last_error": st.last_error,
        })
    }
}
