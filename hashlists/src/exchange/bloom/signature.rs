//! Signing a Bloom filter and checking its signature against a trust
//! store.

use sha2::{Digest, Sha256};

use super::{
    BLOOM_FLAG_SIGNED, BLOOM_SIGNATURE_DOMAIN, BloomFilter, BloomSignature, MAX_BLOOM_ISSUER_LEN,
};
use crate::error::{Error, ErrorKind};
use crate::key::SecretKey;
use crate::time::Timestamp;
use crate::trust::{TrustStore, Verified, check_window, trusted_key};

impl BloomFilter {
    /// The digest a signature covers: SHA-256 over
    /// [`BLOOM_SIGNATURE_DOMAIN`], the header (with the signed flag set),
    /// the bit array, the issuer's length (u16 LE) and bytes, and the
    /// signing time (i64 LE Unix seconds).
    fn signed_digest(&self, issuer: &str, created: Timestamp) -> [u8; 32] {
        let mut header = self.header();
        header[10..12].copy_from_slice(&BLOOM_FLAG_SIGNED.to_le_bytes());
        let mut sha = Sha256::new();
        sha.update(BLOOM_SIGNATURE_DOMAIN);
        sha.update(&header);
        sha.update(&self.bits);
        sha.update((issuer.len() as u16).to_le_bytes());
        sha.update(issuer.as_bytes());
        sha.update(created.unix_seconds().to_le_bytes());
        sha.finalize().into()
    }

    /// Sign the filter as `issuer` (the exporter) at `created`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidHeaderValue`] when the issuer is empty, longer
    /// than [`MAX_BLOOM_ISSUER_LEN`] bytes or holds control characters.
    pub fn sign(&mut self, issuer: &str, created: Timestamp, key: &SecretKey) -> Result<(), Error> {
        if issuer.is_empty()
            || issuer.len() > MAX_BLOOM_ISSUER_LEN
            || issuer.chars().any(char::is_control)
        {
            return Err(Error::new(
                ErrorKind::InvalidHeaderValue,
                format!(
                    "a Bloom filter's issuer must be 1 to {MAX_BLOOM_ISSUER_LEN} bytes without control characters"
                ),
            ));
        }
        let signature = key.sign_digest(&self.signed_digest(issuer, created));
        self.signature = Some(BloomSignature {
            issuer: issuer.to_owned(),
            created,
            signature,
        });
        Ok(())
    }

    /// The signature, if the filter is signed.
    pub fn signature(&self) -> Option<&BloomSignature> {
        self.signature.as_ref()
    }

    /// Check the signature against `trust`: signed by a key the store
    /// holds for the signature's issuer, valid at the signing time, which
    /// is not in the future of `now`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Unsigned`] for an unsigned filter;
    /// [`ErrorKind::UntrustedKey`], [`ErrorKind::BadSignature`] (the filter
    /// or its signature block was changed after signing),
    /// [`ErrorKind::RetiredKey`], [`ErrorKind::FutureDated`].
    pub fn verify(&self, trust: &TrustStore, now: Timestamp) -> Result<Verified, Error> {
        let s = self
            .signature
            .as_ref()
            .ok_or_else(|| Error::new(ErrorKind::Unsigned, "the Bloom filter is not signed"))?;
        let tk = trusted_key(trust, &s.issuer, s.signature.key_id)?;
        tk.key
            .verify_digest(&self.signed_digest(&s.issuer, s.created), &s.signature)?;
        check_window(tk, &s.issuer, s.created, now)?;
        Ok(Verified {
            issuer: s.issuer.clone(),
            key_id: s.signature.key_id,
        })
    }
}
