//! Property tests: round trip and no panics on arbitrary input.

#![allow(clippy::unwrap_used)]

use hashwall_lists::{Category, Entry, EntryKind, Jurisdiction, List, ListMeta, Policy, Timestamp};
use proptest::prelude::*;

fn hex(n: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::sample::select(b"0123456789abcdef".to_vec()), n)
        .prop_map(|v| v.into_iter().map(char::from).collect())
}

fn entry() -> impl Strategy<Value = Entry> {
    let kind = proptest::sample::select(EntryKind::ALL.to_vec());
    let reference =
        proptest::option::of("[^\\p{Cc}\\s][^\\p{Cc}]{0,20}[^\\p{Cc}\\s]|[^\\p{Cc}\\s]");
    (kind, reference, "[^\\p{Cc}\\s]{1,40}")
        .prop_flat_map(|(kind, reference, url)| {
            let value = match kind.hex_len() {
                Some(n) => hex(n).boxed(),
                None => Just(url).boxed(),
            };
            (
                Just(kind),
                value,
                Just(reference),
                proptest::option::of(any::<i64>()),
            )
        })
        .prop_map(|(kind, value, reference, added)| Entry {
            kind,
            value,
            reference,
            added: added.map(Timestamp::from_unix_seconds),
        })
}

fn meta() -> impl Strategy<Value = ListMeta> {
    let text = "[^\\p{Cc}\\s][^\\p{Cc}]{0,20}[^\\p{Cc}\\s]|[^\\p{Cc}\\s]";
    let jurisdiction = proptest::sample::select(Jurisdiction::all().collect::<Vec<_>>());
    let category = prop_oneof![
        Just(Category::Csam),
        Just(Category::Terrorism),
        Just(Category::Malware),
        "[a-z0-9-]{1,20}".prop_map(|s| s.parse::<Category>().unwrap()),
    ];
    let policy = proptest::sample::select(vec![Policy::Block, Policy::Monitor, Policy::Allow]);
    (
        "[A-Za-z0-9._-]{1,64}",
        text,
        text,
        jurisdiction,
        category,
        policy,
        any::<u64>(),
        any::<i64>(),
        proptest::option::of(any::<i64>()),
    )
        .prop_map(
            |(id, issuer, name, jurisdiction, category, policy, sequence, created, expires)| {
                ListMeta {
                    id,
                    issuer,
                    name,
                    jurisdiction,
                    category,
                    policy,
                    sequence,
                    created: Timestamp::from_unix_seconds(created),
                    expires: expires.map(Timestamp::from_unix_seconds),
                    signature: None,
                }
            },
        )
}

proptest! {
    #[test]
    fn round_trip(meta in meta(), entries in proptest::collection::vec(entry(), 0..50)) {
        let list = List { meta, entries };
        let text = list.to_text();
        let back = List::from_text(text.as_bytes(), "other");
        prop_assert!(back.is_ok(), "{:?}\n{}", back, text);
        prop_assert_eq!(back.unwrap(), list.clone());
        // Same with a BOM and CRLF line ends.
        let crlf = format!("\u{feff}{}", text.replace('\n', "\r\n"));
        prop_assert_eq!(List::from_text(crlf.as_bytes(), "other").unwrap(), list);
    }

    #[test]
    fn timestamp_round_trip(secs in any::<i64>()) {
        let t = Timestamp::from_unix_seconds(secs);
        prop_assert_eq!(t.to_string().parse::<Timestamp>().unwrap(), t);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = List::from_text(&bytes, "x");
    }

    #[test]
    fn line_shaped_input_never_panics(
        lines in proptest::collection::vec(
            "(# ?[a-zA-Z-]{0,14}: ?[^\n]{0,30})|((url|md5|pdq|sha1|domain|x) [0-9a-fA-F ]{0,70})|([^\n]{0,40})",
            0..20,
        )
    ) {
        let text = lines.join("\n");
        if let Ok(l) = List::from_text(text.as_bytes(), "x") {
            // anything that parses also round-trips
            prop_assert_eq!(List::from_text(l.to_text().as_bytes(), "y").unwrap(), l);
        }
    }

    #[test]
    fn arbitrary_strings_never_panic(s in "\\PC{0,40}") {
        let _ = s.parse::<Timestamp>();
        let _ = s.parse::<Jurisdiction>();
        let _ = s.parse::<Category>();
        let _ = s.parse::<Policy>();
        let _ = s.parse::<EntryKind>();
        let _ = ListMeta::sanitise_id(&s);
    }
}
