//! What the proxy's and the matching API's metrics share in the Prometheus
//! text exposition format: the latency buckets and label escaping.

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

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_what_the_format_requires() {
        assert_eq!(super::label("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
        assert_eq!(super::label("plain"), "plain");
    }
}
