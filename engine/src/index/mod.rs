//! Indexes the snapshot is compiled into: the Hamming index for perceptual
//! hashes and the host filter in front of the URL key table (public, for
//! benchmarks and other front ends), and the key table itself (private).

pub mod hamming;
pub mod hostfilter;
pub(crate) mod keytable;
pub(crate) mod prefetch;

pub(crate) use keytable::MAX_ENTRIES;
