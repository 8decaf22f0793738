//! See `hashwall_fuzz_checks::request_stream` for the properties checked.
//!
//! Run: `cargo fuzz run --sanitizer none request_stream -- -dict=fuzz/dict/request_stream.dict -max_total_time=60`
//! (from the workspace root).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| hashwall_fuzz_checks::request_stream(data));
