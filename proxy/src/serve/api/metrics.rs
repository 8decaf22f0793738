//! The matching API's metrics, exported on the admin listener's `/metrics`
//! with the proxy's: requests by endpoint, client (the token's name; `-`
//! without one) and status, latency histograms by endpoint, and uploaded
//! images by outcome.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use crate::serve::exposition::{Histogram, label};

/// What became of an uploaded image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageResult {
    /// Decoded and hashed.
    Decoded,
    /// Over the decoding limits (a decompression bomb): refused.
    TooLarge,
    /// Not decodable (only its digests were checked).
    Undecodable,
    /// The pool was saturated.
    Busy,
    /// Not hashed within the scan timeout.
    Timeout,
}

impl ImageResult {
    const ALL: [ImageResult; 5] = [
        ImageResult::Decoded,
        ImageResult::TooLarge,
        ImageResult::Undecodable,
        ImageResult::Busy,
        ImageResult::Timeout,
    ];

    fn as_str(self) -> &'static str {
        match self {
            ImageResult::Decoded => "decoded",
            ImageResult::TooLarge => "too_large",
            ImageResult::Undecodable => "undecodable",
            ImageResult::Busy => "busy",
            ImageResult::Timeout => "timeout",
        }
    }
}

/// (method, path, client, status).
type RequestKey = (&'static str, &'static str, String, u16);

/// The API's counters.
#[derive(Debug, Default)]
pub struct ApiMetrics {
    /// (method, path, client, status) → requests.
    requests: Mutex<BTreeMap<RequestKey, u64>>,
    /// (method, path) → latency.
    latency: Mutex<BTreeMap<(&'static str, &'static str), Histogram>>,
    images: [AtomicU64; ImageResult::ALL.len()],
}

impl ApiMetrics {
    /// Counts one request: its endpoint (a route of the router, or
    /// `other`), client, status and time.
    pub fn request(
        &self,
        endpoint: (&'static str, &'static str),
        client: &str,
        status: u16,
        elapsed: Duration,
    ) {
        if let Ok(mut m) = self.requests.lock() {
            *m.entry((endpoint.0, endpoint.1, client.to_owned(), status))
                .or_default() += 1;
        }
        if let Ok(mut m) = self.latency.lock() {
            m.entry(endpoint).or_default().observe(elapsed);
        }
    }

    /// Counts one uploaded image.
    pub fn image(&self, result: ImageResult) {
        if let Some(i) = ImageResult::ALL.iter().position(|r| *r == result) {
            self.images[i].fetch_add(1, Relaxed);
        }
    }

    /// Appends the API's metrics in Prometheus text format.
    pub fn render(&self, o: &mut String) {
        o.push_str("# HELP hashwall_api_requests_total Matching API requests, by method, path, client (token name) and status.\n# TYPE hashwall_api_requests_total counter\n");
        if let Ok(m) = self.requests.lock() {
            for ((method, path, client, status), n) in m.iter() {
                let _ = writeln!(
                    o,
                    "hashwall_api_requests_total{{method=\"{method}\",path=\"{path}\",client=\"{}\",status=\"{status}\"}} {n}",
                    label(client)
                );
            }
        }
        o.push_str("# HELP hashwall_api_request_duration_seconds Matching API time from request to response head, by method and path.\n# TYPE hashwall_api_request_duration_seconds histogram\n");
        if let Ok(m) = self.latency.lock() {
            for ((method, path), h) in m.iter() {
                let l = format!("method=\"{method}\",path=\"{path}\"");
                h.render(o, "hashwall_api_request_duration_seconds", &l);
            }
        }
        o.push_str("# HELP hashwall_api_images_total Images uploaded to the matching API, by outcome.\n# TYPE hashwall_api_images_total counter\n");
        for (i, r) in ImageResult::ALL.iter().enumerate() {
            let _ = writeln!(
                o,
                "hashwall_api_images_total{{outcome=\"{}\"}} {}",
                r.as_str(),
                self.images[i].load(Relaxed)
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_requests_latency_and_images() {
        let m = ApiMetrics::default();
        m.request(("get", "/v1/lists"), "alice", 200, Duration::from_millis(2));
        m.request(
            ("get", "/v1/lists"),
            "alice",
            200,
            Duration::from_millis(20),
        );
        m.image(ImageResult::TooLarge);
        let mut o = String::new();
        m.render(&mut o);
        assert!(o.contains(
            "hashwall_api_requests_total{method=\"get\",path=\"/v1/lists\",client=\"alice\",status=\"200\"} 2"
        ), "{o}");
        assert!(o.contains(
            "hashwall_api_request_duration_seconds_bucket{method=\"get\",path=\"/v1/lists\",le=\"0.005\"} 1"
        ), "{o}");
        assert!(
            o.contains(
                "hashwall_api_request_duration_seconds_count{method=\"get\",path=\"/v1/lists\"} 2"
            ),
            "{o}"
        );
        assert!(
            o.contains("hashwall_api_images_total{outcome=\"too_large\"} 1"),
            "{o}"
        );
    }
}
