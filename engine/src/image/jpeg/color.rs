//! libjpeg-turbo's "fancy" (triangle-filter) chroma upsampling and its
//! fixed-point YCbCr → RGB conversion, one output row at a time.

use std::sync::OnceLock;

const SCALEBITS: u32 = 16;
const ONE_HALF: i32 = 1 << (SCALEBITS - 1);

/// `FIX(x)` of jdcolor.c: `x` in 16-bit fixed point, rounded.
fn fix(x: f64) -> i32 {
    (x * f64::from(1u32 << SCALEBITS) + 0.5) as i32
}

/// The four tables of jdcolor.c, indexed by the 8-bit Cb or Cr sample.
pub(super) struct YccTables {
    cr_r: [i32; 256],
    cb_b: [i32; 256],
    cr_g: [i32; 256],
    cb_g: [i32; 256],
}

pub(super) fn tables() -> &'static YccTables {
    static T: OnceLock<YccTables> = OnceLock::new();
    T.get_or_init(|| {
        let mut t = YccTables {
            cr_r: [0; 256],
            cb_b: [0; 256],
            cr_g: [0; 256],
            cb_g: [0; 256],
        };
        for i in 0..256usize {
            let x = i as i32 - 128;
            t.cr_r[i] = (fix(1.40200) * x + ONE_HALF) >> SCALEBITS;
            t.cb_b[i] = (fix(1.77200) * x + ONE_HALF) >> SCALEBITS;
            t.cr_g[i] = -fix(0.71414) * x;
            t.cb_g[i] = -fix(0.34414) * x + ONE_HALF;
        }
        t
    })
}

#[inline(always)]
fn clamp(v: i32) -> u8 {
    v.clamp(0, 255) as u8
}

/// Interleaved RGB from full-resolution Y, Cb, Cr rows (`out.len()` is
/// `3 · y.len()`).
#[inline]
pub(super) fn ycc_to_rgb(y: &[u8], cb: &[u8], cr: &[u8], out: &mut [u8]) {
    let t = tables();
    let (px, _) = out.as_chunks_mut::<3>();
    for (((o, &y), &cb), &cr) in px.iter_mut().zip(y).zip(cb).zip(cr) {
        let (y, cb, cr) = (i32::from(y), usize::from(cb), usize::from(cr));
        o[0] = clamp(y + t.cr_r[cr]);
        o[1] = clamp(y + ((t.cb_g[cb] + t.cr_g[cr]) >> SCALEBITS));
        o[2] = clamp(y + t.cb_b[cb]);
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
pub(super) fn h2v2(near: &[u8], far: &[u8], out: &mut [u8]) {
    let n = near.len();
    let col = |i: usize| i32::from(near[i]) * 3 + i32::from(far[i]);
    let mut this = col(0);
    let mut next = col(1);
    out[0] = ((this * 4 + 8) >> 4) as u8;
    out[1] = ((this * 3 + next + 7) >> 4) as u8;
    let mut last = this;
    this = next;
    for i in 1..n - 1 {
        next = col(i + 1);
        out[2 * i] = ((this * 3 + last + 8) >> 4) as u8;
        out[2 * i + 1] = ((this * 3 + next + 7) >> 4) as u8;
        last = this;
        this = next;
    }
    out[2 * n - 2] = ((this * 3 + last + 8) >> 4) as u8;
    out[2 * n - 1] = ((this * 4 + 7) >> 4) as u8;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_give_the_textbook_conversion() {
        let mut out = [0u8; 3];
        ycc_to_rgb(&[128], &[128], &[128], &mut out);
        assert_eq!(out, [128, 128, 128]);
        // Pure red in JFIF YCbCr is about (76, 85, 255).
        ycc_to_rgb(&[76], &[85], &[255], &mut out);
        assert!(out[0] >= 253 && out[1] <= 2 && out[2] <= 2, "{out:?}");
    }

    #[test]
    fn upsampling_keeps_flat_rows_flat_and_interpolates() {
        let mut out = [0u8; 8];
        h2v1(&[10, 10, 10, 10], &mut out);
        assert_eq!(out, [10; 8]);
        h2v1(&[0, 100, 200], &mut out[..6]);
        assert_eq!(&out[..6], &[0, 25, 75, 125, 175, 200]);
        h2v2(&[40, 40, 40], &[40, 40, 40], &mut out[..6]);
        assert_eq!(&out[..6], &[40; 6]);
        // Vertically: 3/4 of the near row, 1/4 of the far one.
        h2v2(&[80, 80, 80], &[0, 0, 0], &mut out[..6]);
        assert!(out[..6].iter().all(|&v| v == 60));
    }
}
