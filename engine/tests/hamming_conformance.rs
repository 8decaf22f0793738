//! The PDQ reference suite's haystack and needles: every needle finds exactly
//! the haystack hashes the flat scan finds, at the recommended radius 31 and
//! a few others, through both the multi-index and the automatic choice.

use std::path::Path;

use hashwall::conformance;
use hashwall::index::hamming::{HammingIndex, MihParams, PdqWords, Strategy};

/// One PDQ hash in the reference's hex form: 64 hex digits, 16-bit word 15
/// first. Read as one big-endian 256-bit number: hex digits 0..16 are bits
/// 255..192 (our word 3). Any fixed bit order gives the same distances.
fn parse_pdq(hex: &str) -> Option<PdqWords> {
    if hex.len() != 64 || !hex.is_ascii() {
        return None;
    }
    let mut h = [0u64; 4];
    for (i, word) in h.iter_mut().rev().enumerate() {
        *word = u64::from_str_radix(&hex[i * 16..i * 16 + 16], 16).ok()?;
    }
    Some(h)
}

fn read_list(path: &Path) -> Vec<PdqWords> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| parse_pdq(l).unwrap_or_else(|| panic!("{}: bad PDQ hex {l:?}", path.display())))
        .collect()
}

#[test]
fn parse_known_hash() {
    let h = parse_pdq("f162eb9daab170c0567fe3632d9a5548c5612982dd5e374a7424ebbc8a835c95");
    assert_eq!(h.map(|h| h[3]), Some(0xf162_eb9d_aab1_70c0));
    assert_eq!(h.map(|h| h[0]), Some(0x7424_ebbc_8a83_5c95));
    assert_eq!(parse_pdq("f162"), None);
    assert_eq!(parse_pdq(&"g".repeat(64)), None);
}

#[test]
fn needles_in_haystack() {
    let Some(dir) = conformance::dir("pdq") else {
        return;
    };
    let base = dir.join("pdq/data/reg-test-input");
    let haystack = read_list(&base.join("haystack.txt"));
    let needles = read_list(&base.join("needles.txt"));
    assert_eq!(haystack.len(), 1350);
    assert_eq!(needles.len(), 100);

    // 1350 hashes is below the multi-index threshold with the default
    // layout, so also build one with tiny buckets and force it.
    let auto = HammingIndex::from_slice(&haystack);
    let mih = HammingIndex::with_params(
        haystack.iter().copied(),
        MihParams {
            substrings: 8,
            bucket_target: 2,
            min_entries: 0,
        },
    );
    let mut got = Vec::new();
    for r in [0, 8, 15, 24, 31, 32, 48, 63] {
        let mut total = 0;
        let mut needles_found = 0;
        for n in &needles {
            // Oracle written out here, independent of the library's scan.
            let want: Vec<(u32, u32)> = haystack
                .iter()
                .enumerate()
                .filter_map(|(i, h)| {
                    let d: u32 = h.iter().zip(n).map(|(a, b)| (a ^ b).count_ones()).sum();
                    (d <= r).then_some((i as u32, d))
                })
                .collect();
            let pairs = |v: &[hashwall::index::hamming::HammingMatch]| {
                v.iter().map(|m| (m.id, m.distance)).collect::<Vec<_>>()
            };
            assert_eq!(pairs(&auto.query(n, r)), want, "auto, radius {r}");
            mih.query_using(Strategy::MultiIndex, n, r, &mut got);
            assert_eq!(pairs(&got), want, "multi-index, radius {r}");
            total += want.len();
            needles_found += usize::from(!want.is_empty());
        }
        eprintln!("radius {r}: {needles_found} of 100 needles match, {total} matches");
        if r == 31 {
            // The suite's needles are edits of haystack images: most match.
            // (Counts from the independent oracle above, pinned so a
            // change in parsing or in the data shows up.)
            assert_eq!((needles_found, total), (100, 250), "radius 31");
        }
    }
}
