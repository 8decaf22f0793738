//! Image entries in the snapshot: PDQ with per-list radius, quality floor
//! and dihedral variants; pHash/dHash; exact digests; provenance and
//! precedence as for URLs.

use hashwall::image::{Algorithm, DecodeLimits, Dihedral, HashOptions, PdqHash, hash_image};
use hashwall::{Action, ErrorKind, HashValue, ImageErrorKind, ListConfig, SkipReason, Snapshot};
use hashwall_lists::{EntryKind, List};
use image::{ImageFormat, RgbImage};

/// A textured 320×240 test image: PDQ quality 100, and smooth enough that
/// its rotations hash like a photograph's (sharp periodic edges would fall
/// differently on PDQ's 64×64 sampling grid once rotated).
fn photo() -> RgbImage {
    RgbImage::from_fn(320, 240, |x, y| {
        let (fx, fy) = (x as f32, y as f32);
        let r = 128.0
            + 60.0 * (fx / 37.0).sin() * (fy / 29.0).cos()
            + 60.0 * (fx / 11.0).sin() * (fy / 13.0).sin();
        let g = 128.0 + 90.0 * ((fx * 0.7 + fy) / 41.0).sin() + 30.0 * (fy / 9.0).cos();
        let b = 128.0 + 100.0 * ((fx - fy * 0.4) / 53.0).cos();
        image::Rgb([r as u8, g as u8, b as u8])
    })
}

fn png(img: &RgbImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png)
        .expect("encode png");
    out.into_inner()
}

fn pdq_of(bytes: &[u8]) -> (PdqHash, u8) {
    let h = hash_image(bytes, &HashOptions::new().algorithms([Algorithm::Pdq])).expect("hashes");
    let p = h
        .pdq(Algorithm::Pdq, Dihedral::Original)
        .expect("pdq computed");
    (p.hash, p.quality)
}

/// `hash` with its first `n` bits flipped.
fn flip(hash: &PdqHash, n: usize) -> PdqHash {
    let mut w = hash.0;
    for k in 0..n {
        w[k / 16] ^= 1 << (k % 16);
    }
    PdqHash(w)
}

fn list(text: &str, id: &str) -> List {
    List::from_text(text.as_bytes(), id).expect("test list parses")
}

fn build(lists: &[(&List, ListConfig)]) -> Snapshot {
    let mut b = Snapshot::builder();
    for (l, c) in lists {
        b.add_list(l, c).expect("builds");
    }
    b.build()
}

#[test]
fn pdq_matches_within_each_lists_radius_with_distance_and_provenance() {
    let bytes = png(&photo());
    let (hash, quality) = pdq_of(&bytes);
    assert!(
        quality >= 50,
        "test image should be trusted, quality {quality}"
    );
    let near = list(
        &format!(
            "# issuer: Hotline\n# jurisdiction: NL\n# category: csam\npdq {} H-1\n",
            flip(&hash, 5).to_hex()
        ),
        "near",
    );
    let far = list(
        &format!("# issuer: Police\npdq {} P-1\n", flip(&hash, 40).to_hex()),
        "far",
    );
    let snap = build(&[
        (&near, ListConfig::default()),
        (&far, ListConfig::default()),
    ]);
    let v = snap.check_image(&bytes).expect("decodes");
    assert_eq!(v.action(), Action::Block);
    assert_eq!(v.matches().len(), 1, "40 bits is beyond the default 31");
    let m = &v.matches()[0];
    assert_eq!(m.list().issuer(), "Hotline");
    assert_eq!(m.list().jurisdiction().as_str(), "NL");
    assert_eq!(m.kind(), EntryKind::Pdq);
    assert_eq!(m.reference(), Some("H-1"));
    assert_eq!(m.distance(), Some(5));
    assert_eq!(m.variant(), Some(Dihedral::Original));
    assert_eq!(m.expression(), hash.to_hex());

    // The far list, configured with a wider radius, now matches too.
    let snap = build(&[
        (&near, ListConfig::default()),
        (&far, ListConfig::default().with_pdq_max_distance(45)),
    ]);
    let v = snap.check_image(&bytes).expect("decodes");
    let got: Vec<(&str, Option<u32>)> = v
        .matches()
        .iter()
        .map(|m| (m.list().id(), m.distance()))
        .collect();
    assert_eq!(got, [("near", Some(5)), ("far", Some(40))]);
}

#[test]
fn a_rotated_or_mirrored_copy_matches_through_its_dihedral_variant() {
    // Square, so that a rotation permutes the pixels exactly; the variant
    // computed from the DCT is then within a few bits of the listed hash (not
    // zero: the 64×64 sampling grid is not symmetric).
    let img = image::imageops::crop_imm(&photo(), 0, 0, 240, 240).to_image();
    let (hash, _) = pdq_of(&png(&img));
    let l = list(&format!("pdq {} R\n", hash.to_hex()), "l");
    let snap = build(&[(&l, ListConfig::default())]);
    for (name, copy) in [
        ("rot90", image::imageops::rotate90(&img)),
        ("rot180", image::imageops::rotate180(&img)),
        ("rot270", image::imageops::rotate270(&img)),
        ("flip horizontal", image::imageops::flip_horizontal(&img)),
        ("flip vertical", image::imageops::flip_vertical(&img)),
    ] {
        let v = snap.check_image(&png(&copy)).expect("decodes");
        assert!(v.is_blocked(), "{name} copy not matched: {v:?}");
        let m = &v.matches()[0];
        assert_ne!(m.variant(), Some(Dihedral::Original), "{name}");
        assert!(
            m.distance().is_some_and(|d| d <= 20),
            "{name}: {:?}",
            m.distance()
        );
    }
    // Without its dihedral variant the rotated copy is far from the listed hash.
    let (rot, _) = pdq_of(&png(&image::imageops::rotate90(&img)));
    assert!(rot.hamming_distance(&hash) > 31);
    // Not square: the box filter's window follows the side, so a rotated
    // copy is a few bits further, still well within the radius.
    let (hash, _) = pdq_of(&png(&photo()));
    let l = list(&format!("pdq {} R\n", hash.to_hex()), "l");
    let snap = build(&[(&l, ListConfig::default())]);
    let v = snap
        .check_image(&png(&image::imageops::rotate90(&photo())))
        .expect("decodes");
    assert!(v.is_blocked());
}

#[test]
fn a_low_quality_hash_is_not_matched_and_the_verdict_says_why() {
    let flat = RgbImage::from_pixel(200, 200, image::Rgb([90, 90, 90]));
    let bytes = png(&flat);
    let (hash, quality) = pdq_of(&bytes);
    assert!(quality < 50);
    let l = list(&format!("pdq {} FLAT\n", hash.to_hex()), "l");
    let snap = build(&[(&l, ListConfig::default())]);
    let v = snap.check_image(&bytes).expect("decodes");
    assert!(v.is_empty());
    assert_eq!(v.skipped().len(), 1);
    assert_eq!(v.skipped()[0].list().id(), "l");
    assert_eq!(
        v.skipped()[0].reason(),
        SkipReason::LowQuality {
            quality,
            min_quality: 50
        }
    );
    // A list that accepts any quality matches it.
    let snap = build(&[(&l, ListConfig::default().with_min_quality(0))]);
    assert!(snap.check_image(&bytes).expect("decodes").is_blocked());
    // A hash checked without a quality is not held against the floor.
    let v = build(&[(&l, ListConfig::default())]).check_hash(&HashValue::Pdq {
        hash,
        quality: None,
    });
    assert!(v.is_blocked());
}

#[test]
fn exact_digests_match_even_when_the_file_does_not_decode() {
    let junk = b"this is not an image, but its digest is listed";
    let md5 = hash_image(junk, &HashOptions::new().algorithms([Algorithm::Md5]))
        .expect("digest")
        .get(Algorithm::Md5)
        .expect("md5")
        .value;
    let (pdq, _) = pdq_of(&png(&photo()));
    let l = list(&format!("md5 {md5} M-1\npdq {} P-1\n", pdq.to_hex()), "l");
    let snap = build(&[(&l, ListConfig::default())]);
    let v = snap.check_image(junk).expect("the digest match decides");
    assert!(v.is_blocked());
    assert_eq!(v.matches()[0].kind(), EntryKind::Md5);
    assert_eq!(v.matches()[0].reference(), Some("M-1"));
    assert_eq!(v.matches()[0].hash(), Some(&md5));
    assert_eq!(v.matches()[0].expression(), md5.to_string());
    // Another undecodable file: no digest matched, so the decode error stands.
    let err = snap.check_image(b"garbage").expect_err("undecodable");
    assert!(matches!(err.kind(), ErrorKind::Image(_)), "{err}");
}

/// Within tight limits a listed photo is too large to decode, and its exact
/// digest still matches; an unlisted one gets the typed `TooLarge` error.
#[test]
fn check_image_with_limits_falls_back_to_the_digests() {
    let listed = png(&photo());
    let sha256 = hash_image(&listed, &HashOptions::new().algorithms([Algorithm::Sha256]))
        .expect("digest")
        .get(Algorithm::Sha256)
        .expect("sha256")
        .value;
    let (pdq, _) = pdq_of(&listed);
    let l = list(
        &format!("sha256 {sha256} S-1\npdq {} P-1\n", pdq.to_hex()),
        "l",
    );
    let snap = build(&[(&l, ListConfig::default())]);
    let tight = DecodeLimits {
        max_width: 8,
        max_height: 8,
        max_alloc: 1 << 20,
    };
    // Within the default limits both entries match.
    assert_eq!(
        snap.check_image(&listed).expect("decodes").matches().len(),
        2
    );
    let v = snap
        .check_image_with(&listed, &tight)
        .expect("the digest decides");
    let refs: Vec<_> = v.matches().iter().map(|m| m.reference()).collect();
    assert_eq!(refs, [Some("S-1")]);
    let engine = hashwall::Engine::new(snap);
    assert_eq!(engine.check_image_with(&listed, &tight).ok(), Some(v));
    let unlisted = png(&image::imageops::flip_vertical(&photo()));
    let err = engine
        .check_image_with(&unlisted, &tight)
        .expect_err("too large");
    assert_eq!(
        err.kind(),
        ErrorKind::Image(ImageErrorKind::TooLarge),
        "{err}"
    );
    assert!(engine.check_image(&unlisted).is_ok());
}

#[test]
fn sha1_sha256_phash_and_dhash_entries() {
    let bytes = png(&photo());
    let h = hash_image(
        &bytes,
        &HashOptions::new().algorithms([
            Algorithm::Sha1,
            Algorithm::Sha256,
            Algorithm::Phash,
            Algorithm::Dhash,
        ]),
    )
    .expect("hashes");
    let hex = |a| h.get(a).expect("computed").value.to_string();
    let Some(HashValue::Phash(ph)) = h.get(Algorithm::Phash).map(|h| h.value) else {
        panic!("a typed pHash");
    };
    let l = list(
        &format!(
            "sha1 {} S1\nsha256 {} S256\nphash {:016x} PH\ndhash {} DH\n",
            hex(Algorithm::Sha1),
            hex(Algorithm::Sha256),
            ph ^ 0b111, // 3 bits away: within the default 10
            hex(Algorithm::Dhash),
        ),
        "l",
    );
    let snap = build(&[(&l, ListConfig::default())]);
    let v = snap.check_image(&bytes).expect("decodes");
    let mut refs: Vec<&str> = v.matches().iter().filter_map(|m| m.reference()).collect();
    refs.sort_unstable();
    assert_eq!(refs, ["DH", "PH", "S1", "S256"]);
    let phash = v
        .matches()
        .iter()
        .find(|m| m.kind() == EntryKind::Phash)
        .expect("phash match");
    assert_eq!(phash.distance(), Some(3));
    // Radius 2 for this list: the pHash 3 bits away no longer matches.
    let snap = build(&[(&l, ListConfig::default().with_hash64_max_distance(2))]);
    let v = snap.check_hash(&HashValue::Phash(ph));
    assert!(v.is_empty());
}

#[test]
fn an_allow_list_overrides_an_image_block() {
    let bytes = png(&photo());
    let (hash, _) = pdq_of(&bytes);
    let block = list(
        &format!("# issuer: Police\npdq {} P\n", flip(&hash, 3).to_hex()),
        "police",
    );
    // A stock photo that slipped into the list: the operator allows it.
    let allow = list(
        &format!("# policy: allow\npdq {} STOCK\n", hash.to_hex()),
        "stock",
    );
    let snap = build(&[
        (&block, ListConfig::default()),
        (&allow, ListConfig::default()),
    ]);
    let v = snap.check_image(&bytes).expect("decodes");
    assert_eq!(v.action(), Action::Allow);
    assert_eq!(v.matches().len(), 2);
}

#[test]
fn hash_values_parse_and_refuse() {
    assert!(matches!(
        HashValue::parse(EntryKind::Md5, &"a".repeat(32)),
        Ok(HashValue::Md5(_))
    ));
    assert_eq!(
        HashValue::parse(EntryKind::Phash, "00000000000000ff")
            .map(|h| h.to_hex())
            .ok()
            .as_deref(),
        Some("00000000000000ff")
    );
    for (kind, hex) in [
        (EntryKind::Md5, "abc"),
        (EntryKind::Sha1, &*"z".repeat(40)),
        (EntryKind::Pdq, "00"),
        (EntryKind::Domain, "example.org"),
    ] {
        let e = HashValue::parse(kind, hex).expect_err(hex);
        assert_eq!(e.kind(), ErrorKind::InvalidEntry);
    }
    let l = list("md5 0123456789abcdef0123456789abcdef\n", "l");
    let big = ListConfig::default().with_pdq_max_distance(64);
    assert!(
        Snapshot::builder().add_list(&l, &big).is_err(),
        "radius above 63 refused"
    );
}

/// The reference test suite's rotated and mirrored bridge photos match the
/// original's hash through the variant that undoes each transformation.
#[test]
fn reference_dihedral_files_match_the_original_through_the_inverse_variant() {
    let Some(dir) = hashwall::conformance::dir("pdq") else {
        return;
    };
    let dih = dir.join("pdq/data/reg-test-input/dih");
    let read = |f: &str| std::fs::read(dih.join(f)).expect("conformance image");
    let (orig, _) = pdq_of(&read("bridge-1-original.jpg"));
    let l = list(&format!("pdq {} BRIDGE\n", orig.to_hex()), "l");
    let snap = build(&[(&l, ListConfig::default())]);
    for (file, inverse) in [
        ("bridge-2-rotate-90.jpg", Dihedral::Rot270),
        ("bridge-3-rotate-180.jpg", Dihedral::Rot180),
        ("bridge-4-rotate-270.jpg", Dihedral::Rot90),
        ("bridge-5-flipx.jpg", Dihedral::FlipX),
        ("bridge-6-flipy.jpg", Dihedral::FlipY),
        ("bridge-7-flip-plus-1.jpg", Dihedral::FlipPlus1),
        ("bridge-8-flip-minus-1.jpg", Dihedral::FlipMinus1),
    ] {
        let v = snap.check_image(&read(file)).expect("decodes");
        assert!(v.is_blocked(), "{file}");
        let m = &v.matches()[0];
        assert_eq!(m.variant(), Some(inverse), "{file}");
        assert!(
            m.distance().is_some_and(|d| d <= 10),
            "{file}: {:?}",
            m.distance()
        );
    }
}

mod oracle {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Against a brute-force scan, with lists of different radii.
        #[test]
        fn pdq_matches_equal_brute_force(
            seeds in prop::collection::vec(any::<[u16; 16]>(), 1..40),
            query in any::<[u16; 16]>(),
            flips in prop::collection::vec(0usize..60, 1..40),
            radii in (0u32..=63, 0u32..=63),
        ) {
            let q = PdqHash(query);
            // Half the entries are near the query, half random.
            let entries: Vec<PdqHash> = seeds.iter().enumerate().map(|(i, s)| {
                if i % 2 == 0 { flip(&q, flips[i % flips.len()]) } else { PdqHash(*s) }
            }).collect();
            let (a, b): (Vec<_>, Vec<_>) = entries.iter().enumerate().partition(|(i, _)| i % 3 == 0);
            let text = |v: &[(usize, &PdqHash)]| v.iter().map(|(i, h)| format!("pdq {} E{i}\n", h.to_hex())).collect::<String>();
            let la = list(&text(&a), "a");
            let lb = list(&text(&b), "b");
            let snap = build(&[
                (&la, ListConfig::default().with_pdq_max_distance(radii.0)),
                (&lb, ListConfig::default().with_pdq_max_distance(radii.1)),
            ]);
            let v = snap.check_hash(&HashValue::Pdq { hash: q, quality: None });
            let mut got: Vec<(String, u32)> = v.matches().iter()
                .map(|m| (m.reference().unwrap_or("").to_owned(), m.distance().unwrap_or(999))).collect();
            got.sort();
            got.dedup();
            let mut want: Vec<(String, u32)> = Vec::new();
            for (set, r) in [(&a, radii.0), (&b, radii.1)] {
                for (i, h) in set {
                    let d = h.hamming_distance(&q);
                    if d <= r { want.push((format!("E{i}"), d)); }
                }
            }
            want.sort();
            want.dedup();
            prop_assert_eq!(got, want);
        }
    }
}
