//! Editing a trust store file in place: adding and removing keys while
//! every other line (comments, the operator's notes) stays as written.

use std::path::Path;

use super::{TrustStore, TrustedKey, parse_line, trust_line};
use crate::atomic::write_atomic;
use crate::error::{Error, ErrorKind, clip};

/// One line of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Line {
    /// A comment, a blank line: kept as it is.
    Other(String),
    /// A key line, parsed, with its text.
    Key(Box<TrustedKey>, String),
}

/// A trust store file being edited (`FORMAT.md`, "Trust store").
///
/// ```
/// use hashwall_lists::{SecretKey, TrustFile, TrustedKey};
///
/// let key = SecretKey::from_seed(&[4; 32]).public_key();
/// let mut file = TrustFile::from_text(b"# partners, reviewed 2026-11\n")?;
/// file.add(TrustedKey { issuer: "Police".into(), key, not_before: None, not_after: None })?;
/// assert!(file.add(TrustedKey { issuer: "Police".into(), key, not_before: None, not_after: None }).is_err());
/// assert_eq!(file.store().keys_for("Police").count(), 1);
/// assert!(file.to_text().starts_with("# partners, reviewed 2026-11\n"));
///
/// let gone = file.remove(|k| k.key_id() == key.key_id());
/// assert_eq!(gone.len(), 1);
/// assert_eq!(file.to_text(), "# partners, reviewed 2026-11\n");
/// # Ok::<(), hashwall_lists::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustFile {
    lines: Vec<Line>,
}

impl TrustFile {
    /// The header comment of a new store file.
    const HEADER: &'static str =
        "# hashwall trust store: ed25519 key-id public-key not-before not-after issuer";

    /// Parse a store's text (as [`TrustStore::from_text`] does).
    pub fn from_text(bytes: &[u8]) -> Result<TrustFile, Error> {
        let text = std::str::from_utf8(bytes)
            .map_err(|_| Error::new(ErrorKind::InvalidUtf8, "trust store is not UTF-8"))?;
        let mut lines = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim_matches([' ', '\t', '\r']);
            if line.is_empty() || line.starts_with('#') {
                lines.push(Line::Other(raw.trim_end_matches('\r').to_owned()));
            } else {
                let key = parse_line(line).map_err(|e| e.at_line(i + 1))?;
                lines.push(Line::Key(Box::new(key), line.to_owned()));
            }
        }
        Ok(TrustFile { lines })
    }

    /// Read the store file at `path`; a file that does not exist yet is an
    /// empty store (written with a header comment by [`TrustFile::write`]).
    pub fn read(path: &Path) -> Result<TrustFile, Error> {
        match std::fs::read(path) {
            Ok(b) => TrustFile::from_text(&b).map_err(|e| e.with_path(path)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(TrustFile {
                lines: vec![Line::Other(TrustFile::HEADER.to_owned())],
            }),
            Err(e) => Err(Error::io(path, e)),
        }
    }

    /// The keys, as a store.
    pub fn store(&self) -> TrustStore {
        let mut s = TrustStore::new();
        for l in &self.lines {
            if let Line::Key(k, _) = l {
                s.add((**k).clone());
            }
        }
        s
    }

    /// Append `key`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::DuplicateKey`] when the store already trusts this key
    /// for this issuer (remove it first to change its window);
    /// [`ErrorKind::InvalidKey`] for an issuer that is empty or has control
    /// characters, or a window that ends before it starts.
    pub fn add(&mut self, key: TrustedKey) -> Result<(), Error> {
        let line = trust_line(&key);
        // What is written must read back as this key.
        if parse_line(&line).ok().as_ref() != Some(&key) || key.issuer.trim() != key.issuer {
            return Err(Error::new(
                ErrorKind::InvalidKey,
                format!(
                    "cannot trust key {} for issuer {:?}: the issuer must be non-empty text without control characters or surrounding blanks, and not-after not before not-before",
                    key.key_id(),
                    clip(&key.issuer)
                ),
            ));
        }
        let dup = self
            .lines
            .iter()
            .any(|l| matches!(l, Line::Key(k, _) if k.key == key.key && k.issuer == key.issuer));
        if dup {
            return Err(Error::new(
                ErrorKind::DuplicateKey,
                format!(
                    "key {} is already trusted for issuer {:?}",
                    key.key_id(),
                    clip(&key.issuer)
                ),
            ));
        }
        self.lines.push(Line::Key(Box::new(key), line));
        Ok(())
    }

    /// Remove every key for which `matches` holds; returns them, in file
    /// order.
    pub fn remove(&mut self, matches: impl Fn(&TrustedKey) -> bool) -> Vec<TrustedKey> {
        let mut gone = Vec::new();
        self.lines.retain(|l| match l {
            Line::Key(k, _) if matches(k) => {
                gone.push((**k).clone());
                false
            }
            _ => true,
        });
        gone
    }

    /// The file's text.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for l in &self.lines {
            match l {
                Line::Other(t) | Line::Key(_, t) => out.push_str(t),
            }
            out.push('\n');
        }
        out
    }

    /// Replace the file at `path` with this store, atomically.
    pub fn write(&self, path: &Path) -> Result<(), Error> {
        let text = self.to_text();
        write_atomic(path, |w| w.write_all(text.as_bytes()))
    }
}
