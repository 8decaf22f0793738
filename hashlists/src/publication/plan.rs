//! The catch-up planner: what a subscriber fetches to reach a manifest's
//! version, decided without any I/O.
//!
//! Given what the subscriber holds ([`Local`]: issuer, id and sequence of
//! its verified copy, or nothing) and the publisher's [`Manifest`],
//! [`plan`] says: nothing to do; these deltas, in this order; or the full
//! list — or refuses the manifest ([`Refusal`]: it goes backwards, it is
//! for another list or another issuer). The subscriber then fetches what
//! the plan names and holds each file to it ([`CatchUp::check_delta`],
//! [`CatchUp::check_full`]) before applying and verifying it: a delta that
//! does not continue where the list is, or a full list that is not the
//! version announced, is refused too. Signatures are checked as the files
//! are applied ([`Delta::apply_to`](crate::Delta::apply_to), [`Loader`](crate::Loader)).
//!
//! ```
//! use hashwall_lists::publication::{CatchUp, DeltaRef, Fetch, Local, Manifest, Refusal, plan};
//! use hashwall_lists::Timestamp;
//!
//! let manifest = Manifest {
//!     id: "police".into(),
//!     issuer: Some("Police".into()),
//!     sequence: 3,
//!     published: Timestamp::UNIX_EPOCH,
//!     list: "list-3.hwl".into(),
//!     deltas: vec![
//!         DeltaRef { from: 1, to: 2, file: "delta-1-2.hwd".into() },
//!         DeltaRef { from: 2, to: 3, file: "delta-2-3.hwd".into() },
//!     ],
//! };
//! let at = |sequence| Local { issuer: "Police".into(), id: "police".into(), sequence };
//!
//! let p = plan(Some(&at(1)), &manifest)?;
//! let Fetch::Deltas(steps) = p.fetch() else { panic!("deltas expected") };
//! assert_eq!(steps.iter().map(|d| d.file.as_str()).collect::<Vec<_>>(), ["delta-1-2.hwd", "delta-2-3.hwd"]);
//! assert!(matches!(plan(Some(&at(0)), &manifest)?.fetch(), Fetch::Full { .. })); // a gap
//! assert!(matches!(plan(None, &manifest)?.fetch(), Fetch::Full { .. }));
//! assert!(matches!(plan(Some(&at(3)), &manifest)?.fetch(), Fetch::Nothing));
//! assert_eq!(plan(Some(&at(4)), &manifest).unwrap_err(), Refusal::Rollback { local: 4, offered: 3 });
//! # Ok::<(), Refusal>(())
//! ```

use std::fmt;

use super::manifest::{DeltaRef, Manifest};
use crate::delta::Delta;
use crate::error::{Error, ErrorKind, clip};
use crate::model::ListMeta;

/// What a subscriber holds: the header of its verified local copy.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Local {
    /// The copy's issuer.
    pub issuer: String,
    /// The copy's list id.
    pub id: String,
    /// The copy's sequence.
    pub sequence: u64,
}

impl Local {
    /// The local state of a list with header `meta`.
    pub fn of(meta: &ListMeta) -> Local {
        Local {
            issuer: meta.issuer.clone(),
            id: meta.id.clone(),
            sequence: meta.sequence,
        }
    }
}

/// Why the full list is fetched rather than deltas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FullReason {
    /// There is no local copy.
    NoLocalCopy,
    /// The manifest has no chain of deltas from the local sequence (a
    /// gap, or the deltas were pruned).
    NoChain,
}

/// What to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetch {
    /// Nothing: the local copy is the manifest's version.
    Nothing,
    /// These deltas, applied in this order: the first starts at the local
    /// sequence, each starts where the one before ends, the last ends at
    /// the manifest's sequence.
    Deltas(Vec<DeltaRef>),
    /// The full list, this file of the list's directory.
    Full {
        /// The file name.
        file: String,
        /// Why not deltas.
        reason: FullReason,
    },
}

/// A plan: what to fetch to reach the manifest's version, and what the
/// fetched files must be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatchUp {
    fetch: Fetch,
    local: Option<Local>,
    id: String,
    target: u64,
    full_list: String,
}

/// Why a manifest, or a file fetched by its plan, is refused.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Refusal {
    /// The manifest (or the list it points to) is behind the local copy:
    /// an old manifest replayed, or the publisher lost its state.
    Rollback {
        /// The local sequence.
        local: u64,
        /// The sequence offered.
        offered: u64,
    },
    /// The manifest or a fetched file is for another list id.
    OtherList {
        /// The id expected.
        expected: String,
        /// The id offered.
        offered: String,
    },
    /// The manifest or a fetched list names another issuer than the local
    /// copy's.
    OtherIssuer {
        /// The local copy's issuer.
        local: String,
        /// The issuer offered.
        offered: String,
    },
    /// A fetched delta does not start where the list is (a missing update
    /// in between, or the file is not the delta the manifest named).
    Gap {
        /// The sequence the delta should start at.
        expected: u64,
        /// The sequence it starts at.
        found: u64,
    },
    /// A fetched file is not the version the manifest announced.
    NotAnnounced {
        /// The sequence announced.
        announced: u64,
        /// The sequence the file leads to.
        found: u64,
    },
}

impl Refusal {
    /// A short fixed name for metrics and logs: `rollback`, `wrong_list`,
    /// `gap` or `manifest`.
    pub fn reason(&self) -> &'static str {
        match self {
            Refusal::Rollback { .. } => "rollback",
            Refusal::OtherList { .. } | Refusal::OtherIssuer { .. } => "wrong_list",
            Refusal::Gap { .. } => "gap",
            Refusal::NotAnnounced { .. } => "manifest",
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Rollback { local, offered } => write!(
                f,
                "the publisher offers sequence {offered} but the local list is at {local}: \
                 refused (an old manifest replayed, or the publisher lost its state)"
            ),
            Refusal::OtherList { expected, offered } => write!(
                f,
                "the publisher offers list {:?}, not {:?}",
                clip(offered),
                clip(expected)
            ),
            Refusal::OtherIssuer { local, offered } => write!(
                f,
                "the publisher offers a list issued by {:?}, the local copy is issued by {:?}",
                clip(offered),
                clip(local)
            ),
            Refusal::Gap { expected, found } => write!(
                f,
                "a delta starts at sequence {found} where the list is at {expected}"
            ),
            Refusal::NotAnnounced { announced, found } => write!(
                f,
                "the files lead to sequence {found}, the manifest announced {announced}"
            ),
        }
    }
}

impl std::error::Error for Refusal {}

impl From<Refusal> for Error {
    fn from(r: Refusal) -> Error {
        let kind = match r {
            Refusal::Rollback { .. } => ErrorKind::Rollback,
            Refusal::OtherList { .. } | Refusal::OtherIssuer { .. } => ErrorKind::WrongList,
            Refusal::Gap { .. } => ErrorKind::SequenceGap,
            Refusal::NotAnnounced { .. } => ErrorKind::InvalidManifest,
        };
        Error::new(kind, r.to_string())
    }
}

/// Plan catching up from `local` (none: no local copy) to `manifest`.
///
/// # Errors
///
/// [`Refusal::OtherList`] when the manifest is for another list id,
/// [`Refusal::OtherIssuer`] when it names another issuer,
/// [`Refusal::Rollback`] when it is behind the local copy.
pub fn plan(local: Option<&Local>, manifest: &Manifest) -> Result<CatchUp, Refusal> {
    let full = |reason| Fetch::Full {
        file: manifest.list.clone(),
        reason,
    };
    let fetch = match local {
        None => full(FullReason::NoLocalCopy),
        Some(l) => {
            if l.id != manifest.id {
                return Err(Refusal::OtherList {
                    expected: l.id.clone(),
                    offered: manifest.id.clone(),
                });
            }
            if let Some(i) = &manifest.issuer
                && *i != l.issuer
            {
                return Err(Refusal::OtherIssuer {
                    local: l.issuer.clone(),
                    offered: i.clone(),
                });
            }
            if manifest.sequence < l.sequence {
                return Err(Refusal::Rollback {
                    local: l.sequence,
                    offered: manifest.sequence,
                });
            }
            if manifest.sequence == l.sequence {
                Fetch::Nothing
            } else {
                match manifest.chain(l.sequence) {
                    Some(steps) => Fetch::Deltas(steps.into_iter().cloned().collect()),
                    None => full(FullReason::NoChain),
                }
            }
        }
    };
    Ok(CatchUp {
        fetch,
        local: local.cloned(),
        id: manifest.id.clone(),
        target: manifest.sequence,
        full_list: manifest.list.clone(),
    })
}

impl CatchUp {
    /// What to fetch.
    pub fn fetch(&self) -> &Fetch {
        &self.fetch
    }

    /// The sequence the plan reaches: the manifest's.
    pub fn target(&self) -> u64 {
        self.target
    }

    /// The local state the plan starts from.
    pub fn local(&self) -> Option<&Local> {
        self.local.as_ref()
    }

    /// The same catch-up by the full list instead (when a delta of the
    /// plan cannot be fetched: pruned meanwhile).
    pub fn full_instead(&self) -> CatchUp {
        CatchUp {
            fetch: Fetch::Full {
                file: self.full_list.clone(),
                reason: FullReason::NoChain,
            },
            ..self.clone()
        }
    }

    /// Hold the `step`-th delta fetched (0-based) to the plan: its list
    /// id, and its sequences those of the delta the manifest named there.
    pub fn check_delta(&self, step: usize, delta: &Delta) -> Result<(), Refusal> {
        let Fetch::Deltas(steps) = &self.fetch else {
            return Err(Refusal::NotAnnounced {
                announced: self.target,
                found: delta.to,
            });
        };
        if delta.list_id != self.id {
            return Err(Refusal::OtherList {
                expected: self.id.clone(),
                offered: delta.list_id.clone(),
            });
        }
        let Some(want) = steps.get(step) else {
            return Err(Refusal::NotAnnounced {
                announced: self.target,
                found: delta.to,
            });
        };
        if delta.from != want.from {
            return Err(Refusal::Gap {
                expected: want.from,
                found: delta.from,
            });
        }
        if delta.to != want.to {
            return Err(Refusal::NotAnnounced {
                announced: want.to,
                found: delta.to,
            });
        }
        Ok(())
    }

    /// Hold a fetched full list (its header `meta`) to the plan: the
    /// manifest's id and sequence, the local copy's issuer, and newer than
    /// the local copy.
    pub fn check_full(&self, meta: &ListMeta) -> Result<(), Refusal> {
        if meta.id != self.id {
            return Err(Refusal::OtherList {
                expected: self.id.clone(),
                offered: meta.id.clone(),
            });
        }
        if let Some(l) = &self.local {
            if meta.issuer != l.issuer {
                return Err(Refusal::OtherIssuer {
                    local: l.issuer.clone(),
                    offered: meta.issuer.clone(),
                });
            }
            if meta.sequence <= l.sequence {
                return Err(Refusal::Rollback {
                    local: l.sequence,
                    offered: meta.sequence,
                });
            }
        }
        if meta.sequence != self.target {
            return Err(Refusal::NotAnnounced {
                announced: self.target,
                found: meta.sequence,
            });
        }
        Ok(())
    }
}
