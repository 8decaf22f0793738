//! The portable Bloom filter: known-answer vectors computed independently
//! (Python's hashlib, see EXCHANGE.md), layout, hostile files, and the
//! measured false-positive rate.

use hashwall_lists::ErrorKind;
use hashwall_lists::exchange::{
    BLOOM_HEADER_LEN, BloomFilter, BloomTag, MAX_BLOOM_BITS, sha256_hex,
};

fn vector_filter() -> BloomFilter {
    let mut f = BloomFilter::with_params(1000, 7, 0.01).expect("params");
    f.insert(BloomTag::UrlPrefix, b"evil.example/gallery/");
    f.insert(BloomTag::Domain, b"bad.example");
    let md5 = [
        0xd4, 0x1d, 0x8c, 0xd9, 0x8f, 0x00, 0xb2, 0x04, 0xe9, 0x80, 0x09, 0x98, 0xec, 0xf8, 0x42,
        0x7e,
    ];
    f.insert(BloomTag::Md5, &md5);
    f
}

/// Bit positions of one item, read back from the serialised bit array.
fn set_bits(tag: BloomTag, item: &[u8]) -> Vec<u64> {
    let mut f = BloomFilter::with_params(1000, 7, 0.01).expect("params");
    f.insert(tag, item);
    let bytes = f.to_bytes();
    let bits = &bytes[BLOOM_HEADER_LEN..bytes.len() - 32];
    (0..1000u64)
        .filter(|&j| bits[(j / 8) as usize] & (1 << (j % 8)) != 0)
        .collect()
}

#[test]
fn known_answer_vectors() {
    // Index sets from the specification, computed with Python's hashlib.
    assert_eq!(
        set_bits(BloomTag::UrlPrefix, b"evil.example/gallery/"),
        [101, 103, 216, 489, 602, 715, 988]
    );
    assert_eq!(
        set_bits(BloomTag::Domain, b"bad.example"),
        [154, 158, 309, 464, 619, 844, 999]
    );
    // The whole file, byte for byte.
    let bytes = vector_filter().to_bytes();
    assert_eq!(bytes.len(), 48 + 125 + 32);
    assert_eq!(
        sha256_hex(&bytes),
        "cb2c0d69e9a6b5e898619c0be4d493d0e9db982d031774ab09329a44c4511c0b"
    );
    assert_eq!(&bytes[..8], b"HWBLOOM\0");
    assert_eq!(&bytes[8..12], &[1, 0, 0, 0]);
    assert_eq!(&bytes[12..16], &7u32.to_le_bytes());
    assert_eq!(&bytes[16..24], &1000u64.to_le_bytes());
    assert_eq!(&bytes[24..32], &3u64.to_le_bytes());
    // Tag mask: url-prefix (bit 1), domain (bit 2), md5 (bit 4).
    assert_eq!(&bytes[40..48], &0b10110u64.to_le_bytes());
}

#[test]
fn round_trip_and_determinism() {
    let items: Vec<String> = (0..500)
        .map(|i| format!("host{i}.example/p/{i}/"))
        .collect();
    let mut a = BloomFilter::with_rate(500, 0.001).expect("rate");
    let mut b = BloomFilter::with_rate(500, 0.001).expect("rate");
    for it in &items {
        a.insert(BloomTag::UrlPrefix, it.as_bytes());
    }
    for it in items.iter().rev() {
        b.insert(BloomTag::UrlPrefix, it.as_bytes());
    }
    assert_eq!(
        a.to_bytes(),
        b.to_bytes(),
        "insertion order must not matter"
    );
    let back = BloomFilter::from_bytes(&a.to_bytes()).expect("parses");
    assert_eq!(back, a);
    assert!(
        items
            .iter()
            .all(|it| back.contains(BloomTag::UrlPrefix, it.as_bytes()))
    );
    // Tags separate domains: the same bytes under another tag are (almost
    // surely) absent.
    let other = items
        .iter()
        .filter(|it| back.contains(BloomTag::UrlExact, it.as_bytes()))
        .count();
    assert!(other <= 5, "{other}");
}

#[test]
fn parameters() {
    let f = BloomFilter::with_rate(10_000, 0.001).expect("rate");
    // m = ceil(-n ln p / ln2^2) = 143776, k = round(m/n ln 2) = 10.
    assert_eq!((f.bits(), f.hashes()), (143_776, 10));
    let f = BloomFilter::with_rate(0, 0.01).expect("empty");
    assert!(f.bits() >= 64);
    for bad in [0.0, 1.0, -1.0, f64::NAN, 2.0] {
        let e = BloomFilter::with_rate(10, bad).expect_err("bad rate");
        assert_eq!(e.kind(), ErrorKind::BloomFormat);
    }
    let e = BloomFilter::with_rate(u64::MAX / 2, 1e-9).expect_err("too big");
    assert_eq!(e.kind(), ErrorKind::BloomFormat);
    assert!(BloomFilter::with_params(0, 3, 0.1).is_err());
    assert!(BloomFilter::with_params(64, 0, 0.1).is_err());
    assert!(BloomFilter::with_params(64, 65, 0.1).is_err());
    assert!(BloomFilter::with_params(MAX_BLOOM_BITS + 1, 3, 0.1).is_err());
}

fn header(m: u64, k: u32) -> Vec<u8> {
    let mut h = b"HWBLOOM\0".to_vec();
    h.extend_from_slice(&1u16.to_le_bytes());
    h.extend_from_slice(&0u16.to_le_bytes());
    h.extend_from_slice(&k.to_le_bytes());
    h.extend_from_slice(&m.to_le_bytes());
    h.extend_from_slice(&0u64.to_le_bytes());
    h.extend_from_slice(&0.01f64.to_le_bytes());
    h.extend_from_slice(&0u64.to_le_bytes());
    h
}

#[test]
fn hostile_files_are_typed_errors() {
    let good = vector_filter().to_bytes();
    let kind = |b: &[u8]| BloomFilter::from_bytes(b).expect_err("rejected").kind();
    assert_eq!(kind(b""), ErrorKind::BloomFormat);
    assert_eq!(kind(&good[..47]), ErrorKind::BloomFormat);
    assert_eq!(kind(&good[..good.len() - 1]), ErrorKind::BloomFormat);
    let mut v = good.clone();
    v[0] = b'X';
    assert_eq!(kind(&v), ErrorKind::BloomFormat);
    let mut v = good.clone();
    v[8] = 2; // version
    assert!(
        BloomFilter::from_bytes(&v)
            .expect_err("v2")
            .to_string()
            .contains("version 2")
    );
    let mut v = good.clone();
    v[10] = 1; // flags
    assert_eq!(kind(&v), ErrorKind::BloomFormat);
    let mut v = header(1000, 7);
    v[47] = 0x80; // unknown tag bit
    assert_eq!(kind(&v), ErrorKind::BloomFormat);
    let mut v = good.clone();
    v[60] ^= 1; // a bit flipped
    assert!(
        BloomFilter::from_bytes(&v)
            .expect_err("sum")
            .to_string()
            .contains("checksum")
    );
    let mut v = good.clone();
    v.push(0);
    assert_eq!(kind(&v), ErrorKind::BloomFormat);
    // Giant or zero declared sizes, with or without the bytes behind them.
    for (m, k) in [
        (u64::MAX, 7),
        (MAX_BLOOM_BITS + 1, 7),
        (0, 7),
        (1000, 0),
        (1000, 1000),
    ] {
        assert_eq!(kind(&header(m, k)), ErrorKind::BloomFormat, "m={m} k={k}");
    }
    // Declared within limits (4 GiB) but the file is tiny: checked against
    // the file length before anything is allocated.
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("exchange_bloom");
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("giant.bloom");
    let mut h = header(MAX_BLOOM_BITS, 7);
    h.extend_from_slice(&[0; 64]);
    std::fs::write(&path, &h).expect("write");
    let e = BloomFilter::read_file(&path).expect_err("giant");
    assert_eq!(e.kind(), ErrorKind::BloomFormat);
    assert_eq!(e.path(), Some(path.as_path()));
    let ok = dir.join("ok.bloom");
    std::fs::write(&ok, &good).expect("write");
    assert_eq!(BloomFilter::read_file(&ok).expect("reads"), vector_filter());
}

/// 10 000 members, 100 000 non-members: the measured rate stays close to
/// the requested one.
#[test]
fn measured_false_positive_rate() {
    const MEMBERS: usize = 10_000;
    const PROBES: usize = 100_000;
    for target in [0.01, 0.001, 0.0001] {
        let mut f = BloomFilter::with_rate(MEMBERS as u64, target).expect("rate");
        for i in 0..MEMBERS {
            f.insert(
                BloomTag::UrlPrefix,
                format!("member-{i}.example/path/").as_bytes(),
            );
        }
        for i in 0..MEMBERS {
            assert!(f.contains(
                BloomTag::UrlPrefix,
                format!("member-{i}.example/path/").as_bytes()
            ));
        }
        let fps = (0..PROBES)
            .filter(|i| {
                f.contains(
                    BloomTag::UrlPrefix,
                    format!("other-{i}.example/path/").as_bytes(),
                )
            })
            .count();
        let rate = fps as f64 / PROBES as f64;
        println!(
            "target {target}: m={} k={} measured {rate:.5} ({fps}/{PROBES}), estimated {:.5}",
            f.bits(),
            f.hashes(),
            f.estimated_fp_rate()
        );
        // Binomial noise: at 0.0001 the expected count is 10, so allow a
        // wide band there; at 0.01 (1000 expected) the band is ±20 %.
        let slack = if target < 0.001 { 3.0 } else { 1.3 };
        assert!(rate <= target * slack, "target {target}: measured {rate}");
        assert!(
            rate >= target / slack.max(2.0) || target < 0.001,
            "target {target}: measured {rate}"
        );
    }
}
