//! The URL matching report: build time, memory and per-URL latency of
//! hashwall at 1 M and 10 M entries, and of Brave's `adblock` engine at 1 M
//! `||host^` rules, on the same URL stream, in one process.
//!
//! `cargo run --release -p hashwall-benches --bin url_report [-- SIZES…]`
//! (default sizes: 1000000 10000000). Prints a Markdown table for
//! `benches/README.md`.

use std::path::Path;
use std::time::Instant;

use hashwall::Snapshot;
use hashwall::url::CanonicalUrl;
use hashwall_benches::adblock_peer;
use hashwall_benches::stats::{measure, rss_bytes};
use hashwall_benches::url_data::{RealData, UBLOCK_DIR, adblock_rules, url_list, url_stream};

const STREAM: usize = 200_000;
const ADBLOCK_RULES: usize = 1_000_000;

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![1_000_000, 10_000_000]
    } else {
        sizes
    };
    let real = RealData::load(Path::new(UBLOCK_DIR));
    println!(
        "real data: {} hosts, {} URLs from {:?}",
        real.hosts.len(),
        real.urls.len(),
        real.sources
    );
    if real.hosts.is_empty() {
        println!("WARNING: no real lists found (run benches/setup.sh); generated data only");
    }
    println!();
    println!(
        "| what | entries | build s | index B/entry | entries B/entry | p50 ns | p90 ns | p99 ns | mean ns | blocked |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for &n in &sizes {
        let list = url_list(n, &real, 42);
        let stream = url_stream(STREAM, &list, 7);
        let t = Instant::now();
        let snap = match Snapshot::builder().add_list(&list, &Default::default()) {
            Ok(b) => b.build(),
            Err(e) => {
                eprintln!("build failed: {e}");
                std::process::exit(2);
            }
        };
        let build_s = t.elapsed().as_secs_f64();
        let st = snap.stats().clone();
        // Canonicalisation alone, the floor under every check.
        let mut scratch = CanonicalUrl::new();
        let canon = measure(&stream, |u| {
            let _ = std::hint::black_box(scratch.parse_into(u.as_bytes()));
        });
        let mut blocked = 0usize;
        for u in &stream {
            blocked += usize::from(snap.check_url(u).is_ok_and(|v| v.is_blocked()));
        }
        let lat = measure(&stream, |u| {
            let _ = std::hint::black_box(snap.check_url(u));
        });
        println!(
            "| canonicalise only | - | - | - | - | {:.0} | {:.0} | {:.0} | {:.0} | - |",
            canon.p50, canon.p90, canon.p99, canon.mean
        );
        println!(
            "| hashwall check_url | {n} | {build_s:.2} | {:.1} | {:.1} | {:.0} | {:.0} | {:.0} | {:.0} | {:.1} % |",
            st.index_bytes as f64 / n as f64,
            st.entry_bytes as f64 / n as f64,
            lat.p50,
            lat.p90,
            lat.p99,
            lat.mean,
            100.0 * blocked as f64 / stream.len() as f64
        );
        if n == ADBLOCK_RULES || (n >= ADBLOCK_RULES && sizes.len() == 1) {
            let rules = adblock_rules(&list, ADBLOCK_RULES);
            let t = Instant::now();
            let engine = adblock_peer::engine(&rules);
            let ab_build = t.elapsed().as_secs_f64();
            let mut ab_blocked = 0usize;
            for u in &stream {
                ab_blocked += usize::from(adblock_peer::check(&engine, u));
            }
            let ab = measure(&stream, |u| {
                std::hint::black_box(adblock_peer::check(&engine, u));
            });
            println!(
                "| adblock (Brave) `||host^` | {} | {ab_build:.2} | - | - | {:.0} | {:.0} | {:.0} | {:.0} | {:.1} % |",
                rules.len(),
                ab.p50,
                ab.p90,
                ab.p99,
                ab.mean,
                100.0 * ab_blocked as f64 / stream.len() as f64
            );
            println!(
                "| ratio adblock / hashwall | | | | | {:.1}× | {:.1}× | {:.1}× | {:.1}× | |",
                ab.p50 / lat.p50,
                ab.p90 / lat.p90,
                ab.p99 / lat.p99,
                ab.mean / lat.mean
            );
        }
        let (rss, hwm) = rss_bytes();
        println!(
            "| process RSS after {n} | | | | | | | | {:.0} MiB (peak {:.0} MiB) | |",
            rss as f64 / 1048576.0,
            hwm as f64 / 1048576.0
        );
        drop(snap);
    }
}
