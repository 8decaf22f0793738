//! Every parse error: its `ErrorKind`, line number and message.

#![allow(clippy::unwrap_used)]

use hashwall_lists::{ErrorKind, List, MAX_LINE_LEN};

const H64: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn err(text: &[u8]) -> hashwall_lists::Error {
    match List::from_text(text, "t") {
        Ok(l) => panic!("expected an error, parsed {l:?}"),
        Err(e) => e,
    }
}

#[test]
fn error_table() {
    let cases: Vec<(String, ErrorKind, usize)> = vec![
        // entries
        ("url a\nfoo bar\n".into(), ErrorKind::UnknownEntryKind, 2),
        ("sha256\n".into(), ErrorKind::InvalidValue, 1),
        (
            format!("url-sha256 {}\n", &H64[..63]),
            ErrorKind::InvalidValue,
            1,
        ),
        (format!("url-sha256 {H64}0\n"), ErrorKind::InvalidValue, 1),
        (
            format!("sha256 {}g\n", &H64[..63]),
            ErrorKind::InvalidValue,
            1,
        ),
        (format!("pdq {}\n", &H64[..62]), ErrorKind::InvalidValue, 1),
        (
            "md5 0123456789abcdef0123456789abcde\n".into(),
            ErrorKind::InvalidValue,
            1,
        ),
        (
            "sha1 0123456789abcdef0123456789abcdef0123456\n".into(),
            ErrorKind::InvalidValue,
            1,
        ),
        ("phash 0123456789abcde\n".into(), ErrorKind::InvalidValue, 1),
        (
            "dhash 0123456789abcdef0\n".into(),
            ErrorKind::InvalidValue,
            1,
        ),
        ("\n\nurl a\u{7}b\n".into(), ErrorKind::InvalidValue, 3),
        ("domain a\u{a0}b\n".into(), ErrorKind::InvalidValue, 1),
        (
            format!("url {}\n", "a".repeat(8 * 1024 + 1)),
            ErrorKind::InvalidValue,
            1,
        ),
        ("url a ref\u{1}x\n".into(), ErrorKind::InvalidValue, 1),
        ("url a\rb\n".into(), ErrorKind::InvalidValue, 1),
        // header
        (
            "# id: a\n# ID: b\n".into(),
            ErrorKind::DuplicateHeaderKey,
            2,
        ),
        ("# frobnicate: 1\n".into(), ErrorKind::UnknownHeaderKey, 1),
        (
            "# hashwall-list: 2\n".into(),
            ErrorKind::UnsupportedVersion,
            1,
        ),
        ("# id: has space\n".into(), ErrorKind::InvalidId, 1),
        ("# id:\n".into(), ErrorKind::InvalidId, 1),
        (
            format!("# id: {}\n", "a".repeat(65)),
            ErrorKind::InvalidId,
            1,
        ),
        ("# issuer:\n".into(), ErrorKind::InvalidHeaderValue, 1),
        ("# name: \n".into(), ErrorKind::InvalidHeaderValue, 1),
        (
            "# jurisdiction: XX\n".into(),
            ErrorKind::InvalidJurisdiction,
            1,
        ),
        (
            "# jurisdiction: UK\n".into(),
            ErrorKind::InvalidJurisdiction,
            1,
        ),
        (
            "# jurisdiction: GBR\n".into(),
            ErrorKind::InvalidJurisdiction,
            1,
        ),
        (
            "# category: child abuse\n".into(),
            ErrorKind::InvalidCategory,
            1,
        ),
        ("# category: a_b\n".into(), ErrorKind::InvalidCategory, 1),
        ("\n# policy: deny\n".into(), ErrorKind::InvalidPolicy, 2),
        ("# sequence: -1\n".into(), ErrorKind::InvalidSequence, 1),
        ("# sequence: +1\n".into(), ErrorKind::InvalidSequence, 1),
        (
            "# sequence: 18446744073709551616\n".into(),
            ErrorKind::InvalidSequence,
            1,
        ),
        (
            "# created: 2024-13-01T00:00:00Z\n".into(),
            ErrorKind::InvalidTimestamp,
            1,
        ),
        (
            "# created: 2024-05-01\n".into(),
            ErrorKind::InvalidTimestamp,
            1,
        ),
        (
            "# expires: yesterday\n".into(),
            ErrorKind::InvalidTimestamp,
            1,
        ),
        (
            "# expires: 2023-02-29T00:00:00Z\n".into(),
            ErrorKind::InvalidTimestamp,
            1,
        ),
    ];
    for (text, kind, line) in cases {
        let e = err(text.as_bytes());
        assert_eq!(e.kind(), kind, "{text:?}: {e}");
        assert_eq!(e.line(), Some(line), "{text:?}: {e}");
        assert_eq!(e.path(), None);
    }
}

#[test]
fn invalid_utf8_reports_line() {
    let e = err(b"url a\n# comment\nurl b\xff\n");
    assert_eq!(e.kind(), ErrorKind::InvalidUtf8);
    assert_eq!(e.line(), Some(3));
    // even in a comment
    let e = err(b"url a\n# caf\xc3\n");
    assert_eq!(e.kind(), ErrorKind::InvalidUtf8);
    assert_eq!(e.line(), Some(2));
}

#[test]
fn overlong_line() {
    let mut text = b"url a\n".to_vec();
    text.extend(std::iter::repeat_n(b'#', MAX_LINE_LEN + 1));
    let e = err(&text);
    assert_eq!(e.kind(), ErrorKind::LineTooLong);
    assert_eq!(e.line(), Some(2));
    // exactly the cap is fine (a comment)
    text.truncate(6 + MAX_LINE_LEN);
    assert!(List::from_text(&text, "t").is_ok());
}

#[test]
fn messages() {
    let e = err(format!("url a\n\n\n\n\n\n\n\n\n\n\nurl-sha256 {}\n", &H64[..63]).as_bytes());
    assert_eq!(
        e.to_string(),
        "line 12: url-sha256 value must be 64 hex digits, got 63"
    );
    let e = err(b"nope x\n");
    assert_eq!(
        e.to_string(),
        "line 1: unknown entry kind \"nope\"; valid kinds: url, url-prefix, domain, url-sha256, pdq, phash, dhash, md5, sha1, sha256"
    );
    let e = err(b"# Owner: me\n");
    assert!(e.to_string().contains("\"Owner\""), "{e}");
    let e = err(b"# jurisdiction: XX\n");
    assert!(e.to_string().contains("XX"), "{e}");
}

#[test]
fn read_file_errors_carry_path() {
    let dir = std::env::temp_dir().join(format!("hashwall-lists-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("demo.txt");
    let mut text = String::new();
    for _ in 0..11 {
        text.push_str("url a\n");
    }
    text.push_str(&format!("url-sha256 {}\n", &H64[..63]));
    std::fs::write(&path, text).unwrap();
    let e = List::read_file(&path).unwrap_err();
    assert_eq!(e.path(), Some(path.as_path()));
    assert_eq!(e.line(), Some(12));
    assert_eq!(
        e.to_string(),
        format!(
            "{}:12: url-sha256 value must be 64 hex digits, got 63",
            path.display()
        )
    );

    let missing = dir.join("missing.txt");
    let e = List::read_file(&missing).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io);
    assert_eq!(e.path(), Some(missing.as_path()));
    assert_eq!(e.line(), None);
    assert!(std::error::Error::source(&e).is_some());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn errors_are_send_sync() {
    fn check<T: Send + Sync + std::error::Error + 'static>() {}
    check::<hashwall_lists::Error>();
}
