//! A DNS server for namespace tests on `127.0.0.1:53` (the namespace's
//! resolver, see the module above): it answers one name's `A` queries with
//! a list of addresses in turn, one per query (DNS rebinding, with a TTL
//! of 0), and every other query with an empty answer. Deterministic: the
//! n-th lookup of the name gets the (n mod len)-th address, so code that
//! looks a name up twice (checks one answer, connects to the next) is
//! caught on every request.

use std::net::Ipv4Addr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use tokio::net::UdpSocket;

/// A running rebinding server.
pub struct Rebinder {
    queries: Arc<AtomicUsize>,
}

impl Rebinder {
    /// Serves `name` (lower case, no trailing dot) with `answers` in turn.
    pub async fn start(name: &str, answers: Vec<Ipv4Addr>) -> Rebinder {
        let socket = UdpSocket::bind("127.0.0.1:53").await.unwrap();
        let queries = Arc::new(AtomicUsize::new(0));
        let count = Arc::clone(&queries);
        let name = name.to_owned();
        tokio::spawn(async move {
            let mut buf = [0u8; 1500];
            loop {
                let Ok((n, peer)) = socket.recv_from(&mut buf).await else {
                    return;
                };
                let Some((qname, qtype, question_end)) = parse_query(&buf[..n]) else {
                    continue;
                };
                let answer = (qtype == 1 && qname.eq_ignore_ascii_case(&name)).then(|| {
                    let i = count.fetch_add(1, SeqCst);
                    answers[i % answers.len()]
                });
                let reply = response(&buf[..question_end], answer);
                let _ = socket.send_to(&reply, peer).await;
            }
        });
        Rebinder { queries }
    }

    /// How many `A` queries for the name were answered.
    pub fn queries(&self) -> usize {
        self.queries.load(SeqCst)
    }
}

/// The query's name (dotted), type, and where its question ends.
fn parse_query(q: &[u8]) -> Option<(String, u16, usize)> {
    let mut i = 12;
    let mut labels = Vec::new();
    loop {
        let len = usize::from(*q.get(i)?);
        i += 1;
        if len == 0 {
            break;
        }
        labels.push(String::from_utf8_lossy(q.get(i..i + len)?).into_owned());
        i += len;
    }
    let qtype = u16::from_be_bytes([*q.get(i)?, *q.get(i + 1)?]);
    Some((labels.join("."), qtype, i + 4))
}

/// A response to the query whose header and question are `question`: one
/// `A` record with TTL 0, or no record.
fn response(question: &[u8], answer: Option<Ipv4Addr>) -> Vec<u8> {
    let mut r = question.to_vec();
    r[2] = 0x81; // QR, RD
    r[3] = 0x80; // RA, NOERROR
    r[4..12].copy_from_slice(&[0, 1, 0, u8::from(answer.is_some()), 0, 0, 0, 0]);
    if let Some(a) = answer {
        r.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4]);
        r.extend_from_slice(&a.octets());
    }
    r
}
