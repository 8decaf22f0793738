//! Pruning a publication directory: removing the full lists and deltas
//! that no subscriber worth serving by deltas needs any more.
//!
//! What is kept: the current full list, and every delta on the chain from
//! each of the N versions published before the current one (the chain a
//! subscriber at that version follows, [`Manifest::chain`]). A subscriber
//! further behind finds no chain and takes the full list, as it would after
//! a gap. The manifest is rewritten first (atomically) to name only what is
//! kept, then the rest is deleted: a subscriber reading the old manifest
//! meanwhile may find a delta gone (404) and falls back to the full list.
//!
//! Only files the publisher writes are candidates: `list-<seq>.hwl` below
//! the current sequence, deltas the old manifest names, and stray
//! `delta-<from>-<to>.hwd` files ending at or before the current sequence
//! (left by an interrupted publish). Files of a version not yet in the
//! manifest (a concurrent publish), and anything else in the directory, are
//! never touched.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use super::MANIFEST;
use super::manifest::{DeltaRef, Manifest};
use crate::atomic::write_atomic;
use crate::error::{Error, ErrorKind};
use crate::time::Timestamp;

/// What pruning one list's directory does (or would do).
#[derive(Debug, PartialEq, Eq)]
pub struct PrunePlan {
    /// The list's directory.
    pub dir: PathBuf,
    /// The manifest to write, when it changes.
    pub manifest: Option<Manifest>,
    /// Files to delete (names in `dir`), sorted.
    pub remove: Vec<String>,
    /// The versions whose subscribers can still catch up by deltas.
    pub kept_versions: Vec<u64>,
}

/// The versions `m` lets a subscriber be at: every delta's ends and the
/// current sequence, ascending.
fn versions(m: &Manifest) -> BTreeSet<u64> {
    let mut v: BTreeSet<u64> = m.deltas.iter().flat_map(|d| [d.from, d.to]).collect();
    v.insert(m.sequence);
    v
}

/// `list-<seq>.hwl` → `seq`.
fn full_list_sequence(name: &str) -> Option<u64> {
    number(name.strip_prefix("list-")?.strip_suffix(".hwl")?)
}

/// `delta-<from>-<to>.hwd` → `(from, to)`.
fn delta_sequences(name: &str) -> Option<(u64, u64)> {
    let (from, to) = name
        .strip_prefix("delta-")?
        .strip_suffix(".hwd")?
        .split_once('-')?;
    Some((number(from)?, number(to)?))
}

fn number(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Plans pruning the list directory `dir`, whose manifest is `m` and whose
/// files are `names`, keeping catch-up by deltas for the `keep` versions
/// before the current one. `now` stamps a rewritten manifest.
pub fn prune_plan(
    dir: &Path,
    m: &Manifest,
    names: &[String],
    keep: usize,
    now: Timestamp,
) -> PrunePlan {
    let kept_versions: Vec<u64> = versions(m)
        .into_iter()
        .filter(|v| *v < m.sequence)
        .rev()
        .take(keep)
        .collect();
    let mut needed: HashSet<&str> = HashSet::new();
    for v in &kept_versions {
        // A version with no chain (a gap) cannot be served by deltas
        // whatever is kept: it needs nothing.
        if let Some(chain) = m.chain(*v) {
            needed.extend(chain.iter().map(|d| d.file.as_str()));
        }
    }
    let deltas: Vec<DeltaRef> = m
        .deltas
        .iter()
        .filter(|d| needed.contains(d.file.as_str()))
        .cloned()
        .collect();
    let manifest = (deltas != m.deltas).then(|| Manifest {
        deltas,
        published: now,
        ..m.clone()
    });
    let named: HashSet<&str> = manifest
        .as_ref()
        .unwrap_or(m)
        .deltas
        .iter()
        .map(|d| d.file.as_str())
        .chain([m.list.as_str(), MANIFEST])
        .collect();
    let old_deltas: HashSet<&str> = m.deltas.iter().map(|d| d.file.as_str()).collect();
    let mut remove: Vec<String> = names
        .iter()
        .filter(|n| !named.contains(n.as_str()))
        .filter(|n| {
            old_deltas.contains(n.as_str())
                || full_list_sequence(n).is_some_and(|s| s < m.sequence)
                || delta_sequences(n).is_some_and(|(from, to)| from < to && to <= m.sequence)
        })
        .cloned()
        .collect();
    remove.sort();
    PrunePlan {
        dir: dir.to_path_buf(),
        manifest,
        remove,
        kept_versions,
    }
}

/// The list directories under the publication directory `dir`: its
/// subdirectories holding a manifest, or `dir` itself when it holds one.
pub fn list_dirs(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    if dir.join(MANIFEST).is_file() {
        return Ok(vec![dir.to_path_buf()]);
    }
    let rd = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut out = Vec::new();
    for e in rd {
        let p = e.map_err(|e| Error::io(dir, e))?.path();
        if p.join(MANIFEST).is_file() {
            out.push(p);
        }
    }
    out.sort();
    if out.is_empty() {
        return Err(Error::new(
            ErrorKind::InvalidManifest,
            "no manifest in it or its subdirectories: not a publication directory",
        )
        .with_path(dir));
    }
    Ok(out)
}

/// The plain file names in `dir` (no directories, no symbolic links).
fn file_names(dir: &Path) -> Result<Vec<String>, Error> {
    let rd = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut out = Vec::new();
    for e in rd {
        let e = e.map_err(|e| Error::io(dir, e))?;
        let is_file = e.file_type().is_ok_and(|t| t.is_file());
        if let (true, Some(n)) = (is_file, e.file_name().to_str()) {
            out.push(n.to_owned());
        }
    }
    Ok(out)
}

/// What [`prune`] did (or, dry, would do) in one list's directory.
#[derive(Debug, PartialEq, Eq)]
pub struct Pruned {
    /// The manifest before.
    pub before: Manifest,
    /// What was planned.
    pub plan: PrunePlan,
    /// Bytes of the files removed.
    pub bytes_freed: u64,
}

/// Plan and (unless `dry_run`) carry out pruning the list directory `ldir`,
/// keeping catch-up by deltas for the `keep` versions before the current
/// one; `now` stamps a rewritten manifest. The manifest is replaced first,
/// then the files go; a file already gone is not an error.
pub fn prune(ldir: &Path, keep: usize, dry_run: bool, now: Timestamp) -> Result<Pruned, Error> {
    let mpath = ldir.join(MANIFEST);
    let before = super::publish::read_manifest(&mpath)?.ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidManifest,
            "no manifest: not a list's publication directory",
        )
        .with_path(ldir)
    })?;
    let plan = prune_plan(ldir, &before, &file_names(ldir)?, keep, now);
    if let (Some(new), false) = (&plan.manifest, dry_run) {
        // First: once it is in place nothing names what goes.
        write_atomic(&mpath, |w| w.write_all(new.to_text().as_bytes()))?;
    }
    let mut bytes_freed = 0u64;
    for name in &plan.remove {
        let path = ldir.join(name);
        bytes_freed += std::fs::metadata(&path).map_or(0, |md| md.len());
        if !dry_run {
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                // Already gone (pruned by someone else): the goal.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io(&path, e)),
            }
        }
    }
    Ok(Pruned {
        before,
        plan,
        bytes_freed,
    })
}

#[cfg(test)]
mod tests {
    use super::super::{delta_file, list_file};
    use super::*;

    fn manifest(seq: u64, deltas: &[(u64, u64)]) -> Manifest {
        Manifest {
            id: "police".into(),
            issuer: None,
            sequence: seq,
            published: Timestamp::from_unix_seconds(1_700_000_000),
            list: list_file(seq),
            deltas: deltas
                .iter()
                .map(|&(from, to)| DeltaRef {
                    from,
                    to,
                    file: delta_file(from, to),
                })
                .collect(),
        }
    }

    /// The rewritten manifest of `p` (the test fails without one).
    fn rewritten(p: &PrunePlan) -> &Manifest {
        let Some(m) = &p.manifest else {
            panic!("the manifest was not rewritten: {p:?}")
        };
        m
    }

    fn kept(p: &PrunePlan) -> Vec<(u64, u64)> {
        rewritten(p).deltas.iter().map(|d| (d.from, d.to)).collect()
    }

    fn names(m: &Manifest, extra: &[&str]) -> Vec<String> {
        let mut n: Vec<String> = versions(m).iter().map(|s| list_file(*s)).collect();
        n.extend(m.deltas.iter().map(|d| d.file.clone()));
        n.push(MANIFEST.into());
        n.extend(extra.iter().map(|s| (*s).to_owned()));
        n
    }

    #[test]
    fn keeps_the_chains_of_the_last_versions() {
        let m = manifest(5, &[(1, 2), (2, 3), (3, 4), (4, 5)]);
        let now = Timestamp::from_unix_seconds(1_800_000_000);
        let p = prune_plan(
            Path::new("d"),
            &m,
            &names(&m, &["README", "notes.txt"]),
            2,
            now,
        );
        assert_eq!(p.kept_versions, vec![4, 3]);
        let new = rewritten(&p);
        assert_eq!(new.deltas, manifest(5, &[(3, 4), (4, 5)]).deltas);
        assert_eq!((new.sequence, &new.list, new.published), (5, &m.list, now));
        assert_eq!(
            p.remove,
            [
                "delta-1-2.hwd",
                "delta-2-3.hwd",
                "list-1.hwl",
                "list-2.hwl",
                "list-3.hwl",
                "list-4.hwl"
            ]
        );
        // Everything the new manifest names stays.
        for n in new.deltas.iter().map(|d| &d.file).chain([&new.list]) {
            assert!(!p.remove.contains(n), "{n}");
        }
    }

    #[test]
    fn cumulative_deltas_and_gaps() {
        // 3 -> 5 is the chain from 3 (it goes furthest); 4 -> 5 serves 4.
        let m = manifest(5, &[(1, 3), (3, 4), (3, 5), (4, 5)]);
        let now = Timestamp::from_unix_seconds(1_800_000_000);
        let p = prune_plan(Path::new("d"), &m, &names(&m, &[]), 2, now);
        assert_eq!(p.kept_versions, vec![4, 3]);
        assert_eq!(kept(&p), [(3, 5), (4, 5)]);
        assert!(p.remove.contains(&"delta-3-4.hwd".to_owned()));
        // Keeping every version still drops 3 -> 4: no chain takes it.
        let p = prune_plan(Path::new("d"), &m, &names(&m, &[]), 10, now);
        assert_eq!(p.kept_versions, vec![4, 3, 1]);
        assert_eq!(kept(&p), [(1, 3), (3, 5), (4, 5)]);
        // Without such a delta, keeping everything changes no delta and
        // leaves the manifest alone; old full lists still go.
        let m = manifest(5, &[(1, 2), (2, 3), (3, 4), (4, 5)]);
        let p = prune_plan(Path::new("d"), &m, &names(&m, &[]), 10, now);
        assert_eq!(p.manifest, None);
        assert_eq!(
            p.remove,
            ["list-1.hwl", "list-2.hwl", "list-3.hwl", "list-4.hwl"]
        );
        // keep 0: only the current list.
        let p = prune_plan(Path::new("d"), &m, &names(&m, &[]), 0, now);
        assert_eq!(kept(&p), []);
        assert_eq!(p.remove.len(), 8);
    }

    #[test]
    fn never_touches_a_newer_version_or_other_files() {
        let m = manifest(5, &[(4, 5)]);
        let now = Timestamp::from_unix_seconds(1_800_000_000);
        // An `add` of 6 in progress, a stray old delta, odd names.
        let extra = [
            "list-6.hwl",
            "delta-5-6.hwd",
            "delta-2-3.hwd",
            "delta-3-2.hwd",
            "list-x.hwl",
            "list-4.hwl.bak",
            ".manifest.tmp.1.0",
        ];
        let p = prune_plan(Path::new("d"), &m, &names(&m, &extra), 1, now);
        assert_eq!(p.manifest, None);
        assert_eq!(p.remove, ["delta-2-3.hwd", "list-4.hwl"]);
    }
}
