//! The `ISTag` (RFC 3507 §4.7): names the service's state, so a client
//! that cached answers (or `OPTIONS`) revalidates when it changes. Here the
//! state is the lists: the tag changes with every snapshot swap (a reload,
//! a subscription's update).

use std::sync::{Arc, Mutex, Weak};
use std::time::{SystemTime, UNIX_EPOCH};

use hashwall::Snapshot;

/// Tracks the snapshot in force and numbers its changes.
#[derive(Debug)]
pub(super) struct IsTag {
    /// Seconds since the epoch at start: tags differ across restarts.
    epoch: u64,
    /// The snapshot last seen (weak: an old snapshot is not kept alive;
    /// its allocation is, so the address is never reused while tracked)
    /// and its generation.
    seen: Mutex<(Weak<Snapshot>, u64)>,
}

impl IsTag {
    /// A tracker starting at generation 0 on `snapshot`.
    pub(super) fn new(snapshot: &Arc<Snapshot>) -> IsTag {
        IsTag {
            epoch: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            seen: Mutex::new((Arc::downgrade(snapshot), 0)),
        }
    }

    /// The generation of `snapshot`: the last one's, or the next number
    /// when it is another snapshot.
    pub(super) fn generation(&self, snapshot: &Arc<Snapshot>) -> u64 {
        let Ok(mut seen) = self.seen.lock() else {
            return 0;
        };
        if !std::ptr::eq(seen.0.as_ptr(), Arc::as_ptr(snapshot)) {
            seen.0 = Arc::downgrade(snapshot);
            seen.1 += 1;
        }
        seen.1
    }

    /// The quoted tag for `snapshot` (at most 32 characters inside the
    /// quotes, as the RFC requires).
    pub(super) fn tag(&self, snapshot: &Arc<Snapshot>) -> String {
        format!("\"hw-{}-{}\"", self.epoch, self.generation(snapshot))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_with_the_snapshot_only() {
        let a = Arc::new(Snapshot::empty());
        let t = IsTag::new(&a);
        let first = t.tag(&a);
        assert_eq!(t.tag(&a), first);
        let b = Arc::new(Snapshot::empty());
        let second = t.tag(&b);
        assert_ne!(second, first);
        assert_eq!(t.tag(&b), second);
        assert!(second.len() <= 34);
    }
}
