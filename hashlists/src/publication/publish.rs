//! Adding a version to a publication directory: the full list, the signed
//! delta from the version before, then the manifest.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::manifest::{DeltaRef, Manifest};
use super::{MANIFEST, delta_file, list_file};
use crate::atomic::write_atomic;
use crate::delta::Delta;
use crate::error::{Error, ErrorKind, clip};
use crate::key::SecretKey;
use crate::model::{Entry, List};
use crate::time::Timestamp;
use crate::trust::TrustStore;

/// Where the delta from the published version to the new one comes from.
#[derive(Debug, Clone, Copy)]
pub enum DeltaSource<'a> {
    /// This delta (signed by the issuer). It must verify and produce the
    /// new version's header and entries exactly, or nothing is published.
    Given(&'a Delta),
    /// Compute it and sign it with this key (the issuer's). When the
    /// header changed beyond what a delta carries (name, policy…), no delta
    /// is written and subscribers take the full list
    /// ([`Published::no_delta`] says why).
    Compute(&'a SecretKey),
    /// No delta: subscribers behind take the full list.
    None,
}

/// What [`publish`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// The list's directory in the publication directory (`DIR/<id>`).
    pub dir: PathBuf,
    /// The new manifest.
    pub manifest: Manifest,
    /// The delta's file name, when one was written.
    pub delta_file: Option<String>,
    /// Why a delta to compute was not written, if one was not.
    pub no_delta: Option<String>,
}

/// Add `list` (signed, verifying against `trust`) as the new version of its
/// list in the publication directory `dir`: `DIR/<id>/list-<seq>.hwl`, the
/// delta from the published version (as `delta` says), then the manifest,
/// each replaced atomically, the manifest last — a subscriber polling
/// meanwhile sees the old manifest (whose files all exist) or the new one.
///
/// # Errors
///
/// Nothing is published, and the manifest is unchanged, when: the list is
/// not signed ([`ErrorKind::Unsigned`]) or does not verify (the signature
/// kinds); the directory's manifest is for another list or the published
/// version has another issuer ([`ErrorKind::WrongList`]); the sequence
/// does not go forwards ([`ErrorKind::Rollback`]); a given delta does not
/// verify or does not produce the list ([`ErrorKind::WrongList`] and the
/// delta kinds); the manifest cannot be read
/// ([`ErrorKind::InvalidManifest`]); a file cannot be written.
pub fn publish(
    dir: &Path,
    list: &List,
    delta: DeltaSource<'_>,
    trust: &TrustStore,
    now: Timestamp,
) -> Result<Published, Error> {
    publish_text(dir, list, list.to_text().as_bytes(), delta, trust, now)
}

/// [`publish`] for the list file at `path`, published byte for byte.
/// Errors about the list name the file.
pub fn publish_file(
    dir: &Path,
    path: &Path,
    delta: DeltaSource<'_>,
    trust: &TrustStore,
    now: Timestamp,
) -> Result<Published, Error> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let list = List::from_text(&bytes, &stem).map_err(|e| e.with_path(path))?;
    publish_text(dir, &list, &bytes, delta, trust, now).map_err(|e| {
        if e.path().is_some() {
            e
        } else {
            e.with_path(path)
        }
    })
}

fn publish_text(
    dir: &Path,
    list: &List,
    text: &[u8],
    delta: DeltaSource<'_>,
    trust: &TrustStore,
    now: Timestamp,
) -> Result<Published, Error> {
    if list.meta.signature.is_none() {
        return Err(Error::new(
            ErrorKind::Unsigned,
            "not signed (hashwall lists sign); subscribers refuse unsigned lists",
        ));
    }
    list.verify(trust, now)?;
    let id = &list.meta.id;
    let ldir = dir.join(id);
    std::fs::create_dir_all(&ldir).map_err(|e| Error::io(&ldir, e))?;
    let mpath = ldir.join(MANIFEST);
    let previous = read_manifest(&mpath)?;
    let mut deltas = Vec::new();
    let (mut delta_written, mut no_delta) = (None, None);
    if let Some(prev) = &previous {
        let old = previous_version(&ldir, &mpath, prev, list)?;
        deltas.clone_from(&prev.deltas);
        let (d, given) = match delta {
            DeltaSource::Given(d) => (Some(d.clone()), true),
            DeltaSource::Compute(k) => {
                let mut d = Delta::diff(&old, list);
                d.sign(&old, k)?;
                (Some(d), false)
            }
            DeltaSource::None => (None, false),
        };
        if let Some(d) = d {
            match check_delta(&old, &d, list, trust, now) {
                Ok(()) => {
                    let name = delta_file(d.from, d.to);
                    write_atomic(&ldir.join(&name), |w| w.write_all(d.to_text().as_bytes()))?;
                    deltas.push(DeltaRef {
                        from: d.from,
                        to: d.to,
                        file: name.clone(),
                    });
                    delta_written = Some(name);
                }
                Err(e) if given => return Err(e),
                // A computed delta cannot carry a changed header (name,
                // policy...): subscribers then take the full list.
                Err(e) => no_delta = Some(e.message().to_owned()),
            }
        }
    }
    let name = list_file(list.meta.sequence);
    write_atomic(&ldir.join(&name), |w| w.write_all(text))?;
    let manifest = Manifest {
        id: id.clone(),
        issuer: Some(list.meta.issuer.clone()),
        sequence: list.meta.sequence,
        published: now,
        list: name,
        deltas,
    };
    // Last: subscribers only see the new version once all its files exist.
    write_atomic(&mpath, |w| w.write_all(manifest.to_text().as_bytes()))?;
    Ok(Published {
        dir: ldir,
        manifest,
        delta_file: delta_written,
        no_delta,
    })
}

/// The manifest at `path`, or `None` when there is none yet.
pub(super) fn read_manifest(path: &Path) -> Result<Option<Manifest>, Error> {
    match std::fs::read(path) {
        Ok(b) => Manifest::from_text(&b)
            .map(Some)
            .map_err(|e| e.with_path(path)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(path, e)),
    }
}

/// The published version `prev` names, after checking that `list` may
/// follow it: same id and issuer, a higher sequence.
fn previous_version(
    ldir: &Path,
    mpath: &Path,
    prev: &Manifest,
    list: &List,
) -> Result<List, Error> {
    let m = &list.meta;
    if prev.id != m.id {
        return Err(Error::new(
            ErrorKind::WrongList,
            format!("the manifest is for list {:?}", clip(&prev.id)),
        )
        .with_path(mpath));
    }
    if m.sequence <= prev.sequence {
        return Err(Error::new(
            ErrorKind::Rollback,
            format!(
                "sequence {} does not go forwards: {} is published at {}",
                m.sequence, m.id, prev.sequence
            ),
        ));
    }
    let old = List::read_file(&ldir.join(&prev.list))?;
    if old.meta.issuer != m.issuer {
        return Err(Error::new(
            ErrorKind::WrongList,
            format!(
                "issued by {:?}, the published list by {:?}",
                clip(&m.issuer),
                clip(&old.meta.issuer)
            ),
        ));
    }
    Ok(old)
}

/// The delta must be signed, verify, and take `old` to exactly `new`'s
/// header and entries (in any order).
fn check_delta(
    old: &List,
    d: &Delta,
    new: &List,
    trust: &TrustStore,
    now: Timestamp,
) -> Result<(), Error> {
    let wrong = |m: String| Error::new(ErrorKind::WrongList, m);
    if d.from != old.meta.sequence || d.to != new.meta.sequence {
        return Err(wrong(format!(
            "the delta goes {} -> {}, the versions are {} -> {}",
            d.from, d.to, old.meta.sequence, new.meta.sequence
        )));
    }
    let mut produced = old.clone();
    d.apply_to(&mut produced, trust, now)?;
    let mut a = produced.meta.clone();
    let mut b = new.meta.clone();
    a.signature = None;
    b.signature = None;
    if a != b {
        return Err(wrong(
            "the list's header changed beyond sequence, created and expires, which a delta cannot carry"
                .to_owned(),
        ));
    }
    let mut counts: HashMap<&Entry, i64> = HashMap::new();
    for e in &produced.entries {
        *counts.entry(e).or_default() += 1;
    }
    for e in &new.entries {
        *counts.entry(e).or_default() -= 1;
    }
    if counts.values().any(|n| *n != 0) {
        return Err(wrong(
            "the delta does not produce the list's entries".to_owned(),
        ));
    }
    Ok(())
}
