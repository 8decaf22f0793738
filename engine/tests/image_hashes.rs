//! Digests, pHash and dHash, and computing everything from one decode.
//!
//! What needs no reference data runs on images made here, always; what
//! checks against the shared conformance files finds them through
//! `hashwall::conformance::dir`, which skips outside CI and fails in CI
//! (`HASHWALL_REQUIRE_CONFORMANCE=1`) when they are missing.

use hashwall::HashValue;
use hashwall::image::{Algorithm, Dihedral, HashOptions, ImageHashes, hash_image};
use image::{ImageFormat, RgbImage};
use image_hasher::{HashAlg, HasherConfig};

fn all(bytes: &[u8]) -> ImageHashes {
    hash_image(bytes, &HashOptions::new().algorithms(Algorithm::ALL)).expect("hashes")
}

/// A smooth, textured `w`×`h` picture (photograph-like for the hashes).
fn photo(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        let (fx, fy) = (x as f32, y as f32);
        let r = 128.0
            + 60.0 * (fx / 37.0).sin() * (fy / 29.0).cos()
            + 60.0 * (fx / 11.0).sin() * (fy / 13.0).sin();
        let g = 128.0 + 90.0 * ((fx * 0.7 + fy) / 41.0).sin() + 30.0 * (fy / 9.0).cos();
        let b = 128.0 + 100.0 * ((fx - fy * 0.4) / 53.0).cos();
        image::Rgb([r as u8, g as u8, b as u8])
    })
}

fn encode(img: &RgbImage, format: ImageFormat) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, format).expect("encodes");
    out.into_inner()
}

/// The 64-bit value of a pHash or dHash row.
fn word(h: &ImageHashes, alg: Algorithm) -> u64 {
    match h.get(alg).map(|h| h.value) {
        Some(HashValue::Phash(v) | HashValue::Dhash(v)) => v,
        other => panic!("{alg}: {other:?}"),
    }
}

/// `image_hasher` run directly on the whole image, as a 64-bit word.
fn direct(img: &image::DynamicImage, alg: HashAlg, dct: bool) -> u64 {
    let mut cfg = HasherConfig::new().hash_size(8, 8).hash_alg(alg);
    if dct {
        cfg = cfg.preproc_dct();
    }
    let bytes = cfg.to_hasher().hash_image(img);
    u64::from_be_bytes(bytes.as_bytes().try_into().expect("8 bytes"))
}

#[test]
fn one_call_computes_every_algorithm_like_separate_calls() {
    for format in [ImageFormat::Png, ImageFormat::Jpeg] {
        let bytes = encode(&photo(400, 300), format);
        let together = all(&bytes);
        assert_eq!(together.hashes.len(), 7);
        assert_eq!(together.dimensions, Some((400, 300)));
        for alg in Algorithm::ALL {
            let alone = hash_image(&bytes, &HashOptions::new().algorithms([alg])).expect("hashes");
            assert_eq!(together.get(alg), alone.get(alg), "{alg}");
            let h = together.get(alg).expect("computed");
            assert_eq!(h.value.kind(), alg.entry_kind(), "{alg}");
            let want_len = match alg {
                Algorithm::Pdq | Algorithm::Pdq512 | Algorithm::Sha256 => 64,
                Algorithm::Phash | Algorithm::Dhash => 16,
                Algorithm::Md5 => 32,
                Algorithm::Sha1 => 40,
            };
            let hex = h.value.to_string();
            assert_eq!(hex.len(), want_len, "{alg}");
            // What is printed parses back to the same typed value.
            let back = HashValue::parse(alg.entry_kind(), &hex).expect("parses back");
            assert_eq!(back.kind(), h.value.kind());
            assert_eq!(back.to_string(), hex);
            assert_eq!(h.quality().is_some(), alg.is_pdq(), "{alg}");
            assert_eq!(alg.as_str().parse::<Algorithm>(), Ok(alg));
        }
    }
    assert!("sha512".parse::<Algorithm>().is_err());
}

#[test]
fn digests_of_the_bytes_as_given() {
    let h = hash_image(
        b"abc",
        &HashOptions::new().algorithms([Algorithm::Md5, Algorithm::Sha1, Algorithm::Sha256]),
    )
    .expect("digests need no decode");
    let hex = |a| h.get(a).map(|h| h.value.to_string());
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
    assert_eq!(h.dimensions, None);
}

#[test]
fn preshrinking_keeps_phash_and_dhash_close_to_image_hasher_on_the_full_image() {
    // Larger than the pre-shrink side, so the shrink really happens.
    let img = photo(1200, 900);
    let bytes = encode(&img, ImageFormat::Png);
    let ours = all(&bytes);
    let full = image::DynamicImage::ImageRgb8(img);
    let d = (word(&ours, Algorithm::Dhash) ^ direct(&full, HashAlg::Gradient, false)).count_ones();
    assert!(d <= 4, "dhash {d} bits from the unshrunk hash");
    let p = (word(&ours, Algorithm::Phash) ^ direct(&full, HashAlg::Median, true)).count_ones();
    assert!(p <= 6, "phash {p} bits from the unshrunk hash");
}

#[test]
fn preshrinking_on_a_real_photo() {
    let Some(dir) = hashwall::conformance::dir("pdq") else {
        return;
    };
    let bytes = std::fs::read(dir.join("pdq/data/bridge-mods/aaa-orig.jpg")).expect("readable");
    let ours = all(&bytes);
    let full = image::load_from_memory(&bytes).expect("decodes");
    let d = (word(&ours, Algorithm::Dhash) ^ direct(&full, HashAlg::Gradient, false)).count_ones();
    assert!(d <= 4, "dhash {d} bits from the unshrunk hash");
    let p = (word(&ours, Algorithm::Phash) ^ direct(&full, HashAlg::Median, true)).count_ones();
    assert!(p <= 6, "phash {p} bits from the unshrunk hash");
}

#[test]
fn sha1_reproduces_the_git_blob_ids_of_the_conformance_files() {
    // MANIFEST.tsv lists each file's git blob id: SHA-1 of "blob <len>\0"
    // followed by the content. An independent check of our SHA-1 on real
    // files.
    let Some(dir) = hashwall::conformance::dir("pdq") else {
        return;
    };
    let manifest = std::fs::read_to_string(dir.join("MANIFEST.tsv")).expect("manifest");
    let opts = HashOptions::new().algorithms([Algorithm::Sha1]);
    let mut checked = 0;
    for line in manifest.lines().filter(|l| l.starts_with("copied\t")) {
        let cols: Vec<&str> = line.split('\t').collect();
        // The manifest also lists source files that were not copied here.
        let Ok(content) = std::fs::read(dir.join(cols[3])) else {
            continue;
        };
        let mut blob = format!("blob {}\0", content.len()).into_bytes();
        blob.extend_from_slice(&content);
        let h = hash_image(&blob, &opts).expect("digests need no decode");
        assert_eq!(
            h.get(Algorithm::Sha1)
                .map(|h| h.value.to_string())
                .as_deref(),
            Some(cols[1]),
            "{}",
            cols[3]
        );
        checked += 1;
    }
    assert!(checked >= 40);
}

#[test]
fn perceptual_hashes_survive_mild_edits() {
    let Some(dir) = hashwall::conformance::dir("pdq") else {
        return;
    };
    let base = dir.join("pdq/data/bridge-mods");
    let orig = all(&std::fs::read(base.join("aaa-orig.jpg")).expect("readable"));
    for edit in [
        "blur-a-little.jpg",
        "sharpen-a-little.jpg",
        "shrink-a-little.jpg",
    ] {
        let h = all(&std::fs::read(base.join(edit)).expect("readable"));
        for alg in [Algorithm::Phash, Algorithm::Dhash] {
            let d = (word(&h, alg) ^ word(&orig, alg)).count_ones();
            assert!(d <= 10, "{edit} {alg}: {d} bits");
        }
        let pdq = h.pdq(Algorithm::Pdq, Dihedral::Original).expect("pdq");
        let o = orig.pdq(Algorithm::Pdq, Dihedral::Original).expect("pdq");
        assert!(pdq.hash.hamming_distance(&o.hash) <= 31, "{edit} pdq");
        // Exact digests differ, of course.
        assert_ne!(h.get(Algorithm::Md5), orig.get(Algorithm::Md5));
    }
}
