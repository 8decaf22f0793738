//! `Verdict` and `Match`: the engine's verdicts, read-only from Python.

use hashwall::{Match, Verdict};
use pyo3::prelude::*;

/// The decision for one input: `action` (`block`, `allow`, `monitor` or
/// `no-match`; allow > block > monitor) and every `Match` behind it.
#[pyclass(frozen, module = "hashwall", name = "Verdict")]
pub(crate) struct PyVerdict(pub(crate) Verdict);

#[pymethods]
impl PyVerdict {
    /// `block`, `allow`, `monitor` or `no-match`.
    #[getter]
    fn action(&self) -> &'static str {
        self.0.action().as_str()
    }
    /// True when the input must be blocked.
    #[getter]
    fn is_blocked(&self) -> bool {
        self.0.is_blocked()
    }
    /// Every list entry that matched, in the order the lists were loaded.
    #[getter]
    fn matches(&self) -> Vec<PyMatch> {
        self.0.matches().iter().cloned().map(PyMatch).collect()
    }
    /// Lists the input was not matched against, as (list id, reason)
    /// pairs (a PDQ hash below a list's quality floor).
    #[getter]
    fn skipped(&self) -> Vec<(String, String)> {
        self.0
            .skipped()
            .iter()
            .map(|s| (s.list().id().to_owned(), s.reason().to_string()))
            .collect()
    }
    fn __repr__(&self) -> String {
        format!(
            "Verdict(action='{}', matches={})",
            self.0.action(),
            self.0.matches().len()
        )
    }
}

/// One list entry that matched: its list and provenance, the entry kind
/// and reference, and for image hashes the distance and dihedral variant.
#[pyclass(frozen, module = "hashwall", name = "Match")]
pub(crate) struct PyMatch(Match);

#[pymethods]
impl PyMatch {
    /// The list's id.
    #[getter]
    fn list(&self) -> &str {
        self.0.list().id()
    }
    /// The list's issuer (who vouches for it).
    #[getter]
    fn issuer(&self) -> &str {
        self.0.list().issuer()
    }
    /// The issuer's jurisdiction: an ISO 3166-1 alpha-2 code or `INT`.
    #[getter]
    fn jurisdiction(&self) -> String {
        self.0.list().jurisdiction().to_string()
    }
    /// The list's category (`csam`, `terrorism`, …).
    #[getter]
    fn category(&self) -> String {
        self.0.list().category().to_string()
    }
    /// The entry kind (`url`, `url-prefix`, `domain`, `pdq`, `md5`, …).
    #[getter]
    fn kind(&self) -> &'static str {
        self.0.kind().as_str()
    }
    /// The case or report id the list gave for the entry, if any.
    #[getter]
    fn reference(&self) -> Option<&str> {
        self.0.reference()
    }
    /// Hamming distance for perceptual hashes; `None` otherwise.
    #[getter]
    fn distance(&self) -> Option<u32> {
        self.0.distance()
    }
    /// For PDQ matches, the rotation or mirror image that maps the input
    /// onto the listed image (`orig`, `rot90`, …); `None` otherwise.
    #[getter]
    fn variant(&self) -> Option<&'static str> {
        self.0.variant().map(|v| v.as_str())
    }
    /// What of the input matched: the URL expression or host, or the hash.
    #[getter]
    fn expression(&self) -> String {
        self.0.expression().into_owned()
    }
    /// The action this match asks for (the list's policy).
    #[getter]
    fn action(&self) -> &'static str {
        self.0.action().as_str()
    }
    fn __repr__(&self) -> String {
        format!(
            "Match(list='{}', kind='{}', action='{}', expression='{}')",
            self.0.list().id(),
            self.0.kind(),
            self.0.action(),
            self.0.expression()
        )
    }
}
