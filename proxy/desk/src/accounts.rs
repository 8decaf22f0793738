//! Staff credentials: argon2id password hashes (PHC strings) and random
//! API tokens. Only hashes are stored.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine as _;

use crate::error::{Error, ErrorKind, Result};

/// Shortest password accepted.
pub const MIN_PASSWORD: usize = 12;
/// Longest password accepted (argon2 hashes any length; this bounds the work).
pub const MAX_PASSWORD: usize = 1024;

/// Check an account name: 1 to 64 of `A-Z a-z 0-9 . _ -`.
///
/// # Errors
///
/// [`ErrorKind::Invalid`] saying what is allowed.
pub fn check_name(name: &str) -> Result<()> {
    let ok = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::Invalid,
            "a user name is 1 to 64 characters A-Z, a-z, 0-9, '.', '_', '-'",
        ))
    }
}

fn salt() -> Result<SaltString> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|e| Error::new(ErrorKind::Storage, format!("random source: {e}")))?;
    SaltString::encode_b64(&bytes).map_err(|e| Error::new(ErrorKind::Storage, format!("salt: {e}")))
}

/// Hash `password` with argon2id and a random salt.
///
/// # Errors
///
/// [`ErrorKind::Invalid`] for a password shorter than [`MIN_PASSWORD`] or
/// longer than [`MAX_PASSWORD`].
pub fn hash_password(password: &str) -> Result<String> {
    let n = password.chars().count();
    if !(MIN_PASSWORD..=MAX_PASSWORD).contains(&n) {
        return Err(Error::new(
            ErrorKind::Invalid,
            format!("a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters"),
        ));
    }
    Argon2::default()
        .hash_password(password.as_bytes(), &salt()?)
        .map(|h| h.to_string())
        .map_err(|e| Error::new(ErrorKind::Storage, format!("hashing the password: {e}")))
}

/// A hash to verify against when the account does not exist, so an
/// unknown name takes as long as a wrong password.
fn decoy() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password, never valid").unwrap_or_default())
}

/// Whether `password` matches the stored hash (`None`: no such account;
/// the same work is done and `false` returned).
pub fn verify_password(stored: Option<&str>, password: &str) -> bool {
    if password.len() > MAX_PASSWORD * 4 {
        return false;
    }
    let phc: &str = match stored {
        Some(s) => s,
        None => decoy(),
    };
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
        && stored.is_some()
}

/// A new API token: `hwd_` and 32 random bytes, base64url.
///
/// # Errors
///
/// The system has no random source.
pub fn new_token() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| Error::new(ErrorKind::Storage, format!("random source: {e}")))?;
    Ok(format!(
        "hwd_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_and_tokens() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password(Some(&h), "correct horse battery"));
        assert!(!verify_password(Some(&h), "correct horse batterY"));
        assert!(!verify_password(None, "decoy password, never valid"));
        assert!(!verify_password(Some("not a hash"), "x"));
        assert_eq!(
            hash_password("short").unwrap_err().kind(),
            ErrorKind::Invalid
        );
        let (a, b) = (new_token().unwrap(), new_token().unwrap());
        assert_ne!(a, b);
        assert_eq!(a.len(), 4 + 43);
        check_name("ann.de-vries_2").unwrap();
        assert!(check_name("").is_err() && check_name("a b").is_err());
    }
}
