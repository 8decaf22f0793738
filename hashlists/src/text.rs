//! The text format: a single-pass parser and the writer. Grammar in `FORMAT.md`.
//!
//! [`List::from_text`], [`List::read_file`], [`List::to_text`],
//! [`List::write_text`] and [`Entry::from_line`] are defined here, over the
//! plain data of [`crate::model`].

use std::path::Path;

use crate::error::{Error, ErrorKind, clip};
use crate::kind::EntryKind;
use crate::model::{Entry, List, ListMeta};

mod scan;
pub(crate) mod stream;
pub(crate) mod write;

use scan::{Lines, count_newlines, find_newline};

/// Longest accepted line, in bytes, not counting the line end.
pub const MAX_LINE_LEN: usize = 64 * 1024;

/// The text format version this crate reads and writes (`# hashwall-list: 1`).
pub const FORMAT_VERSION: u32 = 1;

/// Header keys. To add one: a variant, a row in [`KEYS`], an arm in
/// [`Header::apply`] and a line in `write::write_header`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Key {
    Version,
    Id,
    Issuer,
    Name,
    Jurisdiction,
    Category,
    Policy,
    Sequence,
    Created,
    Expires,
    Entries,
    Signature,
}

const KEYS: [(&str, Key); 12] = [
    ("hashwall-list", Key::Version),
    ("id", Key::Id),
    ("issuer", Key::Issuer),
    ("name", Key::Name),
    ("jurisdiction", Key::Jurisdiction),
    ("category", Key::Category),
    ("policy", Key::Policy),
    ("sequence", Key::Sequence),
    ("created", Key::Created),
    ("expires", Key::Expires),
    ("entries", Key::Entries),
    ("signature", Key::Signature),
];

/// Header parsing state.
pub(crate) struct Header {
    meta: ListMeta,
    name: Option<String>,
    /// Bit `i` set when `KEYS[i]` has been seen.
    seen: u32,
    /// The `entries` header: how many entries the file must hold.
    declared: Option<u64>,
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

fn text_value(key: &str, v: &str) -> Result<String, Error> {
    if v.is_empty() || v.chars().any(|c| c.is_control() && c != '\t') {
        return Err(Error::new(
            ErrorKind::InvalidHeaderValue,
            format!("header {key} must be non-empty text without control characters"),
        ));
    }
    Ok(v.to_owned())
}

impl Header {
    /// A header with nothing read yet; `default_id` is sanitised.
    pub(crate) fn new(default_id: &str) -> Header {
        Header {
            meta: ListMeta::with_defaults(&ListMeta::sanitise_id(default_id)),
            name: None,
            seen: 0,
            declared: None,
        }
    }

    /// The metadata read (the name defaults to the id) and the `entries`
    /// header, if any.
    pub(crate) fn finish(self) -> (ListMeta, Option<u64>) {
        let mut meta = self.meta;
        meta.name = self.name.unwrap_or_else(|| meta.id.clone());
        (meta, self.declared)
    }

    /// Handle the text after `#` on a header-position line: a `key: value`
    /// header or a comment.
    pub(crate) fn line(&mut self, body: &str) -> Result<(), Error> {
        let Some((key, value)) = body.split_once(':') else {
            return Ok(()); // comment
        };
        let key = key.trim_matches(is_blank);
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Ok(()); // comment such as `# The IWF list: 2024`
        }
        let value = value.trim_matches(is_blank);
        let Some(i) = KEYS.iter().position(|(k, _)| k.eq_ignore_ascii_case(key)) else {
            if key.len() >= 2 && key[..2].eq_ignore_ascii_case("x-") {
                return Ok(()); // extension key: accepted and ignored
            }
            return Err(Error::new(
                ErrorKind::UnknownHeaderKey,
                format!(
                    "unknown header key {:?} (extension keys must start with x-)",
                    clip(key)
                ),
            ));
        };
        let (name, k) = KEYS[i];
        if self.seen & (1 << i) != 0 {
            return Err(Error::new(
                ErrorKind::DuplicateHeaderKey,
                format!("duplicate header key {name:?}"),
            ));
        }
        self.seen |= 1 << i;
        self.apply(k, name, value)
    }

    fn apply(&mut self, key: Key, name: &str, v: &str) -> Result<(), Error> {
        let m = &mut self.meta;
        match key {
            Key::Version => {
                if v != "1" {
                    return Err(Error::new(
                        ErrorKind::UnsupportedVersion,
                        format!(
                            "unsupported hashwall-list format version {:?}, this reader supports {FORMAT_VERSION}",
                            clip(v)
                        ),
                    ));
                }
            }
            Key::Id => {
                if !ListMeta::is_valid_id(v) {
                    return Err(Error::new(
                        ErrorKind::InvalidId,
                        format!(
                            "invalid id {:?}: expected 1 to 64 of A-Z a-z 0-9 . _ -",
                            clip(v)
                        ),
                    ));
                }
                m.id = v.to_owned();
            }
            Key::Issuer => m.issuer = text_value(name, v)?,
            Key::Name => self.name = Some(text_value(name, v)?),
            Key::Jurisdiction => m.jurisdiction = v.parse()?,
            Key::Category => m.category = v.parse()?,
            Key::Policy => m.policy = v.parse()?,
            Key::Sequence => m.sequence = parse_u64(v, ErrorKind::InvalidSequence, "sequence")?,
            Key::Created => m.created = v.parse()?,
            Key::Expires => m.expires = Some(v.parse()?),
            Key::Entries => {
                self.declared = Some(parse_u64(v, ErrorKind::InvalidHeaderValue, "entries")?);
            }
            Key::Signature => m.signature = Some(v.parse()?),
        }
        Ok(())
    }
}

/// A decimal `u64` of digits only (no sign, no blanks).
pub(crate) fn parse_u64(v: &str, kind: ErrorKind, what: &str) -> Result<u64, Error> {
    v.bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| v.parse::<u64>().ok())
        .flatten()
        .ok_or_else(|| {
            Error::new(
                kind,
                format!("invalid {what} {:?}: expected a decimal u64", clip(v)),
            )
        })
}

/// Split at the first space or tab: (token, rest starting at the separator).
fn split_token(s: &str) -> (&str, &str) {
    match s.bytes().position(|b| b == b' ' || b == b'\t') {
        // `i` is the index of an ASCII byte, so a char boundary.
        Some(i) => s.split_at(i),
        None => (s, ""),
    }
}

/// Strip leading spaces and tabs.
fn trim_blank_start(s: &str) -> &str {
    let n = s.bytes().take_while(|&b| b == b' ' || b == b'\t').count();
    s.get(n..).unwrap_or("")
}

pub(crate) fn parse_entry(line: &str) -> Result<Entry, Error> {
    // Optional `@<RFC 3339 time>` prefix: when the issuer added the entry.
    // No kind starts with `@`, so files without it read as before.
    let (added, line) = match line.strip_prefix('@') {
        Some(rest) => {
            let (t, rest) = split_token(rest);
            (Some(t.parse()?), trim_blank_start(rest))
        }
        None => (None, line),
    };
    let (kind_tok, rest) = split_token(line);
    let kind =
        EntryKind::from_token(kind_tok.as_bytes()).ok_or_else(|| EntryKind::unknown(kind_tok))?;
    let (value, rest) = split_token(trim_blank_start(rest));
    if value.is_empty() {
        return Err(Error::new(
            ErrorKind::InvalidValue,
            format!("{kind} entry has no value"),
        ));
    }
    let value = kind.normalise_value(value)?;
    let reference = rest.trim_matches(is_blank);
    let reference = if reference.is_empty() {
        None
    } else {
        if let Some(c) = reference.chars().find(|&c| c.is_control() && c != '\t') {
            return Err(Error::new(
                ErrorKind::InvalidValue,
                format!("reference contains control character {c:?}"),
            ));
        }
        Some(reference.to_owned())
    };
    Ok(Entry {
        kind,
        value,
        reference,
        added,
    })
}

/// Below this many bytes of entries a list is parsed on one thread.
const PARALLEL_MIN_BYTES: usize = 8 << 20;

/// What every entry line needs to know about the file.
struct BodyCtx {
    /// Total number of lines (for the truncation check on the last one).
    lines: usize,
    /// The file ends with LF.
    ends_with_lf: bool,
    /// The `entries` header, if any.
    declared: Option<u64>,
}

impl BodyCtx {
    /// Parse one line after the header: `Ok(None)` for blank and comment
    /// lines.
    fn line(&self, raw: &[u8], lineno: usize, parsed: usize) -> Result<Option<Entry>, Error> {
        let cut = self
            .declared
            .filter(|_| !self.ends_with_lf && lineno == self.lines);
        body_entry(raw, lineno, cut, parsed)
    }

    /// Parse `body` (whole lines, the first numbered `first_line`) into
    /// `out`.
    fn lines(&self, body: &[u8], first_line: usize, out: &mut Vec<Entry>) -> Result<(), Error> {
        for (i, raw) in (Lines { rest: Some(body) }).enumerate() {
            if let Some(e) = self.line(raw, first_line + i, out.len())? {
                out.push(e);
            }
        }
        Ok(())
    }

    /// Parse `body` on `threads` threads, split at line ends; the result
    /// and the first error (in file order) are as if parsed sequentially.
    fn lines_parallel(
        &self,
        body: &[u8],
        first_line: usize,
        threads: usize,
    ) -> Result<Vec<Entry>, Error> {
        let mut cuts = vec![0usize];
        for t in 1..threads {
            let at = (body.len() / threads * t).max(cuts.last().copied().unwrap_or(0));
            match body.get(at..).and_then(find_newline) {
                Some(nl) => cuts.push(at + nl + 1),
                None => break,
            }
        }
        cuts.push(body.len());
        cuts.dedup();
        let parts: Vec<(&[u8], usize)> = {
            let mut line = first_line;
            let mut v = Vec::new();
            for w in cuts.windows(2) {
                if let [a, b] = *w {
                    let part = body.get(a..b).unwrap_or_default();
                    v.push((part, line));
                    line += count_newlines(part);
                }
            }
            v
        };
        let results: Vec<Option<Result<Vec<Entry>, Error>>> = std::thread::scope(|s| {
            let hs: Vec<_> = parts
                .iter()
                .map(|&(part, line)| {
                    s.spawn(move || {
                        let mut out = Vec::with_capacity(count_newlines(part) + 1);
                        // A part ends just after a LF: its last "line" is
                        // the empty remainder, which is skipped as blank.
                        self.lines(part, line, &mut out).map(|()| out)
                    })
                })
                .collect();
            hs.into_iter().map(|h| h.join().ok()).collect()
        });
        let mut entries: Vec<Entry> = Vec::new();
        for r in results {
            let mut part = r.ok_or_else(|| Error::new(ErrorKind::Io, "parser thread failed"))??;
            if entries.is_empty() {
                entries = part;
            } else {
                entries.append(&mut part);
            }
        }
        Ok(entries)
    }
}

/// Parse one line after the header: `Ok(None)` for blank and comment
/// lines. `cut` is the declared entry count when this is the file's last
/// line and the file ends without a line end: a list that declares its
/// count (every signed list) and ends mid-line was cut short, which is
/// reported as such rather than as a malformed entry. `parsed` is the
/// number of entries before this line.
pub(crate) fn body_entry(
    raw: &[u8],
    lineno: usize,
    cut: Option<u64>,
    parsed: usize,
) -> Result<Option<Entry>, Error> {
    let line = check_line(raw, lineno)?;
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    match (parse_entry(line), cut) {
        (Ok(e), _) => Ok(Some(e)),
        (Err(_), Some(declared)) => Err(Error::new(
            ErrorKind::Truncated,
            format!(
                "the file ends in the middle of an entry after {parsed} entries ({declared} declared): it was cut short"
            ),
        )
        .at_line(lineno)),
        (Err(e), None) => Err(e.at_line(lineno)),
    }
}

/// The checks at the end of a list that declares `declared` entries and
/// holds `have`: `unterminated` when the file (not empty) ends without a
/// line end, in its line `last_line`.
pub(crate) fn check_count(
    declared: Option<u64>,
    have: usize,
    unterminated: bool,
    last_line: usize,
) -> Result<(), Error> {
    let Some(n) = declared else {
        return Ok(());
    };
    let have = have as u64;
    // The writer ends every line with LF; a file that declares its
    // count but ends without one was cut inside its last line (the
    // fragment may still parse as an entry, such as a shortened URL).
    if unterminated {
        return Err(Error::new(
            ErrorKind::Truncated,
            format!("the file ends without a line end in its last entry ({have} of {n} declared entries): it was cut short"),
        )
        .at_line(last_line));
    }
    if have < n {
        return Err(Error::new(
            ErrorKind::Truncated,
            format!(
                "the header declares {n} entries but the file holds only {have}: it was cut short"
            ),
        ));
    }
    if have > n {
        return Err(Error::new(
            ErrorKind::InvalidHeaderValue,
            format!("the header declares {n} entries but the file holds {have}"),
        ));
    }
    Ok(())
}

/// Strip CR, check length and UTF-8, trim leading blanks.
pub(crate) fn check_line(raw: &[u8], lineno: usize) -> Result<&str, Error> {
    let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
    if raw.len() > MAX_LINE_LEN {
        return Err(Error::new(
            ErrorKind::LineTooLong,
            format!(
                "line is {} bytes, longer than the {MAX_LINE_LEN} byte limit",
                raw.len()
            ),
        )
        .at_line(lineno));
    }
    let line = std::str::from_utf8(raw).map_err(|e| {
        Error::new(
            ErrorKind::InvalidUtf8,
            format!("invalid UTF-8 at byte {} of the line", e.valid_up_to() + 1),
        )
        .at_line(lineno)
    })?;
    Ok(trim_blank_start(line))
}

pub(crate) fn parse(bytes: &[u8], default_id: &str) -> Result<List, Error> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut header = Header::new(default_id);
    let lines = count_newlines(bytes) + 1;
    // The header: every line up to the first entry line.
    let mut body_start = None;
    for (i, raw) in (Lines { rest: Some(bytes) }).enumerate() {
        let lineno = i + 1;
        let line = check_line(raw, lineno)?;
        if line.is_empty() {
            continue;
        }
        if let Some(body) = line.strip_prefix('#') {
            header.line(body).map_err(|e| e.at_line(lineno))?;
            continue;
        }
        // `raw` is a sub-slice of `bytes`: its offset is the address
        // difference (no unsafe needed to compute it).
        let offset = (raw.as_ptr() as usize).saturating_sub(bytes.as_ptr() as usize);
        body_start = Some((offset, lineno));
        break;
    }
    let ctx = BodyCtx {
        lines,
        ends_with_lf: bytes.ends_with(b"\n"),
        declared: header.declared,
    };
    let mut entries = Vec::new();
    if let Some((offset, first_line)) = body_start {
        let body = bytes.get(offset..).unwrap_or_default();
        let threads = std::thread::available_parallelism()
            .map_or(1, usize::from)
            .clamp(1, 8);
        if threads > 1 && body.len() >= PARALLEL_MIN_BYTES {
            entries = ctx.lines_parallel(body, first_line, threads)?;
        } else {
            // One cheap vectorised pass to size the entry vector: avoids
            // the copies and the 2x peak memory of growing a multi-GB
            // vector. Capped by the shortest possible entry line
            // (`url a\n`, 6 bytes) so a file of blank lines cannot make us
            // reserve 72x its size.
            entries.reserve((lines - first_line + 1).min(body.len() / 6 + 1));
            ctx.lines(body, first_line, &mut entries)?;
        }
    }
    if entries.capacity() - entries.len() > entries.len() / 4 {
        entries.shrink_to_fit();
    }
    check_count(
        header.declared,
        entries.len(),
        !bytes.is_empty() && !bytes.ends_with(b"\n"),
        lines,
    )?;
    let (meta, _) = header.finish();
    Ok(List { meta, entries })
}

impl List {
    /// Parse the text format (see `FORMAT.md`). `default_id` is the id used
    /// when the header has no `id` key; it is sanitised with
    /// [`ListMeta::sanitise_id`].
    pub fn from_text(bytes: &[u8], default_id: &str) -> Result<List, Error> {
        parse(bytes, default_id)
    }

    /// Read and parse a file. The default id is the file stem, sanitised;
    /// errors carry `path`.
    pub fn read_file(path: &Path) -> Result<List, Error> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy())
            .unwrap_or_default();
        List::from_text(&bytes, &stem).map_err(|e| e.with_path(path))
    }
}

impl Entry {
    /// Parse one entry line of the text format (`[@added] kind value
    /// [reference]`), validating and normalising the value as the list
    /// parser does.
    pub fn from_line(line: &str) -> Result<Entry, Error> {
        parse_entry(line.trim_matches([' ', '\t']))
    }

    /// An entry of `kind` with `value` and `reference`, validated and
    /// normalised as the parser does (hex lower-cased); a blank reference
    /// is none. No added-at time.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidValue`]: a malformed value, a value with
    /// whitespace or control characters, a reference with control
    /// characters, or an entry too long for one line of the format.
    pub fn new(kind: EntryKind, value: &str, reference: Option<&str>) -> Result<Entry, Error> {
        let value = kind.normalise_value(value)?;
        let reference = reference
            .map(|r| r.trim_matches(is_blank))
            .filter(|r| !r.is_empty());
        if let Some(c) = reference.and_then(|r| r.chars().find(|&c| c.is_control() && c != '\t')) {
            return Err(Error::new(
                ErrorKind::InvalidValue,
                format!("reference contains control character {c:?}"),
            ));
        }
        // `@<time> kind value reference`: the time is at most 40 bytes.
        let line =
            40 + kind.as_str().len() + value.len() + reference.map_or(0, |r| r.len() + 1) + 2;
        if line > MAX_LINE_LEN {
            return Err(Error::new(
                ErrorKind::InvalidValue,
                format!(
                    "the entry would be a line of about {line} bytes, longer than the {MAX_LINE_LEN} byte limit"
                ),
            ));
        }
        Ok(Entry {
            kind,
            value,
            reference: reference.map(str::to_owned),
            added: None,
        })
    }
}
