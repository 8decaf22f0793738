//! The hashwall proxy as a library: `hashwall serve` (the filtering HTTP
//! forward proxy) for the binary, for integration tests that run it
//! in-process, and for embedders.
#![deny(missing_docs)]

mod demo;
pub mod serve;
