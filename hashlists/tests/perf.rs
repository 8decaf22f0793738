//! Parse-rate measurement. Ignored by default; run with
//! `cargo test -p hashwall-lists --release --test perf -- --ignored --nocapture`.

#![allow(clippy::unwrap_used)]

use std::time::Instant;

use hashwall_lists::{Entry, EntryKind, List};

#[test]
#[ignore = "slow; measures the parse rate, run in release"]
fn parse_ten_million_url_prefix_lines() {
    const N: usize = 10_000_000;
    let mut text = String::with_capacity(N * 42 + 200);
    text.push_str("# id: perf\n# issuer: bench\n\n");
    for i in 0..N {
        // 40 bytes per line with the newline
        text.push_str(&format!("url-prefix example{i:08}.com/path/x/\n"));
    }
    for run in 0..3 {
        let t = Instant::now();
        let list = List::from_text(text.as_bytes(), "perf").unwrap();
        let dt = t.elapsed();
        assert_eq!(list.entries.len(), N);
        println!(
            "run {run}: parsed {N} lines, {} MB, in {:.3} s: {:.1} M lines/s, {:.0} MB/s",
            text.len() / 1_000_000,
            dt.as_secs_f64(),
            N as f64 / dt.as_secs_f64() / 1e6,
            text.len() as f64 / dt.as_secs_f64() / 1e6,
        );
        if run == 0 {
            let t = Instant::now();
            let out = list.to_text();
            println!(
                "wrote {} MB in {:.3} s",
                out.len() / 1_000_000,
                t.elapsed().as_secs_f64()
            );
        }
    }
    // The floor: just allocating the same entries, no parsing.
    let t = Instant::now();
    let mut v = Vec::with_capacity(N);
    for line in text.lines().skip(3) {
        v.push(Entry {
            kind: EntryKind::UrlPrefix,
            value: line[11..].to_owned(),
            reference: None,
            added: None,
        });
    }
    println!("allocation floor: {:.3} s", t.elapsed().as_secs_f64());
    assert_eq!(v.len(), N);
}
