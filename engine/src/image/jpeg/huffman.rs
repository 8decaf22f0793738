//! Huffman tables and the entropy-coded bit stream of a baseline JPEG scan.

/// Bits looked up at once; longer codes take the slow path.
const LOOKUP_BITS: u32 = 11;

/// A decoding table built from a DHT segment (canonical codes, as in
/// ITU T.81 Annex C / F.2.2.3).
pub(super) struct Table {
    /// For each `LOOKUP_BITS`-bit prefix: `(length << 8) | symbol`, or 0
    /// when the code is longer. Fixed-size, so that indexing by a
    /// `LOOKUP_BITS`-bit value needs no bounds check.
    fast: Box<[u16; 1 << LOOKUP_BITS]>,
    /// For AC tables: for each `LOOKUP_BITS`-bit prefix holding a whole
    /// code *and* its value bits, `(value << 16) | (run << 8) | bits used`;
    /// 0 otherwise.
    ac_fast: Box<[i32; 1 << LOOKUP_BITS]>,
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
        let mut fast = Box::new([0u16; 1 << LOOKUP_BITS]);
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
        let mut ac_fast = Box::new([0i32; 1 << LOOKUP_BITS]);
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

/// The bit stream of one restart interval, unstuffed and padded with
/// zeros (see `intervals.rs`).
///
/// The refill is branch-free (F. Giesen's "variant 4"): the loaded bits
/// always end on a byte boundary of the data, so a refill ORs the next
/// eight bytes in below the valid bits and advances by the whole bytes
/// that fit; the bits it loads past `n` are the stream's own next bits,
/// which the next refill ORs in again unchanged. After a refill at least
/// 56 bits are valid, enough for any one symbol and its value bits (at
/// most 16 + 16), so the decoder refills before each symbol (before each
/// second AC symbol: see `decode_coefficients`) and the other methods never
/// check.
///
/// A `Copy` value on purpose: the block decoder works on a local copy whose
/// address never escapes (every method it calls is inlined, and the rare
/// paths take and return values), so `buf` and `n` stay in registers.
/// Behind a `&mut` passed to an out-of-line call they lived on the stack,
/// and every symbol paid a store and a reload on its critical path.
#[derive(Clone, Copy)]
pub(super) struct Bits<'a> {
    /// The interval's bytes followed by at least 8 zero bytes.
    data: &'a [u8],
    /// Bits of `data` that belong to the interval (the rest is padding).
    real_bits: usize,
    /// Where the bits loaded into `buf` end, in bytes of `data`.
    pos: usize,
    buf: u64,
    /// Valid bits in `buf` (left-aligned).
    n: u32,
}

impl<'a> Bits<'a> {
    /// The bits of `data`'s first `len` bytes; `data` continues with zeros.
    pub(super) fn new(data: &'a [u8], len: usize) -> Self {
        Bits {
            data,
            real_bits: 8 * len,
            pos: 0,
            buf: 0,
            n: 0,
        }
    }

    /// At least 56 valid bits. Past the padding (a corrupt stream that
    /// keeps reading) the loaded bits are zeros too.
    #[inline(always)]
    pub(super) fn refill(&mut self) {
        let word = match self.data.get(self.pos..).and_then(|d| d.first_chunk::<8>()) {
            Some(bytes) => u64::from_be_bytes(*bytes),
            None => 0,
        };
        self.buf |= word >> self.n;
        self.pos += ((63 - self.n) >> 3) as usize;
        self.n |= 56;
    }

    /// One AC coefficient in a single step when its code and value bits are
    /// short (the common case): `Some((run, value))`.
    #[inline(always)]
    pub(super) fn ac_fast(&mut self, t: &Table) -> Option<(usize, i32)> {
        let e = t.ac_fast[(self.buf >> (64 - LOOKUP_BITS)) as usize];
        if e == 0 {
            return None;
        }
        self.consume((e & 0xFF) as u32);
        Some((((e >> 8) & 0xF) as usize, e >> 16))
    }

    /// Whether bits past the interval's data (the padding) have been
    /// consumed.
    pub(super) fn overran(&self) -> bool {
        8 * self.pos - self.n as usize > self.real_bits
    }

    /// Drop `k` bits; the decoder's one refill per symbol keeps `k ≤ n`.
    #[inline(always)]
    fn consume(&mut self, k: u32) {
        debug_assert!(k <= self.n, "{k} bits consumed, {} valid", self.n);
        self.buf <<= k;
        self.n -= k;
    }

    /// `k` (0..=16) raw bits.
    #[inline(always)]
    pub(super) fn get(&mut self, k: u32) -> i32 {
        if k == 0 {
            return 0;
        }
        let v = (self.buf >> (64 - k)) as i32;
        self.consume(k);
        v
    }

    /// The next Huffman symbol; `None` for a code no table entry has.
    #[inline(always)]
    pub(super) fn decode(&mut self, t: &Table) -> Option<u8> {
        let e = t.fast[(self.buf >> (64 - LOOKUP_BITS)) as usize];
        let (len, symbol) = if e != 0 {
            (u32::from(e >> 8), e as u8)
        } else {
            long_code(self.buf, t)?
        };
        self.consume(len);
        Some(symbol)
    }
}

/// A code longer than `LOOKUP_BITS` at the top of `buf` (which holds at
/// least 16 valid bits): its length and symbol, `None` when no code of up
/// to 16 bits matches.
#[cold]
#[inline(never)]
fn long_code(buf: u64, t: &Table) -> Option<(u32, u8)> {
    let mut len = LOOKUP_BITS as usize + 1;
    let mut code = (buf >> (64 - len)) as i32;
    while code > t.maxcode[len] {
        len += 1;
        if len > 16 {
            return None;
        }
        code = (buf >> (64 - len)) as i32;
    }
    let symbol = t.symbols.get((code + t.valoffset[len]) as usize)?;
    Some((len as u32, *symbol))
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
        // Bits: 0 10 110, then 00 to end the byte, then 0xFF (unstuffed),
        // then the zero padding.
        let data = [0b0101_1000, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0];
        let mut b = Bits::new(&data, 2);
        b.refill();
        assert_eq!(b.decode(&t), Some(5));
        assert_eq!(b.decode(&t), Some(6));
        assert_eq!(b.decode(&t), Some(7));
        assert_eq!(b.get(2), 0);
        b.refill();
        assert_eq!(b.get(8), 0xFF);
        assert!(!b.overran());
        assert_eq!(b.get(1), 0);
        assert!(b.overran());
        // Reading on past the padding gives zeros, and no panic.
        for _ in 0..4 {
            b.refill();
            assert_eq!(b.get(16), 0);
        }
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
