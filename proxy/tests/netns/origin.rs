//! A counting origin server for namespace tests: it listens on every
//! address of the namespace (`[::]`, dual-stack) at one port and records
//! the local address of every connection it accepts, so a test can say
//! "nothing reached 10.66.77.88" or "this row reached the server".
//! It answers HTTP requests with `origin <local address> <request line>`;
//! a connection that is not HTTP (a CONNECT tunnel) is counted all the same.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A running origin.
pub struct Origin {
    /// The port it listens on (at every address).
    pub port: u16,
    seen: Arc<Mutex<Vec<SocketAddr>>>,
}

impl Origin {
    /// Listens on `[::]:port` (0: any free port).
    pub async fn start(port: u16) -> Origin {
        let listener = TcpListener::bind(("::", port)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = Arc::clone(&seen);
        tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    return;
                };
                let local = stream.local_addr().unwrap();
                let local = SocketAddr::new(unmapped(local.ip()), local.port());
                record.lock().unwrap().push(local);
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 16384];
                    let mut n = 0;
                    while !buf[..n].windows(4).any(|w| w == b"\r\n\r\n") && n < buf.len() {
                        match stream.read(&mut buf[n..]).await {
                            Ok(0) | Err(_) => return,
                            Ok(k) => n += k,
                        }
                    }
                    let text = String::from_utf8_lossy(&buf[..n]);
                    let line = text.lines().next().unwrap_or("");
                    let body = format!("origin {local} {line}\n");
                    let resp = format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = stream.write_all(resp.as_bytes()).await;
                });
            }
        });
        Origin { port, seen }
    }

    /// Forgets the connections seen so far.
    pub fn reset(&self) {
        self.seen.lock().unwrap().clear();
    }

    /// How many connections it accepted so far.
    pub fn count(&self) -> usize {
        self.seen.lock().unwrap().len()
    }

    /// The local addresses of the connections accepted since the
    /// `from`-th.
    pub fn since(&self, from: usize) -> Vec<SocketAddr> {
        self.seen.lock().unwrap()[from..].to_vec()
    }

    /// Whether any connection so far arrived at `ip`.
    pub fn reached(&self, ip: IpAddr) -> bool {
        self.seen.lock().unwrap().iter().any(|a| a.ip() == ip)
    }
}

fn unmapped(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}
