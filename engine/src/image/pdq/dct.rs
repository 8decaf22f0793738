//! The 64×64 → 16×16 DCT, computed as two small matrix products
//! (`B = D · A · Dᵀ`, with `D` the 16×64 slice of the DCT-II basis for
//! frequencies 1–16).
//!
//! Bit-exactness with the reference depends on the order of every `f32`
//! addition: each output is a sum over `k = 0..64` accumulated in increasing
//! `k`, exactly as the reference does. We vectorise *across* independent
//! outputs (the `j` loop), never across `k`, so the compiler cannot reorder
//! the sums.

use std::sync::OnceLock;

/// The 16×64 DCT basis, row-major, in `f32` as the reference stores it.
///
/// The reference computes the scale factor `sqrt(2/64)` in `f32`, multiplies
/// it by a `f64` cosine and rounds the product to `f32`; we do the same so
/// that the matrix is identical to the last bit.
fn dct_matrix() -> &'static [[f32; 64]; 16] {
    static MATRIX: OnceLock<[[f32; 64]; 16]> = OnceLock::new();
    MATRIX.get_or_init(|| {
        let scale = (2.0f64 / 64.0).sqrt() as f32;
        let mut d = [[0.0f32; 64]; 16];
        for (i, row) in d.iter_mut().enumerate() {
            for (j, v) in row.iter_mut().enumerate() {
                let angle =
                    (std::f64::consts::PI / 2.0 / 64.0) * (i + 1) as f64 * (2 * j + 1) as f64;
                *v = (f64::from(scale) * angle.cos()) as f32;
            }
        }
        d
    })
}

/// `out = D · a · Dᵀ`: the DCT coefficients for frequencies 1–16 in both
/// directions, `out[i][j]` for vertical frequency `i + 1` and horizontal
/// frequency `j + 1`.
pub(crate) fn dct64_to_16(a: &[[f32; 64]; 64]) -> [[f32; 16]; 16] {
    let d = dct_matrix();
    // T = D · A (16×64). For each row i of D, accumulate D[i][k] · A[k][·]
    // over k in order: per output element the additions happen in the same
    // order as the reference's inner loop over k.
    let mut t = [[0.0f32; 64]; 16];
    for (trow, drow) in t.iter_mut().zip(d.iter()) {
        for (arow, &dik) in a.iter().zip(drow.iter()) {
            for (tv, &av) in trow.iter_mut().zip(arow.iter()) {
                *tv += dik * av;
            }
        }
    }
    // B = T · Dᵀ (16×16): B[i][j] = Σ_k T[i][k] · D[j][k], again in k order.
    // Accumulating D-rows into a 16-wide vector per k keeps the order per
    // element while letting the j lanes run in parallel.
    let mut b = [[0.0f32; 16]; 16];
    let mut dt = [[0.0f32; 16]; 64];
    for (j, drow) in d.iter().enumerate() {
        for (k, &v) in drow.iter().enumerate() {
            dt[k][j] = v;
        }
    }
    for (brow, trow) in b.iter_mut().zip(t.iter()) {
        for (&tik, dtrow) in trow.iter().zip(dt.iter()) {
            for (bv, &dv) in brow.iter_mut().zip(dtrow.iter()) {
                *bv += tik * dv;
            }
        }
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basis_rows_are_orthonormal() {
        let d = dct_matrix();
        for (i, ri) in d.iter().enumerate() {
            for (j, rj) in d.iter().enumerate() {
                let dot: f64 = ri
                    .iter()
                    .zip(rj)
                    .map(|(a, b)| f64::from(*a) * f64::from(*b))
                    .sum();
                let want = if i == j { 1.0 } else { 0.0 };
                assert!((dot - want).abs() < 1e-5, "rows {i},{j}: {dot}");
            }
        }
    }
}
