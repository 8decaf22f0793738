//! Storage over SQLite (one file, the default) or PostgreSQL (a
//! `postgres://` URL), through sqlx's `Any` driver: one set of queries,
//! runtime-checked, so building needs no database.
//!
//! Writes go through [`Store::write`]: one transaction at a time per desk
//! process (a mutex in front of the pool), so SQLite never has to upgrade
//! a reader to a writer mid-transaction and PostgreSQL sees no lost
//! updates. Every state change is a conditional `UPDATE … WHERE status =`
//! whose row count says whether the report was still in the state the
//! caller saw.

mod audit;
mod reports;
mod schema;
mod users;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, Row};
use std::str::FromStr;
use std::sync::Arc;
use tokio::sync::{Mutex, OwnedMutexGuard};

pub use audit::{append as append_audit, read as read_audit};
pub use reports::{
    NewReportRow, NewUrlRow, StatsRow, anonymise_closed, count_duplicate, delete_email,
    delete_expired_emails, email_of, find_open_with_urls, insert_report, load_report, open_queue,
    set_country, stats_rows, transition,
};
pub use schema::Backend;
pub use users::{
    StoredUser, add_user, count_users, login_failed, login_succeeded, user_by_name,
    user_by_token_hash,
};

use crate::error::{Error, ErrorKind, Result};

/// The database, its backend, and the one-writer gate.
#[derive(Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    writer: Arc<Mutex<()>>,
}

/// A write transaction, holding the writer gate until it ends: committed
/// by [`Write::commit`], rolled back when dropped — and the gate is
/// released only after the rollback, so the next writer never meets the
/// locks of an abandoned transaction (SQLite would answer it "database is
/// locked" at once instead of waiting).
pub struct Write<'a> {
    tx: Option<sqlx::Transaction<'static, sqlx::Any>>,
    gate: Option<OwnedMutexGuard<()>>,
    _store: std::marker::PhantomData<&'a Store>,
}

impl Write<'_> {
    /// The connection to run statements on.
    pub fn conn(&mut self) -> &mut AnyConnection {
        self.tx
            .as_deref_mut()
            .expect("a Write holds its transaction until it is committed or dropped")
    }

    /// Commit.
    ///
    /// # Errors
    ///
    /// The database refused the commit; nothing was stored.
    pub async fn commit(mut self) -> Result<()> {
        if let Some(tx) = self.tx.take() {
            tx.commit().await?;
        }
        Ok(())
    }
}

impl Drop for Write<'_> {
    fn drop(&mut self) {
        if let Some(tx) = self.tx.take() {
            let gate = self.gate.take();
            // Roll back before the next writer may start (drop cannot
            // await: the runtime finishes it, holding the gate).
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(async move {
                    let _ = tx.rollback().await;
                    drop(gate);
                });
            }
        }
    }
}

impl Store {
    /// Connect to `url` and bring the schema up to date.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`] for a URL that is neither `sqlite:` nor
    /// `postgres:`; [`ErrorKind::Storage`] when the database cannot be
    /// reached or a migration fails (nothing of that migration is kept).
    pub async fn open(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(Error::new(
                ErrorKind::Config,
                "database: expected a sqlite:// or postgres:// URL",
            ));
        };
        let options = AnyConnectOptions::from_str(url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(std::time::Duration::from_secs(10))
            .connect_with(options)
            .await?;
        let store = Store {
            pool,
            backend,
            writer: Arc::new(Mutex::new(())),
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool, for reads.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Start a write transaction (waits for the one before to end).
    ///
    /// # Errors
    ///
    /// The database cannot start a transaction.
    pub async fn write(&self) -> Result<Write<'_>> {
        let gate = Arc::clone(&self.writer).lock_owned().await;
        let tx = self.pool.begin().await?;
        Ok(Write {
            tx: Some(tx),
            gate: Some(gate),
            _store: std::marker::PhantomData,
        })
    }

    async fn migrate(&self) -> Result<()> {
        if self.backend == Backend::Sqlite {
            // Readers never wait for the writer; survives restarts.
            sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&self.pool)
                .await?;
        }
        let mut w = self.write().await?;
        if self.backend == Backend::Postgres {
            // Two desks starting on one database migrate one after the other.
            sqlx::query("SELECT pg_advisory_xact_lock(7291001)")
                .execute(w.conn())
                .await?;
        }
        sqlx::query("CREATE TABLE IF NOT EXISTS desk_schema (version BIGINT NOT NULL)")
            .execute(w.conn())
            .await?;
        let current: i64 = sqlx::query("SELECT COALESCE(MAX(version), 0) AS v FROM desk_schema")
            .fetch_one(w.conn())
            .await?
            .try_get("v")?;
        for m in schema::MIGRATIONS.iter().filter(|m| m.version > current) {
            let statements = match self.backend {
                Backend::Sqlite => m.sqlite,
                Backend::Postgres => m.postgres,
            };
            for s in statements {
                sqlx::query(s).execute(w.conn()).await?;
            }
            sqlx::query("INSERT INTO desk_schema (version) VALUES ($1)")
                .bind(m.version)
                .execute(w.conn())
                .await?;
        }
        let newest = schema::MIGRATIONS.last().map_or(0, |m| m.version);
        if current > newest {
            return Err(Error::new(
                ErrorKind::Config,
                format!(
                    "the database's schema is version {current}, newer than this desk knows ({newest}): upgrade hashwall"
                ),
            ));
        }
        w.commit().await
    }
}
