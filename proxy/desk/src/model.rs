//! The desk's vocabulary: references, categories, sources, roles, states,
//! decisions, and the records the store returns.
//!
//! Every enum has one spelling (`as_str`), used in the database, the JSON
//! API and the statistics; `FromStr` accepts exactly that spelling.

use std::fmt;
use std::str::FromStr;

use hashwall::lists::{EntryKind, Timestamp};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, ErrorKind, Result};

/// Characters of a reference after `R-`: RFC 4648 base32, no padding.
const REFERENCE_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/// 20 base32 characters: 100 random bits, so a reference cannot be guessed.
const REFERENCE_CHARS: usize = 20;

/// A report's reference: `R-` and 20 base32 characters from the operating
/// system's random source (100 bits). The reporter's only key to the
/// report's state, so it must not be guessable.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Reference(String);

impl Reference {
    /// A new random reference.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Storage`] when the system has no random source.
    pub fn random() -> Result<Reference> {
        let mut bytes = [0u8; REFERENCE_CHARS];
        getrandom::fill(&mut bytes)
            .map_err(|e| Error::new(ErrorKind::Storage, format!("random source: {e}")))?;
        let mut s = String::with_capacity(2 + REFERENCE_CHARS);
        s.push_str("R-");
        for b in bytes {
            s.push(char::from(REFERENCE_ALPHABET[usize::from(b & 31)]));
        }
        Ok(Reference(s))
    }

    /// The reference as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Reference {
    type Err = Error;
    fn from_str(s: &str) -> Result<Reference> {
        let body = s.strip_prefix("R-").unwrap_or("");
        if body.len() == REFERENCE_CHARS && body.bytes().all(|b| REFERENCE_ALPHABET.contains(&b)) {
            Ok(Reference(s.to_owned()))
        } else {
            Err(Error::new(
                ErrorKind::Invalid,
                "a report reference is R- and 20 characters A-Z, 2-7",
            ))
        }
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Reference {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Reference {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Reference, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Declares a C-like enum with one spelling per variant: `as_str`,
/// `FromStr`, `Display`, `Serialize` and `ALL`.
macro_rules! spelled {
    ($(#[$doc:meta])* $name:ident, $what:literal { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The one spelling (database, JSON, statistics).
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<$name> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(Error::new(
                        ErrorKind::Invalid,
                        format!(concat!("unknown ", $what, " {:?} (expected one of: {})"), s,
                            [$($text),+].join(", ")),
                    )),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<$name, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

spelled!(
    /// What a report is about.
    Category, "category" {
        /// Child sexual abuse material.
        Csam = "csam",
        /// Terrorist content.
        Terrorism = "terrorism",
        /// Other illegal content.
        OtherIllegal = "other",
    }
);

impl Category {
    /// The list category of the desk's list for this category.
    pub fn list_category(self) -> hashwall::lists::Category {
        match self {
            Category::Csam => hashwall::lists::Category::Csam,
            Category::Terrorism => hashwall::lists::Category::Terrorism,
            Category::OtherIllegal => hashwall::lists::Category::Other("other".into()),
        }
    }
}

spelled!(
    /// Who sent a report.
    Source, "source" {
        /// A member of the public, through the form or an app.
        Public = "public",
        /// A partner organisation (another hotline, a platform).
        Partner = "partner",
        /// Found by the desk's own analysts.
        Proactive = "proactive",
    }
);

spelled!(
    /// A staff member's role.
    Role, "role" {
        /// Assesses and confirms reports.
        Analyst = "analyst",
        /// An analyst who also settles disagreements.
        Supervisor = "supervisor",
    }
);

spelled!(
    /// Where a report is in the workflow.
    Status, "status" {
        /// Waiting in the queue.
        Received = "received",
        /// Opened (locked) by an analyst.
        Assessing = "assessing",
        /// Assessed illegal; waiting for a second analyst.
        AwaitingConfirmation = "awaiting_confirmation",
        /// The second analyst disagreed; waiting for a supervisor.
        Disputed = "disputed",
        /// Decided (see the outcome).
        Closed = "closed",
    }
);

impl Status {
    /// What the reporter may see: `received`, `being_assessed` or `closed`.
    pub fn public_state(self) -> &'static str {
        match self {
            Status::Received => "received",
            Status::Assessing | Status::AwaitingConfirmation | Status::Disputed => "being_assessed",
            Status::Closed => "closed",
        }
    }
}

spelled!(
    /// How a report was decided.
    Outcome, "outcome" {
        /// Illegal: listed.
        Illegal = "illegal",
        /// Not illegal.
        NotIllegal = "not_illegal",
        /// Reported before (linked to the earlier report).
        Duplicate = "duplicate",
        /// Passed to the police only; not listed.
        PoliceOnly = "police_only",
    }
);

spelled!(
    /// The list entry kinds the desk lists.
    ListedKind, "entry kind" {
        /// Exactly one URL.
        Url = "url",
        /// Every URL under a prefix.
        UrlPrefix = "url-prefix",
        /// A whole domain and its subdomains.
        Domain = "domain",
    }
);

impl ListedKind {
    /// The list crate's entry kind.
    pub fn entry_kind(self) -> EntryKind {
        match self {
            ListedKind::Url => EntryKind::Url,
            ListedKind::UrlPrefix => EntryKind::UrlPrefix,
            ListedKind::Domain => EntryKind::Domain,
        }
    }
}

spelled!(
    /// Notice-and-takedown events.
    TakedownEvent, "takedown event" {
        /// The host was notified.
        HostNotified = "notified",
        /// The content was removed.
        ContentRemoved = "removed",
        /// Checked: the content is still online.
        StillOnline = "still_online",
    }
);

/// An analyst's (or supervisor's) decision on a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case", deny_unknown_fields)]
pub enum Decision {
    /// Illegal: list `value` as `kind`, in the desk's list for `category`.
    Illegal {
        /// The category confirmed.
        category: Category,
        /// The entry kind.
        kind: ListedKind,
        /// What to list, as the list format writes it (no scheme).
        value: String,
    },
    /// Not illegal.
    NotIllegal,
    /// A duplicate of an earlier report.
    Duplicate {
        /// The earlier report.
        of: Reference,
    },
    /// For the police only; nothing is listed.
    PoliceOnly,
}

impl Decision {
    /// The outcome this decision leads to.
    pub fn outcome(&self) -> Outcome {
        match self {
            Decision::Illegal { .. } => Outcome::Illegal,
            Decision::NotIllegal => Outcome::NotIllegal,
            Decision::Duplicate { .. } => Outcome::Duplicate,
            Decision::PoliceOnly => Outcome::PoliceOnly,
        }
    }
}

/// A report as submitted, before the desk has looked at it.
#[derive(Debug, Clone)]
pub struct NewReport {
    /// The URLs as the reporter wrote them (1 to the configured maximum).
    pub urls: Vec<String>,
    /// The reporter's category.
    pub category: Category,
    /// Free text, possibly empty.
    pub description: String,
    /// For feedback; deleted once feedback is sent or after the retention.
    pub email: Option<String>,
    /// Who sent it.
    pub source: Source,
}

/// A URL of the report found in an open report already.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Duplicate {
    /// The canonical URL.
    pub url: String,
    /// The open report it was linked to.
    pub reference: Reference,
}

/// A URL of the report that a served list already covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlreadyListed {
    /// The canonical URL.
    pub url: String,
    /// The list's id.
    pub list: String,
    /// The list's issuer.
    pub issuer: String,
    /// The entry's reference in that list, if it has one.
    pub reference: Option<String>,
}

/// What intake answers.
#[derive(Debug, Clone, Serialize)]
pub struct IntakeOutcome {
    /// The new report's reference.
    pub reference: Reference,
    /// Its state: `received`, or `closed` when every URL was a duplicate.
    pub status: Status,
    /// URLs already in an open report.
    pub duplicates: Vec<Duplicate>,
    /// URLs a served list already covers.
    pub already_listed: Vec<AlreadyListed>,
}

/// One URL of a stored report.
#[derive(Debug, Clone, Serialize)]
pub struct ReportUrl {
    /// As the reporter wrote it (`anonymised` after the retention period).
    pub given: String,
    /// Canonical (Safe Browsing), as the engine checks it.
    pub canonical: String,
    /// The canonical host.
    pub host: String,
    /// ISO 3166 country of the host's address, if known.
    pub country: Option<String>,
    /// The open report this URL was linked to, if it was a duplicate.
    pub duplicate_of: Option<Reference>,
    /// The served lists that covered it at intake.
    pub already_listed: Vec<AlreadyListed>,
}

/// A stored report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Its reference.
    pub reference: Reference,
    /// The reporter's category.
    pub category: Category,
    /// Who sent it.
    pub source: Source,
    /// The reporter's description.
    pub description: String,
    /// Whether an e-mail address for feedback is still held.
    pub has_email: bool,
    /// Where it is.
    pub status: Status,
    /// How it was decided, once closed.
    pub outcome: Option<Outcome>,
    /// When it arrived.
    #[serde(serialize_with = "ser_time")]
    pub received_at: Timestamp,
    /// When it was decided.
    #[serde(serialize_with = "ser_opt_time")]
    pub decided_at: Option<Timestamp>,
    /// When its entry was published.
    #[serde(serialize_with = "ser_opt_time")]
    pub listed_at: Option<Timestamp>,
    /// The analyst holding it open.
    pub locked_by: Option<String>,
    /// Until when (an expired lock is free for anyone).
    #[serde(serialize_with = "ser_opt_time")]
    pub locked_until: Option<Timestamp>,
    /// The analyst who assessed it.
    pub assessed_by: Option<String>,
    /// The assessment waiting for confirmation (or disputed, or final).
    pub proposed: Option<Decision>,
    /// The second analyst (or supervisor) who settled it.
    pub confirmed_by: Option<String>,
    /// When the host was notified.
    #[serde(serialize_with = "ser_opt_time")]
    pub notified_at: Option<Timestamp>,
    /// When the content was found removed.
    #[serde(serialize_with = "ser_opt_time")]
    pub removed_at: Option<Timestamp>,
    /// When the content was last found still online.
    #[serde(serialize_with = "ser_opt_time")]
    pub still_online_at: Option<Timestamp>,
    /// Later reports linked to this one.
    pub duplicate_count: u32,
    /// Its URLs, in the reporter's order.
    pub urls: Vec<ReportUrl>,
}

/// A line of the assessment queue.
#[derive(Debug, Clone, Serialize)]
pub struct QueueItem {
    /// The report.
    pub reference: Reference,
    /// The reporter's category.
    pub category: Category,
    /// Where it is.
    pub status: Status,
    /// When it arrived.
    #[serde(serialize_with = "ser_time")]
    pub received_at: Timestamp,
    /// How many URLs.
    pub urls: u32,
    /// Who holds it open, if anyone (and the lock has not expired).
    pub locked_by: Option<String>,
    /// Who assessed it, if it waits for confirmation.
    pub assessed_by: Option<String>,
    /// Later reports linked to this one.
    pub duplicate_count: u32,
}

/// A logged-in staff member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    /// The account name.
    pub name: String,
    /// The role.
    pub role: Role,
}

/// One line of the desk's audit trail.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEvent {
    /// When.
    #[serde(serialize_with = "ser_time")]
    pub at: Timestamp,
    /// Who (`public`, `partner`, a user name, `desk` for the desk itself).
    pub actor: String,
    /// What (`submit`, `open`, `assess`, `confirm`, `list`, ...).
    pub action: String,
    /// Which report, if any.
    pub reference: Option<Reference>,
    /// The details, one line.
    pub detail: String,
}

fn ser_time<S: Serializer>(t: &Timestamp, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.collect_str(t)
}

fn ser_opt_time<S: Serializer>(
    t: &Option<Timestamp>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.collect_str(t),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_random_and_parse_back() {
        let a = Reference::random().unwrap();
        let b = Reference::random().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.as_str().parse::<Reference>().unwrap(), a);
        for bad in [
            "",
            "R-",
            "R-ABC",
            "X-AAAAAAAAAAAAAAAAAAAA",
            "R-AAAAAAAAAAAAAAAAAAA1",
            "R-aaaaaaaaaaaaaaaaaaaa",
        ] {
            assert!(bad.parse::<Reference>().is_err(), "{bad}");
        }
    }

    #[test]
    fn spellings_round_trip() {
        for c in Category::ALL {
            assert_eq!(c.as_str().parse::<Category>().unwrap(), *c);
        }
        for s in Status::ALL {
            assert_eq!(s.as_str().parse::<Status>().unwrap(), *s);
        }
        assert_eq!(
            "url-prefix".parse::<ListedKind>().unwrap(),
            ListedKind::UrlPrefix
        );
        let e = "CSAM".parse::<Category>().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Invalid);
        assert!(e.to_string().contains("csam, terrorism, other"), "{e}");
    }

    #[test]
    fn decisions_serialise_with_their_outcome() {
        let d = Decision::Illegal {
            category: Category::Csam,
            kind: ListedKind::Url,
            value: "bad.example/a".into(),
        };
        assert_eq!(
            serde_json::to_value(&d).unwrap(),
            serde_json::json!({"outcome": "illegal", "category": "csam", "kind": "url", "value": "bad.example/a"})
        );
        assert_eq!(Status::Disputed.public_state(), "being_assessed");
    }
}
