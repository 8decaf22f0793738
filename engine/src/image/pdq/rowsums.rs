//! The running sums of PDQ's box filter along rows, [`BATCH`] rows at a
//! time.
//!
//! Each row's sum is one chain of dependent `f32` additions and
//! subtractions, in the reference's order (that order is what makes the
//! hash bit-exact), so the work along a row cannot be split. Rows are
//! independent, though: with AVX2, each group of eight rows in a batch is
//! transposed into the eight lanes of a register, one `vaddps`/`vsubps`
//! advances eight chains, and the sums are transposed back. A batch fills
//! two registers, so two independent vector chains hide each other's
//! latency. Every lane performs the scalar sequence exactly (IEEE addition
//! is the same operation in a lane as in a scalar register; no fused
//! multiply-add is involved). Without AVX2 the transposes are element by
//! element and the lane arithmetic whatever the compiler makes of it.

/// The running sums of the reference's `box1DFloat` (before division):
/// `sums[o]` is the value of its accumulator when it writes output `o`.
///
/// The phases (grow the window, slide it, shrink it) and the order of the
/// add and the subtract inside a slide step are the reference's; changing
/// either changes the rounding.
#[inline]
pub(super) fn running_sums(input: &[f32], fw: usize, sums: &mut [f32]) {
    let n = input.len();
    debug_assert_eq!(sums.len(), n);
    debug_assert!(fw >= 1 && fw <= n);
    let half = (fw + 2) / 2;
    let mut sum = 0.0f32;
    let mut ri = 0;
    let mut li = 0;
    let mut oi = 0;
    for _ in 0..half - 1 {
        sum += input[ri];
        ri += 1;
    }
    for _ in 0..fw - half + 1 {
        sum += input[ri];
        ri += 1;
        sums[oi] = sum;
        oi += 1;
    }
    for _ in 0..n - fw {
        sum += input[ri];
        sum -= input[li];
        ri += 1;
        li += 1;
        sums[oi] = sum;
        oi += 1;
    }
    for _ in 0..half - 1 {
        sum -= input[li];
        li += 1;
        sums[oi] = sum;
        oi += 1;
    }
}

/// Rows filtered together by [`RowSums::batch`].
pub(super) const BATCH: usize = 16;

/// Rows per AVX2 register.
const TILE: usize = 8;

/// Working memory for [`RowSums::batch`]: the batch's rows transposed
/// (element `k` of every row side by side) and their sums, likewise.
#[derive(Default)]
pub(super) struct RowSums {
    lanes: Vec<[f32; BATCH]>,
    sums: Vec<[f32; BATCH]>,
}

impl RowSums {
    /// Bytes held.
    pub(super) fn bytes(&self) -> usize {
        std::mem::size_of::<[f32; BATCH]>() * (self.lanes.capacity() + self.sums.capacity())
    }

    /// [`running_sums`] of each of the `BATCH` rows of `input` (all of the
    /// same length) into the matching row of `out`.
    pub(super) fn batch(&mut self, input: [&[f32]; BATCH], fw: usize, out: [&mut [f32]; BATCH]) {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU supports AVX2, checked just above.
                unsafe { self.batch_avx2(input, fw, out) };
                return;
            }
        }
        self.batch_portable(input, fw, out);
    }

    /// The same without SIMD intrinsics: element-wise transposes around
    /// [`lane_sums`] (which the compiler still vectorises with SSE2).
    fn batch_portable(&mut self, input: [&[f32]; BATCH], fw: usize, out: [&mut [f32]; BATCH]) {
        let n = input[0].len();
        self.lanes.resize(n, [0.0; BATCH]);
        self.sums.resize(n, [0.0; BATCH]);
        to_lanes(&input, 0, &mut self.lanes);
        lane_sums(&self.lanes, fw, &mut self.sums);
        from_lanes(&self.sums, 0, out);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn batch_avx2(&mut self, input: [&[f32]; BATCH], fw: usize, out: [&mut [f32]; BATCH]) {
        use crate::image::transpose::transpose_8x8;
        use std::arch::x86_64::*;
        let n = input[0].len();
        debug_assert!(input.iter().all(|r| r.len() == n) && out.iter().all(|r| r.len() == n));
        self.lanes.resize(n, [0.0; BATCH]);
        self.sums.resize(n, [0.0; BATCH]);
        let whole = n - n % TILE;
        // Rows → lanes, in 8×8 tiles (rows `first..first + 8`, elements
        // `k..k + 8`), then the tail element by element.
        for k in (0..whole).step_by(TILE) {
            for first in (0..BATCH).step_by(TILE) {
                // SAFETY: `k + 8 <= n`, every row has `n` elements; unaligned loads.
                let rows: [__m256i; TILE] = std::array::from_fn(|q| unsafe {
                    _mm256_loadu_si256(input[first + q][k..k + TILE].as_ptr().cast())
                });
                for (dst, v) in self.lanes[k..k + TILE].iter_mut().zip(transpose_8x8(rows)) {
                    // SAFETY: 8 f32 = 32 bytes inside `dst`; unaligned store.
                    unsafe { _mm256_storeu_si256(dst[first..first + TILE].as_mut_ptr().cast(), v) };
                }
            }
        }
        to_lanes(&input, whole, &mut self.lanes[whole..]);
        lane_sums(&self.lanes, fw, &mut self.sums);
        // Lanes → rows.
        let mut out = out;
        for k in (0..whole).step_by(TILE) {
            for first in (0..BATCH).step_by(TILE) {
                // SAFETY: 8 f32 = 32 bytes inside each `sums[k + i]`; unaligned loads.
                let cols: [__m256i; TILE] = std::array::from_fn(|i| unsafe {
                    _mm256_loadu_si256(self.sums[k + i][first..first + TILE].as_ptr().cast())
                });
                for (row, v) in out[first..first + TILE].iter_mut().zip(transpose_8x8(cols)) {
                    // SAFETY: `k + 8 <= n`, every output row has `n` elements.
                    unsafe { _mm256_storeu_si256(row[k..k + TILE].as_mut_ptr().cast(), v) };
                }
            }
        }
        from_lanes(&self.sums[whole..], whole, out);
    }
}

/// Elements `first..` of the rows into `lanes` (one entry per element).
fn to_lanes(rows: &[&[f32]; BATCH], first: usize, lanes: &mut [[f32; BATCH]]) {
    for (k, lane) in (first..).zip(lanes) {
        for (l, row) in lane.iter_mut().zip(rows) {
            *l = row[k];
        }
    }
}

/// `lanes` back into elements `first..` of the rows.
fn from_lanes(lanes: &[[f32; BATCH]], first: usize, rows: [&mut [f32]; BATCH]) {
    let mut rows = rows;
    for (k, lane) in (first..).zip(lanes) {
        for (row, &v) in rows.iter_mut().zip(lane) {
            row[k] = v;
        }
    }
}

/// [`running_sums`] on every lane of `lanes` at once; compiled inside the
/// AVX2 function, each lane-wise step is two vector instructions on
/// independent registers.
#[inline(always)]
fn lane_sums(lanes: &[[f32; BATCH]], fw: usize, sums: &mut [[f32; BATCH]]) {
    let n = lanes.len();
    debug_assert!(fw >= 1 && fw <= n && sums.len() == n);
    let half = (fw + 2) / 2;
    let add = |acc: &mut [f32; BATCH], v: &[f32; BATCH]| {
        for (a, &x) in acc.iter_mut().zip(v) {
            *a += x;
        }
    };
    let sub = |acc: &mut [f32; BATCH], v: &[f32; BATCH]| {
        for (a, &x) in acc.iter_mut().zip(v) {
            *a -= x;
        }
    };
    let mut acc = [0.0f32; BATCH];
    for v in &lanes[..half - 1] {
        add(&mut acc, v);
    }
    let grow = fw - half + 1;
    for (v, s) in lanes[half - 1..fw].iter().zip(&mut sums[..grow]) {
        add(&mut acc, v);
        *s = acc;
    }
    let slide = n - fw;
    for ((v, old), s) in lanes[fw..]
        .iter()
        .zip(&lanes[..slide])
        .zip(&mut sums[grow..grow + slide])
    {
        add(&mut acc, v);
        sub(&mut acc, old);
        *s = acc;
    }
    for (old, s) in lanes[slide..slide + half - 1]
        .iter()
        .zip(&mut sums[grow + slide..])
    {
        sub(&mut acc, old);
        *s = acc;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows of awkward values (mixed magnitudes, so that the order of the
    /// operations shows in the rounding).
    fn rows(n: usize, seed: u32) -> Vec<Vec<f32>> {
        let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
        (0..BATCH)
            .map(|_| {
                (0..n)
                    .map(|_| {
                        x ^= x << 13;
                        x ^= x >> 17;
                        x ^= x << 5;
                        (x % 25_600) as f32 / 100.0 + if x.is_multiple_of(7) { 1.0e4 } else { 0.0 }
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn a_batch_is_each_rows_own_sums_bit_for_bit() {
        let mut scratch = RowSums::default();
        for (n, fw) in [
            (5, 1),
            (7, 2),
            (8, 1),
            (9, 3),
            (16, 5),
            (23, 1),
            (640, 5),
            (1001, 8),
        ] {
            let input = rows(n, (n * 31 + fw) as u32);
            let mut want = vec![vec![0.0f32; n]; BATCH];
            for (row, w) in input.iter().zip(&mut want) {
                running_sums(row, fw, w);
            }
            let mut got = vec![vec![0.0f32; n]; BATCH];
            let mut portable = vec![vec![0.0f32; n]; BATCH];
            {
                let ins: [&[f32]; BATCH] = std::array::from_fn(|q| &input[q][..]);
                let mut it = got.iter_mut();
                let outs =
                    std::array::from_fn(|_| it.next().map(|v| &mut v[..]).unwrap_or_default());
                scratch.batch(ins, fw, outs);
                let mut it = portable.iter_mut();
                let outs =
                    std::array::from_fn(|_| it.next().map(|v| &mut v[..]).unwrap_or_default());
                scratch.batch_portable(ins, fw, outs);
            }
            let bits = |v: &[Vec<f32>]| -> Vec<Vec<u32>> {
                v.iter()
                    .map(|r| r.iter().map(|x| x.to_bits()).collect())
                    .collect()
            };
            assert_eq!(bits(&got), bits(&want), "n = {n}, fw = {fw}");
            assert_eq!(bits(&portable), bits(&want), "n = {n}, fw = {fw}");
        }
    }
}
