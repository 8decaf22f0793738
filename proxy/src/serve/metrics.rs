//! Prometheus metrics, rendered as text by hand (a handful of counters does
//! not need a metrics framework and its dependencies).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use crate::serve::exposition::{BUCKETS, label};

use hashwall::Snapshot;
use hyper::Method;

/// What happened to a request (the `outcome` label).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// Forwarded upstream and answered.
    Forwarded,
    /// CONNECT tunnel opened.
    Tunnel,
    /// Blocked by a list (451).
    Blocked,
    /// Client address not allowed (403).
    ClientDenied,
    /// CONNECT port not allowed, or a forwarding loop (403).
    Forbidden,
    /// Proxy authentication required (407).
    AuthRequired,
    /// Malformed or unsupported request (400, 501).
    BadRequest,
    /// URL could not be canonicalised and was refused (fail-closed, 400).
    InvalidUrl,
    /// URL could not be canonicalised and was forwarded (fail-open).
    InvalidUrlOpen,
    /// Upstream unreachable or failed (502).
    UpstreamError,
    /// Upstream too slow (504).
    UpstreamTimeout,
    /// An image response that could not be scanned, refused (fail-closed, 403).
    ImageUnscannable,
    /// The target resolved to an address the proxy does not connect to
    /// (its own listener, the proxy host, link-local, a denied network:
    /// 403); the reason is in `hashwall_destinations_refused_total`.
    DestinationDenied,
}

impl Outcome {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Forwarded => "forwarded",
            Outcome::Tunnel => "tunnel",
            Outcome::Blocked => "blocked",
            Outcome::ClientDenied => "client_denied",
            Outcome::Forbidden => "forbidden",
            Outcome::AuthRequired => "auth_required",
            Outcome::BadRequest => "bad_request",
            Outcome::InvalidUrl => "invalid_url",
            Outcome::InvalidUrlOpen => "invalid_url_open",
            Outcome::UpstreamError => "upstream_error",
            Outcome::UpstreamTimeout => "upstream_timeout",
            Outcome::ImageUnscannable => "image_unscannable",
            Outcome::DestinationDenied => "destination_denied",
        }
    }
}

/// Why a request was refused before it reached the proxy logic (the
/// `reason` label of `hashwall_requests_refused_total`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Both `Content-Length` and `Transfer-Encoding` (400; the framing
    /// guard).
    AmbiguousFraming,
    /// A head over `limits.max_request_header_bytes` or with more than
    /// `limits.max_request_headers` fields (431).
    HeaderTooLarge,
    /// A head that does not parse (400).
    Malformed,
    /// A head begun but not completed within `timeouts.request_header_secs`
    /// (connection closed).
    HeaderTimeout,
}

impl Refusal {
    /// Every reason, in exposition order.
    pub const ALL: [Refusal; 4] = [
        Refusal::AmbiguousFraming,
        Refusal::HeaderTooLarge,
        Refusal::Malformed,
        Refusal::HeaderTimeout,
    ];

    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::AmbiguousFraming => "ambiguous_framing",
            Refusal::HeaderTooLarge => "header_too_large",
            Refusal::Malformed => "malformed",
            Refusal::HeaderTimeout => "header_timeout",
        }
    }
}

/// What happened to one image response (the `outcome` label of
/// `hashwall_images_scanned_total`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageOutcome {
    /// Hashed and matched at least one list (blocked or monitored).
    Matched,
    /// Hashed, no match.
    Clean,
    /// Over `images.max_bytes` (declared or received) or the decode limits.
    TooLarge,
    /// Not decodable, and no file digest matched.
    Undecodable,
    /// The scan pool was full.
    Saturated,
    /// The scan took longer than `images.scan_timeout_secs`.
    Timeout,
}

impl ImageOutcome {
    /// Every outcome, in exposition order.
    pub const ALL: [ImageOutcome; 6] = [
        ImageOutcome::Matched,
        ImageOutcome::Clean,
        ImageOutcome::TooLarge,
        ImageOutcome::Undecodable,
        ImageOutcome::Saturated,
        ImageOutcome::Timeout,
    ];

    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            ImageOutcome::Matched => "matched",
            ImageOutcome::Clean => "clean",
            ImageOutcome::TooLarge => "too_large",
            ImageOutcome::Undecodable => "undecodable",
            ImageOutcome::Saturated => "saturated",
            ImageOutcome::Timeout => "timeout",
        }
    }

    /// Whether the image went unchecked (`images.on_unscannable` applies).
    pub fn is_unscannable(self) -> bool {
        !matches!(self, ImageOutcome::Matched | ImageOutcome::Clean)
    }
}

/// The method label: known methods by name, the rest as `other` (a client
/// must not be able to create unbounded label values).
fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::CONNECT => "CONNECT",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        Method::TRACE => "TRACE",
        _ => "other",
    }
}

/// Every metric the proxy exports.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(&'static str, Outcome), u64>>,
    decisions: Mutex<BTreeMap<(String, String, &'static str), u64>>,
    buckets: [AtomicU64; BUCKETS.len()],
    latency_count: AtomicU64,
    latency_sum_nanos: AtomicU64,
    /// Successful list reloads.
    pub reloads_ok: AtomicU64,
    /// Failed list reloads (the previous snapshot stayed).
    pub reloads_failed: AtomicU64,
    /// Unix time of the last successful load.
    pub last_reload_ok: AtomicI64,
    /// Unix time of the last failed load (0: never).
    pub last_reload_failed: AtomicI64,
    /// Client connections open now.
    pub connections_open: AtomicI64,
    /// Client connections accepted.
    pub connections_total: AtomicU64,
    /// CONNECT tunnels open now.
    pub tunnels_open: AtomicI64,
    /// Failed writes of the state file (`[lists] state`).
    pub state_write_failures: AtomicU64,
    /// Image responses by outcome, indexed as [`ImageOutcome::ALL`].
    images: [AtomicU64; ImageOutcome::ALL.len()],
    /// Requests refused before the proxy logic, indexed as [`Refusal::ALL`].
    refused: [AtomicU64; Refusal::ALL.len()],
    /// Per subscription (by its list name).
    subscriptions: Mutex<BTreeMap<String, SubscriptionMetrics>>,
    /// Refused destinations and malformed authorities, by reason.
    pub destinations: super::destination::Counters,
    /// The matching API's counters.
    pub api: super::api::metrics::ApiMetrics,
    /// The ICAP service's counters.
    pub icap: super::icap::metrics::IcapMetrics,
}

/// The metrics of one subscription.
#[derive(Debug, Default, Clone)]
struct SubscriptionMetrics {
    failures: BTreeMap<&'static str, u64>,
    sequence: u64,
    last_success: i64,
}

impl Metrics {
    /// Counts one request and its handling time.
    pub fn request(&self, method: &Method, outcome: Outcome, elapsed: Duration) {
        if let Ok(mut m) = self.requests.lock() {
            *m.entry((method_label(method), outcome)).or_default() += 1;
        }
        let secs = elapsed.as_secs_f64();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if secs <= *bound {
                self.buckets[i].fetch_add(1, Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Relaxed);
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.latency_sum_nanos.fetch_add(nanos, Relaxed);
    }

    /// Counts a list match and the action it asked for.
    pub fn decision(&self, list: &str, category: &str, action: &'static str) {
        if let Ok(mut m) = self.decisions.lock() {
            *m.entry((list.to_owned(), category.to_owned(), action))
                .or_default() += 1;
        }
    }

    /// Counts one image response.
    pub fn image(&self, outcome: ImageOutcome) {
        // `ALL` lists every variant, so the position always exists.
        if let Some(i) = ImageOutcome::ALL.iter().position(|o| *o == outcome) {
            self.images[i].fetch_add(1, Relaxed);
        }
    }

    /// The count of image responses with `outcome`.
    pub fn images(&self, outcome: ImageOutcome) -> u64 {
        ImageOutcome::ALL
            .iter()
            .position(|o| *o == outcome)
            .map_or(0, |i| self.images[i].load(Relaxed))
    }

    /// Counts one request refused before the proxy logic.
    pub fn refusal(&self, reason: Refusal) {
        if let Some(i) = Refusal::ALL.iter().position(|r| *r == reason) {
            self.refused[i].fetch_add(1, Relaxed);
        }
    }

    /// The count of requests refused for `reason`.
    pub fn refusals(&self, reason: Refusal) -> u64 {
        Refusal::ALL
            .iter()
            .position(|r| *r == reason)
            .map_or(0, |i| self.refused[i].load(Relaxed))
    }

    /// Makes a subscription's series exist (at zero) before its first poll.
    pub fn subscription_register(&self, list: &str) {
        if let Ok(mut m) = self.subscriptions.lock() {
            m.entry(list.to_owned()).or_default();
        }
    }

    /// Counts a failed subscription poll; `reason` is one of a fixed set.
    pub fn subscription_failure(&self, list: &str, reason: &'static str) {
        if let Ok(mut m) = self.subscriptions.lock() {
            *m.entry(list.to_owned())
                .or_default()
                .failures
                .entry(reason)
                .or_default() += 1;
        }
    }

    /// Records a successful poll: the list is at `sequence` (the
    /// publisher's current one) as of `at` (Unix seconds).
    pub fn subscription_success(&self, list: &str, sequence: u64, at: i64) {
        if let Ok(mut m) = self.subscriptions.lock() {
            let s = m.entry(list.to_owned()).or_default();
            s.sequence = sequence;
            s.last_success = at;
        }
    }

    /// Failures of subscription `list` counted with `reason`.
    pub fn subscription_failures(&self, list: &str, reason: &str) -> u64 {
        self.subscriptions
            .lock()
            .ok()
            .and_then(|m| m.get(list).and_then(|s| s.failures.get(reason).copied()))
            .unwrap_or(0)
    }

    fn render_subscriptions(&self, o: &mut String) {
        let Ok(m) = self.subscriptions.lock() else {
            return;
        };
        if m.is_empty() {
            return;
        }
        o.push_str("# HELP hashwall_subscription_failures_total Failed subscription polls (the last good list is kept), by list and reason.\n# TYPE hashwall_subscription_failures_total counter\n");
        for (list, s) in m.iter() {
            for (reason, n) in &s.failures {
                let _ = writeln!(
                    o,
                    "hashwall_subscription_failures_total{{list=\"{}\",reason=\"{reason}\"}} {n}",
                    label(list)
                );
            }
        }
        o.push_str("# HELP hashwall_subscription_sequence Sequence of each subscribed list held locally.\n# TYPE hashwall_subscription_sequence gauge\n");
        for (list, s) in m.iter() {
            let _ = writeln!(
                o,
                "hashwall_subscription_sequence{{list=\"{}\"}} {}",
                label(list),
                s.sequence
            );
        }
        o.push_str("# HELP hashwall_subscription_last_success_timestamp_seconds Unix time of the last poll that found the publisher and the local list in step (0: never).\n# TYPE hashwall_subscription_last_success_timestamp_seconds gauge\n");
        for (list, s) in m.iter() {
            let _ = writeln!(
                o,
                "hashwall_subscription_last_success_timestamp_seconds{{list=\"{}\"}} {}",
                label(list),
                s.last_success
            );
        }
    }

    /// The Prometheus text exposition (format 0.0.4).
    pub fn render(&self, snapshot: Option<&Snapshot>) -> String {
        let mut o = String::with_capacity(4096);
        o.push_str("# HELP hashwall_requests_total Requests handled, by method and outcome.\n# TYPE hashwall_requests_total counter\n");
        if let Ok(m) = self.requests.lock() {
            for ((method, outcome), n) in m.iter() {
                let _ = writeln!(
                    o,
                    "hashwall_requests_total{{method=\"{method}\",outcome=\"{}\"}} {n}",
                    outcome.as_str()
                );
            }
        }
        o.push_str("# HELP hashwall_requests_refused_total Requests refused before the proxy logic (by hyper or the framing guard), by reason.\n# TYPE hashwall_requests_refused_total counter\n");
        for reason in Refusal::ALL {
            let _ = writeln!(
                o,
                "hashwall_requests_refused_total{{reason=\"{}\"}} {}",
                reason.as_str(),
                self.refusals(reason)
            );
        }
        o.push_str("# HELP hashwall_decisions_total List matches, by list, category and the action the list asked for.\n# TYPE hashwall_decisions_total counter\n");
        if let Ok(m) = self.decisions.lock() {
            for ((list, category, action), n) in m.iter() {
                let _ = writeln!(
                    o,
                    "hashwall_decisions_total{{list=\"{}\",category=\"{}\",action=\"{action}\"}} {n}",
                    label(list),
                    label(category)
                );
            }
        }
        o.push_str("# HELP hashwall_request_duration_seconds Time from request head to response head.\n# TYPE hashwall_request_duration_seconds histogram\n");
        for (i, bound) in BUCKETS.iter().enumerate() {
            let _ = writeln!(
                o,
                "hashwall_request_duration_seconds_bucket{{le=\"{bound}\"}} {}",
                self.buckets[i].load(Relaxed)
            );
        }
        let count = self.latency_count.load(Relaxed);
        let _ = writeln!(
            o,
            "hashwall_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}\nhashwall_request_duration_seconds_sum {}\nhashwall_request_duration_seconds_count {count}",
            self.latency_sum_nanos.load(Relaxed) as f64 / 1e9
        );
        o.push_str("# HELP hashwall_images_scanned_total Image responses, by scan outcome.\n# TYPE hashwall_images_scanned_total counter\n");
        for outcome in ImageOutcome::ALL {
            let _ = writeln!(
                o,
                "hashwall_images_scanned_total{{outcome=\"{}\"}} {}",
                outcome.as_str(),
                self.images(outcome)
            );
        }
        if let Some(s) = snapshot {
            o.push_str("# HELP hashwall_list_sequence Sequence number of each list in the current snapshot.\n# TYPE hashwall_list_sequence gauge\n");
            for l in s.lists() {
                let _ = writeln!(
                    o,
                    "hashwall_list_sequence{{list=\"{}\"}} {}",
                    label(l.id()),
                    l.sequence()
                );
            }
            o.push_str("# HELP hashwall_list_entries URL entries of each list in the current snapshot.\n# TYPE hashwall_list_entries gauge\n");
            for l in s.lists() {
                let _ = writeln!(
                    o,
                    "hashwall_list_entries{{list=\"{}\"}} {}",
                    label(l.id()),
                    l.entries()
                );
            }
        }
        let _ = write!(
            o,
            "# HELP hashwall_reloads_total List loads, by result.\n# TYPE hashwall_reloads_total counter\n\
             hashwall_reloads_total{{result=\"success\"}} {}\nhashwall_reloads_total{{result=\"failure\"}} {}\n\
             # HELP hashwall_last_reload_success_timestamp_seconds Unix time of the last successful list load.\n# TYPE hashwall_last_reload_success_timestamp_seconds gauge\n\
             hashwall_last_reload_success_timestamp_seconds {}\n\
             # HELP hashwall_last_reload_failure_timestamp_seconds Unix time of the last failed list load (0: none).\n# TYPE hashwall_last_reload_failure_timestamp_seconds gauge\n\
             hashwall_last_reload_failure_timestamp_seconds {}\n\
             # HELP hashwall_connections_open Client connections open.\n# TYPE hashwall_connections_open gauge\nhashwall_connections_open {}\n\
             # HELP hashwall_connections_total Client connections accepted.\n# TYPE hashwall_connections_total counter\nhashwall_connections_total {}\n\
             # HELP hashwall_tunnels_open CONNECT tunnels open.\n# TYPE hashwall_tunnels_open gauge\nhashwall_tunnels_open {}\n\
             # HELP hashwall_state_write_failures_total Failed writes of the rollback state file (the new lists are served anyway).\n# TYPE hashwall_state_write_failures_total counter\nhashwall_state_write_failures_total {}\n",
            self.reloads_ok.load(Relaxed),
            self.reloads_failed.load(Relaxed),
            self.last_reload_ok.load(Relaxed),
            self.last_reload_failed.load(Relaxed),
            self.connections_open.load(Relaxed),
            self.connections_total.load(Relaxed),
            self.tunnels_open.load(Relaxed),
            self.state_write_failures.load(Relaxed),
        );
        self.render_subscriptions(&mut o);
        self.destinations.render(&mut o);
        self.api.render(&mut o);
        self.icap.render(&mut o);
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_histogram() {
        let m = Metrics::default();
        m.request(&Method::GET, Outcome::Blocked, Duration::from_millis(2));
        m.request(
            &Method::from_bytes(b"BREW").unwrap_or(Method::GET),
            Outcome::BadRequest,
            Duration::from_secs(20),
        );
        m.decision("po\"lice", "csam", "block");
        let t = m.render(None);
        assert!(t.contains("hashwall_requests_total{method=\"GET\",outcome=\"blocked\"} 1"));
        assert!(t.contains("hashwall_requests_total{method=\"other\",outcome=\"bad_request\"} 1"));
        assert!(t.contains(
            "hashwall_decisions_total{list=\"po\\\"lice\",category=\"csam\",action=\"block\"} 1"
        ));
        assert!(t.contains("hashwall_request_duration_seconds_bucket{le=\"0.0025\"} 1"));
        assert!(t.contains("hashwall_request_duration_seconds_bucket{le=\"+Inf\"} 2"));
    }
}
