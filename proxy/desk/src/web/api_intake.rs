//! `POST /api/v1/reports`: the JSON intake for partners and apps.
//!
//! Anyone may send `"source": "public"` (rate-limited per client like the
//! form); `partner` and `proactive` reports need a staff API token and are
//! not rate-limited.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::body::{self, BodyError};
use super::errors::ApiError;
use super::guard;
use super::middleware::too_large;
use super::state::Shared;
use crate::model::{Category, NewReport, Source};

/// The JSON body of a report.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportIn {
    urls: Vec<String>,
    category: Category,
    #[serde(default)]
    description: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(default = "public")]
    source: Source,
}

fn public() -> Source {
    Source::Public
}

/// Parses a JSON body: 400 for broken JSON, 422 for the wrong shape or values.
pub fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => ApiError::invalid(e.to_string()),
        _ => ApiError::malformed(format!("the body is not valid JSON: {e}")),
    })
}

/// Reads a JSON request body within the limits: 415 without a JSON
/// content type, 413 over the cap, 408 when it is not sent in time.
pub async fn json_body(
    app: &Shared,
    request: Request,
) -> Result<(axum::http::request::Parts, axum::body::Bytes), Response> {
    let (parts, body) = request.into_parts();
    if !body::content_type_is(&parts.headers, "application/json") {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send Content-Type: application/json",
        )
        .into_response());
    }
    match body::read(body, app.options.max_body, app.options.read_timeout).await {
        Ok(bytes) => Ok((parts, bytes)),
        Err(BodyError::TooLarge) => Err(too_large(
            parts.uri.path(),
            &parts.headers,
            app.options.max_body,
        )),
        Err(BodyError::Timeout) => Err(ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "timeout",
            "the body did not arrive in time",
        )
        .into_response()),
        Err(BodyError::Broken) => {
            Err(ApiError::malformed("the body could not be read").into_response())
        }
    }
}

/// `POST /api/v1/reports` → 201 `{"reference","status","duplicates","already_listed"}`.
pub async fn submit(State(app): State<Shared>, request: Request) -> Response {
    match submit_inner(&app, request).await {
        Ok(r) | Err(r) => r,
    }
}

async fn submit_inner(app: &Shared, request: Request) -> Result<Response, Response> {
    let has_token = guard::bearer_token(request.headers()).is_some();
    let user = if has_token {
        Some(
            guard::bearer(app, request.headers())
                .await
                .map_err(IntoResponse::into_response)?,
        )
    } else {
        None
    };
    if user.is_none()
        && let Some(ip) = body::client_ip(request.extensions())
        && !app.limiter.allow(ip)
    {
        let mut r = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many reports from this client; wait a minute",
        )
        .into_response();
        r.headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("60"));
        return Err(r);
    }
    let (_, bytes) = json_body(app, request).await?;
    let input: ReportIn = parse_json(&bytes).map_err(IntoResponse::into_response)?;
    if input.source != Source::Public && user.is_none() {
        return Err(ApiError::unauthorized(format!(
            "a {} report needs an API token (Authorization: Bearer …)",
            input.source
        ))
        .into_response());
    }
    let (category, source) = (input.category, input.source);
    let email = input.email.filter(|e| !e.trim().is_empty());
    let outcome = app
        .desk
        .submit(NewReport {
            urls: input.urls,
            category,
            description: input.description,
            email,
            source,
        })
        .await
        .map_err(|e| ApiError::from(e).into_response())?;
    app.metrics
        .report_received(category.as_str(), source.as_str());
    Ok((StatusCode::CREATED, Json(outcome)).into_response())
}
