use std::net::IpAddr;
use std::path::Path;

use hashwall_lists::{ExpiredPolicy, Policy};

use super::*;

#[test]
fn embedded_default_is_valid_and_safe() {
    let c = Config::from_toml("", None).map_err(|e| e.0);
    let c = c.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.proxy.listen.to_string(), "127.0.0.1:3128");
    assert!(c.client_allowed("127.0.0.1".parse().unwrap_or(IpAddr::from([0; 4]))));
    assert!(!c.client_allowed(IpAddr::from([192, 0, 2, 1])));
    assert_eq!(c.acl.connect_ports, vec![443]);
    assert_eq!(c.proxy.on_invalid_url, FailMode::Closed);
    assert!(!c.proxy.forwarded_for);
    assert_eq!(c.list.len(), 1);
    assert!(matches!(
        c.list[0].source,
        ListSource::Builtin(Builtin::Demo)
    ));
    assert_eq!(c.stats.retention_days, 30);
    assert!(c.images.enabled);
    assert_eq!(c.images.max_bytes, 16 << 20);
    assert_eq!(c.images.on_unscannable, FailMode::Open);
    assert!(c.images.worker_count() >= 1);
    assert!(Config::from_toml("[images]\nmax_bytes = 0\n", None).is_err());
    assert!(Config::from_toml("[images]\non_unscannable = \"maybe\"\n", None).is_err());
    assert!(Config::from_toml("[images]\nscan_timeout_secs = 0\n", None).is_err());
    assert!(!c.trust.allow_unsigned);
    assert_eq!(c.trust.expired, ExpiredPolicy::Refuse);
    assert!(c.trust.store.is_none());
    assert!(c.lists.state.is_none());
}

#[test]
fn trust_section() {
    let c = Config::from_toml(
        "[trust]\nstore = \"trust.store\"\nexpired = \"flag\"\n\
         [lists]\nstate = \"state.json\"\n\
         [[list]]\npath = \"a.list\"\nallow_unsigned = true\n",
        Some(Path::new("/etc/hw")),
    );
    let c = c.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        c.trust.store.as_deref(),
        Some(Path::new("/etc/hw/trust.store"))
    );
    assert_eq!(c.trust.expired, ExpiredPolicy::Flag);
    assert_eq!(
        c.lists.state.as_deref(),
        Some(Path::new("/etc/hw/state.json"))
    );
    assert_eq!(c.list[0].allow_unsigned, Some(true));
    let e = Config::from_toml("[trust]\nexpired = \"ignore\"\n", None);
    assert!(e.is_err_and(|e| e.0.contains("trust.expired")));
    assert!(Config::from_toml("[trust]\nstor = \"x\"\n", None).is_err());
}

#[test]
fn file_overrides_and_rejects_unknown_keys() {
    let c = Config::from_toml(
        "[proxy]\nlisten = \"127.0.0.1:0\"\n[[list]]\npath = \"a.list\"\npolicy = \"monitor\"\n",
        Some(Path::new("/etc/hw")),
    );
    let c = c.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.proxy.via_pseudonym, "hashwall");
    assert_eq!(c.list.len(), 1);
    assert!(matches!(&c.list[0].source, ListSource::File(p) if p == Path::new("/etc/hw/a.list")));
    assert_eq!(c.list[0].policy, Some(Policy::Monitor));
    assert_eq!(c.list[0].path_case, PathCase::Sensitive);
    let folded = Config::from_toml(
        "[[list]]\npath = \"a\"\npath_case = \"insensitive\"\n",
        None,
    );
    let folded = folded.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(folded.list[0].path_case, PathCase::Insensitive);
    assert!(Config::from_toml("[[list]]\npath = \"a\"\npath_case = \"lower\"\n", None).is_err());
    assert!(Config::from_toml("[proxy]\nlisen = 1\n", None).is_err());
    assert!(Config::from_toml("[limits]\nmax_request_header_bytes = 10\n", None).is_err());
    assert!(Config::from_toml("[[list]]\npolicy = \"block\"\n", None).is_err());
    assert!(Config::from_toml("[[list]]\npath = \"x\"\npolicy = \"deny\"\n", None).is_err());
}

/// Each `[[list]]` is one kind of source with only that kind's keys; an
/// error names the entry it is in.
#[test]
fn list_sources_are_one_kind_each() {
    let sub = "subscribe = \"https://lists.example/police/\"\ncache = \"p.list\"\n";
    let trust = "[trust]\nstore = \"t\"\n";
    let ok = Config::from_toml(&format!("{trust}[[list]]\n{sub}"), Some(Path::new("/d")));
    let ok = ok.unwrap_or_else(|e| panic!("{e}"));
    let s = ok.list[0]
        .subscription()
        .unwrap_or_else(|| panic!("not a subscription"));
    assert_eq!(s.cache, Path::new("/d/p.list"));
    assert_eq!(
        (s.poll_secs, s.timeout_secs, s.max_bytes),
        (60.0, 120.0, 1 << 30)
    );
    let refused = [
        (
            "[[list]]\npath = \"a\"\nbuiltin = \"demo\"\n",
            "exactly one",
        ),
        ("[[list]]\nbuiltin = \"other\"\n", "unknown builtin"),
        (
            "[[list]]\npath = \"a\"\ncache = \"c\"\n",
            "only for a `subscribe`",
        ),
        (
            "[[list]]\npath = \"a\"\n[[list]]\npath = \"b\"\npoll_secs = 5\n",
            "#2",
        ),
        (
            "[[list]]\nsubscribe = \"https://x.example/l/\"\n",
            "needs `cache`",
        ),
        (
            "[[list]]\nsubscribe = \"ftp://x.example/l/\"\ncache = \"c\"\n",
            "#1",
        ),
        (
            "[[list]]\nsubscribe = \"http://x.example/l/\"\ncache = \"c\"\ntoken_file = \"t\"\n",
            "clear text",
        ),
        (
            "[[list]]\nsubscribe = \"http://x.example/l/\"\ncache = \"c\"\nca_file = \"t\"\n",
            "https://",
        ),
        (&format!("[[list]]\n{sub}poll_secs = 0\n"), "poll_secs"),
        (&format!("[[list]]\n{sub}max_bytes = 10\n"), "max_bytes"),
        (&format!("[[list]]\n{sub}"), "needs [trust] store"),
    ];
    for (text, want) in refused {
        let text = if want == "needs [trust] store" {
            text.to_owned()
        } else {
            format!("{trust}{text}")
        };
        match Config::from_toml(&text, None) {
            Ok(_) => panic!("accepted: {text}"),
            Err(e) => assert!(e.0.contains(want), "{text}: {e} lacks {want:?}"),
        }
    }
}
