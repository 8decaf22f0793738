//! hashwall: match URLs and images against partners' blocklists.
#![deny(missing_docs)]

#[doc(hidden)]
pub mod conformance;
mod error;
pub mod url;

pub use error::{Error, ErrorKind, UrlErrorKind};
