//! The PDQ quality metric, computed on the 64×64 downsample exactly as the
//! reference does.

/// Quality in `0..=100`: the sum of quantised absolute gradients between
/// neighbouring cells of the 64×64 downsample, divided by 90.
///
/// Every step mirrors the reference, including its truncations: each
/// gradient is `((u - v) * 100) / 255` in `f32`, truncated toward zero to an
/// integer *before* taking the absolute value, and the total is divided by 90
/// in integer arithmetic. Small differences here would move images across
/// the "quality < 50 is not trusted" threshold, so we do not improve on it.
pub(crate) fn quality(a: &[[f32; 64]; 64]) -> u8 {
    let mut sum: i64 = 0;
    let grad = |u: f32, v: f32| -> i64 {
        // `as i32` truncates toward zero (and saturates, which cannot happen
        // for luma in 0..=255), like the C++ float-to-int conversion.
        let d = (((u - v) * 100.0) / 255.0) as i32;
        i64::from(d.unsigned_abs())
    };
    // Integer sums are exact, so the order of the terms does not matter.
    for (upper, lower) in a.iter().zip(a.iter().skip(1)) {
        for (&u, &v) in upper.iter().zip(lower.iter()) {
            sum += grad(u, v);
        }
    }
    for row in a.iter() {
        for (&u, &v) in row.iter().zip(row.iter().skip(1)) {
            sum += grad(u, v);
        }
    }
    // The reference accumulates in a C `int`; the sum is bounded by
    // 2·63·64·100 so there is no overflow to mimic.
    (sum / 90).min(100) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_image_has_quality_zero() {
        assert_eq!(quality(&[[128.0; 64]; 64]), 0);
    }

    #[test]
    fn checkerboard_saturates() {
        let mut a = [[0.0f32; 64]; 64];
        for (i, row) in a.iter_mut().enumerate() {
            for (j, v) in row.iter_mut().enumerate() {
                *v = if (i + j) % 2 == 0 { 255.0 } else { 0.0 };
            }
        }
        assert_eq!(quality(&a), 100);
    }
}
