//! `check_url` allocates nothing once warm, unless something matched (the
//! verdict then owns its matches): no allocation per expression.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use hashwall::{ListConfig, Snapshot};
use hashwall_lists::List;

struct Counting;

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator; only counts calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocs() -> u64 {
    ALLOCS.with(Cell::get)
}

#[test]
fn no_allocation_without_a_match() {
    let hashed = "0".repeat(64);
    let text = format!(
        "url http://x.example/a?b=1\nurl-prefix y.example/p/\ndomain z.example\nurl-sha256 {hashed}\n"
    );
    let list = List::from_text(text.as_bytes(), "l").expect("parses");
    let snap = Snapshot::builder()
        .add_list(&list, &ListConfig::default())
        .expect("builds")
        .build();
    let urls = [
        "http://a.b.c.d.e.f.g/1/2/3/4/5/6.html?q=1&r=2",
        "https://WWW.Example.ORG:8443/%7Euser/./x/../index.html#top",
        "http://3279880203/blah",
        "http://[2001:db8::1]/a/b",
        "http://bücher.example/straße",
    ];
    // Warm up the per-thread buffers with the longest inputs.
    for u in urls {
        let v = snap.check_url(u).expect("valid");
        assert!(v.is_empty(), "{u}");
    }
    let before = allocs();
    for _ in 0..100 {
        for u in urls {
            let v = snap.check_url(u).expect("valid");
            assert!(v.is_empty());
        }
    }
    assert_eq!(allocs() - before, 0, "check_url allocated on a miss");
}
