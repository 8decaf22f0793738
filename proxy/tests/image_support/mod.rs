//! Generated test images and their hashes, shared by the image tests
//! (`serve_images`, `serve_ranges`): pictures with structure, encoded by
//! the `image` crate, and the list entries that name them.
#![allow(dead_code, clippy::unwrap_used)]

use std::io::Cursor;

use bytes::Bytes;
use hashwall::image::{Algorithm, Dihedral, HashOptions, hash_image};
use image::{ImageFormat, RgbImage};
use sha2::{Digest, Sha256};

/// A picture with structure (random 32-pixel blocks over a gradient), so
/// its PDQ quality is high and different seeds are far apart.
pub fn picture(seed: u64, w: u32, h: u32) -> RgbImage {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as u32
    };
    let bw = w.div_ceil(32);
    let blocks: Vec<[u8; 3]> = (0..bw * h.div_ceil(32))
        .map(|_| {
            let v = next();
            [v as u8, (v >> 8) as u8, (v >> 16) as u8]
        })
        .collect();
    RgbImage::from_fn(w, h, |x, y| {
        let b = blocks[((y / 32) * bw + x / 32) as usize];
        let g = ((x + y) % 64) as u8;
        image::Rgb([b[0].wrapping_add(g), b[1], b[2].wrapping_sub(g)])
    })
}

/// `img` encoded as `format`.
pub fn encode(img: &RgbImage, format: ImageFormat) -> Bytes {
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), format).unwrap();
    Bytes::from(out)
}

/// The hex hash of `bytes` with `alg`, as a list entry writes it.
pub fn hex_of(bytes: &[u8], alg: Algorithm) -> String {
    let h = hash_image(bytes, &HashOptions::new().algorithms([alg])).unwrap();
    match alg {
        Algorithm::Pdq => h.pdq(alg, Dihedral::Original).unwrap().hash.to_hex(),
        _ => h.get(alg).unwrap().value.to_string(),
    }
}

/// SHA-256 of `b`, to compare bodies without printing them.
pub fn sha256(b: &[u8]) -> Vec<u8> {
    Sha256::digest(b).to_vec()
}
