//! A desk per test, on SQLite (always) and on PostgreSQL (when
//! `HASHWALL_DESK_POSTGRES_URL` names a server; required when
//! `HASHWALL_REQUIRE_PEERS=1`). Each PostgreSQL test gets its own database.

#![allow(dead_code)]

use std::path::Path;

use hashwall_desk::{Desk, DeskConfig};
use sqlx::Connection as _;

/// The backends to run each case against: (name, database URL or empty).
pub async fn backends() -> Vec<(&'static str, String)> {
    let mut out = vec![("sqlite", String::new())];
    match std::env::var("HASHWALL_DESK_POSTGRES_URL") {
        Ok(base) if !base.is_empty() => out.push(("postgres", fresh_database(&base).await)),
        _ if std::env::var("HASHWALL_REQUIRE_PEERS").as_deref() == Ok("1") => {
            panic!(
                "HASHWALL_REQUIRE_PEERS=1 but HASHWALL_DESK_POSTGRES_URL is not set (.ci/postgres.sh)"
            )
        }
        _ => eprintln!("PostgreSQL skipped: HASHWALL_DESK_POSTGRES_URL is not set"),
    }
    out
}

/// A new, empty database on the server of `base`; its URL.
async fn fresh_database(base: &str) -> String {
    sqlx::any::install_default_drivers();
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).expect("random");
    let name = format!("desk_{}", hashwall::lists::hex::encode(&bytes));
    let mut conn = sqlx::AnyConnection::connect(base)
        .await
        .expect("connect to PostgreSQL");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create database");
    let (head, tail) = base.split_once('?').unwrap_or((base, ""));
    let head = head.rsplit_once('/').map_or(head, |(h, _)| h);
    format!("{head}/{name}?{tail}")
}

/// A configuration in `dir` on `database` (empty: SQLite in `dir`).
pub fn config(dir: &Path, database: &str) -> DeskConfig {
    DeskConfig {
        data_dir: dir.join("desk"),
        database: database.to_owned(),
        issuer: "Meldpunt".into(),
        jurisdiction: "NL".into(),
        resolve_hosts: false,
        ..DeskConfig::default()
    }
}

/// Open a desk with analysts `ann`, `bob` and supervisor `sue`; returns
/// the desk and the three API tokens.
pub async fn desk_with_staff(config: &DeskConfig) -> (Desk, [String; 3]) {
    use hashwall_desk::model::Role;
    let desk = Desk::open(config).await.expect("open desk");
    let pw = "a long enough password";
    let a = desk.add_user("ann", Role::Analyst, pw).await.expect("ann");
    let b = desk.add_user("bob", Role::Analyst, pw).await.expect("bob");
    let s = desk
        .add_user("sue", Role::Supervisor, pw)
        .await
        .expect("sue");
    (desk, [a, b, s])
}
