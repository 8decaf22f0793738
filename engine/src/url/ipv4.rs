//! IPv4 hosts in every encoding `inet_aton` accepts, and then some.
//!
//! Safe Browsing canonicalises any host a resolver would read as an IPv4
//! address to dotted decimal, so that `http://3279880203/` and
//! `http://0xc3.0177.0.11/` hash like `http://195.127.0.11/`. The rules
//! follow Google's reference client, which is what the shared vectors encode:
//!
//! * 1 to 4 parts, each decimal, leading-zero octal or `0x` hex (`0x` alone
//!   is 0, as in the WHATWG URL standard);
//! * if any part looks like octal but holds an 8 or 9 (`089`), octal is
//!   disabled for the whole address and leading-zero parts read as decimal;
//! * parts before the last keep only their low byte (`276.2.3` → `20.2.0.3`);
//! * the last part fills the remaining bytes big-endian and must fit them,
//!   except that a lone part keeps its low 32 bits (`0x10000000b` → `0.0.0.11`);
//! * a host of at most 15 bytes that is a dotted quad of 1–3 digit decimals
//!   followed by a space is that dotted quad (the Windows resolver ignores the
//!   rest: `10.192.95.89 xy`).

#[derive(Clone, Copy, PartialEq, Eq)]
enum Radix {
    Dec,
    /// Leading zero and only digits: octal unless some part disables it.
    MaybeOct,
    Hex,
}

/// The address `host` denotes, or `None` when it is not an IPv4 address.
/// `host` is lower-case with its dots already cleaned up.
pub(crate) fn parse(host: &[u8]) -> Option<[u8; 4]> {
    let host = strip_windows_suffix(host);
    let mut radix = [Radix::Dec; 4];
    let mut digits: [&[u8]; 4] = [&[]; 4];
    let mut n = 0;
    let mut octal_ok = true;
    for part in host.split(|&b| b == b'.') {
        if n == 4 {
            return None;
        }
        let (r, d) = classify(part)?;
        if r == Radix::MaybeOct && d.iter().any(|&b| b == b'8' || b == b'9') {
            octal_ok = false;
        }
        radix[n] = r;
        digits[n] = d;
        n += 1;
    }
    let mut out = [0u8; 4];
    for i in 0..n {
        let base = match radix[i] {
            Radix::Dec => 10,
            Radix::MaybeOct if octal_ok => 8,
            Radix::MaybeOct => 10,
            Radix::Hex => 16,
        };
        let (value, fits_u32) = value(digits[i], base);
        if i + 1 < n {
            out[i] = value.to_be_bytes()[7];
        } else if n == 1 {
            out = (value as u32).to_be_bytes();
        } else {
            let remaining = 4 - i;
            if !fits_u32 || value >> (8 * remaining) != 0 {
                return None;
            }
            let bytes = (value as u32).to_be_bytes();
            out[i..].copy_from_slice(&bytes[4 - remaining..]);
        }
    }
    Some(out)
}

/// `(radix, digits)` of one part, or `None` if it is not a number.
fn classify(part: &[u8]) -> Option<(Radix, &[u8])> {
    if let Some(hex) = part.strip_prefix(b"0x") {
        return hex
            .iter()
            .all(u8::is_ascii_hexdigit)
            .then_some((Radix::Hex, hex));
    }
    if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
        return None;
    }
    if part.len() > 1 && part[0] == b'0' {
        Some((Radix::MaybeOct, &part[1..]))
    } else {
        Some((Radix::Dec, part))
    }
}

/// The value modulo 2^64 (whose low 32 bits are exact whatever the length)
/// and whether the true value fits in 32 bits.
fn value(digits: &[u8], base: u64) -> (u64, bool) {
    let mut v: u64 = 0;
    let mut fits = true;
    for &d in digits {
        let d = u64::from(match d {
            b'0'..=b'9' => d - b'0',
            _ => d - b'a' + 10,
        });
        v = v.wrapping_mul(base).wrapping_add(d);
        // Past 2^32 only the low 32 bits still matter, and arithmetic
        // modulo 2^64 keeps them exact; `fits` remembers the overflow.
        if v > u64::from(u32::MAX) {
            fits = false;
        }
    }
    (v, fits)
}

/// Appends `octets` in dotted decimal.
pub(super) fn push_dotted(octets: [u8; 4], out: &mut Vec<u8>) {
    for (i, octet) in octets.into_iter().enumerate() {
        if i > 0 {
            out.push(b'.');
        }
        push_decimal(octet, out);
    }
}

fn push_decimal(v: u8, out: &mut Vec<u8>) {
    if v >= 100 {
        out.push(b'0' + v / 100);
    }
    if v >= 10 {
        out.push(b'0' + v / 10 % 10);
    }
    out.push(b'0' + v % 10);
}

/// `10.192.95.89 xy` → `10.192.95.89` (see the module notes).
fn strip_windows_suffix(host: &[u8]) -> &[u8] {
    if host.len() > 15 {
        return host;
    }
    let Some(space) = host.iter().position(|&b| b == b' ') else {
        return host;
    };
    let quad = &host[..space];
    let mut parts = 0;
    for part in quad.split(|&b| b == b'.') {
        parts += 1;
        if part.is_empty() || part.len() > 3 || !part.iter().all(u8::is_ascii_digit) {
            return host;
        }
    }
    if parts == 4 { quad } else { host }
}

#[cfg(test)]
mod tests {
    use super::parse;

    fn ip(s: &str) -> Option<String> {
        parse(s.as_bytes()).map(|a| format!("{}.{}.{}.{}", a[0], a[1], a[2], a[3]))
    }

    #[test]
    fn encodings() {
        assert_eq!(ip("1.2.3.4").as_deref(), Some("1.2.3.4"));
        assert_eq!(ip("012.034.01.055").as_deref(), Some("10.28.1.45"));
        assert_eq!(ip("0x12.0x43.0x44.0x01").as_deref(), Some("18.67.68.1"));
        assert_eq!(ip("167838211").as_deref(), Some("10.1.2.3"));
        assert_eq!(ip("12.0x12.01234").as_deref(), Some("12.18.2.156"));
        assert_eq!(ip("0x10000000b").as_deref(), Some("0.0.0.11"));
        assert_eq!(ip("276.2.3").as_deref(), Some("20.2.0.3"));
        assert_eq!(ip("012.0xa0.01.089").as_deref(), Some("12.160.1.89"));
        assert_eq!(ip("0x7f.1").as_deref(), Some("127.0.0.1"));
        assert_eq!(ip("0x").as_deref(), Some("0.0.0.0"));
        assert_eq!(ip("10.192.95.89 xy").as_deref(), Some("10.192.95.89"));
    }

    #[test]
    fn not_addresses() {
        for s in [
            "asdf.com",
            "0x120x34",
            "123.123.0.0.1",
            "1.2.3.00x0",
            "fake ip",
            "1.2.65536",
            "1.2.3.256",
            "1.2.3.4 and more text",
            "08x",
            "",
        ] {
            assert_eq!(ip(s), None, "{s}");
        }
    }

    #[test]
    fn dotted_decimal() {
        for a in [[0, 0, 0, 0], [1, 22, 103, 255], [10, 100, 9, 99]] {
            let mut out = Vec::new();
            super::push_dotted(a, &mut out);
            let want = format!("{}.{}.{}.{}", a[0], a[1], a[2], a[3]);
            assert_eq!(out, want.as_bytes());
        }
    }

    #[test]
    fn huge_numbers_do_not_panic() {
        let long = "9".repeat(10_000);
        assert!(ip(&long).is_some());
        assert_eq!(ip(&format!("1.{long}")), None);
        let hex = format!("0x{}", "f".repeat(10_000));
        assert_eq!(ip(&hex).as_deref(), Some("255.255.255.255"));
        // 2^64 + 5: wraps past u64 but the low 32 bits survive.
        assert_eq!(ip("18446744073709551621").as_deref(), Some("0.0.0.5"));
    }
}
