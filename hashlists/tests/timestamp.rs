//! Timestamp parsing, formatting and civil-date arithmetic.

#![allow(clippy::unwrap_used)]

use hashwall_lists::{ErrorKind, Timestamp};

fn ts(s: &str) -> i64 {
    match s.parse::<Timestamp>() {
        Ok(t) => t.unix_seconds(),
        Err(e) => panic!("{s:?}: {e}"),
    }
}

#[test]
fn known_dates() {
    let cases: &[(&str, i64)] = &[
        ("1970-01-01T00:00:00Z", 0),
        ("1969-12-31T23:59:59Z", -1),
        ("2000-02-29T00:00:00Z", 951_782_400),
        ("2000-03-01T00:00:00Z", 951_868_800),
        ("2038-01-19T03:14:07Z", i64::from(i32::MAX)),
        ("2038-01-19T03:14:08Z", 1 << 31),
        ("2024-05-01T12:00:00Z", 1_714_564_800),
        ("1900-03-01T00:00:00Z", -2_203_891_200),
        ("0000-01-01T00:00:00Z", -62_167_219_200),
        ("9999-12-31T23:59:59Z", 253_402_300_799),
        ("+10000-01-01T00:00:00Z", 253_402_300_800),
        ("-0001-12-31T00:00:00Z", -62_167_305_600),
        ("-292277022657-01-27T08:29:52Z", i64::MIN),
        ("+292277026596-12-04T15:30:07Z", i64::MAX),
    ];
    for &(s, secs) in cases {
        assert_eq!(ts(s), secs, "{s}");
        assert_eq!(Timestamp::from_unix_seconds(secs).to_string(), s, "{secs}");
    }
}

#[test]
fn offsets_and_variants() {
    let base = ts("2024-05-01T12:00:00Z");
    assert_eq!(ts("2024-05-01T14:00:00+02:00"), base);
    assert_eq!(ts("2024-05-01T06:30:00-05:30"), base);
    assert_eq!(ts("2024-05-01T12:00:00+00:00"), base);
    assert_eq!(ts("2024-05-01T12:00:00-00:00"), base);
    assert_eq!(ts("2024-05-01t12:00:00z"), base);
    assert_eq!(ts("2024-05-01 12:00:00Z"), base);
    assert_eq!(ts("2024-05-01T12:00:00.999999999Z"), base);
    assert_eq!(ts("2024-05-01T14:00:00.5+02:00"), base);
    assert_eq!(
        ts("2024-05-01T00:30:00+23:59"),
        base - 12 * 3600 + 1800 - 23 * 3600 - 59 * 60
    );
    // leap second: accepted, counts as the next second
    assert_eq!(ts("2016-12-31T23:59:60Z"), ts("2017-01-01T00:00:00Z"));
}

#[test]
fn rejected() {
    for s in [
        "",
        "2024",
        "2024-05-01",
        "2024-05-01T12:00:00",
        "2024-05-01T12:00Z",
        "24-05-01T12:00:00Z",
        "2024-5-01T12:00:00Z",
        "2024-00-01T00:00:00Z",
        "2024-13-01T00:00:00Z",
        "2024-04-31T00:00:00Z",
        "2023-02-29T00:00:00Z",
        "1900-02-29T00:00:00Z",
        "2024-05-01T24:00:00Z",
        "2024-05-01T12:60:00Z",
        "2024-05-01T12:00:61Z",
        "2024-05-01T12:00:00.Z",
        "2024-05-01T12:00:00+2:00",
        "2024-05-01T12:00:00+0200",
        "2024-05-01T12:00:00+24:00",
        "2024-05-01T12:00:00Z ",
        " 2024-05-01T12:00:00Z",
        "2024-05-01T12:00:00ZZ",
        "+024-05-01T12:00:00Z",
        "+9999999999999-01-01T00:00:00Z",
        "+292277026596-12-04T15:30:08Z",
        "-292277022657-01-27T08:29:51Z",
        "２０２４-05-01T12:00:00Z",
    ] {
        let e = s.parse::<Timestamp>().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidTimestamp, "{s}");
    }
}

#[test]
fn every_day_round_trips() {
    // Every day from 1600 to 2500, plus the second before and after midnight.
    let start = ts("1600-01-01T00:00:00Z");
    let end = ts("2500-01-01T00:00:00Z");
    let mut t = start;
    let mut prev = String::new();
    while t < end {
        for s in [t - 1, t, t + 1] {
            let text = Timestamp::from_unix_seconds(s).to_string();
            assert_eq!(ts(&text), s, "{text}");
        }
        let text = Timestamp::from_unix_seconds(t).to_string();
        assert!(text > prev, "{text} after {prev}");
        prev = text;
        t += 86_400;
    }
}

#[test]
fn now_is_after_2024() {
    assert!(Timestamp::now() > Timestamp::from_unix_seconds(1_704_067_200));
}
