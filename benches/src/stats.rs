//! Latency percentiles and process memory, for the report binaries.

use std::time::Instant;

/// Percentiles of a set of per-operation latencies, in nanoseconds.
#[derive(Clone, Copy, Debug)]
pub struct Latency {
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Mean over the whole batch (total wall time / count): no timer
    /// overhead, but includes any preemption by other processes.
    pub mean: f64,
    /// Mean thread CPU time per call over the whole batch: what the call
    /// costs on one core, whatever else the machine is doing.
    pub cpu_mean: f64,
}

/// This thread's CPU time in nanoseconds.
pub fn thread_cpu_ns() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant
    // every Linux kernel supports.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return 0.0;
    }
    ts.tv_sec as f64 * 1e9 + ts.tv_nsec as f64
}

/// The cost of one `Instant::now()` pair, to subtract from per-call timings.
pub fn timer_overhead_ns() -> f64 {
    let mut v: Vec<f64> = (0..100_001)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(());
            t.elapsed().as_nanos() as f64
        })
        .collect();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Times `f` on every input, one call at a time (minus the timer overhead),
/// after one untimed warm-up pass; also measures the batch mean.
pub fn measure<T>(inputs: &[T], mut f: impl FnMut(&T)) -> Latency {
    for x in inputs {
        f(x);
    }
    let overhead = timer_overhead_ns();
    let mut v = Vec::with_capacity(inputs.len());
    for x in inputs {
        let t = Instant::now();
        f(x);
        v.push((t.elapsed().as_nanos() as f64 - overhead).max(0.0));
    }
    let t = Instant::now();
    let c = thread_cpu_ns();
    for x in inputs {
        f(x);
    }
    let cpu_mean = (thread_cpu_ns() - c) / inputs.len().max(1) as f64;
    let mean = t.elapsed().as_nanos() as f64 / inputs.len().max(1) as f64;
    v.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        v.get(((v.len() as f64 - 1.0) * p) as usize)
            .copied()
            .unwrap_or(0.0)
    };
    Latency {
        p50: pct(0.5),
        p90: pct(0.9),
        p99: pct(0.99),
        mean,
        cpu_mean,
    }
}

/// Resident memory now and at its peak (`VmRSS`, `VmHWM`), in bytes; zero
/// where `/proc` is unavailable.
pub fn rss_bytes() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    };
    (field("VmRSS:"), field("VmHWM:"))
}
