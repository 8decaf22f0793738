//! Hexadecimal text for bytes: the one hex module of the workspace.
//!
//! Digests, keys, key ids, signatures and hash entries are written as hex
//! in every hashwall file format. Encoding is lower case; decoding accepts
//! either case. Built on the `hex` crate; this module adds the typed
//! fixed-length decoding the formats need and errors that say what was
//! wrong without quoting the (possibly secret) input.
//!
//! ```
//! use hashwall_lists::hex;
//!
//! assert_eq!(hex::encode(&[0x00, 0xab, 0xff]), "00abff");
//! assert_eq!(hex::decode_array::<2>("ABcd"), Ok([0xab, 0xcd]));
//! assert_eq!(
//!     hex::decode_array::<2>("abc"),
//!     Err(hex::HexError::Length { expected: 4, found: 3 })
//! );
//! assert_eq!(hex::decode("0g"), Err(hex::HexError::NotHex { position: 2 }));
//! ```

use std::fmt;

/// Why a text is not the hex expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HexError {
    /// The text has `found` digits where `expected` were wanted.
    Length {
        /// Digits wanted (twice the byte count).
        expected: usize,
        /// Digits (bytes of text) found.
        found: usize,
    },
    /// An odd number of digits: not whole bytes.
    OddLength,
    /// The character at 1-based `position` is not a hex digit.
    NotHex {
        /// 1-based position of the first offending byte of the text.
        position: usize,
    },
}

impl fmt::Display for HexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HexError::Length { expected, found } => {
                write!(f, "must be {expected} hex digits, got {found}")
            }
            HexError::OddLength => f.write_str("has an odd number of hex digits"),
            HexError::NotHex { position } => {
                write!(f, "has a non-hex character at position {position}")
            }
        }
    }
}

impl std::error::Error for HexError {}

/// Lower-case hex of `bytes`.
pub fn encode(bytes: &[u8]) -> String {
    ::hex::encode(bytes)
}

/// Lower-case hex of `bytes` as a [`fmt::Display`], written straight to the
/// formatter (no intermediate string): for `Display` impls of hash values.
///
/// ```
/// assert_eq!(hashwall_lists::hex::display(&[0xde, 0xad]).to_string(), "dead");
/// ```
pub fn display(bytes: &[u8]) -> impl fmt::Display + '_ {
    Display(bytes)
}

struct Display<'a>(&'a [u8]);

impl fmt::Display for Display<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// Exactly `N` bytes from `2 * N` hex digits (either case).
pub fn decode_array<const N: usize>(text: &str) -> Result<[u8; N], HexError> {
    if text.len() != 2 * N {
        return Err(HexError::Length {
            expected: 2 * N,
            found: text.len(),
        });
    }
    let mut out = [0u8; N];
    ::hex::decode_to_slice(text, &mut out).map_err(|e| from_crate(text, e))?;
    Ok(out)
}

/// Any number of whole bytes from hex digits (either case).
pub fn decode(text: &str) -> Result<Vec<u8>, HexError> {
    ::hex::decode(text).map_err(|e| from_crate(text, e))
}

fn from_crate(text: &str, e: ::hex::FromHexError) -> HexError {
    match e {
        ::hex::FromHexError::OddLength => HexError::OddLength,
        ::hex::FromHexError::InvalidStringLength => HexError::Length {
            expected: text.len() + text.len() % 2,
            found: text.len(),
        },
        // `index` counts bytes of the text.
        ::hex::FromHexError::InvalidHexCharacter { index, .. } => HexError::NotHex {
            position: index + 1,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_errors() {
        let b = [0u8, 1, 0xab, 0xff];
        assert_eq!(encode(&b), "0001abff");
        assert_eq!(display(&b).to_string(), "0001abff");
        assert_eq!(decode_array::<4>("0001ABff"), Ok(b));
        assert_eq!(decode("0001ABff"), Ok(b.to_vec()));
        assert_eq!(
            decode_array::<4>("0001abf"),
            Err(HexError::Length {
                expected: 8,
                found: 7
            })
        );
        assert_eq!(
            decode_array::<4>("0001abfg"),
            Err(HexError::NotHex { position: 8 })
        );
        // A two-byte character is not two digits.
        assert!(decode_array::<2>("é1").is_err());
        assert!(decode_array::<2>("é12").is_err());
        assert_eq!(decode("abc"), Err(HexError::OddLength));
        assert_eq!(decode(""), Ok(Vec::new()));
    }
}
