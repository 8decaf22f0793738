//! One ICAP connection's I/O: the read buffer and the parser, reads with
//! deadlines, writes.

use std::time::Duration;

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

use super::parser::{Event, Limits, ParseError, Parser};

/// The first read's buffer; it grows as a head or body needs.
const READ_CHUNK: usize = 16 * 1024;

/// Why no event came.
#[derive(Debug)]
pub(super) enum ReadError {
    /// The client closed the connection.
    Closed,
    /// The deadline passed.
    Timeout,
    /// The socket failed.
    Io(std::io::Error),
    /// The bytes are not an ICAP request.
    Parse(ParseError),
}

/// A client connection.
pub(super) struct Conn {
    stream: TcpStream,
    buf: BytesMut,
    parser: Parser,
}

impl Conn {
    /// A new connection with these head limits.
    pub(super) fn new(stream: TcpStream, limits: Limits) -> Conn {
        Conn {
            stream,
            buf: BytesMut::with_capacity(READ_CHUNK),
            parser: Parser::new(limits),
        }
    }

    /// The parser (to resume after a preview, or ask where it is).
    pub(super) fn parser(&mut self) -> &mut Parser {
        &mut self.parser
    }

    /// Waits up to `idle` for the first byte of a new request (`false`:
    /// the connection ended or idled out, quietly).
    pub(super) async fn await_request(&mut self, idle: Duration) -> bool {
        if !self.buf.is_empty() {
            return true;
        }
        matches!(self.fill(Instant::now() + idle).await, Ok(()))
    }

    /// The next event, reading until `deadline` as needed.
    pub(super) async fn next(&mut self, deadline: Instant) -> Result<Event, ReadError> {
        loop {
            if let Some(e) = self.parser.next(&mut self.buf).map_err(ReadError::Parse)? {
                return Ok(e);
            }
            self.fill(deadline).await?;
        }
    }

    /// One read into the buffer.
    async fn fill(&mut self, deadline: Instant) -> Result<(), ReadError> {
        if self.buf.capacity() - self.buf.len() < 1024 {
            self.buf.reserve(READ_CHUNK);
        }
        match tokio::time::timeout_at(deadline, self.stream.read_buf(&mut self.buf)).await {
            Err(_) => Err(ReadError::Timeout),
            Ok(Ok(0)) => Err(ReadError::Closed),
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(ReadError::Io(e)),
        }
    }

    /// Writes all of `bytes` before `deadline`.
    pub(super) async fn write(&mut self, bytes: &[u8], deadline: Instant) -> std::io::Result<()> {
        match tokio::time::timeout_at(deadline, self.stream.write_all(bytes)).await {
            Ok(r) => r,
            Err(_) => Err(std::io::ErrorKind::TimedOut.into()),
        }
    }
}
