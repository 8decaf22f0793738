//! hashwall: match URLs and images against partners' blocklists.
//!
//! Lists from many issuers (police, hotlines, partners in other countries)
//! compile into one immutable [`Snapshot`]. Checking a URL canonicalises it
//! as Google Safe Browsing does, looks up every host-suffix × path-prefix
//! expression, and returns a [`Verdict`]: the action (block, monitor, allow,
//! no match) and every [`Match`] with the list, issuer, jurisdiction,
//! category, entry kind and reference that caused it. An [`Engine`] swaps
//! snapshots atomically so that lists can be replaced under load.
//!
//! ```
//! use hashwall::{Action, Snapshot};
//! use hashwall::lists::List;
//!
//! let iwf = List::from_text(b"# issuer: IWF\n# jurisdiction: GB\nurl-prefix evil.example/a/ R1\n", "iwf")?;
//! let fix = List::from_text(b"# issuer: local\n# policy: allow\nurl evil.example/a/ok.html\n", "fix")?;
//! let snap = Snapshot::builder()
//!     .add_list(&iwf, &Default::default())?
//!     .add_list(&fix, &Default::default())?
//!     .build();
//! assert_eq!(snap.check_url("http://evil.example/a/x.jpg")?.action(), Action::Block);
//! // The allow list corrects a false positive: allow beats block.
//! let v = snap.check_url("https://EVIL.example/a/ok.html")?;
//! assert_eq!(v.action(), Action::Allow);
//! assert_eq!(v.matches().len(), 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The engine does no network I/O and needs no async runtime. It re-exports
//! the list crate as [`lists`], so one dependency is enough.
//!
//! | module | what |
//! |---|---|
//! | [`Engine`] (`engine`) | the current [`Snapshot`], swapped atomically; `check_url`, `check_image`, `check_hash` |
//! | [`Snapshot`] (`snapshot`) | lists compiled into one immutable matcher: the builder, [`ListConfig`], [`ListInfo`], URL and image checks |
//! | [`Verdict`] (`verdict`) | the action and every [`Match`] with its list, reference, distance and variant |
//! | [`url`] | Safe Browsing canonicalisation and expressions |
//! | [`image`] | decoding within limits; PDQ, pHash, dHash and file digests as typed [`HashValue`]s |
//! | [`index`] | the Hamming index (PDQ, 64-bit hashes) and the host filter; the URL key table is private |
//! | [`lint`] | catching over-blocking before a list ships (public suffixes, never-block, coverage) |
//! | [`lists`] | the list crate `hashwall-lists`: the model, text format, signatures, trust, exchange |
//! | [`Error`] (`error`) | the one opaque error type, classified by [`ErrorKind`] |
//!
//! `engine/DESIGN.md` explains the data flow and the choices behind each
//! module.
#![deny(missing_docs)]

#[doc(hidden)]
pub mod conformance;
mod engine;
mod error;
pub mod image;
pub mod index;
pub mod lint;
mod snapshot;
pub mod url;
mod verdict;

/// The list crate (`hashwall-lists`): the list model, text format,
/// signatures, trust store, deltas and exchange formats.
pub use hashwall_lists as lists;

pub use engine::Engine;
pub use error::{Error, ErrorKind, ImageErrorKind, UrlErrorKind};
pub use image::HashValue;
pub use snapshot::adder::ListAdder;
pub use snapshot::{
    BuildStats, DEFAULT_HASH64_MAX_DISTANCE, DEFAULT_MIN_QUALITY, DEFAULT_PDQ_MAX_DISTANCE,
    ListConfig, ListInfo, MAX_HASH64_DISTANCE, MAX_PDQ_DISTANCE, Snapshot, SnapshotBuilder,
};
pub use verdict::{Action, Match, SkipReason, Skipped, Verdict};

/// The README's Rust example, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
mod readme {}
