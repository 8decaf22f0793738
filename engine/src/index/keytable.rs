//! A compact open-addressing table from 64-bit keys to entry ids.
//!
//! Every URL-ish entry of a snapshot (exact URL, Safe Browsing expression,
//! domain, hashed expression) becomes one 64-bit key. The table stores, per
//! slot, only a 16-bit tag (the key's low bits; 0 marks an empty slot) and a
//! 32-bit entry id: six bytes, packed end to end. The slot position comes
//! from the key's high bits (multiply-shift "fast range", so the capacity
//! need not be a power of two and the load factor stays near [`MAX_LOAD`]
//! whatever the entry count). The caller verifies every candidate against
//! the entry itself, so a tag collision costs a comparison and never a false
//! match; with 16-bit tags an unsuccessful lookup meets one about every
//! 7 700 lookups (8.5 slots scanned, 1 in 65 535 tags equal).
//!
//! Duplicated keys (the same URL on several partners' lists) simply occupy
//! several slots: a lookup walks the probe run to the first empty slot and
//! reports every tag match, which is how a verdict names every list.

use super::prefetch::prefetch;

/// Target load factor: ~8.5 slots (51 bytes, within about one cache line)
/// scanned by an unsuccessful linear-probe lookup, and 8 bytes per entry.
const MAX_LOAD: f64 = 0.75;

/// Bytes per slot: a 16-bit tag and a 32-bit entry id, little-endian.
const SLOT: usize = 6;
/// Readable bytes after the last slot, so every slot is read as one
/// unaligned 8-byte load.
const PAD: usize = 8 - SLOT;

/// Entry ids are `u32`; the table can hold this many.
pub(crate) const MAX_ENTRIES: usize = u32::MAX as usize - 1;

/// Immutable once built.
#[derive(Debug, Clone)]
pub(crate) struct KeyTable {
    /// `capacity * SLOT + PAD` bytes.
    slots: Box<[u8]>,
    capacity: usize,
}

/// A key's tag: its low 16 bits, with 0 (the empty mark) moved to 1.
#[inline]
fn tag(key: u64) -> u64 {
    let t = key & 0xffff;
    t + u64::from(t == 0)
}

impl KeyTable {
    /// Builds a table holding `(key, entry)` pairs.
    ///
    /// The caller guarantees `pairs.len() <= MAX_ENTRIES`.
    pub(crate) fn build(pairs: &[(u64, u32)]) -> KeyTable {
        let capacity = ((pairs.len() as f64 / MAX_LOAD).ceil() as usize).max(8);
        let mut slots = vec![0u8; capacity * SLOT + PAD].into_boxed_slice();
        for &(key, entry) in pairs {
            let mut pos = home(key, capacity);
            // Terminates: the table is never full (load < 1).
            while slots[pos * SLOT] != 0 || slots[pos * SLOT + 1] != 0 {
                pos += 1;
                if pos == capacity {
                    pos = 0;
                }
            }
            let at = pos * SLOT;
            slots[at..at + 2].copy_from_slice(&(tag(key) as u16).to_le_bytes());
            slots[at + 2..at + SLOT].copy_from_slice(&entry.to_le_bytes());
        }
        KeyTable { slots, capacity }
    }

    /// An empty table (lookups find nothing).
    #[cfg(test)]
    pub(crate) fn empty() -> KeyTable {
        KeyTable::build(&[])
    }

    /// The slot at `pos` as `tag | id << 16` (tag 0: empty).
    #[inline]
    fn slot(&self, pos: usize) -> u64 {
        let at = pos * SLOT;
        let mut word = [0u8; 8];
        word.copy_from_slice(&self.slots[at..at + 8]);
        u64::from_le_bytes(word)
    }

    /// Calls `f` with every entry whose key may equal `key` (same tag in the
    /// same probe run). Candidates must be verified by the caller.
    #[inline]
    pub(crate) fn candidates(&self, key: u64, mut f: impl FnMut(u32)) {
        let cap = self.capacity;
        let tag = tag(key);
        let mut pos = home(key, cap);
        loop {
            let slot = self.slot(pos);
            let slot_tag = slot & 0xffff;
            if slot_tag == 0 {
                return;
            }
            if slot_tag == tag {
                f((slot >> 16) as u32);
            }
            pos += 1;
            if pos == cap {
                pos = 0;
            }
        }
    }

    /// Starts loading the slot where `key`'s probe run begins, so that
    /// several independent lookups overlap their cache misses.
    #[inline]
    pub(crate) fn prefetch(&self, key: u64) {
        prefetch(
            self.slots
                .as_ptr()
                .wrapping_add(home(key, self.capacity) * SLOT),
        );
    }

    /// Heap bytes held.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.slots.len()
    }
}

#[inline]
fn home(key: u64, cap: usize) -> usize {
    ((u128::from(key) * cap as u128) >> 64) as usize
}

/// A fast, well-mixed 64-bit string hash, streaming over several slices as if
/// they were one (an expression is a host slice and a path slice of the same
/// URL; hashing them without concatenating avoids an allocation per
/// expression).
///
/// Not cryptographic and not meant to be: keys come from the operator's lists,
/// and lookups never insert, so hostile URLs can at worst make a lookup scan a
/// probe run. Deterministic across platforms and runs, so a snapshot's layout
/// is reproducible.
#[derive(Clone, Copy)]
pub(crate) struct StrHasher {
    acc: u64,
    buf: u64,
    buf_len: u32,
    total: u64,
}

const K0: u64 = 0xa076_1d64_78bd_642f;
const K1: u64 = 0xe703_7ed1_a0b4_28db;
const K2: u64 = 0x8ebc_6af0_9c88_c6e3;

#[inline]
fn fold(a: u64, b: u64) -> u64 {
    let r = u128::from(a) * u128::from(b);
    (r as u64) ^ ((r >> 64) as u64)
}

impl StrHasher {
    #[inline]
    pub(crate) fn new(seed: u64) -> StrHasher {
        StrHasher {
            acc: seed ^ K0,
            buf: 0,
            buf_len: 0,
            total: 0,
        }
    }

    #[inline]
    fn word(&mut self, w: u64) {
        self.acc = fold(self.acc ^ w, K1);
    }

    #[inline]
    pub(crate) fn write(&mut self, mut bytes: &[u8]) {
        self.total = self.total.wrapping_add(bytes.len() as u64);
        // Top up a partial word first.
        while self.buf_len != 0 && !bytes.is_empty() {
            self.buf |= u64::from(bytes[0]) << (8 * self.buf_len);
            self.buf_len += 1;
            bytes = &bytes[1..];
            if self.buf_len == 8 {
                let w = self.buf;
                self.word(w);
                self.buf = 0;
                self.buf_len = 0;
            }
        }
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.word(u64::from_le_bytes(w));
        }
        for (i, &b) in chunks.remainder().iter().enumerate() {
            self.buf |= u64::from(b) << (8 * i);
        }
        self.buf_len = chunks.remainder().len() as u32;
    }

    #[inline]
    pub(crate) fn finish(self) -> u64 {
        let a = fold(self.acc ^ self.buf, K2 ^ self.total);
        fold(a ^ (a >> 29), K1)
    }
}

/// Hash of one string under `seed`.
#[inline]
pub(crate) fn hash_str(seed: u64, s: &str) -> u64 {
    let mut h = StrHasher::new(seed);
    h.write(s.as_bytes());
    h.finish()
}

/// Combines two hashes into a key (order matters).
#[inline]
pub(crate) fn combine(a: u64, b: u64, domain: u64) -> u64 {
    let x = fold(a ^ domain, K1 ^ b.rotate_left(23));
    fold(x ^ b, K2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streaming_equals_one_shot() {
        let s = "evil.example/gallery/images/index.html?id=42";
        for split in 0..=s.len() {
            let mut h = StrHasher::new(7);
            h.write(&s.as_bytes()[..split]);
            h.write(&s.as_bytes()[split..]);
            assert_eq!(h.finish(), hash_str(7, s), "split at {split}");
        }
    }

    #[test]
    fn length_and_seed_matter() {
        assert_ne!(hash_str(1, ""), hash_str(1, "\0"));
        assert_ne!(hash_str(1, "a"), hash_str(2, "a"));
        assert_ne!(hash_str(1, "ab"), hash_str(1, "ba"));
    }

    #[test]
    fn table_finds_every_duplicate_and_nothing_else() {
        let mut pairs = Vec::new();
        for i in 0..10_000u32 {
            let key = hash_str(0, &format!("k{}", i % 2_500));
            pairs.push((key, i));
        }
        let t = KeyTable::build(&pairs);
        for k in 0..2_500u32 {
            let key = hash_str(0, &format!("k{k}"));
            let mut got = Vec::new();
            t.candidates(key, |e| got.push(e));
            got.sort_unstable();
            // Candidates may include tag collisions; all real duplicates must be there.
            for j in 0..4 {
                assert!(got.contains(&(k + 2_500 * j)), "key {k} missing entry");
            }
        }
        let mut none = 0;
        t.candidates(hash_str(0, "absent"), |_| none += 1);
        assert_eq!(none, 0);
    }

    #[test]
    fn keys_whose_tag_is_the_empty_mark_are_found() {
        // Low 16 bits zero: the tag moves to 1, the slot is not "empty".
        let keys: Vec<u64> = (1..=64u64).map(|i| i << 40).collect();
        let pairs: Vec<(u64, u32)> = keys.iter().zip(0u32..).map(|(k, i)| (*k, i)).collect();
        let t = KeyTable::build(&pairs);
        for (k, i) in &pairs {
            let mut got = Vec::new();
            t.candidates(*k, |e| got.push(e));
            assert!(got.contains(i), "key {k:#x}");
        }
        // The largest entry id survives the packing.
        let t = KeyTable::build(&[(7, u32::MAX - 1)]);
        let mut got = Vec::new();
        t.candidates(7, |e| got.push(e));
        assert_eq!(got, [u32::MAX - 1]);
    }

    #[test]
    fn empty_table_has_no_candidates() {
        let t = KeyTable::empty();
        let mut n = 0;
        t.candidates(12345, |_| n += 1);
        assert_eq!(n, 0);
    }

    #[test]
    fn load_factor_bounds_memory() {
        let pairs: Vec<(u64, u32)> = (0..100_000u32)
            .map(|i| (hash_str(3, &i.to_string()), i))
            .collect();
        let t = KeyTable::build(&pairs);
        let per_entry = t.heap_bytes() as f64 / pairs.len() as f64;
        assert!(per_entry <= 8.0 + 0.01, "{per_entry} bytes per entry");
    }
}
