//! The `Encapsulated` header (RFC 3507 §4.4.1): which HTTP sections an ICAP
//! message carries and where each starts, as byte offsets into the
//! message's encapsulated part.

use std::fmt::Write as _;

/// What follows the encapsulated HTTP headers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyKind {
    /// A chunked HTTP request body (`req-body`).
    Request,
    /// A chunked HTTP response body (`res-body`).
    Response,
    /// A chunked OPTIONS body (`opt-body`).
    Options,
    /// No body (`null-body`).
    Null,
}

/// A parsed `Encapsulated` value: the header sections' offsets and the
/// body's kind and offset (the total length of the header sections).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Encapsulated {
    /// Offset of the HTTP request head (`req-hdr`).
    pub req_hdr: Option<usize>,
    /// Offset of the HTTP response head (`res-hdr`).
    pub res_hdr: Option<usize>,
    /// The body section's kind.
    pub body: BodyKind,
    /// The body section's offset: the bytes of header sections before it.
    pub body_at: usize,
}

/// Why an `Encapsulated` value is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadEncapsulated(pub &'static str);

impl Encapsulated {
    /// No encapsulated part at all (`null-body=0`).
    pub const NONE: Encapsulated = Encapsulated {
        req_hdr: None,
        res_hdr: None,
        body: BodyKind::Null,
        body_at: 0,
    };

    /// Parses `req-hdr=0, res-hdr=137, res-body=296`. Sections must come in
    /// the RFC's order (`req-hdr`, `res-hdr`, then exactly one body entry,
    /// last), each at most once, with offsets that start at 0 and do not
    /// decrease.
    pub fn parse(value: &str) -> Result<Encapsulated, BadEncapsulated> {
        let mut out = Encapsulated {
            req_hdr: None,
            res_hdr: None,
            body: BodyKind::Null,
            body_at: 0,
        };
        let mut rank = 0u8;
        let mut last = 0usize;
        let mut body_seen = false;
        for (i, item) in value.split(',').enumerate() {
            let (name, offset) = item
                .trim()
                .split_once('=')
                .ok_or(BadEncapsulated("an Encapsulated entry without `=`"))?;
            let offset = offset.trim();
            if offset.is_empty() || offset.len() > 10 || !offset.bytes().all(|b| b.is_ascii_digit())
            {
                return Err(BadEncapsulated("an Encapsulated offset is not a number"));
            }
            let offset: usize = offset
                .parse()
                .map_err(|_| BadEncapsulated("an Encapsulated offset is out of range"))?;
            if body_seen {
                return Err(BadEncapsulated("an Encapsulated entry after the body"));
            }
            if (i == 0 && offset != 0) || offset < last {
                return Err(BadEncapsulated("Encapsulated offsets out of order"));
            }
            last = offset;
            let (r, body) = match name.trim().to_ascii_lowercase().as_str() {
                "req-hdr" => (1, None),
                "res-hdr" => (2, None),
                "req-body" => (3, Some(BodyKind::Request)),
                "res-body" => (3, Some(BodyKind::Response)),
                "opt-body" => (3, Some(BodyKind::Options)),
                "null-body" => (3, Some(BodyKind::Null)),
                _ => return Err(BadEncapsulated("an unknown Encapsulated entry")),
            };
            if r <= rank {
                return Err(BadEncapsulated("Encapsulated entries out of order"));
            }
            rank = r;
            match (r, body) {
                (1, _) => out.req_hdr = Some(offset),
                (2, _) => out.res_hdr = Some(offset),
                (_, Some(kind)) => {
                    out.body = kind;
                    out.body_at = offset;
                    body_seen = true;
                }
                _ => {}
            }
        }
        if !body_seen {
            return Err(BadEncapsulated("Encapsulated names no body entry"));
        }
        // A header section must not be empty: it holds at least a start
        // line and the blank line.
        if out
            .req_hdr
            .is_some_and(|r| out.res_hdr.unwrap_or(out.body_at) == r)
            || out.res_hdr.is_some_and(|r| out.body_at == r)
        {
            return Err(BadEncapsulated("an empty encapsulated header section"));
        }
        Ok(out)
    }

    /// The section lengths: (request head, response head), from the
    /// offsets.
    pub fn lengths(&self) -> (usize, usize) {
        let req = self
            .req_hdr
            .map_or(0, |r| self.res_hdr.unwrap_or(self.body_at) - r);
        let res = self.res_hdr.map_or(0, |r| self.body_at - r);
        (req, res)
    }

    /// The header value for a message with a request head of `req` bytes
    /// (if any), a response head of `res` bytes (if any), and a body of
    /// `body`'s kind.
    pub fn render(req: Option<usize>, res: Option<usize>, body: BodyKind) -> String {
        let mut out = String::new();
        let mut at = 0;
        if let Some(n) = req {
            let _ = write!(out, "req-hdr={at}, ");
            at += n;
        }
        if let Some(n) = res {
            let _ = write!(out, "res-hdr={at}, ");
            at += n;
        }
        let name = match body {
            BodyKind::Request => "req-body",
            BodyKind::Response => "res-body",
            BodyKind::Options => "opt-body",
            BodyKind::Null => "null-body",
        };
        let _ = write!(out, "{name}={at}");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_rfc_examples() -> Result<(), BadEncapsulated> {
        let e = Encapsulated::parse("req-hdr=0, res-hdr=137, res-body=296")?;
        assert_eq!(e.req_hdr, Some(0));
        assert_eq!(e.res_hdr, Some(137));
        assert_eq!((e.body, e.body_at), (BodyKind::Response, 296));
        assert_eq!(e.lengths(), (137, 159));
        let e = Encapsulated::parse("req-hdr=0, null-body=170")?;
        assert_eq!((e.body, e.lengths()), (BodyKind::Null, (170, 0)));
        assert_eq!(Encapsulated::parse("null-body=0")?, Encapsulated::NONE);
        Ok(())
    }

    #[test]
    fn refuses_disorder_and_garbage() {
        for bad in [
            "",
            "res-hdr=0, req-hdr=10, null-body=20",
            "req-hdr=5, null-body=20",
            "req-hdr=0, res-hdr=30, null-body=20",
            "req-hdr=0",
            "req-hdr=0, req-body=10, res-body=10",
            "req-hdr=0, req-hdr=0, null-body=5",
            "req-hdr=0, null-body=0",
            "req-hdr=0, null-body=-1",
            "req-hdr=0, null-body=99999999999",
            "x-hdr=0, null-body=1",
            "req-hdr 0",
        ] {
            assert!(Encapsulated::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn renders_offsets() {
        assert_eq!(
            Encapsulated::render(Some(40), Some(60), BodyKind::Response),
            "req-hdr=0, res-hdr=40, res-body=100"
        );
        assert_eq!(
            Encapsulated::render(None, Some(60), BodyKind::Null),
            "res-hdr=0, null-body=60"
        );
        let again = Encapsulated::parse(&Encapsulated::render(Some(7), None, BodyKind::Request));
        assert_eq!(again.map(|e| e.lengths()), Ok((7, 0)));
    }
}
