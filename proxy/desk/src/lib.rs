//! The reporting desk behind `hashwall desk`.
//!
//! Data flows one way: a public or partner report arrives ([`intake`]),
//! each URL is canonicalised by the engine and checked against the lists
//! already served; analysts assess it and a second analyst confirms
//! ([`workflow`]); the confirmed entry is added to the desk's own signed
//! list and published ([`publish`]); every step is stored ([`store`]) and
//! counted ([`stats`]). The web pages and the JSON API ([`web`]) are a thin
//! layer over these modules.
#![deny(missing_docs)]

pub mod error;
pub mod model;
pub mod store;

pub use error::{Error, ErrorKind};
