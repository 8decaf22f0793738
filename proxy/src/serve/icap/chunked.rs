//! An incremental decoder of ICAP's chunked bodies (RFC 3507 §4.5, the
//! HTTP/1.1 chunked coding with the `ieof` extension on the last chunk).
//!
//! It works on whatever bytes have arrived: data is handed out as it
//! comes, and a size line is only read once complete, so a body split
//! into reads in any way decodes to the same bytes and the same end.

use bytes::{Buf, Bytes, BytesMut};

/// The longest chunk-size line accepted (size and extensions).
const MAX_SIZE_LINE: usize = 1024;

/// What the decoder found next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Chunk {
    /// Body bytes (never empty).
    Data(Bytes),
    /// The last chunk (`0`); `ieof` when it carried the `ieof` extension
    /// (the preview was the whole body).
    End {
        /// The `ieof` extension was present.
        ieof: bool,
    },
}

/// A chunked body that does not decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadChunk(pub &'static str);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Before a chunk-size line.
    Size,
    /// Inside a chunk's data: this many bytes left.
    Data(u64),
    /// After a chunk's data: its CRLF.
    DataEnd,
    /// After the last chunk's size line: the final CRLF.
    Last { ieof: bool },
}

/// The decoder of one chunked body; after [`Chunk::End`] it is ready for
/// another (the rest of a body after a preview).
#[derive(Clone, Debug)]
pub struct Chunked {
    state: State,
}

impl Default for Chunked {
    fn default() -> Self {
        Chunked { state: State::Size }
    }
}

impl Chunked {
    /// Decodes the next item from the front of `buf`, consuming what it
    /// used; `Ok(None)` when `buf` holds too little.
    pub fn next(&mut self, buf: &mut BytesMut) -> Result<Option<Chunk>, BadChunk> {
        self.next_within(buf, None)
    }

    /// As [`Chunked::next`], with at most `limit` more data bytes allowed:
    /// a chunk announcing more is refused at its size line, before any of
    /// it is consumed (so where the error falls does not depend on how
    /// the bytes were split into reads).
    pub fn next_within(
        &mut self,
        buf: &mut BytesMut,
        limit: Option<u64>,
    ) -> Result<Option<Chunk>, BadChunk> {
        loop {
            match self.state {
                State::Size => {
                    let Some(line) = find_crlf(buf, MAX_SIZE_LINE)? else {
                        return Ok(None);
                    };
                    let (size, ieof) = size_line(&buf[..line])?;
                    if limit.is_some_and(|l| size > l) {
                        return Err(BadChunk("a preview longer than announced"));
                    }
                    buf.advance(line + 2);
                    self.state = if size == 0 {
                        State::Last { ieof }
                    } else {
                        State::Data(size)
                    };
                }
                State::Data(left) => {
                    if buf.is_empty() {
                        return Ok(None);
                    }
                    let take = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
                    let data = buf.split_to(take).freeze();
                    let left = left - take as u64;
                    self.state = if left == 0 {
                        State::DataEnd
                    } else {
                        State::Data(left)
                    };
                    return Ok(Some(Chunk::Data(data)));
                }
                State::DataEnd | State::Last { .. } => {
                    if buf.len() < 2 {
                        return Ok(None);
                    }
                    if &buf[..2] != b"\r\n" {
                        return Err(BadChunk("a chunk does not end with CRLF"));
                    }
                    buf.advance(2);
                    if let State::Last { ieof } = self.state {
                        self.state = State::Size;
                        return Ok(Some(Chunk::End { ieof }));
                    }
                    self.state = State::Size;
                }
            }
        }
    }
}

/// The position of the first CRLF in `buf`, if within `max` bytes.
pub(super) fn find_crlf(buf: &[u8], max: usize) -> Result<Option<usize>, BadChunk> {
    match buf.windows(2).position(|w| w == b"\r\n") {
        Some(i) if i <= max => Ok(Some(i)),
        Some(_) => Err(BadChunk("a chunk-size line is too long")),
        None if buf.len() > max + 1 => Err(BadChunk("a chunk-size line is too long")),
        None => Ok(None),
    }
}

/// `1a; ieof` → (26, true).
fn size_line(line: &[u8]) -> Result<(u64, bool), BadChunk> {
    let (size, ext) = match line.iter().position(|&b| b == b';') {
        Some(i) => (&line[..i], &line[i + 1..]),
        None => (line, &b""[..]),
    };
    let size = size.trim_ascii();
    if size.is_empty() || size.len() > 15 || !size.iter().all(u8::is_ascii_hexdigit) {
        return Err(BadChunk("a chunk size is not a hexadecimal number"));
    }
    let mut n = 0u64;
    for &b in size {
        // At most 15 hex digits: no overflow.
        n = n * 16 + u64::from((b as char).to_digit(16).unwrap_or(0));
    }
    if ext.iter().any(|&b| (b < b' ' && b != b'\t') || b == 0x7f) {
        return Err(BadChunk("a control character in a chunk extension"));
    }
    let ieof = ext
        .split(|&b| b == b';')
        .any(|e| e.trim_ascii().eq_ignore_ascii_case(b"ieof"));
    if ieof && n != 0 {
        return Err(BadChunk("ieof on a chunk that is not the last"));
    }
    Ok((n, ieof))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(input: &[u8], step: usize) -> Result<(Vec<u8>, Vec<bool>), BadChunk> {
        let mut d = Chunked::default();
        let mut buf = BytesMut::new();
        let (mut data, mut ends) = (Vec::new(), Vec::new());
        for piece in input.chunks(step.max(1)) {
            buf.extend_from_slice(piece);
            while let Some(c) = d.next(&mut buf)? {
                match c {
                    Chunk::Data(b) => data.extend_from_slice(&b),
                    Chunk::End { ieof } => ends.push(ieof),
                }
            }
        }
        Ok((data, ends))
    }

    #[test]
    fn decodes_in_any_split() {
        let body = b"5\r\nhello\r\n6;x=y\r\n world\r\n0\r\n\r\n3\r\nabc\r\n0; ieof\r\n\r\n";
        for step in 1..body.len() {
            assert_eq!(
                decode_all(body, step),
                Ok((b"hello worldabc".to_vec(), vec![false, true])),
                "step {step}"
            );
        }
    }

    #[test]
    fn refuses_bad_framing() {
        for bad in [
            &b"x\r\n"[..],
            b"5\r\nhelloXX",
            b"5; ieof\r\nhello\r\n",
            b"0\r\nTrailer: x\r\n\r\n",
            b"1234567890abcdef0\r\n",
            b"\r\n",
        ] {
            assert!(decode_all(bad, 64).is_err(), "{bad:?}");
        }
        let long = vec![b'0'; MAX_SIZE_LINE + 10];
        assert!(decode_all(&long, 7).is_err());
    }
}
