//! libjpeg-turbo's "fancy" (triangle-filter) chroma upsampling and its
//! fixed-point YCbCr → RGB conversion, one output row at a time.

const SCALEBITS: u32 = 16;
const ONE_HALF: i32 = 1 << (SCALEBITS - 1);

/// `FIX(x)` of jdcolor.c for its four constants: `x · 2^16`, rounded.
const FIX_1_40200: i32 = 91881;
const FIX_1_77200: i32 = 116130;
const FIX_0_71414: i32 = 46802;
const FIX_0_34414: i32 = 22554;

/// libjpeg-turbo's YCbCr → RGB. Its tables hold exactly these products
/// (rounded where it rounds); computing them instead of looking them up
/// lets the loops vectorise.
#[inline(always)]
fn ycc(y: u8, cb: u8, cr: u8) -> [i32; 3] {
    let (y, cb, cr) = (i32::from(y), i32::from(cb) - 128, i32::from(cr) - 128);
    let r = y + ((FIX_1_40200 * cr + ONE_HALF) >> SCALEBITS);
    let g = y + ((-FIX_0_34414 * cb + ONE_HALF - FIX_0_71414 * cr) >> SCALEBITS);
    let b = y + ((FIX_1_77200 * cb + ONE_HALF) >> SCALEBITS);
    [r.clamp(0, 255), g.clamp(0, 255), b.clamp(0, 255)]
}

/// Interleaved RGB from full-resolution Y, Cb, Cr rows (`out.len()` is
/// `3 · y.len()`).
#[inline]
pub(super) fn ycc_to_rgb(y: &[u8], cb: &[u8], cr: &[u8], out: &mut [u8]) {
    let (px, _) = out.as_chunks_mut::<3>();
    for (((o, &y), &cb), &cr) in px.iter_mut().zip(y).zip(cb).zip(cr) {
        let [r, g, b] = ycc(y, cb, cr);
        *o = [r as u8, g as u8, b as u8];
    }
}

/// Luma of the RGB pixels libjpeg-turbo would output for these Y, Cb, Cr
/// rows, without materialising them, with the same formula, operations in
/// the same order, as for decoded RGB images: for the `pdq` flavour
/// (`F32 = false`) NumPy's `f64` `(r·0.299 + g·0.587) + b·0.114` rounded to
/// `f32`; for `pdq-512` the C++ hasher's `f32` products and sums. `cb` and
/// `cr` are `None` for greyscale (r = g = b = y). Compiled for AVX2 and
/// FMA too, chosen at run time.
#[inline]
pub(super) fn ycc_to_luma<const F32: bool>(
    y: &[u8],
    chroma: Option<(&[u8], &[u8])>,
    out: &mut [f32],
) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: the CPU supports AVX2 and FMA, checked just above.
            unsafe { ycc_to_luma_avx2::<F32>(y, chroma, out) };
            return;
        }
    }
    ycc_to_luma_portable::<F32, false>(y, chroma, out);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn ycc_to_luma_avx2<const F32: bool>(y: &[u8], chroma: Option<(&[u8], &[u8])>, out: &mut [f32]) {
    ycc_to_luma_portable::<F32, true>(y, chroma, out);
}

/// `l / 1000` correctly rounded to `f32`, for `l` in `0..=255_000`: a
/// division, or with `FMA` (where the hardware fuses) a multiplication by
/// the rounded reciprocal and one correction step, three operations of
/// the FMA units instead of the slower divider. The test checks that both
/// give the same bits for every `l`.
#[inline(always)]
fn thousandths<const FMA: bool>(l: i32) -> f32 {
    let x = l as f32;
    if FMA {
        const RECIP: f32 = 1.0 / 1000.0;
        let q = x * RECIP;
        (-q).mul_add(1000.0, x).mul_add(RECIP, q)
    } else {
        x / 1000.0
    }
}

#[inline(always)]
fn luma<const F32: bool, const FMA: bool>([r, g, b]: [i32; 3]) -> f32 {
    if F32 {
        let (r, g, b) = (r as f32, g as f32, b as f32);
        (0.299f32 * r + 0.587f32 * g) + 0.114f32 * b
    } else {
        // NumPy's `((r·0.299 + g·0.587) + b·0.114) as f32` in `f64` is
        // always the exact quotient (299r + 587g + 114b) / 1000 rounded to
        // `f32`: the `f64` error (~1e-13) is far smaller than the distance
        // from any such quotient to a rounding boundary of `f32`
        // (≥ value · 6e-11). IEEE division rounds exactly that quotient
        // correctly, and the integer sum is exact in `f32` (< 2^24), so one
        // `f32` division gives the same bits with 8 lanes per AVX2
        // register instead of 4. The test checks all 2^24 colours.
        thousandths::<FMA>(299 * r + 587 * g + 114 * b)
    }
}

#[inline(always)]
fn ycc_to_luma_portable<const F32: bool, const FMA: bool>(
    y: &[u8],
    chroma: Option<(&[u8], &[u8])>,
    out: &mut [f32],
) {
    match chroma {
        Some((cb, cr)) => {
            for (((o, &y), &cb), &cr) in out.iter_mut().zip(y).zip(cb).zip(cr) {
                *o = luma::<F32, FMA>(ycc(y, cb, cr));
            }
        }
        None => {
            for (o, &y) in out.iter_mut().zip(y) {
                let v = i32::from(y);
                *o = luma::<F32, FMA>([v, v, v]);
            }
        }
    }
}

/// h2v1 fancy upsampling: `input` is the downsampled row (at least 3
/// samples, checked by the caller), `out` receives `2 · input.len()`.
pub(super) fn h2v1(input: &[u8], out: &mut [u8]) {
    let n = input.len();
    let s = |i: usize| i32::from(input[i]);
    out[0] = input[0];
    out[1] = ((s(0) * 3 + s(1) + 2) >> 2) as u8;
    for i in 1..n - 1 {
        let v = s(i) * 3;
        out[2 * i] = ((v + s(i - 1) + 1) >> 2) as u8;
        out[2 * i + 1] = ((v + s(i + 1) + 2) >> 2) as u8;
    }
    out[2 * n - 2] = ((s(n - 1) * 3 + s(n - 2) + 1) >> 2) as u8;
    out[2 * n - 1] = input[n - 1];
}

/// h2v2 fancy upsampling of one output row: `near` is the chroma row the
/// output row lies in, `far` the adjacent one on its side (the same row at
/// the image's edges); both at least 3 samples, `out` gets `2 · len`.
/// `sums` is working memory. Compiled for AVX2 too, chosen at run time.
pub(super) fn h2v2(near: &[u8], far: &[u8], sums: &mut Vec<u16>, out: &mut [u8]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            unsafe { h2v2_avx2(near, far, sums, out) };
            return;
        }
    }
    h2v2_portable(near, far, sums, out);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn h2v2_avx2(near: &[u8], far: &[u8], sums: &mut Vec<u16>, out: &mut [u8]) {
    h2v2_portable(near, far, sums, out);
}

/// The arithmetic of h2v2, written so that it vectorises: the vertical
/// sums first, then each output pair from three neighbouring sums (16-bit
/// lanes suffice: a sum is at most 4 · 255, an output term 16 · 255 + 8).
#[inline(always)]
fn h2v2_portable(near: &[u8], far: &[u8], sums: &mut Vec<u16>, out: &mut [u8]) {
    let n = near.len();
    // Vertical pass: 3/4 near + 1/4 far, kept at four times the scale.
    sums.clear();
    sums.extend(
        near.iter()
            .zip(far)
            .map(|(&a, &b)| u16::from(a) * 3 + u16::from(b)),
    );
    // Horizontal pass, with libjpeg's alternating rounding (8, then 7).
    out[0] = ((sums[0] * 4 + 8) >> 4) as u8;
    out[1] = ((sums[0] * 3 + sums[1] + 7) >> 4) as u8;
    let (pairs, _) = out[2..2 * n - 2].as_chunks_mut::<2>();
    for (((o, &left), &mid), &right) in pairs
        .iter_mut()
        .zip(&sums[..n - 2])
        .zip(&sums[1..n - 1])
        .zip(&sums[2..])
    {
        let even = (mid * 3 + left + 8) >> 4;
        let odd = (mid * 3 + right + 7) >> 4;
        *o = (even | (odd << 8)).to_le_bytes();
    }
    out[2 * n - 2] = ((sums[n - 1] * 3 + sums[n - 2] + 8) >> 4) as u8;
    out[2 * n - 1] = ((sums[n - 1] * 4 + 7) >> 4) as u8;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// jdcolor.c's tables, built as it builds them.
    fn jdcolor(y: u8, cb: u8, cr: u8) -> [u8; 3] {
        let fix = |x: f64| (x * 65536.0 + 0.5) as i64;
        let (yy, cbx, crx) = (i64::from(y), i64::from(cb) - 128, i64::from(cr) - 128);
        let cr_r = (fix(1.40200) * crx + 32768) >> 16;
        let cb_b = (fix(1.77200) * cbx + 32768) >> 16;
        let cr_g = -fix(0.71414) * crx;
        let cb_g = -fix(0.34414) * cbx + 32768;
        let c = |v: i64| v.clamp(0, 255) as u8;
        [c(yy + cr_r), c(yy + ((cb_g + cr_g) >> 16)), c(yy + cb_b)]
    }

    /// The `f64` formula and the integer quotient agree on every colour,
    /// not only on those a YCbCr conversion can produce.
    #[test]
    fn quotient_luma_equals_the_f64_formula_on_every_colour() {
        for r in 0..=255i32 {
            for g in 0..=255i32 {
                for b in 0..=255i32 {
                    let (fr, fg, fb) = (f64::from(r), f64::from(g), f64::from(b));
                    let want = std::hint::black_box((fr * 0.299 + fg * 0.587) + fb * 0.114) as f32;
                    let got = luma::<false, false>([r, g, b]);
                    assert_eq!(got.to_bits(), want.to_bits(), "{r} {g} {b}");
                }
            }
        }
    }

    #[test]
    fn reciprocal_and_correction_divide_exactly() {
        for l in 0..=255_000 {
            let (fused, divided) = (thousandths::<true>(l), thousandths::<false>(l));
            assert_eq!(fused.to_bits(), divided.to_bits(), "{l}");
        }
    }

    #[test]
    fn conversion_equals_libjpeg_tables_and_luma_formula() {
        let cbs: Vec<u8> = (0..=255).collect();
        for y in [0u8, 1, 16, 77, 128, 200, 235, 254, 255] {
            for cr in 0..=255u8 {
                let ys = vec![y; 256];
                let crs = vec![cr; 256];
                let mut rgb = vec![0u8; 256 * 3];
                ycc_to_rgb(&ys, &cbs, &crs, &mut rgb);
                let mut luma = vec![0f32; 256];
                ycc_to_luma::<false>(&ys, Some((&cbs, &crs)), &mut luma);
                let mut luma32 = vec![0f32; 256];
                ycc_to_luma::<true>(&ys, Some((&cbs, &crs)), &mut luma32);
                for (i, (p, (&l, &l32))) in rgb
                    .chunks_exact(3)
                    .zip(luma.iter().zip(&luma32))
                    .enumerate()
                {
                    assert_eq!(p, jdcolor(y, i as u8, cr), "{y} {i} {cr}");
                    let (r, g, b) = (f64::from(p[0]), f64::from(p[1]), f64::from(p[2]));
                    let want = std::hint::black_box((r * 0.299 + g * 0.587) + b * 0.114) as f32;
                    assert_eq!(l.to_bits(), want.to_bits());
                    // The C++ hasher's f32 tables: 0.299f · v etc.
                    let t = |k: f32, v: u8| std::hint::black_box(k * f32::from(v));
                    let want32 = (t(0.299, p[0]) + t(0.587, p[1])) + t(0.114, p[2]);
                    assert_eq!(l32.to_bits(), want32.to_bits());
                }
            }
        }
    }

    #[test]
    fn tables_give_the_textbook_conversion() {
        let mut out = [0u8; 3];
        ycc_to_rgb(&[128], &[128], &[128], &mut out);
        assert_eq!(out, [128, 128, 128]);
        // Pure red in JFIF YCbCr is about (76, 85, 255).
        ycc_to_rgb(&[76], &[85], &[255], &mut out);
        assert!(out[0] >= 253 && out[1] <= 2 && out[2] <= 2, "{out:?}");
    }

    /// h2v2 by its definition, one output sample at a time: the column
    /// sum `3 · near + far` at the sample's own chroma column (weight 3) and
    /// at its neighbour on the sample's side (weight 1, the edge column
    /// standing in for the missing one), rounded by 8 on even samples and 7
    /// on odd ones.
    fn h2v2_reference(near: &[u8], far: &[u8], out: &mut [u8]) {
        let n = near.len();
        let col = |i: usize| 3 * i32::from(near[i]) + i32::from(far[i]);
        for (x, o) in out.iter_mut().enumerate().take(2 * n) {
            let i = x / 2;
            let (side, round) = if x % 2 == 0 {
                (i.saturating_sub(1), 8)
            } else {
                ((i + 1).min(n - 1), 7)
            };
            *o = ((3 * col(i) + col(side) + round) >> 4) as u8;
        }
    }

    #[test]
    fn h2v2_equals_the_scalar_formula() {
        let mut x = 12345u32;
        let mut byte = || {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        };
        let mut sums = Vec::new();
        for n in [3, 4, 5, 17, 33, 64, 321] {
            for _ in 0..20 {
                let near: Vec<u8> = (0..n).map(|_| byte()).collect();
                let far: Vec<u8> = (0..n).map(|_| byte()).collect();
                let (mut got, mut want) = (vec![0u8; 2 * n], vec![0u8; 2 * n]);
                h2v2(&near, &far, &mut sums, &mut got);
                h2v2_reference(&near, &far, &mut want);
                assert_eq!(got, want, "{near:?} {far:?}");
                h2v2_portable(&near, &far, &mut sums, &mut got);
                assert_eq!(got, want, "{near:?} {far:?}");
            }
        }
        let (mut got, mut want) = (vec![0u8; 8], vec![0u8; 8]);
        h2v2(&[255; 4], &[255; 4], &mut sums, &mut got);
        h2v2_reference(&[255; 4], &[255; 4], &mut want);
        assert_eq!(got, want);
    }

    #[test]
    fn upsampling_keeps_flat_rows_flat_and_interpolates() {
        let mut out = [0u8; 8];
        h2v1(&[10, 10, 10, 10], &mut out);
        assert_eq!(out, [10; 8]);
        h2v1(&[0, 100, 200], &mut out[..6]);
        assert_eq!(&out[..6], &[0, 25, 75, 125, 175, 200]);
        let mut sums = Vec::new();
        h2v2(&[40, 40, 40], &[40, 40, 40], &mut sums, &mut out[..6]);
        assert_eq!(&out[..6], &[40; 6]);
        // Vertically: 3/4 of the near row, 1/4 of the far one.
        h2v2(&[80, 80, 80], &[0, 0, 0], &mut sums, &mut out[..6]);
        assert!(out[..6].iter().all(|&v| v == 60));
        // Horizontally: edges, then 3/4 + 1/4 of the neighbouring column
        // sums with rounding 8 (left) and 7 (right).
        h2v2(&[0, 16, 32, 48], &[0, 16, 32, 48], &mut sums, &mut out);
        assert_eq!(out, [0, 4, 12, 20, 28, 36, 44, 48]);
    }
}
