//! Staff accounts: password hashes, API token hashes, failed logins.

use hashwall::lists::Timestamp;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AnyPool, Row};

use crate::error::{Error, ErrorKind, Result};
use crate::model::{Role, User};

/// An account as stored.
#[derive(Debug, Clone)]
pub struct StoredUser {
    /// Name and role.
    pub user: User,
    /// The argon2id PHC string.
    pub password_hash: String,
    /// Failed logins since the last success.
    pub failed_logins: u32,
    /// Locked out until then, after too many failures.
    pub locked_until: Option<Timestamp>,
}

fn stored(row: &AnyRow) -> Result<StoredUser> {
    let role: String = row.try_get("role")?;
    Ok(StoredUser {
        user: User {
            name: row.try_get("name")?,
            role: role.parse::<Role>()?,
        },
        password_hash: row.try_get("password_hash")?,
        failed_logins: u32::try_from(row.try_get::<i64, _>("failed_logins")?.max(0))
            .unwrap_or(u32::MAX),
        locked_until: row
            .try_get::<Option<i64>, _>("locked_until")?
            .map(Timestamp::from_unix_seconds),
    })
}

/// Create an account.
///
/// # Errors
///
/// [`ErrorKind::Conflict`] when the name is taken; the database failed.
pub async fn add_user(
    conn: &mut AnyConnection,
    user: &User,
    password_hash: &str,
    token_hash: &str,
    now: Timestamp,
) -> Result<()> {
    let taken = sqlx::query("SELECT name FROM users WHERE name = $1")
        .bind(&user.name)
        .fetch_optional(&mut *conn)
        .await?;
    if taken.is_some() {
        return Err(Error::new(
            ErrorKind::Conflict,
            format!("there is a user {:?} already", user.name),
        ));
    }
    sqlx::query(
        "INSERT INTO users (name, role, password_hash, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&user.name)
    .bind(user.role.as_str())
    .bind(password_hash)
    .bind(token_hash)
    .bind(now.unix_seconds())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The account `name`, if any.
///
/// # Errors
///
/// The database failed.
pub async fn user_by_name(pool: &AnyPool, name: &str) -> Result<Option<StoredUser>> {
    sqlx::query("SELECT * FROM users WHERE name = $1")
        .bind(name)
        .fetch_optional(pool)
        .await?
        .map(|r| stored(&r))
        .transpose()
}

/// The account whose API token hashes to `token_hash`, if any.
///
/// # Errors
///
/// The database failed.
pub async fn user_by_token_hash(pool: &AnyPool, token_hash: &str) -> Result<Option<User>> {
    sqlx::query("SELECT * FROM users WHERE token_hash = $1")
        .bind(token_hash)
        .fetch_optional(pool)
        .await?
        .map(|r| stored(&r).map(|s| s.user))
        .transpose()
}

/// Count a failed login; lock the account until `lock_until` when this
/// failure reaches `max_failures`.
///
/// # Errors
///
/// The database failed.
pub async fn login_failed(
    conn: &mut AnyConnection,
    name: &str,
    max_failures: u32,
    lock_until: Timestamp,
) -> Result<()> {
    sqlx::query(
        "UPDATE users SET failed_logins = failed_logins + 1,
            locked_until = CASE WHEN failed_logins + 1 >= $1 THEN $2 ELSE locked_until END
         WHERE name = $3",
    )
    .bind(i64::from(max_failures))
    .bind(lock_until.unix_seconds())
    .bind(name)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Clear the failure count after a successful login.
///
/// # Errors
///
/// The database failed.
pub async fn login_succeeded(conn: &mut AnyConnection, name: &str) -> Result<()> {
    sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE name = $1")
        .bind(name)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// How many accounts there are.
///
/// # Errors
///
/// The database failed.
pub async fn count_users(pool: &AnyPool) -> Result<u64> {
    let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM users")
        .fetch_one(pool)
        .await?
        .try_get("n")?;
    Ok(u64::try_from(n).unwrap_or(0))
}
