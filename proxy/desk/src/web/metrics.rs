//! Counters for `/metrics` (Prometheus text format 0.0.4).
//!
//! Counted since the process started: reports received by category and
//! source, decisions by outcome, HTTP requests by route and status. Routes
//! are the router's patterns (`/reports/{reference}`), never the requested
//! path, so references and reported URLs never appear in the output.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;

/// All counters of the web layer.
#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Counters>,
}

#[derive(Default)]
struct Counters {
    reports: BTreeMap<(String, String), u64>,
    decisions: BTreeMap<String, u64>,
    requests: BTreeMap<(String, String, u16), u64>,
}

/// Escapes a label value for the exposition format.
fn label(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl Metrics {
    fn with<R>(&self, f: impl FnOnce(&mut Counters) -> R) -> R {
        match self.inner.lock() {
            Ok(mut g) => f(&mut g),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }

    /// One report accepted with this category and source.
    pub fn report_received(&self, category: &str, source: &str) {
        self.with(|c| {
            *c.reports
                .entry((category.to_string(), source.to_string()))
                .or_default() += 1
        });
    }

    /// One decision recorded with this outcome (assessment, confirmation, resolution).
    pub fn decision(&self, outcome: &str) {
        self.with(|c| *c.decisions.entry(outcome.to_string()).or_default() += 1);
    }

    /// One HTTP request answered.
    pub fn request(&self, method: &str, route: &str, status: u16) {
        self.with(|c| {
            *c.requests
                .entry((method.to_string(), route.to_string(), status))
                .or_default() += 1
        });
    }

    /// The exposition text.
    pub fn render(&self) -> String {
        self.with(|c| {
            let mut out = String::new();
            out.push_str("# HELP hashwall_desk_reports_received_total Reports accepted, by category and source.\n");
            out.push_str("# TYPE hashwall_desk_reports_received_total counter\n");
            for ((cat, src), n) in &c.reports {
                let _ = writeln!(
                    out,
                    "hashwall_desk_reports_received_total{{category=\"{}\",source=\"{}\"}} {n}",
                    label(cat),
                    label(src)
                );
            }
            out.push_str("# HELP hashwall_desk_decisions_total Decisions recorded, by outcome.\n");
            out.push_str("# TYPE hashwall_desk_decisions_total counter\n");
            for (outcome, n) in &c.decisions {
                let _ = writeln!(
                    out,
                    "hashwall_desk_decisions_total{{outcome=\"{}\"}} {n}",
                    label(outcome)
                );
            }
            out.push_str("# HELP hashwall_desk_http_requests_total HTTP requests, by method, route and status.\n");
            out.push_str("# TYPE hashwall_desk_http_requests_total counter\n");
            for ((method, route, status), n) in &c.requests {
                let _ = writeln!(
                    out,
                    "hashwall_desk_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{status}\"}} {n}",
                    label(method),
                    label(route)
                );
            }
            out
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_with_escaped_labels() {
        let m = Metrics::default();
        m.report_received("csam", "public");
        m.report_received("csam", "public");
        m.decision("illegal");
        m.request("GET", "/x\"y", 200);
        let text = m.render();
        assert!(text.contains(
            "hashwall_desk_reports_received_total{category=\"csam\",source=\"public\"} 2\n"
        ));
        assert!(text.contains("hashwall_desk_decisions_total{outcome=\"illegal\"} 1\n"));
        assert!(text.contains("route=\"/x\\\"y\",status=\"200\"} 1\n"));
    }
}
