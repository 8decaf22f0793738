//! A scan's entropy-coded data made plain before decoding: the `FF 00`
//! byte stuffing removed and the data split at its restart markers, each
//! interval followed by zero bytes.
//!
//! With the markers out of the way, the bit reader ([`super::huffman::Bits`])
//! refills without looking at the bytes it loads: one unaligned load, a
//! shift and an OR per symbol, no branch. Looking for `0xFF` in every
//! refill cost a branch that mispredicted about 18 000 times per 640×480
//! image. The copy here runs over the data once with `memchr` (stuffed
//! bytes are about one in 256).

use super::planes;

/// Zero bytes after each interval: a refill loads 8 bytes at a time, and
/// bits past the end of an interval read as zeros, as libjpeg feeds them.
pub(super) const PAD: usize = 8;

/// The intervals of one scan, in order.
pub(super) struct Intervals {
    /// The unstuffed bytes of every interval, each followed by [`PAD`]
    /// zeros. Reused per thread like the planes.
    bytes: Vec<u8>,
    spans: Vec<Span>,
}

/// One restart interval within [`Intervals::bytes`].
#[derive(Clone, Copy)]
struct Span {
    start: usize,
    /// Data bytes, not counting the padding.
    len: usize,
    /// The restart marker that ends it (`m` of `RSTm`), `None` when the
    /// scan ends there (another marker, or the end of the file).
    rst: Option<u8>,
}

impl Intervals {
    /// Split `data`, which starts right after a scan header, into its
    /// restart intervals, up to the first marker that is not a restart.
    pub(super) fn split(data: &[u8]) -> Intervals {
        let mut bytes = planes::buffer(0);
        bytes.reserve(data.len() + PAD);
        let mut spans = Vec::new();
        let mut pos = 0;
        let mut start = 0;
        loop {
            let ff = memchr::memchr(0xFF, &data[pos..]).map_or(data.len(), |i| pos + i);
            bytes.extend_from_slice(&data[pos..ff]);
            if data.get(ff + 1) == Some(&0x00) {
                bytes.push(0xFF);
                pos = ff + 2;
                continue;
            }
            // A marker (after any number of fill bytes `FF`), or the end.
            let code = data[ff..].iter().copied().find(|&b| b != 0xFF);
            let rst = code.filter(|c| (0xD0..=0xD7).contains(c)).map(|c| c - 0xD0);
            spans.push(Span {
                start,
                len: bytes.len() - start,
                rst,
            });
            bytes.resize(bytes.len() + PAD, 0);
            start = bytes.len();
            match rst {
                Some(_) => {
                    let fill = data[ff..].iter().take_while(|&&b| b == 0xFF).count();
                    pos = ff + fill + 1;
                }
                None => break,
            }
        }
        Intervals { bytes, spans }
    }

    /// Interval `i`'s bytes followed by their padding, the number of data
    /// bytes among them, and the restart marker that ends it; `None` past
    /// the last interval.
    pub(super) fn get(&self, i: usize) -> Option<(&[u8], usize, Option<u8>)> {
        let s = self.spans.get(i)?;
        let bytes = self.bytes.get(s.start..s.start + s.len + PAD)?;
        Some((bytes, s.len, s.rst))
    }
}

impl Drop for Intervals {
    fn drop(&mut self) {
        planes::recycle(std::mem::take(&mut self.bytes));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unstuffs_and_splits_at_restart_markers() {
        let data = [
            1, 0xFF, 0x00, 2, 0xFF, 0xD0, // interval 0: 01 FF 02, RST0
            3, 0xFF, 0xFF, 0xD1, // interval 1: 03, fill byte, RST1
            0xFF, 0x00, 0xFF, 0xD9, 7, // interval 2: FF, then EOI ends the scan
        ];
        let iv = Intervals::split(&data);
        let zeros = [0u8; PAD];
        let (b, n, rst) = iv.get(0).expect("first");
        assert_eq!(
            (&b[..n], &b[n..], rst),
            (&[1, 0xFF, 2][..], &zeros[..], Some(0))
        );
        let (b, n, rst) = iv.get(1).expect("second");
        assert_eq!((&b[..n], rst), (&[3][..], Some(1)));
        let (b, n, rst) = iv.get(2).expect("third");
        assert_eq!((&b[..n], b.len(), rst), (&[0xFF][..], 1 + PAD, None));
        assert!(iv.get(3).is_none());
    }

    #[test]
    fn data_without_a_marker_is_one_interval() {
        for data in [&[][..], &[5, 6][..], &[5, 0xFF][..], &[0xFF, 0xFF][..]] {
            let iv = Intervals::split(data);
            let (b, n, rst) = iv.get(0).expect("one interval");
            assert_eq!(rst, None);
            assert_eq!(
                b[..n],
                data[..data.iter().position(|&x| x == 0xFF).unwrap_or(data.len())]
            );
            assert!(iv.get(1).is_none());
        }
    }
}
