//! See `hashwall_fuzz_checks::icap_request` for the properties checked.
//!
//! Run: `cargo fuzz run --sanitizer none icap_request -- -dict=fuzz/dict/icap_request.dict -max_total_time=60`
//! (from the workspace root).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| hashwall_fuzz_checks::icap_request(data));
