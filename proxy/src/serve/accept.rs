//! The accept step every listener shares (proxy, matching API, ICAP,
//! admin): wait for a free connection slot, then for a connection, until
//! the stop flag is set.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

use super::stopped;

/// How long to wait after a failed `accept` (EMFILE and friends) before
/// trying again: a back-off instead of a spin.
const ACCEPT_RETRY: Duration = Duration::from_millis(50);

/// One accepted connection and the slot it holds; the slot is freed when
/// this (or the permit moved out of it) is dropped.
pub(crate) struct Accepted {
    /// The client's stream.
    pub stream: TcpStream,
    /// The client's address.
    pub peer: SocketAddr,
    /// The connection slot, when the listener has a limit.
    pub permit: Option<OwnedSemaphorePermit>,
}

/// A listener with an optional bound on open connections. Over the bound,
/// clients wait in the kernel's backlog instead of being dropped.
pub(crate) struct Acceptor {
    listener: TcpListener,
    slots: Option<Arc<Semaphore>>,
    name: &'static str,
}

impl Acceptor {
    /// `listener` with at most `max_connections` open at once (`None`: no
    /// bound); `name` says which listener in log lines.
    pub(crate) fn new(
        listener: TcpListener,
        max_connections: Option<usize>,
        name: &'static str,
    ) -> Self {
        Acceptor {
            listener,
            slots: max_connections.map(|n| Arc::new(Semaphore::new(n))),
            name,
        }
    }

    /// The next connection, or `None` once `stop` is set.
    pub(crate) async fn next(&self, stop: &mut watch::Receiver<bool>) -> Option<Accepted> {
        let permit = match &self.slots {
            Some(slots) => tokio::select! {
                p = Arc::clone(slots).acquire_owned() => Some(p.ok()?),
                () = stopped(stop) => return None,
            },
            None => None,
        };
        loop {
            tokio::select! {
                r = self.listener.accept() => match r {
                    Ok((stream, peer)) => return Some(Accepted { stream, peer, permit }),
                    Err(e) => {
                        tracing::warn!(error = %e, listener = self.name, "accept failed");
                        tokio::time::sleep(ACCEPT_RETRY).await;
                    }
                },
                () = stopped(stop) => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_listener_waits_for_a_free_slot_and_stops_on_request() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let acceptor = Acceptor::new(listener, Some(1), "test");
        let (tx, mut stop) = watch::channel(false);
        let _c1 = TcpStream::connect(addr).await.expect("connect");
        let _c2 = TcpStream::connect(addr).await.expect("connect");
        let first = acceptor.next(&mut stop).await.expect("first connection");
        // The only slot is held: the second connection is not taken.
        let waited =
            tokio::time::timeout(Duration::from_millis(200), acceptor.next(&mut stop)).await;
        assert!(waited.is_err(), "accepted beyond the limit");
        drop(first);
        let second = tokio::time::timeout(Duration::from_secs(5), acceptor.next(&mut stop))
            .await
            .expect("slot freed")
            .expect("second connection");
        assert!(second.permit.is_some());
        tx.send(true).expect("send stop");
        assert!(acceptor.next(&mut stop).await.is_none());
    }
}
