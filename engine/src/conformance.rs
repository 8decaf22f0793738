//! Locating the shared conformance data for tests and benchmarks.
//!
//! The data lives beside the project (`../shared/conformance`) and is never
//! copied into it. Every test finds it through [`dir`], which looks in
//! `$HASHWALL_CONFORMANCE` first, then `../shared/conformance` from the
//! workspace root. When neither exists the test is skipped with a message,
//! unless `HASHWALL_REQUIRE_CONFORMANCE=1` (set by `.ci/run`), in which case
//! the caller panics so CI fails instead of passing vacuously.

use std::path::PathBuf;

/// The conformance subdirectory `sub` (for example `"url"` or `"pdq"`), or
/// `None` (after printing why) when the data is absent and not required.
///
/// # Panics
///
/// When the data is absent and `HASHWALL_REQUIRE_CONFORMANCE=1`: a test run
/// that must check conformance fails loudly rather than skip.
pub fn dir(sub: &str) -> Option<PathBuf> {
    let mut tried = Vec::new();
    if let Some(root) = std::env::var_os("HASHWALL_CONFORMANCE") {
        let p = PathBuf::from(root).join(sub);
        if p.is_dir() {
            return Some(p);
        }
        tried.push(p);
    }
    // engine/ -> workspace root -> its parent holds shared/.
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    if let Some(parent) = workspace.parent().and_then(|w| w.parent()) {
        let p = parent.join("shared").join("conformance").join(sub);
        if p.is_dir() {
            return Some(p);
        }
        tried.push(p);
    }
    let required = std::env::var("HASHWALL_REQUIRE_CONFORMANCE").is_ok_and(|v| v == "1");
    assert!(
        !required,
        "conformance data `{sub}` not found (tried {tried:?}) and HASHWALL_REQUIRE_CONFORMANCE=1"
    );
    eprintln!(
        "SKIP: conformance data `{sub}` not found (tried {tried:?}); set HASHWALL_CONFORMANCE"
    );
    None
}

/// Decode the escapes used in the URL vectors (`\t` `\r` `\n` `\xHH`) to raw
/// bytes. Everything else is copied as is.
pub fn unescape_vector(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() {
            match b[i + 1] {
                b't' => {
                    out.push(b'\t');
                    i += 2;
                    continue;
                }
                b'r' => {
                    out.push(b'\r');
                    i += 2;
                    continue;
                }
                b'n' => {
                    out.push(b'\n');
                    i += 2;
                    continue;
                }
                b'x' if i + 3 < b.len() => {
                    let hex = std::str::from_utf8(&b[i + 2..i + 4]).ok();
                    if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                        out.push(v);
                        i += 4;
                        continue;
                    }
                }
                _ => {}
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}
