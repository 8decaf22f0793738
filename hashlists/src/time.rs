//! [`Timestamp`]: Unix seconds with RFC 3339 parsing and formatting.
//!
//! The civil-date arithmetic is the proleptic Gregorian calendar
//! (Howard Hinnant's `days_from_civil` / `civil_from_days`).

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, ErrorKind};

/// A point in time, in whole seconds since the Unix epoch (UTC).
///
/// Parses RFC 3339 (`2024-05-01T12:00:00Z`, `2024-05-01T14:00:00+02:00`;
/// fractional seconds are accepted and dropped) and displays as
/// `YYYY-MM-DDTHH:MM:SSZ`. Every `i64` value can be displayed and parsed
/// back: years outside `0000..=9999` use the ISO 8601 expanded form with a
/// sign (`+10000-01-01T00:00:00Z`, `-0001-12-31T00:00:00Z`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The Unix epoch, `1970-01-01T00:00:00Z`.
    pub const UNIX_EPOCH: Timestamp = Timestamp(0);

    /// A timestamp `secs` seconds after (or before, if negative) the epoch.
    pub const fn from_unix_seconds(secs: i64) -> Timestamp {
        Timestamp(secs)
    }

    /// Seconds since the Unix epoch.
    pub const fn unix_seconds(self) -> i64 {
        self.0
    }

    /// The current system time, truncated to whole seconds.
    pub fn now() -> Timestamp {
        let now = std::time::SystemTime::now();
        match now.duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => Timestamp(i64::try_from(d.as_secs()).unwrap_or(i64::MAX)),
            Err(e) => Timestamp(i64::try_from(e.duration().as_secs()).map_or(i64::MIN, |s| -s)),
        }
    }
}

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (`m` 1..=12).
fn days_from_civil(y: i64, m: u32, d: u32) -> i128 {
    let y = i128::from(y) - i128::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i128::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i128::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month, day) of a day count since 1970-01-01. Valid for every
/// `i64` seconds value divided by 86 400.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    // d is 1..=31 and m is 1..=12 by construction.
    (y, m as u32, d as u32)
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.0.div_euclid(86_400);
        let secs = self.0.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        if (0..=9999).contains(&y) {
            write!(f, "{y:04}")?;
        } else if y > 9999 {
            write!(f, "+{y}")?;
        } else {
            write!(f, "-{:04}", y.unsigned_abs())?;
        }
        write!(
            f,
            "-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )
    }
}

/// A tiny cursor over the ASCII bytes of a timestamp.
struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }
    fn eat_any(&mut self, cs: &[u8]) -> Option<u8> {
        let c = self.peek()?;
        cs.contains(&c).then(|| {
            self.i += 1;
            c
        })
    }
    /// Exactly `n` decimal digits.
    fn digits(&mut self, n: usize) -> Option<u32> {
        let mut v = 0u32;
        for _ in 0..n {
            let c = self.peek()?;
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + u32::from(c - b'0');
            self.i += 1;
        }
        Some(v)
    }
}

fn parse_rfc3339(s: &str) -> Option<i64> {
    let mut c = Cursor {
        b: s.as_bytes(),
        i: 0,
    };
    // Year: 4 digits, or a sign and 4..=12 digits (ISO 8601 expanded).
    let year: i64 = match c.eat_any(b"+-") {
        None => i64::from(c.digits(4)?),
        Some(sign) => {
            let start = c.i;
            let mut y: i64 = 0;
            while let Some(ch) = c.peek().filter(u8::is_ascii_digit) {
                y = y * 10 + i64::from(ch - b'0');
                c.i += 1;
                if c.i - start > 12 {
                    return None;
                }
            }
            if c.i - start < 4 {
                return None;
            }
            if sign == b'-' { -y } else { y }
        }
    };
    c.eat(b'-')?;
    let month = c.digits(2)?;
    c.eat(b'-')?;
    let day = c.digits(2)?;
    c.eat_any(b"Tt ")?;
    let hour = c.digits(2)?;
    c.eat(b':')?;
    let min = c.digits(2)?;
    c.eat(b':')?;
    let sec = c.digits(2)?;
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || min > 59
        || sec > 60
    {
        return None;
    }
    if c.eat(b'.').is_some() {
        let start = c.i;
        while c.peek().is_some_and(|ch| ch.is_ascii_digit()) {
            c.i += 1;
        }
        if c.i == start {
            return None;
        }
    }
    let offset: i64 = match c.eat_any(b"Zz+-")? {
        b'Z' | b'z' => 0,
        sign => {
            let oh = c.digits(2)?;
            c.eat(b':')?;
            let om = c.digits(2)?;
            if oh > 23 || om > 59 {
                return None;
            }
            let o = i64::from(oh * 3600 + om * 60);
            if sign == b'-' { -o } else { o }
        }
    };
    if c.i != c.b.len() {
        return None;
    }
    let secs = days_from_civil(year, month, day) * 86_400
        + i128::from(hour * 3600 + min * 60 + sec)
        - i128::from(offset);
    i64::try_from(secs).ok()
}

impl FromStr for Timestamp {
    type Err = Error;

    fn from_str(s: &str) -> Result<Timestamp, Error> {
        parse_rfc3339(s).map(Timestamp).ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidTimestamp,
                format!(
                    "invalid timestamp {:?}: expected RFC 3339 like 2024-05-01T12:00:00Z",
                    crate::error::clip(s)
                ),
            )
        })
    }
}
