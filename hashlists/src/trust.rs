//! The trust store: which keys may sign for which issuer, and when.
//!
//! Key rotation is two entries for one issuer with overlapping validity
//! windows: lists signed by either key during the overlap verify, and a list
//! claiming to be signed by the old key after its `not-after` is refused
//! ([`ErrorKind::RetiredKey`]). The window is checked against the list's
//! signed `created` time, so lists legitimately signed before a routine
//! retirement keep loading until they expire; a *compromised* key must be
//! removed from the store instead, which refuses everything it signed.

use std::path::Path;

use crate::error::{Error, ErrorKind, clip};
use crate::key::{KeyId, PublicKey};
use crate::model::{List, ListMeta};
use crate::time::Timestamp;

mod edit;

pub use edit::TrustFile;

/// How far in the future a list's `created` time may be (clock skew between
/// issuer and us) before it is refused.
pub const MAX_CLOCK_SKEW_SECS: i64 = 300;

/// One trusted key: the issuer it may sign for and its validity window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedKey {
    /// The issuer, exactly as in the lists' `issuer` header.
    pub issuer: String,
    /// The public key.
    pub key: PublicKey,
    /// Lists created before this time are not accepted from this key.
    pub not_before: Option<Timestamp>,
    /// Lists created after this time are not accepted from this key (the
    /// key is retired).
    pub not_after: Option<Timestamp>,
}

impl TrustedKey {
    /// The key's id.
    pub fn key_id(&self) -> KeyId {
        self.key.key_id()
    }

    /// Whether a list created at `t` may be signed by this key.
    pub fn valid_at(&self, t: Timestamp) -> bool {
        self.not_before.is_none_or(|nb| t >= nb) && self.not_after.is_none_or(|na| t <= na)
    }
}

/// Which keys may sign for which issuer. See `FORMAT.md`, "Trust store".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustStore {
    keys: Vec<TrustedKey>,
}

/// A successful signature check: who signed, with which key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The list's issuer.
    pub issuer: String,
    /// The id of the key that signed it.
    pub key_id: KeyId,
}

impl TrustStore {
    /// An empty store (trusts nothing).
    pub fn new() -> TrustStore {
        TrustStore::default()
    }

    /// Add a key.
    pub fn add(&mut self, key: TrustedKey) {
        self.keys.push(key);
    }

    /// All keys, in file order.
    pub fn keys(&self) -> &[TrustedKey] {
        &self.keys
    }

    /// The keys trusted for `issuer`.
    pub fn keys_for<'a, 'b>(
        &'a self,
        issuer: &'b str,
    ) -> impl Iterator<Item = &'a TrustedKey> + use<'a, 'b> {
        self.keys.iter().filter(move |k| k.issuer == issuer)
    }

    /// Parse a trust store: `#` comments, blank lines, and lines
    /// `ed25519 <key-id> <public-hex> <not-before|-> <not-after|-> <issuer…>`.
    pub fn from_text(bytes: &[u8]) -> Result<TrustStore, Error> {
        let text = std::str::from_utf8(bytes)
            .map_err(|_| Error::new(ErrorKind::InvalidUtf8, "trust store is not UTF-8"))?;
        let mut store = TrustStore::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim_matches([' ', '\t', '\r']);
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            store.add(parse_line(line).map_err(|e| e.at_line(i + 1))?);
        }
        Ok(store)
    }

    /// Read a trust store file.
    pub fn load(path: &Path) -> Result<TrustStore, Error> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        TrustStore::from_text(&bytes).map_err(|e| e.with_path(path))
    }

    /// The store in its file format.
    pub fn to_text(&self) -> String {
        let mut out = String::from(
            "# hashwall trust store: ed25519 key-id public-key not-before not-after issuer\n",
        );
        for k in &self.keys {
            out.push_str(&trust_line(k));
            out.push('\n');
        }
        out
    }
}

/// One trust store line for `k` (without the newline).
pub fn trust_line(k: &TrustedKey) -> String {
    let t = |t: Option<Timestamp>| t.map_or_else(|| "-".to_owned(), |t| t.to_string());
    format!(
        "ed25519 {} {} {} {} {}",
        k.key_id(),
        k.key.to_hex(),
        t(k.not_before),
        t(k.not_after),
        k.issuer
    )
}

/// Parse one key line of a trust store.
pub(crate) fn parse_line(line: &str) -> Result<TrustedKey, Error> {
    // What `hashwall lists keygen` writes is a key file, not a store line:
    // say how to make a store of it.
    let first = line.split([' ', '\t']).next().unwrap_or("");
    if first == crate::key::PUBLIC_TAG {
        return Err(Error::new(
            ErrorKind::InvalidKey,
            "this is a public key file, not a trust store: a store names the issuer each \
             key signs for (`hashwall lists trust add STORE KEY.pub --issuer NAME` makes one)",
        ));
    }
    if first == crate::key::SECRET_TAG {
        return Err(Error::new(
            ErrorKind::InvalidKey,
            "this is a SECRET key file, not a trust store: keep it private and trust its \
             .pub file instead (`hashwall lists trust add STORE KEY.pub --issuer NAME`)",
        ));
    }
    let mut rest = line;
    let mut next = || -> Option<&str> {
        let r = rest.trim_start_matches([' ', '\t']);
        let end = r.find([' ', '\t']).unwrap_or(r.len());
        let (tok, tail) = r.split_at(end);
        rest = tail;
        (!tok.is_empty()).then_some(tok)
    };
    let bad = |m: &str| Error::new(ErrorKind::InvalidKey, m.to_owned());
    let usage =
        "expected `ed25519 <key-id> <public-key-hex> <not-before|-> <not-after|-> <issuer>`";
    let (Some(alg), Some(id), Some(pk), Some(nb), Some(na)) =
        (next(), next(), next(), next(), next())
    else {
        return Err(bad(usage));
    };
    if alg != "ed25519" {
        return Err(bad(&format!(
            "unsupported key algorithm {:?}; {usage}",
            clip(alg)
        )));
    }
    let id: KeyId = id.parse()?;
    let key = PublicKey::from_hex(pk)?;
    if key.key_id() != id {
        return Err(bad(&format!(
            "key id {id} does not match the public key (its id is {})",
            key.key_id()
        )));
    }
    let time = |s: &str| -> Result<Option<Timestamp>, Error> {
        if s == "-" {
            Ok(None)
        } else {
            s.parse().map(Some)
        }
    };
    let (not_before, not_after) = (time(nb)?, time(na)?);
    if let (Some(b), Some(a)) = (not_before, not_after)
        && a < b
    {
        return Err(bad("not-after is before not-before"));
    }
    let issuer = rest.trim_matches([' ', '\t']);
    if issuer.is_empty() || issuer.chars().any(|c| c.is_control() && c != '\t') {
        return Err(bad(usage));
    }
    Ok(TrustedKey {
        issuer: issuer.to_owned(),
        key,
        not_before,
        not_after,
    })
}

impl List {
    /// Check the list's signature: it must be signed, by a key the trust
    /// store holds for the list's issuer, valid at the list's `created`
    /// time, and `created` must not be in the future of `now` (beyond
    /// [`MAX_CLOCK_SKEW_SECS`]). Expiry is not checked here; see
    /// [`Loader`](crate::Loader).
    pub fn verify(&self, trust: &TrustStore, now: Timestamp) -> Result<Verified, Error> {
        verify_signed(&self.meta, || self.signed_digest(), trust, now)
    }

    /// Whether the list is past its `expires` time at `now`.
    pub fn is_expired(&self, now: Timestamp) -> bool {
        self.meta.expires.is_some_and(|e| now >= e)
    }
}

/// The checks of [`List::verify`] for a list whose header is `m` and whose
/// canonical digest `digest` computes (lazily: it is the expensive part, and
/// trust is checked first).
pub(crate) fn verify_signed(
    m: &ListMeta,
    digest: impl FnOnce() -> [u8; 32],
    trust: &TrustStore,
    now: Timestamp,
) -> Result<Verified, Error> {
    let sig = m
        .signature
        .ok_or_else(|| Error::new(ErrorKind::Unsigned, format!("list {} is not signed", m.id)))?;
    let tk = trusted_key(trust, &m.issuer, sig.key_id)?;
    tk.key.verify_digest(&digest(), &sig)?;
    check_window(tk, &m.issuer, m.created, now)?;
    Ok(Verified {
        issuer: m.issuer.clone(),
        key_id: sig.key_id,
    })
}

/// The key `id` if the store trusts it for `issuer`.
pub(crate) fn trusted_key<'a>(
    trust: &'a TrustStore,
    issuer: &str,
    id: KeyId,
) -> Result<&'a TrustedKey, Error> {
    if trust.keys_for(issuer).next().is_none() {
        return Err(Error::new(
            ErrorKind::UntrustedKey,
            format!("issuer {:?} has no keys in the trust store", clip(issuer)),
        ));
    }
    trust
        .keys_for(issuer)
        .find(|k| k.key_id() == id)
        .ok_or_else(|| {
            let other = trust.keys().iter().find(|k| k.key_id() == id);
            let hint = other.map_or_else(String::new, |k| {
                format!(" (it is trusted for issuer {:?})", clip(&k.issuer))
            });
            Error::new(
                ErrorKind::UntrustedKey,
                format!(
                    "key {id} is not trusted for issuer {:?}{hint}",
                    clip(issuer)
                ),
            )
        })
}

/// Refuse a signature made (by its signed `created` time) outside the key's
/// window, or dated in the future.
pub(crate) fn check_window(
    tk: &TrustedKey,
    issuer: &str,
    created: Timestamp,
    now: Timestamp,
) -> Result<(), Error> {
    if !tk.valid_at(created) {
        let t = |t: Option<Timestamp>| t.map_or_else(|| "-".to_owned(), |t| t.to_string());
        return Err(Error::new(
            ErrorKind::RetiredKey,
            format!(
                "key {} of issuer {:?} is valid from {} to {}, but this was signed (created) {created}",
                tk.key_id(),
                clip(issuer),
                t(tk.not_before),
                t(tk.not_after),
            ),
        ));
    }
    if created.unix_seconds() > now.unix_seconds().saturating_add(MAX_CLOCK_SKEW_SECS) {
        return Err(Error::new(
            ErrorKind::FutureDated,
            format!("created {created} is in the future (now {now})"),
        ));
    }
    Ok(())
}
