//! The hash widths the index accepts, and the bit operations it needs.

/// A fixed-width binary hash compared by Hamming distance.
///
/// Implemented for `u64` (64-bit pHash / dHash) and `[u64; N]` (`[u64; 4]` is
/// a 256-bit PDQ hash). Bit `i` of `[u64; N]` is bit `i % 64` of word `i / 64`;
/// the order only has to be the same for the listed hashes and the queries.
///
/// The trait is sealed: the index's layout choices (substring lengths, cost
/// model) are only measured for these widths.
pub trait HammingHash:
    Copy + Eq + Send + Sync + std::fmt::Debug + 'static + sealed::Sealed
{
    /// Width in bits.
    const BITS: u32;

    /// Number of differing bits between `self` and `other`.
    fn distance(&self, other: &Self) -> u32;

    /// The `len` bits starting at bit `start`, as the low bits of a `u32`
    /// (`1 <= len <= 32`, `start + len <= BITS`).
    fn substring(&self, start: u32, len: u32) -> u32;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for u64 {}
    impl<const N: usize> Sealed for [u64; N] {}
}

/// Mask of the low `len` bits (`len <= 32`).
#[inline(always)]
pub(crate) fn low_mask(len: u32) -> u32 {
    if len >= 32 {
        u32::MAX
    } else {
        (1u32 << len) - 1
    }
}

impl HammingHash for u64 {
    const BITS: u32 = 64;

    #[inline(always)]
    fn distance(&self, other: &Self) -> u32 {
        (self ^ other).count_ones()
    }

    #[inline(always)]
    fn substring(&self, start: u32, len: u32) -> u32 {
        debug_assert!((1..=32).contains(&len) && start + len <= 64);
        // Truncation keeps the low 32 bits; the mask then keeps `len` of them.
        ((self >> start) as u32) & low_mask(len)
    }
}

impl<const N: usize> HammingHash for [u64; N] {
    const BITS: u32 = 64 * N as u32;

    #[inline(always)]
    fn distance(&self, other: &Self) -> u32 {
        // A fixed-length loop the compiler unrolls (and vectorises with AVX2).
        let mut d = 0;
        for i in 0..N {
            d += (self[i] ^ other[i]).count_ones();
        }
        d
    }

    #[inline(always)]
    fn substring(&self, start: u32, len: u32) -> u32 {
        debug_assert!((1..=32).contains(&len) && start + len <= Self::BITS);
        let word = (start / 64) as usize;
        let shift = start % 64;
        // A substring of at most 32 bits spans at most two words.
        let lo = self[word] >> shift;
        let v = if shift + len > 64 {
            lo | (self[word + 1] << (64 - shift))
        } else {
            lo
        };
        (v as u32) & low_mask(len)
    }
}

/// `C(n, k)` as `f64` (used by the cost model, so no overflow concerns).
pub(crate) fn binomial(n: u32, k: u32) -> f64 {
    if k > n {
        return 0.0;
    }
    let k = k.min(n - k);
    let mut c = 1.0;
    for i in 0..k {
        c = c * f64::from(n - i) / f64::from(i + 1);
    }
    c
}

/// Number of `bits`-bit values within Hamming distance `r` of a given one.
pub(crate) fn ball_size(bits: u32, r: u32) -> f64 {
    (0..=r.min(bits)).map(|k| binomial(bits, k)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substring_spans_words() {
        let h: [u64; 4] = [0x8000_0000_0000_0000, 0x0000_0000_0000_0001, 0, u64::MAX];
        assert_eq!(h.substring(63, 2), 0b11);
        assert_eq!(h.substring(62, 3), 0b110);
        assert_eq!(h.substring(224, 32), u32::MAX);
        assert_eq!(h.substring(0, 32), 0);
        assert_eq!(0xdead_beef_0000_0000u64.substring(32, 32), 0xdead_beef);
    }

    #[test]
    fn ball_sizes() {
        assert_eq!(ball_size(16, 3), 697.0);
        assert_eq!(ball_size(18, 3), 988.0);
        assert_eq!(ball_size(4, 9), 16.0);
        assert_eq!(binomial(256, 0), 1.0);
    }
}
