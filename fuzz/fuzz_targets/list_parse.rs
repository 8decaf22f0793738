//! See `hashwall_fuzz_checks::list_parse` for the properties checked.
//!
//! Run: `cargo fuzz run --sanitizer none list_parse -- -dict=fuzz/dict/list_parse.dict -max_total_time=60`
//! (from the workspace root).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| hashwall_fuzz_checks::list_parse(data));
