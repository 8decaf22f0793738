//! The client's request body on its way upstream, with its errors marked
//! as the client's: a malformed chunked body (a chunk size that overflows,
//! a sign, a bad line end) or a client that went away mid-body fails the
//! upstream exchange, and the proxy must answer that with 400 and close
//! the connection, not with a 502 that blames the upstream server.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::{Body, Frame, Incoming, SizeHint};

use super::{BoxError, ProxyBody};

/// A client's request body on its way upstream, whose errors say they are
/// the client's ([`ClientBodyError`]).
pub struct ClientBody(Incoming);

impl ClientBody {
    /// `body` as the upstream request's body.
    pub fn wrap(body: Incoming) -> ProxyBody {
        ClientBody(body).boxed_unsync()
    }
}

impl Body for ClientBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        Pin::new(&mut self.0)
            .poll_frame(cx)
            .map_err(|e| -> BoxError { Box::new(ClientBodyError(e)) })
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.0.size_hint()
    }
}

/// The client's request body could not be read.
#[derive(Debug)]
pub struct ClientBodyError(hyper::Error);

impl std::fmt::Display for ClientBodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "client request body: {}", self.0)
    }
}

impl std::error::Error for ClientBodyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

/// Whether an upstream exchange failed because the client's own request
/// body could not be read (anywhere in the error's chain): the client's
/// fault, 400, not the upstream server's.
pub fn client_body_failed(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if err.is::<ClientBodyError>() {
            return true;
        }
        cur = err.source();
    }
    false
}
