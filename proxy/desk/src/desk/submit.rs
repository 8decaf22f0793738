//! Intake: [`Desk::submit`].

use super::{Desk, after, now};
use crate::error::Result;
use crate::intake;
use crate::model::{Duplicate, IntakeOutcome, NewReport, Outcome, Reference, Status};
use crate::store::{self, NewReportRow, NewUrlRow};

impl Desk {
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
        let canonical: Vec<&str> = urls.iter().map(|(_, c, _, _)| c.url.as_str()).collect();
        let duplicates: Vec<Duplicate> = store::find_open_with_urls(w.conn(), &canonical)
            .await?
            .into_iter()
            .map(|(url, reference)| Duplicate { url, reference })
            .collect();
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
}
