//! The ICAP service's metrics, exported on the admin listener's `/metrics`
//! with the proxy's: requests by ICAP method and outcome, latency
//! histograms by method, and connections.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use crate::serve::exposition::Histogram;

/// What became of one ICAP request (the `outcome` label).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum IcapOutcome {
    /// `OPTIONS` answered.
    Options,
    /// Allowed: 204, or the message echoed unchanged.
    Allowed,
    /// The URL or image is listed: the 451 page.
    Blocked,
    /// The URL does not canonicalise and `on_invalid_url` is `closed`.
    InvalidUrl,
    /// The URL does not canonicalise and was allowed unchecked.
    InvalidUrlOpen,
    /// An image that could not be scanned, refused (fail-closed, 403).
    ImageUnscannable,
    /// An unknown service or a method the service does not offer.
    NotFound,
    /// A malformed request (400, connection closed).
    BadRequest,
    /// The client went away or was too slow mid-request.
    Aborted,
}

impl IcapOutcome {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            IcapOutcome::Options => "options",
            IcapOutcome::Allowed => "allowed",
            IcapOutcome::Blocked => "blocked",
            IcapOutcome::InvalidUrl => "invalid_url",
            IcapOutcome::InvalidUrlOpen => "invalid_url_open",
            IcapOutcome::ImageUnscannable => "image_unscannable",
            IcapOutcome::NotFound => "not_found",
            IcapOutcome::BadRequest => "bad_request",
            IcapOutcome::Aborted => "aborted",
        }
    }
}

/// The ICAP service's counters.
#[derive(Debug, Default)]
pub struct IcapMetrics {
    requests: Mutex<BTreeMap<(&'static str, IcapOutcome), u64>>,
    latency: Mutex<BTreeMap<&'static str, Histogram>>,
    /// ICAP connections open now.
    pub connections_open: AtomicI64,
    /// ICAP connections accepted.
    pub connections_total: AtomicU64,
}

impl IcapMetrics {
    /// Counts one request (`method`: `OPTIONS`, `REQMOD`, `RESPMOD` or
    /// `other`) and its handling time.
    pub fn request(&self, method: &'static str, outcome: IcapOutcome, elapsed: Duration) {
        if let Ok(mut m) = self.requests.lock() {
            *m.entry((method, outcome)).or_default() += 1;
        }
        if let Ok(mut m) = self.latency.lock() {
            m.entry(method).or_default().observe(elapsed);
        }
    }

    /// The count of requests with this method and outcome.
    pub fn requests(&self, method: &str, outcome: IcapOutcome) -> u64 {
        self.requests.lock().map_or(0, |m| {
            m.iter()
                .filter(|((me, o), _)| *me == method && *o == outcome)
                .map(|(_, n)| *n)
                .sum()
        })
    }

    /// Appends the ICAP metrics in Prometheus text format.
    pub fn render(&self, o: &mut String) {
        o.push_str("# HELP hashwall_icap_requests_total ICAP requests, by ICAP method and outcome.\n# TYPE hashwall_icap_requests_total counter\n");
        if let Ok(m) = self.requests.lock() {
            for ((method, outcome), n) in m.iter() {
                let _ = writeln!(
                    o,
                    "hashwall_icap_requests_total{{method=\"{method}\",outcome=\"{}\"}} {n}",
                    outcome.as_str()
                );
            }
        }
        o.push_str("# HELP hashwall_icap_request_duration_seconds ICAP time from request head to the end of the answer, by ICAP method.\n# TYPE hashwall_icap_request_duration_seconds histogram\n");
        if let Ok(m) = self.latency.lock() {
            for (method, h) in m.iter() {
                let l = format!("method=\"{method}\"");
                h.render(o, "hashwall_icap_request_duration_seconds", &l);
            }
        }
        let _ = writeln!(
            o,
            "# HELP hashwall_icap_connections_open ICAP connections open now.\n# TYPE hashwall_icap_connections_open gauge\nhashwall_icap_connections_open {}\n\
             # HELP hashwall_icap_connections_total ICAP connections accepted.\n# TYPE hashwall_icap_connections_total counter\nhashwall_icap_connections_total {}",
            self.connections_open.load(Relaxed),
            self.connections_total.load(Relaxed)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_per_method() {
        let m = IcapMetrics::default();
        m.request("REQMOD", IcapOutcome::Blocked, Duration::from_millis(2));
        m.request("REQMOD", IcapOutcome::Blocked, Duration::from_millis(20));
        m.request("OPTIONS", IcapOutcome::Options, Duration::from_micros(100));
        let mut o = String::new();
        m.render(&mut o);
        assert!(
            o.contains("hashwall_icap_requests_total{method=\"REQMOD\",outcome=\"blocked\"} 2"),
            "{o}"
        );
        assert!(
            o.contains(
                "hashwall_icap_request_duration_seconds_bucket{method=\"REQMOD\",le=\"0.005\"} 1"
            ),
            "{o}"
        );
        assert!(
            o.contains("hashwall_icap_request_duration_seconds_count{method=\"OPTIONS\"} 1"),
            "{o}"
        );
        assert_eq!(m.requests("REQMOD", IcapOutcome::Blocked), 2);
    }
}
