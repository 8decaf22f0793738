//! Spellings of a listed URL that origin servers serve as the listed
//! resource (issue "Close the blocking bypasses"): each class is a table of
//! spellings that must match, and of near misses that must not.

use hashwall::{ListConfig, Snapshot};
use hashwall_lists::List;

const LIST: &[u8] = b"\
# issuer: Test Police
url http://files.example/abuse/image-0001.jpg ref-url
url http://files.example/view.php?id=7 ref-url-query
url-prefix banned.example/gallery/ ref-prefix
domain whole.example ref-domain
";

fn snapshot(config: &ListConfig) -> Snapshot {
    let list = List::from_text(LIST, "police").unwrap_or_else(|e| panic!("{e}"));
    Snapshot::builder()
        .add_list(&list, config)
        .unwrap_or_else(|e| panic!("{e}"))
        .build()
}

/// The references matched for `url`, in order.
fn refs(s: &Snapshot, url: &str) -> Vec<String> {
    let v = s.check_url(url).unwrap_or_else(|e| panic!("{url}: {e}"));
    v.matches()
        .iter()
        .map(|m| m.reference().unwrap_or("-").to_owned())
        .collect()
}

fn check_table(s: &Snapshot, rows: &[(&str, &[&str])]) {
    for (url, want) in rows {
        assert_eq!(refs(s, url), *want, "{url}");
    }
}

#[test]
fn a_url_entry_without_query_matches_any_query() {
    let s = snapshot(&ListConfig::default());
    check_table(
        &s,
        &[
            ("http://files.example/abuse/image-0001.jpg", &["ref-url"]),
            (
                "http://files.example/abuse/image-0001.jpg?x=1",
                &["ref-url"],
            ),
            ("http://files.example/abuse/image-0001.jpg?", &["ref-url"]),
            (
                "http://files.example/abuse/image-0001.jpg?a=1&b=2#f",
                &["ref-url"],
            ),
            (
                "http://files.example/abuse/image-0001.jpg?%78=%31",
                &["ref-url"],
            ),
            (
                "https://FILES.example:443/abuse/./image-0001.jpg?cb=99",
                &["ref-url"],
            ),
            // An entry with a query matches only that query.
            ("http://files.example/view.php?id=7", &["ref-url-query"]),
            ("http://files.example/view.php?id=8", &[]),
            ("http://files.example/view.php", &[]),
            // Never another path or a subdomain.
            ("http://files.example/abuse/image-0002.jpg?x=1", &[]),
            ("http://www.files.example/abuse/image-0001.jpg?x=1", &[]),
        ],
    );
}

#[test]
fn path_parameters_are_read_as_origins_read_them() {
    let s = snapshot(&ListConfig::default());
    check_table(
        &s,
        &[
            (
                "http://files.example/abuse/image-0001.jpg;jsessionid=1",
                &["ref-url"],
            ),
            ("http://files.example/abuse;x/image-0001.jpg", &["ref-url"]),
            (
                "http://files.example/abuse;x=1;y=2/image-0001.jpg;z?q=1",
                &["ref-url"],
            ),
            (
                "http://files.example/other/..;/abuse/image-0001.jpg",
                &["ref-url"],
            ),
            (
                "http://files.example/abuse/%3Bx/../image-0001.jpg",
                &["ref-url"],
            ),
            ("http://banned.example/gallery;v=2/1.jpg", &["ref-prefix"]),
            ("http://banned.example/x/..;/gallery/1.jpg", &["ref-prefix"]),
            ("http://banned.example/gallery/1.jpg;", &["ref-prefix"]),
            // Reported once, though two readings match.
            ("http://banned.example/gallery/a;b/1.jpg", &["ref-prefix"]),
            ("http://whole.example/a;b", &["ref-domain"]),
            // A parameter does not make a different path match.
            ("http://banned.example/galleryx;/1.jpg", &[]),
            ("http://files.example/abuse/image-0001.jpgx;y", &[]),
        ],
    );
}

#[test]
fn letter_case_only_for_lists_that_ask_for_it() {
    let sensitive = snapshot(&ListConfig::default());
    let insensitive = snapshot(&ListConfig::default().case_insensitive_paths());
    let rows: &[(&str, &[&str], &[&str])] = &[
        ("http://banned.example/GALLERY/1.jpg", &[], &["ref-prefix"]),
        ("http://banned.example/Gallery/1.JPG", &[], &["ref-prefix"]),
        (
            "http://banned.example/gallery/1.jpg",
            &["ref-prefix"],
            &["ref-prefix"],
        ),
        (
            "http://banned.example/GaLlErY;x/1.jpg",
            &[],
            &["ref-prefix"],
        ),
        (
            "http://files.example/ABUSE/IMAGE-0001.JPG",
            &[],
            &["ref-url"],
        ),
        (
            "http://files.example/Abuse/Image-0001.jpg?X=1",
            &[],
            &["ref-url"],
        ),
        // The query stays case-sensitive.
        (
            "http://files.example/VIEW.php?id=7",
            &[],
            &["ref-url-query"],
        ),
        ("http://files.example/view.php?ID=7", &[], &[]),
        ("http://banned.example/GALLERIES/1.jpg", &[], &[]),
    ];
    for (url, want_sensitive, want_insensitive) in rows {
        assert_eq!(refs(&sensitive, url), *want_sensitive, "sensitive {url}");
        assert_eq!(
            refs(&insensitive, url),
            *want_insensitive,
            "insensitive {url}"
        );
    }
}

#[test]
fn folding_applies_to_the_configured_list_only() {
    let a = List::from_text(b"# issuer: A\nurl-prefix h.example/Private/ a\n", "a");
    let b = List::from_text(b"# issuer: B\nurl-prefix h.example/private/ b\n", "b");
    let (a, b) = (
        a.unwrap_or_else(|e| panic!("{e}")),
        b.unwrap_or_else(|e| panic!("{e}")),
    );
    let s = Snapshot::builder()
        .add_list(&a, &ListConfig::default().case_insensitive_paths())
        .and_then(|x| x.add_list(&b, &ListConfig::default()))
        .unwrap_or_else(|e| panic!("{e}"))
        .build();
    assert_eq!(refs(&s, "http://h.example/PRIVATE/x"), ["a"]);
    assert_eq!(refs(&s, "http://h.example/private/x"), ["a", "b"]);
    assert_eq!(refs(&s, "http://h.example/Private/x"), ["a"]);
}
