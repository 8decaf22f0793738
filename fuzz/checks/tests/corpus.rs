//! Replays every committed corpus file (`fuzz/corpus/<target>/`) through its
//! target's check, so `cargo test` covers what the fuzzers found and the
//! seeds, without libFuzzer. A missing or empty corpus fails.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

fn corpus_dir(target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../corpus")
        .join(target)
}

fn replay(target: &str) {
    let Some(&(_, check)) = hashwall_fuzz_checks::TARGETS
        .iter()
        .find(|(name, _)| *name == target)
    else {
        panic!("no target {target}");
    };
    let dir = corpus_dir(target);
    let entries =
        std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("corpus {}: {e}", dir.display()));
    let mut files: Vec<PathBuf> = entries
        .map(|e| {
            e.unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .path()
        })
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "corpus {} is empty", dir.display());
    let mut failed = Vec::new();
    for f in &files {
        let bytes = std::fs::read(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        if catch_unwind(AssertUnwindSafe(|| check(&bytes))).is_err() {
            failed.push(f.display().to_string());
        }
    }
    assert!(failed.is_empty(), "{target}: failing inputs {failed:#?}");
    println!("{target}: {} corpus files replayed", files.len());
}

#[test]
fn url_canon() {
    replay("url_canon");
}

#[test]
fn list_parse() {
    replay("list_parse");
}

#[test]
fn image_hash() {
    replay("image_hash");
}

#[test]
fn request_stream() {
    replay("request_stream");
}

#[test]
fn proxy_request() {
    replay("proxy_request");
}

#[test]
fn bloom_import() {
    replay("bloom_import");
}

#[test]
fn pdq_index() {
    replay("pdq_index");
}

/// Every target has a test above and a fuzz binary.
#[test]
fn every_target_is_replayed_and_built() {
    let this = include_str!("corpus.rs");
    let fuzz_manifest = include_str!("../../Cargo.toml");
    for (name, _) in hashwall_fuzz_checks::TARGETS {
        assert!(
            this.contains(&format!("replay(\"{name}\")")),
            "{name} not replayed"
        );
        assert!(
            fuzz_manifest.contains(&format!("name = \"{name}\"")),
            "{name} has no fuzz binary"
        );
    }
}

#[test]
fn icap_request() {
    replay("icap_request");
}
