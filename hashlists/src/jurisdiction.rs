//! [`Jurisdiction`]: an ISO 3166-1 alpha-2 country code or `INT`.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, ErrorKind};

/// The officially assigned ISO 3166-1 alpha-2 codes (249), sorted.
///
/// Exceptionally, transitionally or user-assigned codes (`EU`, `UK`, `XK`,
/// ...) are not included.
pub(crate) static ASSIGNED: [&str; 249] = [
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
];

/// Where a list applies: an officially assigned ISO 3166-1 alpha-2 country
/// code (`GB`, `DE`, `US`, ...) or `INT` for international lists.
///
/// Parsing is ASCII case-insensitive and normalises to upper case (`gb` →
/// `GB`, `int` → `INT`). Codes that are not officially assigned (`XX`, `UK`,
/// `EU`, `XK`) are rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Jurisdiction(&'static str);

impl Jurisdiction {
    /// `INT`: not tied to one country.
    pub const INTERNATIONAL: Jurisdiction = Jurisdiction("INT");

    /// The code, upper case: `"GB"` or `"INT"`.
    pub fn as_str(&self) -> &'static str {
        self.0
    }

    /// Whether this is [`Jurisdiction::INTERNATIONAL`].
    pub fn is_international(&self) -> bool {
        *self == Jurisdiction::INTERNATIONAL
    }

    /// All jurisdictions: the 249 assigned country codes, then `INT`.
    pub fn all() -> impl Iterator<Item = Jurisdiction> {
        ASSIGNED
            .iter()
            .map(|c| Jurisdiction(c))
            .chain(std::iter::once(Jurisdiction::INTERNATIONAL))
    }
}

impl Default for Jurisdiction {
    fn default() -> Jurisdiction {
        Jurisdiction::INTERNATIONAL
    }
}

impl fmt::Display for Jurisdiction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl FromStr for Jurisdiction {
    type Err = Error;

    fn from_str(s: &str) -> Result<Jurisdiction, Error> {
        if s.eq_ignore_ascii_case("INT") {
            return Ok(Jurisdiction::INTERNATIONAL);
        }
        if let &[a, b] = s.as_bytes() {
            let code = [a.to_ascii_uppercase(), b.to_ascii_uppercase()];
            if let Ok(i) = ASSIGNED.binary_search_by(|c| c.as_bytes().cmp(&code[..])) {
                return Ok(Jurisdiction(ASSIGNED[i]));
            }
        }
        Err(Error::new(
            ErrorKind::InvalidJurisdiction,
            format!(
                "invalid jurisdiction {:?}: expected an assigned ISO 3166-1 alpha-2 code or INT",
                crate::error::clip(s)
            ),
        ))
    }
}
