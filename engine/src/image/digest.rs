//! Cryptographic digests of the raw file bytes (MD5, SHA-1, SHA-256), for
//! exact-file hash lists. They need no decoding.

use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256};

use super::{Algorithm, HashValue};

/// The digest of `data` with `algorithm`, or `None` for a perceptual
/// algorithm (which needs a decoded image).
pub(crate) fn digest(algorithm: Algorithm, data: &[u8]) -> Option<HashValue> {
    Some(match algorithm {
        Algorithm::Md5 => HashValue::Md5(Md5::digest(data).into()),
        Algorithm::Sha1 => HashValue::Sha1(Sha1::digest(data).into()),
        Algorithm::Sha256 => HashValue::Sha256(Sha256::digest(data).into()),
        Algorithm::Pdq | Algorithm::Pdq512 | Algorithm::Phash | Algorithm::Dhash => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answers() {
        let hex = |a| digest(a, b"abc").map(|v| v.to_string());
        assert_eq!(
            hex(Algorithm::Md5).as_deref(),
            Some("900150983cd24fb0d6963f7d28e17f72")
        );
        assert_eq!(
            hex(Algorithm::Sha1).as_deref(),
            Some("a9993e364706816aba3e25717850c26c9cd0d89d")
        );
        assert_eq!(
            hex(Algorithm::Sha256).as_deref(),
            Some("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
        assert_eq!(digest(Algorithm::Pdq, b"abc"), None);
    }
}
