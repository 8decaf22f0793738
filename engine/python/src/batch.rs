//! Running one function over a batch on every core, results in input order.
//!
//! The engine has no thread pool of its own (it needs none: a snapshot is
//! shared read-only), so batches use scoped standard threads that take the
//! next index from a shared counter: an image that takes long to decode
//! does not hold up the others behind a fixed split.

use std::panic::AssertUnwindSafe;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The number of worker threads when the caller does not say: every core.
pub(crate) fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// `f` applied to every item on up to `workers` threads, the calling one
/// among them (its per-thread buffers — decoded planes, PDQ scratch — are
/// warm from earlier calls). The result at index `i` is `f(&items[i])`, or
/// `None` if `f` panicked on it (a bug the engine's own guards did not
/// catch): that item is lost, not the batch.
pub(crate) fn par_map<T: Sync, R: Send>(
    items: &[T],
    workers: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<Option<R>> {
    let n = items.len();
    let workers = workers.clamp(1, n.max(1));
    let run = |item: &T| std::panic::catch_unwind(AssertUnwindSafe(|| f(item))).ok();
    if workers == 1 {
        return items.iter().map(run).collect();
    }
    // One slot per item, written by whichever worker took it.
    let slots: Vec<Mutex<Option<R>>> = (0..n).map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let work = || {
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(i) else { break };
            let r = run(item);
            if let Ok(mut slot) = slots[i].lock() {
                *slot = r;
            }
        }
    };
    std::thread::scope(|s| {
        for _ in 1..workers {
            s.spawn(work);
        }
        work();
    });
    slots
        .into_iter()
        .map(|m| m.into_inner().unwrap_or_else(|p| p.into_inner()))
        .collect()
}
