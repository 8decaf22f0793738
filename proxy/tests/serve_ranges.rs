//! Ranged requests for images through `hashwall serve`: a listed image is
//! never revealed in slices, whatever the `Range` spelling and whatever
//! the origin says; clean images get correct 206s cut from the scanned
//! whole. A real origin on 127.0.0.1 that honours `Range` (and variants
//! that lie about it), PDQ and SHA-256 list entries.
#![allow(clippy::unwrap_used)]

mod image_support;
mod serve_support;

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use hashwall::image::Algorithm;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Frame, Incoming};
use hyper::header::HeaderMap;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response};
use hyper_util::rt::TokioIo;
use image::ImageFormat;
use image_support::{encode, hex_of, picture, sha256};
use serve_support::*;
use tokio::net::{TcpListener, TcpStream};

const ETAG: &str = "\"v1\"";
const LAST_MODIFIED: &str = "Sun, 06 Nov 1994 08:49:37 GMT";

/// The origin's objects by name: content type and bytes.
type Site = HashMap<&'static str, (&'static str, Bytes)>;

/// Every request the origin received: path and `Range`.
type Log = Arc<Mutex<Vec<(String, Option<String>)>>>;

/// A body without a known length: hyper sends it chunked.
struct Chunked(VecDeque<Bytes>);

impl Body for Chunked {
    type Data = Bytes;
    type Error = Infallible;
    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(self.0.pop_front().map(|c| Ok(Frame::data(c))))
    }
}

/// The ranges an origin serves for `value` on `len` bytes, leniently (as
/// some servers do: spaces around `=`): `None` ignores the field (200),
/// `Some([])` is unsatisfiable (416).
fn origin_ranges(value: &str, len: u64) -> Option<Vec<(u64, u64)>> {
    let (unit, set) = value.split_once('=')?;
    if !unit.trim().eq_ignore_ascii_case("bytes") {
        return None;
    }
    let mut out = Vec::new();
    for spec in set.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (a, b) = spec.split_once('-')?;
        let (a, b) = (a.trim(), b.trim());
        let range = if a.is_empty() {
            let n: u64 = b.parse().ok()?;
            (n > 0 && len > 0).then(|| (len - n.min(len), len - 1))
        } else {
            let a: u64 = a.parse().ok()?;
            let b: u64 = if b.is_empty() {
                len - 1
            } else {
                b.parse().ok()?
            };
            (a < len && a <= b).then(|| (a, b.min(len - 1)))
        };
        out.extend(range);
    }
    Some(out)
}

/// How the origin answers, from the first path segment:
/// `honest` (like nginx: 206, multipart/byteranges, 416, `If-Range`),
/// `chunked` (honest, no Content-Length), `ignore` (200 whole), and
/// lies on 206s: `lying-type` (Content-Type text/plain), `no-cr`,
/// `garbage-cr`, `star-cr` (`bytes A-B/*`), `inconsistent-cr` (`bytes
/// 0-99/50`), `whole-cr` (the slice claims to be the whole object),
/// `offset-cr` (claims offset 0), `huge-cr` (claims a total of 10^12);
/// `always-206` (a slice even without Range).
async fn origin(site: Site) -> (SocketAddr, Log) {
    let site = Arc::new(site);
    let log: Log = Arc::default();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let l = Arc::clone(&log);
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let (site, log) = (Arc::clone(&site), Arc::clone(&l));
            tokio::spawn(async move {
                let svc = service_fn(move |req: Request<Incoming>| {
                    let resp = answer(&site, &log, &req);
                    async move { Ok::<_, Infallible>(resp) }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    (addr, log)
}

type OriginBody = http_body_util::combinators::BoxBody<Bytes, Infallible>;

fn answer(site: &Site, log: &Log, req: &Request<Incoming>) -> Response<OriginBody> {
    let path = req.uri().path().to_owned();
    let range = req
        .headers()
        .get("range")
        .map(|v| v.to_str().unwrap().to_owned());
    log.lock().unwrap().push((path.clone(), range.clone()));
    let (mode, name) = path[1..].split_once('/').unwrap_or(("", ""));
    let Some((ct, bytes)) = site.get(name).cloned() else {
        return Response::builder()
            .status(404)
            .body(Full::new(Bytes::new()).boxed())
            .unwrap();
    };
    let len = bytes.len() as u64;
    let if_range_ok = req
        .headers()
        .get("if-range")
        .is_none_or(|v| v == ETAG || v == LAST_MODIFIED);
    let mut ranges = match (&range, mode) {
        (_, "ignore") => None,
        (None, "always-206") => Some(vec![(0, len / 2)]),
        (Some(r), _) if if_range_ok => origin_ranges(r, len),
        _ => None,
    };
    if req.method() == Method::HEAD && mode != "always-206" {
        ranges = None;
    }
    let b = Response::builder()
        .header("etag", ETAG)
        .header("last-modified", LAST_MODIFIED)
        .header("accept-ranges", "bytes");
    let body = |data: Bytes| -> OriginBody {
        if mode == "chunked" {
            Chunked(data.chunks(4096).map(Bytes::copy_from_slice).collect()).boxed()
        } else {
            Full::new(data).boxed()
        }
    };
    let Some(ranges) = ranges else {
        return b.header("content-type", ct).body(body(bytes)).unwrap();
    };
    match ranges.as_slice() {
        [] => b
            .status(416)
            .header("content-range", format!("bytes */{len}"))
            .body(body(Bytes::new()))
            .unwrap(),
        [(first, last)] => {
            let (first, last) = (*first, *last);
            let slice = bytes.slice(first as usize..=last as usize);
            let n = slice.len() as u64;
            let content_range = match mode {
                "no-cr" => None,
                "garbage-cr" => Some("bytes oops".to_owned()),
                "star-cr" => Some(format!("bytes {first}-{last}/*")),
                "inconsistent-cr" => Some("bytes 0-99/50".to_owned()),
                "whole-cr" => Some(format!("bytes 0-{}/{n}", n - 1)),
                "offset-cr" => Some(format!("bytes 0-{}/{len}", n - 1)),
                "huge-cr" => Some(format!("bytes {first}-{last}/1000000000000")),
                _ => Some(format!("bytes {first}-{last}/{len}")),
            };
            let ct = if mode == "lying-type" {
                "text/plain"
            } else {
                ct
            };
            let mut b = b.status(206).header("content-type", ct);
            if let Some(cr) = content_range {
                b = b.header("content-range", cr);
            }
            b.body(body(slice)).unwrap()
        }
        several => {
            let mut out = BytesMut::new();
            for (first, last) in several {
                out.extend_from_slice(
                    format!(
                        "--BOUNDARY\r\nContent-Type: {ct}\r\nContent-Range: bytes {first}-{last}/{len}\r\n\r\n"
                    )
                    .as_bytes(),
                );
                out.extend_from_slice(&bytes[*first as usize..=*last as usize]);
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(b"--BOUNDARY--\r\n");
            b.status(206)
                .header("content-type", "multipart/byteranges; boundary=BOUNDARY")
                .body(body(out.freeze()))
                .unwrap()
        }
    }
}

/// One request through the proxy: status, headers, body.
async fn request(
    proxy: SocketAddr,
    method: Method,
    url: &str,
    headers: &[(&str, &str)],
) -> (u16, HeaderMap, Bytes) {
    let tcp = TcpStream::connect(proxy).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
        .await
        .unwrap();
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let mut req = Request::builder().method(method).uri(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = req.body(Full::new(Bytes::new())).unwrap();
    tokio::time::timeout(STEP, async {
        let resp = sender.send_request(req).await.unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        (status, headers, body)
    })
    .await
    .unwrap()
}

async fn get(proxy: SocketAddr, url: &str, headers: &[(&str, &str)]) -> (u16, HeaderMap, Bytes) {
    request(proxy, Method::GET, url, headers).await
}

/// The images: two listed (PDQ of a PNG, SHA-256 of a JPEG), a clean one,
/// and bytes that are no image. Each over 100 000 bytes, so
/// `bytes=0-99999` is a real slice.
struct Fixture {
    site: Site,
    list: String,
}

fn fixture() -> Fixture {
    let listed_png = encode(&picture(1, 480, 360), ImageFormat::Png);
    let listed_jpg = encode(&picture(2, 1024, 768), ImageFormat::Jpeg);
    let clean_png = encode(&picture(3, 480, 360), ImageFormat::Png);
    let mut state = 7u64;
    let blob: Vec<u8> = b"PK\x03\x04"
        .iter()
        .copied()
        .chain((0..200_000).map(|_| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
            (state >> 56) as u8
        }))
        .collect();
    for b in [&listed_png, &listed_jpg, &clean_png] {
        assert!(b.len() > 100_000, "{}", b.len());
    }
    let list = format!(
        "# issuer: Image Hotline\n# jurisdiction: DE\n# category: csam\n# policy: block\n\
         pdq {} CASE-PDQ-SECRET\nsha256 {} CASE-SHA-SECRET\n",
        hex_of(&listed_png, Algorithm::Pdq),
        hex_of(&listed_jpg, Algorithm::Sha256),
    );
    let mut site = Site::new();
    site.insert("listed.png", ("image/png", listed_png.clone()));
    site.insert("listed.jpg", ("image/jpeg", listed_jpg));
    site.insert("clean.png", ("image/png", clean_png));
    site.insert(
        "octet-listed",
        ("application/octet-stream", listed_png.clone()),
    );
    site.insert(
        "octet-blob",
        ("application/octet-stream", Bytes::from(blob)),
    );
    site.insert("video-listed", ("video/mp4", listed_png));
    Fixture { site, list }
}

async fn start(dir: &TempDir, f: &Fixture, images: &str) -> Proxy {
    let list = dir.write("images.list", &f.list);
    let extra = format!(
        "[admin]\ntoken = \"sesame\"\n[images]\n{images}\n[[list]]\npath = {:?}\nallow_unsigned = true\n",
        list.display().to_string()
    );
    Proxy::start(&base_config(dir, &extra)).await
}

/// Sequences of `Range` values whose answers together cover an object of
/// `len` bytes: what a client reassembling it would send.
fn sequences(len: usize) -> Vec<Vec<String>> {
    let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
    vec![
        s(&["bytes=0-99999", "bytes=100000-"]),
        vec!["bytes=-500".into(), format!("bytes=0-{}", len - 501)],
        s(&["bytes=0-"]),
        s(&["bytes=0-0", "bytes=1-"]),
        s(&["bytes=0-99999,100000-"]),
        s(&["bytes=0-150000,100000-"]),
        s(&["bytes=100000-,0-99999"]),
        s(&["BYTES=0-10", "Bytes=11-"]),
        s(&["bytes = 0-10", "bytes =11-"]),
        s(&["bytes=0-10 ", "bytes=\t11-"]),
        s(&["bytes=0-10,", "bytes=,11-"]),
        s(&["bytes=0-1,0-1,0-1", "bytes=2-"]),
        vec![format!("bytes=0-{}", len * 2)],
        vec![format!("bytes=0-{}", "9".repeat(30))],
    ]
}

/// Sends each value of `seq` (with `extra` headers) for `url`; returns the
/// statuses and the bytes a client gets by putting the 2xx bodies at the
/// offsets their Content-Range (or 200) says.
async fn reassemble(
    proxy: SocketAddr,
    url: &str,
    seq: &[String],
    extra: &[(&str, &str)],
) -> (Vec<u16>, Vec<u8>) {
    let mut statuses = Vec::new();
    let mut got: Vec<u8> = Vec::new();
    for range in seq {
        let mut headers = vec![("range", range.as_str())];
        headers.extend_from_slice(extra);
        let (status, h, body) = get(proxy, url, &headers).await;
        statuses.push(status);
        let offset = match status {
            200 => 0,
            206 => h["content-range"]
                .to_str()
                .unwrap()
                .strip_prefix("bytes ")
                .and_then(|r| r.split('-').next())
                .and_then(|n| n.parse::<usize>().ok())
                .unwrap(),
            _ => continue,
        };
        if got.len() < offset + body.len() {
            got.resize(offset + body.len(), 0);
        }
        got[offset..offset + body.len()].copy_from_slice(&body);
    }
    (statuses, got)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listed_image_is_never_revealed_in_ranges() {
    let dir = TempDir::new("ranges-listed");
    let f = fixture();
    let (up, _) = origin(f.site.clone()).await;
    let proxy = start(&dir, &f, "").await;
    let modes = [
        "honest",
        "chunked",
        "ignore",
        "lying-type",
        "no-cr",
        "garbage-cr",
        "star-cr",
        "inconsistent-cr",
        "whole-cr",
        "offset-cr",
    ];
    // Every origin for the PNG; the other two (a SHA-256 entry, a sniffed
    // type) with the honest origin and the lies that matter most.
    let cases = modes.iter().map(|m| (*m, "listed.png")).chain(
        ["honest", "chunked", "no-cr", "whole-cr"]
            .into_iter()
            .flat_map(|m| [(m, "listed.jpg"), (m, "octet-listed")]),
    );
    for (mode, name) in cases {
        let len = f.site[name].1.len();
        let url = format!("http://{up}/{mode}/{name}");
        for seq in sequences(len) {
            let if_range: &[&[(&str, &str)]] = if mode == "honest" {
                &[&[], &[("if-range", ETAG)]]
            } else {
                &[&[]]
            };
            for extra in if_range {
                let extra = *extra;
                let (statuses, got) = reassemble(proxy.addr, &url, &seq, extra).await;
                if mode == "whole-cr" {
                    // An origin that calls a slice the whole object
                    // (when the client asked from offset 0) has it
                    // scanned as one: a slice of an image does not
                    // decode, so the object is fetched whole; only a
                    // slice shorter than any magic bytes, sniffed as
                    // no image, passes, as that object would on a
                    // plain GET.
                    assert!(got.len() < 12, "{mode}/{name} {seq:?}: {statuses:?}");
                    assert!(statuses.contains(&451));
                    continue;
                }
                assert!(
                    statuses.iter().all(|s| *s == 451),
                    "{mode}/{name} {seq:?} {extra:?}: {statuses:?}"
                );
                assert!(got.is_empty());
            }
        }
    }
    // And the plain GET, for comparison.
    for name in ["listed.png", "listed.jpg", "octet-listed"] {
        let (status, _, _) = get(proxy.addr, &format!("http://{up}/honest/{name}"), &[]).await;
        assert_eq!(status, 451, "{name}");
    }
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_image_reassembles_from_ranges_cut_from_the_scanned_whole() {
    let dir = TempDir::new("ranges-clean");
    let f = fixture();
    let (up, _) = origin(f.site.clone()).await;
    let proxy = start(&dir, &f, "").await;
    let clean = &f.site["clean.png"].1;
    for mode in [
        "honest",
        "chunked",
        "ignore",
        "lying-type",
        "no-cr",
        "garbage-cr",
        "star-cr",
        "inconsistent-cr",
        "whole-cr",
        "offset-cr",
    ] {
        let url = format!("http://{up}/{mode}/clean.png");
        for seq in sequences(clean.len()) {
            let (statuses, got) = reassemble(proxy.addr, &url, &seq, &[]).await;
            assert!(
                statuses.iter().all(|s| *s == 200 || *s == 206),
                "{mode} {seq:?}: {statuses:?}"
            );
            assert_eq!(sha256(&got), sha256(clean), "{mode} {seq:?}: {statuses:?}");
        }
    }
    proxy.stop().await;
}

/// `Range`, `If-Range`, status, `Content-Range`, which bytes.
type Case<'a> = (
    &'a str,
    Option<&'a str>,
    u16,
    Option<String>,
    std::ops::Range<usize>,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clean_ranges_are_answered_as_rfc_9110_says() {
    let dir = TempDir::new("ranges-rfc");
    let f = fixture();
    let (up, log) = origin(f.site.clone()).await;
    let proxy = start(&dir, &f, "").await;
    let clean = &f.site["clean.png"].1;
    let n = clean.len();
    let whole = format!("bytes 0-{}/{n}", n - 1);
    let beyond = format!("bytes={n}-");
    let beyond_and_one = format!("bytes=0-1,{n}-");
    let last = n - 1;
    let cases: Vec<Case<'_>> = vec![
        (
            "bytes=0-99",
            None,
            206,
            Some(format!("bytes 0-99/{n}")),
            0..100,
        ),
        (
            "bytes=100000-",
            None,
            206,
            Some(format!("bytes 100000-{last}/{n}")),
            100_000..n,
        ),
        (
            "bytes=-500",
            None,
            206,
            Some(format!("bytes {}-{last}/{n}", n - 500)),
            n - 500..n,
        ),
        ("bytes=0-", None, 206, Some(whole.clone()), 0..n),
        (
            "BYTES=0-10",
            None,
            206,
            Some(format!("bytes 0-10/{n}")),
            0..11,
        ),
        (
            "bytes=0-10, ,",
            None,
            206,
            Some(format!("bytes 0-10/{n}")),
            0..11,
        ),
        (
            &beyond_and_one,
            None,
            206,
            Some(format!("bytes 0-1/{n}")),
            0..2,
        ),
        // Several ranges: the whole 200 (HTTP allows ignoring Range).
        ("bytes=0-1,5-9", None, 200, None, 0..n),
        ("bytes=0-10,5-20", None, 200, None, 0..n),
        // A spelling RFC 9110 does not allow (the origin takes it): 200.
        ("bytes = 0-10", None, 200, None, 0..n),
        // Beyond the end: the origin's 416 passes (it holds nothing).
        (&beyond, None, 416, Some(format!("bytes */{n}")), 0..0),
        // If-Range: the whole object's validators decide.
        (
            "bytes=0-99",
            Some(ETAG),
            206,
            Some(format!("bytes 0-99/{n}")),
            0..100,
        ),
        (
            "bytes=0-99",
            Some(LAST_MODIFIED),
            206,
            Some(format!("bytes 0-99/{n}")),
            0..100,
        ),
        ("bytes=0-99", Some("\"v0\""), 200, None, 0..n),
        ("bytes=0-99", Some("W/\"v1\""), 200, None, 0..n),
    ];
    for mode in ["honest", "chunked", "no-cr", "star-cr"] {
        let url = format!("http://{up}/{mode}/clean.png");
        for (range, if_range, status, content_range, bytes) in &cases {
            let mut headers = vec![("range", *range)];
            if let Some(v) = if_range {
                headers.push(("if-range", v));
            }
            let (got, h, body) = get(proxy.addr, &url, &headers).await;
            let what = format!("{mode} {range} {if_range:?}");
            assert_eq!(got, *status, "{what}");
            assert_eq!(
                h.get("content-range")
                    .map(|v| v.to_str().unwrap().to_owned()),
                *content_range,
                "{what}"
            );
            if (200..300).contains(&got) {
                assert_eq!(sha256(&body), sha256(&clean[bytes.clone()]), "{what}");
                assert_eq!(h["content-length"], body.len().to_string(), "{what}");
                assert_eq!(h["etag"], ETAG, "{what}");
                assert_eq!(h["content-type"], "image/png", "{what}");
                assert_eq!(h["via"], "1.1 hashwall", "{what}");
            }
        }
    }
    // A slice is fetched again whole (no Range): the origin saw both.
    log.lock().unwrap().clear();
    let (status, _, _) = get(
        proxy.addr,
        &format!("http://{up}/honest/clean.png"),
        &[("range", "bytes=5-9")],
    )
    .await;
    assert_eq!(status, 206);
    assert_eq!(
        *log.lock().unwrap(),
        vec![
            ("/honest/clean.png".to_owned(), Some("bytes=5-9".to_owned())),
            ("/honest/clean.png".to_owned(), None),
        ]
    );
    // The whole object in one 206 (`bytes=0-`, as media players ask) is
    // scanned as it is: no second request.
    log.lock().unwrap().clear();
    let (status, _, _) = get(
        proxy.addr,
        &format!("http://{up}/honest/clean.png"),
        &[("range", "bytes=0-")],
    )
    .await;
    assert_eq!(status, 206);
    assert_eq!(log.lock().unwrap().len(), 1);
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partial_answer_nobody_asked_for_is_a_bad_gateway() {
    let dir = TempDir::new("ranges-bad");
    let f = fixture();
    let (up, _) = origin(f.site.clone()).await;
    let proxy = start(&dir, &f, "").await;
    for name in ["listed.png", "clean.png"] {
        let url = format!("http://{up}/always-206/{name}");
        // A 206 to a GET without Range; and a ranged GET whose whole-object
        // fetch gets a 206 again.
        assert_eq!(get(proxy.addr, &url, &[]).await.0, 502, "{name}");
        assert_eq!(
            get(proxy.addr, &url, &[("range", "bytes=100-200")]).await.0,
            502,
            "{name}"
        );
        // A 206 to a POST (no range handling defined).
        let (status, _, _) = request(proxy.addr, Method::POST, &url, &[]).await;
        assert_eq!(status, 502, "{name}");
    }
    // HEAD carries no content: passes as it is, with or without Range.
    for range in [None, Some("bytes=0-99")] {
        let headers: Vec<(&str, &str)> = range.into_iter().map(|r| ("range", r)).collect();
        let (status, _, body) = request(
            proxy.addr,
            Method::HEAD,
            &format!("http://{up}/honest/listed.png"),
            &headers,
        )
        .await;
        assert_eq!(status, 200, "{range:?}");
        assert!(body.is_empty());
    }
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_over_the_cap_get_what_a_plain_get_gets() {
    let f = fixture();
    let (up, log) = origin(f.site.clone()).await;
    let listed = &f.site["listed.png"].1;
    let cap = "max_bytes = 50000\n";
    let ranged = [("range", "bytes=100000-100099")];

    // Failing open: the plain GET passes (too large), so does the slice,
    // without the object being fetched whole.
    let dir = TempDir::new("ranges-cap-open");
    let proxy = start(&dir, &f, cap).await;
    for mode in ["honest", "chunked", "huge-cr"] {
        let url = format!("http://{up}/{mode}/listed.png");
        if mode != "huge-cr" {
            assert_eq!(get(proxy.addr, &url, &[]).await.0, 200, "{mode}");
        }
        log.lock().unwrap().clear();
        let (status, h, body) = get(proxy.addr, &url, &ranged).await;
        assert_eq!(status, 206, "{mode}");
        assert_eq!(&body[..], &listed[100_000..100_100], "{mode}");
        assert!(
            h["content-range"]
                .to_str()
                .unwrap()
                .starts_with("bytes 100000-100099/")
        );
        assert_eq!(log.lock().unwrap().len(), 1, "{mode}: fetched again");
    }
    proxy.stop().await;

    // Failing closed: both refused.
    let dir = TempDir::new("ranges-cap-closed");
    let proxy = start(&dir, &f, &format!("{cap}on_unscannable = \"closed\"\n")).await;
    for mode in ["honest", "chunked", "huge-cr"] {
        let url = format!("http://{up}/{mode}/listed.png");
        if mode != "huge-cr" {
            assert_eq!(get(proxy.addr, &url, &[]).await.0, 403, "{mode}");
        }
        assert_eq!(get(proxy.addr, &url, &ranged).await.0, 403, "{mode}");
    }
    // Sniffed types: refused only when the object starts like an image,
    // which the proxy asks the origin for (its first 12 bytes).
    let url = format!("http://{up}/honest/octet-listed");
    assert_eq!(get(proxy.addr, &url, &[]).await.0, 403);
    log.lock().unwrap().clear();
    assert_eq!(get(proxy.addr, &url, &ranged).await.0, 403);
    assert_eq!(
        log.lock().unwrap().last().cloned(),
        Some((
            "/honest/octet-listed".to_owned(),
            Some("bytes=0-11".to_owned())
        ))
    );
    let url = format!("http://{up}/honest/octet-blob");
    assert_eq!(get(proxy.addr, &url, &[]).await.0, 200);
    let (status, _, body) = get(proxy.addr, &url, &ranged).await;
    assert_eq!(status, 206);
    assert_eq!(&body[..], &f.site["octet-blob"].1[100_000..100_100]);
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeking_in_a_video_costs_nothing_with_generic_sniffing() {
    let dir = TempDir::new("ranges-video");
    let f = fixture();
    let (up, log) = origin(f.site.clone()).await;
    let proxy = start(&dir, &f, "sniff = \"generic\"\n").await;
    // A type a plain GET does not scan passes untouched, ranged or not;
    // nothing is fetched twice. (The bytes are a listed image's: with
    // "generic" a mislabelled image passes a plain GET too; the default
    // "all" sniffs it, see a_listed_image_is_never_revealed_in_ranges.)
    let url = format!("http://{up}/honest/video-listed");
    assert_eq!(get(proxy.addr, &url, &[]).await.0, 200);
    log.lock().unwrap().clear();
    for range in ["bytes=0-", "bytes=100000-", "bytes=-500", "bytes=0-1,5-9"] {
        let (status, _, _) = get(proxy.addr, &url, &[("range", range)]).await;
        assert_eq!(status, 206, "{range}");
    }
    assert_eq!(log.lock().unwrap().len(), 4, "fetched again");
    // A lying type on 206s is what the same lie gets on a plain GET.
    let url = format!("http://{up}/lying-type/clean.png");
    assert_eq!(
        get(proxy.addr, &url, &[("range", "bytes=0-99")]).await.0,
        206
    );
    // Image types are still decided on the whole object.
    let url = format!("http://{up}/honest/listed.png");
    let (statuses, got) = reassemble(
        proxy.addr,
        &url,
        &["bytes=0-99999".to_owned(), "bytes=100000-".to_owned()],
        &[],
    )
    .await;
    assert_eq!(statuses, vec![451, 451]);
    assert!(got.is_empty());
    proxy.stop().await;
}
