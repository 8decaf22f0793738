//! `CanonicalUrl::parse_into` does not allocate once its buffers are warm.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use hashwall::url::CanonicalUrl;

/// Counts allocations made by the current thread only, so that other test
/// threads (and the harness) do not disturb the count.
struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded unchanged to `System`.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        // SAFETY: the caller upholds `GlobalAlloc::realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

const URLS: &[&[u8]] = &[
    b"http://www.example.com/",
    b"https://user:pw@Sub.Example.CO.UK:8443/a/b/../c/./d.html?x=1&y=%41#frag",
    b"http://3279880203/blah",
    b"http://012.0x12.01234/a//b/",
    b"http://[2001:DB8::1]:80/x?y",
    b"http://host%23.com/%257Ea%2521b%2540c%2523d%2524e%25f%255E00%252611",
    b"http://\x01\x80.com/",
    b"  www.google.com/foo\tbar\rbaz\n2  ",
    b"http://a.b.c.d.e.f.g.h/1/2/3/4/5/6/7.html?q",
    b"/no-host",
    b"mailto:a@example.com",
    b"http%3A%2F%2Fevil.example%2Fgallery%5Cx.jpg?q=%2541",
    b"http://good.example%2F@evil.example:80/",
    b"http://[::ffff:10.66.77.88]:80/x",
    // IDNA works on the stack in the `idna` crate for names this short.
    "http://Bücher.example/ü?q".as_bytes(),
];

fn run(url: &mut CanonicalUrl, inputs: &[&[u8]]) -> usize {
    let mut total = 0;
    for input in inputs {
        if url.parse_into(input).is_ok() {
            total += url.expressions().map(|e| e.len()).sum::<usize>();
            total += url.domain_suffixes().count();
        }
    }
    total
}

#[test]
fn warm_parse_into_does_not_allocate() {
    let mut url = CanonicalUrl::new();
    // Warm-up: the buffers grow to the largest input.
    let expected = run(&mut url, URLS);
    let before = allocations();
    let mut got = 0;
    for _ in 0..100 {
        got = run(&mut url, URLS);
    }
    let after = allocations();
    assert_eq!(got, expected);
    // The error path (`/no-host`) builds an `Error` with a static message:
    // that is no allocation either.
    assert_eq!(after - before, 0, "allocations in 100 warm rounds");
}
