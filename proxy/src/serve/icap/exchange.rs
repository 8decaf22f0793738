//! One ICAP exchange: the request, its body as far as it has been read,
//! and the two ways it ends — the message goes on unchanged ([`allow`]:
//! `204`, or an echo), or an HTTP response replaces it ([`replace`]).

use std::net::IpAddr;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use hyper::Response;
use tokio::time::Instant;

use super::conn::{Conn, ReadError};
use super::head::IcapRequest;
use super::parser::Event;
use super::reply;
use crate::serve::{ProxyBody, Shared};

/// Why an exchange ended the connection.
#[derive(Debug)]
pub(super) enum Abort {
    /// Reading failed (or the bytes were not ICAP: answered 400 first).
    Read(ReadError),
    /// Writing failed.
    Write(std::io::Error),
    /// Answered, and the connection closes: the body (if any) was not
    /// read, so the stream is out of step.
    Closed(super::metrics::IcapOutcome),
}

impl From<ReadError> for Abort {
    fn from(e: ReadError) -> Abort {
        Abort::Read(e)
    }
}

impl From<std::io::Error> for Abort {
    fn from(e: std::io::Error) -> Abort {
        Abort::Write(e)
    }
}

/// An exchange in progress.
pub(super) struct Exchange<'a> {
    /// What the whole process shares.
    pub shared: &'a Arc<Shared>,
    /// The connection.
    pub conn: &'a mut Conn,
    /// The request head.
    pub req: &'a IcapRequest,
    /// The tag of the snapshot this exchange is decided on.
    pub istag: String,
    /// When the exchange must be over.
    pub deadline: Instant,
    /// The HTTP client, for logs (`X-Client-IP` when the ICAP client
    /// sends it, else the ICAP client).
    pub client: IpAddr,
    /// The body read so far.
    pub body: Body,
}

/// The body as read so far.
#[derive(Debug, Default)]
pub(super) struct Body {
    /// The bytes held, in arrival order.
    pub held: Vec<Bytes>,
    /// Their total length.
    pub len: usize,
    /// The whole body has been read.
    pub ended: bool,
    /// A preview ended without `ieof`: the client waits for `100
    /// Continue` or a final answer.
    pub paused: bool,
    /// `100 Continue` was sent: past the preview (a 204 now needs
    /// `Allow: 204`).
    pub continued: bool,
}

impl Body {
    /// The held bytes as one buffer.
    pub fn bytes(&self) -> Bytes {
        if let [one] = self.held.as_slice() {
            return one.clone();
        }
        let mut b = BytesMut::with_capacity(self.len);
        for c in &self.held {
            b.extend_from_slice(c);
        }
        b.freeze()
    }
}

impl Exchange<'_> {
    /// Reads until `want` bytes are held or the body ended; asks for the
    /// rest (`100 Continue`) when a preview runs out first.
    pub async fn read_until(&mut self, want: usize) -> Result<(), Abort> {
        if !self.req.has_body() {
            self.body.ended = true;
        }
        while !self.body.ended && self.body.len < want {
            if self.body.paused {
                self.conn.write(reply::CONTINUE, self.deadline).await?;
                self.conn.parser().resume();
                self.body.paused = false;
                self.body.continued = true;
            }
            self.step(true).await?;
        }
        Ok(())
    }

    /// Reads the next body event; data is held when `hold`.
    async fn step(&mut self, hold: bool) -> Result<(), Abort> {
        match self.conn.next(self.deadline).await? {
            Event::Data(d) => {
                self.body.len = self.body.len.saturating_add(d.len());
                if hold {
                    self.body.held.push(d);
                }
            }
            Event::End { .. } => {
                if self.conn.parser().paused() {
                    self.body.paused = true;
                } else {
                    self.body.ended = true;
                }
            }
            Event::Request(_) => {
                return Err(Abort::Read(ReadError::Parse(
                    super::parser::ParseError::Malformed("a request inside a body"),
                )));
            }
        }
        Ok(())
    }

    /// Reads to the end of what the client sends before it waits for an
    /// answer: the preview (if not continued), else the whole body
    /// (discarded).
    async fn finish_sending(&mut self) -> Result<(), Abort> {
        if !self.req.has_body() {
            return Ok(());
        }
        while !self.body.ended && !self.body.paused {
            self.step(false).await?;
        }
        Ok(())
    }

    /// Whether a 204 may answer now: within a preview, or `Allow: 204`.
    fn may_204(&self) -> bool {
        self.req.allow_204 || (self.req.preview.is_some() && !self.body.continued)
    }

    /// The message goes on unchanged: `204` when allowed (after the
    /// client has sent what it sends before waiting), else the message
    /// echoed, its body relayed as it arrives.
    pub async fn allow(&mut self) -> Result<(), Abort> {
        if self.may_204() {
            self.finish_sending().await?;
            let out = reply::no_content(&self.istag);
            self.conn.write(&out, self.deadline).await?;
            return Ok(());
        }
        let has_body = self.req.has_body();
        let mut out = reply::echo_head(&self.istag, self.req, has_body);
        if !has_body {
            self.conn.write(&out, self.deadline).await?;
            return Ok(());
        }
        for c in std::mem::take(&mut self.body.held) {
            reply::push_chunk(&mut out, &c);
        }
        self.conn.write(&out, self.deadline).await?;
        while !self.body.ended {
            if self.body.paused {
                self.conn.write(reply::CONTINUE, self.deadline).await?;
                self.conn.parser().resume();
                self.body.paused = false;
                self.body.continued = true;
            }
            self.step(true).await?;
            let mut out = Vec::new();
            for c in std::mem::take(&mut self.body.held) {
                reply::push_chunk(&mut out, &c);
            }
            if !out.is_empty() {
                self.conn.write(&out, self.deadline).await?;
            }
        }
        self.conn.write(reply::LAST_CHUNK, self.deadline).await?;
        Ok(())
    }

    /// An HTTP response the proxy wrote replaces the message.
    pub async fn replace(&mut self, resp: Response<ProxyBody>) -> Result<(), Abort> {
        self.finish_sending().await?;
        let out = reply::http_response(&self.istag, resp).await;
        self.conn.write(&out, self.deadline).await?;
        Ok(())
    }
}
