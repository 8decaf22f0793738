//! The "islow" inverse DCT of the IJG code, which libjpeg-turbo (and so
//! Pillow) uses by default: 13-bit fixed-point constants, two extra bits
//! kept between the passes, rounding shifts, and libjpeg's range-limit
//! table (which wraps out-of-range values the way its `& RANGE_MASK` does).
//! Written from the published algorithm (Loeffler–Ligtenberg–Moschytz) so
//! that every sample equals libjpeg-turbo's.

const CONST_BITS: u32 = 13;
const PASS1_BITS: u32 = 2;

const FIX_0_298631336: i32 = 2446;
const FIX_0_390180644: i32 = 3196;
const FIX_0_541196100: i32 = 4433;
const FIX_0_765366865: i32 = 6270;
const FIX_0_899976223: i32 = 7373;
const FIX_1_175875602: i32 = 9633;
const FIX_1_501321110: i32 = 12299;
const FIX_1_847759065: i32 = 15137;
const FIX_1_961570560: i32 = 16069;
const FIX_2_053119869: i32 = 16819;
const FIX_2_562915447: i32 = 20995;
const FIX_3_072711026: i32 = 25172;

#[inline(always)]
fn descale(x: i32, n: u32) -> i32 {
    x.wrapping_add(1 << (n - 1)) >> n
}

/// libjpeg's `range_limit[x & RANGE_MASK]` for the IDCT output, `x` being
/// the descaled sample before the +128 level shift.
#[inline(always)]
fn range_limit(x: i32) -> u8 {
    // The table maps x & 1023 to x + 128 for 0..128, to 255 for 128..512,
    // to 0 for 512..896 and to x + 128 - 1024 for 896..1024; in terms of
    // v = (x + 128) & 1023: v up to 255, 255 up to 639, 0 above.
    let v = x.wrapping_add(128) & 1023;
    if v < 640 { v.min(255) as u8 } else { 0 }
}

/// Eight lanes: one per column in pass 1, one per row in pass 2.
type V = [i32; 8];

#[inline(always)]
fn add(a: V, b: V) -> V {
    std::array::from_fn(|i| a[i].wrapping_add(b[i]))
}

#[inline(always)]
fn sub(a: V, b: V) -> V {
    std::array::from_fn(|i| a[i].wrapping_sub(b[i]))
}

#[inline(always)]
fn mul(a: V, k: i32) -> V {
    std::array::from_fn(|i| a[i].wrapping_mul(k))
}

#[inline(always)]
fn shl(a: V, n: u32) -> V {
    std::array::from_fn(|i| a[i].wrapping_shl(n))
}

#[inline(always)]
fn descale_v(a: V, n: u32) -> V {
    std::array::from_fn(|i| descale(a[i], n))
}

/// The arithmetic of [`butterfly`], written once for both lane types (the
/// portable arrays and the AVX2 registers): `$c` holds the eight inputs,
/// `$add`, `$sub`, `$mul` (by a constant) and `$shl13` are the lane
/// operations.
macro_rules! butterfly_body {
    ($c:expr, $add:expr, $sub:expr, $mul:expr, $shl13:expr) => {{
        let (add, sub, mul, shl13) = ($add, $sub, $mul, $shl13);
        let c = $c;
        // Even part.
        let z1 = mul(add(c[2], c[6]), FIX_0_541196100);
        let tmp2 = add(z1, mul(c[6], -FIX_1_847759065));
        let tmp3 = add(z1, mul(c[2], FIX_0_765366865));
        let tmp0 = shl13(add(c[0], c[4]));
        let tmp1 = shl13(sub(c[0], c[4]));
        let tmp10 = add(tmp0, tmp3);
        let tmp13 = sub(tmp0, tmp3);
        let tmp11 = add(tmp1, tmp2);
        let tmp12 = sub(tmp1, tmp2);
        // Odd part.
        let (t0, t1, t2, t3) = (c[7], c[5], c[3], c[1]);
        let z1 = add(t0, t3);
        let z2 = add(t1, t2);
        let z3 = add(t0, t2);
        let z4 = add(t1, t3);
        let z5 = mul(add(z3, z4), FIX_1_175875602);
        let t0 = mul(t0, FIX_0_298631336);
        let t1 = mul(t1, FIX_2_053119869);
        let t2 = mul(t2, FIX_3_072711026);
        let t3 = mul(t3, FIX_1_501321110);
        let z1 = mul(z1, -FIX_0_899976223);
        let z2 = mul(z2, -FIX_2_562915447);
        let z3 = add(mul(z3, -FIX_1_961570560), z5);
        let z4 = add(mul(z4, -FIX_0_390180644), z5);
        let t0 = add(add(t0, z1), z3);
        let t1 = add(add(t1, z2), z4);
        let t2 = add(add(t2, z2), z3);
        let t3 = add(add(t3, z1), z4);
        [
            add(tmp10, t3),
            add(tmp11, t2),
            add(tmp12, t1),
            add(tmp13, t0),
            sub(tmp13, t0),
            sub(tmp12, t1),
            sub(tmp11, t2),
            sub(tmp10, t3),
        ]
    }};
}

/// The 1-D transform of T.81's IDCT as libjpeg's islow computes it, on
/// eight independent lanes: `c[k]` holds input `k` of every lane. Returns
/// the eight outputs, not yet descaled.
#[inline(always)]
fn butterfly(c: &[V; 8]) -> [V; 8] {
    butterfly_body!(c, add, sub, mul, |a| shl(a, CONST_BITS))
}

/// Inverse DCT of one block of quantised coefficients `coef` and their
/// quantisation table `q` (both in natural order; dequantised here, as
/// libjpeg's IDCT does, which keeps the multiplications out of the
/// sequential Huffman loop), writing 8 rows of 8 samples at
/// `out[r * stride ..]` (`out` must hold `7 · stride + 8` samples).
///
/// libjpeg skips the arithmetic for columns and rows without AC terms; the
/// result of the full computation is the same there (the shortcuts are
/// exact), so doing all eight lanes at once changes nothing.
#[inline]
pub(super) fn idct_islow(coef: &[i32; 64], q: &[i32; 64], out: &mut [u8], stride: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            unsafe { avx2::idct(coef, q, out, stride) };
            return;
        }
    }
    idct_portable(coef, q, out, stride);
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    //! The same arithmetic in AVX2 registers: eight 32-bit lanes, wrapping
    //! adds and multiplies, arithmetic shifts — every lane computes exactly
    //! what the scalar code computes.

    use super::*;
    use crate::image::transpose::transpose_8x8 as transpose;
    use std::arch::x86_64::*;

    type M = __m256i;

    #[inline]
    #[target_feature(enable = "avx2")]
    fn k(v: i32) -> M {
        _mm256_set1_epi32(v)
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    fn butterfly(c: [M; 8]) -> [M; 8] {
        butterfly_body!(
            c,
            |a, b| _mm256_add_epi32(a, b),
            |a, b| _mm256_sub_epi32(a, b),
            |a, v| _mm256_mullo_epi32(a, k(v)),
            |a| _mm256_slli_epi32::<13>(a)
        )
    }

    #[target_feature(enable = "avx2")]
    pub(super) fn idct(coef: &[i32; 64], q: &[i32; 64], out: &mut [u8], stride: usize) {
        let ((rows, _), (qrows, _)) = (coef.as_chunks::<8>(), q.as_chunks::<8>());
        // SAFETY: each row is 8 i32 = 32 bytes; unaligned loads.
        let load = |row: &[i32; 8]| unsafe { _mm256_loadu_si256(row.as_ptr().cast()) };
        let c: [M; 8] =
            std::array::from_fn(|r| _mm256_mullo_epi32(load(&rows[r]), load(&qrows[r])));
        // Pass 1 (lanes are columns), descale by CONST_BITS - PASS1_BITS.
        let o = butterfly(c);
        let r1 = k(1 << (CONST_BITS - PASS1_BITS - 1));
        let ws = o.map(|v| _mm256_srai_epi32::<11>(_mm256_add_epi32(v, r1)));
        // Pass 2 (lanes are rows), descale by CONST_BITS + PASS1_BITS + 3.
        let o = butterfly(transpose(ws));
        let r2 = k(1 << (CONST_BITS + PASS1_BITS + 3 - 1));
        let o = o.map(|v| _mm256_srai_epi32::<18>(_mm256_add_epi32(v, r2)));
        // Range limit (see `range_limit`), then rows again.
        let (m, c128, c255, c640) = (k(1023), k(128), k(255), k(640));
        let lim = o.map(|x| {
            let v = _mm256_and_si256(_mm256_add_epi32(x, c128), m);
            let keep = _mm256_cmpgt_epi32(c640, v);
            _mm256_and_si256(_mm256_min_epi32(v, c255), keep)
        });
        let rows = transpose(lim);
        // Samples are 0..=255 now, so the saturating packs are exact. Packing
        // pairs of rows to 16 bits interleaves their halves per 128-bit lane;
        // the permute puts each row back in one piece, and the 8-bit pack of
        // two such pairs gives rows 0, 2, 1, 3 in its four 64-bit words.
        let pair = |a, b| _mm256_permute4x64_epi64::<0b11_01_10_00>(_mm256_packus_epi32(a, b));
        let lo = _mm256_packus_epi16(pair(rows[0], rows[1]), pair(rows[2], rows[3]));
        let hi = _mm256_packus_epi16(pair(rows[4], rows[5]), pair(rows[6], rows[7]));
        let words = [
            _mm256_extract_epi64::<0>(lo),
            _mm256_extract_epi64::<2>(lo),
            _mm256_extract_epi64::<1>(lo),
            _mm256_extract_epi64::<3>(lo),
            _mm256_extract_epi64::<0>(hi),
            _mm256_extract_epi64::<2>(hi),
            _mm256_extract_epi64::<1>(hi),
            _mm256_extract_epi64::<3>(hi),
        ];
        for (r, w) in words.iter().enumerate() {
            if let Some(dst) = out.get_mut(r * stride..r * stride + 8) {
                dst.copy_from_slice(&w.to_le_bytes());
            }
        }
    }
}

#[inline(always)]
// Lane `r` of every output vector goes to row `r`: indexing says it best.
#[allow(clippy::needless_range_loop)]
fn idct_portable(coef: &[i32; 64], q: &[i32; 64], out: &mut [u8], stride: usize) {
    // Pass 1: lanes are columns, c[k] is row k.
    let c: [V; 8] = std::array::from_fn(|r| {
        std::array::from_fn(|j| coef[r * 8 + j].wrapping_mul(q[r * 8 + j]))
    });
    let ws = butterfly(&c).map(|v| descale_v(v, CONST_BITS - PASS1_BITS));
    // Pass 2: lanes are rows, c[k] is column k of the workspace.
    let t: [V; 8] = std::array::from_fn(|k| std::array::from_fn(|r| ws[r][k]));
    let o = butterfly(&t).map(|v| descale_v(v, CONST_BITS + PASS1_BITS + 3));
    for r in 0..8 {
        let Some(dst) = out.get_mut(r * stride..r * stride + 8) else {
            return;
        };
        for (k, d) in dst.iter_mut().enumerate() {
            *d = range_limit(o[k][r]);
        }
    }
}

/// A block whose only coefficient is the (dequantised) DC: one flat value.
#[inline]
pub(super) fn idct_dc(dc: i32, out: &mut [u8], stride: usize) {
    let v = range_limit(descale(dc.wrapping_shl(PASS1_BITS), PASS1_BITS + 3));
    for r in 0..8 {
        if let Some(dst) = out.get_mut(r * stride..r * stride + 8) {
            dst.fill(v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The quantisation table that leaves coefficients as they are.
    const ONES: [i32; 64] = [1; 64];

    #[test]
    fn dc_only_block_is_flat_and_rounded() {
        // DC 80 (dequantised) → 80 / 8 = 10 above mid-grey.
        let mut coef = [0i32; 64];
        coef[0] = 80;
        let mut out = [0u8; 64];
        idct_islow(&coef, &ONES, &mut out, 8);
        assert!(out.iter().all(|&v| v == 138));
        coef[0] = -2000; // far below black: clamped to 0
        idct_islow(&coef, &ONES, &mut out, 8);
        assert!(out.iter().all(|&v| v == 0));
    }

    #[test]
    fn dc_shortcut_equals_the_full_transform() {
        for dc in [
            -3000, -1030, -1024, -17, -1, 0, 1, 5, 8, 400, 1016, 1023, 5000,
        ] {
            let mut coef = [0i32; 64];
            coef[0] = dc;
            let (mut a, mut b) = ([0u8; 64], [0u8; 64]);
            idct_islow(&coef, &ONES, &mut a, 8);
            idct_dc(dc, &mut b, 8);
            assert_eq!(a, b, "dc {dc}");
        }
    }

    #[test]
    fn range_limit_is_libjpegs_table() {
        for x in -3000..3000 {
            let m = x & 1023;
            let want = match m {
                0..128 => m + 128,
                128..512 => 255,
                512..896 => 0,
                _ => m - 896,
            };
            assert_eq!(i32::from(range_limit(x)), want, "{x}");
        }
    }

    #[test]
    fn simd_and_portable_agree_and_dequantise() {
        let mut seed = 0x2545_f491u32;
        for round in 0..2000 {
            let (mut coef, mut q) = ([0i32; 64], [0i32; 64]);
            for (c, q) in coef.iter_mut().zip(q.iter_mut()) {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                // Mostly plausible values, sometimes absurd ones (wrapping).
                let span = if round % 10 == 0 { 1 << 20 } else { 150 };
                *c = (seed >> 4) as i32 % span - span / 2;
                *q = 1 + (seed >> 24) as i32 % 40;
            }
            let dequantised: [i32; 64] = std::array::from_fn(|i| coef[i].wrapping_mul(q[i]));
            let (mut a, mut b, mut c) = ([0u8; 64], [0u8; 64], [0u8; 64]);
            idct_islow(&coef, &q, &mut a, 8);
            idct_portable(&coef, &q, &mut b, 8);
            idct_portable(&dequantised, &ONES, &mut c, 8);
            assert_eq!(a, b);
            assert_eq!(b, c);
        }
    }

    #[test]
    fn matches_a_floating_point_idct_within_one() {
        let mut seed = 0x9e37_79b9u32;
        for _ in 0..200 {
            let mut coef = [0i32; 64];
            for (k, c) in coef.iter_mut().enumerate() {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                let span = if k == 0 {
                    800
                } else {
                    120 / (1 + k as i32 / 8)
                };
                *c = (seed >> 8) as i32 % (2 * span + 1) - span;
            }
            let mut out = [0u8; 64];
            idct_islow(&coef, &ONES, &mut out, 8);
            for y in 0..8 {
                for x in 0..8 {
                    let mut s = 0.0f64;
                    for v in 0..8 {
                        for u in 0..8 {
                            let cu = if u == 0 { 0.5f64.sqrt() } else { 1.0 };
                            let cv = if v == 0 { 0.5f64.sqrt() } else { 1.0 };
                            s += cu
                                * cv
                                * f64::from(coef[v * 8 + u])
                                * ((2 * x + 1) as f64 * u as f64 * std::f64::consts::PI / 16.0)
                                    .cos()
                                * ((2 * y + 1) as f64 * v as f64 * std::f64::consts::PI / 16.0)
                                    .cos();
                        }
                    }
                    let want = (s / 4.0 + 128.0).round().clamp(0.0, 255.0);
                    let got = f64::from(out[y * 8 + x]);
                    assert!((got - want).abs() <= 1.0, "{got} vs {want}");
                }
            }
        }
    }
}
