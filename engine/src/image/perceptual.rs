//! pHash and dHash (64 bits each) through the `image_hasher` crate.
//!
//! `image_hasher` resizes the whole image to the hash grid with Lanczos3,
//! which costs 12–22 ms on a 1.6 MP photo. Both hashes only look at a 9×8
//! or 16×16 grid, so we first shrink the image to at most
//! [`PRESHRINK_SIDE`] pixels per side with a cheap area average; the
//! Lanczos3 step then runs on a few thousand pixels. The result can differ
//! from hashing the full image directly by a bit or two, which is far inside
//! the tolerance these 64-bit hashes are used with.

use image::DynamicImage;
use image_hasher::{HashAlg, Hasher, HasherConfig};
use std::sync::OnceLock;

/// The longest side an image is shrunk to before pHash or dHash.
pub const PRESHRINK_SIDE: u32 = 256;

fn dhasher() -> &'static Hasher {
    static H: OnceLock<Hasher> = OnceLock::new();
    H.get_or_init(|| {
        HasherConfig::new()
            .hash_size(8, 8)
            .hash_alg(HashAlg::Gradient)
            .to_hasher()
    })
}

fn phasher() -> &'static Hasher {
    static H: OnceLock<Hasher> = OnceLock::new();
    H.get_or_init(|| {
        HasherConfig::new()
            .hash_size(8, 8)
            .hash_alg(HashAlg::Median)
            .preproc_dct()
            .to_hasher()
    })
}

/// The image shrunk for hashing, or `None` when it is already small.
pub(crate) fn preshrink(img: &DynamicImage) -> Option<DynamicImage> {
    if img.width() > PRESHRINK_SIDE || img.height() > PRESHRINK_SIDE {
        Some(img.thumbnail(PRESHRINK_SIDE, PRESHRINK_SIDE))
    } else {
        None
    }
}

/// dHash (horizontal gradient, 64 bits; the first byte `image_hasher`
/// gives is the most significant).
pub(crate) fn dhash(img: &DynamicImage) -> u64 {
    word(dhasher().hash_image(img).as_bytes())
}

/// pHash (DCT, median threshold, 64 bits), in the same bit order.
pub(crate) fn phash(img: &DynamicImage) -> u64 {
    word(phasher().hash_image(img).as_bytes())
}

/// The hash's 8 bytes as a big-endian word: the order its hex is written in.
fn word(bytes: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    // An 8×8 hash is 8 bytes; anything shorter leaves zeros (never happens).
    for (o, i) in b.iter_mut().zip(bytes) {
        *o = *i;
    }
    u64::from_be_bytes(b)
}
