//! JSON errors of the API: `{"error": {"kind": "…", "message": "…"}}`,
//! and how the desk's error kinds map onto HTTP statuses.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::error::{Error, ErrorKind};

/// The HTTP status and the API's error kind for a desk error kind.
pub fn status_for(kind: ErrorKind) -> (StatusCode, &'static str) {
    match kind {
        ErrorKind::Invalid => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
        ErrorKind::NotFound => (StatusCode::NOT_FOUND, "not_found"),
        ErrorKind::Forbidden => (StatusCode::FORBIDDEN, "forbidden"),
        ErrorKind::Conflict => (StatusCode::CONFLICT, "conflict"),
        _ => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
    }
}

/// The message a client may see: the desk's own for the kinds caused by
/// the request, a generic one (and a log line) for internal failures.
pub fn public_message(e: &Error) -> String {
    match status_for(e.kind()).0 {
        StatusCode::INTERNAL_SERVER_ERROR => {
            tracing::error!(error = %e, "desk request failed");
            "the desk could not complete this request; it has been logged".to_string()
        }
        _ => e.to_string(),
    }
}

/// An error answer of the JSON API.
#[derive(Debug)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Machine-readable kind (`invalid`, `not_found`, `too_large`, …).
    pub kind: &'static str,
    /// For a person.
    pub message: String,
}

impl ApiError {
    /// An error with this status, kind and message.
    pub fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            kind,
            message: message.into(),
        }
    }

    /// 401: no or malformed credentials.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    /// 400: the body is not what the endpoint reads.
    pub fn malformed(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "malformed", message)
    }

    /// 422: well-formed but not acceptable.
    pub fn invalid(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message)
    }

    /// 404.
    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        let (status, kind) = status_for(e.kind());
        ApiError::new(status, kind, public_message(&e))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"error": {"kind": self.kind, "message": self.message}});
        (self.status, Json(body)).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn desk_kinds_map_to_statuses() {
        let e = ApiError::from(Error::new(ErrorKind::Forbidden, "four eyes"));
        assert_eq!(
            (e.status, e.kind, e.message.as_str()),
            (StatusCode::FORBIDDEN, "forbidden", "four eyes")
        );
        let e = ApiError::from(Error::new(ErrorKind::Storage, "secret path /x"));
        assert_eq!(e.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(
            !e.message.contains("/x"),
            "internal details stay in the log"
        );
        assert_eq!(status_for(ErrorKind::Conflict).0, StatusCode::CONFLICT);
        assert_eq!(
            status_for(ErrorKind::Invalid).0,
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }
}
