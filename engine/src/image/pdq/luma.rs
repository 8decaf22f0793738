//! Luma, the two-pass box ("Jarosz") filter and the decimation to 64×64.
//!
//! The reference blurs the whole luma plane four times (rows, columns, rows,
//! columns, each a running-window mean of width `ceil(side / 128)`) and then
//! samples 64×64 cells. Every value it keeps is the result of a specific
//! sequence of `f32` additions, subtractions and one division, and a
//! one-ulp difference can flip a hash bit. So this module reproduces that
//! sequence exactly for every value that can reach the output, but skips the
//! work whose result is never sampled:
//!
//! * the second row pass only divides at the 64 sampled columns (its running
//!   sums must still visit every pixel, in order, to stay bit-exact);
//! * the second column pass runs over those 64 columns only;
//! * the first column pass is vectorised across columns (each column's sum
//!   sees the same operations in the same order as in the reference) and
//!   streamed straight into the second row pass, so the plane after the
//!   first column pass is never stored;
//! * the running sums along rows run sixteen rows at a time, in AVX2 lanes
//!   where the CPU has them (`rowsums`).

use super::rowsums::{BATCH, RowSums, running_sums};
use crate::image::reuse;

/// Window length of the box filter along a side of `n` pixels: the reference's
/// `computeJaroszFilterWindowSize(n, 64)`, i.e. `ceil(n / 128)`.
pub(crate) fn window(n: usize) -> usize {
    n.div_ceil(128)
}

/// The number of samples averaged at each output position of a running
/// window of width `fw` over `n` samples, as an `f32` divisor.
///
/// The reference's window is centred with `(fw + 2) / 2 - 1` samples before
/// the output; near the ends it shrinks. Expressed per position, the count is
/// `min(half + i, fw, fw - half + n - i)` with `half = (fw + 2) / 2`.
fn divisors(n: usize, fw: usize) -> Vec<f32> {
    let half = (fw + 2) / 2;
    (0..n)
        .map(|i| (half + i).min(fw).min(fw - half + n - i) as f32)
        .collect()
}

/// The sampled row and column indices of the reference's `decimateFloat`:
/// the pixel under the centre of each of 64 cells, computed in `f64` and
/// truncated as the reference does.
pub(crate) fn sample_indices(n: usize) -> [usize; 64] {
    let mut idx = [0usize; 64];
    for (i, v) in idx.iter_mut().enumerate() {
        *v = (((i as f64 + 0.5) * n as f64) / 64.0) as usize;
    }
    idx
}

/// A source of luma rows: `fill(r, out)` writes row `r` (`out.len()` is the
/// width) as `f32` luma values.
pub(crate) trait LumaRows {
    /// Image width in pixels.
    fn width(&self) -> usize;
    /// Image height in pixels.
    fn height(&self) -> usize;
    /// Write row `r`'s luma into `out`.
    fn fill(&self, r: usize, out: &mut [f32]);
}

/// The 64×64 downsample the reference hashes, from a luma source of at least
/// 5×5 pixels (checked by the caller). Working memory is a few dozen rows
/// (the ring of pass 1) plus `64 · 4` bytes per row (pass 3's output).
pub(crate) fn downsample(src: &impl LumaRows) -> Box<[[f32; 64]; 64]> {
    let (w, h) = (src.width(), src.height());
    let mut out = Box::new([[0.0f32; 64]; 64]);
    if w == 64 && h == 64 {
        // The reference hashes a 64×64 input as is, without blurring (its
        // filter with window 1 would not be an exact identity in floating
        // point: `(s + x) - s` may differ from `x`).
        for (r, row) in out.iter_mut().enumerate() {
            src.fill(r, row);
        }
        return out;
    }
    let fw_rows = window(w); // along each row
    let fw_cols = window(h); // along each column
    let cols = sample_indices(w);
    let rows = sample_indices(h);
    let div_w = divisors(w, fw_rows);

    // Pass 1, along rows: luma, running sums, division, `BATCH` rows at a
    // time, produced on demand into a ring of rows just large enough for
    // pass 2's window. The working set stays in cache whatever the image
    // size, and nothing proportional to the image is allocated.
    let mut scratch = Scratch::take();
    let Scratch {
        ring,
        luma,
        pass1_sums,
        acc,
        narrow,
        batch,
        sums,
        pass3_sums,
    } = &mut scratch;
    let mut pass1 = RowPass::new(src, fw_rows, fw_cols, div_w.clone(), ring, luma, pass1_sums);

    // Pass 2, along columns, streamed row by row into pass 3. Each column's
    // accumulator sees the reference's operations in the reference's order;
    // the lanes are independent so the loop vectorises.
    let half_c = (fw_cols + 2) / 2;
    // The accumulators start at zero; the other buffers are written
    // before they are read.
    acc.clear();
    acc.resize(w, 0.0);
    // Pass 3 output at the sampled columns only, for every row: h × 64.
    narrow.resize(h, [0.0; 64]);
    sized(batch, BATCH * w);
    sized(sums, BATCH * w);
    let mut in_batch = 0usize;
    let mut oi = 0usize;
    let mut count = 0usize;
    let mut ri = 0usize;
    let mut li = 0usize;

    // Pass 3 on a batch of rows of pass 2's output: running sums along the
    // row (all of them, for exactness), division at the sampled columns only.
    let mut flush =
        |batch: &[f32], sums: &mut [f32], n: usize, first: usize, narrow: &mut [[f32; 64]]| {
            if n == BATCH {
                let ins: [&[f32]; BATCH] = std::array::from_fn(|q| &batch[q * w..(q + 1) * w]);
                let mut it = sums.chunks_exact_mut(w);
                let outs: [&mut [f32]; BATCH] =
                    std::array::from_fn(|_| it.next().unwrap_or_default());
                pass3_sums.batch(ins, fw_rows, outs);
            } else {
                for q in 0..n {
                    running_sums(
                        &batch[q * w..(q + 1) * w],
                        fw_rows,
                        &mut sums[q * w..(q + 1) * w],
                    );
                }
            }
            for q in 0..n {
                let s = &sums[q * w..(q + 1) * w];
                for (o, &c) in narrow[first + q].iter_mut().zip(cols.iter()) {
                    *o = s[c] / div_w[c];
                }
            }
        };

    let mut emit = |acc: &[f32],
                    count: usize,
                    oi: usize,
                    batch: &mut Vec<f32>,
                    sums: &mut Vec<f32>,
                    in_batch: &mut usize,
                    narrow: &mut [[f32; 64]]| {
        let d = count as f32;
        let dst = &mut batch[*in_batch * w..(*in_batch + 1) * w];
        for (o, &a) in dst.iter_mut().zip(acc.iter()) {
            *o = a / d;
        }
        *in_batch += 1;
        if *in_batch == BATCH || oi + 1 == h {
            let first = oi + 1 - *in_batch;
            flush(batch, sums, *in_batch, first, narrow);
            *in_batch = 0;
        }
    };

    let add_row = |acc: &mut [f32], row: &[f32]| {
        for (a, &v) in acc.iter_mut().zip(row.iter()) {
            *a += v;
        }
    };
    let sub_row = |acc: &mut [f32], row: &[f32]| {
        for (a, &v) in acc.iter_mut().zip(row.iter()) {
            *a -= v;
        }
    };

    for _ in 0..half_c - 1 {
        pass1.ensure(ri);
        add_row(acc, pass1.get(ri));
        ri += 1;
        count += 1;
    }
    for _ in 0..fw_cols - half_c + 1 {
        pass1.ensure(ri);
        add_row(acc, pass1.get(ri));
        ri += 1;
        count += 1;
        emit(acc, count, oi, batch, sums, &mut in_batch, narrow);
        oi += 1;
    }
    for _ in 0..h - fw_cols {
        pass1.ensure(ri);
        add_row(acc, pass1.get(ri));
        sub_row(acc, pass1.get(li));
        ri += 1;
        li += 1;
        emit(acc, count, oi, batch, sums, &mut in_batch, narrow);
        oi += 1;
    }
    for _ in 0..half_c - 1 {
        sub_row(acc, pass1.get(li));
        li += 1;
        count -= 1;
        emit(acc, count, oi, batch, sums, &mut in_batch, narrow);
        oi += 1;
    }
    drop(pass1);

    // Pass 4, along columns, on the 64 sampled columns only; then sample the
    // 64 rows.
    let div_h = divisors(h, fw_cols);
    let mut col_acc = [0.0f32; 64];
    let mut ri = 0usize;
    let mut li = 0usize;
    let mut oi = 0usize;
    let mut next = 0usize; // next of the 64 sampled rows to fill
    let take = |col_acc: &[f32; 64], oi: usize, next: &mut usize, out: &mut [[f32; 64]; 64]| {
        while *next < 64 && rows[*next] == oi {
            for (o, &a) in out[*next].iter_mut().zip(col_acc.iter()) {
                *o = a / div_h[oi];
            }
            *next += 1;
        }
    };
    for _ in 0..half_c - 1 {
        add64(&mut col_acc, &narrow[ri]);
        ri += 1;
    }
    for _ in 0..fw_cols - half_c + 1 {
        add64(&mut col_acc, &narrow[ri]);
        ri += 1;
        take(&col_acc, oi, &mut next, &mut out);
        oi += 1;
    }
    for _ in 0..h - fw_cols {
        add64(&mut col_acc, &narrow[ri]);
        sub64(&mut col_acc, &narrow[li]);
        ri += 1;
        li += 1;
        take(&col_acc, oi, &mut next, &mut out);
        oi += 1;
    }
    for _ in 0..half_c - 1 {
        sub64(&mut col_acc, &narrow[li]);
        li += 1;
        take(&col_acc, oi, &mut next, &mut out);
        oi += 1;
    }
    scratch.give_back();
    out
}

/// The working memory of one [`downsample`] (pass 1's ring, luma rows and
/// row sums; pass 2's accumulators; pass 3's rows and output), kept per
/// thread for the next image (`image/reuse.rs`).
#[derive(Default)]
struct Scratch {
    ring: Vec<f32>,
    luma: Vec<f32>,
    pass1_sums: RowSums,
    acc: Vec<f32>,
    narrow: Vec<[f32; 64]>,
    batch: Vec<f32>,
    sums: Vec<f32>,
    pass3_sums: RowSums,
}

/// A thread keeps its [`Scratch`] only up to this size (a 4000×3000 image
/// needs about 4 MiB).
const SCRATCH_MAX_BYTES: usize = 16 << 20;

thread_local! {
    static SCRATCH: std::cell::RefCell<Vec<Scratch>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl Scratch {
    /// This thread's scratch, or a new one.
    fn take() -> Scratch {
        reuse::take(&SCRATCH).unwrap_or_default()
    }

    /// Keep it for this thread's next image, unless it grew too large.
    fn give_back(self) {
        let floats = self.ring.capacity()
            + self.luma.capacity()
            + self.acc.capacity()
            + 64 * self.narrow.capacity()
            + self.batch.capacity()
            + self.sums.capacity();
        let bytes = 4 * floats + self.pass1_sums.bytes() + self.pass3_sums.bytes();
        if bytes <= SCRATCH_MAX_BYTES {
            reuse::give_back(&SCRATCH, self, 1);
        }
    }
}

/// `v` as `n` elements, reusing its allocation. What it held before is
/// left in place: every caller writes an element before reading it (the
/// streamed-equals-naive test runs sizes up and down on one thread, so a
/// stale read would show).
fn sized(v: &mut Vec<f32>, n: usize) {
    v.resize(n, 0.0);
}

/// Pass 1 (luma and the first box filter along rows), producing rows on
/// demand into a ring buffer.
struct RowPass<'s, 'b, S: LumaRows> {
    src: &'s S,
    w: usize,
    h: usize,
    fw: usize,
    div: Vec<f32>,
    /// `slots` rows; row `r` lives in slot `r % slots`. `slots` is a
    /// multiple of `BATCH` so that a batch starting at a multiple of `BATCH`
    /// occupies consecutive slots.
    ring: &'b mut [f32],
    slots: usize,
    produced: usize,
    luma: &'b mut [f32],
    row_sums: &'b mut RowSums,
}

impl<'s, 'b, S: LumaRows> RowPass<'s, 'b, S> {
    /// Pass 1 over `src`, in the buffers `ring`, `luma` and `row_sums`
    /// (resized here).
    fn new(
        src: &'s S,
        fw: usize,
        fw_cols: usize,
        div: Vec<f32>,
        ring: &'b mut Vec<f32>,
        luma: &'b mut Vec<f32>,
        row_sums: &'b mut RowSums,
    ) -> Self {
        let (w, h) = (src.width(), src.height());
        // Pass 2 holds rows li..=ri (fw_cols + 1 rows) while we produce up to
        // BATCH - 1 rows ahead of ri; 2 · BATCH spare slots cover that.
        let slots = (fw_cols + 2 * BATCH)
            .next_multiple_of(BATCH)
            .min(h.next_multiple_of(BATCH));
        sized(ring, slots * w);
        sized(luma, BATCH * w);
        RowPass {
            src,
            w,
            h,
            fw,
            div,
            ring,
            slots,
            produced: 0,
            luma,
            row_sums,
        }
    }

    /// Make sure row `r` has been produced.
    #[inline]
    fn ensure(&mut self, r: usize) {
        while self.produced <= r {
            self.produce_batch();
        }
    }

    /// Row `r`, which must have been produced and not yet overwritten.
    #[inline]
    fn get(&self, r: usize) -> &[f32] {
        debug_assert!(r < self.produced && r + self.slots >= self.produced);
        let s = r % self.slots;
        &self.ring[s * self.w..(s + 1) * self.w]
    }

    fn produce_batch(&mut self) {
        let (w, r) = (self.w, self.produced);
        let k = (self.h - r).min(BATCH);
        let slot = r % self.slots;
        let dst = &mut self.ring[slot * w..(slot + k) * w];
        for (q, l) in self.luma.chunks_exact_mut(w).take(k).enumerate() {
            self.src.fill(r + q, l);
        }
        if k == BATCH {
            let ins: [&[f32]; BATCH] = std::array::from_fn(|q| &self.luma[q * w..(q + 1) * w]);
            let mut it = dst.chunks_exact_mut(w);
            let outs: [&mut [f32]; BATCH] = std::array::from_fn(|_| it.next().unwrap_or_default());
            self.row_sums.batch(ins, self.fw, outs);
        } else {
            for (l, d) in self.luma.chunks_exact(w).zip(dst.chunks_exact_mut(w)) {
                running_sums(l, self.fw, d);
            }
        }
        for v in dst.chunks_exact_mut(w) {
            for (x, d) in v.iter_mut().zip(self.div.iter()) {
                *x /= *d;
            }
        }
        self.produced += k;
    }
}

#[inline]
fn add64(acc: &mut [f32; 64], row: &[f32; 64]) {
    for (a, &v) in acc.iter_mut().zip(row.iter()) {
        *a += v;
    }
}

#[inline]
fn sub64(acc: &mut [f32; 64], row: &[f32; 64]) {
    for (a, &v) in acc.iter_mut().zip(row.iter()) {
        *a -= v;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A literal transcription of the reference's four passes over the full
    /// plane, to check the streamed version against.
    fn naive(luma: &[f32], w: usize, h: usize) -> [[f32; 64]; 64] {
        fn box1d(input: &[f32], out: &mut [f32], n: usize, stride: usize, fw: usize) {
            let half = (fw + 2) / 2;
            let (mut li, mut ri, mut oi) = (0, 0, 0);
            let mut sum = 0.0f32;
            let mut cur = 0usize;
            for _ in 0..half - 1 {
                sum += input[ri];
                cur += 1;
                ri += stride;
            }
            for _ in 0..fw - half + 1 {
                sum += input[ri];
                cur += 1;
                out[oi] = sum / cur as f32;
                ri += stride;
                oi += stride;
            }
            for _ in 0..n - fw {
                sum += input[ri];
                sum -= input[li];
                out[oi] = sum / cur as f32;
                li += stride;
                ri += stride;
                oi += stride;
            }
            for _ in 0..half - 1 {
                sum -= input[li];
                cur -= 1;
                out[oi] = sum / cur as f32;
                li += stride;
                oi += stride;
            }
        }
        let mut b1 = luma.to_vec();
        let mut b2 = vec![0.0f32; w * h];
        let (fr, fc) = (window(w), window(h));
        for _ in 0..2 {
            for r in 0..h {
                box1d(&b1[r * w..], &mut b2[r * w..], w, 1, fr);
            }
            for c in 0..w {
                box1d(&b2[c..], &mut b1[c..], h, w, fc);
            }
        }
        let mut out = [[0.0f32; 64]; 64];
        let (ri, ci) = (sample_indices(h), sample_indices(w));
        for i in 0..64 {
            for j in 0..64 {
                out[i][j] = b1[ri[i] * w + ci[j]];
            }
        }
        out
    }

    struct Plane<'a>(&'a [f32], usize, usize);
    impl LumaRows for Plane<'_> {
        fn width(&self) -> usize {
            self.1
        }
        fn height(&self) -> usize {
            self.2
        }
        fn fill(&self, r: usize, out: &mut [f32]) {
            out.copy_from_slice(&self.0[r * self.1..(r + 1) * self.1]);
        }
    }

    #[test]
    fn streamed_equals_naive_bit_for_bit() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        // One thread, sizes up and down: the per-thread scratch is reused
        // from each size for the next.
        for &(w, h) in &[
            (5, 5),
            (7, 300),
            (130, 129),
            (257, 700),
            (1001, 333),
            (63, 65),
            (640, 480),
        ] {
            let luma: Vec<f32> = (0..w * h)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    (seed % 25600) as f32 / 100.0
                })
                .collect();
            let got = downsample(&Plane(&luma, w, h));
            let want = naive(&luma, w, h);
            for i in 0..64 {
                for j in 0..64 {
                    assert_eq!(
                        got[i][j].to_bits(),
                        want[i][j].to_bits(),
                        "{w}x{h} at {i},{j}"
                    );
                }
            }
        }
    }
}
