//! Request bodies: read within `api.max_body_bytes`, and the uploaded
//! image taken from a raw body or a `multipart/form-data` field `photo`
//! (HMA's content type name).

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Multipart};
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::{BodyExt, Limited};

use super::errors::ApiError;
use super::state::ApiState;
use crate::serve::config::secs;

/// The multipart field that carries an image (HMA's content type).
pub const PHOTO_FIELD: &str = "photo";

/// Reads the whole body, refusing one over `api.max_body_bytes`: at once
/// when its `Content-Length` says so, else as soon as the limit is passed.
/// A body that takes longer than `timeouts.exchange_secs` is a 408.
pub async fn read_body(api: &ApiState, headers: &HeaderMap, body: Body) -> Result<Bytes, ApiError> {
    let limit = api.config().max_body_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let too_large = || {
        ApiError::too_large(
            "body_too_large",
            format!("the request body is larger than {limit} bytes (api.max_body_bytes)"),
        )
    };
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let within = secs(api.shared.config.timeouts.exchange_secs);
    let Ok(read) = tokio::time::timeout(within, Limited::new(body, limit).collect()).await else {
        return Err(ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "body_timeout",
            "the request body was not received in time",
        ));
    };
    match read {
        Ok(c) => Ok(c.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(too_large()),
        Err(e) => Err(ApiError::bad_request(
            "body_unreadable",
            format!("reading the request body failed: {e}"),
        )),
    }
}

/// The essence of the `Content-Type` (lowercase, no parameters).
fn essence(headers: &HeaderMap) -> Option<String> {
    let ct = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    Some(
        ct.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase(),
    )
}

/// Whether the request is `multipart/form-data`.
pub fn is_multipart(headers: &HeaderMap) -> bool {
    essence(headers).as_deref() == Some("multipart/form-data")
}

/// The image of an upload: the `photo` field of a multipart body, or the
/// whole body when it is typed `image/*` or `application/octet-stream` (or
/// not typed).
pub async fn image_upload(headers: &HeaderMap, body: Bytes) -> Result<Bytes, ApiError> {
    match essence(headers).as_deref() {
        Some("multipart/form-data") => photo_field(headers, body).await,
        None | Some("application/octet-stream") => Ok(body),
        Some(t) if t.starts_with("image/") => Ok(body),
        Some(t) => Err(ApiError::unsupported_media(format!(
            "content type {t:?}: send the image bytes (image/* or application/octet-stream) \
             or multipart/form-data with a `{PHOTO_FIELD}` file"
        ))),
    }
}

/// The one file of a multipart body, in field `photo`.
///
/// # Errors
///
/// 400 when the body is not valid multipart, holds no `photo` file, more
/// than one file, or a file in another field (HMA: the field name is the
/// content type, and only `photo` is served).
pub async fn photo_field(headers: &HeaderMap, body: Bytes) -> Result<Bytes, ApiError> {
    let mut req = Request::new(Body::from(body));
    *req.headers_mut() = headers.clone();
    let mut form = Multipart::from_request(req, &())
        .await
        .map_err(|e| ApiError::bad_request("bad_multipart", e.body_text()))?;
    let mut photo = None;
    loop {
        let field = form
            .next_field()
            .await
            .map_err(|e| ApiError::bad_request("bad_multipart", e.body_text()))?;
        let Some(field) = field else { break };
        let name = field.name().unwrap_or("").to_owned();
        if field.file_name().is_none() && name != PHOTO_FIELD {
            // A plain form value: not a file, ignored.
            continue;
        }
        if name != PHOTO_FIELD {
            return Err(ApiError::bad_request(
                "unsupported_content_type",
                format!("no such content_type: {name:?} (only `{PHOTO_FIELD}` is served)"),
            ));
        }
        if photo.is_some() {
            return Err(ApiError::bad_request(
                "too_many_files",
                "only one file allowed per request",
            ));
        }
        let bytes = field
            .bytes()
            .await
            .map_err(|e| ApiError::bad_request("bad_multipart", e.body_text()))?;
        photo = Some(bytes);
    }
    photo.ok_or_else(|| {
        ApiError::bad_request(
            "missing_file",
            format!("missing multipart/form-data file upload in field `{PHOTO_FIELD}`"),
        )
    })
}
