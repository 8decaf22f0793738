//! What every request passes through: the early size check, the security
//! headers and the request counter.

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::errors::ApiError;
use super::i18n;
use super::layout;
use super::state::Shared;

/// The Content-Security-Policy of every response: nothing loads from
/// anywhere but the desk, forms post only to the desk, no framing.
pub const CSP: &str = "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The 413 answer: JSON under `/api/`, a page elsewhere.
pub fn too_large(path: &str, headers: &axum::http::HeaderMap, max: usize) -> Response {
    if path.starts_with("/api/") {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("the body is larger than {max} bytes"),
        )
        .into_response()
    } else {
        let lang = i18n::choose(None, headers);
        let t = lang.texts();
        layout::error_page(
            StatusCode::PAYLOAD_TOO_LARGE,
            lang.tag(),
            t.error_title,
            &format!("{} (max. {max} bytes)", t.too_large),
            maud::html! {},
        )
    }
}

/// Refuses a declared body over the cap before any handler reads it, then
/// adds the security headers and counts the answer.
pub async fn guard(State(app): State<Shared>, request: Request, next: Next) -> Response {
    let method = request.method().as_str().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let max = app.options.max_body;
    let mut response = if declared.is_some_and(|n| n > max as u64) {
        too_large(request.uri().path(), request.headers(), max)
    } else {
        next.run(request).await
    };
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if app.options.secure_cookies {
        // Secure cookies mean HTTPS in front of the desk: keep browsers on it.
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    app.metrics
        .request(&method, &route, response.status().as_u16());
    response
}
