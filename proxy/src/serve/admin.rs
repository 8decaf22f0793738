//! The admin listener: `/healthz`, `/readyz`, `/metrics`, `/stats`,
//! `POST /reload`. Everything but `/healthz` from loopback needs the bearer
//! token when one is configured.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::accept::Acceptor;
use super::acl::ct_eq;
use super::config::secs;
use super::stop_page::full;
use super::{ProxyBody, Shared};

/// Serves the admin API until `stop`.
pub async fn serve(shared: Arc<Shared>, listener: TcpListener, mut stop: watch::Receiver<bool>) {
    let acceptor = Acceptor::new(listener, None, "admin");
    while let Some(conn) = acceptor.next(&mut stop).await {
        let (stream, peer) = (conn.stream, conn.peer);
        let shared = Arc::clone(&shared);
        tokio::spawn(async move {
            let svc_shared = Arc::clone(&shared);
            let service = service_fn(move |req| {
                let shared = Arc::clone(&svc_shared);
                async move { Ok::<_, Infallible>(route(&shared, peer, req).await) }
            });
            let mut builder = http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(secs(shared.config.timeouts.request_header_secs));
            let conn = builder.serve_connection(TokioIo::new(stream), service);
            // An admin client gets the same idle bound as a subscriber.
            let idle = secs(shared.config.timeouts.idle_secs);
            let _ = tokio::time::timeout(idle.max(secs(30.0)), conn).await;
        });
    }
}

fn json_response(status: StatusCode, v: &Value) -> Response<ProxyBody> {
    let mut body = v.to_string();
    body.push('\n');
    let mut r = Response::new(full(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn text_response(status: StatusCode, ctype: &'static str, body: String) -> Response<ProxyBody> {
    let mut r = Response::new(full(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn authorised(shared: &Shared, req: &Request<Incoming>) -> bool {
    let Some(token) = &shared.admin_token else {
        return true;
    };
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|given| ct_eq(given.trim().as_bytes(), token.as_bytes()))
}

async fn route(
    shared: &Arc<Shared>,
    peer: SocketAddr,
    req: Request<Incoming>,
) -> Response<ProxyBody> {
    let path = req.uri().path();
    let open = path == "/healthz" && peer.ip().is_loopback();
    if !open && !authorised(shared, &req) {
        let mut r = json_response(
            StatusCode::UNAUTHORIZED,
            &json!({"error": "a valid bearer token is required"}),
        );
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"hashwall-admin\""),
        );
        return r;
    }
    match (req.method(), path) {
        (&Method::GET | &Method::HEAD, "/healthz") => {
            text_response(StatusCode::OK, "text/plain; charset=utf-8", "ok\n".into())
        }
        (&Method::GET | &Method::HEAD, "/readyz") => {
            let report = shared.lists.last_report();
            let snapshot = shared.lists.engine().snapshot();
            let ready = !snapshot.lists().is_empty();
            json_response(
                if ready {
                    StatusCode::OK
                } else {
                    StatusCode::SERVICE_UNAVAILABLE
                },
                &json!({
                    "ready": ready,
                    "lists": snapshot.lists().iter().map(|l| json!({
                        "id": l.id(), "sequence": l.sequence(), "entries": l.entries(),
                        "policy": l.policy().as_str(),
                    })).collect::<Vec<_>>(),
                    "last_load": report.map(|r| r.to_json()),
                    "subscriptions": shared.lists.subscriptions().iter().map(|s| s.status_json()).collect::<Vec<_>>(),
                }),
            )
        }
        (&Method::GET, "/metrics") => {
            let snapshot = shared.lists.engine().snapshot();
            text_response(
                StatusCode::OK,
                "text/plain; version=0.0.4; charset=utf-8",
                shared.metrics.render(Some(&snapshot)),
            )
        }
        (&Method::GET, "/stats") => json_response(StatusCode::OK, &shared.stats.to_json()),
        (&Method::POST, "/reload") => {
            let report = shared.lists.reload("admin").await;
            let status = if report.ok {
                StatusCode::OK
            } else {
                // The previous snapshot is still served; say the reload failed.
                StatusCode::INTERNAL_SERVER_ERROR
            };
            json_response(status, &report.to_json())
        }
        (_, "/healthz" | "/readyz" | "/metrics" | "/stats" | "/reload") => json_response(
            StatusCode::METHOD_NOT_ALLOWED,
            &json!({"error": "method not allowed"}),
        ),
        _ => json_response(StatusCode::NOT_FOUND, &json!({"error": "not found"})),
    }
}
