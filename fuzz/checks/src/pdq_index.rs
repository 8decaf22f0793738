//! The Hamming index against a brute-force scan written here: for PDQ
//! (256-bit) and 64-bit hashes, every query answers exactly the entries
//! within the radius, with their distances, in id order, whichever
//! algorithm (multi-index, flat, the cost model's choice) answers it.
//!
//! The bytes are a small program: a header (radius, multi-index layout,
//! PRNG seed), then 3-byte instructions that add a random hash, a
//! near-duplicate of an earlier one (a few bits flipped), or an exact
//! duplicate. Clusters of near-duplicates are what stress the
//! multi-index's candidate budget and bucket layout.

use hashwall::index::hamming::{HammingIndex, HammingMatch, MihParams, PdqWords, Strategy};

/// At most this many hashes per input.
const MAX_HASHES: usize = 600;

/// xorshift64*: deterministic, and any seed but 0 is fine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

fn flip(h: &mut PdqWords, bit: u32) {
    h[(bit / 64 % 4) as usize] ^= 1 << (bit % 64);
}

fn distance(a: &PdqWords, b: &PdqWords) -> u32 {
    a.iter().zip(b).map(|(x, y)| (x ^ y).count_ones()).sum()
}

fn brute<H>(hashes: &[H], dist: impl Fn(&H) -> u32, radius: u32) -> Vec<HammingMatch> {
    hashes
        .iter()
        .enumerate()
        .filter_map(|(i, h)| {
            let d = dist(h);
            (d <= radius).then(|| HammingMatch {
                id: u32::try_from(i).unwrap_or(u32::MAX),
                distance: d,
            })
        })
        .collect()
}

/// Checks the properties above on `data`.
pub fn pdq_index(data: &[u8]) {
    let Some((header, program)) = data.split_first_chunk::<8>() else {
        return;
    };
    let radius = u32::from(header[0]) % 65;
    let params = MihParams {
        substrings: u32::from(header[1] % 24) + 1,
        bucket_target: u32::from(header[2]) + 1,
        min_entries: 0,
    };
    let seed = u64::from_le_bytes([
        header[3], header[4], header[5], header[6], header[7], 1, 0x5a, 0xa5,
    ]);
    let mut rng = Rng(seed);
    let random = |rng: &mut Rng| [rng.next(), rng.next(), rng.next(), rng.next()];
    let mut hashes: Vec<PdqWords> = vec![random(&mut rng)];
    let (instructions, tail) = program.as_chunks::<3>();
    for &[op, a, b] in instructions.iter().take(MAX_HASHES) {
        let base = hashes[usize::from(a) % hashes.len()];
        let h = match op % 4 {
            0 => random(&mut rng),
            1 => {
                let mut h = base;
                flip(&mut h, u32::from(b));
                h
            }
            2 => {
                // Up to 63 bits flipped at random: near the radius.
                let mut h = base;
                for _ in 0..(op >> 2) {
                    flip(&mut h, (rng.next() % 256) as u32);
                }
                h
            }
            _ => base,
        };
        hashes.push(h);
    }
    // The query: a listed hash with some bits flipped, or a random one.
    let mut query = match tail.first() {
        Some(&i) => hashes[usize::from(i) % hashes.len()],
        None => random(&mut rng),
    };
    for &bit in tail.iter().skip(1) {
        flip(&mut query, u32::from(bit));
    }

    let expected = brute(&hashes, |h| distance(h, &query), radius);
    let index = HammingIndex::with_params(hashes.iter().copied(), params);
    assert_eq!(index.len(), hashes.len());
    assert_eq!(index.query(&query, radius), expected, "query (cost model)");
    assert_eq!(index.query_flat(&query, radius), expected, "flat scan");
    // Forcing the multi-index at large radii enumerates millions of probes
    // per table: only where each table's radius stays small.
    if radius / params.substrings.clamp(8, 256) <= 4 {
        let mut out = Vec::new();
        index.query_using(Strategy::MultiIndex, &query, radius, &mut out);
        assert_eq!(out, expected, "forced multi-index, {params:?}");
    }
    let default = HammingIndex::from_slice(&hashes);
    assert_eq!(default.query(&query, radius), expected, "default layout");

    // Variants: each entry once, with its best variant (lowest on ties).
    let mut variants = [query; 8];
    for (i, v) in variants.iter_mut().enumerate().skip(1) {
        for k in 0..i as u32 * 3 {
            flip(v, k * 37 + i as u32);
        }
    }
    let mut best: Vec<(u32, u32, u8)> = Vec::new();
    for (id, h) in hashes.iter().enumerate() {
        let found = variants
            .iter()
            .enumerate()
            .map(|(v, q)| (distance(h, q), v as u8))
            .filter(|&(d, _)| d <= radius)
            .min();
        if let Some((d, v)) = found {
            best.push((id as u32, d, v));
        }
    }
    let got: Vec<(u32, u32, u8)> = index
        .query_variants(&variants, radius)
        .iter()
        .map(|m| (m.id, m.distance, m.variant))
        .collect();
    assert_eq!(got, best, "variants");

    // The same program on 64-bit hashes (word 0), radius up to 64.
    let small: Vec<u64> = hashes.iter().map(|h| h[0]).collect();
    let q64 = query[0];
    let expected = brute(&small, |h| (h ^ q64).count_ones(), radius);
    let params64 = MihParams {
        substrings: params.substrings.clamp(2, 64),
        ..params
    };
    let index = HammingIndex::with_params(small.iter().copied(), params64);
    assert_eq!(index.query(&q64, radius), expected, "64-bit query");
    if radius / params64.substrings <= 4 {
        let mut out = Vec::new();
        index.query_using(Strategy::MultiIndex, &q64, radius, &mut out);
        assert_eq!(out, expected, "64-bit forced multi-index, {params64:?}");
    }
}
