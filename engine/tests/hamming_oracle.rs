//! The multi-index returns exactly the flat scan's result set, for every
//! radius, on uniform and on clustered (near-duplicate heavy) lists, for both
//! hash widths, with queries near listed entries and random ones.

use hashwall::index::hamming::{HammingHash, HammingIndex, HammingMatch, MihParams, Strategy};
use proptest::prelude::*;

/// Deterministic generator (SplitMix64), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

trait Gen: HammingHash {
    fn random(rng: &mut Rng) -> Self;
    fn flip(self, bit: u32) -> Self;
}

impl Gen for u64 {
    fn random(rng: &mut Rng) -> Self {
        rng.next()
    }
    fn flip(self, bit: u32) -> Self {
        self ^ (1 << bit)
    }
}

impl Gen for [u64; 4] {
    fn random(rng: &mut Rng) -> Self {
        [rng.next(), rng.next(), rng.next(), rng.next()]
    }
    fn flip(mut self, bit: u32) -> Self {
        self[(bit / 64) as usize] ^= 1 << (bit % 64);
        self
    }
}

/// `h` with `k` random bits flipped (possibly the same bit twice, so at most
/// `k` bits differ).
fn perturb<H: Gen>(rng: &mut Rng, mut h: H, k: u32) -> H {
    for _ in 0..k {
        h = h.flip(rng.below(u64::from(H::BITS)) as u32);
    }
    h
}

fn uniform<H: Gen>(rng: &mut Rng, n: usize) -> Vec<H> {
    (0..n).map(|_| H::random(rng)).collect()
}

/// Groups of near-duplicates: a random centre, members within 0–8 bits,
/// group sizes from 1 to a few hundred, plus one group of 3000 (the skewed
/// case: one huge bucket in every table) and exact duplicates.
fn clustered<H: Gen>(rng: &mut Rng, n: usize) -> Vec<H> {
    let mut out = Vec::with_capacity(n);
    let big = H::random(rng);
    while out.len() < n {
        let (centre, size) = if out.is_empty() {
            (big, 3000)
        } else {
            let scale = rng.below(9);
            (H::random(rng), 1 + rng.below(1 << scale) as usize)
        };
        for _ in 0..size.min(n - out.len()) {
            let k = rng.below(9) as u32;
            out.push(perturb(rng, centre, k));
        }
    }
    // A few exact duplicates.
    for i in 0..50 {
        let h = out[i * 7];
        out.push(h);
    }
    out
}

fn queries<H: Gen>(rng: &mut Rng, list: &[H], n: usize) -> Vec<H> {
    (0..n)
        .map(|i| {
            if i % 4 == 3 {
                H::random(rng)
            } else {
                let e = list[rng.below(list.len() as u64) as usize];
                let k = rng.below(u64::from(H::BITS / 4)) as u32;
                perturb(rng, e, k)
            }
        })
        .collect()
}

/// The default layout, with a multi-index even for the small test lists.
fn mih_params<H: HammingHash>() -> MihParams {
    MihParams {
        min_entries: 0,
        ..HammingIndex::<H>::default_params()
    }
}

fn check_all_radii<H: Gen>(
    index: &HammingIndex<H>,
    qs: &[H],
    radii: impl Iterator<Item = u32> + Clone,
) -> usize {
    let mut found = 0;
    let mut got = Vec::new();
    for (i, q) in qs.iter().enumerate() {
        for r in radii.clone() {
            // Large radii probe tens of thousands of buckets per table
            // (every bucket, for 64-bit hashes with 2 substrings past r=32):
            // slow in a debug build, so two queries only.
            let large = if H::BITS == 256 { 48 } else { 24 };
            if r >= large && i >= 2 {
                continue;
            }
            index.query_using(Strategy::MultiIndex, q, r, &mut got);
            let want = index.query_flat(q, r);
            assert_eq!(got, want, "query {q:?} radius {r}");
            assert!(want.iter().all(|m| m.distance <= r));
            // The automatic choice must agree too.
            assert_eq!(index.query(q, r), want);
            found += want.len();
        }
    }
    found
}

#[test]
fn pdq_uniform_and_clustered_all_radii() {
    let mut rng = Rng(1);
    for (name, list) in [
        ("uniform", uniform::<[u64; 4]>(&mut rng, 6000)),
        ("clustered", clustered::<[u64; 4]>(&mut rng, 9000)),
    ] {
        let index = HammingIndex::with_params(list.iter().copied(), mih_params::<[u64; 4]>());
        let qs = queries(&mut rng, &list, 8);
        let found = check_all_radii(&index, &qs, 0..64);
        let floor = if name == "uniform" { 100 } else { 1000 };
        assert!(found > floor, "{name}: only {found} matches, test too weak");
    }
}

#[test]
fn pdq_other_layouts() {
    let mut rng = Rng(2);
    let list = clustered::<[u64; 4]>(&mut rng, 8000);
    for (substrings, bucket_target) in [(9, 4), (12, 1), (16, 64), (11, 1000)] {
        let params = MihParams {
            substrings,
            bucket_target,
            min_entries: 0,
        };
        let index = HammingIndex::with_params(list.iter().copied(), params);
        let qs = queries(&mut rng, &list, 4);
        check_all_radii(&index, &qs, (0..64).step_by(3));
    }
}

#[test]
fn hash64_all_radii() {
    let mut rng = Rng(3);
    for list in [
        uniform::<u64>(&mut rng, 5000),
        clustered::<u64>(&mut rng, 9000),
    ] {
        // 2: the default; 5: unequal lengths; 8: 8-bit substrings, no tags.
        for substrings in [2, 5, 8] {
            let params = MihParams {
                substrings,
                bucket_target: 16,
                min_entries: 0,
            };
            let index = HammingIndex::with_params(list.iter().copied(), params);
            let qs = queries(&mut rng, &list, 5);
            let found = check_all_radii(&index, &qs, 0..=64);
            assert!(found > 1000);
        }
    }
}

#[test]
fn variants_report_best_once() {
    let mut rng = Rng(4);
    let list = clustered::<[u64; 4]>(&mut rng, 6000);
    let index = HammingIndex::with_params(list.iter().copied(), mih_params::<[u64; 4]>());
    for _ in 0..5 {
        let base = list[rng.below(list.len() as u64) as usize];
        // Variants at increasing distance from a listed entry, plus randoms.
        let variants: Vec<[u64; 4]> = (0..8)
            .map(|v| {
                if v % 3 == 2 {
                    <[u64; 4]>::random(&mut rng)
                } else {
                    perturb(&mut rng, base, 4 * v)
                }
            })
            .collect();
        let got = index.query_variants(&variants, 31);
        // Oracle: per entry, the minimum over variants of the flat scan.
        let mut want: Vec<(u32, u32, u8)> = Vec::new();
        for (v, q) in variants.iter().enumerate() {
            for HammingMatch { id, distance } in index.query_flat(q, 31) {
                want.push((id, distance, v as u8));
            }
        }
        want.sort_unstable();
        want.dedup_by_key(|m| m.0);
        let got: Vec<(u32, u32, u8)> = got.iter().map(|m| (m.id, m.distance, m.variant)).collect();
        assert_eq!(got, want);
        assert!(got.len() > 100);
    }
}

#[test]
fn small_lists_and_edges() {
    let empty = HammingIndex::<[u64; 4]>::new(Vec::new());
    assert!(empty.is_empty());
    assert!(empty.query(&[0; 4], 256).is_empty());
    let one = HammingIndex::new([7u64]);
    assert_eq!(one.query(&0, 2), vec![]);
    assert_eq!(one.query(&0, 3), vec![HammingMatch { id: 0, distance: 3 }]);
    assert_eq!(one.query(&0, 1000).len(), 1);
    assert_eq!(one.strategy(3), Strategy::Flat);
    assert!(one.heap_bytes() >= 8);
    // Radius at and beyond the width on a multi-indexed list: everything.
    let mut rng = Rng(5);
    let list = uniform::<[u64; 4]>(&mut rng, 5000);
    assert_eq!(
        HammingIndex::from_slice(&list).strategy(0),
        Strategy::Flat,
        "small list"
    );
    let index = HammingIndex::with_params(list.iter().copied(), mih_params::<[u64; 4]>());
    assert_eq!(index.strategy(0), Strategy::MultiIndex);
    assert_eq!(index.strategy(255), Strategy::Flat);
    assert_eq!(index.query(&[0; 4], 256).len(), 5000);
    assert_eq!(index.query(&[0; 4], 300).len(), 5000);
    let mut got = Vec::new();
    index.query_using(Strategy::MultiIndex, &[0; 4], 256, &mut got);
    assert_eq!(got.len(), 5000);
    assert_eq!(index.get(17), Some(&list[17]));
    assert_eq!(index.get(5000), None);
}

#[test]
fn default_large_list_uses_multi_index() {
    let mut rng = Rng(6);
    let list = clustered::<[u64; 4]>(&mut rng, 20_000);
    let index = HammingIndex::from_slice(&list);
    assert_eq!(index.strategy(15), Strategy::MultiIndex);
    let qs = queries(&mut rng, &list, 8);
    check_all_radii(&index, &qs, [0, 15, 31].into_iter());
    // Inside the 3000-member group: ~3000 matches, each a candidate in all
    // 8 tables, more than scanning 20 000 hashes costs, so the automatic
    // path abandons the multi-index mid-query and scans: same result.
    let in_group = index.query(&list[0], 15);
    assert!(in_group.len() > 2000, "{}", in_group.len());
    assert_eq!(in_group, index.query_flat(&list[0], 15));
    let list64 = clustered::<u64>(&mut rng, 20_000);
    let index = HammingIndex::from_slice(&list64);
    assert_eq!(index.strategy(4), Strategy::MultiIndex);
    let qs = queries(&mut rng, &list64, 8);
    check_all_radii(&index, &qs, [0, 4, 8, 10, 12, 16].into_iter());
}

#[test]
fn send_sync() {
    fn is<T: Send + Sync>() {}
    is::<HammingIndex<[u64; 4]>>();
    is::<HammingIndex<u64>>();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn prop_matches_flat(seed in any::<u64>(), substrings in 1u32..20, target in 1u32..200,
                         clustered_list in any::<bool>(), r in 0u32..80) {
        let mut rng = Rng(seed);
        let list: Vec<[u64; 4]> = if clustered_list { clustered(&mut rng, 5000) } else { uniform(&mut rng, 4500) };
        let index = HammingIndex::with_params(list.iter().copied(), MihParams { substrings, bucket_target: target, min_entries: 0 });
        let mut got = Vec::new();
        for q in queries(&mut rng, &list, 4) {
            index.query_using(Strategy::MultiIndex, &q, r, &mut got);
            prop_assert_eq!(&got, &index.query_flat(&q, r));
        }
    }
}
