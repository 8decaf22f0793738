use super::*;

fn parse(text: &str, id: &str) -> List {
    List::from_text(text.as_bytes(), id).unwrap_or_else(|e| panic!("{e}"))
}

fn codes(findings: &[Finding]) -> Vec<(usize, FindingCode)> {
    findings.iter().map(|f| (f.entry, f.code)).collect()
}

#[test]
fn duplicates_across_lists() {
    let a = parse(
        "domain bad.example\nurl-prefix evil.example/a/\nmd5 d41d8cd98f00b204e9800998ecf8427e\n",
        "a",
    );
    let b_text = format!(
        "domain BAD.example.\nurl-sha256 {}\ndomain only-b.example\ndomain bad.example\n",
        hashwall_lists::exchange::sha256_hex(b"evil.example/a/")
    );
    let b = parse(&b_text, "b");
    let c = parse(
        "md5 D41D8CD98F00B204E9800998ECF8427E\ndomain only-b.example\n",
        "c",
    );
    let inputs = [LintInput::new(&a), LintInput::new(&b), LintInput::new(&c)];
    let got: Vec<(usize, usize, FindingCode)> = lint_across(&inputs)
        .iter()
        .map(|(l, f)| (*l, f.entry, f.code))
        .collect();
    // b's first entry (same host) and its hashed prefix; not its own
    // second copy of bad.example (a within-list duplicate); c's md5 and
    // its domain first seen in b.
    use FindingCode::CrossDuplicate as X;
    assert_eq!(got, [(1, 0, X), (1, 1, X), (2, 0, X), (2, 1, X)]);
    let f = &lint_across(&inputs)[0].1;
    assert_eq!(f.severity, Severity::Warning);
    assert_eq!(
        f.message,
        "domain \"BAD.example.\" of list b is also in list a at a entry #1"
    );
    // One list alone: nothing.
    assert!(lint_across(&inputs[..1]).is_empty());
}

#[test]
fn hashed_whole_host_blocks_are_found() {
    let hex = |s: &str| hashwall_lists::exchange::sha256_hex(s.as_bytes());
    let text = format!(
        "url-sha256 {}\nurl-sha256 {}\nurl-sha256 {}\n",
        hex("co.uk/"),
        hex("google.com/"),
        hex("fine.example/")
    );
    let list = parse(&text, "h");
    let f = lint(
        &LintInput::new(&list),
        &LintConfig::new(PublicSuffixList::fallback()),
    );
    assert_eq!(
        codes(&f),
        [(0, FindingCode::PublicSuffix), (1, FindingCode::NeverBlock)]
    );
}

#[test]
fn deep_prefixes_are_reported() {
    let list = parse(
        "url-prefix a.example/1/2/3/\nurl-prefix a.example/1/2/3/4/\nurl-prefix a.example/1/2/3/4/x.html\n",
        "d",
    );
    let f = lint(
        &LintInput::new(&list),
        &LintConfig::new(PublicSuffixList::fallback()),
    );
    assert_eq!(codes(&f), [(1, FindingCode::DeepPrefix)]);
}

/// One entry can trip several checks: they come in a fixed order, each
/// entry's findings by severity, with the exact messages.
#[test]
fn every_check_on_one_list() {
    let allow = parse("domain allowed.example\nurl www.ok.example/page\n", "allow");
    let list = parse(
        "domain co.uk\n\
         url-prefix google.com/\n\
         domain allowed.example\n\
         domain ok.example\n\
         domain bad.example:99999\n\
         domain co.uk\n",
        "l",
    );
    let mut config = LintConfig::new(PublicSuffixList::fallback());
    config.allow = vec![LintInput::new(&allow)];
    config.cover_threshold = 1;
    let f = lint(&LintInput::new(&list), &config);
    use FindingCode::*;
    assert_eq!(
        codes(&f),
        [
            (0, PublicSuffix),
            (1, NeverBlock),
            (2, Allowed),
            (3, CoversAllowed),
            (4, Invalid),
            (5, PublicSuffix),
            (5, Duplicate),
        ]
    );
    assert!(f.iter().all(|x| x.severity == x.code.severity()));
    assert_eq!(
        f[1].message,
        "url-prefix \"google.com/\" blocks all of google.com, which is on the never-block list"
    );
    assert_eq!(
        f[3].message,
        "domain \"ok.example\" covers url \"www.ok.example/page\", allowed at allow entry #2"
    );
    assert_eq!(
        f[6].message,
        "domain \"co.uk\" duplicates the entry at l entry #1"
    );
}

#[test]
fn covers_many_counts_other_entries_not_duplicates() {
    let list = parse(
        "domain evil.example\n\
         url-prefix a.evil.example/x/\n\
         url www.evil.example/y.html\n\
         domain evil.example\n",
        "c",
    );
    let mut config = LintConfig::new(PublicSuffixList::fallback());
    config.cover_threshold = 2;
    let f = lint(&LintInput::new(&list), &config);
    assert_eq!(
        codes(&f),
        [(0, FindingCode::CoversMany), (3, FindingCode::Duplicate)]
    );
    assert!(f[0].message.starts_with(
        "domain \"evil.example\" covers 2 other entries of the list (the first at c entry #2)"
    ));
    config.cover_threshold = 3;
    assert_eq!(
        codes(&lint(&LintInput::new(&list), &config)),
        [(3, FindingCode::Duplicate)]
    );
}

#[test]
fn codes_have_stable_tokens() {
    use FindingCode::*;
    let all = [
        Invalid,
        PublicSuffix,
        NeverBlock,
        Allowed,
        Duplicate,
        DeepPrefix,
        CoversMany,
        CoversAllowed,
        CrossDuplicate,
    ];
    let tokens: Vec<String> = all.iter().map(ToString::to_string).collect();
    assert_eq!(
        tokens,
        [
            "invalid",
            "public-suffix",
            "never-block",
            "allowed",
            "duplicate",
            "deep-prefix",
            "covers-many",
            "covers-allowed",
            "cross-duplicate"
        ]
    );
}
