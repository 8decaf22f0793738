//! Criterion benchmarks of URL canonicalisation and `check_url`, with Brave's
//! `adblock` engine on the same URL stream. 1 M entries by default; set
//! `HASHWALL_BENCH_FULL=1` for 10 M as well (needs ~3 GB and a minute to
//! build). `benches/src/bin/url_report.rs` prints percentiles and memory.

use std::hint::black_box;
use std::path::Path;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use hashwall::Snapshot;
use hashwall::url::CanonicalUrl;
use hashwall_benches::adblock_peer;
use hashwall_benches::url_data::{
    RealData, UBLOCK_DIR, adblock_rules, domain_list, url_list, url_stream,
};

const STREAM: usize = 10_000;

fn sizes() -> Vec<usize> {
    if std::env::var("HASHWALL_BENCH_FULL").is_ok_and(|v| v == "1") {
        vec![1_000_000, 10_000_000]
    } else {
        vec![1_000_000]
    }
}

fn bench_url(c: &mut Criterion) {
    let real = RealData::load(Path::new(UBLOCK_DIR));
    for n in sizes() {
        let list = url_list(n, &real, 42);
        let stream = url_stream(STREAM, &list, 7);
        let mut g = c.benchmark_group(format!("url/{n}"));
        g.throughput(Throughput::Elements(stream.len() as u64));
        g.sample_size(20);
        if n == 1_000_000 {
            let mut scratch = CanonicalUrl::new();
            g.bench_function("canonicalise", |b| {
                b.iter(|| {
                    for u in &stream {
                        let _ = black_box(scratch.parse_into(u.as_bytes()));
                    }
                })
            });
        }
        let snap = match Snapshot::builder().add_list(&list, &Default::default()) {
            Ok(b) => b.build(),
            Err(e) => panic!("benchmark list must build: {e}"),
        };
        g.bench_function("hashwall_check_url", |b| {
            b.iter(|| {
                for u in &stream {
                    let _ = black_box(snap.check_url(u));
                }
            })
        });
        if n == 1_000_000 {
            g.bench_function("hashwall_build_100k", |b| {
                let small = url_list(100_000, &real, 1);
                b.iter_batched(
                    || small.clone(),
                    |l| {
                        let mut builder = Snapshot::builder();
                        let _ = builder.add_list(&l, &Default::default());
                        black_box(builder.build())
                    },
                    BatchSize::PerIteration,
                )
            });
        }
        g.finish();
    }
}

/// hashwall and Brave's adblock engine loaded with the same 1 M hosts
/// (`domain` entries / `||host^` rules), on the same URL stream.
fn bench_side_by_side(c: &mut Criterion) {
    let real = RealData::load(Path::new(UBLOCK_DIR));
    let hosts = domain_list(1_000_000, &real, 5);
    let stream = url_stream(STREAM, &hosts, 9);
    let mut g = c.benchmark_group("hosts_1M_side_by_side");
    g.throughput(Throughput::Elements(stream.len() as u64));
    g.sample_size(20);
    let snap = match Snapshot::builder().add_list(&hosts, &Default::default()) {
        Ok(b) => b.build(),
        Err(e) => panic!("benchmark list must build: {e}"),
    };
    g.bench_function("hashwall_check_url", |b| {
        b.iter(|| {
            for u in &stream {
                let _ = black_box(snap.check_url(u));
            }
        })
    });
    let engine = adblock_peer::engine(&adblock_rules(&hosts, 1_000_000));
    g.bench_function("adblock_check_network_request", |b| {
        b.iter(|| {
            for u in &stream {
                black_box(adblock_peer::check(&engine, u));
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench_side_by_side, bench_url);
criterion_main!(benches);
