//! Hostile input never panics: every import format and the Bloom reader
//! over arbitrary bytes, and imported lists always round-trip.

use hashwall_lists::exchange::{BloomFilter, BloomTag, ImportFormat, ImportOptions, import};
use hashwall_lists::{List, ListMeta};
use proptest::prelude::*;

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
        let _ = BloomFilter::from_bytes(&bytes);
        // With a valid magic and version, the rest still cannot panic.
        if bytes.len() >= 12 {
            bytes[..8].copy_from_slice(b"HWBLOOM\0");
            bytes[8] = 1;
            bytes[9] = 0;
        }
        let _ = BloomFilter::from_bytes(&bytes[..cut.min(bytes.len())]);
        let _ = BloomFilter::from_bytes(&bytes);
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
}
