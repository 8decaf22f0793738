//! The publication layout (`hashlists/FORMAT.md`, "Publication"): one
//! directory per list holding its signed full lists, its signed deltas and
//! a manifest saying which is current. Plain files, so any static web
//! server can serve them; `hashwall lists publish` writes and serves them,
//! [`super::subscribe`] reads them.
//!
//! The manifest is not signed: everything it points to is. What an attacker
//! who controls the manifest can do is withhold (point at an old version,
//! or stop changing it); subscribers refuse a manifest whose sequence goes
//! backwards and report how long they have not been in step.

use std::fmt::Write as _;

use hashwall_lists::{ListMeta, Timestamp};

/// The manifest's file name in a list's directory.
pub const MANIFEST: &str = "manifest";

/// The largest manifest a subscriber reads (bytes).
pub const MAX_MANIFEST_BYTES: usize = 1 << 20;

/// The file name of the full list at `sequence`.
pub fn list_file(sequence: u64) -> String {
    format!("list-{sequence}.hwl")
}

/// The file name of the delta `from` -> `to`.
pub fn delta_file(from: u64, to: u64) -> String {
    format!("delta-{from}-{to}.hwd")
}

/// Whether `name` may appear in a manifest and be served: a plain file
/// name of `[A-Za-z0-9._-]`, not hidden (temporary files are), at most 255
/// bytes. No separators, so no way out of the list's directory.
pub fn is_safe_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

/// One available delta.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeltaRef {
    /// The sequence it applies to.
    pub from: u64,
    /// The sequence it produces.
    pub to: u64,
    /// Its file name in the list's directory.
    pub file: String,
}

/// A list's manifest: its current sequence, the full list at that
/// sequence, and the deltas available.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// The list's id.
    pub id: String,
    /// The current sequence.
    pub sequence: u64,
    /// When this manifest was written.
    pub published: Timestamp,
    /// The full list at `sequence`.
    pub list: String,
    /// The deltas, oldest first.
    pub deltas: Vec<DeltaRef>,
}

impl Manifest {
    /// The manifest text.
    pub fn to_text(&self) -> String {
        let mut o = String::with_capacity(128 + 40 * self.deltas.len());
        let _ = writeln!(o, "# hashwall-manifest: 1");
        let _ = writeln!(o, "# id: {}", self.id);
        let _ = writeln!(o, "# sequence: {}", self.sequence);
        let _ = writeln!(o, "# published: {}", self.published);
        let _ = writeln!(o, "list {} {}", self.sequence, self.list);
        for d in &self.deltas {
            let _ = writeln!(o, "delta {} {} {}", d.from, d.to, d.file);
        }
        o
    }

    /// Parses and checks a manifest: required header keys, one `list` line
    /// at the current sequence, deltas going forwards and not beyond it,
    /// safe file names.
    pub fn from_text(bytes: &[u8]) -> Result<Manifest, String> {
        if bytes.len() > MAX_MANIFEST_BYTES {
            return Err(format!("manifest over {MAX_MANIFEST_BYTES} bytes"));
        }
        let text = std::str::from_utf8(bytes).map_err(|_| "manifest is not UTF-8".to_owned())?;
        let (mut version, mut id, mut sequence, mut published) = (None, None, None, None);
        let mut list: Option<(u64, String)> = None;
        let mut deltas = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let at = |m: String| format!("manifest line {}: {m}", n + 1);
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            if let Some(h) = line.strip_prefix('#') {
                let Some((k, v)) = h.split_once(':') else {
                    continue;
                };
                let (k, v) = (k.trim(), v.trim());
                let slot = match k {
                    "hashwall-manifest" => &mut version,
                    "id" => &mut id,
                    "sequence" => &mut sequence,
                    "published" => &mut published,
                    _ => continue,
                };
                if slot.replace(v.to_owned()).is_some() {
                    return Err(at(format!("`{k}` given twice")));
                }
                continue;
            }
            let f: Vec<&str> = line.split_ascii_whitespace().collect();
            match f.as_slice() {
                ["list", seq, file] => {
                    if list.is_some() {
                        return Err(at("more than one `list` line".into()));
                    }
                    list = Some((num(seq).map_err(at)?, safe(file).map_err(at)?));
                }
                ["delta", from, to, file] => {
                    let (from, to) = (num(from).map_err(at)?, num(to).map_err(at)?);
                    if to <= from {
                        return Err(at(format!("delta {from} -> {to} does not go forwards")));
                    }
                    deltas.push(DeltaRef {
                        from,
                        to,
                        file: safe(file).map_err(at)?,
                    });
                }
                _ => return Err(at("expected `list SEQ FILE` or `delta FROM TO FILE`".into())),
            }
        }
        if version.as_deref() != Some("1") {
            return Err("not a version 1 manifest (`# hashwall-manifest: 1`)".into());
        }
        let id = id.ok_or("manifest lacks `# id:`")?;
        if !ListMeta::is_valid_id(&id) {
            return Err(format!("manifest id {id:?} is not a valid list id"));
        }
        let sequence = num(&sequence.ok_or("manifest lacks `# sequence:`")?)?;
        let published = published
            .ok_or("manifest lacks `# published:`")?
            .parse::<Timestamp>()
            .map_err(|e| format!("manifest published: {e}"))?;
        let (list_seq, list) = list.ok_or("manifest names no `list`")?;
        if list_seq != sequence {
            return Err(format!(
                "manifest is at sequence {sequence} but its list is at {list_seq}"
            ));
        }
        if let Some(d) = deltas.iter().find(|d| d.to > sequence) {
            return Err(format!(
                "manifest delta {} -> {} goes beyond its sequence {sequence}",
                d.from, d.to
            ));
        }
        Ok(Manifest {
            id,
            sequence,
            published,
            list,
            deltas,
        })
    }

    /// The deltas that take a list from `from` to this manifest's
    /// sequence, in order; `None` when there is a gap. Each step takes the
    /// delta from the current sequence that goes furthest.
    pub fn chain(&self, from: u64) -> Option<Vec<&DeltaRef>> {
        let mut out = Vec::new();
        let mut cur = from;
        while cur < self.sequence {
            let next = self
                .deltas
                .iter()
                .filter(|d| d.from == cur && d.to <= self.sequence)
                .max_by_key(|d| d.to)?;
            cur = next.to;
            out.push(next);
        }
        (cur == self.sequence).then_some(out)
    }
}

fn num(s: &str) -> Result<u64, String> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{s:?} is not a sequence number"));
    }
    s.parse().map_err(|_| format!("{s:?} is out of range"))
}

fn safe(s: &str) -> Result<String, String> {
    if is_safe_name(s) {
        Ok(s.to_owned())
    } else {
        Err(format!("{s:?} is not a plain file name"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        Manifest {
            id: "police".into(),
            sequence: 5,
            published: Timestamp::from_unix_seconds(1_700_000_000),
            list: list_file(5),
            deltas: vec![
                DeltaRef {
                    from: 2,
                    to: 3,
                    file: delta_file(2, 3),
                },
                DeltaRef {
                    from: 3,
                    to: 4,
                    file: delta_file(3, 4),
                },
                DeltaRef {
                    from: 3,
                    to: 5,
                    file: delta_file(3, 5),
                },
                DeltaRef {
                    from: 4,
                    to: 5,
                    file: delta_file(4, 5),
                },
            ],
        }
    }

    #[test]
    fn round_trips_and_chains() {
        let m = manifest();
        let back = Manifest::from_text(m.to_text().as_bytes());
        assert_eq!(back.as_ref(), Ok(&m));
        let files = |from| {
            m.chain(from)
                .map(|c| c.iter().map(|d| d.file.clone()).collect::<Vec<_>>())
        };
        assert_eq!(
            files(2),
            Some(vec!["delta-2-3.hwd".into(), "delta-3-5.hwd".into()])
        );
        assert_eq!(files(4), Some(vec!["delta-4-5.hwd".into()]));
        assert_eq!(files(5), Some(vec![]));
        assert_eq!(files(1), None, "gap: no delta from 1");
        assert_eq!(files(0), None);
    }

    #[test]
    fn refuses_bad_manifests() {
        let good = manifest().to_text();
        for (bad, why) in [
            (good.replace("list-5.hwl", "../x"), "plain file name"),
            (good.replace("list-5.hwl", ".hidden"), "plain file name"),
            (good.replace("list-5.hwl", "a/b"), "plain file name"),
            (good.replace("list-5.hwl", "%2e%2e"), "plain file name"),
            (good.replace("list 5 ", "list 4 "), "its list is at 4"),
            (
                good.replace("delta 4 5", "delta 5 4"),
                "does not go forwards",
            ),
            (good.replace("delta 4 5", "delta 4 9"), "goes beyond"),
            (good.replace("# sequence: 5\n", ""), "lacks `# sequence:`"),
            (
                good.replace("# id: police", "# id: a b"),
                "not a valid list id",
            ),
            (good.replace("manifest: 1", "manifest: 2"), "version 1"),
            (
                good.replace("# sequence: 5", "# sequence: -5"),
                "not a sequence",
            ),
            (format!("{good}list 5 list-5.hwl\n"), "more than one"),
            (format!("{good}rm -rf /\n"), "expected"),
        ] {
            let e = Manifest::from_text(bad.as_bytes())
                .err()
                .unwrap_or_default();
            assert!(e.contains(why), "{e} (wanted {why})");
        }
        assert!(Manifest::from_text(&[0xff, 0xfe]).is_err());
        assert!(Manifest::from_text(&vec![b'#'; MAX_MANIFEST_BYTES + 1]).is_err());
    }
}
