//! Refusing ambiguous request framing before hyper reads it.
//!
//! A request carrying both `Content-Length` and `Transfer-Encoding` is the
//! classic request-smuggling vector: a front end and a back end that pick
//! different headers see different request boundaries. hyper 1 resolves it
//! itself — it drops the `Content-Length`, reads the body as chunked and
//! closes the connection afterwards — but it removes the evidence, so the
//! proxy cannot refuse such a request with 400 as RFC 9112 §6.1 allows.
//!
//! [`FramingGuard`] sits between the client socket and hyper and follows the
//! request stream: it collects each request head (up to the configured head
//! size), parses it with `httparse` (hyper's own parser), and skips the body
//! by its framing (`Content-Length` bytes, or chunked). When a head carries
//! both framing headers, it changes the head's final line feed, the byte that
//! completes the head and so is always in the current read, into a byte no
//! parser accepts there: hyper then refuses the head with 400 and closes the
//! connection, before any of it reaches the proxy logic or an upstream.
//!
//! The same is done to every head whose `Transfer-Encoding` is anything but
//! exactly one `chunked` (`gzip, chunked`, `chunked, chunked`, `identity`,
//! `chunked;q=1`, two fields…): hyper would read `gzip, chunked` as chunked
//! and the proxy, which re-frames bodies, would forward the still
//! gzip-coded bytes without the field that says so. RFC 9112 §6.3 makes a
//! request whose final coding is not chunked a 400 that closes the
//! connection; for a coding it does not understand §6.1 suggests 501. The
//! proxy answers 400 and closes in every case: one refusal, decided before
//! the head is read, and never forwarded.
//!
//! Whenever the stream stops looking like requests it can follow (a
//! `CONNECT`, a head too large or malformed, framing it cannot follow, which
//! hyper refuses by itself, a chunk size line that is not one) the guard
//! stops looking and passes bytes through untouched. A malformed chunked
//! body is refused by hyper's decoder, after the head has reached the
//! proxy: [`super::client_body::ClientBody`] marks its errors, so the
//! proxy answers 400 and closes the connection instead of blaming the
//! upstream server (502).
//!
//! What the guard saw ([`Seen`]: heads refused, a head begun but not
//! complete) is shared with the connection's owner, which reads it after
//! hyper (which owns the guard) ends the connection, to count refusals.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::upstream::Activity;

/// The byte written over a conflicting head's final line feed: after the
/// CR that ends the header block a parser requires LF, so this is an error.
pub const POISON: u8 = b'(';

/// Most header fields parsed per head; more and hyper refuses the head.
const MAX_FIELDS: usize = 256;

/// Where in the request stream the guard is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Collecting a request head.
    Head,
    /// Skipping this many body bytes.
    Body(u64),
    /// In a chunked body: reading a chunk-size line (`digits`: whether one
    /// has been read yet).
    ChunkSize { size: u64, digits: bool, ext: bool },
    /// Skipping chunk data.
    ChunkData(u64),
    /// Skipping the line end after chunk data.
    ChunkEnd,
    /// In the trailer section; `empty` while the current line is empty.
    Trailer { empty: bool },
    /// No longer following the stream.
    Passthrough,
}

/// An I/O wrapper that makes hyper refuse requests with both
/// `Content-Length` and `Transfer-Encoding` (see the module documentation).
#[derive(Debug)]
pub struct FramingGuard<T> {
    inner: T,
    state: State,
    head: Vec<u8>,
    max_head: usize,
    seen: Arc<Seen>,
    /// Told when a head starts and ends, for the request-head timeout.
    clock: Option<Arc<Activity>>,
}

/// What a [`FramingGuard`] saw on its connection.
#[derive(Debug, Default)]
pub struct Seen {
    refused: AtomicU64,
    partial_head: AtomicBool,
}

impl Seen {
    /// How many request heads were poisoned.
    pub fn refused(&self) -> u64 {
        self.refused.load(Relaxed)
    }

    /// Whether the client has sent part of a request head and not its end
    /// (false between requests, and once the guard stopped following).
    pub fn partial_head(&self) -> bool {
        self.partial_head.load(Relaxed)
    }
}

impl<T> FramingGuard<T> {
    /// Wraps `inner`; heads longer than `max_head` bytes are not inspected
    /// (hyper answers 431 to them).
    pub fn new(inner: T, max_head: usize) -> FramingGuard<T> {
        FramingGuard {
            inner,
            state: State::Head,
            head: Vec::new(),
            max_head,
            seen: Arc::default(),
            clock: None,
        }
    }

    /// Reports the start and end of each request head to `clock`, whose
    /// watchdog enforces the request-head timeout. The guard is the one
    /// place that sees where heads begin; it stops reporting (and the
    /// timeout stops applying) once it stops following the stream, which
    /// only happens on a connection that is closed after its response
    /// anyway or has become a tunnel.
    pub fn with_head_clock(mut self, clock: Arc<Activity>) -> FramingGuard<T> {
        self.clock = Some(clock);
        self
    }

    fn head_done(&self) {
        if let Some(c) = &self.clock {
            c.head_done();
        }
    }

    /// How many request heads were poisoned on this connection.
    pub fn refused(&self) -> u64 {
        self.seen.refused()
    }

    /// What the guard sees, shared: still readable once hyper has dropped
    /// the guard.
    pub fn seen(&self) -> Arc<Seen> {
        Arc::clone(&self.seen)
    }

    /// Follows `bytes`, the next bytes the client sent (what each read does
    /// with the bytes it got); may change the last byte of a conflicting
    /// head to make it unparseable. The result does not depend on how the
    /// stream is split into reads.
    pub fn scan(&mut self, bytes: &mut [u8]) {
        let mut i = 0;
        while i < bytes.len() {
            match self.state {
                State::Passthrough => return,
                State::Head => {
                    if self.head.is_empty()
                        && let Some(c) = &self.clock
                    {
                        c.head_started();
                    }
                    // Up to and including the next line feed: only a line
                    // feed can complete a head.
                    let rest = &bytes[i..];
                    let (take, line_end) = match rest.iter().position(|&b| b == b'\n') {
                        Some(p) => (p + 1, true),
                        None => (rest.len(), false),
                    };
                    if self.head.len() + take > self.max_head {
                        // hyper answers 431 and closes.
                        self.state = State::Passthrough;
                        self.head = Vec::new();
                        self.head_done();
                        return;
                    }
                    self.head.extend_from_slice(&rest[..take]);
                    i += take;
                    if line_end && (self.head.ends_with(b"\n\r\n") || self.head.ends_with(b"\n\n"))
                    {
                        self.end_of_head(&mut bytes[i - 1]);
                    }
                }
                State::Body(n) | State::ChunkData(n) => {
                    let take = n.min((bytes.len() - i) as u64);
                    i += take as usize;
                    let left = n - take;
                    self.state = match self.state {
                        State::Body(_) if left == 0 => State::Head,
                        State::Body(_) => State::Body(left),
                        _ if left == 0 => State::ChunkEnd,
                        _ => State::ChunkData(left),
                    };
                }
                State::ChunkEnd => {
                    if bytes[i] == b'\n' {
                        self.state = CHUNK_SIZE;
                    }
                    i += 1;
                }
                State::ChunkSize { size, digits, ext } => {
                    let b = bytes[i];
                    i += 1;
                    self.state = match b {
                        b'\n' if !digits => State::Passthrough,
                        b'\n' if size == 0 => State::Trailer { empty: true },
                        b'\n' => State::ChunkData(size),
                        _ if ext => self.state,
                        b';' | b' ' | b'\t' | b'\r' => State::ChunkSize {
                            size,
                            digits,
                            ext: true,
                        },
                        // As hyper reads it: any number of hex digits
                        // (leading zeros too) while the value fits a u64.
                        // An overflow, a sign or any other byte is an error
                        // hyper's decoder refuses (400, connection closed).
                        _ => match (b as char)
                            .to_digit(16)
                            .and_then(|d| size.checked_mul(16)?.checked_add(u64::from(d)))
                        {
                            Some(size) => State::ChunkSize {
                                size,
                                digits: true,
                                ext,
                            },
                            None => State::Passthrough,
                        },
                    };
                }
                State::Trailer { empty } => {
                    let b = bytes[i];
                    i += 1;
                    self.state = match b {
                        b'\n' if empty => State::Head,
                        b'\n' => State::Trailer { empty: true },
                        b'\r' => State::Trailer { empty },
                        _ => State::Trailer { empty: false },
                    };
                }
            }
        }
    }

    /// The head buffer ends with an empty line: parse it and decide what
    /// follows. `last` is the line feed that completed it.
    fn end_of_head(&mut self, last: &mut u8) {
        let mut fields = [httparse::EMPTY_HEADER; MAX_FIELDS];
        let mut req = httparse::Request::new(&mut fields);
        let next = match req.parse(&self.head) {
            // Only empty lines so far (allowed before a request line).
            Ok(httparse::Status::Partial) => return,
            Ok(httparse::Status::Complete(_)) => {
                let framing = Framing::of(&req);
                if let Some(why) = framing.refusal() {
                    *last = POISON;
                    self.seen.refused.fetch_add(1, Relaxed);
                    tracing::debug!("request refused: {why}");
                    State::Passthrough
                } else if req.method == Some("CONNECT") || framing.invalid {
                    State::Passthrough
                } else if framing.transfer_encodings > 0 {
                    CHUNK_SIZE
                } else {
                    match framing.length {
                        Some(n) if n > 0 => State::Body(n),
                        _ => State::Head,
                    }
                }
            }
            Err(_) => State::Passthrough,
        };
        self.state = next;
        self.head.clear();
        self.head_done();
    }
}

/// The state at the start of a chunk-size line.
const CHUNK_SIZE: State = State::ChunkSize {
    size: 0,
    digits: false,
    ext: false,
};

/// What a request head says about its body.
struct Framing {
    /// The `Content-Length`, when present and valid.
    length: Option<u64>,
    /// How many `Transfer-Encoding` fields there are.
    transfer_encodings: usize,
    /// Whether the one `Transfer-Encoding` field is exactly `chunked`
    /// (any case, optional whitespace around it).
    chunked_only: bool,
    /// Framing the guard cannot follow (hyper refuses it anyway).
    invalid: bool,
}

impl Framing {
    fn of(req: &httparse::Request<'_, '_>) -> Framing {
        let mut f = Framing {
            length: None,
            transfer_encodings: 0,
            chunked_only: false,
            invalid: false,
        };
        for h in req.headers.iter() {
            if h.name.eq_ignore_ascii_case("content-length") {
                let parsed = std::str::from_utf8(h.value)
                    .ok()
                    .map(str::trim)
                    .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
                    .and_then(|v| v.parse::<u64>().ok());
                match (parsed, f.length) {
                    (Some(n), None) => f.length = Some(n),
                    (Some(n), Some(m)) if n == m => {}
                    _ => f.invalid = true,
                }
            } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
                f.transfer_encodings += 1;
                f.chunked_only = h.value.trim_ascii().eq_ignore_ascii_case(b"chunked");
            }
        }
        f
    }

    /// Why a head with this framing is refused, if it is: both framing
    /// fields, or a `Transfer-Encoding` other than one `chunked`.
    fn refusal(&self) -> Option<&'static str> {
        if self.transfer_encodings == 0 {
            None
        } else if self.length.is_some() || self.invalid {
            Some("both Content-Length and Transfer-Encoding")
        } else if self.transfer_encodings > 1 || !self.chunked_only {
            Some("a Transfer-Encoding other than chunked")
        } else {
            None
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for FramingGuard<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && self.state != State::Passthrough {
            let new = &mut buf.filled_mut()[before..];
            self.scan(new);
            let partial = self.state == State::Head && !self.head.is_empty();
            self.seen.partial_head.store(partial, Relaxed);
        }
        r
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for FramingGuard<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `stream` in pieces of `step` bytes; returns what hyper would
    /// read and how many heads were refused.
    fn feed(stream: &[u8], step: usize) -> (Vec<u8>, u64) {
        let mut g = FramingGuard::new((), 65_536);
        let mut out = stream.to_vec();
        for piece in out.chunks_mut(step) {
            g.scan(piece);
        }
        (out, g.refused())
    }

    const SMUGGLE: &[u8] =
        b"POST http://a/ HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";

    #[test]
    fn a_conflicting_head_is_poisoned_at_its_last_byte_whatever_the_reads() {
        for step in [1, 2, 7, 64, SMUGGLE.len()] {
            let (out, refused) = feed(SMUGGLE, step);
            assert_eq!(refused, 1, "step {step}");
            let end = SMUGGLE
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .expect("a head end")
                + 3;
            assert_eq!(out[end], POISON);
            assert_eq!(out[..end], SMUGGLE[..end]);
        }
    }

    #[test]
    fn the_guard_follows_bodies_and_pipelined_requests() {
        let mut stream = Vec::new();
        stream.extend_from_slice(b"GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n");
        // A body holding text that looks like a conflicting head.
        stream.extend_from_slice(b"POST http://a/ HTTP/1.1\r\nContent-Length: ");
        stream.extend_from_slice(SMUGGLE.len().to_string().as_bytes());
        stream.extend_from_slice(b"\r\n\r\n");
        stream.extend_from_slice(SMUGGLE);
        // Chunked with an extension and a trailer, carrying the same text.
        stream.extend_from_slice(b"POST http://a/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
        stream.extend_from_slice(format!("{:x};ext=1\r\n", SMUGGLE.len()).as_bytes());
        stream.extend_from_slice(SMUGGLE);
        stream.extend_from_slice(b"\r\n0\r\nX-Trailer: 1\r\n\r\n");
        let clean = stream.clone();
        // Then a real conflicting request.
        stream.extend_from_slice(SMUGGLE);
        for step in [1, 3, 100, stream.len()] {
            let (out, refused) = feed(&stream, step);
            assert_eq!(refused, 1, "step {step}");
            assert_eq!(out[..clean.len()], clean[..], "bodies untouched");
        }
    }

    #[test]
    fn the_head_clock_runs_from_a_heads_first_byte_to_its_end() {
        let clock = Activity::new();
        let mut g = FramingGuard::new((), 64).with_head_clock(Arc::clone(&clock));
        assert!(!clock.head_pending());
        g.scan(&mut b"GET http://a/ HTTP/1.1\r\nHo".to_vec());
        assert!(clock.head_pending());
        g.scan(&mut b"st: a\r\nContent-Length: 2\r\n\r\n".to_vec());
        assert!(!clock.head_pending(), "complete head");
        g.scan(&mut b"xy".to_vec());
        assert!(!clock.head_pending(), "a body is not a head");
        g.scan(&mut b"\r\n".to_vec());
        assert!(
            clock.head_pending(),
            "empty lines before a request line count"
        );
        g.scan(&mut b"CONNECT a:443 HTTP/1.1\r\n\r\n".to_vec());
        assert!(!clock.head_pending(), "a tunnel is not followed");
        g.scan(&mut b"GET / HTTP/1.1\r\n".to_vec());
        assert!(!clock.head_pending(), "nor anything after it");
        // A head over the limit: hyper answers 431; the clock stops.
        let mut g = FramingGuard::new((), 64).with_head_clock(Arc::clone(&clock));
        g.scan(&mut b"GET /".to_vec());
        assert!(clock.head_pending());
        g.scan(&mut [b'a'; 100]);
        assert!(!clock.head_pending());
    }

    #[test]
    fn only_a_single_chunked_coding_passes() {
        let head = |te: &str| format!("POST http://a/ HTTP/1.1\r\nHost: a\r\n{te}\r\n\r\n");
        for (fields, refused) in [
            ("Transfer-Encoding: chunked", false),
            ("Transfer-Encoding: CHUNKED", false),
            ("transfer-encoding:chunked", false),
            ("Transfer-Encoding: \tchunked\t ", false),
            ("Transfer-Encoding: gzip, chunked", true),
            ("Transfer-Encoding: chunked, gzip", true),
            ("Transfer-Encoding: identity", true),
            ("Transfer-Encoding: chunked, chunked", true),
            ("Transfer-Encoding: chunked,", true),
            ("Transfer-Encoding: ,chunked", true),
            ("Transfer-Encoding: x-chunked", true),
            ("Transfer-Encoding: chunked;q=1", true),
            ("Transfer-Encoding: \"chunked\"", true),
            (
                "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked",
                true,
            ),
            (
                "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked",
                true,
            ),
            ("Transfer-Encoding:", true),
            ("Transfer-Encoding: chunked\r\nContent-Length: 3", true),
            ("Content-Length: 0", false),
        ] {
            let stream = head(fields);
            assert_eq!(
                feed(stream.as_bytes(), 3).1,
                u64::from(refused),
                "{fields:?}"
            );
        }
    }

    #[test]
    fn chunk_sizes_are_read_as_hyper_reads_them() {
        // After each body, a conflicting head: refused only if the guard
        // still follows the stream (it read the body as hyper does).
        let post = "POST http://a/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
        for (body, followed) in [
            ("5\r\nhello\r\n0\r\n\r\n", true),
            ("0000000000000000000000005\r\nhello\r\n0\r\n\r\n", true),
            ("5;name=value\r\nhello\r\n0\r\n\r\n", true),
            ("5 ; ext\r\nhello\r\n0\r\n\r\n", true),
            ("5\r\nhello\r\n0\r\nX-Trailer: 1\r\n\r\n", true),
            // hyper refuses these; the guard stops following.
            ("ffffffffffffffffff\r\n", false),
            ("10000000000000000\r\n", false),
            ("-1\r\n", false),
            ("+5\r\nhello\r\n0\r\n\r\n", false),
            ("0x5\r\nhello\r\n0\r\n\r\n", false),
            ("\r\n", false),
        ] {
            let stream = format!("{post}{body}").into_bytes();
            let mut with_next = stream.clone();
            with_next.extend_from_slice(SMUGGLE);
            assert_eq!(feed(&with_next, 4).1, u64::from(followed), "{body:?}");
        }
        // The largest size that fits a u64 is a size (hyper takes it too).
        let mut g = FramingGuard::new((), 65_536);
        g.scan(&mut format!("{post}ffffffffffffffff\r\n").into_bytes());
        assert_eq!(g.state, State::ChunkData(u64::MAX));
    }

    #[test]
    fn tunnels_and_unfollowable_streams_pass_through() {
        let mut connect = b"CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n".to_vec();
        connect.extend_from_slice(SMUGGLE);
        assert_eq!(feed(&connect, 5), (connect.clone(), 0));
        let mut bad = b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n".to_vec();
        bad.extend_from_slice(SMUGGLE);
        assert_eq!(feed(&bad, 5).1, 0);
        // Only empty lines, then a conflicting head.
        let mut lead = b"\r\n\r\n".to_vec();
        lead.extend_from_slice(SMUGGLE);
        assert_eq!(feed(&lead, 1).1, 1);
    }
}
