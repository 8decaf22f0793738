//! The URL matching report, in one process on one core:
//!
//! 1. hashwall at each size (default 1 M and 10 M entries of mixed kinds:
//!    real EasyList/EasyPrivacy/URLhaus hosts and URLs padded with generated
//!    entries): build time, index and entry memory, per-URL latency
//!    percentiles of `check_url` (canonicalisation included) and of
//!    canonicalisation alone.
//! 2. Side by side: hashwall and Brave's `adblock` engine loaded with the same
//!    1 M hosts (`domain` entries / `||host^` rules), on the same URL stream.
//!
//! `cargo run --release -p hashwall-benches --bin url_report [-- SIZES…]`.
//! Prints Markdown for `benches/README.md`.

use std::path::Path;
use std::time::Instant;

use hashwall::Snapshot;
use hashwall::url::CanonicalUrl;
use hashwall_benches::adblock_peer;
use hashwall_benches::stats::{Latency, measure, rss_bytes};
use hashwall_benches::url_data::{
    RealData, UBLOCK_DIR, adblock_rules, domain_list, url_list, url_stream,
};
use hashwall_lists::List;

const STREAM: usize = 200_000;
const SIDE_BY_SIDE_HOSTS: usize = 1_000_000;

fn build(list: &List) -> (Snapshot, f64) {
    let t = Instant::now();
    match Snapshot::builder().add_list(list, &Default::default()) {
        Ok(b) => {
            let s = b.build();
            (s, t.elapsed().as_secs_f64())
        }
        Err(e) => {
            eprintln!("build failed: {e}");
            std::process::exit(2);
        }
    }
}

fn blocked_share(stream: &[String], f: impl Fn(&str) -> bool) -> f64 {
    100.0 * stream.iter().filter(|u| f(u)).count() as f64 / stream.len() as f64
}

fn row(
    what: &str,
    n: usize,
    build_s: Option<f64>,
    mem: Option<(f64, f64)>,
    l: &Latency,
    blocked: Option<f64>,
) {
    let opt = |v: Option<String>| v.unwrap_or_else(|| "-".into());
    println!(
        "| {what} | {n} | {} | {} | {} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {} |",
        opt(build_s.map(|b| format!("{b:.2}"))),
        opt(mem.map(|m| format!("{:.1}", m.0))),
        opt(mem.map(|m| format!("{:.1}", m.1))),
        l.p50,
        l.p90,
        l.p99,
        l.mean,
        l.cpu_mean,
        opt(blocked.map(|b| format!("{b:.1} %")))
    );
}

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
        "real data: {} hosts, {} URLs from {} files{}",
        real.hosts.len(),
        real.urls.len(),
        real.sources.len(),
        if real.hosts.is_empty() {
            " (NONE: run benches/setup.sh; generated data only)"
        } else {
            ""
        }
    );
    println!();
    println!(
        "| what | entries | build s | index B/entry | entry data B/entry | p50 ns | p90 ns | p99 ns | mean ns | blocked |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");

    // Side by side first, while the process is small.
    {
        let hosts = domain_list(SIDE_BY_SIDE_HOSTS, &real, 5);
        let stream = url_stream(STREAM, &hosts, 9);
        let (snap, build_s) = build(&hosts);
        let st = snap.stats().clone();
        let hw = measure(&stream, |u| {
            let _ = std::hint::black_box(snap.check_url(u));
        });
        let hw_blocked =
            blocked_share(&stream, |u| snap.check_url(u).is_ok_and(|v| v.is_blocked()));
        let n = hosts.entries.len() as f64;
        row(
            "hashwall, 1 M hosts as `domain`",
            hosts.entries.len(),
            Some(build_s),
            Some((st.index_bytes as f64 / n, st.entry_bytes as f64 / n)),
            &hw,
            Some(hw_blocked),
        );
        drop(snap);
        let rules = adblock_rules(&hosts, SIDE_BY_SIDE_HOSTS);
        let t = Instant::now();
        let engine = adblock_peer::engine(&rules);
        let ab_build = t.elapsed().as_secs_f64();
        let ab = measure(&stream, |u| {
            std::hint::black_box(adblock_peer::check(&engine, u));
        });
        let ab_blocked = blocked_share(&stream, |u| adblock_peer::check(&engine, u));
        row(
            "adblock 0.13, same hosts as `||host^`",
            rules.len(),
            Some(ab_build),
            None,
            &ab,
            Some(ab_blocked),
        );
        println!(
            "| **ratio adblock / hashwall** | | {:.1}× | | | **{:.1}×** | {:.1}× | {:.1}× | {:.1}× | {:.1}× | |",
            ab_build / build_s,
            ab.p50 / hw.p50,
            ab.p90 / hw.p90,
            ab.p99 / hw.p99,
            ab.mean / hw.mean,
            ab.cpu_mean / hw.cpu_mean
        );
    }

    for &n in &sizes {
        let list = url_list(n, &real, 42);
        let stream = url_stream(STREAM, &list, 7);
        let (snap, build_s) = build(&list);
        let st = snap.stats().clone();
        let mut scratch = CanonicalUrl::new();
        let canon = measure(&stream, |u| {
            let _ = std::hint::black_box(scratch.parse_into(u.as_bytes()));
        });
        let lat = measure(&stream, |u| {
            let _ = std::hint::black_box(snap.check_url(u));
        });
        let blocked = blocked_share(&stream, |u| snap.check_url(u).is_ok_and(|v| v.is_blocked()));
        row(
            "canonicalise only (same stream)",
            n,
            None,
            None,
            &canon,
            None,
        );
        row(
            "hashwall check_url, mixed kinds",
            n,
            Some(build_s),
            Some((
                st.index_bytes as f64 / n as f64,
                st.entry_bytes as f64 / n as f64,
            )),
            &lat,
            Some(blocked),
        );
        let (rss, hwm) = rss_bytes();
        println!(
            "| process RSS with {n} entries loaded | | | | | | | | | {:.0} MiB (peak {:.0} MiB) | |",
            rss as f64 / 1048576.0,
            hwm as f64 / 1048576.0
        );
        drop(snap);
    }
}
