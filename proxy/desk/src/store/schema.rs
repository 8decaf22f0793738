//! The schema, as numbered migrations with one text per backend.
//!
//! Both backends get the same tables and columns; only the auto-numbered
//! key of the audit trail is spelled differently. Timestamps are Unix
//! seconds (`BIGINT`), flags are `0`/`1`, JSON goes in `TEXT` columns.

/// Which database the desk runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// One file, the default.
    Sqlite,
    /// A `postgres://` URL.
    Postgres,
}

/// One schema step: its number and its statements for each backend.
pub(crate) struct Migration {
    pub version: i64,
    pub sqlite: &'static [&'static str],
    pub postgres: &'static [&'static str],
}

const REPORTS: &str = "CREATE TABLE reports (
    reference TEXT PRIMARY KEY,
    category TEXT NOT NULL,
    source TEXT NOT NULL,
    description TEXT NOT NULL,
    email TEXT,
    email_until BIGINT,
    status TEXT NOT NULL,
    outcome TEXT,
    received_at BIGINT NOT NULL,
    decided_at BIGINT,
    listed_at BIGINT,
    locked_by TEXT,
    locked_until BIGINT,
    assessed_by TEXT,
    proposal TEXT,
    confirmed_by TEXT,
    notified_at BIGINT,
    removed_at BIGINT,
    still_online_at BIGINT,
    duplicate_count BIGINT NOT NULL DEFAULT 0,
    anonymised BIGINT NOT NULL DEFAULT 0
)";
const REPORTS_QUEUE: &str = "CREATE INDEX reports_queue ON reports (status, received_at)";
const REPORT_URLS: &str = "CREATE TABLE report_urls (
    reference TEXT NOT NULL REFERENCES reports (reference),
    position BIGINT NOT NULL,
    given TEXT NOT NULL,
    canonical TEXT NOT NULL,
    host TEXT NOT NULL,
    country TEXT,
    duplicate_of TEXT,
    already_listed TEXT NOT NULL,
    PRIMARY KEY (reference, position)
)";
const REPORT_URLS_CANONICAL: &str = "CREATE INDEX report_urls_canonical ON report_urls (canonical)";
const USERS: &str = "CREATE TABLE users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    failed_logins BIGINT NOT NULL DEFAULT 0,
    locked_until BIGINT,
    created_at BIGINT NOT NULL
)";
/// The audit table, with its auto-numbered key spelled as the backend
/// spells it (the only difference between the two schemas).
macro_rules! audit_table {
    ($key:literal) => {
        concat!(
            "CREATE TABLE audit (\n    id ",
            $key,
            ",\n    at BIGINT NOT NULL,\n    actor TEXT NOT NULL,\n    action TEXT NOT NULL,\n    reference TEXT,\n    detail TEXT NOT NULL\n)"
        )
    };
}
const AUDIT_REFERENCE: &str = "CREATE INDEX audit_reference ON audit (reference)";

/// Every migration, oldest first. Append; never edit a published one.
pub(crate) const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    sqlite: &[
        REPORTS,
        REPORTS_QUEUE,
        REPORT_URLS,
        REPORT_URLS_CANONICAL,
        USERS,
        audit_table!("INTEGER PRIMARY KEY AUTOINCREMENT"),
        AUDIT_REFERENCE,
    ],
    postgres: &[
        REPORTS,
        REPORTS_QUEUE,
        REPORT_URLS,
        REPORT_URLS_CANONICAL,
        USERS,
        audit_table!("BIGSERIAL PRIMARY KEY"),
        AUDIT_REFERENCE,
    ],
}];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_increase() {
        let mut last = 0;
        for m in MIGRATIONS {
            assert!(m.version > last);
            assert_eq!(m.sqlite.len(), m.postgres.len());
            last = m.version;
        }
    }
}
