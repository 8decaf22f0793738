//! Publication: how an issuer publishes a list so that services can
//! subscribe to it, and how a subscriber catches up (`FORMAT.md`,
//! "Publication").
//!
//! One directory per list holds its signed full lists, its signed deltas
//! and a [`Manifest`] saying which is current; plain files, so any static
//! web server can serve them. This module does no network I/O:
//!
//! - [`publish`] / [`publish_file`] add a version (list, delta, manifest);
//! - [`prune`] removes what no subscriber of the last N versions needs;
//! - [`plan`] tells a subscriber what to fetch to catch up from its local
//!   copy, or why the manifest is refused ([`Refusal`]); fetching is the
//!   caller's (the `hashwall` binary does it over HTTPS).
//!
//! # Library use
//!
//! A reporting desk turns a confirmed report into a signed list entry and
//! publishes the new version, then a subscriber plans its catch-up —
//! without any command line:
//!
//! ```
//! use hashwall_lists::change::Edit;
//! use hashwall_lists::publication::{DeltaSource, Fetch, Local, Manifest, plan, publish};
//! use hashwall_lists::{Clock, Entry, EntryKind, ListMeta, SecretKey, TrustStore, TrustedKey};
//!
//! let dir = std::env::temp_dir().join(format!("hashwall-pub-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let (list_path, pub_dir) = (dir.join("desk.list"), dir.join("pub"));
//! let key = SecretKey::from_seed(&[9; 32]); // SecretKey::read_file in real use
//! let mut trust = TrustStore::new();
//! trust.add(TrustedKey { issuer: "Desk".into(), key: key.public_key(), not_before: None, not_after: None });
//! let now = Clock::System.now();
//!
//! // The desk's list, sequence 0, published.
//! let mut meta = ListMeta::with_defaults("desk");
//! meta.issuer = "Desk".into();
//! let v0 = Edit::create(&list_path, meta, now)?.signed_by(&key).commit()?;
//! publish(&pub_dir, &v0.list, DeltaSource::None, &trust, now)?;
//!
//! // A confirmed report: its URL with the report's reference, a new signed
//! // version (audit-logged write-ahead) and its delta, published.
//! let mut edit = Edit::open(&list_path, "add", now)?
//!     .signed_by(&key)
//!     .with_delta()
//!     .reason("report R-17 confirmed");
//! edit.add(Entry::new(EntryKind::UrlPrefix, "bad.example/gallery/", Some("R-17"))?)?;
//! let v1 = edit.commit()?;
//! let delta = v1.delta.as_ref().expect("a key signed a changed list");
//! let done = publish(&pub_dir, &v1.list, DeltaSource::Given(delta), &trust, now)?;
//! assert_eq!(done.delta_file.as_deref(), Some("delta-0-1.hwd"));
//!
//! // A subscriber at sequence 0 fetches just the delta.
//! let manifest = Manifest::from_text(&std::fs::read(done.dir.join("manifest"))?)?;
//! let catch_up = plan(Some(&Local::of(&v0.list.meta)), &manifest)?;
//! assert!(matches!(catch_up.fetch(), Fetch::Deltas(d) if d.len() == 1));
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod manifest;
mod plan;
mod prune;
mod publish;

pub use manifest::{DeltaRef, MAX_MANIFEST_BYTES, Manifest};
pub use plan::{CatchUp, Fetch, FullReason, Local, Refusal, plan};
pub use prune::{PrunePlan, Pruned, list_dirs, prune, prune_plan};
pub use publish::{DeltaSource, Published, publish, publish_file};

/// The manifest's file name in a list's directory.
pub const MANIFEST: &str = "manifest";

/// The file name of the full list at `sequence`.
pub fn list_file(sequence: u64) -> String {
    format!("list-{sequence}.hwl")
}

/// The file name of the delta `from` -> `to`.
pub fn delta_file(from: u64, to: u64) -> String {
    format!("delta-{from}-{to}.hwd")
}

/// Whether `name` may appear in a manifest and be served: a plain file
/// name of `[A-Za-z0-9._-]`, not hidden (temporary files are), at most 255
/// bytes. No separators, so no way out of the list's directory.
pub fn is_safe_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}
