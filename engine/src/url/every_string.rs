//! For exhaustive unit tests: every string over a small alphabet.

/// Calls `check` with every string of `lengths` bytes over `alphabet`.
pub(super) fn every_string(
    alphabet: &[u8],
    lengths: std::ops::RangeInclusive<u32>,
    mut check: impl FnMut(&[u8]),
) {
    let mut s = Vec::new();
    for len in lengths {
        for mut code in 0..alphabet.len().pow(len) {
            s.clear();
            for _ in 0..len {
                s.push(alphabet[code % alphabet.len()]);
                code /= alphabet.len();
            }
            check(&s);
        }
    }
}
