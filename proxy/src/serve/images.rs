//! Image scanning in the response phase.
//!
//! A plain-HTTP response whose body is an image (`Content-Type: image/*`, or
//! a missing / `application/octet-stream` type with JPEG, PNG, GIF, WebP, BMP
//! or TIFF magic bytes) is held back, up to `images.max_bytes`, hashed on a
//! bounded pool ([`ScanPool`]) and checked against the snapshot the exchange
//! started with. A block match answers the 451 stop page instead; anything
//! else releases the original bytes. Everything that is not an image, and
//! every response while the lists hold no image entry, streams as before.
//!
//! CONNECT tunnels are opaque (the proxy never terminates TLS), so only
//! `http://` responses can be scanned. A `206 Partial Content` is never
//! scanned as it is: [`super::ranges`] decides it on the whole object.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use hashwall::image::{DecodeLimits, HashOptions};
use hashwall::{Action, ErrorKind, ImageErrorKind, Snapshot, Verdict};
use http_body_util::BodyExt;
use hyper::body::{Body, Frame, SizeHint};
use hyper::header::{self, HeaderMap};
use hyper::{Method, StatusCode};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

pub use super::scan_pool::{PoolError, ScanPool};

use super::config::{FailMode, ImagesConfig, Sniff, secs};
use super::metrics::ImageOutcome;
use super::stop_page::{error_page, full};
use super::{BoxError, ProxyBody};

/// Bytes needed to recognise every supported format (WebP: `RIFF....WEBP`).
pub(crate) const MAGIC_LEN: usize = 12;

/// The scanner shared by every exchange: configuration and pool.
#[derive(Debug)]
pub struct Scanner {
    config: ImagesConfig,
    pool: ScanPool,
    limits: DecodeLimits,
    /// `images.max_held_bytes` in KiB permits: bytes held back across all
    /// exchanges at once (each one alone is bounded by `max_bytes`, but
    /// `max_connections` of them would not be).
    budget: Arc<Semaphore>,
}

impl Scanner {
    /// From the `[images]` configuration.
    pub fn new(config: &ImagesConfig) -> Scanner {
        // The decoder limits memory, not pixels: 4 bytes a pixel is what an
        // RGBA8 buffer needs, so `max_pixels` 8-bit images fit and larger
        // ones are refused before the allocation.
        let limits = DecodeLimits {
            max_width: config.max_side,
            max_height: config.max_side,
            max_alloc: config.max_pixels.saturating_mul(4),
        };
        let kib = usize::try_from(config.max_held_bytes / 1024)
            .unwrap_or(usize::MAX)
            .min(Semaphore::MAX_PERMITS);
        Scanner {
            budget: Arc::new(Semaphore::new(kib)),
            pool: ScanPool::new(config.worker_count(), config.queue),
            config: config.clone(),
            limits,
        }
    }

    /// The configuration in force.
    pub fn config(&self) -> &ImagesConfig {
        &self.config
    }

    /// The bounded hashing pool (shared with the matching API).
    pub fn pool(&self) -> &ScanPool {
        &self.pool
    }

    /// The decoding limits from `[images]`.
    pub fn limits(&self) -> DecodeLimits {
        self.limits
    }
}

/// What the content type says about a body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Candidate {
    /// `image/*`: scan.
    Image,
    /// Anything else: scan if the magic bytes are an image's.
    Sniff,
}

/// Whether a response with these headers is scanned (`Image`), sniffed
/// for magic bytes first (`Sniff`), or passed (`None`).
pub(crate) fn candidate(headers: &HeaderMap, sniff: Sniff) -> Option<Candidate> {
    let Some(ct) = headers.get(header::CONTENT_TYPE) else {
        return Some(Candidate::Sniff);
    };
    // A type that is not text cannot name a type we know; treat it as
    // missing (sniff) rather than skip, or invalid bytes would be a bypass.
    let Ok(ct) = ct.to_str() else {
        return Some(Candidate::Sniff);
    };
    let essence = ct.split(';').next().unwrap_or("").trim();
    if essence.len() > 6 && essence[..6].eq_ignore_ascii_case("image/") {
        return Some(Candidate::Image);
    }
    let generic = [
        "",
        "application/octet-stream",
        "binary/octet-stream",
        "application/unknown",
    ];
    // Browsers sniff what an `<img>` receives whatever its type, so with
    // `sniff = "all"` a mislabelled image is no way around the lists.
    (sniff == Sniff::All || generic.iter().any(|g| essence.eq_ignore_ascii_case(g)))
        .then_some(Candidate::Sniff)
}

/// Whether `b` starts like a JPEG, PNG, GIF, WebP, BMP or TIFF file.
pub fn has_image_magic(b: &[u8]) -> bool {
    b.starts_with(&[0xFF, 0xD8, 0xFF])
        || b.starts_with(b"\x89PNG\r\n\x1a\n")
        || b.starts_with(b"GIF87a")
        || b.starts_with(b"GIF89a")
        || (b.starts_with(b"RIFF") && b.get(8..12) == Some(b"WEBP"))
        || b.starts_with(b"BM")
        || b.starts_with(b"II*\0")
        || b.starts_with(b"MM\0*")
}

/// The result of the image filter for one response.
pub enum Filtered {
    /// Release the response with this body (headers as they were).
    Pass(ProxyBody),
    /// A list blocks the image (answer with the stop page of its first
    /// blocking match).
    Blocked(Verdict),
    /// Unscannable and `on_unscannable = "closed"`: 403.
    Refused(hyper::Response<ProxyBody>),
    /// The upstream body failed while it was being held back.
    UpstreamError(BoxError),
}

/// Whether this exchange could carry a scannable body at all (cheap, from
/// the head only). `None`: stream it untouched.
pub fn wants_scan(
    scanner: &Scanner,
    snapshot: &Snapshot,
    method: &Method,
    status: StatusCode,
    headers: &HeaderMap,
) -> Option<HashOptions> {
    if !status.is_success()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::RESET_CONTENT
    {
        return None;
    }
    candidate(headers, scanner.config.sniff)?;
    scan_options(scanner, snapshot, method)
}

/// The hashing options when this exchange's body may be scanned at all:
/// scanning on, not a HEAD, and some list holding image entries (image
/// scanning costs nothing until a list needs it). `None`: never scanned.
pub fn scan_options(
    scanner: &Scanner,
    snapshot: &Snapshot,
    method: &Method,
) -> Option<HashOptions> {
    if !scanner.config.enabled || method == Method::HEAD {
        return None;
    }
    let options = snapshot.image_options();
    if options.requested().is_empty() {
        return None;
    }
    Some(options.limits(scanner.limits))
}

/// Holds back and scans an image body. `headers` are the response's (after
/// the response filter); `body` is the streamed upstream body.
pub async fn filter<B>(
    scanner: &Scanner,
    snapshot: Arc<Snapshot>,
    options: HashOptions,
    headers: &HeaderMap,
    mut body: B,
    on_verdict: impl FnOnce(&Verdict),
    count: impl FnOnce(ImageOutcome),
) -> Filtered
where
    B: Body<Data = Bytes, Error = BoxError> + Send + Unpin + 'static,
{
    let cap = scanner.config.max_bytes;
    let mut held = Held::new(Arc::clone(&scanner.budget));
    let Some(kind) = candidate(headers, scanner.config.sniff) else {
        return Filtered::Pass(body.boxed_unsync());
    };
    if kind == Candidate::Sniff {
        match held.read(&mut body, MAGIC_LEN).await {
            Ok(()) => {}
            Err(Stop::Upstream(e)) => return Filtered::UpstreamError(e),
            Err(Stop::Budget) => {
                return unscannable(scanner, ImageOutcome::Saturated, count, held.then(body));
            }
        }
        if !has_image_magic(&held.prefix()) {
            return Filtered::Pass(held.then(body));
        }
    }
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let too_large = if declared.is_some_and(|n| n > cap as u64) {
        // Known in advance: do not read a byte more than needed.
        true
    } else {
        // `cap + 1` so "exactly the cap" is still scanned.
        match held.read(&mut body, cap.saturating_add(1)).await {
            Ok(()) => held.len > cap,
            Err(Stop::Upstream(e)) => return Filtered::UpstreamError(e),
            Err(Stop::Budget) => {
                return unscannable(scanner, ImageOutcome::Saturated, count, held.then(body));
            }
        }
    };
    if too_large {
        return unscannable(scanner, ImageOutcome::TooLarge, count, held.then(body));
    }
    // The whole body is held (at most `cap` bytes); its share of the
    // budget stays taken until the scan is over.
    let (bytes, _budget) = held.into_bytes();
    let job_bytes = bytes.clone();
    let timeout = secs(scanner.config.scan_timeout_secs);
    let result = scanner
        .pool
        .run(timeout, move || {
            snapshot.check_image_with(&job_bytes, options.decode_limits())
        })
        .await;
    let outcome = match result {
        Ok(Ok(verdict)) if verdict.is_empty() => ImageOutcome::Clean,
        Ok(Ok(verdict)) => {
            count(ImageOutcome::Matched);
            on_verdict(&verdict);
            return if is_block(&verdict) {
                Filtered::Blocked(verdict)
            } else {
                // Monitor-only matches are counted and logged, and pass.
                Filtered::Pass(full(bytes))
            };
        }
        Ok(Err(e)) if e.kind() == ErrorKind::Image(ImageErrorKind::TooLarge) => {
            ImageOutcome::TooLarge
        }
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "image response not decodable");
            ImageOutcome::Undecodable
        }
        Err(PoolError::Saturated) => ImageOutcome::Saturated,
        Err(PoolError::Timeout) => ImageOutcome::Timeout,
        Err(PoolError::Failed) => ImageOutcome::Undecodable,
    };
    if outcome == ImageOutcome::Clean {
        count(outcome);
        return Filtered::Pass(full(bytes));
    }
    unscannable(scanner, outcome, count, full(bytes))
}

/// Whether a verdict asks for a block.
fn is_block(verdict: &Verdict) -> bool {
    verdict.action() == Action::Block
        && verdict
            .matches()
            .iter()
            .any(|m| m.action() == Action::Block)
}

/// Counts an unscannable image and answers as `on_unscannable` says:
/// `body` passes (open) or 403 (closed).
pub(crate) fn unscannable(
    scanner: &Scanner,
    outcome: ImageOutcome,
    count: impl FnOnce(ImageOutcome),
    body: ProxyBody,
) -> Filtered {
    count(outcome);
    tracing::debug!(outcome = outcome.as_str(), "image response not scanned");
    match scanner.config.on_unscannable {
        FailMode::Open => Filtered::Pass(body),
        FailMode::Closed => Filtered::Refused(error_page(
            StatusCode::FORBIDDEN,
            "This image could not be checked and is withheld.",
        )),
    }
}

/// Why reading a held body stopped early.
enum Stop {
    /// The upstream body failed.
    Upstream(BoxError),
    /// `images.max_held_bytes` is used up by other exchanges.
    Budget,
}

/// The part of a body read so far, and its share of the global budget.
struct Held {
    chunks: VecDeque<Bytes>,
    len: usize,
    ended: bool,
    budget: Arc<Semaphore>,
    taken: Option<OwnedSemaphorePermit>,
}

impl Held {
    fn new(budget: Arc<Semaphore>) -> Held {
        Held {
            chunks: VecDeque::new(),
            len: 0,
            ended: false,
            budget,
            taken: None,
        }
    }

    /// Reads frames until `want` bytes are held or the body ends. One frame
    /// may overshoot `want` by its own size (hyper's read buffer bounds it);
    /// the caller checks the cap after every call, so nothing more is read.
    async fn read<B>(&mut self, body: &mut B, want: usize) -> Result<(), Stop>
    where
        B: Body<Data = Bytes, Error = BoxError> + Unpin,
    {
        while !self.ended && self.len < want {
            match body.frame().await {
                None => self.ended = true,
                Some(Err(e)) => return Err(Stop::Upstream(e)),
                Some(Ok(frame)) => {
                    // Trailers of a held body are dropped (HTTP/1.1 image
                    // responses do not use them; `Trailer` is hop-by-hop).
                    if let Ok(data) = frame.into_data()
                        && !data.is_empty()
                    {
                        // Taken without waiting: a full budget must not
                        // stall the exchange; the image is then unscannable
                        // (`saturated`). The chunk is kept either way, so
                        // it can still be forwarded.
                        let kib = u32::try_from(data.len().div_ceil(1024)).unwrap_or(u32::MAX);
                        let permit = Arc::clone(&self.budget).try_acquire_many_owned(kib);
                        self.len = self.len.saturating_add(data.len());
                        self.chunks.push_back(data);
                        match (permit, self.taken.as_mut()) {
                            (Ok(p), Some(t)) => t.merge(p),
                            (Ok(p), None) => self.taken = Some(p),
                            (Err(_), _) => return Err(Stop::Budget),
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// The first bytes held (up to [`MAGIC_LEN`]), for sniffing.
    fn prefix(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(MAGIC_LEN);
        for c in &self.chunks {
            let take = (MAGIC_LEN - out.len()).min(c.len());
            out.extend_from_slice(&c[..take]);
            if out.len() == MAGIC_LEN {
                break;
            }
        }
        out
    }

    /// All held bytes, contiguous (one copy unless a single chunk), and
    /// their share of the budget (released when dropped).
    fn into_bytes(mut self) -> (Bytes, Option<OwnedSemaphorePermit>) {
        let taken = self.taken.take();
        if self.chunks.len() == 1 {
            return (self.chunks.pop_front().unwrap_or_default(), taken);
        }
        let mut b = BytesMut::with_capacity(self.len);
        for c in &self.chunks {
            b.extend_from_slice(c);
        }
        (b.freeze(), taken)
    }

    /// The held bytes followed by the rest of `body`, streamed.
    fn then<B>(self, body: B) -> ProxyBody
    where
        B: Body<Data = Bytes, Error = BoxError> + Send + Unpin + 'static,
    {
        Prefixed {
            rest: (!self.ended).then_some(body),
            prefix: self.chunks,
        }
        .boxed_unsync()
    }
}

/// `held` chunks, then the rest of `body`, as one body.
pub(crate) fn prefixed<B>(held: VecDeque<Bytes>, body: B) -> ProxyBody
where
    B: Body<Data = Bytes, Error = BoxError> + Send + Unpin + 'static,
{
    Prefixed {
        prefix: held,
        rest: Some(body),
    }
    .boxed_unsync()
}

/// A body that yields held chunks first, then the rest of the stream.
struct Prefixed<B> {
    prefix: VecDeque<Bytes>,
    rest: Option<B>,
}

impl<B> Body for Prefixed<B>
where
    B: Body<Data = Bytes, Error = BoxError> + Unpin,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        if let Some(c) = self.prefix.pop_front() {
            return Poll::Ready(Some(Ok(Frame::data(c))));
        }
        match self.rest.as_mut() {
            Some(rest) => Pin::new(rest).poll_frame(cx),
            None => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.prefix.is_empty() && self.rest.as_ref().is_none_or(Body::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        let held: u64 = self.prefix.iter().map(|c| c.len() as u64).sum();
        let mut hint = self
            .rest
            .as_ref()
            .map_or(SizeHint::with_exact(0), Body::size_hint);
        let lower = hint.lower().saturating_add(held);
        let upper = hint.upper().map(|u| u.saturating_add(held));
        // A fresh hint: raising the lower bound of an exact one above its
        // upper bound first would trip `SizeHint`'s assertion (a panic in
        // the connection task for every sniffed body with a Content-Length).
        hint = SizeHint::new();
        hint.set_lower(lower);
        if let Some(u) = upper {
            hint.set_upper(u);
        }
        hint
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_bytes() {
        assert!(has_image_magic(b"\xFF\xD8\xFF\xE0rest"));
        assert!(has_image_magic(b"\x89PNG\r\n\x1a\n...."));
        assert!(has_image_magic(b"GIF89a"));
        assert!(has_image_magic(b"RIFF\0\0\0\0WEBPVP8 "));
        assert!(!has_image_magic(b"RIFF\0\0\0\0WAVE"));
        assert!(has_image_magic(b"BM...."));
        assert!(has_image_magic(b"II*\0"));
        assert!(has_image_magic(b"MM\0*"));
        assert!(!has_image_magic(b"<html>"));
        assert!(!has_image_magic(b""));
    }

    #[test]
    fn held_prefix_keeps_an_exact_size_hint() {
        let rest = http_body_util::Full::new(Bytes::from_static(&[7u8; 20]))
            .map_err(|e: std::convert::Infallible| -> BoxError { match e {} });
        let body = Prefixed {
            prefix: VecDeque::from([Bytes::from_static(b"<html><body>")]),
            rest: Some(rest),
        };
        let hint = body.size_hint();
        assert_eq!((hint.lower(), hint.upper()), (32, Some(32)));
    }

    #[test]
    fn content_types() {
        let set = |h: &mut HeaderMap, v: &'static str| {
            h.insert(header::CONTENT_TYPE, header::HeaderValue::from_static(v));
        };
        let mut h = HeaderMap::new();
        for sniff in [Sniff::All, Sniff::Generic] {
            assert_eq!(candidate(&h, sniff), Some(Candidate::Sniff));
        }
        set(&mut h, "IMAGE/JPEG; q=1");
        assert_eq!(candidate(&h, Sniff::Generic), Some(Candidate::Image));
        assert_eq!(candidate(&h, Sniff::All), Some(Candidate::Image));
        set(&mut h, "application/octet-stream");
        assert_eq!(candidate(&h, Sniff::Generic), Some(Candidate::Sniff));
        // Other types: sniffed only with `all`.
        for other in ["text/html", "image/", "video/mp4"] {
            set(&mut h, other);
            assert_eq!(candidate(&h, Sniff::Generic), None, "{other}");
            assert_eq!(candidate(&h, Sniff::All), Some(Candidate::Sniff), "{other}");
        }
    }
}
