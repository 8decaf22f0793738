//! Verdicts: what to do with an input, and every list entry that said so.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use hashwall_lists::{EntryKind, Policy};

use crate::image::{Dihedral, HashValue};
use crate::snapshot::list_info::ListInfo;

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

/// What of the input matched: a URL's expression or host, or an image's
/// hash (kept typed; printed only when asked for).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Matched {
    /// The Safe Browsing expression or the host.
    Text(Box<str>),
    /// The hash (for PDQ, of the dihedral variant that matched).
    Hash(HashValue),
}

/// One list entry that matched an input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Match {
    pub(crate) list: Arc<ListInfo>,
    pub(crate) kind: EntryKind,
    pub(crate) reference: Option<Box<str>>,
    pub(crate) matched: Matched,
    pub(crate) distance: Option<u32>,
    pub(crate) variant: Option<Dihedral>,
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
    /// host (or parent domain) for `domain` entries, the hash (lowercase hex,
    /// written out on this call) for image entries — for PDQ, of the
    /// dihedral variant that matched.
    pub fn expression(&self) -> Cow<'_, str> {
        match &self.matched {
            Matched::Text(t) => Cow::Borrowed(t),
            Matched::Hash(h) => Cow::Owned(h.to_string()),
        }
    }
    /// For image entries, the input's hash that matched (for PDQ, of the
    /// dihedral variant that matched, with the input's quality); `None` for
    /// URL entries.
    pub fn hash(&self) -> Option<&HashValue> {
        match &self.matched {
            Matched::Hash(h) => Some(h),
            Matched::Text(_) => None,
        }
    }
    /// Hamming distance between the input's hash and the listed one, for
    /// perceptual hashes (`pdq`, `phash`, `dhash`); `None` otherwise.
    pub fn distance(&self) -> Option<u32> {
        self.distance
    }
    /// For PDQ matches, the rotation or mirror image that maps the input onto
    /// the listed image: [`Dihedral::Original`] when the input itself
    /// matched, [`Dihedral::Rot270`] for a listed image the input shows
    /// rotated by 90°, and so on. `None` for other kinds.
    pub fn variant(&self) -> Option<Dihedral> {
        self.variant
    }
    /// The action this match asks for (the list's enforced policy).
    pub fn action(&self) -> Action {
        Action::from_policy(self.list.policy)
    }
}

/// A list an input was not matched against, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    pub(crate) list: Arc<ListInfo>,
    pub(crate) reason: SkipReason,
}

impl Skipped {
    /// The list.
    pub fn list(&self) -> &ListInfo {
        &self.list
    }
    /// Why it was not consulted.
    pub fn reason(&self) -> SkipReason {
        self.reason
    }
}

/// Why a list was not consulted for an input.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SkipReason {
    /// The input's PDQ quality is below the list's floor: such a hash (a
    /// nearly uniform image) matches too much to be trusted.
    LowQuality {
        /// The input hash's quality.
        quality: u8,
        /// The list's floor.
        min_quality: u8,
    },
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::LowQuality {
                quality,
                min_quality,
            } => {
                write!(
                    f,
                    "pdq quality {quality} below the list's floor {min_quality}"
                )
            }
        }
    }
}

/// The decision for one input, with every match that led to it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verdict {
    pub(crate) matches: Vec<Match>,
    pub(crate) skipped: Vec<Skipped>,
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

    /// Lists the input was not matched against, and why (for example a PDQ
    /// hash below a list's quality floor).
    pub fn skipped(&self) -> &[Skipped] {
        &self.skipped
    }

    pub(crate) fn skip(&mut self, list: &Arc<ListInfo>, reason: SkipReason) {
        if !self.skipped.iter().any(|s| Arc::ptr_eq(&s.list, list)) {
            self.skipped.push(Skipped {
                list: Arc::clone(list),
                reason,
            });
        }
    }

    /// Adds a match unless the very same entry content already matched (a list
    /// may repeat an entry; a verdict names it once).
    pub(crate) fn push(&mut self, m: Match) {
        let dup = self.matches.iter().any(|o| {
            Arc::ptr_eq(&o.list, &m.list)
                && o.kind == m.kind
                && o.matched == m.matched
                && o.reference == m.reference
                && o.distance == m.distance
                && o.variant == m.variant
        });
        if !dup {
            self.matches.push(m);
        }
    }

    /// Orders matches by list order (stable, so a verdict prints the same way
    /// every time).
    pub(crate) fn finish(&mut self) {
        self.matches.sort_by_key(|m| m.list.index);
        self.skipped.sort_by_key(|s| s.list.index);
    }
}
