//! Giving freed memory back to the system after a list load.
//!
//! Loading a list parses millions of small entries (a `String` each) before
//! compiling them into a few large arrays; the parsed entries are then
//! freed. glibc keeps those small freed chunks in its arenas, so without a
//! trim the process's resident size after a load stays at its peak — with
//! 10 M URL entries and 1 M PDQ hashes, about 1.3 GiB resident for a 0.7 GiB
//! snapshot (`benches/README.md`, "Proxy memory"). `malloc_trim` returns the
//! free pages of every arena. It walks the heap (tens of milliseconds for
//! gigabytes), so callers run it on the blocking pool, after a load, never
//! on the request path.

/// Returns free heap memory to the system where the allocator allows it
/// (glibc on Linux); does nothing elsewhere.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only inspects and releases the allocator's own
    // free lists; it is thread-safe and has no precondition.
    unsafe {
        libc::malloc_trim(0);
    }
}
