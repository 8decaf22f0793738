//! Writing the text format: [`List::to_text`], [`List::write_text`].

use std::fmt::Write as _;

use super::FORMAT_VERSION;
use crate::model::{Entry, List, ListMeta};

/// Write the header block, ending with a blank line. A signed list also
/// gets `entries` (so a cut file is reported as such) and `signature`.
pub(crate) fn write_header(m: &ListMeta, entries: usize, out: &mut String) {
    // Writing to a String cannot fail.
    let _ = writeln!(out, "# hashwall-list: {FORMAT_VERSION}");
    let _ = writeln!(out, "# id: {}", m.id);
    let _ = writeln!(out, "# issuer: {}", m.issuer);
    let _ = writeln!(out, "# name: {}", m.name);
    let _ = writeln!(out, "# jurisdiction: {}", m.jurisdiction);
    let _ = writeln!(out, "# category: {}", m.category);
    let _ = writeln!(out, "# policy: {}", m.policy);
    let _ = writeln!(out, "# sequence: {}", m.sequence);
    let _ = writeln!(out, "# created: {}", m.created);
    if let Some(e) = m.expires {
        let _ = writeln!(out, "# expires: {e}");
    }
    if let Some(s) = &m.signature {
        let _ = writeln!(out, "# entries: {entries}");
        let _ = writeln!(out, "# signature: {s}");
    }
    out.push('\n');
}

/// Write one entry line.
pub(crate) fn write_entry(e: &Entry, out: &mut String) {
    if let Some(t) = e.added {
        let _ = write!(out, "@{t} ");
    }
    out.push_str(e.kind.as_str());
    out.push(' ');
    out.push_str(&e.value);
    if let Some(r) = &e.reference {
        out.push(' ');
        out.push_str(r);
    }
    out.push('\n');
}

impl List {
    /// Write the list in the text format: a full header, a blank line, then
    /// one entry per line. `from_text(to_text(l)) == l` for every list whose
    /// fields satisfy the format's rules (as every parsed list does).
    pub fn to_text(&self) -> String {
        let mut out = String::with_capacity(256 + self.entries.len() * 48);
        write_header(&self.meta, self.entries.len(), &mut out);
        for e in &self.entries {
            write_entry(e, &mut out);
        }
        out
    }

    /// Like [`List::to_text`], written to `w` in chunks.
    pub fn write_text<W: std::io::Write + ?Sized>(&self, w: &mut W) -> std::io::Result<()> {
        const CHUNK: usize = 64 * 1024;
        let mut buf = String::with_capacity(CHUNK + 1024);
        write_header(&self.meta, self.entries.len(), &mut buf);
        for e in &self.entries {
            write_entry(e, &mut buf);
            if buf.len() >= CHUNK {
                w.write_all(buf.as_bytes())?;
                buf.clear();
            }
        }
        w.write_all(buf.as_bytes())?;
        w.flush()
    }
}
