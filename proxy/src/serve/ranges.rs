//! Ranged image responses: decided on the whole object, never on a slice.
//!
//! A `206 Partial Content` carries a slice of an object. A slice past
//! offset 0 has no magic bytes and does not decode, so scanned alone it is
//! "unscannable" and, failing open, passes: two ranged requests
//! (`bytes=0-99999`, `bytes=100000-`) would reassemble a listed image that
//! a plain GET is blocked on. So a 206 is never scanned as it is; it is
//! decided as a plain GET of the same object would be, by [`Partial`]:
//!
//! - scanning off, a HEAD, or no list with image entries: the 206 passes
//!   (as any response does then);
//! - a type a plain GET would not scan (`video/mp4` with `sniff =
//!   "generic"`): the 206 passes untouched, so video seeking costs nothing;
//! - the object is over `images.max_bytes` by its `Content-Range`
//!   (`bytes 0-99/TOTAL`): what a plain GET of it gets, "too large", failing
//!   open or closed (closed and only sniffed: its first bytes are asked for,
//!   `Range: bytes=0-11`, and refused only if they are an image's, as the
//!   plain GET would be);
//! - a 206 holding the whole object (`bytes 0-(N-1)/N`) when the client
//!   asked for all of it from offset 0 (`bytes=0-`, as media players do):
//!   scanned as a plain GET's body; if it does not decode (a slice that
//!   claims to be whole would not), it is decided as below;
//! - anything else — a slice of an object within the cap, an unknown total
//!   (`bytes 0-99/*`), a missing or malformed `Content-Range`, several
//!   ranges (`multipart/byteranges`, whose parts carry their own types) —
//!   is fetched again whole, without `Range` and `If-Range`, through the
//!   same upstream client. That response goes through the image filter as
//!   any 200 does (scanned within the cap, sniffed, blocked, failing open
//!   or closed), and the client's range is then cut from it, as Squid's
//!   `range_offset_limit` does: one satisfiable range gets a 206 with its
//!   `Content-Range`, none a 416 (`bytes */N`), several, an invalid `Range`
//!   or an `If-Range` that the whole object's validators do not match the
//!   whole 200 (HTTP lets a server ignore `Range`). Bytes of the first 206
//!   are never sent: what the client gets comes from the object that was
//!   scanned, with that object's `ETag` and `Last-Modified`, so its own
//!   `If-Range` on later requests keeps slices of different versions
//!   apart.
//!
//! What the origin says is not trusted further than a plain GET trusts
//! it: a 206 to a request without `Range` (or to a method other than GET),
//! or a 206 answer to the whole-object fetch, needing a decision, is a
//! broken or hostile server (502). An origin that lies about the type or
//! the total gets what the same lie gets on a plain GET.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use hashwall::{Snapshot, Verdict};
use http_body_util::{BodyExt, Empty};
use hyper::body::{Body, Frame, SizeHint};
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::http::{request, response};
use hyper::{Method, Request, StatusCode, Uri, Version};
use tokio::time::Instant;

use super::config::FailMode;
use super::headers::{add_via, remove_hop_by_hop};
use super::images::{self, Candidate, Filtered, MAGIC_LEN, Scanner, has_image_magic};
use super::metrics::ImageOutcome;
use super::range_spec::{Resolved, Shape, Spec, if_range_holds, parse_range, part_head, resolve};
use super::stop_page::error_page;
use super::upstream::{UpstreamClient, stream_body};
use super::{BoxError, ProxyBody};

/// A ranged GET's request head, kept to fetch the object again whole.
#[derive(Debug)]
pub struct Refetch {
    uri: Uri,
    version: Version,
    /// The upstream head without `Range`, `If-Range` and body framing.
    headers: HeaderMap,
    /// The client's `Range` fields.
    range: Vec<HeaderValue>,
    /// The client's `If-Range` fields.
    if_range: Vec<HeaderValue>,
}

impl Refetch {
    /// From the upstream request head, when it may get a 206 worth deciding:
    /// a GET with `Range`, image scanning on. `None` costs nothing.
    pub fn capture(scanner: &Scanner, head: &request::Parts) -> Option<Refetch> {
        if !scanner.config().enabled
            || head.method != Method::GET
            || !head.headers.contains_key(header::RANGE)
        {
            return None;
        }
        let mut headers = head.headers.clone();
        let values = |h: &HeaderMap, name| h.get_all(name).iter().cloned().collect::<Vec<_>>();
        let range = values(&headers, header::RANGE);
        let if_range = values(&headers, header::IF_RANGE);
        for name in [
            header::RANGE,
            header::IF_RANGE,
            header::CONTENT_LENGTH,
            header::TRANSFER_ENCODING,
            header::EXPECT,
        ] {
            headers.remove(name);
        }
        Some(Refetch {
            uri: head.uri.clone(),
            version: head.version,
            headers,
            range,
            if_range,
        })
    }

    /// Whether the client's `Range` is one range from offset 0 that covers
    /// all `total` bytes (`bytes=0-`, `bytes=0-N` with N >= total - 1): a
    /// 206 claiming to hold the whole object is only scanned as it is
    /// then.
    fn asks_whole(&self, total: u64) -> bool {
        let Some(specs) = parse_range(&self.range) else {
            return false;
        };
        matches!(specs.as_slice(), [Spec::From { first: 0, .. }])
            && total > 0
            && resolve(&specs, total) == Resolved::One(0, total - 1)
    }

    /// The request for the whole object, or (`Some`) for these bytes.
    fn request(&self, range: Option<HeaderValue>) -> Request<ProxyBody> {
        let body = Empty::<Bytes>::new()
            .map_err(|never| match never {})
            .boxed_unsync();
        let mut req = Request::new(body);
        *req.uri_mut() = self.uri.clone();
        *req.version_mut() = self.version;
        *req.headers_mut() = self.headers.clone();
        if let Some(r) = range {
            req.headers_mut().insert(header::RANGE, r);
        }
        req
    }

    /// The client's answer cut from the whole object's 200 (`parts` and
    /// `body`, already through the image filter).
    fn answer(&self, parts: &mut response::Parts, body: ProxyBody) -> ProxyBody {
        let Some(len) = body.size_hint().exact() else {
            // Length unknown (chunked and not held): the whole 200.
            return body;
        };
        if !if_range_holds(&self.if_range, &parts.headers) {
            return body;
        }
        let Some(specs) = parse_range(&self.range) else {
            return body;
        };
        match resolve(&specs, len) {
            Resolved::Whole => body,
            Resolved::Unsatisfiable => {
                let (page, page_body) = error_page(
                    StatusCode::RANGE_NOT_SATISFIABLE,
                    "The requested range is not satisfiable.",
                )
                .into_parts();
                *parts = page;
                if let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}")) {
                    parts.headers.insert(header::CONTENT_RANGE, v);
                }
                page_body
            }
            Resolved::One(first, last) => {
                let n = last - first + 1;
                parts.status = StatusCode::PARTIAL_CONTENT;
                if let Ok(v) = HeaderValue::from_str(&format!("bytes {first}-{last}/{len}")) {
                    parts.headers.insert(header::CONTENT_RANGE, v);
                }
                parts
                    .headers
                    .insert(header::CONTENT_LENGTH, HeaderValue::from(n));
                Slice {
                    inner: body,
                    skip: first,
                    left: n,
                }
                .boxed_unsync()
            }
        }
    }
}

/// Where and how a refetch is sent: the exchange's client and deadline.
#[derive(Debug)]
pub struct Upstream<'a> {
    client: &'a UpstreamClient,
    via: &'a str,
    deadline: Instant,
}

impl<'a> Upstream<'a> {
    /// The pooled client, our `Via` pseudonym, the exchange's deadline.
    pub fn new(client: &'a UpstreamClient, via: &'a str, deadline: Instant) -> Upstream<'a> {
        Upstream {
            client,
            via,
            deadline,
        }
    }

    /// Sends `req`; the response head as the response filter leaves it
    /// (hop-by-hop fields removed, `Via` added) and its body, cut at the
    /// deadline.
    async fn send(
        &self,
        req: Request<ProxyBody>,
    ) -> Result<(response::Parts, ProxyBody), BoxError> {
        let resp = match tokio::time::timeout_at(self.deadline, self.client.request(req)).await {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => return Err(Box::new(e)),
            Err(_) => {
                return Err(Box::new(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "exchange timed out",
                )));
            }
        };
        if resp.status() == StatusCode::SWITCHING_PROTOCOLS {
            return Err("upstream answered 101 to a request without Upgrade".into());
        }
        let (mut parts, body) = resp.into_parts();
        remove_hop_by_hop(&mut parts.headers);
        add_via(&mut parts.headers, self.via);
        Ok((parts, stream_body(body, self.deadline)))
    }
}

/// The decision on one 206 (see the module documentation).
#[derive(Debug)]
pub struct Partial<'a> {
    scanner: &'a Scanner,
    snapshot: Arc<Snapshot>,
    method: &'a Method,
    refetch: Option<Refetch>,
    upstream: Upstream<'a>,
}

impl<'a> Partial<'a> {
    /// For an exchange's 206: its scanner and snapshot, the request method,
    /// the head captured for a refetch and the upstream to send it to.
    pub fn new(
        scanner: &'a Scanner,
        snapshot: Arc<Snapshot>,
        method: &'a Method,
        refetch: Option<Refetch>,
        upstream: Upstream<'a>,
    ) -> Partial<'a> {
        Partial {
            scanner,
            snapshot,
            method,
            refetch,
            upstream,
        }
    }

    /// Decides on the 206 `parts` + `body`. `Pass` sends `parts` (which may
    /// now be the whole object's head, cut to the client's range) with the
    /// returned body; the other results are those of [`images::filter`].
    pub async fn decide(
        self,
        parts: &mut response::Parts,
        body: ProxyBody,
        mut on_verdict: impl FnMut(&Verdict),
        count: impl FnOnce(ImageOutcome),
    ) -> Filtered {
        let Some(options) = images::scan_options(self.scanner, &self.snapshot, self.method) else {
            return Filtered::Pass(body);
        };
        let config = self.scanner.config();
        // What the 206 says about the object: its head, or for several
        // ranges (`multipart/byteranges`) the head of its first part.
        let multipart = Shape::of(&parts.headers) == Shape::Multipart;
        let (part_head, body) = if multipart {
            match first_part(body).await {
                Ok((head, body)) => (Some(head), body),
                Err(e) => return Filtered::UpstreamError(e),
            }
        } else {
            (None, body)
        };
        let head = part_head.as_ref().unwrap_or(&parts.headers);
        let shape = Shape::of(head);
        let Some(kind) = images::candidate(head, config.sniff) else {
            return Filtered::Pass(body);
        };
        let cap = u64::try_from(config.max_bytes).unwrap_or(u64::MAX);
        let claims_whole = !multipart
            && matches!(shape, Shape::Single { first: 0, last, total: Some(total) }
            if last.checked_add(1) == Some(total)
                && total <= cap
                && self.refetch.as_ref().is_some_and(|r| r.asks_whole(total)));
        if claims_whole {
            let mut outcome = None;
            let filtered = images::filter(
                self.scanner,
                Arc::clone(&self.snapshot),
                options,
                &parts.headers,
                body,
                &mut on_verdict,
                |o| outcome = Some(o),
            )
            .await;
            match outcome {
                // Not an image after all, or decided: as a plain GET.
                None => return filtered,
                // A "whole object" that does not decode may be a slice
                // that says otherwise: decided on the object fetched whole.
                Some(ImageOutcome::Undecodable) => {}
                Some(o) => {
                    count(o);
                    return filtered;
                }
            }
        } else {
            if let Shape::Single {
                total: Some(total), ..
            } = shape
                && total > cap
            {
                return self.too_large(kind, body, count).await;
            }
            // The slice is never sent: release its connection now.
            drop(body);
        }
        let Some(refetch) = &self.refetch else {
            return Filtered::UpstreamError("206 to a request that cannot be ranged".into());
        };
        tracing::debug!("ranged response fetched whole to be scanned");
        let (whole, body) = match self.upstream.send(refetch.request(None)).await {
            Ok(r) => r,
            Err(e) => return Filtered::UpstreamError(e),
        };
        *parts = whole;
        if parts.status == StatusCode::PARTIAL_CONTENT {
            return Filtered::UpstreamError("206 to a request without Range".into());
        }
        let filtered = match images::wants_scan(
            self.scanner,
            &self.snapshot,
            self.method,
            parts.status,
            &parts.headers,
        ) {
            None => Filtered::Pass(body),
            Some(options) => {
                let snapshot = Arc::clone(&self.snapshot);
                images::filter(
                    self.scanner,
                    snapshot,
                    options,
                    &parts.headers,
                    body,
                    on_verdict,
                    count,
                )
                .await
            }
        };
        match filtered {
            Filtered::Pass(body) if parts.status == StatusCode::OK => {
                Filtered::Pass(refetch.answer(parts, body))
            }
            other => other,
        }
    }

    /// An object over the cap: what a plain GET of it gets.
    async fn too_large(
        &self,
        kind: Candidate,
        body: ProxyBody,
        count: impl FnOnce(ImageOutcome),
    ) -> Filtered {
        let closed = self.scanner.config().on_unscannable == FailMode::Closed;
        if kind == Candidate::Sniff {
            // A plain GET sniffs first: only image bytes are "too large".
            // Failing open it passes either way, so nothing is asked.
            if !closed {
                return Filtered::Pass(body);
            }
            match self.starts_like_image().await {
                Ok(false) => return Filtered::Pass(body),
                Ok(true) => {}
                Err(e) => return Filtered::UpstreamError(e),
            }
        }
        images::unscannable(self.scanner, ImageOutcome::TooLarge, count, body)
    }

    /// Whether the object's first bytes are an image's (asked for with
    /// `Range: bytes=0-11`). Without a request to ask with, or an answer
    /// that is not the object, it counts as one: only asked when failing
    /// closed.
    async fn starts_like_image(&self) -> Result<bool, BoxError> {
        let Some(refetch) = &self.refetch else {
            return Ok(true);
        };
        let range = HeaderValue::from_str(&format!("bytes=0-{}", MAGIC_LEN - 1))
            .map_err(|e| -> BoxError { Box::new(e) })?;
        let (parts, mut body) = self.upstream.send(refetch.request(Some(range))).await?;
        if !matches!(parts.status, StatusCode::OK | StatusCode::PARTIAL_CONTENT) {
            return Ok(true);
        }
        let mut prefix = Vec::with_capacity(MAGIC_LEN);
        while prefix.len() < MAGIC_LEN {
            match body.frame().await {
                None => break,
                Some(Err(e)) => return Err(e),
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        let take = (MAGIC_LEN - prefix.len()).min(data.len());
                        prefix.extend_from_slice(&data[..take]);
                    }
                }
            }
        }
        Ok(has_image_magic(&prefix))
    }
}

/// Bytes read at most to find the head of a multipart body's first part.
const FIRST_PART_HEAD: usize = 4096;

/// The `Content-Type` and `Content-Range` of the first part of a
/// `multipart/byteranges` body (RFC 9110 §14.6), and the body, unchanged.
/// At most [`FIRST_PART_HEAD`] bytes are read; a head not found in them
/// gives no fields (the object is then fetched whole).
async fn first_part(mut body: ProxyBody) -> Result<(HeaderMap, ProxyBody), BoxError> {
    let mut held = VecDeque::new();
    let mut seen = Vec::new();
    while seen.len() < FIRST_PART_HEAD && part_head(&seen).is_none() {
        match body.frame().await {
            None => break,
            Some(Err(e)) => return Err(e),
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    let take = (FIRST_PART_HEAD - seen.len()).min(data.len());
                    seen.extend_from_slice(&data[..take]);
                    held.push_back(data);
                }
            }
        }
    }
    let head = part_head(&seen).unwrap_or_default();
    Ok((head, images::prefixed(held, body)))
}

/// `left` bytes of `inner` after skipping `skip`.
struct Slice {
    inner: ProxyBody,
    skip: u64,
    left: u64,
}

impl Body for Slice {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        loop {
            if self.left == 0 {
                return Poll::Ready(None);
            }
            let frame = match ready!(Pin::new(&mut self.inner).poll_frame(cx)) {
                None => {
                    return Poll::Ready(Some(Err("the object ended before the range".into())));
                }
                Some(Err(e)) => return Poll::Ready(Some(Err(e))),
                Some(Ok(f)) => f,
            };
            let Ok(data) = frame.into_data() else {
                continue;
            };
            let n = data.len() as u64;
            if self.skip >= n {
                self.skip -= n;
                continue;
            }
            // Both below `data.len()`, so they fit a usize.
            let start = usize::try_from(self.skip).unwrap_or(0);
            let take = usize::try_from(self.left.min(n - self.skip)).unwrap_or(0);
            self.skip = 0;
            self.left -= take as u64;
            return Poll::Ready(Some(Ok(Frame::data(data.slice(start..start + take)))));
        }
    }

    fn is_end_stream(&self) -> bool {
        self.left == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.left)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_slice_skips_and_stops_across_frames() {
        let frames: Vec<Bytes> = [&b"0123"[..], b"", b"4567", b"89"]
            .iter()
            .map(|b| Bytes::copy_from_slice(b))
            .collect();
        for (skip, left, want) in [
            (0, 10, &b"0123456789"[..]),
            (3, 4, b"3456"),
            (4, 4, b"4567"),
            (9, 1, b"9"),
            (0, 1, b"0"),
        ] {
            let stream = frames_body(frames.clone());
            let got = Slice {
                inner: stream,
                skip,
                left,
            }
            .collect()
            .await
            .expect("a body")
            .to_bytes();
            assert_eq!(&got[..], want, "skip {skip} left {left}");
        }
        let short = Slice {
            inner: frames_body(frames.clone()),
            skip: 8,
            left: 5,
        };
        assert!(short.collect().await.is_err(), "the object ended early");
    }

    /// A body of these frames, one by one.
    fn frames_body(frames: Vec<Bytes>) -> ProxyBody {
        Frames(frames.into()).boxed_unsync()
    }

    struct Frames(std::collections::VecDeque<Bytes>);

    impl Body for Frames {
        type Data = Bytes;
        type Error = BoxError;
        fn poll_frame(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
            Poll::Ready(self.0.pop_front().map(|b| Ok(Frame::data(b))))
        }
    }
}
