//! Deterministic PDQ-like hash lists and queries for the Hamming benchmarks
//! and the FAISS comparison (same seed, same data, in both).

pub use crate::rng::Rng;

/// `h` with `k` distinct random bits flipped (exactly `k` bits differ).
pub fn flip_bits(rng: &mut Rng, mut h: [u64; 4], k: u32) -> [u64; 4] {
    let mut flipped = [0u64; 4];
    let mut done = 0;
    while done < k.min(256) {
        let b = rng.below_mod(256) as usize;
        if flipped[b / 64] & (1 << (b % 64)) == 0 {
            flipped[b / 64] |= 1 << (b % 64);
            h[b / 64] ^= 1 << (b % 64);
            done += 1;
        }
    }
    h
}

/// `n` uniform random hashes.
pub fn uniform(seed: u64, n: usize) -> Vec<[u64; 4]> {
    let mut rng = Rng::new(seed);
    (0..n).map(|_| rng.pdq()).collect()
}

/// `n` hashes in groups of near-duplicates, as in real lists where one image
/// is listed in many re-encodings and crops: a random centre, members 0–8
/// bits from it. Group sizes are heavy-tailed (1 to 1024, log-uniform), and
/// ten groups of 5000 members make some buckets of every table huge.
pub fn clustered(seed: u64, n: usize) -> Vec<[u64; 4]> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(n);
    let mut big_groups = 10;
    while out.len() < n {
        let size = if big_groups > 0 {
            big_groups -= 1;
            5000
        } else {
            let scale = rng.below_mod(11);
            1 + rng.below_mod(1 << scale) as usize
        };
        let centre = rng.pdq();
        for _ in 0..size.min(n - out.len()) {
            let k = rng.below_mod(9) as u32;
            out.push(flip_bits(&mut rng, centre, k));
        }
    }
    out
}

/// Queries that are listed entries with `k` bits flipped, `k` uniform in
/// `0..=max_flip`: most have true matches at radius 31.
pub fn near_queries(seed: u64, list: &[[u64; 4]], n: usize, max_flip: u32) -> Vec<[u64; 4]> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|_| {
            let e = list[rng.below_mod(list.len() as u64) as usize];
            let k = rng.below_mod(u64::from(max_flip) + 1) as u32;
            flip_bits(&mut rng, e, k)
        })
        .collect()
}

/// Uniform random queries: at radius 31 they almost never match anything.
pub fn random_queries(seed: u64, n: usize) -> Vec<[u64; 4]> {
    uniform(seed ^ 0x5eed, n)
}

/// Batches of 8 "dihedral variants": the first near a listed entry, the
/// other seven unrelated (a rotated image's PDQ hash is far from the
/// original's), which is what a lookup of a listed image looks like.
pub fn variant_batches(seed: u64, list: &[[u64; 4]], n: usize) -> Vec<[[u64; 4]; 8]> {
    let near = near_queries(seed, list, n, 24);
    let mut rng = Rng::new(seed ^ 0xd1ed);
    near.into_iter()
        .map(|q| {
            let mut b = [[0u64; 4]; 8];
            b[0] = q;
            for v in b.iter_mut().skip(1) {
                *v = rng.pdq();
            }
            b
        })
        .collect()
}

/// Little-endian bytes of each hash, 32 per hash (FAISS's binary layout: the
/// bit order does not change Hamming distances).
pub fn to_bytes(hashes: &[[u64; 4]]) -> Vec<u8> {
    hashes
        .iter()
        .flat_map(|h| h.iter().flat_map(|w| w.to_le_bytes()))
        .collect()
}

/// `n` uniform random 64-bit hashes.
pub fn uniform64(seed: u64, n: usize) -> Vec<u64> {
    let mut rng = Rng::new(seed);
    (0..n).map(|_| rng.next_u64()).collect()
}

/// 64-bit queries: listed entries with up to `max_flip` bits flipped.
pub fn near_queries64(seed: u64, list: &[u64], n: usize, max_flip: u32) -> Vec<u64> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|_| {
            let mut h = list[rng.below_mod(list.len() as u64) as usize];
            for _ in 0..rng.below_mod(u64::from(max_flip) + 1) {
                h ^= 1 << rng.below_mod(64);
            }
            h
        })
        .collect()
}
