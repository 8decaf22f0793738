//! How the stream checks cut one input into reads: a client controls TCP
//! segmentation, so a parser must give the same result whatever the cuts.

/// Read sizes from a seed: 1 to 64 bytes, a small xorshift sequence.
pub fn cuts(seed: u8) -> impl Iterator<Item = usize> {
    let mut x = u32::from(seed) | 0x9e37_0000;
    std::iter::from_fn(move || {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        Some((x % 64) as usize + 1)
    })
}
