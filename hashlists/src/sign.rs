//! Keys, key ids, signatures and the canonical byte form that is signed.
//!
//! An issuer signs a list (or a delta) with ed25519 over the SHA-256 digest
//! of a canonical, length-prefixed serialisation of its fields (see
//! `FORMAT.md`, "Signatures"). The canonical form ignores everything the text
//! format lets a re-formatter change (comments, blank lines, CRLF, hex case,
//! header order), so a re-formatted file still verifies, and it starts with a
//! domain-separation tag so a list signature can never be replayed as a delta
//! signature or the other way round.

use std::fmt;
use std::io::Write as _;
use std::path::Path;
use std::str::FromStr;

use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest as _, Sha256};

use crate::error::{Error, ErrorKind};
use crate::model::{Entry, List, ListMeta};
use crate::time::Timestamp;

/// Domain-separation tag that starts the canonical form of a list.
pub const LIST_DOMAIN: &[u8] = b"hashwall-list-v1\0";

/// Domain-separation tag that starts the canonical form of a delta.
pub const DELTA_DOMAIN: &[u8] = b"hashwall-delta-v1\0";

/// First token of a public key file's key line.
const PUBLIC_TAG: &str = "hashwall-ed25519-public";
/// First token of a secret key file's key line.
const SECRET_TAG: &str = "hashwall-ed25519-secret";

/// Lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    s
}

/// Decode exactly `N` bytes of hex (either case).
pub(crate) fn unhex<const N: usize>(s: &str, what: &str) -> Result<[u8; N], Error> {
    let b = s.as_bytes();
    if b.len() != 2 * N {
        return Err(Error::new(
            ErrorKind::InvalidKey,
            format!("{what} must be {} hex digits, got {}", 2 * N, b.len()),
        ));
    }
    let nib = |c: u8| -> Result<u8, Error> {
        match c {
            b'0'..=b'9' => Ok(c - b'0'),
            b'a'..=b'f' => Ok(c - b'a' + 10),
            b'A'..=b'F' => Ok(c - b'A' + 10),
            _ => Err(Error::new(
                ErrorKind::InvalidKey,
                format!("{what} contains a non-hex character"),
            )),
        }
    };
    let mut out = [0u8; N];
    for (o, pair) in out.iter_mut().zip(b.chunks_exact(2)) {
        if let [hi, lo] = pair {
            *o = (nib(*hi)? << 4) | nib(*lo)?;
        }
    }
    Ok(out)
}

/// A key id: the first 8 bytes of the SHA-256 of the 32-byte public key,
/// written as 16 lower-case hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyId(pub [u8; 8]);

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex(&self.0))
    }
}

impl FromStr for KeyId {
    type Err = Error;

    fn from_str(s: &str) -> Result<KeyId, Error> {
        unhex::<8>(s, "key id").map(KeyId)
    }
}

/// An ed25519 public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    /// Parse 64 hex digits (the 32-byte compressed point). Rejects bytes that
    /// are not a valid curve point.
    pub fn from_hex(s: &str) -> Result<PublicKey, Error> {
        let bytes = unhex::<32>(s, "public key")?;
        VerifyingKey::from_bytes(&bytes)
            .map(PublicKey)
            .map_err(|_| {
                Error::new(
                    ErrorKind::InvalidKey,
                    "public key is not a valid ed25519 point",
                )
            })
    }

    /// The 32 raw bytes.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// 64 lower-case hex digits.
    pub fn to_hex(&self) -> String {
        hex(&self.0.to_bytes())
    }

    /// The key id: first 8 bytes of SHA-256 of the 32 raw bytes.
    pub fn key_id(&self) -> KeyId {
        let d = Sha256::digest(self.0.to_bytes());
        let mut id = [0u8; 8];
        id.copy_from_slice(&d[..8]);
        KeyId(id)
    }

    /// Verify `sig` over a 32-byte digest (strict RFC 8032 verification:
    /// non-canonical signatures and small-order keys are refused).
    pub fn verify_digest(&self, digest: &[u8; 32], sig: &Signature) -> Result<(), Error> {
        if sig.key_id != self.key_id() {
            return Err(Error::new(
                ErrorKind::BadSignature,
                format!(
                    "signature names key {}, not key {}",
                    sig.key_id,
                    self.key_id()
                ),
            ));
        }
        let s = ed25519_dalek::Signature::from_bytes(&sig.bytes);
        self.0
            .verify_strict(digest, &s)
            .map_err(|_| Error::new(ErrorKind::BadSignature, "signature does not verify"))
    }

    /// The public key file text: a comment with the key id, then
    /// `hashwall-ed25519-public <hex>`.
    pub fn to_file_text(&self) -> String {
        format!(
            "# hashwall public key, key id {}\n{PUBLIC_TAG} {}\n",
            self.key_id(),
            self.to_hex()
        )
    }

    /// Parse a public key file (see `FORMAT.md`, "Key files").
    pub fn from_file_text(text: &str) -> Result<PublicKey, Error> {
        let (line, hexkey) = key_line(text, PUBLIC_TAG)?;
        PublicKey::from_hex(hexkey).map_err(|e| e.at_line(line))
    }

    /// Read a public key file.
    pub fn read_file(path: &Path) -> Result<PublicKey, Error> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let text = std::str::from_utf8(&bytes).map_err(|_| {
            Error::new(ErrorKind::InvalidUtf8, "key file is not UTF-8").with_path(path)
        })?;
        PublicKey::from_file_text(text).map_err(|e| e.with_path(path))
    }
}

/// Find the single `TAG hex` line of a key file; `#` lines and blank lines
/// are ignored. Returns (1-based line number, hex).
fn key_line<'a>(text: &'a str, tag: &str) -> Result<(usize, &'a str), Error> {
    let mut found = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.split_whitespace();
        let (Some(t), Some(h), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(
                Error::new(ErrorKind::InvalidKey, format!("expected `{tag} <hex>`")).at_line(i + 1),
            );
        };
        if t != tag {
            return Err(Error::new(
                ErrorKind::InvalidKey,
                format!("expected a `{tag}` line, found {:?}", crate::text::clip(t)),
            )
            .at_line(i + 1));
        }
        if found.is_some() {
            return Err(Error::new(ErrorKind::InvalidKey, "more than one key line").at_line(i + 1));
        }
        found = Some((i + 1, h));
    }
    found.ok_or_else(|| Error::new(ErrorKind::InvalidKey, format!("no `{tag}` line")))
}

/// An ed25519 secret key (the 32-byte seed). Zeroed on drop by
/// `ed25519-dalek`; `Debug` does not print it.
pub struct SecretKey(SigningKey);

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey({})", self.public_key().key_id())
    }
}

impl SecretKey {
    /// A new key from the operating system's random number generator.
    pub fn generate() -> Result<SecretKey, Error> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!("cannot get random bytes for a key: {e}"),
            )
        })?;
        let k = SecretKey(SigningKey::from_bytes(&seed));
        seed.fill(0);
        Ok(k)
    }

    /// A key from a 32-byte seed (for tests and deterministic fixtures).
    pub fn from_seed(seed: &[u8; 32]) -> SecretKey {
        SecretKey(SigningKey::from_bytes(seed))
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    /// Sign a 32-byte digest.
    pub fn sign_digest(&self, digest: &[u8; 32]) -> Signature {
        Signature {
            key_id: self.public_key().key_id(),
            bytes: self.0.sign(digest).to_bytes(),
        }
    }

    /// Parse a secret key file's text (no permission check).
    pub fn from_file_text(text: &str) -> Result<SecretKey, Error> {
        let (line, h) = key_line(text, SECRET_TAG)?;
        let seed = unhex::<32>(h, "secret key").map_err(|e| e.at_line(line))?;
        Ok(SecretKey::from_seed(&seed))
    }

    /// Read a secret key file, refusing one that its group or others may
    /// read or write (a leaked signing key lets anyone publish a "police"
    /// list).
    pub fn read_file(path: &Path) -> Result<SecretKey, Error> {
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        check_private(&file, path)?;
        let mut text = String::new();
        std::io::Read::read_to_string(&mut &file, &mut text).map_err(|e| Error::io(path, e))?;
        let key = SecretKey::from_file_text(&text).map_err(|e| e.with_path(path));
        // Do not leave the seed's hex in freed memory.
        let mut bytes = text.into_bytes();
        bytes.fill(0);
        key
    }

    /// Write the secret key file with mode 0600, refusing to overwrite an
    /// existing file.
    pub fn write_file(&self, path: &Path) -> Result<(), Error> {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            opts.mode(0o600);
        }
        let mut f = opts.open(path).map_err(|e| Error::io(path, e))?;
        let text = format!(
            "# hashwall SECRET key, key id {} - keep private (mode 0600)\n{SECRET_TAG} {}\n",
            self.public_key().key_id(),
            hex(self.0.as_bytes())
        );
        f.write_all(text.as_bytes())
            .and_then(|()| f.sync_all())
            .map_err(|e| Error::io(path, e))
    }
}

#[cfg(unix)]
fn check_private(file: &std::fs::File, path: &Path) -> Result<(), Error> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = file
        .metadata()
        .map_err(|e| Error::io(path, e))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(Error::new(
            ErrorKind::InsecureKeyFile,
            format!(
                "secret key file has mode {:04o}; it must not be accessible to group or others (chmod 600)",
                mode & 0o7777
            ),
        )
        .with_path(path));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_file: &std::fs::File, _path: &Path) -> Result<(), Error> {
    Ok(())
}

/// A signature and the id of the key that made it, as carried in
/// `# signature: ed25519 <key-id> <128 hex digits>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signature {
    /// The signing key's id.
    pub key_id: KeyId,
    /// The 64-byte ed25519 signature.
    pub bytes: [u8; 64],
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ed25519 {} {}", self.key_id, hex(&self.bytes))
    }
}

impl FromStr for Signature {
    type Err = Error;

    fn from_str(s: &str) -> Result<Signature, Error> {
        let mut parts = s.split_whitespace();
        let (Some(alg), Some(id), Some(sig), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Error::new(
                ErrorKind::InvalidKey,
                "signature must be `ed25519 <key-id> <signature-hex>`",
            ));
        };
        if alg != "ed25519" {
            return Err(Error::new(
                ErrorKind::InvalidKey,
                format!(
                    "unsupported signature algorithm {:?}",
                    crate::text::clip(alg)
                ),
            ));
        }
        Ok(Signature {
            key_id: id.parse()?,
            bytes: unhex::<64>(sig, "signature")?,
        })
    }
}

/// Streaming builder of a canonical byte form, hashed as it goes.
///
/// Every field is a 4-byte big-endian length followed by its UTF-8 bytes;
/// small fields are batched in a buffer because per-call hashing overhead
/// dominates for 10 M short entries.
pub(crate) struct Canon {
    sha: Sha256,
    buf: Vec<u8>,
}

impl Canon {
    pub(crate) fn new(domain: &[u8]) -> Canon {
        let mut buf = Vec::with_capacity(64 * 1024);
        buf.extend_from_slice(domain);
        Canon {
            sha: Sha256::new(),
            buf,
        }
    }

    pub(crate) fn field(&mut self, bytes: &[u8]) {
        // Fields are bounded by MAX_LINE_LEN (64 KiB), so they fit in u32;
        // saturate rather than panic on a hand-built oversized value.
        let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
        self.buf.extend_from_slice(&len.to_be_bytes());
        self.buf.extend_from_slice(bytes);
        if self.buf.len() >= 60 * 1024 {
            self.sha.update(&self.buf);
            self.buf.clear();
        }
    }

    pub(crate) fn str(&mut self, s: &str) {
        self.field(s.as_bytes());
    }

    pub(crate) fn opt_time(&mut self, t: Option<Timestamp>) {
        match t {
            Some(t) => self.str(&t.to_string()),
            None => self.field(b""),
        }
    }

    /// An entry: kind, value, reference (empty if none), added (empty if none).
    pub(crate) fn entry(&mut self, e: &Entry) {
        self.str(e.kind.as_str());
        self.str(&e.value);
        self.str(e.reference.as_deref().unwrap_or(""));
        self.opt_time(e.added);
    }

    /// Raw bytes, no length prefix (chunk digests).
    pub(crate) fn raw(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    pub(crate) fn finish(mut self) -> [u8; 32] {
        self.sha.update(&self.buf);
        let d = self.sha.finalize();
        let mut out = [0u8; 32];
        out.copy_from_slice(&d);
        out
    }
}

/// Feed the signed header fields of `m`, in their fixed order.
pub(crate) fn canon_meta(c: &mut Canon, m: &ListMeta, entries: usize) {
    c.str(&crate::text::FORMAT_VERSION.to_string());
    c.str(&m.id);
    c.str(&m.issuer);
    c.str(&m.name);
    c.str(m.jurisdiction.as_str());
    c.str(m.category.as_str());
    c.str(m.policy.as_str());
    c.str(&m.sequence.to_string());
    c.str(&m.created.to_string());
    c.opt_time(m.expires);
    c.str(&entries.to_string());
}

/// Entries per chunk of the canonical form: each chunk is hashed on its
/// own, so a large list is hashed on all cores.
pub const CHUNK_ENTRIES: usize = 65_536;

/// A sequence of entries the canonical digest can walk in ranges, from
/// several threads.
pub(crate) trait EntrySeq: Sync {
    fn len(&self) -> usize;
    /// Call `f` on entries `start..end`, in order.
    fn visit(&self, start: usize, end: usize, f: &mut dyn FnMut(&Entry));
}

/// A slice of entries as an [`EntrySeq`].
pub(crate) struct Slice<'a>(pub(crate) &'a [Entry]);

impl EntrySeq for Slice<'_> {
    fn len(&self) -> usize {
        self.0.len()
    }

    fn visit(&self, start: usize, end: usize, f: &mut dyn FnMut(&Entry)) {
        for e in self.0.get(start..end).unwrap_or_default() {
            f(e);
        }
    }
}

fn chunk_hash(seq: &dyn EntrySeq, j: usize) -> [u8; 32] {
    let start = j.saturating_mul(CHUNK_ENTRIES);
    let end = start.saturating_add(CHUNK_ENTRIES).min(seq.len());
    let mut c = Canon::new(b"");
    seq.visit(start, end, &mut |e| c.entry(e));
    c.finish()
}

/// Finish a list digest: `c` holds the tag and header fields; append the
/// SHA-256 of each chunk of [`CHUNK_ENTRIES`] entries, computed in parallel
/// when the list has several chunks.
pub(crate) fn finish_list_digest(mut c: Canon, seq: &dyn EntrySeq) -> [u8; 32] {
    let chunks = seq.len().div_ceil(CHUNK_ENTRIES);
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .clamp(1, 8)
        .min(chunks);
    let hashes: Vec<[u8; 32]> = if threads <= 1 {
        (0..chunks).map(|j| chunk_hash(seq, j)).collect()
    } else {
        // Contiguous runs of chunks per thread, joined in order. A thread
        // that panicked (it cannot: hashing has no failure path) would
        // yield an all-zero chunk hash, which fails verification.
        let per = chunks.div_ceil(threads);
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    s.spawn(move || {
                        let lo = t * per;
                        let hi = ((t + 1) * per).min(chunks);
                        (lo..hi).map(|j| chunk_hash(seq, j)).collect::<Vec<_>>()
                    })
                })
                .collect();
            let mut all = Vec::with_capacity(chunks);
            for (t, h) in handles.into_iter().enumerate() {
                match h.join() {
                    Ok(v) => all.extend(v),
                    Err(_) => {
                        let lo = t * per;
                        let hi = ((t + 1) * per).min(chunks);
                        all.extend((lo..hi).map(|_| [0u8; 32]));
                    }
                }
            }
            all
        })
    };
    for h in &hashes {
        c.raw(h);
    }
    c.finish()
}

impl List {
    /// The SHA-256 of the list's canonical byte form (`FORMAT.md`,
    /// "Signatures"): what the issuer's ed25519 signature signs.
    pub fn signed_digest(&self) -> [u8; 32] {
        let mut c = Canon::new(LIST_DOMAIN);
        canon_meta(&mut c, &self.meta, self.entries.len());
        finish_list_digest(c, &Slice(&self.entries))
    }

    /// Sign the list with `key`, replacing any previous signature. Change
    /// nothing else afterwards, or the signature no longer verifies.
    pub fn sign(&mut self, key: &SecretKey) {
        self.meta.signature = None;
        let d = self.signed_digest();
        self.meta.signature = Some(key.sign_digest(&d));
    }

    /// Check the list's signature against `key` alone (no trust store, no
    /// validity window). [`List::verify`] is what loaders should use.
    pub fn verify_with_key(&self, key: &PublicKey) -> Result<(), Error> {
        let sig = self
            .meta
            .signature
            .ok_or_else(|| Error::new(ErrorKind::Unsigned, "list is not signed"))?;
        key.verify_digest(&self.signed_digest(), &sig)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_errors() {
        let b = [0u8, 1, 0xab, 0xff];
        assert_eq!(hex(&b), "0001abff");
        assert_eq!(unhex::<4>("0001ABff", "x").ok(), Some(b));
        assert!(unhex::<4>("0001abf", "x").is_err());
        assert!(unhex::<4>("0001abfg", "x").is_err());
        assert!(unhex::<2>("é1", "x").is_err());
    }

    #[test]
    fn key_files_round_trip() {
        let k = SecretKey::from_seed(&[7; 32]);
        let p = k.public_key();
        assert_eq!(PublicKey::from_file_text(&p.to_file_text()).ok(), Some(p));
        let again = SecretKey::from_file_text(&format!("{SECRET_TAG} {}\n", hex(&[7; 32])));
        assert_eq!(again.map(|k| k.public_key()).ok(), Some(p));
        let sig = k.sign_digest(&[1; 32]);
        assert_eq!(sig.to_string().parse::<Signature>().ok(), Some(sig));
        assert!(p.verify_digest(&[1; 32], &sig).is_ok());
        assert!(p.verify_digest(&[2; 32], &sig).is_err());
    }
}
