//! The properties hashwall's fuzz targets check, one function per target,
//! each taking the fuzzer's bytes and panicking when a property is violated
//! (a panic is what libFuzzer reports as a crash).
//!
//! They live in a plain library of the main workspace, not in the fuzz
//! targets, so that `cargo test` replays every committed corpus file
//! through them (`tests/corpus.rs`) on the stable toolchain, without
//! libFuzzer. The targets in `fuzz/fuzz_targets/` are one-line wrappers.
//!
//! ```
//! // Any bytes are fine: properties hold or the function panics.
//! hashwall_fuzz_checks::url_canon(b"http://EXAMPLE.com/a/../b");
//! hashwall_fuzz_checks::pdq_index(&[7; 64]);
//! ```
#![deny(missing_docs)]

pub mod bloom_import;
mod cuts;
pub mod icap_request;
pub mod image_hash;
pub mod list_parse;
pub mod pdq_index;
pub mod proxy_request;
pub mod request_stream;
pub mod url_canon;

pub use bloom_import::bloom_import;
pub use icap_request::icap_request;
pub use image_hash::image_hash;
pub use list_parse::list_parse;
pub use pdq_index::pdq_index;
pub use proxy_request::proxy_request;
pub use request_stream::request_stream;
pub use url_canon::url_canon;

/// A target's check: panics when a property does not hold for the input.
pub type Check = fn(&[u8]);

/// Every target: its name (the corpus directory and the fuzz binary) and
/// its check.
pub const TARGETS: [(&str, Check); 8] = [
    ("url_canon", url_canon),
    ("list_parse", list_parse),
    ("image_hash", image_hash),
    ("proxy_request", proxy_request),
    ("request_stream", request_stream),
    ("bloom_import", bloom_import),
    ("pdq_index", pdq_index),
    ("icap_request", icap_request),
];
