//! Shared benchmark data generation.

pub mod hamming_data;
