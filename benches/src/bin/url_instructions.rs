//! Instructions per URL, for comparing two builds without timing noise:
//! under `valgrind --tool=callgrind` the counts are the same on every run
//! of the same binary and input, whatever else the machine is doing.
//!
//! Builds a snapshot of N mixed-kind entries (the `url_report` data), then
//! canonicalises a stream of URLs (`canonicalise_stream`) and checks it
//! (`check_stream`). Each is a function of its own, never inlined, so
//! `callgrind_annotate --inclusive=yes` gives each one's instructions.
//! `benches/url_instructions.sh` runs it for two commits.
//!
//! `url_instructions [ENTRIES] [STREAM]` (defaults 100 000 and 20 000).

use std::path::Path;

use hashwall::Snapshot;
use hashwall::url::CanonicalUrl;
use hashwall_benches::url_data::{RealData, UBLOCK_DIR, url_list, url_stream};

#[inline(never)]
fn canonicalise_stream(stream: &[String]) -> usize {
    let mut scratch = CanonicalUrl::new();
    let mut ok = 0;
    for u in stream {
        ok += usize::from(std::hint::black_box(scratch.parse_into(u.as_bytes())).is_ok());
    }
    ok
}

#[inline(never)]
fn check_stream(snap: &Snapshot, stream: &[String]) -> usize {
    stream
        .iter()
        .filter(|u| std::hint::black_box(snap.check_url(u.as_str())).is_ok_and(|v| v.is_blocked()))
        .count()
}

fn main() {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<usize>());
    let entries = args.next().and_then(Result::ok).unwrap_or(100_000);
    let stream_len = args.next().and_then(Result::ok).unwrap_or(20_000);
    let real = RealData::load(Path::new(UBLOCK_DIR));
    let list = url_list(entries, &real, 42);
    let stream = url_stream(stream_len, &list, 7);
    let snap = match Snapshot::builder().add_list(&list, &Default::default()) {
        Ok(b) => b.build(),
        Err(e) => {
            eprintln!("build failed: {e}");
            std::process::exit(2);
        }
    };
    let canonical = canonicalise_stream(&stream);
    let blocked = check_stream(&snap, &stream);
    println!(
        "entries {entries}, stream {}, canonical {canonical}, blocked {blocked}",
        stream.len()
    );
}
