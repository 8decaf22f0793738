//! See `hashwall_fuzz_checks::bloom_import` for the properties checked.
//!
//! Run: `cargo fuzz run --sanitizer none bloom_import -- -dict=fuzz/dict/bloom_import.dict -max_total_time=60`
//! (from the workspace root).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| hashwall_fuzz_checks::bloom_import(data));
