//! [`Desk`]: the one handle the web layer and the command line hold. Each
//! method is one step of the workflow: load, apply a rule
//! ([`crate::workflow`]), list and publish when a report is confirmed
//! illegal ([`crate::publish`]), write the new state and its audit line in
//! one transaction.

use std::sync::Arc;

use hashwall::lists::Timestamp;
use sha2::{Digest as _, Sha256};

use crate::accounts;
use crate::config::DeskConfig;
use crate::error::{Error, ErrorKind, Result};
use crate::intake::{self, Checker};
use crate::model::{
    AuditEvent, Decision, Duplicate, IntakeOutcome, NewReport, Outcome, QueueItem, Reference,
    Report, Role, Status, TakedownEvent, User,
};
use crate::publish::Publisher;
use crate::stats::{Stats, StatsQuery};
use crate::store::{self, NewReportRow, NewUrlRow, Store, Write};
use crate::workflow;

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

    /// Take a report in: validate, canonicalise, link duplicates, check
    /// the served lists and the hosts' countries, store.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Invalid`] for a field out of bounds or a URL the
    /// engine refuses (nothing is stored); the database failed.
    pub async fn submit(&self, report: NewReport) -> Result<IntakeOutcome> {
        intake::validate(&report, &self.inner.config)?;
        let received = now();
        let mut urls = Vec::new();
        for given in &report.urls {
            let c = intake::canonicalise(given)?;
            if urls
                .iter()
                .any(|(_, u, _, _): &(String, intake::Canonical, _, _)| u.url == c.url)
            {
                continue;
            }
            let listed = self.inner.checker.listed(&c.url);
            let country = self.inner.checker.country(&c.host).await;
            urls.push((given.trim().to_owned(), c, country, listed));
        }
        let reference = Reference::random()?;
        let mut w = self.inner.store.write().await?;
        let mut duplicates = Vec::new();
        for (_, c, _, _) in &urls {
            if let Some(open) = store::find_open_with_url(w.conn(), &c.url).await? {
                duplicates.push(Duplicate {
                    url: c.url.clone(),
                    reference: open,
                });
            }
        }
        let all_known = duplicates.len() == urls.len();
        let status = if all_known {
            Status::Closed
        } else {
            Status::Received
        };
        let email_until = after(
            received,
            u64::from(self.inner.config.email_retention_days) * 86_400,
        );
        let rows: Vec<NewUrlRow<'_>> = urls
            .iter()
            .map(|(given, c, country, listed)| NewUrlRow {
                given,
                canonical: &c.url,
                host: &c.host,
                country: country.as_deref(),
                duplicate_of: duplicates
                    .iter()
                    .find(|d| d.url == c.url)
                    .map(|d| &d.reference),
                already_listed: listed,
            })
            .collect();
        let row = NewReportRow {
            reference: &reference,
            category: report.category,
            source: report.source,
            description: report.description.trim(),
            email: report.email.as_deref().map(|e| (e, email_until)),
            status,
            outcome: all_known.then_some(Outcome::Duplicate),
            received_at: received,
        };
        store::insert_report(w.conn(), &row, &rows).await?;
        let mut linked: Vec<&Reference> = duplicates.iter().map(|d| &d.reference).collect();
        linked.sort();
        linked.dedup();
        for r in &linked {
            store::count_duplicate(w.conn(), r).await?;
        }
        let detail = format!(
            "{} URL(s), category {}, {} duplicate(s)",
            urls.len(),
            report.category,
            duplicates.len()
        );
        store::append_audit(
            w.conn(),
            received,
            report.source.as_str(),
            "submit",
            Some(&reference),
            &detail,
        )
        .await?;
        w.commit().await?;
        Ok(IntakeOutcome {
            reference,
            status,
            duplicates,
            already_listed: urls.into_iter().flat_map(|(_, _, _, l)| l).collect(),
        })
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

    /// Load `reference` in a write transaction, apply `rule`, write the
    /// result and an audit line; `list` runs between (for a listing).
    async fn step(
        &self,
        reference: &Reference,
        actor: &str,
        action: &str,
        rule: impl FnOnce(&Report) -> Result<Option<Report>>,
    ) -> Result<(Report, Write<'_>)> {
        let mut w = self.inner.store.write().await?;
        let before = store::load_report(w.conn(), reference).await?;
        let Some(after) = rule(&before)? else {
            return Ok((before, w));
        };
        if !store::transition(w.conn(), &after, before.status).await? {
            return Err(Error::new(
                ErrorKind::Conflict,
                format!("{reference} changed meanwhile; reload it"),
            ));
        }
        let detail = match (&after.proposed, after.outcome) {
            (Some(d), _) if action != "open" && action != "takedown" => {
                serde_json::to_string(d).unwrap_or_default()
            }
            _ => format!("status {}", after.status),
        };
        store::append_audit(w.conn(), now(), actor, action, Some(reference), &detail).await?;
        Ok((after, w))
    }

    /// Open a report: lock it to `user` while they assess it.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Forbidden`] while another analyst holds it.
    pub async fn open_for(&self, reference: &Reference, user: &User) -> Result<Report> {
        let t = now();
        let until = after(t, u64::from(self.inner.config.lock_minutes) * 60);
        let (report, w) = self
            .step(reference, &user.name, "open", |r| {
                workflow::open(r, user, t, until)
            })
            .await?;
        w.commit().await?;
        Ok(report)
    }

    /// Record an assessment (see [`workflow::assess`]).
    ///
    /// # Errors
    ///
    /// As [`workflow::assess`]; [`ErrorKind::Invalid`] for an entry the
    /// list format refuses (checked now, not at confirmation).
    pub async fn assess(
        &self,
        reference: &Reference,
        user: &User,
        decision: Decision,
    ) -> Result<Report> {
        check_decision(&decision)?;
        let t = now();
        let (report, w) = self
            .step(reference, &user.name, "assess", |r| {
                workflow::assess(r, user, decision, t).map(Some)
            })
            .await?;
        w.commit().await?;
        Ok(report)
    }

    /// A second analyst's confirmation (`agree`) or disagreement. On
    /// agreement the entry is listed and published before the report is
    /// stored as closed; if listing fails nothing is stored and the
    /// confirmation can be repeated.
    ///
    /// # Errors
    ///
    /// As [`workflow::confirm`]; listing or publishing failed.
    pub async fn confirm(&self, reference: &Reference, user: &User, agree: bool) -> Result<Report> {
        let t = now();
        let action = if agree { "confirm" } else { "disagree" };
        let (report, w) = self
            .step(reference, &user.name, action, |r| {
                workflow::confirm(r, user, agree, t).map(Some)
            })
            .await?;
        self.list_if_illegal(report, w, &user.name).await
    }

    /// A supervisor settles a disputed report.
    ///
    /// # Errors
    ///
    /// As [`workflow::resolve`]; listing or publishing failed.
    pub async fn resolve(
        &self,
        reference: &Reference,
        user: &User,
        decision: Decision,
    ) -> Result<Report> {
        check_decision(&decision)?;
        let t = now();
        let (report, w) = self
            .step(reference, &user.name, "resolve", |r| {
                workflow::resolve(r, user, decision, t).map(Some)
            })
            .await?;
        self.list_if_illegal(report, w, &user.name).await
    }

    async fn list_if_illegal(
        &self,
        report: Report,
        mut w: Write<'_>,
        actor: &str,
    ) -> Result<Report> {
        if let (
            Some(Outcome::Illegal),
            Some(Decision::Illegal {
                category,
                kind,
                value,
            }),
        ) = (report.outcome, &report.proposed)
        {
            let inner = Arc::clone(&self.inner);
            let (category, kind, value) = (*category, *kind, value.clone());
            let reference = report.reference.clone();
            let reason = format!("report {reference} confirmed by {actor}");
            let listed = blocking(move || {
                let listed =
                    inner
                        .publisher
                        .list(category, kind, &value, &reference, &reason, now())?;
                inner.checker.reload()?;
                Ok(listed)
            })
            .await?;
            let detail = format!(
                "{} {} in {} sequence {}",
                kind,
                report.urls.first().map_or("", |u| u.canonical.as_str()),
                listed.list,
                listed.sequence
            );
            store::append_audit(
                w.conn(),
                now(),
                "desk",
                "list",
                Some(&report.reference),
                &detail,
            )
            .await?;
        }
        w.commit().await?;
        Ok(report)
    }

    /// Record a notice-and-takedown event.
    ///
    /// # Errors
    ///
    /// As [`workflow::takedown`].
    pub async fn takedown(
        &self,
        reference: &Reference,
        user: &User,
        event: TakedownEvent,
    ) -> Result<Report> {
        let t = now();
        let (report, w) = self
            .step(reference, &user.name, "takedown", |r| {
                workflow::takedown(r, event, t).map(Some)
            })
            .await?;
        w.commit().await?;
        Ok(report)
    }

    /// Correct the hosting country of URL `index` (0-based) of a report.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Invalid`] for a code that is not two letters;
    /// [`ErrorKind::NotFound`] for no such URL.
    pub async fn set_country(
        &self,
        reference: &Reference,
        user: &User,
        index: usize,
        country: Option<&str>,
    ) -> Result<Report> {
        let country = country.map(str::to_ascii_uppercase);
        if let Some(c) = &country
            && (c.len() != 2 || !c.bytes().all(|b| b.is_ascii_uppercase()))
        {
            return Err(Error::new(
                ErrorKind::Invalid,
                "a country is two letters (ISO 3166-1)",
            ));
        }
        let mut w = self.inner.store.write().await?;
        store::set_country(w.conn(), reference, index, country.as_deref()).await?;
        let detail = format!("URL {index}: {}", country.as_deref().unwrap_or("unknown"));
        store::append_audit(
            w.conn(),
            now(),
            &user.name,
            "country",
            Some(reference),
            &detail,
        )
        .await?;
        let report = store::load_report(w.conn(), reference).await?;
        w.commit().await?;
        Ok(report)
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

    /// Create a staff account; returns its API token (shown once; only its
    /// hash is stored).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Invalid`] for a bad name or a password shorter than 12
    /// characters; [`ErrorKind::Conflict`] when the name is taken.
    pub async fn add_user(&self, name: &str, role: Role, password: &str) -> Result<String> {
        accounts::check_name(name)?;
        let password = password.to_owned();
        let hash = blocking(move || accounts::hash_password(&password)).await?;
        let token = accounts::new_token()?;
        let user = User {
            name: name.to_owned(),
            role,
        };
        let mut w = self.inner.store.write().await?;
        store::add_user(w.conn(), &user, &hash, &token_hash(&token), now()).await?;
        store::append_audit(
            w.conn(),
            now(),
            "desk",
            "user-add",
            None,
            &format!("{name} ({role})"),
        )
        .await?;
        w.commit().await?;
        Ok(token)
    }

    /// Check a staff member's password; too many failures lock the account.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Forbidden`] for an unknown name, a wrong password or a
    /// locked account (the message does not say which of the first two).
    pub async fn login(&self, name: &str, password: &str) -> Result<User> {
        let t = now();
        let stored = store::user_by_name(self.inner.store.pool(), name).await?;
        if let Some(until) = stored
            .as_ref()
            .and_then(|s| s.locked_until)
            .filter(|u| *u > t)
        {
            return Err(Error::new(
                ErrorKind::Forbidden,
                format!("this account is locked until {until} after repeated failures"),
            ));
        }
        let phc = stored.as_ref().map(|s| s.password_hash.clone());
        let password = password.to_owned();
        let ok = blocking(move || Ok(accounts::verify_password(phc.as_deref(), &password))).await?;
        let mut w = self.inner.store.write().await?;
        let result = match stored {
            Some(s) if ok => {
                store::login_succeeded(w.conn(), &s.user.name).await?;
                store::append_audit(w.conn(), t, &s.user.name, "login", None, "").await?;
                Ok(s.user)
            }
            Some(s) => {
                let c = &self.inner.config;
                let until = after(t, u64::from(c.lockout_minutes) * 60);
                store::login_failed(w.conn(), &s.user.name, c.max_failed_logins, until).await?;
                store::append_audit(w.conn(), t, &s.user.name, "login-failed", None, "").await?;
                Err(Error::new(ErrorKind::Forbidden, "wrong name or password"))
            }
            None => Err(Error::new(ErrorKind::Forbidden, "wrong name or password")),
        };
        w.commit().await?;
        result
    }

    /// How many staff accounts exist (none: the desk says how to create one).
    ///
    /// # Errors
    ///
    /// The database failed.
    pub async fn user_count(&self) -> Result<u64> {
        store::count_users(self.inner.store.pool()).await
    }

    /// The staff member an API token belongs to.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Forbidden`] for an unknown token.
    pub async fn user_by_token(&self, token: &str) -> Result<User> {
        store::user_by_token_hash(self.inner.store.pool(), &token_hash(token))
            .await?
            .ok_or_else(|| Error::new(ErrorKind::Forbidden, "unknown API token"))
    }
}

fn token_hash(token: &str) -> String {
    hashwall::lists::hex::encode(&Sha256::digest(token.as_bytes()))
}

fn check_decision(decision: &Decision) -> Result<()> {
    if let Decision::Illegal { kind, value, .. } = decision {
        hashwall::lists::Entry::new(kind.entry_kind(), value, None).map_err(|e| {
            Error::new(
                ErrorKind::Invalid,
                format!("the entry to list: {}", e.message()),
            )
        })?;
    }
    Ok(())
}
