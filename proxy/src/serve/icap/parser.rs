//! The incremental ICAP request parser: bytes in, [`Event`]s out.
//!
//! [`Parser::next`] takes what it can from the front of the connection's
//! buffer and leaves the rest: a head is only parsed once all of it (ICAP
//! head and encapsulated HTTP heads) has arrived, body data is handed out
//! as it comes. A request split into reads in any way gives the same
//! events (the body's data may come in different pieces; the fuzz target
//! `icap_request` checks this).
//!
//! After a preview that does not end in `ieof` the parser pauses: the
//! server either sends `100 Continue` and calls [`Parser::resume`] (the
//! rest of the body follows), or answers at once, and the next bytes are
//! the next request.

use bytes::{Buf, Bytes, BytesMut};

pub use super::bounds::{Limits, ParseError};
use super::chunked::{Chunk, Chunked};
use super::encapsulated::BodyKind;
use super::head::{
    IcapRequest, head_end, parse_http_request, parse_http_response, parse_icap_head,
};

/// What the parser found next.
#[derive(Clone, Debug)]
pub enum Event {
    /// A request head; its body, if any, follows as `Data` and `End`.
    Request(Box<IcapRequest>),
    /// Body bytes (never empty).
    Data(Bytes),
    /// The end of the body, or of its preview when the request has one:
    /// `ieof` says the preview was the whole body.
    End {
        /// The last chunk carried `ieof`.
        ieof: bool,
    },
}

#[derive(Clone, Debug)]
enum State {
    /// Between requests.
    Head,
    /// In a body; `preview_left` counts down a preview's allowance.
    Body {
        chunks: Chunked,
        preview_left: Option<usize>,
    },
    /// A preview ended without `ieof`: see [`Parser::resume`].
    Paused,
}

/// The parser of one connection's requests.
#[derive(Clone, Debug)]
pub struct Parser {
    limits: Limits,
    state: State,
}

impl Parser {
    /// A parser at the start of a connection.
    pub fn new(limits: Limits) -> Parser {
        Parser {
            limits,
            state: State::Head,
        }
    }

    /// Whether the parser is between requests (nothing begun).
    pub fn between_requests(&self) -> bool {
        matches!(self.state, State::Head | State::Paused)
    }

    /// Whether a preview just ended without `ieof`.
    pub fn paused(&self) -> bool {
        matches!(self.state, State::Paused)
    }

    /// After `100 Continue`: the rest of the previewed body follows.
    pub fn resume(&mut self) {
        if self.paused() {
            self.state = State::Body {
                chunks: Chunked::default(),
                preview_left: None,
            };
        }
    }

    /// The next event from the front of `buf` (consumed), `Ok(None)` when
    /// more bytes are needed. After an error the connection must close.
    pub fn next(&mut self, buf: &mut BytesMut) -> Result<Option<Event>, ParseError> {
        match &mut self.state {
            State::Head | State::Paused => self.head(buf),
            State::Body {
                chunks,
                preview_left,
            } => {
                let limit = preview_left.map(|l| l as u64);
                let item = chunks
                    .next_within(buf, limit)
                    .map_err(|e| ParseError::Malformed(e.0))?;
                match item {
                    None => Ok(None),
                    Some(Chunk::Data(d)) => {
                        if let Some(left) = preview_left {
                            *left = left
                                .checked_sub(d.len())
                                .ok_or(ParseError::Malformed("a preview longer than announced"))?;
                        }
                        Ok(Some(Event::Data(d)))
                    }
                    Some(Chunk::End { ieof }) => {
                        let preview = preview_left.is_some();
                        if ieof && !preview {
                            return Err(ParseError::Malformed("ieof outside a preview"));
                        }
                        self.state = if preview && !ieof {
                            State::Paused
                        } else {
                            State::Head
                        };
                        Ok(Some(Event::End { ieof }))
                    }
                }
            }
        }
    }

    fn head(&mut self, buf: &mut BytesMut) -> Result<Option<Event>, ParseError> {
        let limits = self.limits;
        let Some(end) = head_end(buf, &limits)? else {
            return Ok(None);
        };
        let mut req = parse_icap_head(&buf[..end], &limits)?;
        let e = req.encapsulated;
        let total = end
            .checked_add(e.body_at)
            .filter(|t| *t <= limits.max_head_bytes)
            .ok_or(ParseError::TooLarge)?;
        if buf.len() < total {
            return Ok(None);
        }
        buf.advance(end);
        let sections = buf.split_to(e.body_at).freeze();
        let (req_len, res_len) = e.lengths();
        if let Some(at) = e.req_hdr {
            let s = sections.slice(at..at + req_len);
            req.http_request = Some(parse_http_request(&s, &limits)?);
            req.req_hdr = Some(s);
        }
        if let Some(at) = e.res_hdr {
            let s = sections.slice(at..at + res_len);
            req.http_response = Some(parse_http_response(&s, &limits)?);
            req.res_hdr = Some(s);
        }
        if e.req_hdr.is_none() && e.res_hdr.is_none() && e.body_at != 0 {
            return Err(ParseError::Malformed("bytes before the body"));
        }
        self.state = if e.body == BodyKind::Null {
            if req.preview.is_some_and(|p| p > 0) {
                return Err(ParseError::Malformed("a preview without a body"));
            }
            State::Head
        } else {
            State::Body {
                chunks: Chunked::default(),
                preview_left: req.preview,
            }
        };
        Ok(Some(Event::Request(Box::new(req))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serve::icap::head::IcapMethod;

    const LIMITS: Limits = Limits {
        max_head_bytes: 8192,
        max_headers: 64,
    };

    fn respmod(preview: &str, body: &str) -> Vec<u8> {
        let req = "GET http://example.com/a.png HTTP/1.1\r\nHost: example.com\r\n\r\n";
        let res = "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n\r\n";
        format!(
            "RESPMOD icap://127.0.0.1:1344/respmod ICAP/1.0\r\nHost: 127.0.0.1\r\n{preview}Encapsulated: req-hdr=0, res-hdr={}, res-body={}\r\n\r\n{req}{res}{body}",
            req.len(),
            req.len() + res.len()
        )
        .into_bytes()
    }

    /// (heads seen, body bytes, ends, error).
    fn run(input: &[u8], step: usize) -> (Vec<String>, Vec<u8>, Vec<bool>, Option<ParseError>) {
        let mut p = Parser::new(LIMITS);
        let mut buf = BytesMut::new();
        let mut out = (Vec::new(), Vec::new(), Vec::new(), None);
        for piece in input.chunks(step.max(1)) {
            buf.extend_from_slice(piece);
            loop {
                match p.next(&mut buf) {
                    Ok(None) => break,
                    Ok(Some(Event::Request(r))) => {
                        out.0.push(format!("{} {}", r.method.as_str(), r.service))
                    }
                    Ok(Some(Event::Data(d))) => out.1.extend_from_slice(&d),
                    Ok(Some(Event::End { ieof })) => {
                        out.2.push(ieof);
                        p.resume();
                    }
                    Err(e) => {
                        out.3 = Some(e);
                        return out;
                    }
                }
            }
        }
        out
    }

    #[test]
    fn a_respmod_with_preview_and_continuation_in_any_split() {
        let mut input = respmod(
            "Preview: 4\r\n",
            "4\r\nabcd\r\n0\r\n\r\n3\r\nefg\r\n0\r\n\r\n",
        );
        input.extend_from_slice(b"OPTIONS icap://h/respmod ICAP/1.0\r\n\r\n");
        for step in 1..input.len() {
            let (heads, body, ends, err) = run(&input, step);
            assert_eq!(err, None);
            assert_eq!(heads, ["RESPMOD /respmod", "OPTIONS /respmod"]);
            assert_eq!(body, b"abcdefg");
            assert_eq!(ends, [false, false]);
        }
    }

    #[test]
    fn parses_encapsulated_heads() {
        let input = respmod("Allow: 204\r\n", "0\r\n\r\n");
        let mut p = Parser::new(LIMITS);
        let mut buf = BytesMut::from(&input[..]);
        let Ok(Some(Event::Request(r))) = p.next(&mut buf) else {
            panic!("no request");
        };
        assert_eq!(r.method, IcapMethod::Respmod);
        assert!(r.allow_204);
        let (Some(http), Some(res)) = (r.http_request.as_ref(), r.http_response.as_ref()) else {
            panic!("the encapsulated heads are missing");
        };
        assert_eq!(http.target, "http://example.com/a.png");
        assert_eq!(res.status, 200);
        assert_eq!(res.headers["content-type"], "image/png");
        assert!(matches!(
            p.next(&mut buf),
            Ok(Some(Event::End { ieof: false }))
        ));
        assert!(buf.is_empty() && p.between_requests());
    }

    #[test]
    fn refuses_malformed_requests() {
        let cases: [(&[u8], ParseError); 6] = [
            (
                b"GET / HTTP/1.1\r\n\r\n",
                ParseError::Malformed("not an ICAP request"),
            ),
            (b"FOO icap://h/x ICAP/1.0\r\n\r\n", ParseError::Method),
            (b"OPTIONS icap://h/x ICAP/2.0\r\n\r\n", ParseError::Version),
            (
                b"REQMOD icap://h/x ICAP/1.0\r\n\r\n",
                ParseError::Malformed("no Encapsulated field"),
            ),
            (
                b"REQMOD icap://h/x ICAP/1.0\r\nEncapsulated: req-hdr=0, null-body=5\r\n\r\nGET /",
                ParseError::Malformed("the encapsulated request head"),
            ),
            (
                b"RESPMOD icap://h/x ICAP/1.0\r\nEncapsulated: req-hdr=0, null-body=5\r\n\r\nGET /",
                ParseError::Malformed("Encapsulated sections do not fit the method"),
            ),
        ];
        for (input, want) in cases {
            assert_eq!(
                run(input, 3).3,
                Some(want),
                "{}",
                String::from_utf8_lossy(input)
            );
        }
        let big = vec![b'A'; LIMITS.max_head_bytes + 1];
        assert_eq!(run(&big, 100).3, Some(ParseError::TooLarge));
        let over = respmod("Preview: 2\r\n", "4\r\nabcd\r\n0\r\n\r\n");
        assert!(matches!(run(&over, 5).3, Some(ParseError::Malformed(_))));
    }
}
