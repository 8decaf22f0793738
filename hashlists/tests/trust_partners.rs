//! Three partners in three jurisdictions share one trust store; one of them
//! rotates its key with an overlap.

#![allow(clippy::unwrap_used)]

mod trust_common;

use hashwall_lists::{
    Delta, EntryKind, ErrorKind, List, LoadOptions, SecretKey, TrustStore, load_verified,
};
use trust_common::*;

struct Partner {
    issuer: &'static str,
    id: &'static str,
    jurisdiction: &'static str,
    category: &'static str,
}

const PARTNERS: [Partner; 3] = [
    Partner {
        issuer: "Example Police DE",
        id: "de-police",
        jurisdiction: "DE",
        category: "csam",
    },
    Partner {
        issuer: "Hotline GB",
        id: "gb-hotline",
        jurisdiction: "GB",
        category: "csam",
    },
    Partner {
        issuer: "Referral Unit NL",
        id: "nl-iru",
        jurisdiction: "NL",
        category: "terrorism",
    },
];

fn partner_list(p: &Partner, seq: u64, day: i64, k: &SecretKey) -> List {
    let mut l = list(p.id, p.issuer, seq, day, 4);
    l.meta.jurisdiction = p.jurisdiction.parse().unwrap();
    l.meta.category = p.category.parse().unwrap();
    l.entries
        .push(entry(EntryKind::Domain, &format!("{}.example", p.id), None));
    l.sign(k);
    l
}

#[test]
fn three_partners_one_rotating() {
    let de = key(11);
    let gb_old = key(12);
    let gb_new = key(13);
    let nl = key(14);
    // GB rotates: old key valid until day 20, new key from day 15.
    let trust_text = store(vec![
        trusted(PARTNERS[0].issuer, &de, None, None),
        trusted(PARTNERS[1].issuer, &gb_old, None, Some(20)),
        trusted(PARTNERS[1].issuer, &gb_new, Some(15), None),
        trusted(PARTNERS[2].issuer, &nl, Some(0), Some(365)),
    ])
    .to_text();
    let dir = tempdir("partners");
    let tp = dir.join("trust.store");
    std::fs::write(&tp, trust_text).unwrap();
    let trust = TrustStore::load(&tp).unwrap();
    assert_eq!(trust.keys().len(), 4);

    let opts = |day| LoadOptions {
        now: Some(at(day)),
        ..LoadOptions::default()
    };
    let save = |name: &str, l: &List| {
        let p = dir.join(name);
        std::fs::write(&p, l.to_text()).unwrap();
        p
    };

    // Each partner's list verifies with its own key, keeps its jurisdiction.
    let de_l = save("de.list", &partner_list(&PARTNERS[0], 1, 10, &de));
    let gb_l = save("gb.list", &partner_list(&PARTNERS[1], 1, 10, &gb_old));
    let nl_l = save("nl.list", &partner_list(&PARTNERS[2], 1, 10, &nl));
    for (p, k, j) in [
        (&de_l, &de, "DE"),
        (&gb_l, &gb_old, "GB"),
        (&nl_l, &nl, "NL"),
    ] {
        let (l, v) = load_verified(p, &trust, &opts(11)).unwrap();
        assert_eq!(v.signer.unwrap().key_id, k.public_key().key_id());
        assert_eq!(l.meta.jurisdiction.as_str(), j);
    }

    // No partner can sign for another.
    let forged = partner_list(&PARTNERS[1], 2, 11, &de);
    assert_eq!(
        forged.verify(&trust, at(12)).unwrap_err().kind(),
        ErrorKind::UntrustedKey
    );

    // Overlap (days 15..=20): both GB keys are accepted.
    partner_list(&PARTNERS[1], 2, 16, &gb_old)
        .verify(&trust, at(16))
        .unwrap();
    partner_list(&PARTNERS[1], 2, 16, &gb_new)
        .verify(&trust, at(16))
        .unwrap();
    // Before the new key's not-before it is refused.
    assert_eq!(
        partner_list(&PARTNERS[1], 2, 14, &gb_new)
            .verify(&trust, at(16))
            .unwrap_err()
            .kind(),
        ErrorKind::RetiredKey
    );
    // After the old key's not-after: a list signed by it is refused.
    assert_eq!(
        partner_list(&PARTNERS[1], 3, 21, &gb_old)
            .verify(&trust, at(22))
            .unwrap_err()
            .kind(),
        ErrorKind::RetiredKey
    );
    // The list signed by the old key before retirement still loads later.
    load_verified(&gb_l, &trust, &opts(30)).unwrap();

    // A delta signed by the new key moves the old-key list forward.
    let (mut old, _) = load_verified(&gb_l, &trust, &opts(22)).unwrap();
    let mut new = old.clone();
    new.meta.sequence = 2;
    new.meta.created = at(21);
    new.entries.remove(0);
    new.entries
        .push(entry(EntryKind::Url, "http://x.example/a", Some("GB-9")));
    let mut d = Delta::diff(&old, &new);
    d.sign(&old, &gb_new).unwrap();
    let v = d.apply_to(&mut old, &trust, at(22)).unwrap();
    assert_eq!(v.key_id, gb_new.public_key().key_id());
    assert_eq!(
        old.verify(&trust, at(22)).unwrap().key_id,
        gb_new.public_key().key_id()
    );
    // The same delta signed with the retired key after its not-after: refused.
    let (mut old2, _) = load_verified(&gb_l, &trust, &opts(22)).unwrap();
    let mut d_old = Delta::diff(&old2, &new);
    d_old.sign(&old2, &gb_old).unwrap();
    assert_eq!(
        d_old
            .apply_to(&mut old2, &trust, at(22))
            .unwrap_err()
            .kind(),
        ErrorKind::RetiredKey
    );

    // Removing a compromised key from the store refuses everything it signed.
    let mut revoked = TrustStore::new();
    for k in trust.keys() {
        if k.key != gb_old.public_key() {
            revoked.add(k.clone());
        }
    }
    assert_eq!(
        load_verified(&gb_l, &revoked, &opts(30))
            .unwrap_err()
            .kind(),
        ErrorKind::UntrustedKey
    );
}
