//! The syntax of byte ranges (RFC 9110 §14): a client's `Range` and
//! `If-Range`, a response's `Content-Range` and the head of a
//! `multipart/byteranges` part, read strictly; and a range set resolved
//! against an object's length. Pure functions, used by [`super::ranges`].

use hyper::header::{self, HeaderMap, HeaderValue};

/// Most range specs read from one `Range` field; a field with more is
/// ignored (the whole object is sent).
const MAX_RANGES: usize = 64;

/// What a 206's head says it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// One range (`Content-Range: bytes FIRST-LAST/TOTAL`, `*`: unknown).
    Single {
        first: u64,
        last: u64,
        total: Option<u64>,
    },
    /// Several ranges (`multipart/byteranges`).
    Multipart,
    /// No `Content-Range`, several, or one that does not parse or does
    /// not add up.
    Unknown,
}

impl Shape {
    pub(crate) fn of(headers: &HeaderMap) -> Shape {
        let multipart = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|ct| ct.split(';').next())
            .is_some_and(|e| e.trim().eq_ignore_ascii_case("multipart/byteranges"));
        if multipart {
            return Shape::Multipart;
        }
        let mut fields = headers.get_all(header::CONTENT_RANGE).iter();
        match (fields.next(), fields.next()) {
            (Some(v), None) => v
                .to_str()
                .ok()
                .and_then(content_range)
                .unwrap_or(Shape::Unknown),
            _ => Shape::Unknown,
        }
    }
}

/// `bytes FIRST-LAST/TOTAL` or `bytes FIRST-LAST/*` (RFC 9110 §14.4),
/// consistent (`FIRST <= LAST < TOTAL`).
fn content_range(text: &str) -> Option<Shape> {
    let (unit, rest) = text.trim().split_once(' ')?;
    if !unit.eq_ignore_ascii_case("bytes") {
        return None;
    }
    let (range, total) = rest.trim_start().split_once('/')?;
    let (first, last) = range.split_once('-')?;
    let (first, last) = (number(first)?, number(last)?);
    let total = match total {
        "*" => None,
        t => Some(number(t)?),
    };
    if last < first || total.is_some_and(|t| last >= t) {
        return None;
    }
    Some(Shape::Single { first, last, total })
}

/// One range spec of a `Range` field (RFC 9110 §14.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Spec {
    /// `FIRST-` or `FIRST-LAST`.
    From { first: u64, last: Option<u64> },
    /// `-N`: the last N bytes.
    Suffix(u64),
}

/// The specs of the client's `Range`, or `None` when it is to be ignored:
/// not exactly one field, a unit other than `bytes` (any case, no space
/// before `=`), an empty set, a malformed spec, `LAST < FIRST`, or more
/// than [`MAX_RANGES`] specs. Whitespace around list elements and empty
/// elements are allowed (RFC 9110 §5.6.1).
pub(crate) fn parse_range(fields: &[HeaderValue]) -> Option<Vec<Spec>> {
    let [field] = fields else {
        return None;
    };
    let (unit, set) = field.to_str().ok()?.split_once('=')?;
    if !unit.eq_ignore_ascii_case("bytes") {
        return None;
    }
    let mut specs = Vec::new();
    for element in set.split(',') {
        let element = element.trim_matches([' ', '\t']);
        if element.is_empty() {
            continue;
        }
        if specs.len() == MAX_RANGES {
            return None;
        }
        let (first, last) = element.split_once('-')?;
        let spec = if first.is_empty() {
            Spec::Suffix(number(last)?)
        } else {
            let first = number(first)?;
            let last = match last {
                "" => None,
                l => Some(number(l)?),
            };
            if last.is_some_and(|l| l < first) {
                return None;
            }
            Spec::From { first, last }
        };
        specs.push(spec);
    }
    (!specs.is_empty()).then_some(specs)
}

/// `1*DIGIT`, saturating: a position past `u64::MAX` is past any object.
fn number(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(s.bytes().fold(0u64, |n, d| {
        n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
    }))
}

/// What to send for the client's specs against an object of `len` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resolved {
    /// The whole object (several satisfiable ranges).
    Whole,
    /// Bytes `FIRST..=LAST`.
    One(u64, u64),
    /// No spec overlaps the object: 416.
    Unsatisfiable,
}

pub(crate) fn resolve(specs: &[Spec], len: u64) -> Resolved {
    let mut satisfiable = specs.iter().filter_map(|s| match *s {
        Spec::From { first, last } => {
            (first < len).then(|| (first, last.map_or(len - 1, |l| l.min(len - 1))))
        }
        Spec::Suffix(n) => (n > 0 && len > 0).then(|| (len - n.min(len), len - 1)),
    });
    match (satisfiable.next(), satisfiable.next()) {
        (None, _) => Resolved::Unsatisfiable,
        (Some((first, last)), None) => Resolved::One(first, last),
        (Some(_), Some(_)) => Resolved::Whole,
    }
}

/// Whether `If-Range` (RFC 9110 §13.1.5) lets the range be served from an
/// object with these validators: absent, or a strong entity tag equal to
/// its strong `ETag`, or a date equal to its `Last-Modified`. Several
/// fields or a weak tag never match.
pub(crate) fn if_range_holds(fields: &[HeaderValue], validators: &HeaderMap) -> bool {
    let v = match fields {
        [] => return true,
        [v] => v.as_bytes().trim_ascii(),
        _ => return false,
    };
    let same = |name| {
        validators
            .get(name)
            .is_some_and(|have: &HeaderValue| have.as_bytes().trim_ascii() == v)
    };
    if v.starts_with(b"W/") {
        false
    } else if v.starts_with(b"\"") {
        same(header::ETAG)
    } else {
        same(header::LAST_MODIFIED)
    }
}

/// The fields of the first part's head in `bytes` (a preamble of empty
/// lines, the `--boundary` line, then fields up to an empty line), once
/// complete; only `Content-Type` and `Content-Range` are kept.
pub(crate) fn part_head(bytes: &[u8]) -> Option<HeaderMap> {
    let mut rest = bytes;
    while let Some(r) = rest.strip_prefix(b"\r\n") {
        rest = r;
    }
    if !rest.starts_with(b"--") {
        return None;
    }
    let line_end = rest.windows(2).position(|w| w == b"\r\n")?;
    let mut fields = [httparse::EMPTY_HEADER; 16];
    let httparse::Status::Complete((_, fields)) =
        httparse::parse_headers(&rest[line_end + 2..], &mut fields).ok()?
    else {
        return None;
    };
    let mut head = HeaderMap::new();
    for f in fields {
        for name in [header::CONTENT_TYPE, header::CONTENT_RANGE] {
            if f.name.eq_ignore_ascii_case(name.as_str())
                && let Ok(v) = HeaderValue::from_bytes(f.value)
            {
                head.append(name, v);
            }
        }
    }
    Some(head)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(v: &str) -> Vec<HeaderValue> {
        vec![HeaderValue::from_str(v).expect("a header value")]
    }

    #[test]
    fn range_fields_parse_as_rfc_9110_says() {
        use Spec::{From, Suffix};
        let from = |first, last| From { first, last };
        for (text, want) in [
            ("bytes=0-99999", Some(vec![from(0, Some(99_999))])),
            ("bytes=100000-", Some(vec![from(100_000, None)])),
            ("bytes=-500", Some(vec![Suffix(500)])),
            ("bytes=0-", Some(vec![from(0, None)])),
            ("BYTES=0-10", Some(vec![from(0, Some(10))])),
            (
                "Bytes=0-1,5-9",
                Some(vec![from(0, Some(1)), from(5, Some(9))]),
            ),
            (
                "bytes=0-1 ,\t5-9, ,",
                Some(vec![from(0, Some(1)), from(5, Some(9))]),
            ),
            ("bytes=0-0,-1", Some(vec![from(0, Some(0)), Suffix(1)])),
            (
                "bytes=99999999999999999999999-",
                Some(vec![from(u64::MAX, None)]),
            ),
            ("bytes = 0-10", None),
            ("bytes =0-10", None),
            ("bytes= 0-10", Some(vec![from(0, Some(10))])),
            ("items=0-10", None),
            ("bytes=", None),
            ("bytes=,", None),
            ("bytes=10-5", None),
            ("bytes=-", None),
            ("bytes=--5", None),
            ("bytes=+5-6", None),
            ("bytes=5-+6", None),
            ("bytes=0x10-", None),
            ("bytes=1-2-3", None),
            ("bytes=1 -2", None),
            ("0-10", None),
        ] {
            assert_eq!(parse_range(&field(text)), want, "{text}");
        }
        let many = format!("bytes={}", vec!["0-0"; MAX_RANGES + 1].join(","));
        assert_eq!(parse_range(&field(&many)), None);
        let two = [field("bytes=0-1"), field("bytes=2-3")].concat();
        assert_eq!(parse_range(&two), None, "two Range fields");
        assert_eq!(parse_range(&[]), None);
    }

    #[test]
    fn specs_resolve_against_the_length() {
        use Resolved::{One, Unsatisfiable, Whole};
        let specs = |t: &str| parse_range(&field(t)).expect("valid");
        for (text, len, want) in [
            ("bytes=0-99999", 250_000, One(0, 99_999)),
            ("bytes=100000-", 250_000, One(100_000, 249_999)),
            ("bytes=0-99999", 1_000, One(0, 999)),
            ("bytes=-500", 1_000, One(500, 999)),
            ("bytes=-5000", 1_000, One(0, 999)),
            ("bytes=-0", 1_000, Unsatisfiable),
            ("bytes=0-", 1_000, One(0, 999)),
            ("bytes=999-", 1_000, One(999, 999)),
            ("bytes=1000-", 1_000, Unsatisfiable),
            ("bytes=0-", 0, Unsatisfiable),
            ("bytes=-1", 0, Unsatisfiable),
            ("bytes=0-1,5-9", 1_000, Whole),
            ("bytes=0-10,5-20", 1_000, Whole),
            ("bytes=0-1,5000-", 1_000, One(0, 1)),
            ("bytes=5000-,6000-6001", 1_000, Unsatisfiable),
        ] {
            assert_eq!(resolve(&specs(text), len), want, "{text} of {len}");
        }
    }

    #[test]
    fn content_ranges() {
        let single = |first, last, total| Some(Shape::Single { first, last, total });
        for (text, want) in [
            ("bytes 0-99/250", single(0, 99, Some(250))),
            ("BYTES 100-249/250", single(100, 249, Some(250))),
            ("bytes 0-99/*", single(0, 99, None)),
            ("bytes 0-99/50", None),
            ("bytes 99-0/250", None),
            ("bytes */250", None),
            ("bytes 0-99", None),
            ("items 0-99/250", None),
            ("bytes -1-99/250", None),
            ("bytes 0-99/x", None),
        ] {
            assert_eq!(content_range(text), want, "{text}");
        }
        let mut h = HeaderMap::new();
        assert_eq!(Shape::of(&h), Shape::Unknown);
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("Multipart/ByteRanges; boundary=x"),
        );
        assert_eq!(Shape::of(&h), Shape::Multipart);
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/png"));
        h.append(
            header::CONTENT_RANGE,
            HeaderValue::from_static("bytes 0-1/2"),
        );
        assert_eq!(Shape::of(&h), single(0, 1, Some(2)).expect("single"));
        h.append(
            header::CONTENT_RANGE,
            HeaderValue::from_static("bytes 0-1/2"),
        );
        assert_eq!(Shape::of(&h), Shape::Unknown, "two Content-Range fields");
    }

    #[test]
    fn the_first_part_of_a_multipart_body_names_type_and_range() {
        let part = b"--B\r\nContent-Type: video/mp4\r\ncontent-range: bytes 0-1/9000\r\nX: y\r\n\r\nab\r\n--B--";
        for lead in [&b""[..], b"\r\n", b"\r\n\r\n"] {
            let bytes = [lead, &part[..]].concat();
            let head = part_head(&bytes).expect("a complete head");
            assert_eq!(head.len(), 2);
            assert_eq!(head[header::CONTENT_TYPE], "video/mp4");
            assert_eq!(
                Shape::of(&head),
                Shape::Single {
                    first: 0,
                    last: 1,
                    total: Some(9000)
                }
            );
        }
        assert_eq!(part_head(&part[..30]), None, "incomplete");
        assert_eq!(part_head(b"Content-Type: image/png\r\n\r\n"), None);
        assert_eq!(part_head(b"--B\r\n\r\n"), Some(HeaderMap::new()));
    }

    #[test]
    fn if_range_needs_a_strong_exact_validator() {
        let mut v = HeaderMap::new();
        v.insert(header::ETAG, HeaderValue::from_static("\"v1\""));
        v.insert(
            header::LAST_MODIFIED,
            HeaderValue::from_static("Sun, 06 Nov 1994 08:49:37 GMT"),
        );
        assert!(if_range_holds(&[], &v));
        assert!(if_range_holds(&field("\"v1\""), &v));
        assert!(if_range_holds(&field(" \"v1\" "), &v));
        assert!(!if_range_holds(&field("\"v2\""), &v));
        assert!(!if_range_holds(&field("W/\"v1\""), &v));
        assert!(if_range_holds(&field("Sun, 06 Nov 1994 08:49:37 GMT"), &v));
        assert!(!if_range_holds(&field("Sun, 06 Nov 1994 08:49:38 GMT"), &v));
        assert!(!if_range_holds(
            &[field("\"v1\""), field("\"v1\"")].concat(),
            &v
        ));
        let mut weak = HeaderMap::new();
        weak.insert(header::ETAG, HeaderValue::from_static("W/\"v1\""));
        assert!(!if_range_holds(&field("\"v1\""), &weak));
        assert!(!if_range_holds(&field("\"v1\""), &HeaderMap::new()));
    }
}
