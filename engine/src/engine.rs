//! The [`Engine`] handle: the current snapshot, swapped atomically.

use std::sync::Arc;

use arc_swap::ArcSwap;

use crate::image::DecodeLimits;
use crate::{Error, HashValue, Snapshot, Verdict};

/// A shared handle on the current [`Snapshot`].
///
/// Readers load the current snapshot without locking or waiting (an
/// `arc-swap` pointer); a writer builds a new snapshot off the request path
/// and swaps it in. A check that started on the old snapshot finishes on it.
/// `Engine` is `Send + Sync` and needs no async runtime: share it in an
/// `Arc` between threads.
///
/// ```
/// use hashwall::lists::{EntryKind, List};
/// use hashwall::{Engine, HashValue, Snapshot};
///
/// let engine = Engine::new(Snapshot::empty());
/// assert!(!engine.check_url("http://evil.example/")?.is_blocked());
///
/// let pdq = "f".repeat(64);
/// let text = format!("domain evil.example\npdq {pdq} case-7\n");
/// let list = List::from_text(text.as_bytes(), "local")?;
/// engine.swap(Snapshot::builder().add_list(&list, &Default::default())?.build());
/// assert!(engine.check_url("http://evil.example/")?.is_blocked());
/// // A hash computed elsewhere (one bit off the listed one).
/// let query = HashValue::parse(EntryKind::Pdq, &format!("7{}", &pdq[1..]))?;
/// let v = engine.check_hash(&query);
/// assert_eq!(v.matches()[0].distance(), Some(1));
/// assert_eq!(v.matches()[0].reference(), Some("case-7"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Engine {
    current: ArcSwap<Snapshot>,
}

impl Engine {
    /// An engine serving `snapshot` (a [`Snapshot`], or an
    /// `Arc<Snapshot>` the caller keeps sharing).
    pub fn new(snapshot: impl Into<Arc<Snapshot>>) -> Engine {
        Engine {
            current: ArcSwap::new(snapshot.into()),
        }
    }

    /// The current snapshot. Holding it keeps it alive after a swap.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// Makes `snapshot` (a [`Snapshot`] or a shared `Arc<Snapshot>`)
    /// current; returns the one it replaces.
    pub fn swap(&self, snapshot: impl Into<Arc<Snapshot>>) -> Arc<Snapshot> {
        self.current.swap(snapshot.into())
    }

    /// Checks a URL against the current snapshot.
    ///
    /// # Errors
    ///
    /// When the URL cannot be canonicalised.
    pub fn check_url(&self, url: &str) -> Result<Verdict, Error> {
        self.current.load().check_url(url)
    }

    /// Checks an image (a whole file's bytes) against the current snapshot,
    /// within the default [`DecodeLimits`]; see [`Snapshot::check_image_with`].
    ///
    /// # Errors
    ///
    /// When the image cannot be decoded and no exact file digest matched.
    pub fn check_image(&self, bytes: &[u8]) -> Result<Verdict, Error> {
        self.current.load().check_image(bytes)
    }

    /// Checks an image against the current snapshot, decoding it within
    /// `limits`; see [`Snapshot::check_image_with`].
    ///
    /// # Errors
    ///
    /// When the image cannot be decoded within `limits` and no exact file
    /// digest matched.
    pub fn check_image_with(&self, bytes: &[u8], limits: &DecodeLimits) -> Result<Verdict, Error> {
        self.current.load().check_image_with(bytes, limits)
    }

    /// Checks one hash computed elsewhere against the current snapshot.
    pub fn check_hash(&self, hash: &HashValue) -> Verdict {
        self.current.load().check_hash(hash)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Engine>();
        assert_send_sync::<Snapshot>();
        assert_send_sync::<Verdict>();
    }

    #[test]
    fn a_shared_snapshot_is_served_without_a_copy() {
        let first = Arc::new(Snapshot::empty());
        let engine = Engine::new(Arc::clone(&first));
        assert!(Arc::ptr_eq(&engine.snapshot(), &first));
        let second = Arc::new(Snapshot::empty());
        let old = engine.swap(Arc::clone(&second));
        assert!(Arc::ptr_eq(&old, &first));
        assert!(Arc::ptr_eq(&engine.snapshot(), &second));
        // A snapshot by value still works.
        let _ = engine.swap(Snapshot::empty());
        assert!(!Arc::ptr_eq(&engine.snapshot(), &second));
    }
}
