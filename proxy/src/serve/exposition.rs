//! What the proxy's, the matching API's and the ICAP service's metrics
//! share in the Prometheus text exposition format: the latency buckets, a
//! histogram over them, and label escaping.

use std::fmt::Write as _;
use std::time::Duration;

/// Latency histogram bucket bounds, seconds.
pub(crate) const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// A label value escaped as the exposition format requires (`\`, `"` and
/// line feeds).
pub(crate) fn label(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// A latency histogram over [`BUCKETS`] (kept behind the caller's lock).
#[derive(Debug, Default, Clone)]
pub(crate) struct Histogram {
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    /// Counts one observation.
    pub(crate) fn observe(&mut self, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        for (bucket, bound) in self.buckets.iter_mut().zip(BUCKETS) {
            if secs <= bound {
                *bucket += 1;
            }
        }
        self.count += 1;
        self.sum += secs;
    }

    /// Appends the `_bucket`, `_sum` and `_count` series of `name` with
    /// `labels` (already escaped, without braces) to `out`.
    pub(crate) fn render(&self, out: &mut String, name: &str, labels: &str) {
        for (n, bound) in self.buckets.iter().zip(BUCKETS) {
            let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{bound}\"}} {n}");
        }
        let c = self.count;
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels},le=\"+Inf\"}} {c}\n{name}_sum{{{labels}}} {}\n{name}_count{{{labels}}} {c}",
            self.sum
        );
    }
}

#[cfg(test)]
mod tests {
    use super::Histogram;

    #[test]
    fn a_histogram_counts_each_observation_in_every_bucket_above_it() {
        let mut h = Histogram::default();
        h.observe(std::time::Duration::from_millis(3));
        h.observe(std::time::Duration::from_secs(20));
        let mut out = String::new();
        h.render(&mut out, "x_seconds", "m=\"GET\"");
        assert!(
            out.contains("x_seconds_bucket{m=\"GET\",le=\"0.0025\"} 0\n"),
            "{out}"
        );
        assert!(
            out.contains("x_seconds_bucket{m=\"GET\",le=\"0.005\"} 1\n"),
            "{out}"
        );
        assert!(
            out.contains("x_seconds_bucket{m=\"GET\",le=\"10\"} 1\n"),
            "{out}"
        );
        assert!(
            out.contains("x_seconds_bucket{m=\"GET\",le=\"+Inf\"} 2\n"),
            "{out}"
        );
        assert!(out.contains("x_seconds_count{m=\"GET\"} 2\n"), "{out}");
        assert!(out.contains("x_seconds_sum{m=\"GET\"} 20.003\n"), "{out}");
    }

    #[test]
    fn escapes_what_the_format_requires() {
        assert_eq!(super::label("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
        assert_eq!(super::label("plain"), "plain");
    }
}
