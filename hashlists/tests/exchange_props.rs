//! Hostile input never panics: every import format and the Bloom reader
//! over arbitrary bytes, and imported lists always round-trip.

use hashwall_lists::exchange::{
    BLOOM_HEADER_LEN, BloomFilter, BloomTag, ImportFormat, ImportOptions, import,
};
use hashwall_lists::{List, ListMeta};
use proptest::prelude::*;
use sha2::{Digest, Sha256};

/// Whether `bytes`, if the Bloom reader accepts them, are exactly what the
/// filter writes back (a refusal is fine: it must only never panic).
fn round_trips(bytes: &[u8]) -> bool {
    BloomFilter::from_bytes(bytes).map_or(true, |f| f.to_bytes() == bytes)
}

/// Bytes biased towards the formats' structure.
fn input() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"\n".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b",".to_vec()),
        Just(b"\"".to_vec()),
        Just(b"#".to_vec()),
        Just(b" ".to_vec()),
        Just(b"\t".to_vec()),
        Just(b"0.0.0.0 ".to_vec()),
        Just(b"md5,sha1,pdq,reference\n".to_vec()),
        Just(b"signal_type,signal_value\n".to_vec()),
        Just(b"pdq ".to_vec()),
        Just(b"d41d8cd98f00b204e9800998ecf8427e".to_vec()),
        Just(b"http://a.example/x".to_vec()),
        Just(b"localhost".to_vec()),
        Just("bücher.example".as_bytes().to_vec()),
        Just(b"\xff\xfe".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..8),
    ];
    proptest::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn imports_never_panic_and_round_trip(bytes in input(), skip in any::<bool>(), prefix in any::<bool>()) {
        for format in ImportFormat::ALL {
            let opts = ImportOptions { skip_invalid: skip, url_prefix: prefix, ..ImportOptions::new(format) };
            if let Ok(got) = import(&bytes, ListMeta::with_defaults("p"), &opts) {
                let text = got.list.to_text();
                let back = List::from_text(text.as_bytes(), "q");
                prop_assert!(back.is_ok(), "{format}: {back:?}\n{text}");
                prop_assert_eq!(back.ok(), Some(got.list));
            }
        }
    }

    #[test]
    fn bloom_reader_never_panics(mut bytes in proptest::collection::vec(any::<u8>(), 0..200), cut in 0usize..300) {
        // Whatever it accepts, it writes back byte for byte.
        prop_assert!(round_trips(&bytes));
        // With a valid magic and version, the rest still cannot panic.
        if bytes.len() >= 12 {
            bytes[..8].copy_from_slice(b"HWBLOOM\0");
            bytes[8] = 1;
            bytes[9] = 0;
        }
        prop_assert!(round_trips(&bytes[..cut.min(bytes.len())]));
        prop_assert!(round_trips(&bytes));
    }

    /// A real filter with some bytes changed and its checksum made right
    /// again, so that the reader's own checks (not the checksum) decide: a
    /// change in the bit array is always accepted, anything accepted
    /// round-trips exactly, and nothing panics.
    #[test]
    fn bloom_reader_checks_more_than_the_checksum(
        items in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..20), 1..30),
        changes in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..4),
    ) {
        let mut f = BloomFilter::with_rate(items.len() as u64, 0.01).expect("rate");
        for it in &items {
            f.insert(BloomTag::Md5, it);
        }
        let mut bytes = f.to_bytes();
        let body = bytes.len() - 32;
        let mut header_changed = false;
        for &(at, value) in &changes {
            let at = at % body;
            header_changed |= at < BLOOM_HEADER_LEN && bytes[at] != value;
            bytes[at] = value;
        }
        let sum: [u8; 32] = Sha256::digest(&bytes[..body]).into();
        bytes[body..].copy_from_slice(&sum);
        match BloomFilter::from_bytes(&bytes) {
            Ok(back) => prop_assert_eq!(back.to_bytes(), bytes),
            Err(e) => prop_assert!(header_changed, "a bit-array change was refused: {e}"),
        }
    }

    #[test]
    fn bloom_has_no_false_negatives(items in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 1..50), rate in 0.0001f64..0.5) {
        let mut f = BloomFilter::with_rate(items.len() as u64, rate).expect("rate");
        for it in &items {
            f.insert(BloomTag::Sha256, it);
        }
        let back = BloomFilter::from_bytes(&f.to_bytes()).expect("round trip");
        for it in &items {
            prop_assert!(back.contains(BloomTag::Sha256, it));
        }
    }

    /// A filter reads back bit for bit; any changed byte (checksum left as
    /// it was) or any cut is a typed error, never a different filter.
    #[test]
    fn bloom_files_round_trip_and_refuse_damage(items in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..20), 1..20), at in any::<usize>(), flip in 1u8..=255) {
        let mut f = BloomFilter::with_rate(items.len() as u64, 0.01).expect("rate");
        for it in &items {
            f.insert(BloomTag::Md5, it);
        }
        let bytes = f.to_bytes();
        let back = BloomFilter::from_bytes(&bytes).expect("round trip");
        prop_assert_eq!(back.to_bytes(), bytes.clone());
        let mut damaged = bytes.clone();
        let i = at % damaged.len();
        damaged[i] ^= flip;
        let e = BloomFilter::from_bytes(&damaged).expect_err("a changed byte is refused");
        prop_assert_eq!(e.kind(), hashwall_lists::ErrorKind::BloomFormat);
        let e = BloomFilter::from_bytes(&bytes[..i]).expect_err("a cut file is refused");
        prop_assert_eq!(e.kind(), hashwall_lists::ErrorKind::BloomFormat);
    }
}
