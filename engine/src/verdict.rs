//! Verdicts: what to do with an input, and every list entry that said so.

use std::fmt;
use std::sync::Arc;

use hashwall_lists::{Category, EntryKind, Jurisdiction, ListMeta, Policy, Timestamp};

/// What the snapshot decided for one input.
///
/// Precedence when several lists match (documented in `DESIGN.md`):
/// **allow > block > monitor > no match**. An `allow` match overrides every
/// block (it exists to correct false positives); a `monitor` match is counted
/// and reported but never blocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// No list matched.
    NoMatch,
    /// Only monitor-mode lists matched: let it through, count it.
    Monitor,
    /// A block list matched and no allow list did.
    Block,
    /// An allow list matched; it overrides any block.
    Allow,
}

impl Action {
    /// The lowercase token: `no-match`, `monitor`, `block`, `allow`.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::NoMatch => "no-match",
            Action::Monitor => "monitor",
            Action::Block => "block",
            Action::Allow => "allow",
        }
    }

    /// True only for [`Action::Block`].
    pub fn is_block(self) -> bool {
        self == Action::Block
    }

    fn from_policy(p: Policy) -> Action {
        match p {
            Policy::Block => Action::Block,
            Policy::Monitor => Action::Monitor,
            Policy::Allow => Action::Allow,
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A list as compiled into a snapshot: its provenance, shared by every
/// match it produces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListInfo {
    pub(crate) meta: ListMeta,
    pub(crate) policy: Policy,
    pub(crate) entries: usize,
    /// Position in the snapshot: matches are reported in this order.
    pub(crate) index: usize,
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
    /// Entries of this list compiled into the snapshot.
    pub fn entries(&self) -> usize {
        self.entries
    }
    /// The whole header as loaded.
    pub fn meta(&self) -> &ListMeta {
        &self.meta
    }
}

/// One list entry that matched an input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Match {
    pub(crate) list: Arc<ListInfo>,
    pub(crate) kind: EntryKind,
    pub(crate) reference: Option<Box<str>>,
    pub(crate) expression: Box<str>,
}

impl Match {
    /// The list the entry belongs to, with its provenance.
    pub fn list(&self) -> &ListInfo {
        &self.list
    }
    /// The entry's kind (`url`, `url-prefix`, `domain`, `url-sha256`, …).
    pub fn kind(&self) -> EntryKind {
        self.kind
    }
    /// The case or report id that justified the entry, if the list gave one.
    pub fn reference(&self) -> Option<&str> {
        self.reference.as_deref()
    }
    /// What matched, taken from the input: the Safe Browsing expression
    /// (`host/path`) for `url`, `url-prefix` and `url-sha256` entries, the
    /// host (or parent domain) for `domain` entries.
    pub fn expression(&self) -> &str {
        &self.expression
    }
    /// The action this match asks for (the list's enforced policy).
    pub fn action(&self) -> Action {
        Action::from_policy(self.list.policy)
    }
}

/// The decision for one input, with every match that led to it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verdict {
    pub(crate) matches: Vec<Match>,
}

impl Verdict {
    /// The resulting action, by the precedence allow > block > monitor.
    pub fn action(&self) -> Action {
        self.matches
            .iter()
            .map(Match::action)
            .max()
            .unwrap_or(Action::NoMatch)
    }

    /// True when the input must be blocked.
    pub fn is_blocked(&self) -> bool {
        self.action().is_block()
    }

    /// Every match, in the order lists were added to the snapshot.
    pub fn matches(&self) -> &[Match] {
        &self.matches
    }

    /// True when no list matched.
    pub fn is_empty(&self) -> bool {
        self.matches.is_empty()
    }

    /// Adds a match unless the very same entry content already matched (a list
    /// may repeat an entry; a verdict names it once).
    pub(crate) fn push(&mut self, m: Match) {
        let dup = self.matches.iter().any(|o| {
            Arc::ptr_eq(&o.list, &m.list)
                && o.kind == m.kind
                && o.expression == m.expression
                && o.reference == m.reference
        });
        if !dup {
            self.matches.push(m);
        }
    }

    /// Orders matches by list order (stable, so a verdict prints the same way
    /// every time).
    pub(crate) fn finish(&mut self) {
        self.matches.sort_by_key(|m| m.list.index);
    }
}
