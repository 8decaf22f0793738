//! The [`Engine`] handle: the current snapshot, swapped atomically.

use std::sync::Arc;

use arc_swap::ArcSwap;

use crate::{Error, Snapshot, Verdict};

/// A shared handle on the current [`Snapshot`].
///
/// Readers load the current snapshot without locking or waiting (an
/// `arc-swap` pointer); a writer builds a new snapshot off the request path
/// and swaps it in. A check that started on the old snapshot finishes on it.
/// `Engine` is `Send + Sync` and needs no async runtime: share it in an
/// `Arc` between threads.
///
/// ```
/// use hashwall::{Engine, Snapshot};
/// use hashwall_lists::List;
///
/// let engine = Engine::new(Snapshot::empty());
/// assert!(!engine.check_url("http://evil.example/")?.is_blocked());
///
/// let list = List::from_text(b"domain evil.example", "local")?;
/// engine.swap(Snapshot::builder().add_list(&list, &Default::default())?.build());
/// assert!(engine.check_url("http://evil.example/")?.is_blocked());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Engine {
    current: ArcSwap<Snapshot>,
}

impl Engine {
    /// An engine serving `snapshot`.
    pub fn new(snapshot: Snapshot) -> Engine {
        Engine {
            current: ArcSwap::from_pointee(snapshot),
        }
    }

    /// The current snapshot. Holding it keeps it alive after a swap.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// Makes `snapshot` current; returns the one it replaces.
    pub fn swap(&self, snapshot: Snapshot) -> Arc<Snapshot> {
        self.current.swap(Arc::new(snapshot))
    }

    /// Checks a URL against the current snapshot.
    ///
    /// # Errors
    ///
    /// When the URL cannot be canonicalised.
    pub fn check_url(&self, url: &str) -> Result<Verdict, Error> {
        self.current.load().check_url(url)
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
}
