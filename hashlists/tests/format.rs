//! Successful parses: headers, defaults, line ends, comments, references.

#![allow(clippy::unwrap_used)]

use hashwall_lists::{Category, Entry, EntryKind, Jurisdiction, List, ListMeta, Policy, Timestamp};

fn parse(text: &str) -> List {
    match List::from_text(text.as_bytes(), "fallback") {
        Ok(l) => l,
        Err(e) => panic!("{text:?}: {e}"),
    }
}

fn entry(kind: EntryKind, value: &str, reference: Option<&str>) -> Entry {
    Entry {
        kind,
        value: value.into(),
        reference: reference.map(Into::into),
        added: None,
    }
}

#[test]
fn bare_lines_load_with_defaults() {
    let l = parse("url example.com/a\ndomain example.org\nmd5 D41D8CD98F00B204E9800998ECF8427E\n");
    assert_eq!(l.meta, ListMeta::with_defaults("fallback"));
    assert_eq!(l.meta.issuer, "local");
    assert_eq!(l.meta.name, "fallback");
    assert_eq!(l.meta.jurisdiction, Jurisdiction::INTERNATIONAL);
    assert_eq!(l.meta.category, Category::Other("other".into()));
    assert_eq!(l.meta.policy, Policy::Block);
    assert_eq!(l.meta.sequence, 0);
    assert_eq!(l.meta.created, Timestamp::from_unix_seconds(0));
    assert_eq!(l.meta.expires, None);
    assert_eq!(
        l.entries,
        vec![
            entry(EntryKind::Url, "example.com/a", None),
            entry(EntryKind::Domain, "example.org", None),
            entry(EntryKind::Md5, "d41d8cd98f00b204e9800998ecf8427e", None),
        ]
    );
}

#[test]
fn empty_input() {
    for t in [
        "",
        "\n",
        "\r\n",
        "\u{feff}",
        "# just a comment\n",
        "  \t \n",
    ] {
        let l = parse(t);
        assert!(l.entries.is_empty());
        assert_eq!(l.meta, ListMeta::with_defaults("fallback"));
    }
}

#[test]
fn default_id_is_sanitised() {
    let l = List::from_text(b"", "my list (2024)").unwrap();
    assert_eq!(l.meta.id, "my_list__2024_");
    assert_eq!(l.meta.name, "my_list__2024_");
    assert_eq!(List::from_text(b"", "").unwrap().meta.id, "list");
    assert_eq!(
        List::from_text(b"", &"é".repeat(100)).unwrap().meta.id,
        "_".repeat(64)
    );
    assert!(ListMeta::is_valid_id(&ListMeta::sanitise_id("a/b\\c:d")));
}

#[test]
fn read_file_uses_stem() {
    let dir = std::env::temp_dir().join(format!("hashwall-lists-stem-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("iwf urls.2024.txt");
    std::fs::write(&path, "url-prefix example.com/x\n").unwrap();
    let l = List::read_file(&path).unwrap();
    assert_eq!(l.meta.id, "iwf_urls.2024");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn every_header_key() {
    let l = parse(
        "# hashwall-list: 1\n\
         # id: iwf-2024.05_a\n\
         # issuer: Internet Watch Foundation\n\
         # name: IWF URL list\n\
         # jurisdiction: GB\n\
         # category: csam\n\
         # policy: monitor\n\
         # sequence: 18446744073709551615\n\
         # created: 2024-05-01T12:00:00Z\n\
         # expires: 2024-05-02T12:00:00+02:00\n\
         url-prefix example.com/\n",
    );
    let m = &l.meta;
    assert_eq!(m.id, "iwf-2024.05_a");
    assert_eq!(m.issuer, "Internet Watch Foundation");
    assert_eq!(m.name, "IWF URL list");
    assert_eq!(m.jurisdiction.as_str(), "GB");
    assert_eq!(m.category, Category::Csam);
    assert_eq!(m.policy, Policy::Monitor);
    assert_eq!(m.sequence, u64::MAX);
    assert_eq!(m.created.unix_seconds(), 1_714_564_800);
    assert_eq!(
        m.expires.map(Timestamp::unix_seconds),
        Some(1_714_564_800 + 86_400 - 7200)
    );
}

#[test]
fn header_values_table() {
    type Check = fn(&ListMeta) -> bool;
    let cases: &[(&str, Check)] = &[
        ("# ID: x", |m| m.id == "x" && m.name == "x"),
        ("# Issuer:   BKA  ", |m| m.issuer == "BKA"),
        ("#name:a: b", |m| m.name == "a: b"),
        ("# jurisdiction: de", |m| m.jurisdiction.as_str() == "DE"),
        ("# jurisdiction: int", |m| {
            m.jurisdiction == Jurisdiction::INTERNATIONAL
        }),
        ("# category: Terrorism", |m| {
            m.category == Category::Terrorism
        }),
        ("# category: malware", |m| m.category == Category::Malware),
        ("# category: phishing-kits", |m| {
            m.category == Category::Other("phishing-kits".into())
        }),
        ("# category: other", |m| {
            m.category == Category::Other("other".into())
        }),
        ("# policy: ALLOW", |m| m.policy == Policy::Allow),
        ("# policy: block", |m| m.policy == Policy::Block),
        ("# sequence: 007", |m| m.sequence == 7),
        ("# created: 1970-01-01T00:00:00Z", |m| {
            m.created.unix_seconds() == 0
        }),
        ("# expires: 2000-02-29T00:00:00.123Z", |m| {
            m.expires.is_some()
        }),
        ("# hashwall-list: 1", |m| {
            *m == ListMeta::with_defaults("fallback")
        }),
        ("# x-signature: abc:def", |m| {
            *m == ListMeta::with_defaults("fallback")
        }),
        ("# X-Delta-Base: 12", |m| {
            *m == ListMeta::with_defaults("fallback")
        }),
        ("# The IWF list", |m| {
            *m == ListMeta::with_defaults("fallback")
        }),
        ("# see https://example.org/x: y", |m| {
            *m == ListMeta::with_defaults("fallback")
        }),
        ("#", |m| *m == ListMeta::with_defaults("fallback")),
    ];
    for (line, check) in cases {
        let l = parse(&format!("{line}\nurl a\n"));
        assert!(check(&l.meta), "{line:?} gave {:?}", l.meta);
        assert_eq!(l.entries.len(), 1);
    }
}

#[test]
fn header_ends_at_first_entry() {
    // After the first entry, `#` lines are comments, even key-shaped ones,
    // and even repeated or unknown keys.
    let l = parse("# id: a\nurl x\n# id: b\n# bogus: 1\n# policy: nonsense\nurl y\n");
    assert_eq!(l.meta.id, "a");
    assert_eq!(l.entries.len(), 2);
}

#[test]
fn comments_and_blank_lines_in_header() {
    let l = parse("# The IWF list\n\n# id: a\n#   indented comment\n\n# policy: allow\n\nurl x\n");
    assert_eq!(l.meta.id, "a");
    assert_eq!(l.meta.policy, Policy::Allow);
}

#[test]
fn crlf_and_bom() {
    let l = parse(
        "\u{feff}# id: a\r\n# name: The list\r\n\r\nurl x ref one\r\nsha1 DA39A3EE5E6B4B0D3255BFEF95601890AFD80709\r\n",
    );
    assert_eq!(l.meta.id, "a");
    assert_eq!(l.meta.name, "The list");
    assert_eq!(
        l.entries,
        vec![
            entry(EntryKind::Url, "x", Some("ref one")),
            entry(
                EntryKind::Sha1,
                "da39a3ee5e6b4b0d3255bfef95601890afd80709",
                None
            ),
        ]
    );
    // no trailing newline
    assert_eq!(parse("url x").entries.len(), 1);
}

#[test]
fn references() {
    let l = parse(
        "url a   case 12  / sub 3  \nurl\tb\t\tIWF#1\t\ndomain c \t \nurl d # not a comment\n",
    );
    assert_eq!(
        l.entries,
        vec![
            entry(EntryKind::Url, "a", Some("case 12  / sub 3")),
            entry(EntryKind::Url, "b", Some("IWF#1")),
            entry(EntryKind::Domain, "c", None),
            entry(EntryKind::Url, "d", Some("# not a comment")),
        ]
    );
}

#[test]
fn kinds_and_hex_lowercased() {
    let h16 = "0123456789ABCDEF";
    let text = format!(
        "url a\nurl-prefix b\ndomain c\nurl-sha256 {h}{h}{h}{h}\npdq {h}{h}{h}{h}\nphash {h}\ndhash {h}\nmd5 {h}{h}\nsha1 {h}{h}01234567\nsha256 {h}{h}{h}{h}\nSHA1 {h}{h}01234567\n  url indented\n",
        h = h16
    );
    let l = parse(&text);
    let kinds: Vec<EntryKind> = l.entries.iter().map(|e| e.kind).collect();
    let mut expect = EntryKind::ALL.to_vec();
    expect.push(EntryKind::Sha1);
    expect.push(EntryKind::Url);
    assert_eq!(kinds, expect);
    for e in &l.entries {
        if let Some(n) = e.kind.hex_len() {
            assert_eq!(e.value.len(), n);
            assert!(!e.value.bytes().any(|b| b.is_ascii_uppercase()), "{e:?}");
        }
    }
    // URL kinds are not changed
    assert_eq!(
        parse("url HTTP://Example.COM/%41\n").entries[0].value,
        "HTTP://Example.COM/%41"
    );
}

#[test]
fn entry_kind_api() {
    for k in EntryKind::ALL {
        assert_eq!(k.as_str().parse::<EntryKind>().unwrap(), k);
        assert_eq!(k.to_string(), k.as_str());
        assert_ne!(k.is_url_kind(), k.is_image_kind());
    }
    assert!(EntryKind::UrlSha256.is_url_kind());
    assert!(EntryKind::Pdq.is_image_kind());
    assert!("bogus".parse::<EntryKind>().is_err());
}

#[test]
fn enums_display_and_parse() {
    for p in [Policy::Block, Policy::Monitor, Policy::Allow] {
        assert_eq!(p.to_string().parse::<Policy>().unwrap(), p);
    }
    for c in ["csam", "terrorism", "malware", "other", "x-1"] {
        assert_eq!(c.parse::<Category>().unwrap().to_string(), c);
    }
}

#[test]
fn jurisdictions() {
    assert_eq!(Jurisdiction::all().count(), 250);
    for j in Jurisdiction::all() {
        assert_eq!(j.as_str().parse::<Jurisdiction>().unwrap(), j);
        assert_eq!(
            j.as_str()
                .to_ascii_lowercase()
                .parse::<Jurisdiction>()
                .unwrap(),
            j
        );
    }
    for bad in [
        "XX", "UK", "EU", "XK", "AA", "ZZ", "", "G", "GBR", "I N", "INTL",
    ] {
        assert!(bad.parse::<Jurisdiction>().is_err(), "{bad}");
    }
    assert_eq!(Jurisdiction::INTERNATIONAL.to_string(), "INT");
    assert_eq!("gb".parse::<Jurisdiction>().unwrap().to_string(), "GB");
}

#[test]
fn writer_format() {
    let mut l = List {
        meta: ListMeta::with_defaults("demo"),
        entries: vec![
            entry(EntryKind::Url, "a", Some("ref 1")),
            entry(EntryKind::Domain, "b", None),
        ],
    };
    l.meta.expires = Some(Timestamp::from_unix_seconds(86_400));
    let text = l.to_text();
    assert_eq!(
        text,
        "# hashwall-list: 1\n# id: demo\n# issuer: local\n# name: demo\n# jurisdiction: INT\n\
         # category: other\n# policy: block\n# sequence: 0\n# created: 1970-01-01T00:00:00Z\n\
         # expires: 1970-01-02T00:00:00Z\n\nurl a ref 1\ndomain b\n"
    );
    let mut out = Vec::new();
    l.write_text(&mut out).unwrap();
    assert_eq!(out, text.as_bytes());
    assert_eq!(List::from_text(text.as_bytes(), "other").unwrap(), l);
}
