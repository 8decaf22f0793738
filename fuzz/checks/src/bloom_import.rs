//! The Bloom filter exchange format: reading arbitrary bytes, and exporting
//! list entries into a filter and reading it back.
//!
//! The first byte picks the mode:
//!
//! * `0`: the rest is a filter file: a typed error or a filter that writes
//!   back to the same bytes and answers queries without panicking;
//! * `1`: the same, with the trailing SHA-256 checksum recomputed first,
//!   so mutations of the header and bit array get past the checksum;
//! * `2`: the second byte picks a false-positive rate, the rest is entry
//!   lines of the list text format; the entries are exported with
//!   `bloom_export`, the filter written and read back, and every exported
//!   entry must be in it (a Bloom filter has no false negatives).

use hashwall::url::EngineCanonicalizer;
use hashwall_lists::exchange::{BloomFilter, BloomTag, Canonicalize, ExportSource, bloom_export};
use hashwall_lists::{Entry, EntryKind, ErrorKind, List, ListMeta};
use sha2::{Digest, Sha256};

/// At most this many entries are exported per input.
const MAX_ENTRIES: usize = 256;

/// Checks the properties above on `data`.
pub fn bloom_import(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 3 {
        0 => read(rest),
        1 => {
            let mut bytes = rest.to_vec();
            if let Some(body) = bytes.len().checked_sub(32) {
                let sum: [u8; 32] = Sha256::digest(&bytes[..body]).into();
                bytes[body..].copy_from_slice(&sum);
            }
            read(&bytes);
        }
        _ => export(rest),
    }
}

fn read(bytes: &[u8]) {
    let filter = match BloomFilter::from_bytes(bytes) {
        Ok(f) => f,
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::BloomFormat, "{e}");
            return;
        }
    };
    assert_eq!(filter.to_bytes(), bytes, "filter does not write back");
    for tag in BloomTag::ALL {
        let _ = filter.contains(tag, b"");
        let _ = filter.contains(tag, &bytes[..bytes.len().min(40)]);
    }
    let _ = filter.estimated_fp_rate();
}

/// The Bloom item an exported entry must have been inserted as.
fn item(e: &Entry) -> Option<(BloomTag, Vec<u8>)> {
    let hex = |v: &str| -> Vec<u8> {
        (0..v.len() / 2)
            .filter_map(|i| u8::from_str_radix(v.get(2 * i..2 * i + 2)?, 16).ok())
            .collect()
    };
    let c = EngineCanonicalizer;
    Some(match e.kind {
        EntryKind::Url => (
            BloomTag::UrlExact,
            c.expression(&e.value).ok()?.into_bytes(),
        ),
        EntryKind::UrlPrefix => (
            BloomTag::UrlPrefix,
            c.expression(&e.value).ok()?.into_bytes(),
        ),
        EntryKind::Domain => (BloomTag::Domain, c.host(&e.value).ok()?.into_bytes()),
        EntryKind::UrlSha256 => (BloomTag::UrlSha256, hex(&e.value)),
        EntryKind::Md5 => (BloomTag::Md5, hex(&e.value)),
        EntryKind::Sha1 => (BloomTag::Sha1, hex(&e.value)),
        EntryKind::Sha256 => (BloomTag::Sha256, hex(&e.value)),
        EntryKind::Pdq | EntryKind::Phash | EntryKind::Dhash => return None,
    })
}

fn export(rest: &[u8]) {
    let Some((&rate, lines)) = rest.split_first() else {
        return;
    };
    let fp_rate = [0.5, 0.1, 0.01, 1e-3, 1e-6, 1e-9][usize::from(rate % 6)];
    let text = String::from_utf8_lossy(lines);
    let entries: Vec<Entry> = text
        .lines()
        .filter_map(|l| Entry::from_line(l).ok())
        .take(MAX_ENTRIES)
        .collect();
    let list = List {
        meta: ListMeta::with_defaults("bloom"),
        entries,
    };
    let source = ExportSource {
        list: &list,
        path: None,
        lines: None,
    };
    let exported = match bloom_export(&[source], &EngineCanonicalizer, fp_rate) {
        Ok(x) => x,
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::Export, "{e}");
            let perceptual = |k| matches!(k, EntryKind::Pdq | EntryKind::Phash | EntryKind::Dhash);
            assert!(
                list.entries
                    .iter()
                    .any(|e| !perceptual(e.kind) && item(e).is_none()),
                "export failed though every entry canonicalises: {e}"
            );
            return;
        }
    };
    let left_out = list
        .entries
        .iter()
        .filter(|e| matches!(e.kind, EntryKind::Pdq | EntryKind::Phash | EntryKind::Dhash))
        .count();
    assert_eq!(exported.left_out, left_out);
    let bytes = exported.filter.to_bytes();
    let back = match BloomFilter::from_bytes(&bytes) {
        Ok(f) => f,
        Err(e) => panic!("an exported filter does not read back: {e}"),
    };
    assert_eq!(back.to_bytes(), bytes);
    for e in &list.entries {
        let Some((tag, item)) = item(e) else { continue };
        assert!(back.contains(tag, &item), "{e:?} missing from the filter");
    }
}
