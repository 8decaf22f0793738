//! Indexes the snapshot is compiled into.

pub mod hamming;
pub(crate) mod hostfilter;
pub(crate) mod keytable;

pub(crate) use keytable::MAX_ENTRIES;
