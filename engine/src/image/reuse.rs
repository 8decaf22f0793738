//! Buffers kept per thread for the next image. A fresh large buffer costs
//! a page fault per 4 KiB when first written (the allocator gives large
//! freed blocks back to the system): that was a third of the JPEG decoding
//! time at 640×480, and about 8 % of a PDQ hash in a Python process. Each
//! user declares its own `thread_local!` [`Pool`]; these two functions take
//! from it and give back to it.

use std::cell::RefCell;
use std::thread::LocalKey;

/// A thread's kept values of one kind.
pub(crate) type Pool<T> = LocalKey<RefCell<Vec<T>>>;

/// A value from this thread's `pool`, if it holds one.
pub(crate) fn take<T: 'static>(pool: &'static Pool<T>) -> Option<T> {
    pool.try_with(|p| p.borrow_mut().pop()).ok().flatten()
}

/// Keeps `value` in this thread's `pool` if that holds fewer than `max`;
/// drops it otherwise, or during thread teardown (when the pool is gone).
pub(crate) fn give_back<T: 'static>(pool: &'static Pool<T>, value: T, max: usize) {
    let _ = pool.try_with(|p| {
        let mut p = p.borrow_mut();
        if p.len() < max {
            p.push(value);
        }
    });
}
