//! The router: every endpoint, the access guard (token, rate limit) in
//! front of them, and JSON answers for unknown paths and methods.

use std::sync::Arc;

use axum::Router;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::auth::Denied;
use super::errors::ApiError;
use super::state::ApiState;
use super::{hma, native};

/// The OpenAPI 3.1 document served at `/openapi.json`.
pub const OPENAPI: &str = include_str!("../../../assets/openapi.json");

/// Every route, as (method, path): what the router serves and what the
/// OpenAPI document must describe (checked by a test).
pub const ROUTES: &[(&str, &str)] = &[
    ("post", "/v1/check"),
    ("post", "/v1/check/image"),
    ("get", "/v1/lists"),
    ("get", "/m/lookup"),
    ("post", "/m/lookup"),
    ("get", "/m/raw_lookup"),
    ("post", "/m/compare"),
    ("get", "/m/index/status"),
    ("get", "/h/hash"),
    ("post", "/h/hash"),
    ("get", "/openapi.json"),
];

/// The API's router over `state`.
pub fn router(state: Arc<ApiState>) -> Router {
    Router::new()
        .route("/v1/check", post(native::check))
        .route("/v1/check/image", post(native::check_image))
        .route("/v1/lists", get(native::lists))
        .route("/m/lookup", get(hma::lookup_get).post(hma::lookup_post))
        .route("/m/raw_lookup", get(hma::raw_lookup))
        .route("/m/compare", post(hma::compare))
        .route("/m/index/status", get(hma::index_status))
        .route("/h/hash", get(hma::hash_get).post(hma::hash_post))
        .route("/openapi.json", get(openapi))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(Arc::clone(&state), guard))
        .with_state(state)
}

async fn openapi() -> Response {
    let mut r = OPENAPI.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "method not allowed on this endpoint",
    )
}

/// The route a request was routed to, as in [`ROUTES`]; `other` for
/// unknown paths and methods.
fn endpoint(req: &Request) -> (&'static str, &'static str) {
    let method = req.method().as_str().to_ascii_lowercase();
    req.extensions()
        .get::<MatchedPath>()
        .and_then(|p| {
            ROUTES
                .iter()
                .find(|(m, r)| *m == method && *r == p.as_str())
        })
        .copied()
        .unwrap_or(("other", "other"))
}

/// Token and rate limit, before any endpoint (the OpenAPI document is
/// public); counts every request.
async fn guard(State(api): State<Arc<ApiState>>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let endpoint = endpoint(&req);
    let (client, resp) = admit_and_run(&api, req, next).await;
    let status = resp.status().as_u16();
    let name = client.as_deref().unwrap_or("-");
    api.shared
        .metrics
        .api
        .request(endpoint, name, status, started.elapsed());
    tracing::debug!(
        client = name,
        method = endpoint.0,
        path = endpoint.1,
        status,
        "api request"
    );
    resp
}

async fn admit_and_run(api: &ApiState, req: Request, next: Next) -> (Option<String>, Response) {
    if req.uri().path() == "/openapi.json" {
        return (None, next.run(req).await);
    }
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let client = match api.tokens.check(authorization) {
        Ok(c) => c,
        Err(Denied::Missing) => {
            let e = ApiError::unauthorized("a bearer token is required (Authorization: Bearer …)");
            return (None, e.into_response());
        }
        Err(Denied::Invalid) => {
            let e = ApiError::unauthorized("this bearer token is not valid");
            return (None, e.into_response());
        }
    };
    if let Err(wait) = api.rate.take(client.as_deref().unwrap_or("-")) {
        return (client, ApiError::rate_limited(wait).into_response());
    }
    (client, next.run(req).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_in_the_openapi_document_and_back() {
        let doc: serde_json::Value = serde_json::from_str(OPENAPI).unwrap_or_default();
        assert_eq!(doc["openapi"].as_str().map(|v| &v[..3]), Some("3.1"));
        let paths = doc["paths"].as_object().cloned().unwrap_or_default();
        for (method, path) in ROUTES {
            assert!(
                paths.get(*path).and_then(|p| p.get(*method)).is_some(),
                "{method} {path} is not in assets/openapi.json"
            );
        }
        for (path, ops) in &paths {
            for method in ops
                .as_object()
                .map(|o| o.keys().cloned().collect())
                .unwrap_or_else(Vec::new)
            {
                assert!(
                    ROUTES.contains(&(method.as_str(), path.as_str())),
                    "{method} {path} is documented but not routed"
                );
            }
        }
    }
}
