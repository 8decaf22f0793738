//! The delta text format (`FORMAT.md`, "Deltas"): parser and writer.

use std::fmt::Write as _;
use std::path::Path;

use super::Delta;
use crate::audit::AuditOp;
use crate::error::{Error, ErrorKind, clip};
use crate::model::ListMeta;
use crate::text::write::write_entry;
use crate::text::{FORMAT_VERSION, MAX_LINE_LEN, parse_entry, parse_u64};
use crate::time::Timestamp;

impl Delta {
    /// Parse the delta text format (`FORMAT.md`, "Deltas").
    pub fn from_text(bytes: &[u8]) -> Result<Delta, Error> {
        parse(bytes)
    }

    /// Read and parse a delta file; errors carry the path.
    pub fn read_file(path: &Path) -> Result<Delta, Error> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Delta::from_text(&bytes).map_err(|e| e.with_path(path))
    }

    /// The delta in its text format.
    pub fn to_text(&self) -> String {
        let mut out = String::with_capacity(512 + 48 * (self.added.len() + self.removed.len()));
        let _ = writeln!(out, "# hashwall-delta: {FORMAT_VERSION}");
        let _ = writeln!(out, "# id: {}", self.list_id);
        let _ = writeln!(out, "# issuer: {}", self.issuer);
        let _ = writeln!(out, "# from: {}", self.from);
        let _ = writeln!(out, "# to: {}", self.to);
        let _ = writeln!(out, "# created: {}", self.created);
        if let Some(e) = self.expires {
            let _ = writeln!(out, "# expires: {e}");
        }
        let _ = writeln!(out, "# changes: {}", self.removed.len() + self.added.len());
        if let Some(s) = self.list_signature {
            let _ = writeln!(out, "# list-signature: {s}");
        }
        if let Some(s) = self.signature {
            let _ = writeln!(out, "# signature: {s}");
        }
        out.push('\n');
        for (op, entries) in [("- ", &self.removed), ("+ ", &self.added)] {
            for e in entries {
                out.push_str(op);
                write_entry(e, &mut out);
            }
        }
        out
    }
}

fn parse(bytes: &[u8]) -> Result<Delta, Error> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        Error::new(ErrorKind::InvalidUtf8, "invalid UTF-8").at_line(line)
    })?;
    // Deltas are machine-written and every line ends with LF: a file that
    // does not was cut short, whatever line the cut fell in (a cut header
    // line would otherwise show up as, say, a bad timestamp).
    if !text.is_empty() && !text.ends_with('\n') {
        return Err(Error::new(
            ErrorKind::Truncated,
            "the delta ends without a line end: it was cut short",
        )
        .at_line(text.bytes().filter(|&b| b == b'\n').count() + 1));
    }
    let mut d = Delta {
        list_id: String::new(),
        issuer: String::new(),
        from: 0,
        to: 0,
        created: Timestamp::UNIX_EPOCH,
        expires: None,
        removed: Vec::new(),
        added: Vec::new(),
        list_signature: None,
        signature: None,
    };
    let mut seen: Vec<&str> = Vec::new();
    let mut changes: Option<u64> = None;
    let mut in_header = true;
    let mut last_line = 0;
    let total = text.bytes().filter(|&b| b == b'\n').count() + 1;
    for (i, raw) in text.split('\n').enumerate() {
        let lineno = i + 1;
        last_line = lineno;
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if raw.len() > MAX_LINE_LEN {
            return Err(Error::new(ErrorKind::LineTooLong, "line too long").at_line(lineno));
        }
        let line = raw.trim_matches([' ', '\t']);
        if line.is_empty() {
            continue;
        }
        let at = |e: Error| e.at_line(lineno);
        if let Some(body) = line.strip_prefix('#') {
            if !in_header {
                continue;
            }
            let Some((key, value)) = body.split_once(':') else {
                continue;
            };
            let key = key.trim_matches([' ', '\t']).to_ascii_lowercase();
            if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                continue;
            }
            let v = value.trim_matches([' ', '\t']);
            if key.starts_with("x-") {
                continue;
            }
            const KEYS: [&str; 10] = [
                "hashwall-delta",
                "id",
                "issuer",
                "from",
                "to",
                "created",
                "expires",
                "changes",
                "list-signature",
                "signature",
            ];
            let Some(k) = KEYS.iter().find(|k| **k == key) else {
                return Err(at(Error::new(
                    ErrorKind::UnknownHeaderKey,
                    format!("unknown delta header key {:?}", clip(&key)),
                )));
            };
            if seen.contains(k) {
                return Err(at(Error::new(
                    ErrorKind::DuplicateHeaderKey,
                    format!("duplicate header key {k:?}"),
                )));
            }
            seen.push(k);
            match *k {
                "hashwall-delta" if v != "1" => {
                    return Err(at(Error::new(
                        ErrorKind::UnsupportedVersion,
                        format!("unsupported hashwall-delta version {:?}", clip(v)),
                    )));
                }
                "hashwall-delta" => {}
                "id" => {
                    if !ListMeta::is_valid_id(v) {
                        return Err(at(Error::new(
                            ErrorKind::InvalidId,
                            format!("invalid id {:?}", clip(v)),
                        )));
                    }
                    d.list_id = v.to_owned();
                }
                "issuer" => {
                    if v.is_empty() || v.chars().any(|c| c.is_control() && c != '\t') {
                        return Err(at(Error::new(
                            ErrorKind::InvalidHeaderValue,
                            "issuer must be non-empty text",
                        )));
                    }
                    d.issuer = v.to_owned();
                }
                "from" => d.from = parse_u64(v, ErrorKind::InvalidSequence, "from").map_err(at)?,
                "to" => d.to = parse_u64(v, ErrorKind::InvalidSequence, "to").map_err(at)?,
                "created" => d.created = v.parse().map_err(at)?,
                "expires" => d.expires = Some(v.parse().map_err(at)?),
                "changes" => {
                    changes =
                        Some(parse_u64(v, ErrorKind::InvalidHeaderValue, "changes").map_err(at)?);
                }
                "list-signature" => d.list_signature = Some(v.parse().map_err(at)?),
                _ => d.signature = Some(v.parse().map_err(at)?),
            }
            continue;
        }
        in_header = false;
        let (op, rest) = match line.as_bytes().first() {
            Some(b'+') => (AuditOp::Add, &line[1..]),
            Some(b'-') => (AuditOp::Remove, &line[1..]),
            _ => {
                return Err(at(Error::new(
                    ErrorKind::InvalidValue,
                    "delta lines must start with `+ ` (add) or `- ` (remove)",
                )));
            }
        };
        let e = match parse_entry(rest.trim_start_matches([' ', '\t'])) {
            Ok(e) => e,
            // The writer ends every line with LF: a bad fragment at the very
            // end of a file without one is a cut file, not a bad entry.
            Err(_) if !text.ends_with('\n') && lineno == total => {
                return Err(at(Error::new(
                    ErrorKind::Truncated,
                    "the delta ends in the middle of a change line: it was cut short",
                )));
            }
            Err(e) => return Err(at(e)),
        };
        match op {
            AuditOp::Remove => d.removed.push(e),
            // `+` lines (the parser makes no other op).
            _ => d.added.push(e),
        }
    }
    for required in ["hashwall-delta", "id", "issuer", "from", "to", "changes"] {
        if !seen.contains(&required) {
            return Err(Error::new(
                ErrorKind::InvalidHeaderValue,
                format!("delta header lacks `# {required}:`"),
            ));
        }
    }
    let have = (d.added.len() + d.removed.len()) as u64;
    match changes {
        Some(n) if have < n => Err(Error::new(
            ErrorKind::Truncated,
            format!(
                "the header declares {n} changes but the file holds only {have}: it was cut short"
            ),
        )
        .at_line(last_line)),
        Some(n) if have > n => Err(Error::new(
            ErrorKind::InvalidHeaderValue,
            format!("the header declares {n} changes but the file holds {have}"),
        )),
        _ => Ok(d),
    }
}
