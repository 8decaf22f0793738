//! Applying a delta to a large list fast: finding the entries it removes
//! (a pre-filter, then exact comparison, on all cores) and hashing the list
//! it produces without building it first.

use std::collections::HashMap;

use super::Delta;
use crate::error::{Error, ErrorKind, clip};
use crate::model::{Entry, List, ListMeta};
use crate::sign::{CHUNK_ENTRIES, Canon, EntrySeq, LIST_DOMAIN, canon_meta, finish_list_digest};

/// A cheap hash of an entry value for the removal pre-filter: probing 10 M
/// entries through SipHash costs more than the rest of applying a delta. It
/// only selects candidates; equality is then checked exactly.
fn value_hash(v: &str) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let bytes = v.as_bytes();
    let mut h = (bytes.len() as u64).wrapping_mul(K);
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = (h ^ u64::from_le_bytes(w)).wrapping_mul(K).rotate_left(31);
    }
    let mut w = [0u8; 8];
    let rem = chunks.remainder();
    w[..rem.len()].copy_from_slice(rem);
    h = (h ^ u64::from_le_bytes(w)).wrapping_mul(K);
    // Final avalanche so the high bits used below depend on every byte.
    h ^= h >> 29;
    h = h.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    h ^ (h >> 32)
}

/// A one-hash bit filter over the removed values: ~16 bits per value, so
/// about 6 % of kept entries reach the exact check.
struct BitFilter {
    bits: Vec<u64>,
    shift: u32,
}

impl BitFilter {
    fn new(values: impl ExactSizeIterator<Item = u64>) -> BitFilter {
        let want = (values.len().max(1) * 16).next_power_of_two().max(64);
        let log2 = want.trailing_zeros();
        let mut f = BitFilter {
            bits: vec![0; want / 64],
            shift: 64 - log2,
        };
        for h in values {
            let i = f.index(h);
            if let Some(w) = f.bits.get_mut(i / 64) {
                *w |= 1 << (i % 64);
            }
        }
        f
    }

    fn index(&self, h: u64) -> usize {
        // The top `log2` bits; the shift is < 64 since `want >= 64`.
        (h >> self.shift) as usize
    }

    fn may_contain(&self, h: u64) -> bool {
        let i = self.index(h);
        self.bits
            .get(i / 64)
            .is_some_and(|w| w & (1 << (i % 64)) != 0)
    }
}

/// Which entries of a list a delta removes, found without changing it.
pub(super) struct Plan {
    /// Sorted indices of the entries to remove.
    remove: Vec<usize>,
}

/// The list a delta produces, as a view: `old` without the entries at the
/// sorted indices `removed`, then `added`.
struct Produced<'a> {
    old: &'a [Entry],
    removed: &'a [usize],
    added: &'a [Entry],
}

impl EntrySeq for Produced<'_> {
    fn len(&self) -> usize {
        self.old.len() - self.removed.len() + self.added.len()
    }

    fn visit(&self, start: usize, end: usize, f: &mut dyn FnMut(&Entry)) {
        let kept = self.old.len() - self.removed.len();
        if start < kept {
            // Old index of the `start`-th kept entry: start plus the removed
            // indices at or below it.
            let mut k = self.removed.partition_point(|&x| x < start);
            let mut o = start + k;
            while k < self.removed.len() && self.removed[k] <= o {
                o += 1;
                k += 1;
            }
            let mut left = end.min(kept) - start;
            while left > 0 && o < self.old.len() {
                if k < self.removed.len() && self.removed[k] == o {
                    k += 1;
                } else {
                    f(&self.old[o]);
                    left -= 1;
                }
                o += 1;
            }
        }
        let a = start.max(kept) - kept;
        let b = end.max(kept) - kept;
        for e in self.added.get(a..b).unwrap_or_default() {
            f(e);
        }
    }
}

impl Plan {
    /// Find the entries `delta` removes from `list` (in parallel: this
    /// touches every entry) and the canonical digest of the list it
    /// produces with header `meta`.
    pub(super) fn with_digest(
        list: &List,
        delta: &Delta,
        meta: &ListMeta,
    ) -> Result<(Plan, [u8; 32]), Error> {
        let filter = BitFilter::new(delta.removed.iter().map(|e| value_hash(&e.value)));
        let mut wanted: HashMap<&Entry, usize> = HashMap::with_capacity(delta.removed.len());
        for e in &delta.removed {
            *wanted.entry(e).or_default() += 1;
        }
        let entries = list.entries.as_slice();
        let candidates = |lo: usize, hi: usize| -> Vec<usize> {
            let mut v = Vec::new();
            for (i, e) in entries.iter().enumerate().take(hi).skip(lo) {
                if filter.may_contain(value_hash(&e.value)) && wanted.contains_key(e) {
                    v.push(i);
                }
            }
            v
        };
        let mut cand = Vec::new();
        if !delta.removed.is_empty() {
            let threads = std::thread::available_parallelism()
                .map_or(1, usize::from)
                .clamp(1, 8);
            if threads == 1 || entries.len() < 2 * CHUNK_ENTRIES {
                cand = candidates(0, entries.len());
            } else {
                let per = entries.len().div_ceil(threads);
                let parts: Vec<Option<Vec<usize>>> = std::thread::scope(|s| {
                    let hs: Vec<_> = (0..threads)
                        .map(|t| {
                            let c = &candidates;
                            s.spawn(move || c(t * per, ((t + 1) * per).min(entries.len())))
                        })
                        .collect();
                    hs.into_iter().map(|h| h.join().ok()).collect()
                });
                for p in parts {
                    // A scan thread cannot panic; if one did, refuse rather
                    // than produce a wrong list.
                    let p = p.ok_or_else(|| Error::new(ErrorKind::Io, "delta scan failed"))?;
                    cand.extend(p);
                }
            }
        }
        // First equal occurrences win, in list order.
        let mut remove = Vec::with_capacity(delta.removed.len());
        for i in cand {
            if let Some(e) = entries.get(i)
                && let Some(k) = wanted.get_mut(e)
                && *k > 0
            {
                *k -= 1;
                remove.push(i);
            }
        }
        if let Some((e, _)) = wanted.iter().find(|(_, k)| **k > 0) {
            return Err(Error::new(
                ErrorKind::WrongList,
                format!(
                    "delta removes `{} {}`, which is not in list {}",
                    e.kind,
                    clip(&e.value),
                    list.meta.id
                ),
            ));
        }
        let view = Produced {
            old: entries,
            removed: &remove,
            added: &delta.added,
        };
        let mut c = Canon::new(LIST_DOMAIN);
        canon_meta(&mut c, meta, view.len());
        let digest = finish_list_digest(c, &view);
        Ok((Plan { remove }, digest))
    }

    pub(super) fn apply(self, list: &mut List, meta: ListMeta, delta: &Delta) {
        if !self.remove.is_empty() {
            let mut skip = self.remove.iter().peekable();
            let mut i = 0usize;
            list.entries.retain(|_| {
                let keep = skip.peek() != Some(&&i);
                if !keep {
                    skip.next();
                }
                i += 1;
                keep
            });
        }
        list.entries.extend(delta.added.iter().cloned());
        list.meta = meta;
    }
}
