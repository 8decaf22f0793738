//! ICAP responses as bytes: status lines, `ISTag`, `Encapsulated` with the
//! offsets of the sections that follow, and chunked bodies.

use std::fmt::Write as _;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::Response;

use super::encapsulated::{BodyKind, Encapsulated};
use super::head::IcapRequest;
use crate::serve::ProxyBody;

/// The `Server` field of every response.
const SERVER: &str = concat!("hashwall/", env!("CARGO_PKG_VERSION"));

/// `100 Continue`: send the rest of the previewed body.
pub(super) const CONTINUE: &[u8] = b"ICAP/1.0 100 Continue\r\n\r\n";

/// The last chunk of a body.
pub(super) const LAST_CHUNK: &[u8] = b"0\r\n\r\n";

/// A status line and the fields every response carries.
fn start(status: u16, reason: &str, istag: &str) -> String {
    format!("ICAP/1.0 {status} {reason}\r\nServer: {SERVER}\r\nISTag: {istag}\r\n")
}

/// `204 No Content`: the message may go on unchanged.
pub(super) fn no_content(istag: &str) -> Vec<u8> {
    let mut s = start(204, "No Content", istag);
    s.push_str("Encapsulated: null-body=0\r\n\r\n");
    s.into_bytes()
}

/// An ICAP error; the connection closes after it.
pub(super) fn error(status: u16, reason: &str, istag: &str) -> Vec<u8> {
    let mut s = start(status, reason, istag);
    s.push_str("Connection: close\r\nEncapsulated: null-body=0\r\n\r\n");
    s.into_bytes()
}

/// What an `OPTIONS` answer announces.
pub(super) struct Options<'a> {
    /// The method the service offers.
    pub method: &'static str,
    /// `ISTag`.
    pub istag: &'a str,
    /// `Max-Connections`.
    pub max_connections: usize,
    /// `Options-TTL`.
    pub ttl_secs: u32,
    /// `Preview`.
    pub preview: usize,
}

/// The `OPTIONS` answer for one service.
pub(super) fn options(o: &Options<'_>) -> Vec<u8> {
    let mut s = start(200, "OK", o.istag);
    let _ = write!(
        s,
        "Methods: {}\r\nService: hashwall {} URL and image lists\r\nMax-Connections: {}\r\n\
         Options-TTL: {}\r\nAllow: 204\r\nPreview: {}\r\nTransfer-Preview: *\r\n\
         Encapsulated: null-body=0\r\n\r\n",
        o.method,
        env!("CARGO_PKG_VERSION"),
        o.max_connections,
        o.ttl_secs,
        o.preview
    );
    s.into_bytes()
}

/// A `200 OK` carrying an HTTP response the proxy wrote (the stop page, an
/// error page) in place of the message: head and whole body.
pub(super) async fn http_response(istag: &str, resp: Response<ProxyBody>) -> Vec<u8> {
    let (parts, body) = resp.into_parts();
    let body: Bytes = body
        .collect()
        .await
        .map(http_body_util::Collected::to_bytes)
        .unwrap_or_default();
    let mut head = format!(
        "HTTP/1.1 {} {}\r\n",
        parts.status.as_u16(),
        parts.status.canonical_reason().unwrap_or("")
    );
    for (name, value) in &parts.headers {
        if let Ok(v) = value.to_str() {
            let _ = write!(head, "{name}: {v}\r\n");
        }
    }
    let _ = write!(head, "Content-Length: {}\r\n\r\n", body.len());
    let mut s = start(200, "OK", istag);
    let _ = write!(
        s,
        "Encapsulated: {}\r\n\r\n",
        Encapsulated::render(None, Some(head.len()), BodyKind::Response)
    );
    let mut out = s.into_bytes();
    out.extend_from_slice(head.as_bytes());
    push_chunk(&mut out, &body);
    out.extend_from_slice(LAST_CHUNK);
    out
}

/// The head of a `200 OK` that returns the message unchanged: its
/// encapsulated HTTP head as received, then (when `body`) a chunked body
/// the caller writes.
pub(super) fn echo_head(istag: &str, req: &IcapRequest, body: bool) -> Vec<u8> {
    let (section, kind) = match (&req.res_hdr, &req.req_hdr) {
        (Some(res), _) => (res, BodyKind::Response),
        (None, Some(r)) => (r, BodyKind::Request),
        (None, None) => return no_content(istag),
    };
    let body_kind = if body { kind } else { BodyKind::Null };
    let encapsulated = match kind {
        BodyKind::Response => Encapsulated::render(None, Some(section.len()), body_kind),
        _ => Encapsulated::render(Some(section.len()), None, body_kind),
    };
    let mut s = start(200, "OK", istag);
    let _ = write!(s, "Encapsulated: {encapsulated}\r\n\r\n");
    let mut out = s.into_bytes();
    out.extend_from_slice(section);
    out
}

/// Appends `data` as one chunk (nothing for no data: an empty chunk
/// would end the body).
pub(super) fn push_chunk(out: &mut Vec<u8>, data: &[u8]) {
    if data.is_empty() {
        return;
    }
    out.extend_from_slice(format!("{:x}\r\n", data.len()).as_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serve::icap::parser::{Event, Limits, Parser};
    use crate::serve::stop_page::error_page;
    use bytes::BytesMut;
    use hyper::StatusCode;

    #[tokio::test]
    async fn an_http_response_has_consistent_offsets() -> Result<(), Box<dyn std::error::Error>> {
        let out = http_response("\"t1\"", error_page(StatusCode::FORBIDDEN, "no")).await;
        let text = String::from_utf8(out)?;
        let (icap, rest) = text.split_once("\r\n\r\n").ok_or("no ICAP head")?;
        let enc = icap
            .lines()
            .find_map(|l| l.strip_prefix("Encapsulated: "))
            .ok_or("no Encapsulated")?;
        let e = Encapsulated::parse(enc).map_err(|e| e.0)?;
        assert_eq!(e.res_hdr, Some(0));
        let http_head = &rest[..e.body_at];
        assert!(http_head.starts_with("HTTP/1.1 403 Forbidden\r\n"));
        assert!(http_head.ends_with("\r\n\r\n"));
        assert!(rest.ends_with("\r\n0\r\n\r\n"));
        Ok(())
    }

    #[test]
    fn an_echo_parses_back() {
        let req = b"REQMOD icap://h/reqmod ICAP/1.0\r\nEncapsulated: req-hdr=0, null-body=35\r\n\r\nGET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n";
        let mut p = Parser::new(Limits {
            max_head_bytes: 4096,
            max_headers: 16,
        });
        let Ok(Some(Event::Request(r))) = p.next(&mut BytesMut::from(&req[..])) else {
            panic!("no request");
        };
        let out = echo_head("\"t\"", &r, false);
        assert!(out.ends_with(b"Encapsulated: req-hdr=0, null-body=35\r\n\r\nGET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n"));
    }
}
