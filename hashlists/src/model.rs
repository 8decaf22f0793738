//! The list data model: [`List`], [`ListMeta`], [`Entry`], [`Policy`], [`Category`].
//!
//! Plain data: reading and writing the text format is in [`crate::text`],
//! signing in [`crate::sign`], checking signatures in [`crate::trust`].

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, ErrorKind, clip};
use crate::jurisdiction::Jurisdiction;
use crate::key::Signature;
use crate::kind::EntryKind;
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
                        clip(s)
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
                    clip(s)
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
