//! The text format read as a stream: the header first, then the entries one
//! at a time from a fixed buffer, never the whole file in memory.
//!
//! Accepts and refuses exactly what [`super::parse`] does, with the same
//! errors and line numbers (the shared rules are [`super::check_line`],
//! [`super::body_entry`] and [`super::check_count`]); only the order in
//! which a caller sees the entries differs: as they are read.

use std::io::{ErrorKind as IoKind, Read};
use std::path::Path;

use super::scan::find_newline;
use super::{Header, MAX_LINE_LEN, body_entry, check_count, check_line};
use crate::error::{Error, ErrorKind};
use crate::model::{Entry, ListMeta};

/// Bytes read at a time; more than the longest line, so a line always fits.
const BUF_LEN: usize = 1 << 20;

/// One line as the reader found it.
enum Line {
    /// Bytes `start..end` of the buffer, without the LF; `last` when the
    /// file ends here without one.
    At {
        start: usize,
        end: usize,
        last: bool,
    },
    /// A line longer than [`MAX_LINE_LEN`]: its length without LF and CR.
    TooLong(usize),
    /// The end of the file (after the last line).
    End,
}

/// A list file read line by line.
pub(crate) struct Stream<R> {
    src: R,
    buf: Vec<u8>,
    /// Unread bytes are `buf[pos..len]`.
    pos: usize,
    len: usize,
    eof: bool,
    /// The last line (possibly empty) has been returned.
    done: bool,
    /// Number of the line returned last.
    lineno: usize,
    /// The line the header reader stopped at (the first entry line).
    pending: Option<(usize, usize, bool)>,
    declared: Option<u64>,
    parsed: usize,
    /// The file holds a byte after its last LF (the BOM aside).
    unterminated: bool,
}

impl<R: Read> Stream<R> {
    /// A stream over `src`, reading nothing yet.
    pub(crate) fn new(src: R) -> Stream<R> {
        Stream {
            src,
            buf: vec![0; BUF_LEN],
            pos: 0,
            len: 0,
            eof: false,
            done: false,
            lineno: 0,
            pending: None,
            declared: None,
            parsed: 0,
            unterminated: false,
        }
    }

    /// Read more bytes after `buf[..len]`; false at the end of the file.
    fn fill(&mut self, path: &Path) -> Result<bool, Error> {
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.len, 0);
            self.len -= self.pos;
            self.pos = 0;
        }
        loop {
            let Some(space) = self.buf.get_mut(self.len..) else {
                return Ok(true);
            };
            if space.is_empty() {
                return Ok(true);
            }
            match self.src.read(space) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.len += n;
                    return Ok(true);
                }
                Err(e) if e.kind() == IoKind::Interrupted => {}
                Err(e) => return Err(Error::io(path, e)),
            }
        }
    }

    /// The next line, split at LF as [`super::scan::Lines`] splits.
    fn next_line(&mut self, path: &Path) -> Result<Line, Error> {
        if self.done {
            return Ok(Line::End);
        }
        if self.lineno == 0 && self.len == 0 {
            while self.len < 3 && self.fill(path)? {}
            if self.buf.get(..self.len.min(3)) == Some(b"\xEF\xBB\xBF") {
                self.pos = 3;
            }
        }
        let mut searched = 0;
        loop {
            let unread = self.buf.get(self.pos..self.len).unwrap_or_default();
            if let Some(i) = unread.get(searched..).and_then(find_newline) {
                let (start, end) = (self.pos, self.pos + searched + i);
                self.pos = end + 1;
                self.lineno += 1;
                return Ok(Line::At {
                    start,
                    end,
                    last: false,
                });
            }
            searched = unread.len();
            if self.eof {
                self.done = true;
                self.lineno += 1;
                let (start, end) = (self.pos, self.len);
                self.pos = self.len;
                self.unterminated = end > start;
                return Ok(Line::At {
                    start,
                    end,
                    last: true,
                });
            }
            // A CR may follow the longest line, and one byte more proves
            // it too long.
            if searched > MAX_LINE_LEN + 1 {
                self.lineno += 1;
                return self.skip_long_line(path, searched).map(Line::TooLong);
            }
            self.fill(path)?;
        }
    }

    /// Consume the rest of a line found too long after `seen` bytes;
    /// returns its length without the line end.
    fn skip_long_line(&mut self, path: &Path, mut seen: usize) -> Result<usize, Error> {
        self.pos = self.len;
        let mut last = self.buf.get(self.len.wrapping_sub(1)).copied();
        loop {
            if !self.fill(path)? {
                self.done = true;
                self.unterminated = true;
                return Ok(seen - usize::from(last == Some(b'\r')));
            }
            let chunk = self.buf.get(self.pos..self.len).unwrap_or_default();
            if let Some(i) = find_newline(chunk) {
                let before = if i > 0 {
                    chunk.get(i - 1).copied()
                } else {
                    last
                };
                self.pos += i + 1;
                return Ok(seen + i - usize::from(before == Some(b'\r')));
            }
            seen += chunk.len();
            last = chunk.last().copied().or(last);
            self.pos = self.len;
        }
    }

    fn too_long(&self, len: usize) -> Error {
        Error::new(
            ErrorKind::LineTooLong,
            format!("line is {len} bytes, longer than the {MAX_LINE_LEN} byte limit"),
        )
        .at_line(self.lineno)
    }

    /// Read the header: every line up to the first entry line. Returns the
    /// metadata (name defaulting to the id) as [`super::parse`] would.
    pub(crate) fn header(&mut self, default_id: &str, path: &Path) -> Result<ListMeta, Error> {
        let mut header = Header::new(default_id);
        loop {
            let (start, end, last) = match self.next_line(path)? {
                Line::End => break,
                Line::TooLong(n) => return Err(self.too_long(n)),
                Line::At { start, end, last } => (start, end, last),
            };
            let raw = self.buf.get(start..end).unwrap_or_default();
            let line = check_line(raw, self.lineno)?;
            if line.is_empty() {
                continue;
            }
            if let Some(body) = line.strip_prefix('#') {
                header.line(body).map_err(|e| e.at_line(self.lineno))?;
                continue;
            }
            self.pending = Some((start, end, last));
            break;
        }
        let (meta, declared) = header.finish();
        self.declared = declared;
        Ok(meta)
    }

    /// The next entry, `None` after the last one (once the file's entry
    /// count and ending are checked). Call after [`Stream::header`].
    pub(crate) fn next_entry(&mut self, path: &Path) -> Result<Option<Entry>, Error> {
        loop {
            let (start, end, last) = match self.pending.take() {
                Some(p) => p,
                None => match self.next_line(path)? {
                    Line::End => {
                        check_count(self.declared, self.parsed, self.unterminated, self.lineno)?;
                        return Ok(None);
                    }
                    Line::TooLong(n) => return Err(self.too_long(n)),
                    Line::At { start, end, last } => (start, end, last),
                },
            };
            let raw = self.buf.get(start..end).unwrap_or_default();
            let cut = self.declared.filter(|_| last && end > start);
            if let Some(e) = body_entry(raw, self.lineno, cut, self.parsed)? {
                self.parsed += 1;
                return Ok(Some(e));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::List;

    /// Reads `bytes` through a stream handing out at most `step` bytes
    /// per read, as a list (or the first error).
    fn streamed(bytes: &[u8], step: usize) -> Result<List, Error> {
        struct Slow<'a>(&'a [u8], usize);
        impl Read for Slow<'_> {
            fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
                let n = self.0.len().min(self.1).min(out.len());
                out[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let path = Path::new("t");
        let mut s = Stream::new(Slow(bytes, step));
        let meta = s.header("demo", path)?;
        let mut entries = Vec::new();
        while let Some(e) = s.next_entry(path)? {
            entries.push(e);
        }
        Ok(List { meta, entries })
    }

    fn same(bytes: &[u8]) {
        let whole = super::super::parse(bytes, "demo");
        for step in [1, 3, 7, 4096, BUF_LEN] {
            let s = streamed(bytes, step);
            match (&whole, &s) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "{:?}", String::from_utf8_lossy(bytes)),
                (Err(a), Err(b)) => {
                    assert_eq!(a.to_string(), b.to_string());
                    assert_eq!(a.kind(), b.kind());
                    assert_eq!(a.line(), b.line());
                }
                _ => panic!(
                    "{whole:?} vs {s:?} for {:?}",
                    String::from_utf8_lossy(bytes)
                ),
            }
        }
    }

    #[test]
    fn streamed_parse_equals_whole_parse() {
        let long = format!("url a.example/{}\n", "x".repeat(MAX_LINE_LEN));
        let just = format!("url a.example/{}\r\n", "x".repeat(MAX_LINE_LEN - 14));
        let cases: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"\n".to_vec(),
            b"\xEF\xBB\xBF# id: x\ndomain a.example\n".to_vec(),
            b"\xEF\xBB".to_vec(),
            b"# id: x\n# name: n\n\n# comment\ndomain a.example r 1\n\n# id: y\nurl b.example/x\n"
                .to_vec(),
            b"domain a.example\r\nurl-prefix b.example/x/ ref\r\n".to_vec(),
            b"domain a.example\nbogus x\n".to_vec(),
            b"# entries: 2\ndomain a.example\ndomain b.ex".to_vec(),
            b"# entries: 2\ndomain a.example\ndomain b.example".to_vec(),
            b"# entries: 2\ndomain a.example\ndomain b.example\n".to_vec(),
            b"# entries: 3\ndomain a.example\ndomain b.example\n".to_vec(),
            b"# entries: 1\ndomain a.example\ndomain b.example\n".to_vec(),
            b"# entries: 1\ndomain a.example\n\xff\n".to_vec(),
            b"# entries: 1\n# bogus-key: 1\n".to_vec(),
            b"domain a.example\n# entries: 1\n".to_vec(),
            b"domain a.example".to_vec(),
            b"md5 abc\n".to_vec(),
            b"@2024-01-01T00:00:00Z sha1 DA39A3EE5E6B4B0D3255BFEF95601890AFD80709 r\n".to_vec(),
            long.clone().into_bytes(),
            format!("# x-long: {}\n", "y".repeat(MAX_LINE_LEN * 3)).into_bytes(),
            format!("domain a.example\n{}\r", "z".repeat(MAX_LINE_LEN + 5)).into_bytes(),
            format!("domain a.example\n{}", "z".repeat(MAX_LINE_LEN * 2)).into_bytes(),
            just.into_bytes(),
        ];
        for c in &cases {
            same(c);
        }
    }

    #[test]
    fn many_lines_cross_buffer_ends() {
        let mut text = String::from("# id: big\n# entries: 50000\n");
        for i in 0..50_000 {
            text.push_str(&format!("url-prefix h{i}.example/p/{i}/ REF-{i}\n"));
        }
        same(text.as_bytes());
        let mut bad = text.clone().into_bytes();
        let at = bad.len() / 2;
        let nl = at + bad[at..].iter().position(|&b| b == b'\n').unwrap_or(0);
        bad.splice(nl + 1..nl + 1, b"nonsense here\n".iter().copied());
        same(&bad);
    }
}
