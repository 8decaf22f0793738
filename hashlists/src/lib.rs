//! `hashwall-lists`: the blocklist data model shared by the hashwall engine
//! and proxy.
//!
//! A [`List`] is one issuer's list (the IWF URL list, a hotline's hash list,
//! a local allow list...): [`ListMeta`] says who issued it, where it applies,
//! what it covers and what to do on a match; [`Entry`]s are URLs, domains or
//! hashes. Lists are stored in a line-oriented text format (see `FORMAT.md`)
//! read by [`List::from_text`] / [`List::read_file`] and written by
//! [`List::to_text`] / [`List::write_text`].
//!
//! This crate validates but does not canonicalise URLs; the engine does.
//!
//! ```
//! use hashwall_lists::{Category, EntryKind, Jurisdiction, List, Policy};
//!
//! let text = "\
//! ## hashwall-list: 1
//! ## id: iwf-urls
//! ## issuer: IWF
//! ## jurisdiction: GB
//! ## category: csam
//! ## created: 2024-05-01T12:00:00Z
//! url-prefix example.invalid/bad/ case 1234
//! sha1 DA39A3EE5E6B4B0D3255BFEF95601890AFD80709
//! ";
//! let list = List::from_text(text.as_bytes(), "fallback")?;
//! assert_eq!(list.meta.id, "iwf-urls");
//! assert_eq!(list.meta.jurisdiction, "GB".parse::<Jurisdiction>()?);
//! assert_eq!(list.meta.category, Category::Csam);
//! assert_eq!(list.meta.policy, Policy::Block); // default
//! assert_eq!(list.entries[0].kind, EntryKind::UrlPrefix);
//! assert_eq!(list.entries[0].reference.as_deref(), Some("case 1234"));
//! assert_eq!(list.entries[1].value, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
//!
//! // Writing and reading back gives the same list.
//! assert_eq!(List::from_text(list.to_text().as_bytes(), "x")?, list);
//!
//! // Errors say where.
//! let err = List::from_text(b"md5 abc\n", "demo").unwrap_err();
//! assert_eq!(err.kind(), hashwall_lists::ErrorKind::InvalidValue);
//! assert_eq!(err.to_string(), "line 1: md5 value must be 32 hex digits, got 3");
//! # Ok::<(), hashwall_lists::Error>(())
//! ```
//!
//! Lists are signed by their issuer ([`List::sign`], ed25519 over a
//! canonical form) and checked against a [`TrustStore`] of the keys each
//! issuer may use ([`List::verify`]); every front end reads list files
//! through one [`Loader`] (trust store, rollback floor, expiry policy).
//! [`Delta`]s move a list from one sequence to the next, [`write_atomic`]
//! replaces files crash-safely, [`audit`] keeps a hash-chained log of every
//! change and [`change`] orders the two so a crash never leaves a change
//! unlogged ([`change::Edit`]: the list-edit transaction). [`publication`]
//! publishes versions for subscribers and plans their catch-up. `FORMAT.md`
//! specifies every file format so partners can interoperate without this
//! crate.
//!
//! | module | what |
//! |---|---|
//! | [`List`], [`Entry`], [`ListMeta`] (`model`, `text`) | the data model and its text format |
//! | [`EntryKind`], [`Jurisdiction`], [`Timestamp`] | value types with their validation |
//! | [`Clock`] | the one clock (`HASHWALL_NOW` read here only) |
//! | [`hex`] | the one hex codec of the workspace |
//! | [`PublicKey`], [`SecretKey`], [`Signature`] (`key`) | keys, key files, signatures |
//! | `sign` | the canonical form that is signed; [`List::sign`] |
//! | [`TrustStore`], [`TrustFile`] (`trust`) | who may sign for whom; editing a store file |
//! | [`load`] | verified loading: [`Loader`], [`RollbackFloor`] |
//! | [`EntrySink`] (`load_stream`) | verified loading as a stream: [`Loader::load_streamed`] |
//! | [`Delta`] (`delta`) | signed changes between sequences; [`apply_file`] |
//! | [`audit`], [`change`], [`atomic`] | the audit log, write-ahead commits and [`change::Edit`], atomic files |
//! | [`publication`] | manifests, publishing, pruning, the catch-up planner |
//! | [`exchange`] | foreign formats: imports, exports, the portable Bloom filter |
//!
//! Module dependencies point one way (`error` ← values ← `model` ← `text`
//! / `sign` ← `trust` ← `load`, `delta` ← `change` ← `publication`); no two
//! modules import each other.
//!
//! ```
//! use hashwall_lists::{ErrorKind, List, SecretKey, Timestamp, TrustStore, TrustedKey};
//!
//! let key = SecretKey::from_seed(&[1; 32]); // SecretKey::generate() in real use
//! let mut trust = TrustStore::new();
//! trust.add(TrustedKey {
//!     issuer: "IWF".into(),
//!     key: key.public_key(),
//!     not_before: None,
//!     not_after: None,
//! });
//! let mut list = List::from_text(b"# issuer: IWF\nurl-prefix example.invalid/bad/ 1234\n", "iwf")?;
//! list.sign(&key);
//! let text = list.to_text();
//! let now = Timestamp::now();
//! let back = List::from_text(text.as_bytes(), "iwf")?;
//! assert_eq!(back.verify(&trust, now)?.key_id, key.public_key().key_id());
//!
//! let forged = List::from_text(text.replace("bad/", "other/").as_bytes(), "iwf")?;
//! assert_eq!(forged.verify(&trust, now).unwrap_err().kind(), ErrorKind::BadSignature);
//! # Ok::<(), hashwall_lists::Error>(())
//! ```
#![deny(missing_docs)]

pub mod atomic;
pub mod audit;
pub mod change;
mod clock;
mod delta;
mod error;
pub mod exchange;
pub mod hex;
mod jurisdiction;
mod key;
mod kind;
pub mod load;
mod load_stream;
mod model;
pub mod publication;
mod sign;
mod text;
mod time;
mod trust;

pub use atomic::write_atomic;
pub use audit::{AuditOp, AuditRecord, audit_path};
pub use change::{Agreement, AuditCheck, Change, Committed, commit_change};
pub use clock::Clock;
pub use delta::{Applied, Delta, apply_file};
pub use error::{Error, ErrorKind};
pub use jurisdiction::Jurisdiction;
pub use key::{KeyId, PublicKey, SecretKey, Signature};
pub use kind::{EntryKind, MAX_URL_LEN};
pub use load::{
    ExpiredPolicy, LoadOptions, Loaded, Loader, NoFloor, RollbackFloor, Verification, check_list,
    load_verified, load_verified_then,
};
pub use load_stream::{Built, EntrySink, Streamed};
pub use model::{Category, Entry, List, ListMeta, MAX_CATEGORY_LEN, MAX_ID_LEN, Policy};
pub use sign::{DELTA_DOMAIN, LIST_DOMAIN};
pub use text::{FORMAT_VERSION, MAX_LINE_LEN};
pub use time::Timestamp;
pub use trust::{MAX_CLOCK_SKEW_SECS, TrustFile, TrustStore, TrustedKey, Verified, trust_line};
