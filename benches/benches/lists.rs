//! Criterion benchmarks of the list life cycle: load + verify + compile a
//! signed list, and apply a signed 100 k-entry delta to it (and its parts:
//! parsing and verifying the delta). 100 k and 1 M entries by default;
//! `HASHWALL_BENCH_FULL=1` adds 10 M (needs ~6 GB and a few minutes).
//! Figures in `benches/README.md`, "Lists: load, verify, delta".
//!
//! Group `text/N`: the text format alone on `N` `url-prefix` lines of 40
//! bytes — parsing from memory, writing, and the allocation floor (the same
//! entries allocated without parsing). 1 M by default, 10 M with
//! `HASHWALL_BENCH_FULL=1`; figures in `hashlists/FORMAT.md`, "Performance".

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Instant;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use hashwall::Snapshot;
use hashwall_benches::url_data::{RealData, UBLOCK_DIR, url_list};
use hashwall_lists::{
    Delta, Entry, EntryKind, List, LoadOptions, Loader, NoFloor, SecretKey, Timestamp, TrustStore,
    TrustedKey, load_verified, load_verified_then, write_atomic,
};

const DELTA: usize = 100_000;

fn sizes() -> Vec<usize> {
    if std::env::var("HASHWALL_BENCH_FULL").is_ok_and(|v| v == "1") {
        vec![100_000, 1_000_000, 10_000_000]
    } else {
        vec![100_000, 1_000_000]
    }
}

fn temp_dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("hashwall-bench-lists-{}", std::process::id()));
    if let Err(e) = std::fs::create_dir_all(&d) {
        panic!("{}: {e}", d.display());
    }
    d
}

/// The base list: `url_list` entries, signed, sequence 1, created at t0.
fn base(n: usize, real: &RealData, key: &SecretKey, t0: Timestamp) -> List {
    let mut l = url_list(n, real, 42);
    l.meta.issuer = "Bench Police".into();
    l.meta.sequence = 1;
    l.meta.created = t0;
    l.sign(key);
    l
}

/// A signed delta removing `DELTA / 2` entries spread over the list and
/// adding `DELTA / 2` new ones.
fn delta(old: &List, key: &SecretKey, t1: Timestamp) -> Delta {
    let half = DELTA / 2;
    let step = (old.entries.len() / half).max(1);
    let removed: Vec<Entry> = old
        .entries
        .iter()
        .step_by(step)
        .take(half)
        .cloned()
        .collect();
    let added: Vec<Entry> = (0..half)
        .map(|i| Entry {
            kind: if i % 3 == 0 {
                EntryKind::UrlPrefix
            } else {
                EntryKind::Domain
            },
            value: format!("new-{i}.delta-bench.example"),
            reference: Some(format!("D{i}")),
            added: Some(t1),
        })
        .collect();
    let mut d = Delta {
        list_id: old.meta.id.clone(),
        issuer: old.meta.issuer.clone(),
        from: old.meta.sequence,
        to: old.meta.sequence + 1,
        created: t1,
        expires: None,
        removed,
        added,
        list_signature: None,
        signature: None,
    };
    if let Err(e) = d.sign(old, key) {
        panic!("delta must sign: {e}");
    }
    d
}

fn compile(list: &List) -> Snapshot {
    match Snapshot::builder().add_list(list, &Default::default()) {
        Ok(b) => b.build(),
        Err(e) => panic!("benchmark list must build: {e}"),
    }
}

/// What `hashwall serve` does with a list file: [`Loader::load_streamed`]
/// feeding the snapshot builder entry by entry while another thread parses
/// and hashes the file for its signature; the snapshot is built only if the
/// list verifies.
fn load_streamed_compile(loader: &Loader, path: &Path) -> Snapshot {
    let mut builder = Snapshot::builder();
    match loader.load_streamed(path, &NoFloor, builder.list_adder(&Default::default())) {
        Ok((_, Ok(_))) => builder.build(),
        Ok((_, Err(e))) => panic!("benchmark list must build: {e}"),
        Err(e) => panic!("{e}"),
    }
}

/// `n` lines `url-prefix exampleNNNNNNNN.com/path/x/` (40 bytes each).
fn url_prefix_text(n: usize) -> String {
    let mut text = String::with_capacity(n * 40 + 64);
    text.push_str("# id: perf\n# issuer: bench\n\n");
    for i in 0..n {
        text.push_str(&format!("url-prefix example{i:08}.com/path/x/\n"));
    }
    text
}

fn bench_text(c: &mut Criterion) {
    let n = if std::env::var("HASHWALL_BENCH_FULL").is_ok_and(|v| v == "1") {
        10_000_000
    } else {
        1_000_000
    };
    let text = url_prefix_text(n);
    let list = match List::from_text(text.as_bytes(), "perf") {
        Ok(l) => l,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(list.entries.len(), n);
    let mut g = c.benchmark_group(format!("text/{n}"));
    g.sample_size(10);
    g.throughput(criterion::Throughput::Bytes(text.len() as u64));
    g.bench_function("parse", |b| {
        b.iter(|| match List::from_text(text.as_bytes(), "perf") {
            Ok(l) => black_box(l),
            Err(e) => panic!("{e}"),
        })
    });
    g.bench_function("to_text", |b| b.iter(|| black_box(list.to_text())));
    // The floor: just allocating the same entries, no parsing.
    g.bench_function("allocation_floor", |b| {
        b.iter(|| {
            let v: Vec<Entry> = text
                .lines()
                .skip(3)
                .map(|line| Entry {
                    kind: EntryKind::UrlPrefix,
                    value: line[11..].to_owned(),
                    reference: None,
                    added: None,
                })
                .collect();
            black_box(v)
        })
    });
    g.finish();
}

fn bench_lists(c: &mut Criterion) {
    let real = RealData::load(Path::new(UBLOCK_DIR));
    let key = SecretKey::from_seed(&[9; 32]);
    let mut trust = TrustStore::new();
    trust.add(TrustedKey {
        issuer: "Bench Police".into(),
        key: key.public_key(),
        not_before: None,
        not_after: None,
    });
    let t0: Timestamp = Timestamp::from_unix_seconds(1_767_225_600);
    let t1 = Timestamp::from_unix_seconds(t0.unix_seconds() + 86_400);
    let opts = LoadOptions {
        now: Some(t1),
        ..LoadOptions::default()
    };
    let dir = temp_dir();
    for n in sizes() {
        let list = base(n, &real, &key, t0);
        let path = dir.join(format!("bench-{n}.list"));
        let t = Instant::now();
        if let Err(e) = write_atomic(&path, |w| list.write_text(w)) {
            panic!("{e}");
        }
        let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        eprintln!(
            "lists/{n}: {:.1} MB on disk, written atomically (write + fsync + rename) in {:.2} s",
            bytes as f64 / 1e6,
            t.elapsed().as_secs_f64()
        );
        let d = delta(&list, &key, t1);
        let delta_text = d.to_text();
        eprintln!(
            "lists/{n}: delta of {} changes, {:.1} MB",
            d.removed.len() + d.added.len(),
            delta_text.len() as f64 / 1e6
        );

        let mut g = c.benchmark_group(format!("lists/{n}"));
        g.sample_size(10);
        if n >= 10_000_000 {
            g.measurement_time(std::time::Duration::from_secs(60));
        }
        g.bench_function("parse", |b| {
            b.iter(|| match List::read_file(&path) {
                Ok(l) => black_box(l),
                Err(e) => panic!("{e}"),
            })
        });
        g.bench_function("write_text", |b| b.iter(|| black_box(list.to_text().len())));
        g.bench_function("verify", |b| {
            b.iter(|| black_box(list.verify(&trust, t1).is_ok()))
        });
        g.bench_function("compile", |b| b.iter(|| black_box(compile(&list))));
        g.bench_function("load_verify_compile", |b| {
            b.iter(|| match load_verified(&path, &trust, &opts) {
                Ok((l, _)) => black_box(compile(&l)),
                Err(e) => panic!("{e}"),
            })
        });
        g.bench_function("load_verify_compile_overlapped", |b| {
            b.iter(|| match load_verified_then(&path, &trust, &opts, compile) {
                Ok((_, _, snap)) => black_box(snap),
                Err(e) => panic!("{e}"),
            })
        });
        let loader = Loader::new(trust.clone(), opts);
        g.bench_function("load_streamed_compile", |b| {
            b.iter(|| black_box(load_streamed_compile(&loader, &path)))
        });
        g.bench_function("delta_parse_100k", |b| {
            b.iter(|| match Delta::from_text(delta_text.as_bytes()) {
                Ok(d) => black_box(d),
                Err(e) => panic!("{e}"),
            })
        });
        g.bench_function("delta_verify_100k", |b| {
            b.iter(|| black_box(d.verify(&trust, t1).is_ok()))
        });
        g.bench_function("apply_delta_100k", |b| {
            b.iter_batched(
                || list.clone(),
                |mut l| {
                    let d = match Delta::from_text(delta_text.as_bytes()) {
                        Ok(d) => d,
                        Err(e) => panic!("{e}"),
                    };
                    if let Err(e) = d.apply_to(&mut l, &trust, t1) {
                        panic!("{e}");
                    }
                    l
                },
                BatchSize::PerIteration,
            )
        });
        g.finish();
        let _ = std::fs::remove_file(&path);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench_lists, bench_text);
criterion_main!(benches);
