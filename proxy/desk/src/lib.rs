//! The reporting desk behind `hashwall desk`: the public reports illicit
//! content, two analysts confirm it, the entry is signed and published to
//! every subscribed proxy and matching API, and statistics on alerts are
//! kept.
//!
//! Data flows one way: a public or partner report arrives ([`Desk::submit`]);
//! each URL is canonicalised by the engine, linked to an open report of the
//! same URL and checked against the lists already served ([`intake`]);
//! analysts open, assess and confirm it under the four-eyes rules
//! ([`workflow`]); a confirmed entry is added to the desk's own signed list
//! and published with its delta ([`publish`]); every step is stored with
//! an audit line ([`store`]) and counted ([`stats`]). The web pages and the
//! JSON API are a thin layer over [`Desk`].
//!
//! | module | what |
//! |---|---|
//! | [`model`] | references, categories, states, decisions, records |
//! | [`config`] | [`DeskConfig`]: every limit in one struct |
//! | [`store`] | SQLite or PostgreSQL through sqlx, migrations |
//! | [`intake`], [`geoip`] | canonical URLs, already-listed checks, host countries |
//! | [`workflow`] | the assessment rules as pure functions |
//! | [`publish`] | the desk's signed lists and their publication |
//! | [`stats`] | statistics on alerts |
//! | [`accounts`] | argon2 password hashes, API tokens |
//! | `desk` | [`Desk`], the handle over all of them |
#![deny(missing_docs)]
// Tests unwrap their own fixtures; the library never unwraps (clippy::unwrap_used).
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod accounts;
pub mod config;
mod desk;
pub mod error;
pub mod geoip;
pub mod intake;
pub mod model;
pub mod publish;
pub mod stats;
pub mod store;
pub mod web;
pub mod workflow;

pub use config::DeskConfig;
pub use desk::{Desk, RetentionDone};
pub use error::{Error, ErrorKind, Result};
