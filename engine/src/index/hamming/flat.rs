//! The exhaustive XOR-and-popcount scan: the oracle every other path is
//! tested against, and the path taken for small lists and large radii.

use super::HammingMatch;
use super::bits::HammingHash;

/// Appends to `out` every `(id, distance)` with `distance(hashes[id], query)
/// <= max_distance`, in increasing id order.
pub(crate) fn scan<H: HammingHash>(
    hashes: &[H],
    query: &H,
    max_distance: u32,
    out: &mut Vec<HammingMatch>,
) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("popcnt") {
            // SAFETY: the CPU supports the features `scan_avx2` is compiled for.
            unsafe { scan_avx2(hashes, query, max_distance, out) };
            return;
        }
        if std::is_x86_feature_detected!("popcnt") {
            // SAFETY: as above.
            unsafe { scan_popcnt(hashes, query, max_distance, out) };
            return;
        }
    }
    scan_generic(hashes, query, max_distance, out);
}

/// The scan body: distances of a block are computed first into a small
/// array (a loop the compiler vectorises), then the block is filtered, so
/// the branchy push does not stop vectorisation of the popcounts.
#[inline(always)]
fn scan_generic<H: HammingHash>(
    hashes: &[H],
    query: &H,
    max_distance: u32,
    out: &mut Vec<HammingMatch>,
) {
    const BLOCK: usize = 64;
    let mut dist = [0u32; BLOCK];
    for (b, block) in hashes.chunks(BLOCK).enumerate() {
        let mut any = false;
        for (d, h) in dist.iter_mut().zip(block) {
            *d = h.distance(query);
            any |= *d <= max_distance;
        }
        if any {
            for (i, &d) in dist.iter().enumerate().take(block.len()) {
                if d <= max_distance {
                    // Ids fit in u32: the index constructor checks the length.
                    out.push(HammingMatch {
                        id: (b * BLOCK + i) as u32,
                        distance: d,
                    });
                }
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,popcnt")]
unsafe fn scan_avx2<H: HammingHash>(
    hashes: &[H],
    query: &H,
    max_distance: u32,
    out: &mut Vec<HammingMatch>,
) {
    scan_generic(hashes, query, max_distance, out);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt")]
unsafe fn scan_popcnt<H: HammingHash>(
    hashes: &[H],
    query: &H,
    max_distance: u32,
    out: &mut Vec<HammingMatch>,
) {
    scan_generic(hashes, query, max_distance, out);
}
