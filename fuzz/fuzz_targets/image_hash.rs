//! See `hashwall_fuzz_checks::image_hash` for the properties checked.
//!
//! Run: `cargo fuzz run --sanitizer none image_hash -- -dict=fuzz/dict/image_hash.dict -max_total_time=60`
//! (from the workspace root).
#![no_main]

// libfuzzer-sys's panic hook aborts before any unwinding, which would turn
// a decoder panic that the engine catches (and reports as the typed error
// `DecoderPanic`, as in production) into a crash. The default hook lets the
// engine's guard work; a panic that escapes the check still aborts (the
// harness catches it and calls `abort`).
libfuzzer_sys::fuzz_target!(
    init: drop(std::panic::take_hook()),
    |data: &[u8]| hashwall_fuzz_checks::image_hash(data)
);
