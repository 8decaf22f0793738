//! Digests, pHash and dHash, and computing everything from one decode.

use hashwall::image::{Algorithm, HashOptions, ImageHashes, hash_image};
use image_hasher::{HashAlg, HasherConfig};

fn all(bytes: &[u8]) -> ImageHashes {
    hash_image(bytes, &HashOptions::new().algorithms(Algorithm::ALL)).expect("hashes")
}

fn hex_distance(a: &str, b: &str) -> u32 {
    let x = u64::from_str_radix(a, 16).expect("hex");
    let y = u64::from_str_radix(b, 16).expect("hex");
    (x ^ y).count_ones()
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
            h.get(Algorithm::Sha1).map(|h| h.hex.as_str()),
            Some(cols[1]),
            "{}",
            cols[3]
        );
        checked += 1;
    }
    assert!(checked >= 40);
}

#[test]
fn one_call_computes_every_algorithm_like_separate_calls() {
    let Some(dir) = hashwall::conformance::dir("pdq") else {
        return;
    };
    let bytes = std::fs::read(dir.join("pdq/data/bridge-mods/aaa-orig.jpg")).expect("readable");
    let together = all(&bytes);
    assert_eq!(together.hashes.len(), 7);
    for alg in Algorithm::ALL {
        let alone = hash_image(&bytes, &HashOptions::new().algorithms([alg])).expect("hashes");
        assert_eq!(together.get(alg), alone.get(alg), "{alg}");
        let h = together.get(alg).expect("computed");
        let want_len = match alg {
            Algorithm::Pdq | Algorithm::Pdq512 | Algorithm::Sha256 => 64,
            Algorithm::Phash | Algorithm::Dhash => 16,
            Algorithm::Md5 => 32,
            Algorithm::Sha1 => 40,
        };
        assert_eq!(h.hex.len(), want_len, "{alg}");
        assert_eq!(h.quality.is_some(), alg.is_pdq(), "{alg}");
        assert_eq!(alg.as_str().parse::<Algorithm>(), Ok(alg));
    }
    assert!("sha512".parse::<Algorithm>().is_err());
}

#[test]
fn preshrinking_keeps_phash_and_dhash_close_to_image_hasher_on_the_full_image() {
    let Some(dir) = hashwall::conformance::dir("pdq") else {
        return;
    };
    let bytes = std::fs::read(dir.join("pdq/data/bridge-mods/aaa-orig.jpg")).expect("readable");
    let ours = all(&bytes);
    let full = image::load_from_memory(&bytes).expect("decodes");
    let direct = |alg: HashAlg, dct: bool| {
        let mut cfg = HasherConfig::new().hash_size(8, 8).hash_alg(alg);
        if dct {
            cfg = cfg.preproc_dct();
        }
        let h = cfg.to_hasher().hash_image(&full);
        h.as_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    let d = hex_distance(
        &ours.get(Algorithm::Dhash).expect("dhash").hex,
        &direct(HashAlg::Gradient, false),
    );
    assert!(d <= 4, "dhash {d} bits from the unshrunk hash");
    let p = hex_distance(
        &ours.get(Algorithm::Phash).expect("phash").hex,
        &direct(HashAlg::Median, true),
    );
    assert!(p <= 6, "phash {p} bits from the unshrunk hash");
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
            let d = hex_distance(
                &h.get(alg).expect("computed").hex,
                &orig.get(alg).expect("computed").hex,
            );
            assert!(d <= 10, "{edit} {alg}: {d} bits");
        }
        let pdq = h
            .pdq(Algorithm::Pdq, hashwall::image::Dihedral::Original)
            .expect("pdq");
        let o = orig
            .pdq(Algorithm::Pdq, hashwall::image::Dihedral::Original)
            .expect("pdq");
        assert!(pdq.hash.hamming_distance(&o.hash) <= 31, "{edit} pdq");
        // Exact digests differ, of course.
        assert_ne!(h.get(Algorithm::Md5), orig.get(Algorithm::Md5));
    }
}
