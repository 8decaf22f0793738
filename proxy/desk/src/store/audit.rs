//! The desk's audit trail: who did what to which report, when. Rows are
//! only ever appended.

use hashwall::lists::Timestamp;
use sqlx::{AnyConnection, AnyPool, Row};

use crate::error::Result;
use crate::model::{AuditEvent, Reference};

/// Append one event (inside the transaction of the change it records).
///
/// # Errors
///
/// The database failed.
pub async fn append(
    conn: &mut AnyConnection,
    at: Timestamp,
    actor: &str,
    action: &str,
    reference: Option<&Reference>,
    detail: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit (at, actor, action, reference, detail) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(at.unix_seconds())
    .bind(actor)
    .bind(action)
    .bind(reference.map(Reference::as_str))
    .bind(detail)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The newest `limit` events, of one report or of all, newest first.
///
/// # Errors
///
/// The database failed, or a stored reference is malformed.
pub async fn read(
    pool: &AnyPool,
    reference: Option<&Reference>,
    limit: u32,
) -> Result<Vec<AuditEvent>> {
    let rows = match reference {
        Some(r) => {
            sqlx::query("SELECT * FROM audit WHERE reference = $1 ORDER BY id DESC LIMIT $2")
                .bind(r.as_str())
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?
        }
        None => {
            sqlx::query("SELECT * FROM audit ORDER BY id DESC LIMIT $1")
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?
        }
    };
    rows.iter()
        .map(|row| {
            Ok(AuditEvent {
                at: Timestamp::from_unix_seconds(row.try_get("at")?),
                actor: row.try_get("actor")?,
                action: row.try_get("action")?,
                reference: row
                    .try_get::<Option<String>, _>("reference")?
                    .map(|s| s.parse())
                    .transpose()?,
                detail: row.try_get("detail")?,
            })
        })
        .collect()
}
