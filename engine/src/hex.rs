//! Hexadecimal at the edges: parsing hash values from lists and queries,
//! printing them in verdicts. Everything between keeps typed values.

use std::fmt;

/// Writes lowercase hex of `bytes` to a formatter, without an intermediate
/// string.
pub(crate) fn write(bytes: &[u8], f: &mut fmt::Formatter<'_>) -> fmt::Result {
    for &b in bytes {
        write!(f, "{b:02x}")?;
    }
    Ok(())
}

/// Exactly `2 * N` hex digits (either case) as `N` bytes; `None` otherwise.
pub(crate) fn decode<const N: usize>(hex: &str) -> Option<[u8; N]> {
    let b = hex.as_bytes();
    if b.len() != 2 * N {
        return None;
    }
    let mut out = [0u8; N];
    for (o, pair) in out.iter_mut().zip(b.chunks_exact(2)) {
        *o = digit(pair[0])? << 4 | digit(pair[1])?;
    }
    Some(out)
}

fn digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Hex<'a>(&'a [u8]);

    impl fmt::Display for Hex<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write(self.0, f)
        }
    }

    #[test]
    fn round_trip_and_refusals() {
        assert_eq!(Hex(&[0x00, 0x9f, 0xff]).to_string(), "009fff");
        assert_eq!(decode::<3>("009FfF"), Some([0x00, 0x9f, 0xff]));
        for bad in ["009ff", "009fff0", "0g9fff", "+09fff", "009ff\u{e9}"] {
            assert_eq!(decode::<3>(bad), None, "{bad}");
        }
    }
}
