//! The upstream phase: the pooled HTTP client, CONNECT tunnels, and the IO
//! wrappers that enforce the idle and whole-exchange timeouts.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

use super::config::{Config, secs};
use super::resolve::NoResolve;
use super::{BoxError, ProxyBody};

/// The pooled upstream client (keep-alive to origin servers). Its URIs
/// carry the checked address as host (the `Host` field keeps the name);
/// its connector refuses to resolve names ([`NoResolve`]). Request bodies
/// are boxed: the client's own body ([`super::client_body::ClientBody`])
/// or, for a ranged image fetched whole ([`super::ranges`]), an empty one.
pub type UpstreamClient = Client<HttpConnector<NoResolve>, ProxyBody>;

/// Builds the pooled client from the configuration.
pub fn client(config: &Config) -> UpstreamClient {
    let mut connector = HttpConnector::new_with_resolver(NoResolve);
    connector.set_connect_timeout(Some(secs(config.timeouts.connect_secs)));
    connector.set_nodelay(true);
    // Only http:// goes through the client; https is tunnelled with CONNECT.
    connector.enforce_http(true);
    Client::builder(TokioExecutor::new())
        .pool_timer(TokioTimer::new())
        .timer(TokioTimer::new())
        .pool_idle_timeout(secs(config.timeouts.upstream_pool_idle_secs))
        .pool_max_idle_per_host(config.limits.upstream_pool_max_idle_per_host)
        // Send header names as the client did: some servers care.
        .http1_title_case_headers(false)
        .build(connector)
}

/// The clock of one connection: the last time bytes moved, and since when a
/// request head has been awaited. Shared between the IO wrappers, which
/// update it, and the connection's one watchdog timer, which reads it.
///
/// Why not hyper's `header_read_timeout`: hyper arms a fresh timer for every
/// request head, and from the moment it starts waiting, so (a) an idle
/// keep-alive connection is cut after the head timeout instead of
/// `idle_secs`, and (b) each request registers a timer, which on a quiet
/// runtime wakes the IO driver (one more `write` and `epoll_wait` per
/// request). Here the watchdog timer is re-armed only when it fires.
#[derive(Debug)]
pub struct Activity {
    base: Instant,
    last_ms: AtomicU64,
    /// When the head being awaited began ([`NO_HEAD`]: none awaited).
    head_since_ms: AtomicU64,
}

/// `head_since_ms` when no request head is being awaited.
const NO_HEAD: u64 = u64::MAX;

/// Why a connection's watchdog ended it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// No byte moved either way for the idle timeout.
    Idle,
    /// A request head took longer than the head timeout to arrive.
    HeadTimeout,
}

impl Activity {
    /// Activity starting now, no request head awaited (a tunnel).
    pub fn new() -> Arc<Activity> {
        Arc::new(Activity {
            base: Instant::now(),
            last_ms: AtomicU64::new(0),
            head_since_ms: AtomicU64::new(NO_HEAD),
        })
    }

    /// Activity starting now, with the first request head awaited from now
    /// (a new client connection: one that sends nothing is cut too).
    pub fn awaiting_head() -> Arc<Activity> {
        let a = Activity::new();
        a.head_since_ms.store(0, Relaxed);
        a
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.base.elapsed().as_millis()).unwrap_or(u64::MAX - 1)
    }

    fn touch(&self) {
        self.last_ms.store(self.now_ms(), Relaxed);
    }

    /// The first byte of a request head arrived. A head already awaited
    /// keeps its start: trickling bytes must not extend the deadline.
    pub fn head_started(&self) {
        let _ = self
            .head_since_ms
            .compare_exchange(NO_HEAD, self.now_ms(), Relaxed, Relaxed);
    }

    /// The request head is complete (or no longer followed).
    pub fn head_done(&self) {
        self.head_since_ms.store(NO_HEAD, Relaxed);
    }

    /// Whether a request head is being awaited.
    pub fn head_pending(&self) -> bool {
        self.head_since_ms.load(Relaxed) != NO_HEAD
    }

    /// Resolves once no byte has moved for `idle`.
    pub async fn idle_for(&self, idle: Duration) {
        self.expired(idle, None).await;
    }

    /// Resolves once no byte has moved for `idle`, or a request head has
    /// been awaited for longer than `head`.
    ///
    /// One timer, re-armed only when it fires: at the nearest deadline, and
    /// with a head timeout at most `head` ahead, so a head that starts while
    /// it sleeps is still caught exactly at its own deadline (the timer
    /// fires between its start and its deadline and is re-armed to it).
    pub async fn expired(&self, idle: Duration, head: Option<Duration>) -> Expiry {
        loop {
            let now = Instant::now();
            let idle_at = self.base + Duration::from_millis(self.last_ms.load(Relaxed)) + idle;
            if now >= idle_at {
                return Expiry::Idle;
            }
            let mut next = idle_at;
            if let Some(head) = head {
                let since = self.head_since_ms.load(Relaxed);
                if since != NO_HEAD {
                    let head_at = self.base + Duration::from_millis(since) + head;
                    if now >= head_at {
                        return Expiry::HeadTimeout;
                    }
                    next = next.min(head_at);
                }
                next = next.min(now + head);
            }
            tokio::time::sleep_until(next).await;
        }
    }
}

/// An IO stream that records activity on every read and write.
#[derive(Debug)]
pub struct TrackedIo<T> {
    inner: T,
    activity: Arc<Activity>,
}

impl<T> TrackedIo<T> {
    /// Wraps `inner`.
    pub fn new(inner: T, activity: Arc<Activity>) -> TrackedIo<T> {
        TrackedIo { inner, activity }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for TrackedIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.touch();
        }
        r
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for TrackedIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        r
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A streamed body that fails once the exchange's deadline passes, so a
/// slow upstream cannot hold a connection past `timeouts.exchange_secs`.
pub struct DeadlineBody<B> {
    inner: B,
    deadline: Pin<Box<Sleep>>,
}

impl<B> DeadlineBody<B> {
    /// `inner`, cut at `deadline`.
    pub fn new(inner: B, deadline: Instant) -> DeadlineBody<B> {
        DeadlineBody {
            inner,
            deadline: Box::pin(tokio::time::sleep_until(deadline)),
        }
    }
}

impl<B> Body for DeadlineBody<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        if self.deadline.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Some(Err("exchange timeout".into())));
        }
        match Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e.into()))),
            Poll::Ready(Some(Ok(f))) => Poll::Ready(Some(Ok(f))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The upstream response body as the proxy's body type.
pub fn stream_body(body: Incoming, deadline: Instant) -> ProxyBody {
    DeadlineBody::new(body, deadline).boxed_unsync()
}

/// Whether an error chain was a timeout (504 rather than 502).
pub fn is_timeout(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<io::Error>()
            && io.kind() == io::ErrorKind::TimedOut
        {
            return true;
        }
        if err.to_string().contains("timed out") {
            return true;
        }
        cur = err.source();
    }
    false
}
