//! API errors: always a JSON body `{"error": {"kind", "message"}}` with a
//! 4xx/5xx status, never a dropped connection.

use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hashwall::{ErrorKind, ImageErrorKind};
use serde_json::{Value, json};

use crate::serve::scan_pool::PoolError;

/// One API error: a status, a stable `kind` token and a message.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    kind: &'static str,
    message: String,
    retry_after: Option<Duration>,
}

impl ApiError {
    /// An error with this status, kind and message.
    pub fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            kind,
            message: message.into(),
            retry_after: None,
        }
    }

    /// 400.
    pub fn bad_request(kind: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, kind, message)
    }

    /// 401: no or no valid bearer token.
    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    /// 413.
    pub fn too_large(kind: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, kind, message)
    }

    /// 415.
    pub fn unsupported_media(message: impl Into<String>) -> ApiError {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            message,
        )
    }

    /// 422.
    pub fn unprocessable(kind: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, kind, message)
    }

    /// 429, with the time until the next request is accepted.
    pub fn rate_limited(wait: Duration) -> ApiError {
        let mut e = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many requests for this token: slow down",
        );
        e.retry_after = Some(wait);
        e
    }

    /// 503.
    pub fn unavailable(kind: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, kind, message)
    }

    /// An image that could not be decoded or hashed: 413 when over the
    /// decoding limits (a decompression bomb), 422 otherwise.
    pub fn image(e: &hashwall::Error) -> ApiError {
        match e.kind() {
            ErrorKind::Image(ImageErrorKind::TooLarge) => {
                ApiError::too_large("image_too_large", e.to_string())
            }
            ErrorKind::Image(ImageErrorKind::Empty) => {
                ApiError::bad_request("empty_image", "the image is empty")
            }
            ErrorKind::Image(k) => {
                ApiError::unprocessable("undecodable_image", format!("{} ({})", e, k.as_str()))
            }
            _ => ApiError::unprocessable("undecodable_image", e.to_string()),
        }
    }

    /// The hashing pool did not produce a result.
    pub fn pool(e: PoolError) -> ApiError {
        match e {
            PoolError::Saturated => ApiError::unavailable(
                "busy",
                "every image worker is busy and the queue is full: retry later",
            ),
            PoolError::Timeout => {
                ApiError::unavailable("timeout", "the image was not hashed in time: retry later")
            }
            PoolError::Failed => {
                ApiError::unprocessable("undecodable_image", "hashing the image failed")
            }
        }
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// `{"kind", "message"}`, also used for one failed item of a batch.
    pub fn to_json(&self) -> Value {
        json!({"kind": self.kind, "message": self.message})
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": self.to_json()});
        let mut r = (self.status, axum::Json(body)).into_response();
        let h = r.headers_mut();
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if self.status == StatusCode::UNAUTHORIZED {
            h.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"hashwall-api\""),
            );
        }
        if let Some(wait) = self.retry_after {
            let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
            h.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        r
    }
}
