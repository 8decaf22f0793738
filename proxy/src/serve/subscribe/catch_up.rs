//! One poll's work: fetch the manifest, follow the library's catch-up plan
//! (deltas in order, or the full list), verify, and store the new local
//! copy write-ahead.

use std::sync::Arc;

use hashwall_lists::publication::{
    CatchUp, Fetch, Local, MANIFEST, MAX_MANIFEST_BYTES, Manifest, Refusal, plan,
};
use hashwall_lists::{AuditRecord, Change, Delta, List, NoFloor, Timestamp, commit_change};

use super::super::publisher::{Failure, Fetched, HttpClient, fail, fetch, reason_of};
use super::super::source::ListSource as _;
use super::super::transport::Token;
use super::{OnUpdate, Subscription};

/// A refusal of the planner as a poll failure.
fn refused(r: &Refusal) -> Failure {
    fail(r.reason(), r.to_string())
}

impl Subscription {
    /// The work of a poll: the local copy's state after it, and the
    /// manifest's `ETag`.
    pub(super) async fn step(
        self: &Arc<Self>,
        client: &HttpClient,
        on_update: Option<&dyn OnUpdate>,
    ) -> Result<(Local, Option<String>), Failure> {
        let (etag, known) = match self.state.lock() {
            Ok(st) => (st.etag.clone(), st.local.clone()),
            Err(_) => (None, None),
        };
        let token = self.transport.token()?;
        let token = token.as_ref();
        // A 304 means: the manifest we were in step with last time.
        let sent = etag.as_deref().filter(|_| known.is_some());
        let (manifest, etag) = match self
            .get(client, token, MANIFEST, sent, MAX_MANIFEST_BYTES as u64)
            .await?
        {
            Fetched::NotModified => match known {
                Some(local) => return Ok((local, etag)),
                None => return Err(fail("http_status", "unexpected 304 for the manifest")),
            },
            Fetched::Body(body, tag) => (
                Manifest::from_text(&body).map_err(|e| fail("manifest", e.to_string()))?,
                tag,
            ),
        };
        // The local copy's header: remembered from the last poll, or read.
        let mut local_list = None;
        let local = match known {
            Some(l) => Some(l),
            None => {
                local_list = self.read_local().await;
                local_list.as_ref().map(|l| Local::of(&l.meta))
            }
        };
        let mut catch_up = plan(local.as_ref(), &manifest).map_err(|r| refused(&r))?;
        if let (Fetch::Nothing, Some(l)) = (catch_up.fetch(), &local) {
            return Ok((l.clone(), etag));
        }
        if local_list.is_none() && local.is_some() {
            local_list = self.read_local().await;
            if local_list.is_none() {
                // The copy no longer loads: the full list replaces it.
                catch_up = catch_up.full_instead();
            }
        }
        let base = local_list.as_ref().map_or(0, |l| l.meta.sequence);
        let new = self
            .catch_up(client, token, &catch_up, &manifest, local_list)
            .await?;
        let stored = self.store(new, base).await?;
        if let Some(on_update) = on_update {
            on_update.updated().await.map_err(|e| fail("load", e))?;
        }
        tracing::info!(subscription = %self.url.base, sequence = stored.sequence, "subscription updated");
        Ok((stored, etag))
    }

    /// GETs `file` from the publisher with this subscription's settings.
    async fn get(
        &self,
        client: &HttpClient,
        token: Option<&Token>,
        file: &str,
        etag: Option<&str>,
        cap: u64,
    ) -> Result<Fetched, Failure> {
        fetch(client, token, &self.url, self.timeout, file, etag, cap).await
    }

    /// The list at the plan's target with the audit records of the change:
    /// by the plan's deltas, or (when it says so, or a delta is gone) the
    /// full list.
    async fn catch_up(
        self: &Arc<Self>,
        client: &HttpClient,
        token: Option<&Token>,
        plan: &CatchUp,
        manifest: &Manifest,
        local: Option<List>,
    ) -> Result<(List, Vec<AuditRecord>), Failure> {
        if let (Fetch::Deltas(steps), Some(local)) = (plan.fetch(), &local) {
            let mut deltas = Vec::with_capacity(steps.len());
            for (i, d) in steps.iter().enumerate() {
                match self.get(client, token, &d.file, None, self.max_bytes).await {
                    Ok(Fetched::Body(b, _)) => {
                        let delta = Delta::from_text(&b)
                            .map_err(|e| fail(reason_of(&e), format!("{}: {e}", d.file)))?;
                        plan.check_delta(i, &delta).map_err(|r| refused(&r))?;
                        deltas.push(delta);
                    }
                    // A pruned delta: the full list still gets us there.
                    Err(f) if f.reason == "not_found" => {
                        let full = plan.full_instead();
                        return self
                            .full(client, token, &full, manifest, Some(local.clone()))
                            .await;
                    }
                    Err(f) => return Err(f),
                    Ok(Fetched::NotModified) => {
                        return Err(fail("http_status", format!("{}: unexpected 304", d.file)));
                    }
                }
            }
            let this = Arc::clone(self);
            let mut list = local.clone();
            let target = plan.target();
            return blocking(move || {
                let loader = this
                    .cache
                    .loader()
                    .map_err(|e| fail("trust_store", e.message))?;
                let now = loader.now();
                let mut records = Vec::new();
                for d in &deltas {
                    d.apply_to(&mut list, loader.trust(), now).map_err(|e| {
                        fail(reason_of(&e), format!("delta {} -> {}: {e}", d.from, d.to))
                    })?;
                    records.extend(d.audit_records("subscription", now));
                }
                if list.meta.sequence != target {
                    let r = Refusal::NotAnnounced {
                        announced: target,
                        found: list.meta.sequence,
                    };
                    return Err(refused(&r));
                }
                Ok((list, records))
            })
            .await;
        }
        self.full(client, token, plan, manifest, local).await
    }

    /// The full list the manifest names, held to the plan; the audit
    /// records are the difference from `local`.
    async fn full(
        self: &Arc<Self>,
        client: &HttpClient,
        token: Option<&Token>,
        plan: &CatchUp,
        manifest: &Manifest,
        local: Option<List>,
    ) -> Result<(List, Vec<AuditRecord>), Failure> {
        let body = match self
            .get(client, token, &manifest.list, None, self.max_bytes)
            .await?
        {
            Fetched::Body(b, _) => b,
            Fetched::NotModified => {
                return Err(fail("http_status", "unexpected 304 for the list"));
            }
        };
        let id = manifest.id.clone();
        let plan = plan.clone();
        blocking(move || {
            let list = List::from_text(&body, &id)
                .map_err(|e| fail(reason_of(&e), format!("{id} full list: {e}")))?;
            plan.check_full(&list.meta).map_err(|r| refused(&r))?;
            let records = match &local {
                Some(old) => {
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
    ) -> Result<Local, Failure> {
        let this = Arc::clone(self);
        blocking(move || {
            let (list, records) = new;
            let loader = this
                .cache
                .loader()
                .map_err(|e| fail("trust_store", e.message))?;
            loader
                .check(&list, &NoFloor)
                .map_err(|e| fail(reason_of(&e), format!("{}: {e}", list.meta.id)))?;
            let change = Change {
                operation: "subscription".to_owned(),
                reason: format!("subscription to {}", this.url.base),
                time: loader.now(),
                key_id: list.meta.signature.as_ref().map(|s| s.key_id),
                base_sequence: base,
                records,
            };
            let done = commit_change(&this.cache.path, &list, &change)
                .map_err(|e| fail("cache_write", e.to_string()))?;
            for r in &done.recovered {
                tracing::warn!(subscription = %this.url.base, "cache audit log repaired: {r}");
            }
            Ok(Local::of(&list.meta))
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
