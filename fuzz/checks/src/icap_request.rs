//! The ICAP request parser (`hashwall_proxy::serve::icap::parser`) on a
//! raw client byte stream: what an ICAP client (Squid) sends to
//! `hashwall serve`'s ICAP listener.
//!
//! The first byte seeds how the stream is cut into reads; the rest is the
//! stream. Properties:
//!
//! * nothing panics and nothing loops, whatever the bytes and the cuts;
//! * the stream parses the same — the same request heads with the same
//!   encapsulated HTTP heads, the same body bytes, the same ends (`ieof`),
//!   the same error, the same bytes left over — whether it arrives in one
//!   read, a byte at a time, or in the fuzzer's cuts: a client controls TCP
//!   segmentation, so no split may change what a request means;
//! * every encapsulated head handed out lies within the stream, and the
//!   body bytes handed out are at most the stream's length.

use crate::cuts::cuts;
use bytes::BytesMut;
use hashwall_proxy::serve::icap::parser::{Event, Limits, ParseError, Parser};

/// Limits small enough for the fuzzer to reach them.
const LIMITS: Limits = Limits {
    max_head_bytes: 1024,
    max_headers: 16,
};

/// What the parser made of a stream.
#[derive(Debug, PartialEq, Eq)]
enum Item {
    /// A request head, summarised.
    Head(String),
    /// Body bytes (consecutive data events merged).
    Body(Vec<u8>),
    /// The end of a body or preview.
    End(bool),
    /// The error that ended the stream.
    Error(ParseError),
}

fn feed(stream: &[u8], cuts: impl Iterator<Item = usize>) -> (Vec<Item>, usize) {
    let mut parser = Parser::new(LIMITS);
    let mut buf = BytesMut::new();
    let mut items: Vec<Item> = Vec::new();
    let mut rest = stream;
    let mut cuts = cuts;
    while !rest.is_empty() {
        let n = cuts.next().unwrap_or(rest.len()).clamp(1, rest.len());
        buf.extend_from_slice(&rest[..n]);
        rest = &rest[n..];
        loop {
            let before = buf.len();
            match parser.next(&mut buf) {
                Ok(None) => break,
                Ok(Some(event)) => {
                    assert!(buf.len() < before, "an event that consumed nothing");
                    push(&mut items, &mut parser, event);
                }
                Err(e) => {
                    items.push(Item::Error(e));
                    return (items, buf.len() + rest.len());
                }
            }
        }
    }
    (items, buf.len())
}

fn push(items: &mut Vec<Item>, parser: &mut Parser, event: Event) {
    match event {
        Event::Request(r) => items.push(Item::Head(format!(
            "{} {} {} {:?} preview={:?} allow204={} req={:?} res={:?} http_req={:?} http_res={:?}",
            r.method.as_str(),
            r.uri,
            r.service,
            r.encapsulated,
            r.preview,
            r.allow_204,
            r.req_hdr,
            r.res_hdr,
            r.http_request
                .as_ref()
                .map(|h| (&h.method, &h.target, &h.headers)),
            r.http_response.as_ref().map(|h| (h.status, &h.headers)),
        ))),
        Event::Data(d) => {
            assert!(!d.is_empty(), "an empty data event");
            if let Some(Item::Body(b)) = items.last_mut() {
                b.extend_from_slice(&d);
            } else {
                items.push(Item::Body(d.to_vec()));
            }
        }
        Event::End { ieof } => {
            items.push(Item::End(ieof));
            // As the server does when it wants the rest: `100 Continue`.
            parser.resume();
        }
    }
}

/// The check (see the module documentation).
pub fn icap_request(data: &[u8]) {
    let Some((&seed, stream)) = data.split_first() else {
        return;
    };
    let whole = feed(stream, std::iter::empty());
    let bytewise = feed(stream, std::iter::repeat(1));
    let fuzzed = feed(stream, cuts(seed));
    assert_eq!(whole, bytewise, "one read vs a byte per read");
    assert_eq!(whole, fuzzed, "one read vs the fuzzer's reads");
    let body: usize = whole
        .0
        .iter()
        .map(|i| match i {
            Item::Body(b) => b.len(),
            _ => 0,
        })
        .sum();
    assert!(body <= stream.len(), "more body than bytes");
    assert!(whole.1 <= stream.len(), "more left over than bytes");
}
