//! Assessment: open, assess, confirm, resolve, takedown, country — each
//! one transaction that applies a rule of [`crate::workflow`].

use std::sync::Arc;

use super::{Desk, after, blocking, now};
use crate::error::{Error, ErrorKind, Result};
use crate::model::{Decision, Outcome, Reference, Report, TakedownEvent, User};
use crate::store::{self, Write};
use crate::workflow;

impl Desk {
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

    /// [`Desk::step`], committed at once (a step that lists nothing).
    async fn step_committed(
        &self,
        reference: &Reference,
        actor: &str,
        action: &str,
        rule: impl FnOnce(&Report) -> Result<Option<Report>>,
    ) -> Result<Report> {
        let (report, w) = self.step(reference, actor, action, rule).await?;
        w.commit().await?;
        Ok(report)
    }

    /// Open a report: lock it to `user` while they assess it.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Forbidden`] while another analyst holds it.
    pub async fn open_for(&self, reference: &Reference, user: &User) -> Result<Report> {
        let t = now();
        let until = after(t, u64::from(self.inner.config.lock_minutes) * 60);
        self.step_committed(reference, &user.name, "open", |r| {
            workflow::open(r, user, t, until)
        })
        .await
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
        self.step_committed(reference, &user.name, "assess", |r| {
            workflow::assess(r, user, decision, t).map(Some)
        })
        .await
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
            let (category, kind, entry) = (*category, *kind, value.clone());
            let value = entry.clone();
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
                "{kind} {entry} in {} sequence {}",
                listed.list, listed.sequence
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
        self.step_committed(reference, &user.name, "takedown", |r| {
            workflow::takedown(r, event, t).map(Some)
        })
        .await
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
