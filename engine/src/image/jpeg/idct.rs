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
    let m = x & 1023;
    if m < 128 {
        (m + 128) as u8
    } else if m < 512 {
        255
    } else if m < 896 {
        0
    } else {
        (m - 896) as u8
    }
}

/// One butterfly of the 1-D transform over `c[0..8]` (already dequantised
/// and, in pass 2, pre-scaled), returning the eight undescaled outputs.
#[inline(always)]
fn butterfly(c: [i32; 8]) -> [i32; 8] {
    // Even part.
    let z2 = c[2];
    let z3 = c[6];
    let z1 = z2.wrapping_add(z3).wrapping_mul(FIX_0_541196100);
    let tmp2 = z1.wrapping_add(z3.wrapping_mul(-FIX_1_847759065));
    let tmp3 = z1.wrapping_add(z2.wrapping_mul(FIX_0_765366865));
    let tmp0 = c[0].wrapping_add(c[4]).wrapping_shl(CONST_BITS);
    let tmp1 = c[0].wrapping_sub(c[4]).wrapping_shl(CONST_BITS);
    let tmp10 = tmp0.wrapping_add(tmp3);
    let tmp13 = tmp0.wrapping_sub(tmp3);
    let tmp11 = tmp1.wrapping_add(tmp2);
    let tmp12 = tmp1.wrapping_sub(tmp2);
    // Odd part.
    let (t0, t1, t2, t3) = (c[7], c[5], c[3], c[1]);
    let z1 = t0.wrapping_add(t3);
    let z2 = t1.wrapping_add(t2);
    let z3 = t0.wrapping_add(t2);
    let z4 = t1.wrapping_add(t3);
    let z5 = z3.wrapping_add(z4).wrapping_mul(FIX_1_175875602);
    let t0 = t0.wrapping_mul(FIX_0_298631336);
    let t1 = t1.wrapping_mul(FIX_2_053119869);
    let t2 = t2.wrapping_mul(FIX_3_072711026);
    let t3 = t3.wrapping_mul(FIX_1_501321110);
    let z1 = z1.wrapping_mul(-FIX_0_899976223);
    let z2 = z2.wrapping_mul(-FIX_2_562915447);
    let z3 = z3.wrapping_mul(-FIX_1_961570560).wrapping_add(z5);
    let z4 = z4.wrapping_mul(-FIX_0_390180644).wrapping_add(z5);
    let t0 = t0.wrapping_add(z1).wrapping_add(z3);
    let t1 = t1.wrapping_add(z2).wrapping_add(z4);
    let t2 = t2.wrapping_add(z2).wrapping_add(z3);
    let t3 = t3.wrapping_add(z1).wrapping_add(z4);
    [
        tmp10.wrapping_add(t3),
        tmp11.wrapping_add(t2),
        tmp12.wrapping_add(t1),
        tmp13.wrapping_add(t0),
        tmp13.wrapping_sub(t0),
        tmp12.wrapping_sub(t1),
        tmp11.wrapping_sub(t2),
        tmp10.wrapping_sub(t3),
    ]
}

/// Inverse DCT of one block of dequantised coefficients (natural order),
/// writing 8 rows of 8 samples at `out[r * stride ..]`.
pub(super) fn idct_islow(coef: &[i32; 64], out: &mut [u8], stride: usize) {
    let mut ws = [0i32; 64];
    // Pass 1: columns. A column with no AC term gives its scaled DC
    // everywhere, exactly what the full computation gives.
    for col in 0..8 {
        let c: [i32; 8] = std::array::from_fn(|r| coef[r * 8 + col]);
        if c[1..].iter().all(|&v| v == 0) {
            let dc = c[0].wrapping_shl(PASS1_BITS);
            for r in 0..8 {
                ws[r * 8 + col] = dc;
            }
            continue;
        }
        let o = butterfly(c);
        for r in 0..8 {
            ws[r * 8 + col] = descale(o[r], CONST_BITS - PASS1_BITS);
        }
    }
    // Pass 2: rows, with the final descale and range limit.
    for (r, w) in ws.chunks_exact(8).enumerate() {
        let Some(dst) = out.get_mut(r * stride..r * stride + 8) else {
            return;
        };
        let c: [i32; 8] = std::array::from_fn(|i| w[i]);
        if c[1..].iter().all(|&v| v == 0) {
            dst.fill(range_limit(descale(c[0], PASS1_BITS + 3)));
            continue;
        }
        let o = butterfly(c);
        for (d, &v) in dst.iter_mut().zip(o.iter()) {
            *d = range_limit(descale(v, CONST_BITS + PASS1_BITS + 3));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dc_only_block_is_flat_and_rounded() {
        // DC 80 (dequantised) → 80 / 8 = 10 above mid-grey.
        let mut coef = [0i32; 64];
        coef[0] = 80;
        let mut out = [0u8; 64];
        idct_islow(&coef, &mut out, 8);
        assert!(out.iter().all(|&v| v == 138));
        coef[0] = -2000; // far below black: clamped to 0
        idct_islow(&coef, &mut out, 8);
        assert!(out.iter().all(|&v| v == 0));
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
            idct_islow(&coef, &mut out, 8);
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
