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
//! use hashwall_lists::{List, Policy};
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
//! The engine does no network I/O and needs no async runtime.
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

pub use engine::Engine;
pub use error::{Error, ErrorKind, ImageErrorKind, UrlErrorKind};
pub use snapshot::{
    BuildStats, DEFAULT_HASH64_MAX_DISTANCE, DEFAULT_MIN_QUALITY, DEFAULT_PDQ_MAX_DISTANCE,
    HashValue, ListConfig, MAX_HASH64_DISTANCE, MAX_PDQ_DISTANCE, Snapshot, SnapshotBuilder,
};
pub use verdict::{Action, ListInfo, Match, SkipReason, Skipped, Verdict};
