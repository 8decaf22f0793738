//! See `hashwall_fuzz_checks::pdq_index` for the properties checked.
//!
//! Run: `cargo fuzz run --sanitizer none pdq_index -- -dict=fuzz/dict/pdq_index.dict -max_total_time=60`
//! (from the workspace root).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| hashwall_fuzz_checks::pdq_index(data));
