//! Finding line ends fast: eight bytes at a time, for the parser of
//! lists of millions of lines.

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// Bit 7 of each byte of the result is set where `w` has a `\n` byte (exact
/// for the lowest match; higher bytes may have false positives).
#[inline]
fn newline_bits(w: u64) -> u64 {
    let x = w ^ (LO * u64::from(b'\n'));
    x.wrapping_sub(LO) & !x & HI
}

/// Position of the first `\n` in `hay`, eight bytes at a time.
#[inline]
pub(super) fn find_newline(hay: &[u8]) -> Option<usize> {
    let mut chunks = hay.chunks_exact(8);
    let mut off = 0;
    for c in &mut chunks {
        if let Ok(a) = <[u8; 8]>::try_from(c) {
            let t = newline_bits(u64::from_le_bytes(a));
            if t != 0 {
                return Some(off + (t.trailing_zeros() / 8) as usize);
            }
        }
        off += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| b == b'\n')
        .map(|p| off + p)
}

/// Number of `\n` bytes in `hay`.
pub(super) fn count_newlines(hay: &[u8]) -> usize {
    let mut chunks = hay.chunks_exact(8);
    let mut n = 0usize;
    for c in &mut chunks {
        if let Ok(a) = <[u8; 8]>::try_from(c) {
            // Exact per-byte test (no borrow between bytes): a byte is zero
            // iff its low 7 bits + 0x7f do not carry and its top bit is clear.
            let x = u64::from_le_bytes(a) ^ (LO * u64::from(b'\n'));
            let t = !(((x & !HI).wrapping_add(!HI)) | x) & HI;
            n += t.count_ones() as usize;
        }
    }
    n + chunks.remainder().iter().filter(|&&b| b == b'\n').count()
}

/// Iterator over the lines of `bytes` (split at `\n`, like `split`).
pub(super) struct Lines<'a> {
    pub(super) rest: Option<&'a [u8]>,
}

impl<'a> Iterator for Lines<'a> {
    type Item = &'a [u8];

    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        let rest = self.rest?;
        match find_newline(rest) {
            Some(i) => {
                self.rest = rest.get(i + 1..);
                rest.get(..i)
            }
            None => self.rest.take(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newline_search_matches_naive() {
        let mut buf = Vec::new();
        for len in 0..40 {
            for pos in 0..=len {
                buf.clear();
                buf.extend((0..len).map(|i| if i % 3 == 0 { 0x8a } else { b'\n' ^ 1 }));
                if pos < len {
                    buf[pos] = b'\n';
                }
                let naive = buf.iter().position(|&b| b == b'\n');
                assert_eq!(find_newline(&buf), naive, "{len} {pos}");
                assert_eq!(count_newlines(&buf), usize::from(naive.is_some()));
            }
        }
        let all = vec![b'\n'; 37];
        assert_eq!(count_newlines(&all), 37);
        let mixed: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
        assert_eq!(
            count_newlines(&mixed),
            mixed.iter().filter(|&&b| b == b'\n').count()
        );
        let lines: Vec<&[u8]> = Lines {
            rest: Some(b"a\n\nbc\n"),
        }
        .collect();
        assert_eq!(lines, vec![&b"a"[..], b"", b"bc", b""]);
    }
}
