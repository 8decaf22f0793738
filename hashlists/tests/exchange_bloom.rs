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

mod signed {
    use hashwall_lists::exchange::{BLOOM_FLAG_SIGNED, BloomFilter, BloomTag};
    use hashwall_lists::{ErrorKind, SecretKey, Timestamp, TrustStore, TrustedKey};
    use sha2::{Digest as _, Sha256};

    fn trust(key: &SecretKey, issuer: &str) -> TrustStore {
        let mut t = TrustStore::new();
        t.add(TrustedKey {
            issuer: issuer.into(),
            key: key.public_key(),
            not_before: None,
            not_after: None,
        });
        t
    }

    fn now() -> Timestamp {
        Timestamp::from_unix_seconds(1_780_000_000)
    }

    fn filter() -> BloomFilter {
        let mut f = BloomFilter::with_rate(100, 0.01).expect("rate");
        f.insert(BloomTag::Domain, b"bad.example");
        f
    }

    /// Recompute the trailing checksum after editing `bytes`.
    fn reseal(bytes: &mut [u8]) {
        let end = bytes.len() - 32;
        let sum = Sha256::digest(&bytes[..end]);
        bytes[end..].copy_from_slice(&sum);
    }

    #[test]
    fn round_trip_and_verify() {
        let key = SecretKey::from_seed(&[3; 32]);
        let mut f = filter();
        let unsigned_len = f.to_bytes().len();
        f.sign("Hotline", now(), &key).expect("sign");
        let bytes = f.to_bytes();
        assert_eq!(bytes.len(), unsigned_len + 2 + 7 + 8 + 8 + 64);
        assert_eq!(
            u16::from_le_bytes([bytes[10], bytes[11]]),
            BLOOM_FLAG_SIGNED
        );
        let back = BloomFilter::from_bytes(&bytes).expect("parses");
        assert_eq!(back, f);
        let v = back
            .verify(&trust(&key, "Hotline"), now())
            .expect("verifies");
        assert_eq!(
            (v.issuer.as_str(), v.key_id),
            ("Hotline", key.public_key().key_id())
        );
        assert!(back.contains(BloomTag::Domain, b"bad.example"));
        // Signing is deterministic (ed25519): same filter, same bytes.
        let mut g = filter();
        g.sign("Hotline", now(), &key).expect("sign");
        assert_eq!(g.to_bytes(), bytes);
    }

    #[test]
    fn tampering_anywhere_is_a_bad_signature() {
        let key = SecretKey::from_seed(&[3; 32]);
        let mut f = filter();
        f.sign("Hotline", now(), &key).expect("sign");
        let bytes = f.to_bytes();
        let t = trust(&key, "Hotline");
        let bits_at = 48;
        let time_at = bytes.len() - 32 - 64 - 8 - 8;
        for (what, at) in [
            ("n in the header", 24),
            ("a bit", bits_at),
            ("the signing time", time_at),
            ("the signature", bytes.len() - 33),
        ] {
            let mut b = bytes.clone();
            b[at] ^= 1;
            reseal(&mut b);
            let g = BloomFilter::from_bytes(&b).expect(what);
            assert_eq!(
                g.verify(&t, now()).expect_err("refused").kind(),
                ErrorKind::BadSignature,
                "{what}"
            );
        }
        // The issuer renamed to another trusted one: the issuer is signed.
        let mut b = bytes.clone();
        let issuer_at = time_at - 7;
        assert_eq!(&b[issuer_at..time_at], b"Hotline");
        b[issuer_at..time_at].copy_from_slice(b"Hotlinf");
        reseal(&mut b);
        let g = BloomFilter::from_bytes(&b).expect("parses");
        let e = g
            .verify(&trust(&key, "Hotlinf"), now())
            .expect_err("refused");
        assert_eq!(e.kind(), ErrorKind::BadSignature);
        // Without resealing, the checksum catches it first.
        let mut b = bytes.clone();
        b[bits_at] ^= 1;
        assert_eq!(
            BloomFilter::from_bytes(&b).expect_err("refused").kind(),
            ErrorKind::BloomFormat
        );
        // The signed flag cleared: the length no longer fits an unsigned file.
        let mut b = bytes.clone();
        b[10] = 0;
        reseal(&mut b);
        assert_eq!(
            BloomFilter::from_bytes(&b).expect_err("refused").kind(),
            ErrorKind::BloomFormat
        );
    }

    #[test]
    fn wrong_key_unsigned_and_future() {
        let key = SecretKey::from_seed(&[3; 32]);
        let other = SecretKey::from_seed(&[4; 32]);
        let mut f = filter();
        assert_eq!(
            f.verify(&trust(&key, "Hotline"), now())
                .expect_err("refused")
                .kind(),
            ErrorKind::Unsigned
        );
        f.sign("Hotline", now(), &other).expect("sign");
        let e = f
            .verify(&trust(&key, "Hotline"), now())
            .expect_err("refused");
        assert_eq!(e.kind(), ErrorKind::UntrustedKey);
        assert_eq!(
            f.verify(&TrustStore::new(), now())
                .expect_err("refused")
                .kind(),
            ErrorKind::UntrustedKey
        );
        let later = Timestamp::from_unix_seconds(now().unix_seconds() + 86_400);
        f.sign("Hotline", later, &key).expect("sign");
        assert_eq!(
            f.verify(&trust(&key, "Hotline"), now())
                .expect_err("refused")
                .kind(),
            ErrorKind::FutureDated
        );
        // An insertion invalidates the signature: the filter is unsigned again.
        f.insert(BloomTag::Md5, &[0; 16]);
        assert!(f.signature().is_none());
        assert_eq!(u16::from_le_bytes([f.to_bytes()[10], f.to_bytes()[11]]), 0);
        assert!(f.sign("", now(), &key).is_err());
        assert!(f.sign("a\nb", now(), &key).is_err());
    }

    #[test]
    fn signed_file_reads_and_bad_blocks_are_format_errors() {
        let key = SecretKey::from_seed(&[3; 32]);
        let mut f = filter();
        f.sign("Hotline", now(), &key).expect("sign");
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("exchange_bloom_signed");
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("signed.bloom");
        let bytes = f.to_bytes();
        std::fs::write(&path, &bytes).expect("write");
        assert_eq!(BloomFilter::read_file(&path).expect("reads"), f);
        // Issuer length 0 in the block.
        let mut b = bytes.clone();
        let len_at = bytes.len() - 32 - 64 - 8 - 8 - 7 - 2;
        b[len_at] = 0;
        reseal(&mut b);
        let e = BloomFilter::from_bytes(&b).expect_err("refused");
        assert_eq!(e.kind(), ErrorKind::BloomFormat);
        assert!(e.to_string().contains("signature block"), "{e}");
        // Truncated by one byte.
        std::fs::write(&path, &bytes[..bytes.len() - 1]).expect("write");
        assert_eq!(
            BloomFilter::read_file(&path).expect_err("refused").kind(),
            ErrorKind::BloomFormat
        );
        std::fs::remove_dir_all(&dir).expect("clean up");
    }
}
