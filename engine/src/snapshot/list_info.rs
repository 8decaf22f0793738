//! [`ListInfo`]: a list as compiled into a snapshot, the provenance every
//! match of it points at.

use hashwall_lists::{Category, Jurisdiction, ListMeta, Policy, Timestamp};

use super::images::ImageThresholds;

/// A list as compiled into a snapshot: its provenance, shared by every
/// match it produces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListInfo {
    pub(crate) meta: ListMeta,
    pub(crate) policy: Policy,
    pub(crate) entries: usize,
    /// Position in the snapshot: matches are reported in this order.
    pub(crate) index: usize,
    pub(crate) thresholds: ImageThresholds,
    /// Whether the list holds PDQ entries (so a low-quality query is
    /// reported as skipped for it).
    pub(crate) has_pdq: bool,
    /// Whether the paths of the list's URL entries are matched without
    /// regard to letter case.
    pub(crate) case_insensitive_paths: bool,
}

impl ListInfo {
    /// The list's identifier.
    pub fn id(&self) -> &str {
        &self.meta.id
    }
    /// Who maintains the list.
    pub fn issuer(&self) -> &str {
        &self.meta.issuer
    }
    /// Human-readable name.
    pub fn name(&self) -> &str {
        &self.meta.name
    }
    /// ISO 3166-1 alpha-2 country, or `INT`.
    pub fn jurisdiction(&self) -> &Jurisdiction {
        &self.meta.jurisdiction
    }
    /// What the list is about (`csam`, `terrorism`, …).
    pub fn category(&self) -> &Category {
        &self.meta.category
    }
    /// The policy this snapshot enforces for the list (the operator's
    /// configuration may differ from the issuer's default).
    pub fn policy(&self) -> Policy {
        self.policy
    }
    /// The policy the issuer declared in the list header.
    pub fn issuer_policy(&self) -> Policy {
        self.meta.policy
    }
    /// The list's sequence number.
    pub fn sequence(&self) -> u64 {
        self.meta.sequence
    }
    /// When the list was created.
    pub fn created(&self) -> Timestamp {
        self.meta.created
    }
    /// Entries of this list compiled into the snapshot (URL and image).
    pub fn entries(&self) -> usize {
        self.entries
    }
    /// The whole header as loaded.
    pub fn meta(&self) -> &ListMeta {
        &self.meta
    }
    /// Largest Hamming distance at which this list's PDQ entries match.
    pub fn pdq_max_distance(&self) -> u32 {
        self.thresholds.pdq_max_distance
    }
    /// Largest Hamming distance at which this list's pHash/dHash entries match.
    pub fn hash64_max_distance(&self) -> u32 {
        self.thresholds.hash64_max_distance
    }
    /// PDQ quality below which a query hash is not matched against this list.
    pub fn min_quality(&self) -> u8 {
        self.thresholds.min_quality
    }
}
