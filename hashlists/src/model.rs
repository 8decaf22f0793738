//! The list data model: [`List`], [`ListMeta`], [`Entry`], [`Policy`], [`Category`].

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use crate::error::{Error, ErrorKind};
use crate::jurisdiction::Jurisdiction;
use crate::kind::EntryKind;
use crate::sign::Signature;
use crate::time::Timestamp;

/// Longest list id, in bytes.
pub const MAX_ID_LEN: usize = 64;

/// Longest [`Category::Other`] token, in bytes.
pub const MAX_CATEGORY_LEN: usize = 64;

/// A blocklist: its metadata and its entries, in file order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct List {
    /// Who issued the list, what it covers, and its version.
    pub meta: ListMeta,
    /// The entries, in the order they appear in the file. Duplicates are kept.
    pub entries: Vec<Entry>,
}

/// A list's metadata: the `# key: value` header of the text format.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ListMeta {
    /// Identifier, `[A-Za-z0-9._-]`, 1 to 64 characters.
    pub id: String,
    /// Who maintains the list: `"IWF"`, `"BKA"`, `"local"`.
    pub issuer: String,
    /// Human-readable name.
    pub name: String,
    /// Where the list applies.
    pub jurisdiction: Jurisdiction,
    /// What kind of content it lists.
    pub category: Category,
    /// The issuer's default policy for matches.
    pub policy: Policy,
    /// The issuer's version number; higher is newer.
    pub sequence: u64,
    /// When the issuer produced this version.
    pub created: Timestamp,
    /// After this time the list should no longer be trusted, if set.
    pub expires: Option<Timestamp>,
    /// The issuer's signature over the list's canonical form
    /// (`# signature:`), if signed. See [`List::sign`] and [`List::verify`].
    pub signature: Option<Signature>,
}

impl ListMeta {
    /// Metadata for a list without a header: issuer `local`, name = `id`,
    /// jurisdiction `INT`, category `other`, policy `block`, sequence 0,
    /// created at the Unix epoch, no expiry.
    ///
    /// `id` is used as given; [`List::from_text`] sanitises it first.
    pub fn with_defaults(id: &str) -> ListMeta {
        ListMeta {
            id: id.to_owned(),
            issuer: "local".to_owned(),
            name: id.to_owned(),
            jurisdiction: Jurisdiction::INTERNATIONAL,
            category: Category::Other("other".into()),
            policy: Policy::Block,
            sequence: 0,
            created: Timestamp::UNIX_EPOCH,
            expires: None,
            signature: None,
        }
    }

    /// Whether `id` is a valid list id: `[A-Za-z0-9._-]`, 1 to 64 characters.
    pub fn is_valid_id(id: &str) -> bool {
        !id.is_empty() && id.len() <= MAX_ID_LEN && id.bytes().all(is_id_byte)
    }

    /// Turn any string (such as a file stem) into a valid id: characters
    /// outside `[A-Za-z0-9._-]` become `_`, the result is cut to 64
    /// characters, and an empty result becomes `list`.
    pub fn sanitise_id(raw: &str) -> String {
        let mut id: String = raw
            .chars()
            .take(MAX_ID_LEN)
            .map(|c| {
                if c.is_ascii() && is_id_byte(c as u8) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        if id.is_empty() {
            id.push_str("list");
        }
        id
    }
}

fn is_id_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')
}

/// One list entry: a URL, domain or hash, and the issuer's reference for it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Entry {
    /// What `value` is.
    pub kind: EntryKind,
    /// The value; hex digits are stored lower case, URL kinds as written.
    pub value: String,
    /// The issuer's reference (case number, ...), if any; may contain spaces.
    pub reference: Option<String>,
    /// When the issuer added the entry, if recorded (`@time` prefix).
    pub added: Option<Timestamp>,
}

impl Entry {
    /// Parse one entry line of the text format (`[@added] kind value
    /// [reference]`), validating and normalising the value as the list
    /// parser does.
    pub fn from_line(line: &str) -> Result<Entry, Error> {
        crate::text::parse_entry(line.trim_matches([' ', '\t']))
    }
}

/// What to do when something matches a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Policy {
    /// Block the request (`block`).
    #[default]
    Block,
    /// Match and count, never block (`monitor`).
    Monitor,
    /// Override blocks from other lists, for false positives (`allow`).
    Allow,
}

impl Policy {
    /// The token: `"block"`, `"monitor"` or `"allow"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Policy::Block => "block",
            Policy::Monitor => "monitor",
            Policy::Allow => "allow",
        }
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Policy {
    type Err = Error;

    /// ASCII case-insensitive.
    fn from_str(s: &str) -> Result<Policy, Error> {
        [Policy::Block, Policy::Monitor, Policy::Allow]
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidPolicy,
                    format!(
                        "invalid policy {:?}: expected block, monitor or allow",
                        crate::text::clip(s)
                    ),
                )
            })
    }
}

/// What kind of content a list covers.
///
/// Tokens are lower case `[a-z0-9-]`, 1 to 64 characters; parsing is ASCII
/// case-insensitive and lower-cases. Tokens other than `csam`, `terrorism`
/// and `malware` (including `other` itself) are kept as [`Category::Other`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
    /// Child sexual abuse material (`csam`).
    Csam,
    /// Terrorist content (`terrorism`).
    Terrorism,
    /// Malware (`malware`).
    Malware,
    /// Any other token, such as `other` or `phishing`, stored lower case.
    Other(Box<str>),
}

impl Category {
    /// The token.
    pub fn as_str(&self) -> &str {
        match self {
            Category::Csam => "csam",
            Category::Terrorism => "terrorism",
            Category::Malware => "malware",
            Category::Other(s) => s,
        }
    }
}

impl Default for Category {
    fn default() -> Category {
        Category::Other("other".into())
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Category {
    type Err = Error;

    fn from_str(s: &str) -> Result<Category, Error> {
        let ok = !s.is_empty()
            && s.len() <= MAX_CATEGORY_LEN
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !ok {
            return Err(Error::new(
                ErrorKind::InvalidCategory,
                format!(
                    "invalid category {:?}: expected a token of a-z, 0-9 and '-', at most {MAX_CATEGORY_LEN} long",
                    crate::text::clip(s)
                ),
            ));
        }
        let lower = s.to_ascii_lowercase();
        Ok(match lower.as_str() {
            "csam" => Category::Csam,
            "terrorism" => Category::Terrorism,
            "malware" => Category::Malware,
            _ => Category::Other(lower.into_boxed_str()),
        })
    }
}

impl List {
    /// Parse the text format (see `FORMAT.md`). `default_id` is the id used
    /// when the header has no `id` key; it is sanitised with
    /// [`ListMeta::sanitise_id`].
    pub fn from_text(bytes: &[u8], default_id: &str) -> Result<List, Error> {
        crate::text::parse(bytes, default_id)
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

    /// Write the list in the text format: a full header, a blank line, then
    /// one entry per line. `from_text(to_text(l)) == l` for every list whose
    /// fields satisfy the format's rules (as every parsed list does).
    pub fn to_text(&self) -> String {
        let mut out = String::with_capacity(256 + self.entries.len() * 48);
        crate::text::write_header(&self.meta, self.entries.len(), &mut out);
        for e in &self.entries {
            crate::text::write_entry(e, &mut out);
        }
        out
    }

    /// Like [`List::to_text`], written to `w` in chunks.
    pub fn write_text<W: std::io::Write + ?Sized>(&self, w: &mut W) -> std::io::Result<()> {
        const CHUNK: usize = 64 * 1024;
        let mut buf = String::with_capacity(CHUNK + 1024);
        crate::text::write_header(&self.meta, self.entries.len(), &mut buf);
        for e in &self.entries {
            crate::text::write_entry(e, &mut buf);
            if buf.len() >= CHUNK {
                w.write_all(buf.as_bytes())?;
                buf.clear();
            }
        }
        w.write_all(buf.as_bytes())?;
        w.flush()
    }
}
