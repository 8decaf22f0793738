//! The manifest of a list's publication directory: which full list is
//! current and which deltas are available (`FORMAT.md`, "Publication").

use std::fmt::Write as _;

use super::is_safe_name;
use crate::error::{Error, ErrorKind, clip};
use crate::model::ListMeta;
use crate::time::Timestamp;

/// The largest manifest a subscriber reads (bytes).
pub const MAX_MANIFEST_BYTES: usize = 1 << 20;

/// One available delta.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
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
///
/// The manifest is not signed: everything it points to is. What an
/// attacker who controls it can do is withhold (point at an old version,
/// or stop changing it); subscribers refuse a manifest whose sequence goes
/// backwards ([`super::plan`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// The list's id.
    pub id: String,
    /// The list's issuer, when the publisher names it (`# issuer:`;
    /// manifests written before it was added have none). Informative: the
    /// signed files say who issued them, and a subscriber refuses a
    /// manifest naming another issuer than its copy's before fetching.
    pub issuer: Option<String>,
    /// The current sequence.
    pub sequence: u64,
    /// When this manifest was written.
    pub published: Timestamp,
    /// The full list at `sequence`.
    pub list: String,
    /// The deltas, oldest first.
    pub deltas: Vec<DeltaRef>,
}

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidManifest, message)
}

impl Manifest {
    /// The manifest text.
    pub fn to_text(&self) -> String {
        let mut o = String::with_capacity(160 + 40 * self.deltas.len());
        let _ = writeln!(o, "# hashwall-manifest: 1");
        let _ = writeln!(o, "# id: {}", self.id);
        if let Some(i) = &self.issuer {
            let _ = writeln!(o, "# issuer: {i}");
        }
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
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidManifest`], saying what is wrong (and on which
    /// line).
    pub fn from_text(bytes: &[u8]) -> Result<Manifest, Error> {
        if bytes.len() > MAX_MANIFEST_BYTES {
            return Err(invalid(format!("manifest over {MAX_MANIFEST_BYTES} bytes")));
        }
        let text = std::str::from_utf8(bytes).map_err(|_| invalid("manifest is not UTF-8"))?;
        let mut header = Header::default();
        let mut list: Option<(u64, String)> = None;
        let mut deltas = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let at = |e: Error| e.at_line(n + 1);
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            if let Some(h) = line.strip_prefix('#') {
                header.line(h).map_err(at)?;
                continue;
            }
            let f: Vec<&str> = line.split_ascii_whitespace().collect();
            match f.as_slice() {
                ["list", seq, file] => {
                    if list.is_some() {
                        return Err(at(invalid("more than one `list` line")));
                    }
                    list = Some((num(seq).map_err(at)?, safe(file).map_err(at)?));
                }
                ["delta", from, to, file] => {
                    let (from, to) = (num(from).map_err(at)?, num(to).map_err(at)?);
                    if to <= from {
                        return Err(at(invalid(format!(
                            "delta {from} -> {to} does not go forwards"
                        ))));
                    }
                    deltas.push(DeltaRef {
                        from,
                        to,
                        file: safe(file).map_err(at)?,
                    });
                }
                _ => {
                    return Err(at(invalid(
                        "expected `list SEQ FILE` or `delta FROM TO FILE`",
                    )));
                }
            }
        }
        header.finish(list, deltas)
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

/// The `# key: value` lines seen so far.
#[derive(Default)]
struct Header {
    version: Option<String>,
    id: Option<String>,
    issuer: Option<String>,
    sequence: Option<String>,
    published: Option<String>,
}

impl Header {
    /// One `#` line (without the `#`): a known key, or ignored.
    fn line(&mut self, h: &str) -> Result<(), Error> {
        let Some((k, v)) = h.split_once(':') else {
            return Ok(());
        };
        let (k, v) = (k.trim(), v.trim());
        let slot = match k {
            "hashwall-manifest" => &mut self.version,
            "id" => &mut self.id,
            "issuer" => &mut self.issuer,
            "sequence" => &mut self.sequence,
            "published" => &mut self.published,
            _ => return Ok(()),
        };
        if slot.replace(v.to_owned()).is_some() {
            return Err(invalid(format!("`{k}` given twice")));
        }
        Ok(())
    }

    fn finish(self, list: Option<(u64, String)>, deltas: Vec<DeltaRef>) -> Result<Manifest, Error> {
        if self.version.as_deref() != Some("1") {
            return Err(invalid(
                "not a version 1 manifest (`# hashwall-manifest: 1`)",
            ));
        }
        let id = self.id.ok_or_else(|| invalid("manifest lacks `# id:`"))?;
        if !ListMeta::is_valid_id(&id) {
            return Err(invalid(format!(
                "manifest id {:?} is not a valid list id",
                clip(&id)
            )));
        }
        if let Some(i) = &self.issuer
            && (i.is_empty() || i.chars().any(|c| c.is_control() && c != '\t'))
        {
            return Err(invalid(
                "manifest issuer must be non-empty text without control characters",
            ));
        }
        let sequence = num(&self
            .sequence
            .ok_or_else(|| invalid("manifest lacks `# sequence:`"))?)?;
        let published = self
            .published
            .ok_or_else(|| invalid("manifest lacks `# published:`"))?
            .parse::<Timestamp>()
            .map_err(|e| invalid(format!("manifest published: {}", e.message())))?;
        let (list_seq, list) = list.ok_or_else(|| invalid("manifest names no `list`"))?;
        if list_seq != sequence {
            return Err(invalid(format!(
                "manifest is at sequence {sequence} but its list is at {list_seq}"
            )));
        }
        if let Some(d) = deltas.iter().find(|d| d.to > sequence) {
            return Err(invalid(format!(
                "manifest delta {} -> {} goes beyond its sequence {sequence}",
                d.from, d.to
            )));
        }
        Ok(Manifest {
            id,
            issuer: self.issuer,
            sequence,
            published,
            list,
            deltas,
        })
    }
}

fn num(s: &str) -> Result<u64, Error> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(format!("{:?} is not a sequence number", clip(s))));
    }
    s.parse()
        .map_err(|_| invalid(format!("{:?} is out of range", clip(s))))
}

fn safe(s: &str) -> Result<String, Error> {
    if is_safe_name(s) {
        Ok(s.to_owned())
    } else {
        Err(invalid(format!("{:?} is not a plain file name", clip(s))))
    }
}

#[cfg(test)]
mod tests {
    use super::super::{delta_file, list_file};
    use super::*;

    pub(crate) fn manifest() -> Manifest {
        let d = |from, to| DeltaRef {
            from,
            to,
            file: delta_file(from, to),
        };
        Manifest {
            id: "police".into(),
            issuer: Some("Example Police".into()),
            sequence: 5,
            published: Timestamp::from_unix_seconds(1_700_000_000),
            list: list_file(5),
            deltas: vec![d(2, 3), d(3, 4), d(3, 5), d(4, 5)],
        }
    }

    #[test]
    fn round_trips_and_chains() {
        let m = manifest();
        let back = Manifest::from_text(m.to_text().as_bytes());
        assert_eq!(back.ok().as_ref(), Some(&m));
        let without_issuer = Manifest {
            issuer: None,
            ..m.clone()
        };
        let back = Manifest::from_text(without_issuer.to_text().as_bytes());
        assert_eq!(back.ok(), Some(without_issuer));
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
            (format!("{good}# issuer: Other\n"), "given twice"),
            (format!("{good}rm -rf /\n"), "expected"),
        ] {
            let e = Manifest::from_text(bad.as_bytes()).err();
            let e = e.map(|e| (e.kind(), e.to_string()));
            assert!(
                e.as_ref()
                    .is_some_and(|(k, m)| *k == ErrorKind::InvalidManifest && m.contains(why)),
                "{e:?} (wanted {why})"
            );
        }
        assert!(Manifest::from_text(&[0xff, 0xfe]).is_err());
        assert!(Manifest::from_text(&vec![b'#'; MAX_MANIFEST_BYTES + 1]).is_err());
    }
}
