//! The tables of the multi-index: one counting sort of all entries per
//! substring, with 2- or 3-byte packed ids, built in place on (when the
//! kernel allows) transparent huge pages.

use super::super::bits::{HammingHash, low_mask};

/// Ids of a table, packed to 3 or 4 bytes little-endian.
#[derive(Debug)]
pub(super) struct PackedIds {
    /// `width * len + 3` bytes: the padding lets every read load 4 bytes.
    pub(super) bytes: Vec<u8>,
    pub(super) width: usize,
    mask: u32,
}

impl PackedIds {
    fn new(len: usize, max_id: u32) -> PackedIds {
        let width = if max_id < (1 << 24) { 3 } else { 4 };
        PackedIds {
            bytes: vec![0; width * len + 3],
            width,
            mask: if width == 3 { 0x00ff_ffff } else { u32::MAX },
        }
    }

    #[inline(always)]
    pub(super) fn get(&self, i: usize) -> u32 {
        let p = i * self.width;
        let mut b = [0u8; 4];
        b.copy_from_slice(&self.bytes[p..p + 4]);
        u32::from_le_bytes(b) & self.mask
    }

    #[inline(always)]
    fn set(&mut self, i: usize, id: u32) {
        let p = i * self.width;
        let b = id.to_le_bytes();
        // Two fixed-size copies rather than one of runtime length (a memcpy
        // call); entries are written in random order, so no entry may
        // write past its own bytes.
        self.bytes[p..p + 2].copy_from_slice(&b[..2]);
        self.bytes[p + 2] = b[2];
        if self.width == 4 {
            self.bytes[p + 3] = b[3];
        }
    }
}

/// One substring's table.
#[derive(Debug)]
pub(super) struct Table {
    /// First bit of the substring in the hash.
    pub(super) start: u32,
    /// Substring length in bits (1..=32).
    pub(super) len: u32,
    /// Bits of the substring used as the bucket number.
    pub(super) hi_bits: u32,
    /// The remaining low bits, stored per entry (0..=16).
    pub(super) tag_bits: u32,
    /// `2^hi_bits + 1` offsets into `tags` / `ids`.
    pub(super) offsets: Vec<u32>,
    /// Low bits of each entry's substring; empty when `tag_bits == 0`.
    pub(super) tags: Vec<u16>,
    pub(super) ids: PackedIds,
}

pub(super) fn build_table<H: HammingHash>(
    hashes: &[H],
    start: u32,
    len: u32,
    hi_bits: u32,
    max_id: u32,
) -> Table {
    let tag_bits = len - hi_bits;
    let buckets = 1usize << hi_bits;
    let tag_mask = low_mask(tag_bits);
    let n = hashes.len();
    // Counting sort by bucket: count, prefix-sum, place.
    let mut offsets = vec![0u32; buckets + 1];
    advise_huge_pages(&offsets);
    for h in hashes {
        let b = (h.substring(start, len) >> tag_bits) as usize;
        offsets[b + 1] += 1;
    }
    for b in 0..buckets {
        offsets[b + 1] += offsets[b];
    }
    let mut cursor = offsets[..buckets].to_vec();
    let mut tags = if tag_bits > 0 {
        // 16 entries of padding for the 16-lane loads of the AVX2 scan.
        vec![0u16; n + 16]
    } else {
        Vec::new()
    };
    let mut ids = PackedIds::new(n, max_id);
    advise_huge_pages(&tags);
    advise_huge_pages(&ids.bytes);
    for (id, h) in hashes.iter().enumerate() {
        let key = h.substring(start, len);
        let b = (key >> tag_bits) as usize;
        let pos = cursor[b] as usize;
        cursor[b] += 1;
        if tag_bits > 0 {
            // tag_bits <= 16, so the masked key fits.
            tags[pos] = (key & tag_mask) as u16;
        }
        // The caller guarantees n <= u32::MAX.
        ids.set(pos, id as u32);
    }
    Table {
        start,
        len,
        hi_bits,
        tag_bits,
        offsets,
        tags,
        ids,
    }
}

/// Asks the kernel to back a large array with transparent huge pages.
///
/// Queries touch a few thousand random cache lines spread over hundreds of
/// megabytes; with 4 KiB pages nearly every one is also a TLB miss whose
/// page walk misses the cache too. With 2 MiB pages the TLB covers the whole
/// index (measured in DESIGN.md). The arrays are still untouched when this
/// runs (fresh zeroed allocations), so the first writes fault in huge pages.
/// Best effort: failure (or a kernel with THP off) only costs speed.
pub(crate) fn advise_huge_pages<T>(v: &[T]) {
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        let start = v.as_ptr() as usize;
        let len = std::mem::size_of_val(v);
        // Only whole huge pages inside the array: madvise needs a
        // page-aligned start, and advising bytes outside it would touch
        // other allocations.
        let first = start.next_multiple_of(HUGE);
        let end = (start + len) / HUGE * HUGE;
        if end > first {
            // SAFETY: the range lies inside memory this process owns (the
            // array); MADV_HUGEPAGE changes no contents, only the backing.
            unsafe {
                libc::madvise(first as *mut libc::c_void, end - first, libc::MADV_HUGEPAGE);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = v;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_ids_round_trip_in_any_order() {
        // 3 bytes below 2^24 entries, 4 from there (lists that large are
        // too slow to build in a debug test, so the packing is tested here).
        for (max_id, width) in [
            (5u32, 3usize),
            ((1 << 24) - 1, 3),
            (1 << 24, 4),
            (u32::MAX, 4),
        ] {
            let n = 1000;
            let mut ids = PackedIds::new(n, max_id);
            assert_eq!(ids.width, width);
            let mask = ids.mask;
            let value =
                |i: usize| max_id.wrapping_sub((i as u32).wrapping_mul(2_654_435_761)) & mask;
            // Scattered writes, as the counting sort does them.
            for i in (0..n).map(|i| (i * 617) % n) {
                ids.set(i, value(i));
            }
            for i in 0..n {
                assert_eq!(ids.get(i), value(i), "width {width}, entry {i}");
            }
        }
    }
}
