//! Properties of the catch-up planner: for any manifest (any set of
//! deltas, gaps and shortcuts included) and any local state, the plan
//! reaches the manifest's version or refuses with a typed reason, and
//! never applies a delta out of order.

use hashwall_lists::publication::{
    CatchUp, DeltaRef, Fetch, FullReason, Local, Manifest, Refusal, delta_file, list_file, plan,
};
use hashwall_lists::{Delta, Timestamp};
use proptest::prelude::*;

/// A manifest at `sequence` with deltas between any two sequences below
/// or at it (forwards only, as the parser requires).
fn manifest() -> impl Strategy<Value = Manifest> {
    (1u64..30).prop_flat_map(|sequence| {
        let delta = (0..sequence, 1..=sequence)
            .prop_filter("forwards", |(from, to)| from < to)
            .prop_map(|(from, to)| DeltaRef {
                from,
                to,
                file: delta_file(from, to),
            });
        (
            proptest::collection::vec(delta, 0..40),
            proptest::option::of(prop_oneof!["Police", "Other"]),
            prop_oneof![Just("police".to_owned()), Just("other".to_owned())],
        )
            .prop_map(move |(deltas, issuer, id)| Manifest {
                id,
                issuer,
                sequence,
                published: Timestamp::UNIX_EPOCH,
                list: list_file(sequence),
                deltas,
            })
    })
}

fn local() -> impl Strategy<Value = Option<Local>> {
    proptest::option::of(
        (
            0u64..35,
            prop_oneof!["Police", "Other"],
            prop_oneof!["police", "other"],
        )
            .prop_map(|(sequence, issuer, id)| Local {
                issuer,
                id,
                sequence,
            }),
    )
}

/// A delta with just the header fields the plan checks.
fn delta(id: &str, from: u64, to: u64) -> Delta {
    Delta {
        list_id: id.to_owned(),
        issuer: "Police".into(),
        from,
        to,
        created: Timestamp::UNIX_EPOCH,
        expires: None,
        removed: Vec::new(),
        added: Vec::new(),
        list_signature: None,
        signature: None,
    }
}

/// Applies the plan's steps to `start` the way a subscriber does, each
/// held to the plan first; returns the sequence reached.
fn follow(p: &CatchUp, m: &Manifest, start: Option<u64>) -> u64 {
    match p.fetch() {
        Fetch::Nothing => start.unwrap_or_default(),
        Fetch::Full { file, .. } => {
            assert_eq!(file, &m.list);
            m.sequence
        }
        Fetch::Deltas(steps) => {
            let mut at = start.unwrap_or_default();
            for (i, s) in steps.iter().enumerate() {
                assert!(m.deltas.contains(s), "a step the manifest does not name");
                assert_eq!(s.from, at, "step {i} out of order: {steps:?}");
                assert!(s.to > s.from, "step {i} goes backwards");
                assert_eq!(p.check_delta(i, &delta(&m.id, s.from, s.to)), Ok(()));
                at = s.to;
            }
            at
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn plans_reach_the_manifest_or_refuse(m in manifest(), l in local()) {
        match (plan(l.as_ref(), &m), &l) {
            (Ok(p), None) => {
                let full = matches!(p.fetch(), Fetch::Full { reason: FullReason::NoLocalCopy, .. });
                prop_assert!(full, "{:?}", p.fetch());
                prop_assert_eq!(follow(&p, &m, None), m.sequence);
            }
            (Ok(p), Some(l)) => {
                prop_assert_eq!(&l.id, &m.id);
                prop_assert!(m.issuer.as_ref().is_none_or(|i| *i == l.issuer));
                prop_assert!(l.sequence <= m.sequence);
                prop_assert_eq!(p.target(), m.sequence);
                if l.sequence == m.sequence {
                    prop_assert_eq!(p.fetch(), &Fetch::Nothing);
                }
                // Deltas exactly when the manifest has a chain from here.
                let chained = m.chain(l.sequence).is_some_and(|c| !c.is_empty());
                prop_assert_eq!(matches!(p.fetch(), Fetch::Deltas(_)), chained);
                prop_assert_eq!(follow(&p, &m, Some(l.sequence)), m.sequence);
            }
            (Err(Refusal::OtherList { expected, offered }), Some(l)) => {
                prop_assert_eq!(&expected, &l.id);
                prop_assert_eq!(&offered, &m.id);
                prop_assert_ne!(&l.id, &m.id);
            }
            (Err(Refusal::OtherIssuer { local, offered }), Some(l)) => {
                prop_assert_eq!(&local, &l.issuer);
                prop_assert_eq!(Some(&offered), m.issuer.as_ref());
                prop_assert_ne!(&l.issuer, &offered);
            }
            (Err(Refusal::Rollback { local, offered }), Some(l)) => {
                prop_assert_eq!((local, offered), (l.sequence, m.sequence));
                prop_assert!(offered < local);
            }
            (other, l) => prop_assert!(false, "unexpected {other:?} for {l:?}"),
        }
    }

    /// A fetched delta other than the one planned for its step is refused:
    /// never applied out of order.
    #[test]
    fn out_of_order_deltas_are_refused(m in manifest(), l in local(), from in 0u64..35, to in 0u64..35) {
        let Ok(p) = plan(l.as_ref(), &m) else { return Ok(()) };
        let Fetch::Deltas(steps) = p.fetch() else { return Ok(()) };
        for (i, s) in steps.iter().enumerate() {
            let got = p.check_delta(i, &delta(&m.id, from, to));
            if (from, to) == (s.from, s.to) {
                prop_assert_eq!(got, Ok(()));
            } else if from != s.from {
                prop_assert_eq!(got, Err(Refusal::Gap { expected: s.from, found: from }));
            } else {
                prop_assert_eq!(got, Err(Refusal::NotAnnounced { announced: s.to, found: to }));
            }
            let other = if m.id == "police" { "other" } else { "police" };
            let refused = matches!(p.check_delta(i, &delta(other, s.from, s.to)), Err(Refusal::OtherList { .. }));
            prop_assert!(refused, "step {}", i);
        }
        prop_assert!(p.check_delta(steps.len(), &delta(&m.id, m.sequence, m.sequence + 1)).is_err());
    }

    /// A fetched full list must be the manifest's version, from the local
    /// copy's issuer, and newer than the local copy.
    #[test]
    fn full_lists_are_held_to_the_plan(m in manifest(), l in local(), seq in 0u64..35, issuer in prop_oneof!["Police", "Other"]) {
        let Ok(p) = plan(l.as_ref(), &m) else { return Ok(()) };
        let p = p.full_instead();
        let mut meta = hashwall_lists::ListMeta::with_defaults(&m.id);
        meta.issuer = issuer.to_owned();
        meta.sequence = seq;
        let got = p.check_full(&meta);
        let ok_issuer = l.as_ref().is_none_or(|l| l.issuer == issuer);
        let newer = l.as_ref().is_none_or(|l| seq > l.sequence);
        prop_assert_eq!(got.is_ok(), ok_issuer && newer && seq == m.sequence, "{:?}", got);
    }
}

#[test]
fn refusals_name_their_reason() {
    let r = Refusal::Rollback {
        local: 5,
        offered: 3,
    };
    assert_eq!(r.reason(), "rollback");
    assert!(r.to_string().contains("sequence 3"), "{r}");
    let e: hashwall_lists::Error = r.into();
    assert_eq!(e.kind(), hashwall_lists::ErrorKind::Rollback);
    assert_eq!(
        Refusal::OtherIssuer {
            local: "a".into(),
            offered: "b".into()
        }
        .reason(),
        "wrong_list"
    );
    assert_eq!(
        Refusal::Gap {
            expected: 1,
            found: 2
        }
        .reason(),
        "gap"
    );
}
