//! The portable Bloom filter: one probe (a SHA-256 and k bit tests), and a
//! URL check as `hashwall lists bloom-check` does it (every expression of a
//! canonical URL probed for `url-prefix` items), on a filter of 1 M items at
//! the default rate of 0.001.
//!
//! Group `hostfilter/N`: the engine's blocked host filter (the prefilter of
//! the URL index, `hashwall::index::hostfilter`) against the `bloomfilter`
//! crate the design card names, in the same run, on the same `N` 64-bit host
//! hashes (the snapshot hashes each host once anyway, for its key table) at
//! the same ~1 % false-positive rate: queries for listed hosts and for hosts
//! no list names (most of an ISP's traffic). Memory and the measured
//! false-positive rates are printed first. 1 M and 10 M hosts.

use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
use std::hint::black_box;

use bloomfilter::Bloom;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hashwall::index::hostfilter::HostFilter;
use hashwall::url::CanonicalUrl;
use hashwall_lists::exchange::{BloomFilter, BloomTag};

const ITEMS: u64 = 1_000_000;
const STREAM: usize = 10_000;

fn bench_bloom(c: &mut Criterion) {
    let mut f = BloomFilter::with_rate(ITEMS, 0.001).expect("rate");
    for i in 0..ITEMS {
        f.insert(
            BloomTag::UrlPrefix,
            format!("host{i}.example/path/{i}/").as_bytes(),
        );
    }
    let members: Vec<String> = (0..STREAM as u64)
        .map(|i| format!("host{}.example/path/{}/", i * 97, i * 97))
        .collect();
    let urls: Vec<String> = (0..STREAM)
        .map(|i| format!("http://www.other{i}.example/a/b/c.html?q={i}"))
        .collect();
    let mut g = c.benchmark_group("bloom/1M");
    g.throughput(Throughput::Elements(STREAM as u64));
    g.sample_size(20);
    g.bench_function("probe-member", |b| {
        b.iter(|| {
            for m in &members {
                black_box(f.contains(BloomTag::UrlPrefix, m.as_bytes()));
            }
        })
    });
    let mut url = CanonicalUrl::new();
    let mut buf = String::new();
    g.bench_function("check-url", |b| {
        b.iter(|| {
            for u in &urls {
                if url.parse_into(u.as_bytes()).is_err() {
                    continue;
                }
                let mut hit = false;
                for e in url.expressions() {
                    buf.clear();
                    e.write_to(&mut buf);
                    hit |= f.contains(BloomTag::UrlPrefix, buf.as_bytes());
                }
                black_box(hit);
            }
        })
    });
    g.finish();
}

/// A well-mixed 64-bit hash of a host name (std's SipHash, fixed keys).
fn host_hash(host: &str) -> u64 {
    BuildHasherDefault::<DefaultHasher>::default().hash_one(host)
}

fn bench_host_filters(c: &mut Criterion) {
    for n in [1_000_000usize, 10_000_000] {
        let listed: Vec<u64> = (0..n)
            .map(|i| host_hash(&format!("host{i}.listed.example")))
            .collect();
        let members: Vec<u64> = listed.iter().step_by(n / STREAM).copied().collect();
        let absent: Vec<u64> = (0..STREAM)
            .map(|i| host_hash(&format!("www.other{i}.example")))
            .collect();
        let ours = HostFilter::build(&listed);
        let theirs = match Bloom::<u64>::new_for_fp_rate_with_seed(n, 0.01, &[7; 32]) {
            Ok(mut b) => {
                for h in &listed {
                    b.set(h);
                }
                b
            }
            Err(e) => panic!("bloomfilter: {e}"),
        };
        drop(listed);
        // False positives on 1 M hosts no list names.
        let probes = 1_000_000;
        let fp = |hit: &dyn Fn(u64) -> bool| {
            let hits = (0..probes)
                .filter(|i| hit(host_hash(&format!("fp{i}.unlisted.example"))))
                .count();
            hits as f64 / probes as f64
        };
        eprintln!(
            "hostfilter/{n}: hashwall {} bytes ({:.2} bits/host), false positives {:.3} %; \
             bloomfilter {} bytes ({:.2} bits/host, k = {}), false positives {:.3} %",
            ours.heap_bytes(),
            ours.heap_bytes() as f64 * 8.0 / n as f64,
            100.0 * fp(&|h| ours.may_contain(h)),
            theirs.len() / 8,
            theirs.len() as f64 / n as f64,
            theirs.number_of_hash_functions(),
            100.0 * fp(&|h| theirs.check(&h)),
        );
        let mut g = c.benchmark_group(format!("hostfilter/{n}"));
        g.throughput(Throughput::Elements(STREAM as u64));
        g.sample_size(20);
        for (name, keys) in [("member", &members), ("absent", &absent)] {
            g.bench_function(format!("hashwall/{name}"), |b| {
                b.iter(|| {
                    keys.iter()
                        .filter(|&&h| ours.may_contain(black_box(h)))
                        .count()
                })
            });
            g.bench_function(format!("bloomfilter/{name}"), |b| {
                b.iter(|| {
                    keys.iter()
                        .filter(|&&h| theirs.check(black_box(&h)))
                        .count()
                })
            });
        }
        g.finish();
    }
}

criterion_group!(benches, bench_bloom, bench_host_filters);
criterion_main!(benches);
