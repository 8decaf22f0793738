//! The framing guard (`hashwall_proxy::serve::framing`) on a raw client
//! byte stream: the bytes the proxy reads from a subscriber before hyper
//! parses them, where request smuggling (`Content-Length` with
//! `Transfer-Encoding`) is refused.
//!
//! The first byte seeds how the stream is cut into reads; the rest is the
//! stream. Properties:
//!
//! * nothing panics, whatever the bytes and the cuts;
//! * the guard's output and its count of refused heads are the same
//!   whether the stream arrives in one read, a byte at a time, or in the
//!   fuzzer's cuts — a client controls TCP segmentation, so a smuggled head
//!   must not slip through by being split differently;
//! * the only bytes changed are line feeds turned into
//!   [`POISON`], one per refused head;
//! * the head clock (the request-head timeout) is not left running after a
//!   one-line `GET` head and its blank line: whether the guard parses it or
//!   gives up on it, the exchange must not be cut as a slow head;
//! * a stream that is one complete request head, parsed by `httparse`,
//!   with `Transfer-Encoding` fields other than exactly one `chunked` (or
//!   with `Content-Length` too) is refused: never forwarded with a coding
//!   the proxy would drop.

use crate::cuts::cuts;
use std::sync::Arc;

use hashwall_proxy::serve::framing::{FramingGuard, POISON};
use hashwall_proxy::serve::upstream::Activity;

/// The head size limit the guard is given (small, so the limit is reached).
const MAX_HEAD: usize = 512;

fn feed(stream: &[u8], cuts: impl Iterator<Item = usize>) -> (Vec<u8>, u64, bool) {
    let clock = Activity::new();
    let mut guard = FramingGuard::new((), MAX_HEAD).with_head_clock(Arc::clone(&clock));
    let mut out = stream.to_vec();
    let mut rest = &mut out[..];
    let mut cuts = cuts;
    while !rest.is_empty() {
        let n = cuts.next().unwrap_or(rest.len()).clamp(1, rest.len());
        let (now, later) = rest.split_at_mut(n);
        guard.scan(now);
        rest = later;
    }
    (out, guard.refused(), clock.head_pending())
}

/// The check (see the module documentation).
pub fn request_stream(data: &[u8]) {
    let Some((&seed, stream)) = data.split_first() else {
        return;
    };
    let whole = feed(stream, std::iter::empty());
    let bytewise = feed(stream, std::iter::repeat(1));
    let fuzzed = feed(stream, cuts(seed));
    assert_eq!(whole, bytewise, "one read vs a byte per read");
    assert_eq!(whole, fuzzed, "one read vs the fuzzer's reads");
    let (out, refused, pending) = whole;
    let changed: Vec<usize> = (0..stream.len()).filter(|&i| out[i] != stream[i]).collect();
    assert_eq!(changed.len() as u64, refused, "one byte per refused head");
    for i in changed {
        assert_eq!(stream[i], b'\n', "changed a byte other than a line feed");
        assert_eq!(out[i], POISON);
    }
    // A stream that ends right after the blank line of a head with no body
    // leaves no head awaited (the watchdog must not cut the exchange).
    if let Some(head) = stream.strip_suffix(b"\r\n\r\n")
        && head.starts_with(b"GET ")
        && !head.contains(&b'\n')
    {
        assert!(!pending, "a complete bodiless head left the clock running");
    }
    if let Some(expected) = one_head_refused(stream) {
        assert_eq!(refused, u64::from(expected), "framing of a single head");
    }
}

/// For a stream that is exactly one request head (no body, within the
/// size limit, no empty line before it), parsed by `httparse`: whether it
/// must be refused for its framing. `None` for anything else.
fn one_head_refused(stream: &[u8]) -> Option<bool> {
    if stream.len() > MAX_HEAD || !stream.ends_with(b"\r\n\r\n") || stream.starts_with(b"\r\n") {
        return None;
    }
    let mut fields = [httparse::EMPTY_HEADER; 64];
    let mut req = httparse::Request::new(&mut fields);
    match req.parse(stream) {
        Ok(httparse::Status::Complete(n)) if n == stream.len() => {}
        _ => return None,
    }
    let te: Vec<&[u8]> = req
        .headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("transfer-encoding"))
        .map(|h| h.value)
        .collect();
    let cl = req
        .headers
        .iter()
        .any(|h| h.name.eq_ignore_ascii_case("content-length"));
    if te.is_empty() {
        return Some(false);
    }
    let one_chunked =
        matches!(te.as_slice(), [v] if v.trim_ascii().eq_ignore_ascii_case(b"chunked"));
    Some(cl || !one_chunked)
}
