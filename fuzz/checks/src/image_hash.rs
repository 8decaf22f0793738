//! Image decoding and hashing under small limits: every input gives hashes
//! or a typed image error, never a panic, and the hashes are well formed.
//!
//! A panic inside a decoder is caught by the engine and reported as the
//! typed error `DecoderPanic`, which this check accepts: that is the
//! production behaviour, and zune-jpeg 0.5.15 (the latest release) panics
//! on some malformed JPEGs (`corpus/image_hash/crash-zune-jpeg-idct`).
//! Our own baseline JPEG decoder gets no such allowance: it runs first
//! outside the guard ([`hashwall::image::fuzz_baseline_jpeg`]), so a panic
//! in it is a crash, and what it decodes must be whole.

use hashwall::ErrorKind;
use hashwall::image::{Algorithm, DecodeLimits, HashOptions, hash_image};
use sha2::{Digest, Sha256};

/// The limits the target decodes under: small enough that a decompression
/// bomb is refused quickly, large enough for every seed.
pub const LIMITS: DecodeLimits = DecodeLimits {
    max_width: 2048,
    max_height: 2048,
    max_alloc: 16 << 20,
};

/// Hex digits of each algorithm's hash.
fn hex_len(a: Algorithm) -> usize {
    match a {
        Algorithm::Pdq | Algorithm::Pdq512 | Algorithm::Sha256 => 64,
        Algorithm::Phash | Algorithm::Dhash => 16,
        Algorithm::Md5 => 32,
        Algorithm::Sha1 => 40,
    }
}

/// Checks the properties above on `data` taken as an image file. Odd-length
/// inputs are hashed with EXIF orientation applied, so both paths run.
pub fn image_hash(data: &[u8]) {
    if let Some((w, h, rgb)) = hashwall::image::fuzz_baseline_jpeg(data, &LIMITS) {
        assert!(
            (1..=LIMITS.max_width).contains(&w) && (1..=LIMITS.max_height).contains(&h),
            "baseline JPEG decoded to {w}x{h}, outside the limits"
        );
        assert_eq!(
            rgb.len() as u64,
            3 * u64::from(w) * u64::from(h),
            "RGB size"
        );
    }
    let opts = HashOptions::new()
        .algorithms(Algorithm::ALL)
        .dihedral(true)
        .exif_orientation(data.len() % 2 == 1)
        .limits(LIMITS);
    let hashes = match hash_image(data, &opts) {
        Ok(h) => h,
        Err(e) => {
            assert!(
                matches!(e.kind(), ErrorKind::Image(_)),
                "image error of kind {:?}: {e}",
                e.kind()
            );
            return;
        }
    };
    let Some((w, h)) = hashes.dimensions else {
        panic!("perceptual hashes without dimensions");
    };
    assert!(
        (1..=LIMITS.max_width.max(LIMITS.max_height)).contains(&w)
            && (1..=LIMITS.max_width.max(LIMITS.max_height)).contains(&h),
        "dimensions {w}x{h} outside the limits"
    );
    // 8 dihedral rows for each PDQ flavour, one row for the others.
    assert_eq!(hashes.hashes.len(), 2 * 8 + 5);
    for hash in &hashes.hashes {
        let a = hash.algorithm;
        assert_eq!(hash.value.kind(), a.entry_kind(), "{}", hash.label());
        let hex = hash.value.to_string();
        assert_eq!(hex.len(), hex_len(a), "{} {hex}", hash.label());
        assert!(
            hex.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
            "{} is not lower-case hex: {hex}",
            hash.label(),
        );
        match hash.quality() {
            Some(q) => assert!(a.is_pdq() && q <= 100, "{} quality {q}", hash.label()),
            None => assert!(!a.is_pdq(), "{} without quality", hash.label()),
        }
    }
    for a in [Algorithm::Pdq, Algorithm::Pdq512] {
        let p = hashes.pdq(a, hashwall::image::Dihedral::Original);
        assert!(p.is_some(), "{a} does not parse back");
    }
    let sha256: [u8; 32] = Sha256::digest(data).into();
    let hex: String = sha256.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(
        hashes.get(Algorithm::Sha256).map(|h| h.value.to_string()),
        Some(hex)
    );
}
