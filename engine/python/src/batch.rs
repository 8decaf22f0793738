//! Running one function over a batch on every core, results in input order.
//!
//! The engine has no thread pool of its own (it needs none: a snapshot is
//! shared read-only), so batches use scoped standard threads that take the
//! next index from a shared counter: an image that takes long to decode
//! does not hold up the others behind a fixed split.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The number of worker threads when the caller does not say: every core.
pub(crate) fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// `f` applied to every item on up to `workers` threads. The result at
/// index `i` is `f(&items[i])`, or `None` if the worker running it died (a
/// panic the engine did not catch): that item is lost, not the batch.
pub(crate) fn par_map<T: Sync, R: Send>(
    items: &[T],
    workers: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<Option<R>> {
    let n = items.len();
    let mut out: Vec<Option<R>> = (0..n).map(|_| None).collect();
    let workers = workers.clamp(1, n.max(1));
    if workers == 1 {
        for (slot, item) in out.iter_mut().zip(items) {
            *slot = Some(f(item));
        }
        return out;
    }
    // One slot per item, written by whichever worker took it: a worker
    // that dies loses only the item it was running.
    let slots: Vec<Mutex<Option<R>>> = out.into_iter().map(Mutex::new).collect();
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    let r = f(item);
                    if let Ok(mut slot) = slots[i].lock() {
                        *slot = Some(r);
                    }
                }
            });
        }
    });
    slots
        .into_iter()
        .map(|m| m.into_inner().unwrap_or_else(|p| p.into_inner()))
        .collect()
}
