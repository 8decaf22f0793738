//! Timing breakdown of verifying and applying deltas (ignored by default):
//! `cargo test -p hashwall-lists --release --test trust_perf -- --ignored --nocapture`.
//! `HASHWALL_PERF_N` sets the list size (default 1 M).

#![allow(clippy::unwrap_used)]

mod trust_common;

use std::time::Instant;

use hashwall_lists::{Delta, Entry, EntryKind, List};
use trust_common::*;

#[test]
#[ignore]
fn delta_apply_breakdown() {
    let n: usize = std::env::var("HASHWALL_PERF_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let k = key(1);
    let trust = store(vec![trusted("BKA", &k, None, None)]);
    let mut old = list("bka", "BKA", 1, 1, 0);
    old.entries = (0..n)
        .map(|i| {
            entry(
                EntryKind::Domain,
                &format!("host-{i}.bad-example.org"),
                Some(&format!("B{i}")),
            )
        })
        .collect();
    old.sign(&k);
    let t = Instant::now();
    old.verify(&trust, at(2)).unwrap();
    println!("verify list of {n}: {:.3} s", t.elapsed().as_secs_f64());
    let step = (n / 50_000).max(1);
    let mut d = Delta {
        list_id: old.meta.id.clone(),
        issuer: old.meta.issuer.clone(),
        from: 1,
        to: 2,
        created: at(2),
        expires: None,
        removed: old
            .entries
            .iter()
            .step_by(step)
            .take(50_000)
            .cloned()
            .collect(),
        added: (0..50_000)
            .map(|i| Entry {
                added: Some(at(2)),
                ..entry(EntryKind::Domain, &format!("new-{i}.example"), None)
            })
            .collect(),
        list_signature: None,
        signature: None,
    };
    d.sign(&old, &k).unwrap();
    let text = d.to_text();
    let t = Instant::now();
    let d = Delta::from_text(text.as_bytes()).unwrap();
    println!("parse delta: {:.3} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    d.verify(&trust, at(2)).unwrap();
    println!("verify delta: {:.3} s", t.elapsed().as_secs_f64());
    let mut l: List = old.clone();
    let t = Instant::now();
    d.apply_to(&mut l, &trust, at(2)).unwrap();
    println!(
        "apply_to (incl. verify): {:.3} s",
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    drop(l);
    println!("drop list: {:.3} s", t.elapsed().as_secs_f64());
}
