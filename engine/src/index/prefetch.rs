//! A cache prefetch hint, shared by the indexes that overlap their cache
//! misses (the Hamming index's bucket walk, the URL key table, the host
//! filter).

/// Hints the CPU to bring the cache line at `p` into L1. `p` need not be
/// valid: a prefetch never faults.
#[inline(always)]
pub(crate) fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: prefetching is a hint without architectural effect; any
    // address, even invalid, is allowed.
    #[allow(unused_unsafe)]
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>(p.cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}
