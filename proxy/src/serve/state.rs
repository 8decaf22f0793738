//! The rollback floors that survive a restart (`[lists] state`).
//!
//! Refusing a reload at a lower sequence protects only while the process
//! runs: after a restart, whatever genuinely signed file is in place would
//! load, so an attacker who can swap a file for an older version and wait
//! for a restart could un-block what the issuer added since. The state file
//! records, per list (issuer and id), the highest sequence ever served; the
//! first load after a restart is held to it like a reload is held to the
//! running snapshot.
//!
//! The file is JSON, rewritten atomically (temporary file, fsync, rename)
//! after every successful load:
//!
//! ```json
//! {"version": 1, "lists": [{"issuer": "Example Police", "id": "police", "sequence": 42}]}
//! ```
//!
//! A missing file means no floor (the first start). A file that cannot be
//! read or parsed is an error at start, never silently ignored: ignoring it
//! would be exactly the rollback it exists to stop.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hashwall_lists::RollbackFloor;
use serde::{Deserialize, Serialize};

/// The state file format version written and accepted.
const VERSION: u32 = 1;

/// Largest state file read; a real one is a few hundred bytes per list.
const MAX_BYTES: u64 = 16 << 20;

/// What identifies a list for its floor: its issuer and its id.
pub type ListKey = (String, String);

/// The highest sequence served, per list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Floors(pub BTreeMap<ListKey, u64>);

impl Floors {
    /// The floor of list `id` from `issuer`, if one is recorded.
    pub fn get(&self, issuer: &str, id: &str) -> Option<u64> {
        self.0.get(&(issuer.to_owned(), id.to_owned())).copied()
    }

    /// Records that `issuer`'s list `id` is served at `sequence`: the floor
    /// only rises, unless `lower` (an `allow_rollback` list, which records
    /// what it serves).
    pub fn record(&mut self, issuer: &str, id: &str, sequence: u64, lower: bool) {
        let floor = self
            .0
            .entry((issuer.to_owned(), id.to_owned()))
            .or_default();
        if lower || sequence > *floor {
            *floor = sequence;
        }
    }

    /// The file's text.
    pub fn to_json(&self) -> Result<String, String> {
        let file = StateFile {
            version: VERSION,
            lists: self
                .0
                .iter()
                .map(|((issuer, id), &sequence)| Record {
                    issuer: issuer.clone(),
                    id: id.clone(),
                    sequence,
                })
                .collect(),
        };
        serde_json::to_string_pretty(&file)
            .map(|t| t + "\n")
            .map_err(|e| e.to_string())
    }

    /// Parses the file's text.
    pub fn from_json(text: &[u8]) -> Result<Floors, String> {
        let file: StateFile = serde_json::from_slice(text).map_err(|e| e.to_string())?;
        if file.version != VERSION {
            return Err(format!(
                "version {} is not supported (expected {VERSION})",
                file.version
            ));
        }
        let mut floors = Floors::default();
        for r in file.lists {
            let key = (r.issuer, r.id);
            if floors.0.insert(key.clone(), r.sequence).is_some() {
                return Err(format!(
                    "list {:?} of issuer {:?} is recorded twice",
                    key.1, key.0
                ));
            }
        }
        Ok(floors)
    }

    /// Reads the state file at `path`: no file is no floor; anything else
    /// that goes wrong is an error naming the file.
    pub fn read(path: &Path) -> Result<Floors, String> {
        let what = |e: String| {
            format!(
                "state file {}: {e} (fix or remove it; removing it forgets the rollback floors)",
                path.display()
            )
        };
        let bytes = match read_bounded(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Floors::default()),
            Err(e) => return Err(what(e.to_string())),
        };
        Floors::from_json(&bytes).map_err(what)
    }

    /// Replaces the state file at `path` with these floors, atomically and
    /// durably.
    pub fn write(&self, path: &Path) -> Result<(), String> {
        let text = self
            .to_json()
            .map_err(|e| format!("state file {}: {e}", path.display()))?;
        hashwall_lists::write_atomic(path, |w| w.write_all(text.as_bytes()))
            .map_err(|e| format!("state file {}: {e}", path.display()))
    }
}

/// The floors hold every list load to the highest sequence served.
impl RollbackFloor for Floors {
    fn floor(&self, issuer: &str, id: &str) -> Option<u64> {
        self.get(issuer, id)
    }
}

fn read_bounded(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(MAX_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(std::io::Error::other(format!(
            "larger than {MAX_BYTES} bytes"
        )));
    }
    Ok(bytes)
}

/// Where the floors are kept, and the floors as last recorded.
#[derive(Debug)]
pub struct State {
    /// The state file; none keeps the floors in memory only.
    pub path: Option<PathBuf>,
    /// The floors: read at start, raised by every load.
    pub floors: Floors,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateFile {
    version: u32,
    lists: Vec<Record>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Record {
    issuer: String,
    id: String,
    sequence: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floors_round_trip_and_only_rise() {
        let mut f = Floors::default();
        f.record("Police", "police", 5, false);
        f.record("Police", "police", 3, false);
        assert_eq!(f.get("Police", "police"), Some(5));
        f.record("Other", "police", 2, false);
        assert_eq!(f.get("Other", "police"), Some(2));
        f.record("Police", "police", 3, true);
        assert_eq!(f.get("Police", "police"), Some(3));
        let text = f.to_json().unwrap_or_default();
        assert_eq!(Floors::from_json(text.as_bytes()), Ok(f));
    }

    #[test]
    fn bad_files_are_errors() {
        for bad in [
            &b""[..],
            b"{",
            b"{\"version\": 2, \"lists\": []}",
            b"{\"version\": 1}",
            b"{\"version\": 1, \"lists\": [{\"issuer\": \"a\", \"id\": \"b\", \"sequence\": -1}]}",
            b"{\"version\": 1, \"lists\": [], \"extra\": 1}",
            b"{\"version\": 1, \"lists\": [{\"issuer\": \"a\", \"id\": \"b\", \"sequence\": 1},\
               {\"issuer\": \"a\", \"id\": \"b\", \"sequence\": 2}]}",
        ] {
            assert!(
                Floors::from_json(bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
