//! Huffman tables and the entropy-coded bit stream of a baseline JPEG scan.

/// Bits looked up at once; longer codes take the slow path.
const LOOKUP_BITS: u32 = 11;

/// A decoding table built from a DHT segment (canonical codes, as in
/// ITU T.81 Annex C / F.2.2.3).
pub(super) struct Table {
    /// For each `LOOKUP_BITS`-bit prefix: `(length << 8) | symbol`, or 0
    /// when the code is longer.
    fast: Vec<u16>,
    /// For AC tables: for each `LOOKUP_BITS`-bit prefix holding a whole
    /// code *and* its value bits, `(value << 16) | (run << 8) | bits used`;
    /// 0 otherwise.
    ac_fast: Vec<i32>,
    /// Largest code of each length (index 1..=16), -1 when none; index 17
    /// is a sentinel that ends the search.
    maxcode: [i32; 18],
    /// Offset from a code of each length to its symbol's index.
    valoffset: [i32; 17],
    symbols: Vec<u8>,
}

impl Table {
    /// The table for `counts[l]` codes of length `l + 1` and their symbols;
    /// `None` when the counts overflow the code space or do not match.
    pub(super) fn new(counts: &[u8; 16], symbols: &[u8]) -> Option<Table> {
        let total: usize = counts.iter().map(|&c| usize::from(c)).sum();
        if total != symbols.len() || total > 256 {
            return None;
        }
        let mut maxcode = [-1i32; 18];
        let mut valoffset = [0i32; 17];
        let mut fast = vec![0u16; 1 << LOOKUP_BITS];
        let mut code: i32 = 0;
        let mut k: i32 = 0;
        for len in 1..=16usize {
            let n = i32::from(counts[len - 1]);
            if n > 0 {
                valoffset[len] = k - code;
                for _ in 0..n {
                    // Codes of this length must fit in `len` bits and none
                    // may be all ones (libjpeg rejects such tables too).
                    if code >= (1 << len) - 1 {
                        return None;
                    }
                    if len as u32 <= LOOKUP_BITS {
                        let shift = LOOKUP_BITS - len as u32;
                        let first = (code as usize) << shift;
                        let entry = ((len as u16) << 8) | u16::from(symbols[k as usize]);
                        fast[first..first + (1 << shift)].fill(entry);
                    }
                    code += 1;
                    k += 1;
                }
                maxcode[len] = code - 1;
            }
            code <<= 1;
        }
        maxcode[17] = i32::MAX;
        let mut ac_fast = vec![0i32; 1 << LOOKUP_BITS];
        for (p, (&e, a)) in fast.iter().zip(ac_fast.iter_mut()).enumerate() {
            let (len, rs) = (u32::from(e >> 8), e & 0xFF);
            let (run, size) = (i32::from(rs >> 4), u32::from(rs & 15));
            if e != 0 && size != 0 && len + size <= LOOKUP_BITS {
                let raw = (p as i32 >> (LOOKUP_BITS - len - size)) & ((1 << size) - 1);
                *a = (extend(raw, size) << 16) | (run << 8) | (len + size) as i32;
            }
        }
        Some(Table {
            fast,
            ac_fast,
            maxcode,
            valoffset,
            symbols: symbols.to_vec(),
        })
    }
}

/// The bit stream of one scan: bytes with `FF 00` stuffing, ending at the
/// first marker.
pub(super) struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
    buf: u64,
    /// Valid bits in `buf` (left-aligned).
    n: u32,
    /// Zero bits made up past a marker or the end of the data; consuming
    /// any of them means the scan is short.
    padded: u32,
}

impl<'a> Bits<'a> {
    pub(super) fn new(data: &'a [u8]) -> Self {
        Bits {
            data,
            pos: 0,
            buf: 0,
            n: 0,
            padded: 0,
        }
    }

    #[inline]
    fn refill(&mut self) {
        // Fast path: eight plain bytes at once.
        if self.n <= 56
            && let Some(chunk) = self.data.get(self.pos..self.pos + 8)
        {
            let word = u64::from_be_bytes(chunk.try_into().unwrap_or([0xFF; 8]));
            // No 0xFF byte among them (classic "has zero byte" test on !word).
            let inv = !word;
            if (inv.wrapping_sub(0x0101_0101_0101_0101) & !inv & 0x8080_8080_8080_8080) == 0 {
                let take = (64 - self.n) / 8;
                let bits = take * 8;
                self.buf |= (word >> (64 - bits)) << (64 - self.n - bits);
                self.n += bits;
                self.pos += take as usize;
                return;
            }
        }
        while self.n <= 56 {
            let byte = match self.data.get(self.pos) {
                Some(&0xFF) => match self.data.get(self.pos + 1) {
                    Some(0x00) => {
                        self.pos += 2;
                        0xFF
                    }
                    _ => {
                        // A marker (or the end): stay on it, feed zeros.
                        self.padded += 8;
                        0
                    }
                },
                Some(&b) => {
                    self.pos += 1;
                    b
                }
                None => {
                    self.padded += 8;
                    0
                }
            };
            self.buf |= u64::from(byte) << (56 - self.n);
            self.n += 8;
        }
    }

    /// One AC coefficient in a single step when its code and value bits are
    /// short (the common case): `Some((run, value))`.
    #[inline]
    pub(super) fn ac_fast(&mut self, t: &Table) -> Option<(usize, i32)> {
        if self.n < 16 {
            self.refill();
        }
        let e = t.ac_fast[(self.buf >> (64 - LOOKUP_BITS)) as usize];
        if e == 0 {
            return None;
        }
        self.consume((e & 0xFF) as u32);
        Some((((e >> 8) & 0xFF) as usize, e >> 16))
    }

    /// Whether bits that were made up (past a marker) have been consumed.
    pub(super) fn overran(&self) -> bool {
        self.n < self.padded
    }

    #[inline]
    fn consume(&mut self, k: u32) {
        self.buf <<= k;
        self.n -= k;
    }

    /// `k` (0..=16) raw bits.
    #[inline]
    pub(super) fn get(&mut self, k: u32) -> i32 {
        if k == 0 {
            return 0;
        }
        if self.n < k {
            self.refill();
        }
        let v = (self.buf >> (64 - k)) as i32;
        self.consume(k);
        v
    }

    /// The next Huffman symbol; `None` for a code no table entry has.
    #[inline]
    pub(super) fn decode(&mut self, t: &Table) -> Option<u8> {
        if self.n < 16 {
            self.refill();
        }
        let e = t.fast[(self.buf >> (64 - LOOKUP_BITS)) as usize];
        if e != 0 {
            self.consume(u32::from(e >> 8));
            return Some(e as u8);
        }
        let mut len = LOOKUP_BITS as usize + 1;
        let mut code = (self.buf >> (64 - len)) as i32;
        while code > t.maxcode[len] {
            len += 1;
            if len > 16 {
                return None;
            }
            code = (self.buf >> (64 - len)) as i32;
        }
        self.consume(len as u32);
        t.symbols.get((code + t.valoffset[len]) as usize).copied()
    }

    /// Expect restart marker `RSTm` next and skip it, dropping the bits
    /// left in the buffer (the previous interval's fill bits). `refill`
    /// never reads past a marker, so the marker is at or after `pos`;
    /// stray bytes before it are skipped, as libjpeg does.
    pub(super) fn restart(&mut self, m: u8) -> bool {
        self.buf = 0;
        self.n = 0;
        self.padded = 0;
        while let Some(&b) = self.data.get(self.pos) {
            if b == 0xFF && !matches!(self.data.get(self.pos + 1), Some(0x00 | 0xFF) | None) {
                break;
            }
            self.pos += 1;
        }
        if self.data.get(self.pos..self.pos + 2) == Some(&[0xFF, 0xD0 + m][..]) {
            self.pos += 2;
            true
        } else {
            false
        }
    }
}

/// Sign-extend `v`, `s` bits of a coefficient difference (T.81 F.2.2.1).
#[inline]
pub(super) fn extend(v: i32, s: u32) -> i32 {
    if s == 0 {
        0
    } else if v < (1 << (s - 1)) {
        v - (1 << s) + 1
    } else {
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_codes_and_stuffing() {
        // "0" → 5, "10" → 6, "110" → 7 (no code may be all ones).
        let mut counts = [0u8; 16];
        counts[0] = 1;
        counts[1] = 1;
        counts[2] = 1;
        let t = Table::new(&counts, &[5, 6, 7]).expect("valid");
        // Bits: 0 10 110, then 00 to end the byte, then a stuffed 0xFF.
        let data = [0b0101_1000, 0xFF, 0x00, 0xFF, 0xD9];
        let mut b = Bits::new(&data);
        assert_eq!(b.decode(&t), Some(5));
        assert_eq!(b.decode(&t), Some(6));
        assert_eq!(b.decode(&t), Some(7));
        assert_eq!(b.get(2), 0);
        assert_eq!(b.get(8), 0xFF);
        assert!(!b.overran());
        assert_eq!(b.get(8), 0);
        assert!(b.overran());
        let mut over = [0u8; 16];
        over[0] = 3;
        assert!(Table::new(&over, &[1, 2, 3]).is_none());
        over[0] = 2; // "0" and "1": the second is all ones
        assert!(Table::new(&over, &[1, 2]).is_none());
    }

    #[test]
    fn extend_matches_the_standard() {
        assert_eq!(extend(0, 1), -1);
        assert_eq!(extend(1, 1), 1);
        assert_eq!(extend(0b010, 3), -5);
        assert_eq!(extend(0b110, 3), 6);
    }
}
