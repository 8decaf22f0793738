//! hashwall: match URLs and images against partners' blocklists.
#![deny(missing_docs)]

#[doc(hidden)]
pub mod conformance;
mod error;
pub mod image;
pub mod index;
pub mod url;

pub use error::{Error, ErrorKind, ImageErrorKind, UrlErrorKind};
