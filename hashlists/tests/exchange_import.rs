//! Imports from foreign formats: every format, rejections with file and
//! line, `skip_invalid`, hostile input.

use std::path::Path;

use hashwall_lists::exchange::{Canonicalize, ImportFormat, ImportOptions, import, import_file};
use hashwall_lists::{EntryKind, ErrorKind, ListMeta};

fn data(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/exchange")
        .join(name)
}

fn kinds_values(format: ImportFormat, file: &str) -> Vec<(EntryKind, String, Option<String>)> {
    let got = import_file(
        &data(file),
        ListMeta::with_defaults("t"),
        &ImportOptions::new(format),
    )
    .expect("imports");
    got.list
        .entries
        .into_iter()
        .map(|e| (e.kind, e.value, e.reference))
        .collect()
}

fn e(kind: EntryKind, v: &str, r: Option<&str>) -> (EntryKind, String, Option<String>) {
    (kind, v.to_owned(), r.map(str::to_owned))
}

#[test]
fn url_list() {
    assert_eq!(
        kinds_values(ImportFormat::Urls, "urls.txt"),
        [
            e(
                EntryKind::Url,
                "http://bad.example/gallery/1.jpg",
                Some("CASE-1")
            ),
            e(
                EntryKind::Url,
                "https://Files.Example.org/x/y.html?id=7",
                None
            ),
            e(
                EntryKind::Url,
                "http://bad.example/gallery/2.jpg",
                Some("CASE 2 / part b")
            ),
        ]
    );
    let opts = ImportOptions {
        url_prefix: true,
        ..ImportOptions::new(ImportFormat::Urls)
    };
    let got = import(b"evil.example/a/\n", ListMeta::with_defaults("t"), &opts).expect("ok");
    assert_eq!(got.list.entries[0].kind, EntryKind::UrlPrefix);
}

#[test]
fn hosts_file_skips_local_names() {
    let got = import_file(
        &data("hosts.txt"),
        ListMeta::with_defaults("t"),
        &ImportOptions::new(ImportFormat::Hosts),
    )
    .expect("imports");
    let values: Vec<&str> = got.list.entries.iter().map(|e| e.value.as_str()).collect();
    assert_eq!(
        values,
        [
            "bad.example",
            "a.bad.test",
            "b.bad.test",
            "c.bad.test",
            "tracker.example.net"
        ]
    );
    assert!(got.list.entries.iter().all(|e| e.kind == EntryKind::Domain));
    assert_eq!(got.ignored, 5);
    let err = import(
        b"0.0.0.0 ok.example\nbad.example\n",
        ListMeta::with_defaults("t"),
        &ImportOptions::new(ImportFormat::Hosts),
    )
    .expect_err("no IP");
    assert_eq!(err.kind(), ErrorKind::Import);
    assert_eq!(err.line(), Some(2));
}

#[test]
fn squidguard_domains_and_urls() {
    assert_eq!(
        kinds_values(ImportFormat::SquidDomains, "domains"),
        [
            e(EntryKind::Domain, "bad.example", None),
            e(EntryKind::Domain, "worse.example", None),
            e(EntryKind::Domain, "cdn.bad.test", None),
        ]
    );
    assert_eq!(
        kinds_values(ImportFormat::SquidUrls, "squid-urls"),
        [
            e(EntryKind::UrlPrefix, "bad.example/gallery/", None),
            e(EntryKind::UrlPrefix, "files.example.org/users/123/", None),
            // No trailing `/`: the path and everything below it.
            e(EntryKind::UrlPrefix, "evil.example/private", None),
            e(EntryKind::UrlPrefix, "evil.example/private/", None),
        ]
    );
    let err = import(
        b"http://a.example/x\n",
        ListMeta::with_defaults("t"),
        &ImportOptions::new(ImportFormat::SquidUrls),
    )
    .expect_err("scheme");
    assert_eq!((err.kind(), err.line()), (ErrorKind::Import, Some(1)));
}

const PDQ: &str = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
const MD5_EMPTY: &str = "d41d8cd98f00b204e9800998ecf8427e";
const SHA1_EMPTY: &str = "da39a3ee5e6b4b0d3255bfef95601890afd80709";

#[test]
fn threatexchange_file_bank() {
    let got = kinds_values(ImportFormat::ThreatExchange, "te-bank.txt");
    assert_eq!(got[0], e(EntryKind::Pdq, PDQ, None));
    assert_eq!(got[1], e(EntryKind::Md5, MD5_EMPTY, None));
    assert_eq!(got.len(), 3);
    let err = import(
        b"pdq f8f8\nraw_text hello\n",
        ListMeta::with_defaults("t"),
        &ImportOptions {
            skip_invalid: true,
            ..ImportOptions::new(ImportFormat::ThreatExchange)
        },
    )
    .expect("skipping");
    assert_eq!(err.skipped, 2);
    assert_eq!(err.rejections[0].line(), Some(1));
    assert_eq!(err.rejections[1].kind(), ErrorKind::Import);
    assert!(
        err.rejections[1].to_string().contains("raw_text"),
        "{}",
        err.rejections[1]
    );
}

#[test]
fn csv_hash_lists() {
    assert_eq!(
        kinds_values(ImportFormat::Csv, "hotline.csv"),
        [
            e(EntryKind::Md5, MD5_EMPTY, Some("HL-2026-001")),
            e(EntryKind::Sha1, SHA1_EMPTY, Some("HL-2026-001")),
            e(EntryKind::Pdq, PDQ, Some("HL-2026-002")),
            e(
                EntryKind::Md5,
                "0cc175b9c0f1b6a831c399e269772661",
                Some("HL-2026-003")
            ),
        ]
    );
    assert_eq!(
        kinds_values(ImportFormat::Csv, "hma.csv"),
        [
            e(EntryKind::Pdq, PDQ, Some("1001")),
            e(EntryKind::Md5, MD5_EMPTY, Some("1002")),
        ]
    );
    assert_eq!(
        kinds_values(ImportFormat::Csv, "te-descriptors.csv"),
        [
            e(EntryKind::Pdq, PDQ, Some("123456")),
            e(EntryKind::Sha1, SHA1_EMPTY, Some("123457")),
        ]
    );
    // Semicolons and tabs are detected from the header.
    let got = import(
        b"Reference;SHA1\nr1;DA39A3EE5E6B4B0D3255BFEF95601890AFD80709\n",
        ListMeta::with_defaults("t"),
        &ImportOptions::new(ImportFormat::Csv),
    )
    .expect("semicolons");
    assert_eq!(got.list.entries[0].value, SHA1_EMPTY);
    // Spaces and hyphens in column names read as underscores.
    let got = import(
        b"\"MD5 Hash\"\tSHA-256\tCase ID\nd41d8cd98f00b204e9800998ecf8427e\t\tK-9\n",
        ListMeta::with_defaults("t"),
        &ImportOptions::new(ImportFormat::Csv),
    )
    .expect("tabs");
    assert_eq!(got.list.entries[0].value, MD5_EMPTY);
    assert_eq!(got.list.entries[0].reference.as_deref(), Some("K-9"));
}

#[test]
fn csv_rejections_name_file_and_line() {
    let path = data("bad.csv");
    let err = import_file(
        &path,
        ListMeta::with_defaults("t"),
        &ImportOptions::new(ImportFormat::Csv),
    )
    .expect_err("bad hex");
    assert_eq!(err.kind(), ErrorKind::InvalidValue);
    assert_eq!(err.line(), Some(3));
    assert_eq!(err.path(), Some(path.as_path()));
    assert!(
        err.to_string()
            .starts_with(&format!("{}:3: md5", path.display())),
        "{err}"
    );

    let got = import_file(
        &path,
        ListMeta::with_defaults("t"),
        &ImportOptions {
            skip_invalid: true,
            ..ImportOptions::new(ImportFormat::Csv)
        },
    )
    .expect("skipping");
    assert_eq!(got.list.entries.len(), 2);
    assert_eq!(got.skipped, 2);
    let lines: Vec<_> = got.rejections.iter().map(|e| e.line()).collect();
    assert_eq!(lines, [Some(3), Some(4)]);
    assert!(
        got.rejections
            .iter()
            .all(|e| e.path() == Some(path.as_path()))
    );

    // A header without hash columns is fatal even when skipping.
    let err = import_file(
        &data("nohash.csv"),
        ListMeta::with_defaults("t"),
        &ImportOptions {
            skip_invalid: true,
            ..ImportOptions::new(ImportFormat::Csv)
        },
    )
    .expect_err("no hash column");
    assert_eq!((err.kind(), err.line()), (ErrorKind::Import, Some(1)));
}

/// Accepts hosts and expressions made of `[a-z0-9./-]` only.
struct Strict;

impl Canonicalize for Strict {
    fn expression(&self, v: &str) -> Result<String, String> {
        self.host(v)
    }
    fn host(&self, v: &str) -> Result<String, String> {
        if v.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"./-:".contains(&b))
        {
            Ok(v.to_owned())
        } else {
            Err("not canonical".to_owned())
        }
    }
}

#[test]
fn canonicaliser_validates_values() {
    let opts = ImportOptions {
        canon: Some(&Strict),
        ..ImportOptions::new(ImportFormat::SquidDomains)
    };
    let err = import(
        b"ok.example\nBAD_host\n",
        ListMeta::with_defaults("t"),
        &opts,
    )
    .expect_err("rejected");
    assert_eq!((err.kind(), err.line()), (ErrorKind::InvalidValue, Some(2)));
    assert!(err.to_string().contains("cannot be canonicalised"), "{err}");
}

#[test]
fn hostile_input_is_bounded() {
    // A huge line, invalid UTF-8, and a million bad lines: typed errors and a
    // bounded report.
    let mut big = vec![b'a'; 100_000];
    big.push(b'\n');
    let err = import(
        &big,
        ListMeta::with_defaults("t"),
        &ImportOptions::new(ImportFormat::Urls),
    )
    .expect_err("too long");
    assert_eq!((err.kind(), err.line()), (ErrorKind::LineTooLong, Some(1)));
    let err = import(
        b"ok.example\n\xff\xfe\n",
        ListMeta::with_defaults("t"),
        &ImportOptions::new(ImportFormat::SquidDomains),
    )
    .expect_err("utf-8");
    assert_eq!((err.kind(), err.line()), (ErrorKind::InvalidUtf8, Some(2)));
    let bad = "x y z\n".repeat(1_000_000);
    let got = import(
        bad.as_bytes(),
        ListMeta::with_defaults("t"),
        &ImportOptions {
            skip_invalid: true,
            ..ImportOptions::new(ImportFormat::SquidDomains)
        },
    )
    .expect("skipping");
    assert_eq!(got.skipped, 1_000_000);
    assert_eq!(
        got.rejections.len(),
        hashwall_lists::exchange::MAX_KEPT_REJECTIONS
    );
    // Unbalanced quotes cannot swallow following lines.
    let got = import(
        b"md5\n\"d41d8cd98f00b204e9800998ecf8427e\n0cc175b9c0f1b6a831c399e269772661\n",
        ListMeta::with_defaults("t"),
        &ImportOptions {
            skip_invalid: true,
            ..ImportOptions::new(ImportFormat::Csv)
        },
    )
    .expect("skipping");
    assert_eq!((got.list.entries.len(), got.skipped), (1, 1));
}

#[test]
fn imported_list_round_trips_through_text() {
    let got = import_file(
        &data("hotline.csv"),
        ListMeta::with_defaults("hotline"),
        &ImportOptions::new(ImportFormat::Csv),
    )
    .expect("imports");
    let text = got.list.to_text();
    let back = hashwall_lists::List::from_text(text.as_bytes(), "x").expect("parses");
    assert_eq!(back, got.list);
}

#[test]
fn entry_lines_follow_the_parser() {
    let text = b"# id: x\n\nurl a.example/\n  # c\n\t\ndomain b.example\r\n   md5 d41d8cd98f00b204e9800998ecf8427e\n";
    let list = hashwall_lists::List::from_text(text, "x").expect("parses");
    let lines = hashwall_lists::exchange::entry_lines(text);
    assert_eq!(lines.len(), list.entries.len());
    assert_eq!(lines, [3, 6, 7]);
}
