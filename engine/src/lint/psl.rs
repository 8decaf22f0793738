//! The Public Suffix List, read at run time with the `publicsuffix` crate.
//!
//! The crate does the matching (wildcards, exceptions, the implicit `*`
//! rule, IDN rules also as punycode). What it cannot do is list its rules,
//! and the hashed check needs them: a `url-sha256` entry can only be compared
//! with the SHA-256 of `rule/` for every rule, so the plain rules are kept
//! too, canonicalised like hosts.

use std::fmt;

use publicsuffix::Psl as _;

use crate::url::canonical_host;

/// The embedded fallback, in the list's own format: the most common
/// multi-label suffixes and shared-hosting platforms.
const FALLBACK: &str = include_str!("fallback_suffixes.dat");

/// The section marker the `publicsuffix` crate starts reading rules at.
const ICANN_MARKER: &str = "===BEGIN ICANN DOMAINS===";

/// The Public Suffix List: which hosts are public suffixes.
///
/// ```
/// use hashwall::lint::PublicSuffixList;
///
/// let psl = PublicSuffixList::parse("// ===BEGIN ICANN DOMAINS===\nuk\nco.uk\n*.ck\n!www.ck\n")?;
/// assert!(psl.is_public_suffix("co.uk"));
/// assert!(psl.is_public_suffix("anything.ck"));
/// assert!(!psl.is_public_suffix("www.ck"));
/// assert!(!psl.is_public_suffix("example.co.uk"));
/// # Ok::<(), hashwall::lint::InvalidPublicSuffixList>(())
/// ```
#[derive(Debug, Clone)]
pub struct PublicSuffixList {
    list: publicsuffix::List,
    /// The plain rules (neither wildcards nor exceptions), canonical.
    plain: Vec<String>,
    /// Every rule line, for [`PublicSuffixList::len`].
    rules: usize,
}

/// The error of [`PublicSuffixList::parse`]: the text is not a Public
/// Suffix List the `publicsuffix` crate accepts (no rule, an empty label, an
/// exception on a top-level label, a rule IDNA cannot map).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidPublicSuffixList(String);

impl fmt::Display for InvalidPublicSuffixList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not a valid Public Suffix List: {}", self.0)
    }
}

impl std::error::Error for InvalidPublicSuffixList {}

impl PublicSuffixList {
    /// Parses the list's text format (`public_suffix_list.dat`): one rule
    /// per line, `//` comments, `*.` wildcards, `!` exceptions. A file
    /// without the `===BEGIN ICANN DOMAINS===` marker (a hand-made list) is
    /// read whole as ICANN rules.
    ///
    /// # Errors
    ///
    /// When the crate refuses the text: no rule at all, a rule with an empty
    /// label, an exception on a single label, a rule IDNA cannot map.
    pub fn parse(text: &str) -> Result<PublicSuffixList, InvalidPublicSuffixList> {
        let list = if text.contains(ICANN_MARKER) {
            text.parse::<publicsuffix::List>()
        } else {
            format!("// {ICANN_MARKER}\n{text}").parse::<publicsuffix::List>()
        }
        .map_err(|e| InvalidPublicSuffixList(e.to_string()))?;
        let mut plain = Vec::new();
        let mut rules = 0;
        for rule in text.lines().filter_map(rule_of) {
            rules += 1;
            if rule.starts_with(['!', '*']) {
                continue;
            }
            // The crate accepted the rule, so it maps; keep the guard anyway.
            if let Ok(host) = canonical_host(rule) {
                plain.push(host);
            }
        }
        Ok(PublicSuffixList { list, plain, rules })
    }

    /// The embedded fallback: common multi-label suffixes and hosting
    /// platforms, plus the default rule (every single-label name).
    pub fn fallback() -> PublicSuffixList {
        match PublicSuffixList::parse(FALLBACK) {
            Ok(psl) => psl,
            // The embedded file is valid (tested): unreachable.
            Err(_) => PublicSuffixList {
                list: publicsuffix::List::new(),
                plain: Vec::new(),
                rules: 0,
            },
        }
    }

    /// Number of rules.
    pub fn len(&self) -> usize {
        self.rules
    }

    /// Whether there are no rules (only the default rule applies).
    pub fn is_empty(&self) -> bool {
        self.rules == 0
    }

    /// Whether a canonical host is a public suffix: a rule, a label under a
    /// wildcard rule (unless an exception), or any single-label name (the
    /// list's default rule `*`). IP addresses never are.
    pub fn is_public_suffix(&self, host: &str) -> bool {
        !super::canon::is_ip(host)
            && self
                .list
                .suffix(host.as_bytes())
                .is_some_and(|s| s.as_bytes() == host.as_bytes())
    }

    /// The plain rules (not wildcards or exceptions), canonical: what a
    /// hashed whole-host entry is compared with.
    pub(crate) fn plain_rules(&self) -> &[String] {
        &self.plain
    }
}

/// The rule on a line of the list, if it holds one.
fn rule_of(line: &str) -> Option<&str> {
    line.split_whitespace()
        .next()
        .filter(|r| !r.starts_with("//"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_wildcards_exceptions_and_idn() {
        let psl = PublicSuffixList::parse(
            "// comment\ncom\nco.uk\n*.ck\n!www.ck\n// ===BEGIN PRIVATE DOMAINS===\ngithub.io\n公司.cn\n",
        )
        .expect("valid");
        for h in [
            "com",
            "co.uk",
            "foo.ck",
            "github.io",
            "xn--55qx5d.cn",
            "example",
        ] {
            assert!(psl.is_public_suffix(h), "{h}");
        }
        for h in [
            "example.com",
            "www.ck",
            "a.foo.ck",
            "x.github.io",
            "192.0.2.1",
            "[::1]",
        ] {
            assert!(!psl.is_public_suffix(h), "{h}");
        }
        assert_eq!(psl.len(), 6);
        assert_eq!(
            psl.plain_rules(),
            ["com", "co.uk", "github.io", "xn--55qx5d.cn"]
        );
    }

    #[test]
    fn the_embedded_fallback_parses() {
        let psl = PublicSuffixList::fallback();
        assert_eq!(psl.len(), 109);
        assert_eq!(psl.plain_rules().len(), 109);
        assert!(psl.is_public_suffix("co.uk"));
        assert!(psl.is_public_suffix("github.io"));
        assert!(!psl.is_public_suffix("user.github.io"));
    }

    #[test]
    fn invalid_lists_are_refused() {
        for text in ["", "// only a comment\n", "a..b\n", "!com\n"] {
            assert!(PublicSuffixList::parse(text).is_err(), "{text:?}");
        }
    }
}
