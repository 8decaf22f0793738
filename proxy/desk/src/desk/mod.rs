//! [`Desk`]: the one handle the web layer and the command line hold. Each
//! method is one step of the workflow: load, apply a rule
//! ([`crate::workflow`]), list and publish when a report is confirmed
//! illegal ([`crate::publish`]), write the new state and its audit line in
//! one transaction.

mod assessment;
mod feedback;
mod staff;
mod submit;

use std::sync::Arc;

use hashwall::lists::Timestamp;

use crate::config::DeskConfig;
use crate::error::{Error, ErrorKind, Result};
use crate::intake::Checker;
use crate::model::{AuditEvent, QueueItem, Reference, Report, Status};
use crate::publish::Publisher;
use crate::stats::{Stats, StatsQuery};
use crate::store::{self, Store};

/// The reporting desk: its database, its lists and its checker.
#[derive(Clone, Debug)]
pub struct Desk {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: DeskConfig,
    store: Store,
    publisher: Publisher,
    checker: Checker,
}

/// What [`Desk::retention`] removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetentionDone {
    /// E-mail addresses deleted.
    pub emails_deleted: u64,
    /// Reports whose URLs were anonymised.
    pub reports_anonymised: u64,
}

fn now() -> Timestamp {
    hashwall::lists::Clock::System.now()
}

fn after(t: Timestamp, secs: u64) -> Timestamp {
    Timestamp::from_unix_seconds(
        t.unix_seconds()
            .saturating_add(i64::try_from(secs).unwrap_or(i64::MAX)),
    )
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::new(ErrorKind::Storage, format!("a worker failed: {e}")))?
}

impl Desk {
    /// Open the database (migrating it), the desk's key and lists, and the
    /// served lists.
    ///
    /// # Errors
    ///
    /// Any of those cannot be opened; the error says which.
    pub async fn open(config: &DeskConfig) -> Result<Desk> {
        let publisher = {
            let config = config.clone();
            blocking(move || Publisher::open(&config, now())).await?
        };
        let checker = {
            let config = config.clone();
            let own: Vec<_> = publisher.list_paths().map(ToOwned::to_owned).collect();
            let trust = publisher.trust().clone();
            blocking(move || Checker::open(&config, own, &trust)).await?
        };
        std::fs::create_dir_all(&config.data_dir).map_err(|e| {
            Error::new(
                ErrorKind::Config,
                format!("creating {}: {e}", config.data_dir.display()),
            )
        })?;
        let store = Store::open(&config.database_url()).await?;
        Ok(Desk {
            inner: Arc::new(Inner {
                config: config.clone(),
                store,
                publisher,
                checker,
            }),
        })
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &DeskConfig {
        &self.inner.config
    }

    /// The database backend.
    pub fn backend(&self) -> store::Backend {
        self.inner.store.backend()
    }

    /// The state of a report, for its reporter.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::NotFound`]; the database failed.
    pub async fn public_status(&self, reference: &Reference) -> Result<Status> {
        Ok(self.report(reference).await?.status)
    }

    /// A report with its URLs.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::NotFound`]; the database failed.
    pub async fn report(&self, reference: &Reference) -> Result<Report> {
        let mut conn = self.inner.store.pool().acquire().await?;
        store::load_report(&mut conn, reference).await
    }

    /// Open reports, oldest first.
    ///
    /// # Errors
    ///
    /// The database failed.
    pub async fn queue(&self) -> Result<Vec<QueueItem>> {
        store::open_queue(self.inner.store.pool(), now()).await
    }

    /// The audit trail, of one report or of all, newest first.
    ///
    /// # Errors
    ///
    /// The database failed.
    pub async fn audit(
        &self,
        reference: Option<&Reference>,
        limit: u32,
    ) -> Result<Vec<AuditEvent>> {
        store::read_audit(self.inner.store.pool(), reference, limit).await
    }

    /// Statistics on alerts.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Invalid`] for `from` after `to`; the database failed.
    pub async fn stats(&self, query: &StatsQuery) -> Result<Stats> {
        let from = query.from.unwrap_or(Timestamp::UNIX_EPOCH);
        let to = query.to.unwrap_or_else(|| after(now(), 1));
        if from > to {
            return Err(Error::new(ErrorKind::Invalid, "from is after to"));
        }
        let rows = store::stats_rows(self.inner.store.pool(), from, to).await?;
        Ok(Stats::compute(&rows, from, to, query.by))
    }

    /// Delete e-mail addresses past their date and anonymise reports
    /// closed longer than the retention period. Run it periodically.
    ///
    /// # Errors
    ///
    /// The database failed (nothing of this run is kept).
    pub async fn retention(&self) -> Result<RetentionDone> {
        let t = now();
        let days = u64::from(self.inner.config.report_retention_days);
        let before = Timestamp::from_unix_seconds(
            t.unix_seconds() - i64::try_from(days * 86_400).unwrap_or(i64::MAX),
        );
        let mut w = self.inner.store.write().await?;
        let done = RetentionDone {
            emails_deleted: store::delete_expired_emails(w.conn(), t).await?,
            reports_anonymised: store::anonymise_closed(w.conn(), before).await?,
        };
        if done != RetentionDone::default() {
            let detail = format!(
                "{} e-mail address(es) deleted, {} report(s) anonymised",
                done.emails_deleted, done.reports_anonymised
            );
            store::append_audit(w.conn(), t, "desk", "retention", None, &detail).await?;
        }
        w.commit().await?;
        Ok(done)
    }
}
