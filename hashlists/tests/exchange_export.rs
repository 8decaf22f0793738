//! Exports with a stand-in canonicaliser (lower-casing, `/` appended to a
//! bare host): hashed lists, RPZ zones, Bloom filters. The engine's own
//! canonicaliser is exercised by the CLI tests in `proxy/tests`.

use std::path::Path;

use hashwall_lists::exchange::{
    BloomTag, Canonicalize, ExportSource, bloom_export, entry_lines, hashed_export, rpz_export,
    sha256_hex,
};
use hashwall_lists::{EntryKind, ErrorKind, List};

struct Lower;

impl Canonicalize for Lower {
    fn expression(&self, v: &str) -> Result<String, String> {
        let v = v
            .split_once("://")
            .map_or(v, |(_, rest)| rest)
            .to_ascii_lowercase();
        if v.contains(' ') || v.starts_with('/') {
            return Err("no host".to_owned());
        }
        Ok(if v.contains('/') { v } else { format!("{v}/") })
    }
    fn host(&self, v: &str) -> Result<String, String> {
        if v.contains(['/', ':']) {
            return Err("not a host".to_owned());
        }
        Ok(v.to_ascii_lowercase())
    }
}

const LIST: &str = "\
# id: police
# issuer: Example Police
# sequence: 42

url-prefix Evil.example/gallery/ CASE-1
url http://evil.example/a.jpg?x=1 CASE-2
domain Bad.Example CASE-3
url-sha256 0000000000000000000000000000000000000000000000000000000000000001 CASE-4
md5 d41d8cd98f00b204e9800998ecf8427e CASE-5
pdq f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22 CASE-6
domain bad.example CASE-3-again
domain 192.0.2.1 CASE-7
";

fn list() -> List {
    List::from_text(LIST.as_bytes(), "x").expect("parses")
}

#[test]
fn hashed_export_holds_only_digests() {
    let h = hashed_export(&list(), &Lower, None, None).expect("exports");
    assert_eq!(h.list.meta, list().meta);
    assert!(
        h.list
            .entries
            .iter()
            .all(|e| e.kind == EntryKind::UrlSha256)
    );
    let mut want = vec![
        (sha256_hex(b"evil.example/gallery/"), "CASE-1"),
        (sha256_hex(b"evil.example/a.jpg?x=1"), "CASE-2"),
        (sha256_hex(b"bad.example/"), "CASE-3"),
        (
            "0000000000000000000000000000000000000000000000000000000000000001".to_owned(),
            "CASE-4",
        ),
        (sha256_hex(b"192.0.2.1/"), "CASE-7"),
    ];
    want.sort();
    let got: Vec<(String, &str)> = h
        .list
        .entries
        .iter()
        .map(|e| (e.value.clone(), e.reference.as_deref().unwrap_or("")))
        .collect();
    assert_eq!(got, want);
    assert_eq!(
        (h.hashed, h.carried, h.left_out, h.duplicates),
        (5, 1, 2, 1)
    );
    // No plaintext survives.
    let text = h.list.to_text();
    assert!(
        !text.contains("evil.example") && !text.contains("bad.example"),
        "{text}"
    );
    // And it is a valid list.
    assert_eq!(
        List::from_text(text.as_bytes(), "y").expect("parses"),
        h.list
    );
}

#[test]
fn export_errors_name_file_and_line() {
    let text = "# id: x\n\nurl-prefix ok.example/\n\nurl-prefix /no-host\n";
    let l = List::from_text(text.as_bytes(), "x").expect("parses");
    let lines = entry_lines(text.as_bytes());
    let e = hashed_export(&l, &Lower, Some(Path::new("x.list")), Some(&lines)).expect_err("bad");
    assert_eq!(e.kind(), ErrorKind::Export);
    assert_eq!(e.line(), Some(5));
    assert!(
        e.to_string()
            .starts_with("x.list:5: list x: url-prefix entry \"/no-host\""),
        "{e}"
    );
}

/// A minimal zone-file reader: (owner, type, rdata) of each record.
fn records(zone: &str) -> Vec<(String, String, String)> {
    zone.lines()
        .filter(|l| !l.starts_with(';') && !l.starts_with('$') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let (owner, rest) = (f[0], &f[1..]);
            let rest = if rest.first() == Some(&"IN") {
                &rest[1..]
            } else {
                rest
            };
            (owner.to_owned(), rest[0].to_owned(), rest[1..].join(" "))
        })
        .collect()
}

#[test]
fn rpz_zone() {
    let r = rpz_export(&list(), &Lower, None, None).expect("exports");
    assert!(r.text.contains("\n$TTL 300\n"), "{}", r.text);
    let recs = records(&r.text);
    assert_eq!(recs[0].0, "@");
    assert_eq!(recs[0].1, "SOA");
    let soa: Vec<&str> = recs[0].2.split(' ').collect();
    assert_eq!(soa[2], "42", "serial is the sequence");
    assert_eq!(recs[1], ("@".into(), "NS".into(), "localhost.".into()));
    assert_eq!(
        recs[2..],
        [
            ("bad.example".into(), "CNAME".into(), ".".into()),
            ("*.bad.example".into(), "CNAME".into(), ".".into()),
        ]
    );
    assert_eq!(
        (r.names, r.skipped_ip, r.duplicates, r.left_out),
        (1, 1, 1, 5)
    );
    // Every owner name is relative and a valid DNS name.
    for (owner, _, _) in &recs[2..] {
        assert!(!owner.ends_with('.'));
        assert!(owner.split('.').all(|l| !l.is_empty() && l.len() <= 63));
    }
}

#[test]
fn rpz_rejects_what_dns_cannot_hold() {
    let big = List::from_text(b"# sequence: 4294967296\ndomain a.example\n", "x").expect("parses");
    let e = rpz_export(&big, &Lower, None, None).expect_err("serial");
    assert_eq!(e.kind(), ErrorKind::Export);
    assert!(e.to_string().contains("serial"), "{e}");
    let odd = List::from_text(b"domain a%01.example\n", "x").expect("parses");
    let e = rpz_export(&odd, &Lower, None, Some(&[1])).expect_err("not DNS");
    assert_eq!((e.kind(), e.line()), (ErrorKind::Export, Some(1)));
    let long = format!("domain {}.example\n", "a".repeat(64));
    let l = List::from_text(long.as_bytes(), "x").expect("parses");
    assert!(rpz_export(&l, &Lower, None, None).is_err());
}

#[test]
fn bloom_export_items() {
    let l = list();
    let b = bloom_export(
        &[ExportSource {
            list: &l,
            path: None,
            lines: None,
        }],
        &Lower,
        0.001,
    )
    .expect("exports");
    // url-prefix, url, domain (once), url-sha256, md5, IP domain; pdq left out.
    assert_eq!((b.items, b.left_out), (6, 1));
    let f = &b.filter;
    assert!(f.contains(BloomTag::UrlPrefix, b"evil.example/gallery/"));
    assert!(f.contains(BloomTag::UrlExact, b"evil.example/a.jpg?x=1"));
    assert!(f.contains(BloomTag::Domain, b"bad.example"));
    let one = {
        let mut d = [0u8; 32];
        d[31] = 1;
        d
    };
    assert!(f.contains(BloomTag::UrlSha256, &one));
    let md5 = [
        0xd4, 0x1d, 0x8c, 0xd9, 0x8f, 0x00, 0xb2, 0x04, 0xe9, 0x80, 0x09, 0x98, 0xec, 0xf8, 0x42,
        0x7e,
    ];
    assert!(f.contains(BloomTag::Md5, &md5));
    assert!(!f.has_tag(BloomTag::Sha1));
    let e = bloom_export(
        &[ExportSource {
            list: &l,
            path: None,
            lines: None,
        }],
        &Lower,
        1.5,
    )
    .expect_err("rate");
    assert_eq!(e.kind(), ErrorKind::BloomFormat);
}
