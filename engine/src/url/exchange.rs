//! The engine's canonicaliser for the list crate's exchange functions
//! (imports, exports, portable Bloom filters), so that every tool brings
//! entries into the one form lookups use.

use hashwall_lists::exchange::Canonicalize;

use super::{canonical_expression, canonical_host};

/// [`Canonicalize`] with the engine's Safe Browsing canonicaliser: what the
/// `hashwall` binary, the services and the fuzz checks pass to
/// `hashwall_lists::exchange`.
///
/// ```
/// use hashwall::url::EngineCanonicalizer;
/// use hashwall_lists::exchange::Canonicalize;
///
/// let c = EngineCanonicalizer;
/// assert_eq!(c.expression("HTTP://Evil.Example/%67allery/").as_deref(), Ok("evil.example/gallery/"));
/// assert_eq!(c.host("0x7f.1").as_deref(), Ok("127.0.0.1"));
/// assert!(c.host("").is_err());
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct EngineCanonicalizer;

impl Canonicalize for EngineCanonicalizer {
    fn expression(&self, value: &str) -> Result<String, String> {
        canonical_expression(value).map_err(|e| e.to_string())
    }

    fn host(&self, value: &str) -> Result<String, String> {
        canonical_host(value).map_err(|e| e.to_string())
    }
}
