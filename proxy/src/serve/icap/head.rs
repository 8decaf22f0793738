//! The head of an ICAP request (RFC 3507 §4.3): the request line, the ICAP
//! header fields, and the encapsulated HTTP heads the `Encapsulated` field
//! locates.

use bytes::Bytes;
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, StatusCode};

use super::bounds::{Limits, ParseError};
use super::encapsulated::{BodyKind, Encapsulated};

/// The ICAP methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IcapMethod {
    /// `OPTIONS`: the service's capabilities.
    Options,
    /// `REQMOD`: an HTTP request to check.
    Reqmod,
    /// `RESPMOD`: an HTTP response to check.
    Respmod,
}

impl IcapMethod {
    /// The method's name.
    pub fn as_str(self) -> &'static str {
        match self {
            IcapMethod::Options => "OPTIONS",
            IcapMethod::Reqmod => "REQMOD",
            IcapMethod::Respmod => "RESPMOD",
        }
    }
}

/// An encapsulated HTTP request head.
#[derive(Clone, Debug)]
pub struct HttpRequestHead {
    /// The method.
    pub method: Method,
    /// The request target as sent (absolute-form, authority-form for
    /// CONNECT, or origin-form with `Host`).
    pub target: String,
    /// The header fields.
    pub headers: HeaderMap,
}

/// An encapsulated HTTP response head.
#[derive(Clone, Debug)]
pub struct HttpResponseHead {
    /// The status.
    pub status: StatusCode,
    /// The header fields.
    pub headers: HeaderMap,
}

/// One ICAP request head with its encapsulated HTTP heads.
#[derive(Clone, Debug)]
pub struct IcapRequest {
    /// The method.
    pub method: IcapMethod,
    /// The ICAP URI as sent (`icap://host:port/service?query`).
    pub uri: String,
    /// The URI's path: the service asked for (`/reqmod`).
    pub service: String,
    /// The ICAP header fields.
    pub headers: HeaderMap,
    /// Where the encapsulated sections are.
    pub encapsulated: Encapsulated,
    /// `Preview: n`: the body sent first is a preview of at most n bytes.
    pub preview: Option<usize>,
    /// `Allow: 204`: the client can take 204 outside a preview.
    pub allow_204: bool,
    /// The encapsulated request head, as received.
    pub req_hdr: Option<Bytes>,
    /// The encapsulated response head, as received.
    pub res_hdr: Option<Bytes>,
    /// The encapsulated request head, parsed.
    pub http_request: Option<HttpRequestHead>,
    /// The encapsulated response head, parsed.
    pub http_response: Option<HttpResponseHead>,
}

impl IcapRequest {
    /// Whether a chunked body follows the head.
    pub fn has_body(&self) -> bool {
        self.encapsulated.body != BodyKind::Null
    }
}

/// The length of the ICAP head at the front of `buf` (through its blank
/// line), `None` while incomplete.
pub(super) fn head_end(buf: &[u8], limits: &Limits) -> Result<Option<usize>, ParseError> {
    match buf.windows(4).position(|w| w == b"\r\n\r\n") {
        Some(i) if i + 4 <= limits.max_head_bytes => Ok(Some(i + 4)),
        Some(_) => Err(ParseError::TooLarge),
        None if buf.len() >= limits.max_head_bytes => Err(ParseError::TooLarge),
        None => Ok(None),
    }
}

/// The ICAP head parsed from `head` (request line to blank line), without
/// its encapsulated sections yet.
pub(super) fn parse_icap_head(head: &[u8], limits: &Limits) -> Result<IcapRequest, ParseError> {
    let bad = ParseError::Malformed;
    let line_end = head
        .windows(2)
        .position(|w| w == b"\r\n")
        .ok_or(bad("no request line"))?;
    let line = std::str::from_utf8(&head[..line_end]).map_err(|_| bad("request line not UTF-8"))?;
    let mut parts = line.split(' ');
    let (Some(method), Some(uri), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad("request line is not `METHOD URI ICAP/1.0`"));
    };
    if version != "ICAP/1.0" {
        return Err(if version.starts_with("ICAP/") {
            ParseError::Version
        } else {
            bad("not an ICAP request")
        });
    }
    let method = match method {
        "OPTIONS" => IcapMethod::Options,
        "REQMOD" => IcapMethod::Reqmod,
        "RESPMOD" => IcapMethod::Respmod,
        m if !m.is_empty() && m.bytes().all(|b| b.is_ascii_uppercase()) => {
            return Err(ParseError::Method);
        }
        _ => return Err(bad("request line is not `METHOD URI ICAP/1.0`")),
    };
    let service = service_path(uri).ok_or(bad("the URI is not icap://host/service"))?;
    let headers = parse_fields(&head[line_end + 2..], limits)?;
    let encapsulated = match headers.get("encapsulated") {
        Some(v) => {
            let v = v.to_str().map_err(|_| bad("Encapsulated is not text"))?;
            Encapsulated::parse(v).map_err(|e| bad(e.0))?
        }
        None if method == IcapMethod::Options => Encapsulated::NONE,
        None => return Err(bad("no Encapsulated field")),
    };
    if headers.get_all("encapsulated").iter().count() > 1 {
        return Err(bad("more than one Encapsulated field"));
    }
    check_sections(method, &encapsulated)?;
    let preview = match headers.get("preview") {
        None => None,
        Some(v) => Some(
            v.to_str()
                .ok()
                .map(str::trim)
                .filter(|s| !s.is_empty() && s.len() <= 9 && s.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|s| s.parse::<usize>().ok())
                .ok_or(bad("Preview is not a number"))?,
        ),
    };
    let allow_204 = headers.get_all("allow").iter().any(|v| {
        v.to_str()
            .is_ok_and(|s| s.split(',').any(|t| t.trim() == "204"))
    });
    Ok(IcapRequest {
        method,
        uri: uri.to_owned(),
        service,
        headers,
        encapsulated,
        preview,
        allow_204,
        req_hdr: None,
        res_hdr: None,
        http_request: None,
        http_response: None,
    })
}

/// The sections each method may carry.
fn check_sections(method: IcapMethod, e: &Encapsulated) -> Result<(), ParseError> {
    let ok = match method {
        IcapMethod::Options => {
            e.req_hdr.is_none()
                && e.res_hdr.is_none()
                && matches!(e.body, BodyKind::Null | BodyKind::Options)
        }
        IcapMethod::Reqmod => {
            e.req_hdr.is_some()
                && e.res_hdr.is_none()
                && matches!(e.body, BodyKind::Null | BodyKind::Request)
        }
        IcapMethod::Respmod => {
            e.res_hdr.is_some() && matches!(e.body, BodyKind::Null | BodyKind::Response)
        }
    };
    if ok {
        Ok(())
    } else {
        Err(ParseError::Malformed(
            "Encapsulated sections do not fit the method",
        ))
    }
}

/// `icap://host[:port]/path[?query]` → `/path`.
fn service_path(uri: &str) -> Option<String> {
    let scheme = uri.get(..7)?;
    if !scheme.eq_ignore_ascii_case("icap://") {
        return None;
    }
    let rest = &uri[7..];
    let slash = rest.find('/')?;
    if slash == 0 || rest.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return None;
    }
    let path = &rest[slash..];
    let path = path.split(['?', '#']).next().unwrap_or("/");
    Some(path.to_owned())
}

/// Header fields (through the blank line) into a map.
fn parse_fields(fields: &[u8], limits: &Limits) -> Result<HeaderMap, ParseError> {
    let mut raw = vec![httparse::EMPTY_HEADER; limits.max_headers];
    let parsed = match httparse::parse_headers(fields, &mut raw) {
        Ok(httparse::Status::Complete((n, h))) if n == fields.len() => h,
        Ok(_) => {
            return Err(ParseError::Malformed(
                "header fields do not end where they should",
            ));
        }
        Err(httparse::Error::TooManyHeaders) => return Err(ParseError::TooLarge),
        Err(_) => return Err(ParseError::Malformed("a malformed header field")),
    };
    to_map(parsed)
}

fn to_map(parsed: &[httparse::Header<'_>]) -> Result<HeaderMap, ParseError> {
    let mut map = HeaderMap::with_capacity(parsed.len());
    for h in parsed {
        let name = HeaderName::from_bytes(h.name.as_bytes())
            .map_err(|_| ParseError::Malformed("a malformed header name"))?;
        let value = HeaderValue::from_bytes(h.value)
            .map_err(|_| ParseError::Malformed("a malformed header value"))?;
        map.append(name, value);
    }
    Ok(map)
}

/// Parses the encapsulated request head; it must fill `section` exactly.
pub(super) fn parse_http_request(
    section: &[u8],
    limits: &Limits,
) -> Result<HttpRequestHead, ParseError> {
    let mut raw = vec![httparse::EMPTY_HEADER; limits.max_headers];
    let mut req = httparse::Request::new(&mut raw);
    match req.parse(section) {
        Ok(httparse::Status::Complete(n)) if n == section.len() => {}
        Err(httparse::Error::TooManyHeaders) => return Err(ParseError::TooLarge),
        _ => return Err(ParseError::Malformed("the encapsulated request head")),
    }
    let method = req
        .method
        .and_then(|m| Method::from_bytes(m.as_bytes()).ok())
        .ok_or(ParseError::Malformed("the encapsulated request method"))?;
    let target = req
        .path
        .ok_or(ParseError::Malformed("the encapsulated request target"))?
        .to_owned();
    Ok(HttpRequestHead {
        method,
        target,
        headers: to_map(req.headers)?,
    })
}

/// Parses the encapsulated response head; it must fill `section` exactly.
pub(super) fn parse_http_response(
    section: &[u8],
    limits: &Limits,
) -> Result<HttpResponseHead, ParseError> {
    let mut raw = vec![httparse::EMPTY_HEADER; limits.max_headers];
    let mut res = httparse::Response::new(&mut raw);
    match res.parse(section) {
        Ok(httparse::Status::Complete(n)) if n == section.len() => {}
        Err(httparse::Error::TooManyHeaders) => return Err(ParseError::TooLarge),
        _ => return Err(ParseError::Malformed("the encapsulated response head")),
    }
    let status = res
        .code
        .and_then(|c| StatusCode::from_u16(c).ok())
        .ok_or(ParseError::Malformed("the encapsulated response status"))?;
    Ok(HttpResponseHead {
        status,
        headers: to_map(res.headers)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_paths() {
        assert_eq!(
            service_path("icap://127.0.0.1:1344/reqmod").as_deref(),
            Some("/reqmod")
        );
        assert_eq!(
            service_path("ICAP://h/respmod?x=1").as_deref(),
            Some("/respmod")
        );
        assert_eq!(service_path("icap://h"), None);
        assert_eq!(service_path("http://h/reqmod"), None);
        assert_eq!(service_path("icap:///x"), None);
    }
}
