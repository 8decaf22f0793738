//! Exact Hamming-radius search: multi-index vs the flat scan, on 1 M (and,
//! with `HASHWALL_BENCH_FULL=1`, 10 M) PDQ hashes, uniform and clustered.
//!
//! Besides criterion's medians, a plain timing loop over many distinct
//! queries prints median and p99 per configuration (criterion does not give
//! tail latencies), plus build time and bytes per hash.
//!
//! Environment:
//! - `HASHWALL_BENCH_FULL=1`: also 10 M hashes.
//! - `HASHWALL_BENCH_SIZES=1000000,3000000`: explicit list sizes.
//! - `HASHWALL_BENCH_TABLE_ONLY=1`: only the timing table, no criterion.
//! - `HASHWALL_BENCH_DATA=uniform|clustered`: only one data set.
//! - `HASHWALL_MIH_M`, `HASHWALL_MIH_BUCKET`: layout overrides, to compare.
//! - `HASHWALL_BENCH_SWEEP=1`: instead, multi-index vs flat over radii
//!   0..=63 (the crossover the cost model encodes), and the 64-bit width
//!   with several substring counts.
//! - `HASHWALL_FAISS_DIR=dir`: write the list and queries for
//!   `benches/faiss_compare.py`, time hashwall on them, and exit.

use std::hint::black_box;
use std::io::Write;
use std::time::{Duration, Instant};

use criterion::Criterion;
use hashwall::index::hamming::{HammingIndex, HammingMatch, MihParams, PdqWords, Strategy};
use hashwall_benches::hamming_data as data;

fn env_u32(name: &str) -> Option<u32> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

fn params() -> MihParams {
    let mut p = HammingIndex::<PdqWords>::default_params();
    if let Some(m) = env_u32("HASHWALL_MIH_M") {
        p.substrings = m;
    }
    if let Some(b) = env_u32("HASHWALL_MIH_BUCKET") {
        p.bucket_target = b;
    }
    p
}

fn sizes() -> Vec<usize> {
    if let Ok(s) = std::env::var("HASHWALL_BENCH_SIZES") {
        return s.split(',').filter_map(|x| x.trim().parse().ok()).collect();
    }
    if std::env::var("HASHWALL_BENCH_FULL").is_ok_and(|v| v == "1") {
        vec![1_000_000, 10_000_000]
    } else {
        vec![1_000_000]
    }
}

/// Median and 99th percentile of per-call latencies, in microseconds.
fn percentiles(mut t: Vec<Duration>) -> (f64, f64) {
    t.sort_unstable();
    let at = |q: f64| t[((t.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1e6;
    (at(0.5), at(0.99))
}

struct Timed {
    median_us: f64,
    p99_us: f64,
    cpu_median_us: f64,
    cpu_p99_us: f64,
    matches: f64,
}

/// CPU time consumed by this thread (excludes time preempted).
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn time_queries<T>(qs: &[T], mut f: impl FnMut(&T) -> usize) -> Timed {
    let mut lat = Vec::with_capacity(qs.len());
    let mut cpu = Vec::with_capacity(qs.len());
    let mut matches = 0usize;
    for q in qs {
        let c = thread_cpu();
        let t = Instant::now();
        matches += black_box(f(q));
        lat.push(t.elapsed());
        cpu.push(thread_cpu().saturating_sub(c));
    }
    let (median_us, p99_us) = percentiles(lat);
    let (cpu_median_us, cpu_p99_us) = percentiles(cpu);
    Timed {
        median_us,
        p99_us,
        cpu_median_us,
        cpu_p99_us,
        matches: matches as f64 / qs.len() as f64,
    }
}

fn dataset(name: &str, n: usize) -> Vec<PdqWords> {
    match name {
        "uniform" => data::uniform(1, n),
        _ => data::clustered(2, n),
    }
}

fn table_row(label: &str, t: &Timed, flat: Option<&Timed>) {
    let speedup = flat.map_or(String::new(), |f| {
        format!("{:>8.0}x", f.median_us / t.median_us)
    });
    println!(
        "  {label:<34} median {:>8.1} us  p99 {:>8.1} us | cpu median {:>8.1} p99 {:>8.1} | matches/q {:>6.1} {speedup}",
        t.median_us, t.p99_us, t.cpu_median_us, t.cpu_p99_us, t.matches
    );
}

fn run(c: &mut Criterion, table_only: bool) {
    let p = params();
    for n in sizes() {
        for name in ["uniform", "clustered"] {
            if std::env::var("HASHWALL_BENCH_DATA").is_ok_and(|d| d != name) {
                continue;
            }
            let list = dataset(name, n);
            let t = Instant::now();
            let index = HammingIndex::with_params(list.iter().copied(), p);
            let build = t.elapsed();
            println!(
                "\n{name} n={n} m={} bucket_target={}: build {:.2} s, {:.1} bytes/hash ({} MB)",
                p.substrings,
                p.bucket_target,
                build.as_secs_f64(),
                index.heap_bytes() as f64 / n as f64,
                index.heap_bytes() >> 20
            );
            let near = data::near_queries(3, &list, 2000, 24);
            let random = data::random_queries(4, 2000);
            let batches = data::variant_batches(5, &list, 300);
            drop(list);
            // The flat scan reads everything: fewer queries keep the run short.
            let flat_q = if n > 2_000_000 { 30 } else { 100 };
            let mut out = Vec::new();
            let mih = |q: &PdqWords, r: u32, out: &mut Vec<HammingMatch>| {
                index.query_using(Strategy::MultiIndex, q, r, out);
                out.len()
            };
            for r in [31u32, 15] {
                let flat = time_queries(&near[..flat_q], |q| index.query_flat(q, r).len());
                table_row(&format!("flat r={r} near"), &flat, None);
                let tn = time_queries(&near, |q| mih(q, r, &mut out));
                table_row(
                    &format!("mih r={r} near (auto: {:?})", index.strategy(r)),
                    &tn,
                    Some(&flat),
                );
                let tr = time_queries(&random, |q| mih(q, r, &mut out));
                table_row(&format!("mih r={r} random"), &tr, Some(&flat));
                if n < 1_000_000 {
                    // Short lists: the automatic path (cost model, fallback).
                    let ta = time_queries(&near, |q| {
                        index.query_into(q, r, &mut out);
                        out.len()
                    });
                    table_row(&format!("auto r={r} near"), &ta, Some(&flat));
                }
            }
            let tb = time_queries(&batches, |b| index.query_variants(b, 31).len());
            table_row("batch of 8 variants r=31", &tb, None);
            if table_only {
                continue;
            }
            let mut g = c.benchmark_group(format!("hamming/{name}/{n}"));
            g.sample_size(20).measurement_time(Duration::from_secs(4));
            for r in [31u32, 15] {
                let mut i = 0;
                g.bench_function(format!("mih_r{r}_near"), |b| {
                    b.iter(|| {
                        i = (i + 1) % near.len();
                        index.query_into(&near[i], r, &mut out);
                        out.len()
                    })
                });
                g.bench_function(format!("mih_r{r}_random"), |b| {
                    b.iter(|| {
                        i = (i + 1) % random.len();
                        index.query_into(&random[i], r, &mut out);
                        out.len()
                    })
                });
            }
            let mut i = 0;
            g.bench_function("batch8_r31", |b| {
                b.iter(|| {
                    i = (i + 1) % batches.len();
                    index.query_variants(&batches[i], 31).len()
                })
            });
            g.sample_size(10)
                .measurement_time(Duration::from_secs(if n > 2_000_000 { 8 } else { 4 }));
            g.bench_function("flat_r31_near", |b| {
                b.iter(|| {
                    i = (i + 1) % near.len();
                    index.query_flat(&near[i], 31).len()
                })
            });
            g.finish();
        }
    }
}

/// Writes `list.bin`, `queries.bin` (32 bytes per hash) and `hashwall.txt`
/// (our median per query, flat and multi-index) for `faiss_compare.py`.
fn faiss_export(dir: &str) -> std::io::Result<()> {
    let n = sizes()[sizes().len() - 1];
    let name = std::env::var("HASHWALL_FAISS_DATA").unwrap_or_else(|_| "clustered".into());
    let list = dataset(&name, n);
    let queries = data::near_queries(3, &list, 1000, 24);
    std::fs::create_dir_all(dir)?;
    std::fs::write(format!("{dir}/list.bin"), data::to_bytes(&list))?;
    std::fs::write(format!("{dir}/queries.bin"), data::to_bytes(&queries))?;
    let t = Instant::now();
    // The default parameters unless HASHWALL_MIH_M / HASHWALL_MIH_BUCKET say otherwise.
    let index = HammingIndex::with_params(list.iter().copied(), params());
    let build = t.elapsed().as_secs_f64();
    eprintln!("hashwall index: {:?}", params());
    let mut out = Vec::new();
    let mih = time_queries(&queries, |q| {
        index.query_into(q, 31, &mut out);
        out.len()
    });
    let flat = time_queries(&queries[..50], |q| index.query_flat(q, 31).len());
    // Mean matches over the first 300 queries, the subset the script times
    // FAISS on, so the counts compare exactly.
    let subset: usize = queries[..300]
        .iter()
        .map(|q| index.query(q, 31).len())
        .sum();
    let mut f = std::fs::File::create(format!("{dir}/hashwall.txt"))?;
    writeln!(f, "data {name} n {n} queries {}", queries.len())?;
    writeln!(f, "build_s {build:.3}")?;
    writeln!(f, "matches_subset {:.2}", subset as f64 / 300.0)?;
    writeln!(
        f,
        "mih_median_us {:.1} p99_us {:.1} cpu_median_us {:.1} matches {:.2}",
        mih.median_us, mih.p99_us, mih.cpu_median_us, mih.matches
    )?;
    writeln!(
        f,
        "flat_median_us {:.1} flat_matches {:.2}",
        flat.median_us, flat.matches
    )?;
    println!("wrote {dir}: {name} n={n}");
    Ok(())
}

/// Multi-index vs flat at every 4th radius, and the 64-bit layouts.
fn sweep() {
    for n in sizes() {
        let list = dataset("clustered", n);
        let index = HammingIndex::new(list.iter().copied());
        let near = data::near_queries(3, &list, 60, 24);
        println!(
            "\nPDQ clustered n={n}: radius, auto strategy, multi-index cpu median, flat cpu median (us)"
        );
        let mut out = Vec::new();
        let flat = time_queries(&near[..20], |q| index.query_flat(q, 31).len());
        for r in (0..64).step_by(4).chain([31, 47, 55]) {
            let t = time_queries(&near, |q| {
                index.query_using(Strategy::MultiIndex, q, r, &mut out);
                out.len()
            });
            println!(
                "  r={r:>2} {:>10} mih {:>9.1} flat {:>9.1}",
                format!("{:?}", index.strategy(r)),
                t.cpu_median_us,
                flat.cpu_median_us
            );
        }
        drop(index);
        let list64 = data::uniform64(7, n);
        let near64 = data::near_queries64(8, &list64, 1000, 16);
        let base = HammingIndex::<u64>::default_params();
        for m in [2u32, 3, 4, 5, 6] {
            for bucket_target in [4u32, 32] {
                let params = MihParams {
                    substrings: m,
                    bucket_target,
                    min_entries: 0,
                };
                let t = Instant::now();
                let index = HammingIndex::with_params(list64.iter().copied(), params);
                let build = t.elapsed().as_secs_f64();
                let flat = time_queries(&near64[..20], |q| index.query_flat(q, 12).len());
                print!(
                    "64-bit n={n} m={m} bucket={bucket_target}{}: build {build:.2} s, {:.1} B/hash, flat {:.0} us; mih cpu median",
                    if params == base { " (default)" } else { "" },
                    index.heap_bytes() as f64 / n as f64,
                    flat.cpu_median_us
                );
                for r in [4u32, 8, 10, 12, 16] {
                    let t = time_queries(&near64, |q| {
                        index.query_using(Strategy::MultiIndex, q, r, &mut out);
                        out.len()
                    });
                    print!("  r={r}: {:.1}", t.cpu_median_us);
                }
                println!();
            }
        }
    }
}

fn main() {
    if std::env::var("HASHWALL_BENCH_SWEEP").is_ok_and(|v| v == "1") {
        sweep();
        return;
    }
    if let Ok(dir) = std::env::var("HASHWALL_FAISS_DIR") {
        if let Err(e) = faiss_export(&dir) {
            eprintln!("export failed: {e}");
            std::process::exit(1);
        }
        return;
    }
    let table_only = std::env::var("HASHWALL_BENCH_TABLE_ONLY").is_ok_and(|v| v == "1");
    let mut c = Criterion::default().configure_from_args();
    run(&mut c, table_only);
    c.final_summary();
}
