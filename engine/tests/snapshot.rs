//! The snapshot, its verdicts and their provenance.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use hashwall::url::{CanonicalUrl, canonical_expression};
use hashwall::{Action, Engine, ErrorKind, ListConfig, Snapshot, UrlErrorKind};
use hashwall_lists::{EntryKind, List, Policy};
use sha2::{Digest, Sha256};

fn list(text: &str, id: &str) -> List {
    List::from_text(text.as_bytes(), id).expect("test list parses")
}

/// Three issuers: a British hotline (block), a German police list loaded in
/// monitor mode, and the operator's own allow list for false positives.
fn three_issuers() -> Snapshot {
    let iwf = list(
        "# issuer: IWF\n# jurisdiction: GB\n# category: csam\n# policy: block\n\
         url-prefix evil.example/gallery/ IWF-1\n\
         domain bad.example IWF-2\n\
         url http://shared.example/page.html IWF-3\n",
        "iwf",
    );
    let bka = list(
        "# issuer: BKA\n# jurisdiction: DE\n# category: terrorism\n# policy: block\n\
         domain propaganda.example BKA-1\n\
         url http://shared.example/page.html BKA-2\n\
         url-prefix evil.example/ BKA-3\n",
        "bka",
    );
    let allow = list(
        "# issuer: operator\n# jurisdiction: NL\n# category: other\n# policy: allow\n\
         url http://evil.example/gallery/press-release.html FP-1\n",
        "fp",
    );
    let mut b = Snapshot::builder();
    b.add_list(&iwf, &ListConfig::default()).expect("iwf");
    // Enforced in monitor mode until a national authority approves it.
    b.add_list(&bka, &ListConfig::default().with_policy(Policy::Monitor))
        .expect("bka");
    b.add_list(&allow, &ListConfig::default()).expect("allow");
    b.build()
}

#[test]
fn precedence_table_across_three_issuers() {
    let snap = three_issuers();
    // (url, action, lists that matched, in list order)
    let cases: &[(&str, Action, &[&str])] = &[
        ("http://example.org/", Action::NoMatch, &[]),
        (
            "http://evil.example/gallery/a.jpg",
            Action::Block,
            &["iwf", "bka"],
        ),
        ("http://www.evil.example/other/", Action::Monitor, &["bka"]),
        ("http://propaganda.example/x", Action::Monitor, &["bka"]),
        ("http://cdn.bad.example/x", Action::Block, &["iwf"]),
        (
            "http://shared.example/page.html",
            Action::Block,
            &["iwf", "bka"],
        ),
        (
            "https://shared.example/page.html",
            Action::Block,
            &["iwf", "bka"],
        ),
        (
            "http://evil.example/gallery/press-release.html",
            Action::Allow,
            &["iwf", "bka", "fp"],
        ),
    ];
    for (url, action, lists) in cases {
        let v = snap.check_url(url).expect("valid url");
        assert_eq!(v.action(), *action, "{url}");
        let got: Vec<&str> = v.matches().iter().map(|m| m.list().id()).collect();
        assert_eq!(&got, lists, "{url}");
        assert_eq!(v.is_blocked(), *action == Action::Block);
    }
}

#[test]
fn matches_carry_full_provenance() {
    let snap = three_issuers();
    let v = snap
        .check_url("http://shared.example/page.html")
        .expect("valid");
    let bka = &v.matches()[1];
    assert_eq!(bka.list().issuer(), "BKA");
    assert_eq!(bka.list().jurisdiction().as_str(), "DE");
    assert_eq!(bka.list().category().to_string(), "terrorism");
    assert_eq!(bka.list().policy(), Policy::Monitor);
    assert_eq!(bka.list().issuer_policy(), Policy::Block);
    assert_eq!(bka.kind(), EntryKind::Url);
    assert_eq!(bka.reference(), Some("BKA-2"));
    assert_eq!(bka.expression(), "shared.example/page.html");
    assert_eq!(bka.action(), Action::Monitor);
}

#[test]
fn each_kind_matches_exactly_what_it_should() {
    let l = list(
        "url http://files.example/a/img.jpg U\n\
         url http://q.example/s?x=1 Q\n\
         url-prefix pre.example/dir/ P\n\
         domain dom.example D\n\
         domain 10.1.2.3 IP\n",
        "t",
    );
    let snap = Snapshot::builder()
        .add_list(&l, &ListConfig::default())
        .expect("builds")
        .build();
    let blocked = |u: &str| snap.check_url(u).expect("valid url").is_blocked();
    // url: exact canonical URL, http or https, any escaping; without a
    // query in the entry, any query; nothing else.
    assert!(blocked("http://files.example/a/img.jpg"));
    assert!(blocked("https://FILES.example/a/%69mg.jpg#frag"));
    assert!(blocked("http://files.example:8080/a/./b/../img.jpg"));
    assert!(!blocked("http://www.files.example/a/img.jpg"));
    assert!(blocked("http://files.example/a/img.jpg?x"));
    assert!(!blocked("http://files.example/a/"));
    assert!(blocked("http://q.example/s?x=1"));
    assert!(!blocked("http://q.example/s"));
    assert!(!blocked("http://q.example/s?x=2"));
    // url-prefix: host suffixes x path prefixes (Safe Browsing).
    assert!(blocked("http://pre.example/dir/"));
    assert!(blocked("http://a.b.pre.example/dir/sub/x.html?q=1"));
    assert!(!blocked("http://pre.example/dirt/"));
    assert!(!blocked("http://pre.example/"));
    // domain: the host and every subdomain, at label boundaries only.
    assert!(blocked("http://dom.example/"));
    assert!(blocked("http://a.b.c.d.e.f.dom.example/x"));
    assert!(!blocked("http://notdom.example/"));
    assert!(!blocked("http://dom.example.org/"));
    assert!(blocked("http://10.1.2.3/x"));
    assert!(
        blocked("http://167838211/x"),
        "10.1.2.3 written as one number"
    );
}

#[test]
fn the_same_entry_on_one_list_is_named_once() {
    let l = list("domain dup.example R\ndomain dup.example R\n", "dup");
    let snap = Snapshot::builder()
        .add_list(&l, &ListConfig::default())
        .expect("builds")
        .build();
    let v = snap.check_url("http://dup.example/").expect("valid");
    assert_eq!(v.matches().len(), 1);
}

fn sha256_hex(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A list shared as SHA-256 of its expressions matches exactly what its
/// plaintext matches.
#[test]
fn hashed_list_matches_identically_to_plaintext() {
    let exprs = [
        "evil.example/",
        "evil.example/gallery/",
        "sub.evil.example/a/b/c.html",
        "q.example/page?id=7",
        "1.2.3.4/x/",
        "[2001:db8::1]/",
    ];
    let mut plain = String::from("# issuer: hotline\n");
    let mut hashed = String::from("# issuer: hotline\n");
    for (i, e) in exprs.iter().enumerate() {
        plain.push_str(&format!("url-prefix {e} R{i}\n"));
        let canon = canonical_expression(e).expect("canonical");
        hashed.push_str(&format!("url-sha256 {} R{i}\n", sha256_hex(&canon)));
    }
    let build = |t: &str| {
        Snapshot::builder()
            .add_list(&list(t, "l"), &ListConfig::default())
            .expect("builds")
            .build()
    };
    let (p, h) = (build(&plain), build(&hashed));
    let urls = [
        "http://evil.example/",
        "http://evil.example/anything",
        "https://www.evil.example/gallery/x.jpg?y=1",
        "http://a.b.c.d.e.evil.example/gallery/",
        "http://sub.evil.example/a/b/c.html",
        "http://x.sub.evil.example/a/b/c.html",
        "http://sub.evil.example/a/b/c.html?z",
        "http://q.example/page?id=7",
        "http://q.example/page?id=8",
        "http://q.example/page",
        "http://1.2.3.4/x/y",
        "http://0x01020304/x/",
        "http://1.2.3.5/x/",
        "http://[2001:db8:0::1]/p",
        "http://other.example/evil.example/",
    ];
    for u in urls {
        let (vp, vh) = (p.check_url(u).expect("url"), h.check_url(u).expect("url"));
        assert_eq!(vp.action(), vh.action(), "{u}");
        let key = |v: &hashwall::Verdict| {
            let mut k: Vec<(String, Option<String>)> = v
                .matches()
                .iter()
                .map(|m| {
                    (
                        m.expression().into_owned(),
                        m.reference().map(str::to_owned),
                    )
                })
                .collect();
            k.sort();
            k
        };
        assert_eq!(key(&vp), key(&vh), "{u}");
    }
}

#[test]
fn invalid_entries_are_refused_or_skipped_and_counted() {
    let l = list("url-prefix ok.example/\nurl http:///nohost\n", "bad");
    let err = Snapshot::builder()
        .add_list(&l, &ListConfig::default())
        .expect_err("strict by default");
    assert_eq!(err.kind(), ErrorKind::InvalidEntry);
    assert!(err.to_string().contains("nohost"), "{err}");
    let mut b = Snapshot::builder();
    b.add_list(&l, &ListConfig::default().skipping_invalid())
        .expect("skips");
    let snap = b.build();
    assert_eq!(snap.stats().skipped, 1);
    assert_eq!(snap.stats().url_entries, 1);
    assert!(
        snap.check_url("http://ok.example/")
            .expect("url")
            .is_blocked()
    );
}

#[test]
fn malformed_urls_are_typed_errors() {
    let snap = three_issuers();
    for (input, kind) in [
        ("", UrlErrorKind::Empty),
        ("/no/host", UrlErrorKind::MissingHost),
        ("http://host:99999/", UrlErrorKind::InvalidPort),
        ("http://[::zz]/", UrlErrorKind::InvalidIpv6),
        ("ftp://evil.example/", UrlErrorKind::UnsupportedScheme),
        ("http://a:b:80/", UrlErrorKind::InvalidHost),
    ] {
        let err = snap.check_url(input).expect_err(input);
        assert_eq!(err.kind(), ErrorKind::Url(kind), "{input}: {err}");
    }
}

#[test]
fn an_empty_snapshot_matches_nothing() {
    let snap = Snapshot::empty();
    let v = snap.check_url("http://evil.example/").expect("url");
    assert_eq!(v.action(), Action::NoMatch);
    assert!(v.is_empty());
}

#[test]
fn swaps_under_concurrent_readers_are_consistent() {
    let blocking = || {
        Snapshot::builder()
            .add_list(&list("domain swap.example\n", "on"), &ListConfig::default())
            .expect("builds")
            .build()
    };
    let engine = Arc::new(Engine::new(Snapshot::empty()));
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let (engine, stop) = (Arc::clone(&engine), Arc::clone(&stop));
            std::thread::spawn(move || {
                let mut checks = 0u64;
                // Check before looking at `stop`, so that every reader checks
                // at least once however the threads are scheduled.
                loop {
                    let snap = engine.snapshot();
                    // Within one snapshot the answer never changes.
                    let a = snap.check_url("http://swap.example/").expect("url");
                    let b = snap.check_url("http://www.swap.example/").expect("url");
                    assert_eq!(a.is_blocked(), b.is_blocked());
                    checks += 1;
                    if stop.load(Ordering::Relaxed) {
                        return checks;
                    }
                }
            })
        })
        .collect();
    for i in 0..200 {
        engine.swap(if i % 2 == 0 {
            blocking()
        } else {
            Snapshot::empty()
        });
        std::thread::yield_now();
    }
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        let checks = r.join().expect("reader thread did not panic");
        assert!(checks > 0);
    }
}

/// Brute force: every entry against every expression and domain suffix.
fn oracle(entries: &[(EntryKind, String)], url: &CanonicalUrl) -> Vec<usize> {
    let exprs: Vec<String> = url.expressions().map(|e| e.to_string()).collect();
    let full = {
        let path = match url.query() {
            Some("") => url.path().to_owned(),
            _ => url.path_and_query().to_owned(),
        };
        format!("{}{}", url.host(), path)
    };
    // An entry without a query matches the URL whatever its query.
    let bare = format!("{}{}", url.host(), url.path());
    let suffixes: Vec<&str> = url.domain_suffixes().collect();
    let mut hits = Vec::new();
    for (i, (kind, value)) in entries.iter().enumerate() {
        let hit = match kind {
            EntryKind::Url => {
                let c = CanonicalUrl::parse(value.as_bytes()).expect("valid entry");
                let p = match c.query() {
                    Some("") => c.path().to_owned(),
                    _ => c.path_and_query().to_owned(),
                };
                let entry = format!("{}{}", c.host(), p);
                entry == full || entry == bare
            }
            EntryKind::UrlPrefix => {
                let c = canonical_expression(value).expect("valid entry");
                exprs.contains(&c)
            }
            EntryKind::Domain => suffixes.contains(&value.as_str()),
            _ => false,
        };
        if hit {
            hits.push(i);
        }
    }
    hits
}

mod props {
    use super::*;
    use proptest::prelude::*;

    const HOSTS: &[&str] = &[
        "a.example",
        "b.a.example",
        "c.b.a.example",
        // Six labels: under a subdomain it is a domain suffix but not a
        // Safe Browsing expression host (those stop at five labels).
        "e.d.c.b.a.example",
        "x.test",
        "1.2.3.4",
    ];
    const PATHS: &[&str] = &["/", "/p/", "/p/q/", "/p/q/r.html", "/p/q/r.html?s=1", "/z"];

    fn entry() -> impl Strategy<Value = (EntryKind, String)> {
        (0..3usize, 0..HOSTS.len(), 0..PATHS.len()).prop_map(|(k, h, p)| match k {
            0 => (EntryKind::Url, format!("http://{}{}", HOSTS[h], PATHS[p])),
            1 => (EntryKind::UrlPrefix, format!("{}{}", HOSTS[h], PATHS[p])),
            _ => (EntryKind::Domain, HOSTS[h].to_owned()),
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn snapshot_agrees_with_brute_force(
            entries in prop::collection::vec(entry(), 0..20),
            sub in prop::sample::select(vec!["", "www.", "m.www."]),
            h in 0..HOSTS.len(),
            p in 0..PATHS.len(),
        ) {
            let mut text = String::new();
            for (i, (k, v)) in entries.iter().enumerate() {
                text.push_str(&format!("{} {} E{i}\n", k.as_str(), v));
            }
            let l = List::from_text(text.as_bytes(), "p").expect("parses");
            let snap = Snapshot::builder().add_list(&l, &ListConfig::default()).expect("builds").build();
            let host = if HOSTS[h] == "1.2.3.4" { HOSTS[h].to_owned() } else { format!("{sub}{}", HOSTS[h]) };
            let url = format!("http://{host}{}", PATHS[p]);
            let canon = CanonicalUrl::parse(url.as_bytes()).expect("valid");
            let verdict = snap.check_url(&url).expect("valid");
            let mut got: Vec<String> = verdict.matches().iter().map(|m| m.reference().unwrap_or("").to_owned()).collect();
            got.sort();
            got.dedup();
            // Duplicated entries are reported once: compare distinct references.
            let mut want: Vec<String> = oracle(&entries, &canon).into_iter().map(|i| format!("E{i}")).collect();
            want.sort();
            prop_assert_eq!(got, want, "url {}", url);
        }
    }
}
