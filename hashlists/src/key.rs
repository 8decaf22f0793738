//! Keys and signatures: ed25519 [`PublicKey`] and [`SecretKey`], their
//! [`KeyId`]s, [`Signature`]s as carried in `# signature:` lines, and the
//! key file formats (`FORMAT.md`, "Key files").
//!
//! What is signed (the canonical form of a list or delta) is in
//! [`crate::sign`]; this module knows nothing of lists.

use std::fmt;
use std::io::Write as _;
use std::path::Path;
use std::str::FromStr;

use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest as _, Sha256};

use crate::error::{Error, ErrorKind, clip};
use crate::hex;

/// First token of a public key file's key line.
pub(crate) const PUBLIC_TAG: &str = "hashwall-ed25519-public";
/// First token of a secret key file's key line.
pub(crate) const SECRET_TAG: &str = "hashwall-ed25519-secret";

/// Decode exactly `N` bytes of hex (either case); errors are
/// [`ErrorKind::InvalidKey`] naming `what`.
pub(crate) fn unhex<const N: usize>(s: &str, what: &str) -> Result<[u8; N], Error> {
    hex::decode_array::<N>(s).map_err(|e| {
        let message = match e {
            hex::HexError::Length { expected, found } => {
                format!("{what} must be {expected} hex digits, got {found}")
            }
            _ => format!("{what} contains a non-hex character"),
        };
        Error::new(ErrorKind::InvalidKey, message)
    })
}

/// A key id: the first 8 bytes of the SHA-256 of the 32-byte public key,
/// written as 16 lower-case hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyId(pub [u8; 8]);

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(&self.0))
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
        hex::encode(&self.0.to_bytes())
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
                format!("expected a `{tag}` line, found {:?}", clip(t)),
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
            hex::encode(self.0.as_bytes())
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
        write!(f, "ed25519 {} {}", self.key_id, hex::encode(&self.bytes))
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
                format!("unsupported signature algorithm {:?}", clip(alg)),
            ));
        }
        Ok(Signature {
            key_id: id.parse()?,
            bytes: unhex::<64>(sig, "signature")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unhex_names_what_is_wrong() {
        let b = [0u8, 1, 0xab, 0xff];
        assert_eq!(unhex::<4>("0001ABff", "x").ok(), Some(b));
        let e = unhex::<4>("0001abf", "key id").expect_err("short");
        assert_eq!(e.kind(), ErrorKind::InvalidKey);
        assert_eq!(e.message(), "key id must be 8 hex digits, got 7");
        let e = unhex::<4>("0001abfg", "key id").expect_err("not hex");
        assert_eq!(e.message(), "key id contains a non-hex character");
        assert!(unhex::<2>("é1", "x").is_err());
    }

    #[test]
    fn key_files_round_trip() {
        let k = SecretKey::from_seed(&[7; 32]);
        let p = k.public_key();
        assert_eq!(PublicKey::from_file_text(&p.to_file_text()).ok(), Some(p));
        let again = SecretKey::from_file_text(&format!("{SECRET_TAG} {}\n", hex::encode(&[7; 32])));
        assert_eq!(again.map(|k| k.public_key()).ok(), Some(p));
        let sig = k.sign_digest(&[1; 32]);
        assert_eq!(sig.to_string().parse::<Signature>().ok(), Some(sig));
        assert!(p.verify_digest(&[1; 32], &sig).is_ok());
        assert!(p.verify_digest(&[2; 32], &sig).is_err());
    }
}
