//! The canonical byte form that is signed, and signing lists.
//!
//! An issuer signs a list (or a delta) with ed25519 over the SHA-256 digest
//! of a canonical, length-prefixed serialisation of its fields (see
//! `FORMAT.md`, "Signatures"). The canonical form ignores everything the text
//! format lets a re-formatter change (comments, blank lines, CRLF, hex case,
//! header order), so a re-formatted file still verifies, and it starts with a
//! domain-separation tag so a list signature can never be replayed as a delta
//! signature or the other way round. Keys and signatures themselves are in
//! [`crate::key`].

use sha2::{Digest as _, Sha256};

use crate::error::{Error, ErrorKind};
use crate::key::{PublicKey, SecretKey};
use crate::model::{Entry, List, ListMeta};
use crate::text::FORMAT_VERSION;
use crate::time::Timestamp;

/// Domain-separation tag that starts the canonical form of a list.
pub const LIST_DOMAIN: &[u8] = b"hashwall-list-v1\0";

/// Domain-separation tag that starts the canonical form of a delta.
pub const DELTA_DOMAIN: &[u8] = b"hashwall-delta-v1\0";

/// Streaming builder of a canonical byte form, hashed as it goes.
///
/// Every field is a 4-byte big-endian length followed by its UTF-8 bytes;
/// small fields are batched in a buffer because per-call hashing overhead
/// dominates for 10 M short entries.
pub(crate) struct Canon {
    sha: Sha256,
    buf: Vec<u8>,
}

impl Canon {
    pub(crate) fn new(domain: &[u8]) -> Canon {
        let mut buf = Vec::with_capacity(64 * 1024);
        buf.extend_from_slice(domain);
        Canon {
            sha: Sha256::new(),
            buf,
        }
    }

    pub(crate) fn field(&mut self, bytes: &[u8]) {
        // Fields are bounded by MAX_LINE_LEN (64 KiB), so they fit in u32;
        // saturate rather than panic on a hand-built oversized value.
        let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
        self.buf.extend_from_slice(&len.to_be_bytes());
        self.buf.extend_from_slice(bytes);
        if self.buf.len() >= 60 * 1024 {
            self.sha.update(&self.buf);
            self.buf.clear();
        }
    }

    pub(crate) fn str(&mut self, s: &str) {
        self.field(s.as_bytes());
    }

    pub(crate) fn opt_time(&mut self, t: Option<Timestamp>) {
        match t {
            Some(t) => self.str(&t.to_string()),
            None => self.field(b""),
        }
    }

    /// An entry: kind, value, reference (empty if none), added (empty if none).
    pub(crate) fn entry(&mut self, e: &Entry) {
        self.str(e.kind.as_str());
        self.str(&e.value);
        self.str(e.reference.as_deref().unwrap_or(""));
        self.opt_time(e.added);
    }

    /// Raw bytes, no length prefix (chunk digests).
    pub(crate) fn raw(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    pub(crate) fn finish(mut self) -> [u8; 32] {
        self.sha.update(&self.buf);
        let d = self.sha.finalize();
        let mut out = [0u8; 32];
        out.copy_from_slice(&d);
        out
    }
}

/// Feed the signed header fields of `m`, in their fixed order.
pub(crate) fn canon_meta(c: &mut Canon, m: &ListMeta, entries: usize) {
    c.str(&FORMAT_VERSION.to_string());
    c.str(&m.id);
    c.str(&m.issuer);
    c.str(&m.name);
    c.str(m.jurisdiction.as_str());
    c.str(m.category.as_str());
    c.str(m.policy.as_str());
    c.str(&m.sequence.to_string());
    c.str(&m.created.to_string());
    c.opt_time(m.expires);
    c.str(&entries.to_string());
}

/// Entries per chunk of the canonical form: each chunk is hashed on its
/// own, so a large list is hashed on all cores.
pub const CHUNK_ENTRIES: usize = 65_536;

/// A sequence of entries the canonical digest can walk in ranges, from
/// several threads.
pub(crate) trait EntrySeq: Sync {
    fn len(&self) -> usize;
    /// Call `f` on entries `start..end`, in order.
    fn visit(&self, start: usize, end: usize, f: &mut dyn FnMut(&Entry));
}

/// A slice of entries as an [`EntrySeq`].
pub(crate) struct Slice<'a>(pub(crate) &'a [Entry]);

impl EntrySeq for Slice<'_> {
    fn len(&self) -> usize {
        self.0.len()
    }

    fn visit(&self, start: usize, end: usize, f: &mut dyn FnMut(&Entry)) {
        for e in self.0.get(start..end).unwrap_or_default() {
            f(e);
        }
    }
}

fn chunk_hash(seq: &dyn EntrySeq, j: usize) -> [u8; 32] {
    let start = j.saturating_mul(CHUNK_ENTRIES);
    let end = start.saturating_add(CHUNK_ENTRIES).min(seq.len());
    let mut c = Canon::new(b"");
    seq.visit(start, end, &mut |e| c.entry(e));
    c.finish()
}

/// The canonical digest of a list computed as its entries are read: each
/// chunk of [`CHUNK_ENTRIES`] is hashed when it is complete, so only the
/// chunk hashes are kept. Gives what [`List::signed_digest`] gives.
pub(crate) struct StreamDigest {
    chunk: Canon,
    in_chunk: usize,
    count: usize,
    hashes: Vec<[u8; 32]>,
}

impl StreamDigest {
    pub(crate) fn new() -> StreamDigest {
        StreamDigest {
            chunk: Canon::new(b""),
            in_chunk: 0,
            count: 0,
            hashes: Vec::new(),
        }
    }

    /// The next entry, in file order.
    pub(crate) fn entry(&mut self, e: &Entry) {
        self.chunk.entry(e);
        self.in_chunk += 1;
        self.count += 1;
        if self.in_chunk == CHUNK_ENTRIES {
            let full = std::mem::replace(&mut self.chunk, Canon::new(b""));
            self.hashes.push(full.finish());
            self.in_chunk = 0;
        }
    }

    /// The digest of the list with header `meta` and the entries given.
    pub(crate) fn finish(mut self, meta: &ListMeta) -> [u8; 32] {
        if self.in_chunk > 0 {
            self.hashes.push(self.chunk.finish());
        }
        let mut c = Canon::new(LIST_DOMAIN);
        canon_meta(&mut c, meta, self.count);
        for h in &self.hashes {
            c.raw(h);
        }
        c.finish()
    }
}

/// Finish a list digest: `c` holds the tag and header fields; append the
/// SHA-256 of each chunk of [`CHUNK_ENTRIES`] entries, computed in parallel
/// when the list has several chunks.
pub(crate) fn finish_list_digest(mut c: Canon, seq: &dyn EntrySeq) -> [u8; 32] {
    let chunks = seq.len().div_ceil(CHUNK_ENTRIES);
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .clamp(1, 8)
        .min(chunks);
    let hashes: Vec<[u8; 32]> = if threads <= 1 {
        (0..chunks).map(|j| chunk_hash(seq, j)).collect()
    } else {
        // Contiguous runs of chunks per thread, joined in order. A thread
        // that panicked (it cannot: hashing has no failure path) would
        // yield an all-zero chunk hash, which fails verification.
        let per = chunks.div_ceil(threads);
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    s.spawn(move || {
                        let lo = t * per;
                        let hi = ((t + 1) * per).min(chunks);
                        (lo..hi).map(|j| chunk_hash(seq, j)).collect::<Vec<_>>()
                    })
                })
                .collect();
            let mut all = Vec::with_capacity(chunks);
            for (t, h) in handles.into_iter().enumerate() {
                match h.join() {
                    Ok(v) => all.extend(v),
                    Err(_) => {
                        let lo = t * per;
                        let hi = ((t + 1) * per).min(chunks);
                        all.extend((lo..hi).map(|_| [0u8; 32]));
                    }
                }
            }
            all
        })
    };
    for h in &hashes {
        c.raw(h);
    }
    c.finish()
}

impl List {
    /// The SHA-256 of the list's canonical byte form (`FORMAT.md`,
    /// "Signatures"): what the issuer's ed25519 signature signs.
    pub fn signed_digest(&self) -> [u8; 32] {
        let mut c = Canon::new(LIST_DOMAIN);
        canon_meta(&mut c, &self.meta, self.entries.len());
        finish_list_digest(c, &Slice(&self.entries))
    }

    /// Sign the list with `key`, replacing any previous signature. Change
    /// nothing else afterwards, or the signature no longer verifies.
    pub fn sign(&mut self, key: &SecretKey) {
        self.meta.signature = None;
        let d = self.signed_digest();
        self.meta.signature = Some(key.sign_digest(&d));
    }

    /// Check the list's signature against `key` alone (no trust store, no
    /// validity window). [`List::verify`] is what loaders should use.
    pub fn verify_with_key(&self, key: &PublicKey) -> Result<(), Error> {
        let sig = self
            .meta
            .signature
            .ok_or_else(|| Error::new(ErrorKind::Unsigned, "list is not signed"))?;
        key.verify_digest(&self.signed_digest(), &sig)
    }
}
