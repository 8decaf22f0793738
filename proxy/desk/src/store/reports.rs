//! Reports and their URLs: rows in, records out.

use hashwall::lists::Timestamp;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AnyPool, Row};

use crate::error::{Error, ErrorKind, Result};
use crate::model::{
    AlreadyListed, Category, Decision, Outcome, QueueItem, Reference, Report, ReportUrl, Source,
    Status,
};

/// A report as intake stores it.
pub struct NewReportRow<'a> {
    /// Its new reference.
    pub reference: &'a Reference,
    /// The reporter's category.
    pub category: Category,
    /// Who sent it.
    pub source: Source,
    /// The description.
    pub description: &'a str,
    /// The feedback address and when it must be deleted at the latest.
    pub email: Option<(&'a str, Timestamp)>,
    /// `received`, or `closed` (every URL a duplicate).
    pub status: Status,
    /// `duplicate` when closed at intake.
    pub outcome: Option<Outcome>,
    /// Now.
    pub received_at: Timestamp,
}

/// One URL as intake stores it.
pub struct NewUrlRow<'a> {
    /// As given.
    pub given: &'a str,
    /// Canonical.
    pub canonical: &'a str,
    /// Its host.
    pub host: &'a str,
    /// Its host's country.
    pub country: Option<&'a str>,
    /// The open report it duplicates.
    pub duplicate_of: Option<&'a Reference>,
    /// What the served lists said.
    pub already_listed: &'a [AlreadyListed],
}

fn secs(t: Timestamp) -> i64 {
    t.unix_seconds()
}

fn opt_secs(t: Option<Timestamp>) -> Option<i64> {
    t.map(secs)
}

fn time(row: &AnyRow, col: &str) -> Result<Option<Timestamp>> {
    Ok(row
        .try_get::<Option<i64>, _>(col)?
        .map(Timestamp::from_unix_seconds))
}

fn parsed<T: std::str::FromStr<Err = Error>>(row: &AnyRow, col: &str) -> Result<Option<T>> {
    row.try_get::<Option<String>, _>(col)?
        .map(|s| s.parse())
        .transpose()
}

fn required<T: std::str::FromStr<Err = Error>>(row: &AnyRow, col: &str) -> Result<T> {
    parsed(row, col)?.ok_or_else(|| Error::new(ErrorKind::Storage, format!("{col} is empty")))
}

fn count(row: &AnyRow, col: &str) -> Result<u32> {
    Ok(u32::try_from(row.try_get::<i64, _>(col)?.max(0)).unwrap_or(u32::MAX))
}

/// Store a new report and its URLs.
///
/// # Errors
///
/// The database refused (the caller's transaction is then rolled back).
pub async fn insert_report(
    conn: &mut AnyConnection,
    report: &NewReportRow<'_>,
    urls: &[NewUrlRow<'_>],
) -> Result<()> {
    sqlx::query(
        "INSERT INTO reports (reference, category, source, description, email, email_until, status, outcome, received_at, decided_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(report.reference.as_str())
    .bind(report.category.as_str())
    .bind(report.source.as_str())
    .bind(report.description)
    .bind(report.email.map(|(e, _)| e))
    .bind(report.email.map(|(_, until)| secs(until)))
    .bind(report.status.as_str())
    .bind(report.outcome.map(Outcome::as_str))
    .bind(secs(report.received_at))
    .bind(report.outcome.map(|_| secs(report.received_at)))
    .execute(&mut *conn)
    .await?;
    if urls.is_empty() {
        return Ok(());
    }
    // One statement for every URL of the report (a round trip each would
    // dominate intake on PostgreSQL).
    let mut sql = String::from(
        "INSERT INTO report_urls (reference, position, given, canonical, host, country, duplicate_of, already_listed) VALUES ",
    );
    for i in 0..urls.len() {
        let b = i * 8;
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!(
            "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
            b + 1,
            b + 2,
            b + 3,
            b + 4,
            b + 5,
            b + 6,
            b + 7,
            b + 8
        ));
    }
    let mut query = sqlx::query(&sql);
    for (position, u) in urls.iter().enumerate() {
        let listed = serde_json::to_string(u.already_listed)
            .map_err(|e| Error::new(ErrorKind::Storage, format!("encoding a URL's lists: {e}")))?;
        query = query
            .bind(report.reference.as_str())
            .bind(i64::try_from(position).unwrap_or(i64::MAX))
            .bind(u.given)
            .bind(u.canonical)
            .bind(u.host)
            .bind(u.country)
            .bind(u.duplicate_of.map(Reference::as_str))
            .bind(listed);
    }
    query.execute(&mut *conn).await?;
    Ok(())
}

/// For each of `canonical` held by an open (not closed) report, the
/// oldest such report: `(canonical URL, reference)` pairs.
///
/// # Errors
///
/// The database failed.
pub async fn find_open_with_urls(
    conn: &mut AnyConnection,
    canonical: &[&str],
) -> Result<Vec<(String, Reference)>> {
    if canonical.is_empty() {
        return Ok(Vec::new());
    }
    let list: Vec<String> = (1..=canonical.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT u.canonical AS canonical, r.reference AS reference FROM report_urls u
         JOIN reports r ON r.reference = u.reference
         WHERE u.canonical IN ({}) AND r.status <> 'closed' AND u.duplicate_of IS NULL
         ORDER BY r.received_at, r.reference",
        list.join(", ")
    );
    let mut query = sqlx::query(&sql);
    for c in canonical {
        query = query.bind(*c);
    }
    let mut found: Vec<(String, Reference)> = Vec::new();
    for row in query.fetch_all(&mut *conn).await? {
        let url: String = row.try_get("canonical")?;
        if !found.iter().any(|(u, _)| *u == url) {
            found.push((url, required(&row, "reference")?));
        }
    }
    Ok(found)
}

/// Count one more report linked to `reference`.
///
/// # Errors
///
/// The database failed.
pub async fn count_duplicate(conn: &mut AnyConnection, reference: &Reference) -> Result<()> {
    sqlx::query("UPDATE reports SET duplicate_count = duplicate_count + 1 WHERE reference = $1")
        .bind(reference.as_str())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The report `reference`, with its URLs.
///
/// # Errors
///
/// [`ErrorKind::NotFound`] when there is none; the database failed.
pub async fn load_report(conn: &mut AnyConnection, reference: &Reference) -> Result<Report> {
    let row = sqlx::query("SELECT * FROM reports WHERE reference = $1")
        .bind(reference.as_str())
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| Error::new(ErrorKind::NotFound, format!("no report {reference}")))?;
    let proposed = row
        .try_get::<Option<String>, _>("proposal")?
        .map(|p| serde_json::from_str::<Decision>(&p))
        .transpose()
        .map_err(|e| Error::new(ErrorKind::Storage, format!("stored assessment: {e}")))?;
    let mut report = Report {
        reference: reference.clone(),
        category: required(&row, "category")?,
        source: required(&row, "source")?,
        description: row.try_get("description")?,
        has_email: row.try_get::<Option<String>, _>("email")?.is_some(),
        status: required(&row, "status")?,
        outcome: parsed(&row, "outcome")?,
        received_at: time(&row, "received_at")?.unwrap_or_default(),
        decided_at: time(&row, "decided_at")?,
        listed_at: time(&row, "listed_at")?,
        locked_by: row.try_get("locked_by")?,
        locked_until: time(&row, "locked_until")?,
        assessed_by: row.try_get("assessed_by")?,
        proposed,
        confirmed_by: row.try_get("confirmed_by")?,
        notified_at: time(&row, "notified_at")?,
        removed_at: time(&row, "removed_at")?,
        still_online_at: time(&row, "still_online_at")?,
        duplicate_count: count(&row, "duplicate_count")?,
        urls: Vec::new(),
    };
    let rows = sqlx::query("SELECT * FROM report_urls WHERE reference = $1 ORDER BY position")
        .bind(reference.as_str())
        .fetch_all(&mut *conn)
        .await?;
    for u in rows {
        let listed: String = u.try_get("already_listed")?;
        report.urls.push(ReportUrl {
            given: u.try_get("given")?,
            canonical: u.try_get("canonical")?,
            host: u.try_get("host")?,
            country: u.try_get("country")?,
            duplicate_of: parsed(&u, "duplicate_of")?,
            already_listed: serde_json::from_str(&listed)
                .map_err(|e| Error::new(ErrorKind::Storage, format!("stored lists: {e}")))?,
        });
    }
    Ok(report)
}

/// Open reports, oldest first. A lock that expired before `now` is shown
/// as no lock.
///
/// # Errors
///
/// The database failed.
pub async fn open_queue(pool: &AnyPool, now: Timestamp) -> Result<Vec<QueueItem>> {
    let rows = sqlx::query(
        "SELECT r.reference, r.category, r.status, r.received_at, r.locked_by, r.locked_until,
                r.assessed_by, r.duplicate_count,
                (SELECT COUNT(*) FROM report_urls u WHERE u.reference = r.reference) AS urls
         FROM reports r WHERE r.status <> 'closed' ORDER BY r.received_at, r.reference",
    )
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            let until = time(row, "locked_until")?;
            let locked_by: Option<String> = row.try_get("locked_by")?;
            Ok(QueueItem {
                reference: required(row, "reference")?,
                category: required(row, "category")?,
                status: required(row, "status")?,
                received_at: time(row, "received_at")?.unwrap_or_default(),
                urls: count(row, "urls")?,
                locked_by: locked_by.filter(|_| until.is_some_and(|u| u >= now)),
                assessed_by: row.try_get("assessed_by")?,
                duplicate_count: count(row, "duplicate_count")?,
            })
        })
        .collect()
}

/// Write `report`'s workflow fields if the stored report is still in
/// state `expected`; returns whether it was.
///
/// # Errors
///
/// The database failed.
pub async fn transition(
    conn: &mut AnyConnection,
    report: &Report,
    expected: Status,
) -> Result<bool> {
    let proposal = report
        .proposed
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| Error::new(ErrorKind::Storage, format!("encoding an assessment: {e}")))?;
    let done = sqlx::query(
        "UPDATE reports SET status = $1, outcome = $2, decided_at = $3, listed_at = $4,
            locked_by = $5, locked_until = $6, assessed_by = $7, proposal = $8, confirmed_by = $9,
            notified_at = $10, removed_at = $11, still_online_at = $12
         WHERE reference = $13 AND status = $14",
    )
    .bind(report.status.as_str())
    .bind(report.outcome.map(Outcome::as_str))
    .bind(opt_secs(report.decided_at))
    .bind(opt_secs(report.listed_at))
    .bind(report.locked_by.as_deref())
    .bind(opt_secs(report.locked_until))
    .bind(report.assessed_by.as_deref())
    .bind(proposal)
    .bind(report.confirmed_by.as_deref())
    .bind(opt_secs(report.notified_at))
    .bind(opt_secs(report.removed_at))
    .bind(opt_secs(report.still_online_at))
    .bind(report.reference.as_str())
    .bind(expected.as_str())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Correct the country of URL `position` of `reference`.
///
/// # Errors
///
/// [`ErrorKind::NotFound`] for no such URL; the database failed.
pub async fn set_country(
    conn: &mut AnyConnection,
    reference: &Reference,
    position: usize,
    country: Option<&str>,
) -> Result<()> {
    let done =
        sqlx::query("UPDATE report_urls SET country = $1 WHERE reference = $2 AND position = $3")
            .bind(country)
            .bind(reference.as_str())
            .bind(i64::try_from(position).unwrap_or(i64::MAX))
            .execute(&mut *conn)
            .await?;
    if done.rows_affected() == 1 {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::NotFound,
            format!("{reference} has no URL {position}"),
        ))
    }
}

/// Delete e-mail addresses kept past their date; returns how many.
///
/// # Errors
///
/// The database failed.
pub async fn delete_expired_emails(conn: &mut AnyConnection, now: Timestamp) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE reports SET email = NULL, email_until = NULL WHERE email IS NOT NULL AND email_until <= $1",
    )
    .bind(secs(now))
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}

/// Anonymise the URLs and description of reports closed before `before`;
/// their counts, outcome, times and countries stay. Returns how many
/// reports.
///
/// # Errors
///
/// The database failed.
pub async fn anonymise_closed(conn: &mut AnyConnection, before: Timestamp) -> Result<u64> {
    sqlx::query(
        "UPDATE report_urls SET given = 'anonymised', canonical = 'anonymised', host = 'anonymised'
         WHERE reference IN (SELECT reference FROM reports
                             WHERE status = 'closed' AND anonymised = 0 AND decided_at < $1)",
    )
    .bind(secs(before))
    .execute(&mut *conn)
    .await?;
    let done = sqlx::query(
        "UPDATE reports SET anonymised = 1, description = '', email = NULL, email_until = NULL
         WHERE status = 'closed' AND anonymised = 0 AND decided_at < $1",
    )
    .bind(secs(before))
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}

/// One report as the statistics see it.
#[derive(Debug, Clone)]
pub struct StatsRow {
    /// The reporter's category.
    pub category: Category,
    /// Who sent it.
    pub source: Source,
    /// How it was decided.
    pub outcome: Option<Outcome>,
    /// When it arrived.
    pub received_at: Timestamp,
    /// When it was decided.
    pub decided_at: Option<Timestamp>,
    /// When it was listed.
    pub listed_at: Option<Timestamp>,
    /// When the host was notified.
    pub notified_at: Option<Timestamp>,
    /// When the content was removed.
    pub removed_at: Option<Timestamp>,
    /// Linked later reports.
    pub duplicate_count: u32,
    /// Its URLs' countries (`None`: unknown).
    pub countries: Vec<Option<String>>,
}

/// The reports received in `[from, to)`, for the statistics.
///
/// # Errors
///
/// The database failed.
pub async fn stats_rows(pool: &AnyPool, from: Timestamp, to: Timestamp) -> Result<Vec<StatsRow>> {
    let rows = sqlx::query(
        "SELECT reference, category, source, outcome, received_at, decided_at, listed_at,
                notified_at, removed_at, duplicate_count
         FROM reports WHERE received_at >= $1 AND received_at < $2 ORDER BY received_at, reference",
    )
    .bind(secs(from))
    .bind(secs(to))
    .fetch_all(pool)
    .await?;
    let country_rows = sqlx::query(
        "SELECT u.reference AS reference, u.country AS country FROM report_urls u
         JOIN reports r ON r.reference = u.reference
         WHERE r.received_at >= $1 AND r.received_at < $2 ORDER BY u.reference, u.position",
    )
    .bind(secs(from))
    .bind(secs(to))
    .fetch_all(pool)
    .await?;
    let mut countries: std::collections::HashMap<String, Vec<Option<String>>> =
        std::collections::HashMap::new();
    for r in &country_rows {
        countries
            .entry(r.try_get("reference")?)
            .or_default()
            .push(r.try_get("country")?);
    }
    rows.iter()
        .map(|row| {
            let reference: String = row.try_get("reference")?;
            Ok(StatsRow {
                category: required(row, "category")?,
                source: required(row, "source")?,
                outcome: parsed(row, "outcome")?,
                received_at: time(row, "received_at")?.unwrap_or_default(),
                decided_at: time(row, "decided_at")?,
                listed_at: time(row, "listed_at")?,
                notified_at: time(row, "notified_at")?,
                removed_at: time(row, "removed_at")?,
                duplicate_count: count(row, "duplicate_count")?,
                countries: countries.remove(&reference).unwrap_or_default(),
            })
        })
        .collect()
}

/// The reporter's e-mail address of `reference`, if still held.
///
/// # Errors
///
/// The database failed.
pub async fn email_of(conn: &mut AnyConnection, reference: &Reference) -> Result<Option<String>> {
    Ok(
        sqlx::query("SELECT email FROM reports WHERE reference = $1")
            .bind(reference.as_str())
            .fetch_optional(&mut *conn)
            .await?
            .map(|r| r.try_get::<Option<String>, _>("email"))
            .transpose()?
            .flatten(),
    )
}

/// Delete the reporter's e-mail address of `reference`; whether one was held.
///
/// # Errors
///
/// The database failed.
pub async fn delete_email(conn: &mut AnyConnection, reference: &Reference) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE reports SET email = NULL, email_until = NULL WHERE reference = $1 AND email IS NOT NULL",
    )
    .bind(reference.as_str())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
