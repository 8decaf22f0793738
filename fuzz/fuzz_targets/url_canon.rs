//! See `hashwall_fuzz_checks::url_canon` for the properties checked.
//!
//! Run: `cargo fuzz run --sanitizer none url_canon -- -dict=fuzz/dict/url_canon.dict -max_total_time=60`
//! (from the workspace root).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| hashwall_fuzz_checks::url_canon(data));
