//! What the ICAP parser bounds and how it fails: the head limits and the
//! parse errors, shared by the head parser and the request parser.

/// Size and count limits of a request head.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// The ICAP head and the encapsulated HTTP heads together, in bytes.
    pub max_head_bytes: usize,
    /// Header fields in each head.
    pub max_headers: usize,
}

/// Why a request does not parse; every case ends the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParseError {
    /// Not ICAP as RFC 3507 writes it (400).
    Malformed(&'static str),
    /// A head over the limits (400).
    TooLarge,
    /// A method this server does not know (501).
    Method,
    /// An ICAP version other than 1.0 (505).
    Version,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParseError::Malformed(m) => write!(f, "malformed ICAP request: {m}"),
            ParseError::TooLarge => f.write_str("ICAP request head too large"),
            ParseError::Method => f.write_str("unknown ICAP method"),
            ParseError::Version => f.write_str("unsupported ICAP version"),
        }
    }
}

impl std::error::Error for ParseError {}
