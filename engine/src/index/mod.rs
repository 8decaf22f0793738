//! Indexes the snapshot is compiled into.

pub mod hamming;
