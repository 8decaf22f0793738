//! Lists and deltas in the text format, their signatures, and applying a
//! delta.
//!
//! The input is a list, then optionally a NUL byte and a delta. Properties:
//!
//! * parsing either never panics; what parses writes back to text that
//!   parses to the same value;
//! * a list (a delta) verifies against the fixed trust store exactly when it
//!   is one of the signed seeds ([`seeds`]): any change to a signed field
//!   breaks the signature;
//! * applying the delta to the list either fails, leaving the list
//!   unchanged, or produces exactly the list the format defines (old entries
//!   minus the first equal occurrence of each removed one, then the added
//!   ones), at sequence `to`, whose carried signature verifies.

use std::sync::OnceLock;

use hashwall_lists::{Delta, List, SecretKey, Timestamp, TrustStore, TrustedKey};

/// The issuer the fixed test key is trusted for.
pub const ISSUER: &str = "fuzz-issuer";

/// The seed of the fixed test key (a test key, never used for real lists).
pub const KEY_SEED: [u8; 32] = [0x5a; 32];

/// "Now" for every verification (2030-01-01), so results do not depend on
/// the clock.
pub const NOW: Timestamp = Timestamp::from_unix_seconds(1_893_456_000);

/// The signed lists and deltas the corpus is seeded with.
#[derive(Debug)]
pub struct Seeds {
    /// The trust store: the test key for [`ISSUER`].
    pub trust: TrustStore,
    /// Signed lists: sequence 1, 2 and 3 of one list.
    pub lists: Vec<List>,
    /// Signed deltas: 1 → 2 and 2 → 3.
    pub deltas: Vec<Delta>,
}

/// The fixed test key.
pub fn secret_key() -> SecretKey {
    SecretKey::from_seed(&KEY_SEED)
}

fn list_text(sequence: u64, created: &str, entries: &[&str]) -> String {
    let mut t = format!(
        "# hashwall-list: 1\n# id: fuzz-list\n# issuer: {ISSUER}\n# name: fuzz seed list\n\
         # jurisdiction: INT\n# category: other\n# policy: block\n# sequence: {sequence}\n\
         # created: {created}\n# expires: 2031-01-01T00:00:00Z\n"
    );
    for e in entries {
        t.push_str(e);
        t.push('\n');
    }
    t
}

fn make_seeds() -> Result<Seeds, hashwall_lists::Error> {
    let key = secret_key();
    let mut trust = TrustStore::new();
    trust.add(TrustedKey {
        issuer: ISSUER.into(),
        key: key.public_key(),
        not_before: None,
        not_after: None,
    });
    let v1 = [
        "domain blocked.example REF-1",
        "url-prefix gallery.example/banned/ REF-2",
        "@2026-10-01T00:00:00Z url http://files.example/a.jpg REF-3",
        "url-sha256 01d2fbe2db96aba7703f174fcc94b52b5ce5d6a2f3c7b05a48107052bb74b79e",
        "md5 d41d8cd98f00b204e9800998ecf8427e case 7",
        "sha1 da39a3ee5e6b4b0d3255bfef95601890afd80709",
        "pdq f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22",
        "domain blocked.example REF-1",
    ];
    let mut lists = Vec::new();
    let mut l1 = List::from_text(list_text(1, "2026-11-01T00:00:00Z", &v1).as_bytes(), "x")?;
    l1.sign(&key);
    // Sequence 2: one duplicate and the md5 removed, two entries added.
    let mut v2: Vec<&str> = v1.to_vec();
    v2.remove(7);
    v2.remove(4);
    v2.push("phash 8f373714acfcf4d0 REF-9");
    v2.push("url-prefix other.example/x/?q=1");
    let l2_wanted = List::from_text(list_text(2, "2026-11-02T00:00:00Z", &v2).as_bytes(), "x")?;
    // Sequence 3: everything URL-ish removed, a sha256 added.
    let v3: Vec<&str> = v2
        .iter()
        .copied()
        .filter(|e| !e.contains("example"))
        .chain(["sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 empty"])
        .collect();
    let l3_wanted = List::from_text(list_text(3, "2026-11-03T00:00:00Z", &v3).as_bytes(), "x")?;
    // The seed lists 2 and 3 are what the deltas produce (their entry order
    // is defined by the format, not by the lists diffed).
    let mut d12 = Delta::diff(&l1, &l2_wanted);
    d12.sign(&l1, &key)?;
    let mut l2 = l1.clone();
    d12.apply_to(&mut l2, &trust, NOW)?;
    let mut d23 = Delta::diff(&l2, &l3_wanted);
    d23.sign(&l2, &key)?;
    let mut l3 = l2.clone();
    d23.apply_to(&mut l3, &trust, NOW)?;
    lists.extend([l1, l2, l3]);
    Ok(Seeds {
        trust,
        lists,
        deltas: vec![d12, d23],
    })
}

/// The seeds, made once with the crate's own signing functions.
///
/// # Panics
///
/// If the fixed seed lists do not parse or a delta does not apply to its
/// list: a defect of this crate or the list crate, not of any input.
pub fn seeds() -> &'static Seeds {
    static SEEDS: OnceLock<Seeds> = OnceLock::new();
    SEEDS.get_or_init(|| match make_seeds() {
        Ok(s) => s,
        Err(e) => panic!("making the signed seeds: {e}"),
    })
}

/// Checks the properties above on `data`.
pub fn list_parse(data: &[u8]) {
    let (list_part, delta_part) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], Some(&data[i + 1..])),
        None => (data, None),
    };
    let seeds = seeds();
    let list = List::from_text(list_part, "fuzz").ok();
    if let Some(list) = &list {
        let text = list.to_text();
        match List::from_text(text.as_bytes(), "other") {
            Ok(back) => assert_eq!(&back, list, "list text round trip"),
            Err(e) => panic!("written list does not parse back: {e}\n{text}"),
        }
        let verified = list.verify(&seeds.trust, NOW);
        let is_seed = seeds.lists.contains(list);
        assert_eq!(
            verified.is_ok(),
            is_seed,
            "list verification {verified:?} but seed: {is_seed}"
        );
    }
    let Some(delta_part) = delta_part else { return };
    let Ok(delta) = Delta::from_text(delta_part) else {
        return;
    };
    let text = delta.to_text();
    match Delta::from_text(text.as_bytes()) {
        Ok(back) => assert_eq!(back, delta, "delta text round trip"),
        Err(e) => panic!("written delta does not parse back: {e}\n{text}"),
    }
    let signed = delta.verify(&seeds.trust, NOW);
    let is_seed = seeds.deltas.contains(&delta);
    assert_eq!(
        signed.is_ok(),
        is_seed,
        "delta verification {signed:?} but seed: {is_seed}"
    );
    let Some(old) = list else { return };
    let mut list = old.clone();
    match delta.apply_to(&mut list, &seeds.trust, NOW) {
        Err(_) => assert_eq!(list, old, "a failed apply changed the list"),
        Ok(_) => {
            assert!(is_seed, "an unsigned or forged delta applied");
            assert_eq!(list.meta.sequence, delta.to);
            assert_eq!(list.meta.created, delta.created);
            assert_eq!(list.meta.expires, delta.expires);
            let mut expected = old.entries.clone();
            for r in &delta.removed {
                match expected.iter().position(|e| e == r) {
                    Some(i) => {
                        expected.remove(i);
                    }
                    None => panic!("applied a delta removing an absent entry {r:?}"),
                }
            }
            expected.extend(delta.added.iter().cloned());
            assert_eq!(list.entries, expected, "produced entries");
            if let Err(e) = list.verify(&seeds.trust, NOW) {
                panic!("the produced list does not verify: {e}");
            }
            let text = list.to_text();
            match List::from_text(text.as_bytes(), "other") {
                Ok(back) => assert_eq!(back, list, "produced list text round trip"),
                Err(e) => panic!("produced list does not parse back: {e}"),
            }
        }
    }
}
