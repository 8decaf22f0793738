//! Shared data generation and measurement helpers for hashwall's benchmarks.
#![deny(missing_docs)]

pub mod adblock_peer;
pub mod hamming_data;
pub mod rng;
pub mod stats;
pub mod url_data;
