//! See `hashwall_fuzz_checks::image_hash` for the properties checked.
//!
//! Run: `cargo fuzz run --sanitizer none image_hash -- -dict=fuzz/dict/image_hash.dict -max_total_time=60`
//! (from the workspace root).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| hashwall_fuzz_checks::image_hash(data));
