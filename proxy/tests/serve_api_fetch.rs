//! `GET /h/hash?url=` and `GET /m/lookup?url=`: media fetched only from the
//! hosts in `api.fetch_hosts`, against a real origin on loopback that
//! counts what reaches it. Off by default; a host not on the list, a
//! redirect, an oversized body or a dead origin gives a JSON error, and a
//! refused URL is never requested.
#![allow(clippy::unwrap_used)]

mod api_support;
mod image_support;
mod serve_support;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use api_support::*;
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::json;
use serve_support::*;
use tokio::net::TcpListener;

/// An origin serving `/listed.png`, `/big.bin` (4 MiB), `/redirect` (302 to
/// `/listed.png`) and 404 otherwise; counts the requests per path.
struct Origin {
    addr: SocketAddr,
    hits: Arc<[AtomicUsize; 4]>,
}

const PATHS: [&str; 4] = ["/listed.png", "/big.bin", "/redirect", "other"];

impl Origin {
    async fn start(png: Bytes) -> Origin {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let hits: Arc<[AtomicUsize; 4]> = Arc::new(Default::default());
        let counted = Arc::clone(&hits);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (png, hits) = (png.clone(), Arc::clone(&counted));
                tokio::spawn(async move {
                    let svc = service_fn(move |req: Request<Incoming>| {
                        let (png, hits) = (png.clone(), Arc::clone(&hits));
                        async move {
                            let path = req.uri().path().to_owned();
                            let i = PATHS.iter().position(|p| *p == path).unwrap_or(3);
                            hits[i].fetch_add(1, Ordering::SeqCst);
                            let resp = match i {
                                0 => Response::new(Full::new(png)),
                                1 => Response::new(Full::new(Bytes::from(vec![7u8; 4 << 20]))),
                                2 => Response::builder()
                                    .status(302)
                                    .header("location", "/listed.png")
                                    .body(Full::new(Bytes::new()))
                                    .unwrap(),
                                _ => Response::builder()
                                    .status(404)
                                    .body(Full::new(Bytes::new()))
                                    .unwrap(),
                            };
                            Ok::<_, Infallible>(resp)
                        }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
        Origin { addr, hits }
    }

    fn hits(&self, path: &str) -> usize {
        let i = PATHS.iter().position(|p| *p == path).unwrap();
        self.hits[i].load(Ordering::SeqCst)
    }

    fn url(&self, host: &str, path: &str) -> String {
        format!("http://{host}:{}{path}", self.addr.port())
    }
}

fn query(url: &str) -> String {
    url.replace(':', "%3A").replace('/', "%2F")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetching_is_off_without_fetch_hosts_and_nothing_is_requested() {
    let dir = TempDir::new("api-fetch-off");
    let img = images();
    let origin = Origin::start(img.listed_png.clone()).await;
    let (proxy, api) = start(&dir, &img, "").await;
    let url = query(&origin.url("127.0.0.1", "/listed.png"));
    for path in [format!("/h/hash?url={url}"), format!("/m/lookup?url={url}")] {
        let a = get(api, &path).await;
        assert_eq!(a.status, 400, "{path}: {}", a.json);
        assert_eq!(a.json["error"]["kind"], "url_fetch_disabled");
    }
    assert_eq!(origin.hits("/listed.png"), 0);
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allowed_hosts_are_fetched_hashed_and_matched() {
    let dir = TempDir::new("api-fetch");
    let img = images();
    let origin = Origin::start(img.listed_png.clone()).await;
    let (proxy, api) = start(
        &dir,
        &img,
        "fetch_hosts = [\"127.0.0.1\", \".media.test\"]\nmax_body_bytes = 2097152\nfetch_timeout_secs = 5",
    )
    .await;
    let listed = query(&origin.url("127.0.0.1", "/listed.png"));

    let a = get(api, &format!("/h/hash?url={listed}")).await;
    assert_eq!(a.status, 200, "{}", a.json);
    assert_eq!(a.json, json!({"pdq": img.listed_pdq}));

    let a = get(api, &format!("/m/lookup?url={listed}&content_type=photo")).await;
    assert_eq!(a.status, 200, "{}", a.json);
    assert_eq!(
        a.json["pdq"]["hotline"][0]["bank_content_id"], "CASE-PDQ-1",
        "{}",
        a.json
    );
    assert_eq!(origin.hits("/listed.png"), 2);

    // Not on the list: refused before any connection.
    for host in ["localhost", "127.0.0.2", "media.test.evil"] {
        let url = query(&origin.url(host, "/listed.png"));
        let a = get(api, &format!("/h/hash?url={url}")).await;
        assert_eq!(a.status, 400, "{host}: {}", a.json);
        assert_eq!(a.json["error"]["kind"], "url_not_allowed", "{host}");
    }
    for (url, kind) in [
        ("ftp://127.0.0.1/x.png".to_owned(), "invalid_url"),
        (origin.url("u:p@127.0.0.1", "/listed.png"), "invalid_url"),
    ] {
        let a = get(api, &format!("/h/hash?url={}", query(&url))).await;
        assert_eq!(a.status, 400, "{url}: {}", a.json);
        assert_eq!(a.json["error"]["kind"], kind, "{url}");
    }
    assert_eq!(origin.hits("/listed.png"), 2);

    // A redirect is not followed (it could leave the list).
    let a = get(
        api,
        &format!(
            "/h/hash?url={}",
            query(&origin.url("127.0.0.1", "/redirect"))
        ),
    )
    .await;
    assert_eq!(a.status, 422, "{}", a.json);
    assert_eq!(a.json["error"]["kind"], "fetch_failed");
    assert_eq!(
        (origin.hits("/redirect"), origin.hits("/listed.png")),
        (1, 2)
    );

    // Over max_body_bytes: 413.
    let a = get(
        api,
        &format!(
            "/h/hash?url={}",
            query(&origin.url("127.0.0.1", "/big.bin"))
        ),
    )
    .await;
    assert_eq!(a.status, 413, "{}", a.json);
    assert_eq!(a.json["error"]["kind"], "media_too_large");

    // A 404 and a dead origin: 422, promptly.
    let a = get(
        api,
        &format!(
            "/h/hash?url={}",
            query(&origin.url("127.0.0.1", "/gone.png"))
        ),
    )
    .await;
    assert_eq!(a.status, 422, "{}", a.json);
    let dead = dead_addr().await;
    let url = query(&format!("http://127.0.0.1:{}/x.png", dead.port()));
    let a = get(api, &format!("/h/hash?url={url}")).await;
    assert_eq!(a.status, 422, "{}", a.json);
    assert_eq!(a.json["error"]["kind"], "fetch_failed");

    // Only photos are hashed.
    let a = get(api, &format!("/h/hash?url={listed}&content_type=video")).await;
    assert_eq!(a.status, 400, "{}", a.json);
    assert_eq!(a.json["error"]["kind"], "unsupported_content_type");
    proxy.stop().await;
}

#[tokio::test]
async fn a_fetch_host_that_is_not_a_host_is_refused_at_start() {
    let dir = TempDir::new("api-fetch-config");
    let img = images();
    for bad in ["Media.Example", "http://x.example", "a..b", "[::zz]", ""] {
        let text = config(&dir, &img, &format!("fetch_hosts = [{bad:?}]"));
        // Parsing validates.
        let e = hashwall_proxy::serve::config::Config::from_toml(&text, Some(&dir.0)).unwrap_err();
        assert!(e.to_string().contains("api.fetch_hosts"), "{bad}: {e}");
    }
}
