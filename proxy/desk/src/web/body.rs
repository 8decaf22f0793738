//! Reading request bodies within the size cap and the read timeout, and
//! the client's address for rate limiting.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::{Extensions, HeaderMap, header};

/// Why a body could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyError {
    /// Larger than the cap.
    TooLarge,
    /// Not complete within the read timeout.
    Timeout,
    /// The connection failed while reading.
    Broken,
}

/// Reads the whole body, at most `cap` bytes, within `timeout`.
pub async fn read(body: Body, cap: usize, timeout: Duration) -> Result<Bytes, BodyError> {
    match tokio::time::timeout(timeout, axum::body::to_bytes(body, cap)).await {
        Err(_) => Err(BodyError::Timeout),
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(e)) => {
            // `to_bytes` reports the limit as a `LengthLimitError` source.
            let mut source: Option<&dyn std::error::Error> = Some(&e);
            while let Some(s) = source {
                if s.to_string().contains("length limit") {
                    return Err(BodyError::TooLarge);
                }
                source = s.source();
            }
            Err(BodyError::Broken)
        }
    }
}

/// Whether the request's media type (parameters ignored) is `mime`.
pub fn content_type_is(headers: &HeaderMap, mime: &str) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case(mime))
}

/// The peer address the server recorded for this connection, if any.
pub fn client_ip(extensions: &Extensions) -> Option<IpAddr> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_cap_is_reported_as_too_large() {
        let body = Body::from(vec![b'x'; 100]);
        assert_eq!(
            read(body, 99, Duration::from_secs(1)).await,
            Err(BodyError::TooLarge)
        );
        let body = Body::from(vec![b'x'; 100]);
        assert_eq!(
            read(body, 100, Duration::from_secs(1))
                .await
                .map(|b| b.len()),
            Ok(100)
        );
    }

    #[test]
    fn media_type_ignores_parameters_and_case() {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("Application/JSON; charset=utf-8"),
        );
        assert!(content_type_is(&h, "application/json"));
        assert!(!content_type_is(&h, "text/plain"));
        assert!(!content_type_is(&HeaderMap::new(), "application/json"));
    }
}
