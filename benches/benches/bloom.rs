//! The portable Bloom filter: one probe (a SHA-256 and k bit tests), and a
//! URL check as `hashwall lists bloom-check` does it (every expression of a
//! canonical URL probed for `url-prefix` items), on a filter of 1 M items at
//! the default rate of 0.001.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
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

criterion_group!(benches, bench_bloom);
criterion_main!(benches);
