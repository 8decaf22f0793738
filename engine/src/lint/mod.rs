//! List lint: catch over-blocking before a list ships.
//!
//! It lives in the engine rather than in `hashwall-lists` because every check
//! compares canonical forms (the form the engine matches, [`crate::url`]),
//! and the public suffix rules need the same IDNA mapping as hosts. The
//! caller passes the Public Suffix List in ([`PublicSuffixList::parse`] of
//! the file it chose, or [`PublicSuffixList::fallback`]); the engine reads no
//! file. Checks, with their codes ([`FindingCode`], documented in
//! `hashlists/EXCHANGE.md`):
//!
//! | code | severity | finding |
//! |---|---|---|
//! | `invalid` | error | the engine cannot canonicalise the entry |
//! | `public-suffix` | error | a `domain` (or a whole-host `url-prefix host/`, or its `url-sha256`) on a public suffix |
//! | `never-block` | error | the entry blocks a never-block domain (or a parent of one) as a whole |
//! | `allowed` | error | the same entry is on a trusted allow list |
//! | `duplicate` | warning | the same entry (after canonicalisation) earlier in the list |
//! | `deep-prefix` | warning | a `url-prefix` directory deeper than Safe Browsing looks up |
//! | `covers-many` | warning | a `domain` or `url-prefix` that subsumes at least N other entries |
//! | `covers-allowed` | info | the entry covers an entry of a trusted allow list |
//! | `cross-duplicate` | warning | the same entry is in an earlier list linted together ([`lint_across`]) |
//!
//! ```
//! use hashwall::lint::{FindingCode, LintConfig, LintInput, PublicSuffixList, Severity, lint};
//! use hashwall::lists::List;
//!
//! let list = List::from_text(b"domain co.uk\ndomain bad.example\ndomain BAD.example.\n", "l")?;
//! let config = LintConfig::new(PublicSuffixList::fallback());
//! let findings = lint(&LintInput::new(&list), &config);
//! assert_eq!(findings[0].code, FindingCode::PublicSuffix);
//! assert_eq!(findings[0].severity, Severity::Error);
//! assert_eq!(findings[1].code.as_str(), "duplicate");
//! assert_eq!(findings[1].entry, 2);
//! # Ok::<(), hashwall::lists::Error>(())
//! ```

mod canon;
mod checks;
mod coverage;
mod never_block;
mod psl;

use std::collections::{HashMap, HashSet};
use std::fmt;

use hashwall_lists::List;

use crate::url::canonical_host;
use canon::{Canon, Key};
use checks::Context;
use coverage::Coverers;

pub use never_block::DEFAULT_NEVER_BLOCK;
pub use psl::{InvalidPublicSuffixList, PublicSuffixList};

/// How serious a finding is. Errors fail `hashwall lists lint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Would over-block or is broken: fix before shipping.
    Error,
    /// Probably a mistake.
    Warning,
    /// Worth knowing.
    Info,
}

impl Severity {
    /// `error`, `warning` or `info`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a finding is about: one code per check, each with a fixed
/// [`Severity`].
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FindingCode {
    /// The engine cannot canonicalise the entry (a snapshot build would
    /// refuse the list).
    Invalid,
    /// A whole-host block (or its hash) of a public suffix.
    PublicSuffix,
    /// A whole-host block (or its hash) of a never-block domain or a parent.
    NeverBlock,
    /// The same entry is on a trusted allow list.
    Allowed,
    /// The same entry, canonical, earlier in the list.
    Duplicate,
    /// A `url-prefix` directory deeper than Safe Browsing looks up.
    DeepPrefix,
    /// A `domain` or `url-prefix` covering many other entries of its list.
    CoversMany,
    /// An entry covering an entry of a trusted allow list.
    CoversAllowed,
    /// The same entry in an earlier list linted together.
    CrossDuplicate,
}

impl FindingCode {
    /// The stable token printed and documented: `invalid`, `public-suffix`,
    /// `never-block`, `allowed`, `duplicate`, `deep-prefix`, `covers-many`,
    /// `covers-allowed`, `cross-duplicate`.
    pub const fn as_str(self) -> &'static str {
        match self {
            FindingCode::Invalid => "invalid",
            FindingCode::PublicSuffix => "public-suffix",
            FindingCode::NeverBlock => "never-block",
            FindingCode::Allowed => "allowed",
            FindingCode::Duplicate => "duplicate",
            FindingCode::DeepPrefix => "deep-prefix",
            FindingCode::CoversMany => "covers-many",
            FindingCode::CoversAllowed => "covers-allowed",
            FindingCode::CrossDuplicate => "cross-duplicate",
        }
    }

    /// How serious a finding with this code is.
    pub const fn severity(self) -> Severity {
        match self {
            FindingCode::Invalid
            | FindingCode::PublicSuffix
            | FindingCode::NeverBlock
            | FindingCode::Allowed => Severity::Error,
            FindingCode::Duplicate
            | FindingCode::DeepPrefix
            | FindingCode::CoversMany
            | FindingCode::CrossDuplicate => Severity::Warning,
            FindingCode::CoversAllowed => Severity::Info,
        }
    }
}

impl fmt::Display for FindingCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One finding about one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// How serious (the code's [`FindingCode::severity`]).
    pub severity: Severity,
    /// What the finding is about.
    pub code: FindingCode,
    /// Index of the entry in the list.
    pub entry: usize,
    /// What is wrong, naming related entries by location.
    pub message: String,
}

impl Finding {
    fn new(code: FindingCode, entry: usize, message: String) -> Finding {
        Finding {
            severity: code.severity(),
            code,
            entry,
            message,
        }
    }
}

/// A list to lint or to lint against, with what is needed to name its
/// entries' locations.
#[derive(Debug, Clone, Copy)]
pub struct LintInput<'a> {
    /// The list.
    pub list: &'a List,
    /// How to name it in messages (its file path); the list id when `None`.
    pub name: Option<&'a str>,
    /// Line of each entry (`hashwall_lists::exchange::entry_lines`).
    pub lines: Option<&'a [usize]>,
}

impl<'a> LintInput<'a> {
    /// A list without file information.
    pub fn new(list: &'a List) -> LintInput<'a> {
        LintInput {
            list,
            name: None,
            lines: None,
        }
    }

    /// `name:line`, or `name entry #i` without line numbers.
    pub fn location(&self, entry: usize) -> String {
        let name = self.name.unwrap_or(&self.list.meta.id);
        match self.lines.and_then(|l| l.get(entry)) {
            Some(line) => format!("{name}:{line}"),
            None => format!("{name} entry #{}", entry + 1),
        }
    }
}

/// What [`lint`] checks against.
#[derive(Debug, Clone)]
pub struct LintConfig<'a> {
    /// The public suffixes.
    pub psl: PublicSuffixList,
    /// Never-block domains, canonical (see [`LintConfig::set_never_block`]).
    never_block: Vec<String>,
    /// Trusted allow lists.
    pub allow: Vec<LintInput<'a>>,
    /// `covers-many` fires for an entry covering at least this many others.
    pub cover_threshold: usize,
}

impl<'a> LintConfig<'a> {
    /// The given suffixes, [`DEFAULT_NEVER_BLOCK`], no allow list, and a
    /// `covers-many` threshold of 100.
    pub fn new(psl: PublicSuffixList) -> LintConfig<'a> {
        let mut c = LintConfig {
            psl,
            never_block: Vec::new(),
            allow: Vec::new(),
            cover_threshold: 100,
        };
        c.set_never_block(DEFAULT_NEVER_BLOCK.iter().copied());
        c
    }

    /// Replace the never-block domains; those that do not canonicalise are
    /// returned.
    pub fn set_never_block<'s>(
        &mut self,
        domains: impl IntoIterator<Item = &'s str>,
    ) -> Vec<String> {
        let mut bad = Vec::new();
        self.never_block.clear();
        for d in domains {
            match canonical_host(d) {
                Ok(h) => self.never_block.push(h),
                Err(_) => bad.push(d.to_owned()),
            }
        }
        bad
    }

    /// The never-block domains, canonical.
    pub fn never_block(&self) -> &[String] {
        &self.never_block
    }
}

/// Lint one list. Findings come in entry order, each entry's by severity.
pub fn lint(input: &LintInput<'_>, config: &LintConfig<'_>) -> Vec<Finding> {
    let list = input.list;
    let mut findings = Vec::new();
    let canon: Vec<Option<Canon>> = list
        .entries
        .iter()
        .enumerate()
        .map(|(i, e)| match Canon::of(e.kind, &e.value) {
            Ok(c) => Some(c),
            Err(msg) => {
                findings.push(Finding::new(
                    FindingCode::Invalid,
                    i,
                    format!("{} {:?} cannot be canonicalised: {msg}", e.kind, e.value),
                ));
                None
            }
        })
        .collect();
    let allow_canon: Vec<Vec<Option<Canon>>> =
        config.allow.iter().map(|a| canon::all(a.list)).collect();
    let cx = Context::new(input, config, &canon, &allow_canon);

    let mut first_seen: HashMap<Key<'_>, usize> = HashMap::new();
    // Duplicates are reported once as such, not again for what they cover.
    let mut duplicate = vec![false; canon.len()];
    for (i, (c, e)) in canon.iter().zip(&list.entries).enumerate() {
        let Some(c) = c else { continue };
        findings.extend(
            [
                checks::public_suffix(&cx, i, e, c),
                checks::never_block(&cx, i, e, c),
                checks::hashed_public_suffix(&cx, i, e, c),
                checks::hashed_never_block(&cx, i, e, c),
                checks::deep_prefix(i, e, c),
                checks::allowed(&cx, i, e, c),
            ]
            .into_iter()
            .flatten(),
        );
        if let Some(f) = checks::duplicate(&cx, &mut first_seen, i, e, c) {
            duplicate[i] = true;
            findings.push(f);
        }
    }

    let coverers = Coverers::build(&canon);
    findings.extend(coverage::covers_many(
        input, config, &canon, &coverers, &duplicate,
    ));
    findings.extend(coverage::covers_allowed(
        input,
        config,
        &allow_canon,
        &canon,
        &coverers,
        &duplicate,
    ));
    findings.sort_by_key(|f| (f.entry, f.severity));
    findings
}

/// Entries present in more than one of `inputs` (lists linted together),
/// after canonicalisation as for `duplicate`: each entry also found in an
/// earlier list is reported once, as `cross-duplicate` (warning), naming
/// both lists' ids and where the first occurrence is. Returns (index of the
/// list in `inputs`, finding); within-list duplicates are left to [`lint`].
pub fn lint_across(inputs: &[LintInput<'_>]) -> Vec<(usize, Finding)> {
    let canon: Vec<Vec<Option<Canon>>> = inputs.iter().map(|i| canon::all(i.list)).collect();
    let mut first: HashMap<Key<'_>, (usize, usize)> = HashMap::new();
    let mut findings = Vec::new();
    for (li, entries) in canon.iter().enumerate() {
        let mut here: HashSet<Key<'_>> = HashSet::new();
        for (ei, c) in entries.iter().enumerate() {
            let Some(c) = c else { continue };
            let key = c.key();
            if !here.insert(key) {
                continue;
            }
            match first.get(&key) {
                Some(&(fl, fe)) if fl != li => {
                    let e = &inputs[li].list.entries[ei];
                    let message = format!(
                        "{} {:?} of list {} is also in list {} at {}",
                        e.kind,
                        e.value,
                        inputs[li].list.meta.id,
                        inputs[fl].list.meta.id,
                        inputs[fl].location(fe)
                    );
                    findings.push((li, Finding::new(FindingCode::CrossDuplicate, ei, message)));
                }
                Some(_) => {}
                None => {
                    first.insert(key, (li, ei));
                }
            }
        }
    }
    findings
}

#[cfg(test)]
mod tests;
