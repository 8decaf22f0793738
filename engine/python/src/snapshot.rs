//! `Snapshot` and `Engine`: loading lists and checking URLs, images and
//! hashes against them, one at a time or in batches on every core.

use std::path::PathBuf;
use std::sync::Arc;

use std::time::Duration;

use arc_swap::ArcSwap;
use hashwall::image::{ImageHash, ImageHashes};
use hashwall::lists::EntryKind;
use hashwall::{HashValue, Snapshot};
use pyo3::exceptions::{PyOSError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString};

use crate::batch::{default_workers, par_map};
use crate::errors::{engine_error, list_error, list_error_msg, lost_item};
use crate::hashing::PyImageHash;
use crate::input::{FileBytes, file_bytes};
use crate::sources::{BuildError, Sources};
use crate::verdict::PyVerdict;

/// A snapshot and the sources it was built from.
pub(crate) struct Shared {
    snapshot: Snapshot,
    sources: Sources,
}

fn build_error(py: Python<'_>, e: BuildError) -> PyErr {
    match e {
        BuildError::Io(path, e) => PyOSError::new_err(format!("{}: {e}", path.display())),
        BuildError::List(origin, e) => list_error(py, &origin, &e),
        BuildError::Entry(origin, e) => {
            list_error_msg(py, format!("{origin}: {e}"), "invalid-entry")
        }
    }
}

fn build(py: Python<'_>, sources: Sources) -> PyResult<PySnapshot> {
    match py.detach(|| sources.build()) {
        Ok(snapshot) => Ok(PySnapshot(Arc::new(Shared { snapshot, sources }))),
        Err(e) => Err(build_error(py, e)),
    }
}

/// One path or a sequence of paths.
fn paths(obj: &Bound<'_, PyAny>) -> PyResult<Vec<PathBuf>> {
    if let Ok(p) = obj.extract::<PathBuf>() {
        return Ok(vec![p]);
    }
    obj.extract()
}

/// Lists compiled into one immutable matcher. Build it with
/// `Snapshot.load` (list files, verified against a trust store) or
/// `Snapshot.from_text`; share it freely between threads. It pickles (as
/// its lists' bytes and trust store, verified again when unpickled), so it
/// can be broadcast to Ray or Spark workers.
#[pyclass(frozen, from_py_object, module = "hashwall", name = "Snapshot")]
#[derive(Clone)]
pub(crate) struct PySnapshot(Arc<Shared>);

#[pymethods]
impl PySnapshot {
    /// Reads list files (one path or a sequence) and compiles them. Each
    /// signed list must verify against the trust store file `trust` (the
    /// keys each issuer may sign with); unsigned lists load only with
    /// `allow_unsigned=True`, expired ones only with `allow_expired=True`.
    /// Raises `ListError` (with `reason` such as `untrusted-key`,
    /// `bad-signature`, `unsigned`, `expired`) or `OSError`.
    #[staticmethod]
    #[pyo3(signature = (paths, trust = None, allow_unsigned = false, allow_expired = false))]
    fn load(
        py: Python<'_>,
        paths: &Bound<'_, PyAny>,
        trust: Option<PathBuf>,
        allow_unsigned: bool,
        allow_expired: bool,
    ) -> PyResult<PySnapshot> {
        let paths = self::paths(paths)?;
        let sources = py
            .detach(|| Sources::read(&paths, trust.as_deref(), allow_unsigned, allow_expired))
            .map_err(|e| build_error(py, e))?;
        build(py, sources)
    }

    /// Compiles lists given as text (`str` or `bytes`, one or a sequence),
    /// with the same checks as `load`.
    #[staticmethod]
    #[pyo3(signature = (texts, trust = None, allow_unsigned = false))]
    fn from_text(
        py: Python<'_>,
        texts: &Bound<'_, PyAny>,
        trust: Option<PathBuf>,
        allow_unsigned: bool,
    ) -> PyResult<PySnapshot> {
        let one = |t: &Bound<'_, PyAny>| -> PyResult<Vec<u8>> {
            if let Ok(s) = t.cast::<PyString>() {
                return Ok(s.to_cow()?.as_bytes().to_vec());
            }
            if let Ok(b) = t.cast::<PyBytes>() {
                return Ok(b.as_bytes().to_vec());
            }
            Err(PyTypeError::new_err("a list's text must be str or bytes"))
        };
        let texts: Vec<Vec<u8>> =
            if texts.cast::<PyString>().is_ok() || texts.cast::<PyBytes>().is_ok() {
                vec![one(texts)?]
            } else {
                let mut v = Vec::new();
                for t in texts.try_iter()? {
                    v.push(one(&t?)?);
                }
                v
            };
        let mut sources = py
            .detach(|| Sources::read(&[], trust.as_deref(), allow_unsigned, false))
            .map_err(|e| build_error(py, e))?;
        sources.lists = texts
            .into_iter()
            .enumerate()
            .map(|(i, t)| (format!("text-{}", i + 1), t))
            .collect();
        build(py, sources)
    }

    /// A snapshot with no lists (every check is `no-match`).
    #[staticmethod]
    fn empty() -> PySnapshot {
        PySnapshot(Arc::new(Shared {
            snapshot: Snapshot::empty(),
            sources: Sources::default(),
        }))
    }

    /// The ids of the lists, in load order.
    #[getter]
    fn lists(&self) -> Vec<String> {
        self.0
            .snapshot
            .lists()
            .iter()
            .map(|l| l.id().to_owned())
            .collect()
    }

    /// Checks a URL (canonicalised as Safe Browsing does). Raises `UrlError`.
    fn check_url(&self, py: Python<'_>, url: &str) -> PyResult<PyVerdict> {
        check_url(py, &self.0.snapshot, url)
    }

    /// Checks an image file's bytes: its exact digests and its perceptual
    /// hashes (PDQ with every rotation and mirror image). Raises
    /// `ImageError` when it cannot be decoded and no exact digest matched.
    fn check_image(&self, py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<PyVerdict> {
        check_image(py, &self.0.snapshot, data)
    }

    /// Checks a hash computed elsewhere: `kind` (`pdq`, `phash`, `dhash`,
    /// `md5`, `sha1`, `sha256`) and its hex, or an `ImageHash` alone.
    /// Raises `InvalidEntryError` for a malformed hash.
    #[pyo3(signature = (kind, hex = None))]
    fn check_hash(
        &self,
        py: Python<'_>,
        kind: &Bound<'_, PyAny>,
        hex: Option<&str>,
    ) -> PyResult<PyVerdict> {
        check_hash(py, &self.0.snapshot, kind, hex)
    }

    /// Checks what `hash_image` returned for one image (hash it with
    /// `dihedral=True` to match rotated and mirrored copies): the PDQ
    /// variants as one query, reporting the variant that matched, and every
    /// other hash; `pdq-512` rows are not matched (lists hold full-resolution
    /// PDQ).
    fn check_hashes(&self, py: Python<'_>, hashes: &Bound<'_, PyAny>) -> PyResult<PyVerdict> {
        check_hashes(py, &self.0.snapshot, hashes)
    }

    /// `check_url` of every URL on every core with the GIL released; in
    /// input order, each a `Verdict` or the exception instance for that URL.
    #[pyo3(signature = (urls, workers = None))]
    fn check_urls<'py>(
        &self,
        py: Python<'py>,
        urls: &Bound<'py, PyAny>,
        workers: Option<usize>,
    ) -> PyResult<Bound<'py, PyList>> {
        check_urls(py, &self.0.snapshot, urls, workers)
    }

    /// `check_image` of every item on every core with the GIL released; in
    /// input order, each a `Verdict` or the exception instance for that item.
    #[pyo3(signature = (items, workers = None))]
    fn check_images<'py>(
        &self,
        py: Python<'py>,
        items: &Bound<'py, PyAny>,
        workers: Option<usize>,
    ) -> PyResult<Bound<'py, PyList>> {
        check_images(py, &self.0.snapshot, items, workers)
    }

    /// Pickles as the lists' bytes and the trust store; unpickling verifies
    /// and compiles them again.
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let s = &self.0.sources;
        let lists: Vec<(String, Bound<'py, PyBytes>)> = s
            .lists
            .iter()
            .map(|(o, b)| (o.clone(), PyBytes::new(py, b)))
            .collect();
        let trust = s.trust.as_deref().map(|t| PyBytes::new(py, t));
        let ctor = py.import("hashwall")?.getattr("_snapshot_from_sources")?;
        (ctor, (lists, trust, s.allow_unsigned, s.allow_expired))
            .into_pyobject(py)
            .map(|t| t.into_any())
    }

    /// Snapshot._from_sources(lists, trust, allow_unsigned, allow_expired):
    /// unpickling.
    #[staticmethod]
    fn _from_sources(
        py: Python<'_>,
        lists: Vec<(String, Vec<u8>)>,
        trust: Option<Vec<u8>>,
        allow_unsigned: bool,
        allow_expired: bool,
    ) -> PyResult<PySnapshot> {
        build(
            py,
            Sources {
                lists,
                trust,
                allow_unsigned,
                allow_expired,
            },
        )
    }

    fn __repr__(&self) -> String {
        format!("Snapshot(lists={:?})", self.lists())
    }
}

/// A handle on the current snapshot that can be swapped while other
/// threads check against it: a check that started on the old snapshot
/// finishes on it; readers never wait.
#[pyclass(frozen, module = "hashwall", name = "Engine")]
pub(crate) struct PyEngine(ArcSwap<Shared>);

#[pymethods]
impl PyEngine {
    /// Engine(snapshot=None): an engine serving `snapshot` (default: empty).
    #[new]
    #[pyo3(signature = (snapshot = None))]
    fn new(snapshot: Option<PySnapshot>) -> PyEngine {
        let s = snapshot.unwrap_or_else(PySnapshot::empty);
        PyEngine(ArcSwap::new(s.0))
    }

    /// The current snapshot.
    fn snapshot(&self) -> PySnapshot {
        PySnapshot(self.0.load_full())
    }

    /// Makes `snapshot` current; returns the one it replaces.
    fn swap(&self, snapshot: PySnapshot) -> PySnapshot {
        PySnapshot(self.0.swap(snapshot.0))
    }

    /// `Snapshot.check_url` on the current snapshot.
    fn check_url(&self, py: Python<'_>, url: &str) -> PyResult<PyVerdict> {
        check_url(py, &self.0.load().snapshot, url)
    }

    /// `Snapshot.check_image` on the current snapshot.
    fn check_image(&self, py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<PyVerdict> {
        check_image(py, &self.0.load().snapshot, data)
    }

    /// `Snapshot.check_hash` on the current snapshot.
    #[pyo3(signature = (kind, hex = None))]
    fn check_hash(
        &self,
        py: Python<'_>,
        kind: &Bound<'_, PyAny>,
        hex: Option<&str>,
    ) -> PyResult<PyVerdict> {
        check_hash(py, &self.0.load().snapshot, kind, hex)
    }

    /// `Snapshot.check_hashes` on the current snapshot.
    fn check_hashes(&self, py: Python<'_>, hashes: &Bound<'_, PyAny>) -> PyResult<PyVerdict> {
        check_hashes(py, &self.0.load().snapshot, hashes)
    }

    /// `Snapshot.check_urls` on the current snapshot (one snapshot for the
    /// whole batch).
    #[pyo3(signature = (urls, workers = None))]
    fn check_urls<'py>(
        &self,
        py: Python<'py>,
        urls: &Bound<'py, PyAny>,
        workers: Option<usize>,
    ) -> PyResult<Bound<'py, PyList>> {
        check_urls(py, &self.0.load_full().snapshot, urls, workers)
    }

    /// `Snapshot.check_images` on the current snapshot (one snapshot for
    /// the whole batch).
    #[pyo3(signature = (items, workers = None))]
    fn check_images<'py>(
        &self,
        py: Python<'py>,
        items: &Bound<'py, PyAny>,
        workers: Option<usize>,
    ) -> PyResult<Bound<'py, PyList>> {
        check_images(py, &self.0.load_full().snapshot, items, workers)
    }
}

fn check_url(py: Python<'_>, snap: &Snapshot, url: &str) -> PyResult<PyVerdict> {
    py.detach(|| snap.check_url(url))
        .map(PyVerdict)
        .map_err(|e| engine_error(py, &e))
}

fn check_image(py: Python<'_>, snap: &Snapshot, data: &Bound<'_, PyAny>) -> PyResult<PyVerdict> {
    let bytes = file_bytes(data)?;
    let slice = bytes.as_slice();
    py.detach(|| snap.check_image(slice))
        .map(PyVerdict)
        .map_err(|e| engine_error(py, &e))
}

fn check_hash(
    py: Python<'_>,
    snap: &Snapshot,
    kind: &Bound<'_, PyAny>,
    hex: Option<&str>,
) -> PyResult<PyVerdict> {
    let value = match (kind.cast::<PyImageHash>(), hex) {
        (Ok(h), None) => h.get().value,
        (_, Some(hex)) => {
            let kind: String = kind.extract()?;
            let kind: EntryKind = kind
                .parse()
                .map_err(|e: hashwall::lists::Error| PyValueError::new_err(e.to_string()))?;
            HashValue::parse(kind, hex).map_err(|e| engine_error(py, &e))?
        }
        (Err(_), None) => {
            return Err(PyTypeError::new_err(
                "check_hash takes (kind, hex) or an ImageHash",
            ));
        }
    };
    Ok(PyVerdict(py.detach(|| snap.check_hash(&value))))
}

fn check_hashes(py: Python<'_>, snap: &Snapshot, hashes: &Bound<'_, PyAny>) -> PyResult<PyVerdict> {
    let mut list = Vec::new();
    for h in hashes.try_iter()? {
        let h = h?;
        let h = h.cast::<PyImageHash>().map_err(|_| {
            PyTypeError::new_err("check_hashes takes the ImageHash objects of one image")
        })?;
        list.push(ImageHash::from(*h.get()));
    }
    let hashes = ImageHashes {
        hashes: list,
        dimensions: None,
        decode_time: Duration::ZERO,
        hash_time: Duration::ZERO,
    };
    Ok(PyVerdict(py.detach(|| snap.check_image_hashes(&hashes))))
}

/// Turns per-item results into a Python list: the verdict or the error.
fn verdict_list<'py>(
    py: Python<'py>,
    inputs: Vec<PyResult<()>>,
    results: Vec<Option<Result<hashwall::Verdict, hashwall::Error>>>,
) -> PyResult<Bound<'py, PyList>> {
    let out = PyList::empty(py);
    for (input, result) in inputs.into_iter().zip(results) {
        let item: Bound<'py, PyAny> = match (input, result) {
            (Err(e), _) => e.value(py).clone().into_any(),
            (Ok(()), Some(Ok(v))) => Bound::new(py, PyVerdict(v))?.into_any(),
            (Ok(()), Some(Err(e))) => engine_error(py, &e).value(py).clone().into_any(),
            (Ok(()), None) => lost_item(py).value(py).clone().into_any(),
        };
        out.append(item)?;
    }
    Ok(out)
}

fn check_urls<'py>(
    py: Python<'py>,
    snap: &Snapshot,
    urls: &Bound<'py, PyAny>,
    workers: Option<usize>,
) -> PyResult<Bound<'py, PyList>> {
    let mut inputs = Vec::new();
    let mut texts: Vec<Option<String>> = Vec::new();
    for u in urls.try_iter()? {
        match u.and_then(|u| u.extract::<String>()) {
            Ok(s) => {
                texts.push(Some(s));
                inputs.push(Ok(()));
            }
            Err(e) => {
                texts.push(None);
                inputs.push(Err(e));
            }
        }
    }
    let workers = workers.unwrap_or_else(default_workers);
    let results =
        py.detach(|| par_map(&texts, workers, |u| u.as_deref().map(|u| snap.check_url(u))));
    verdict_list(
        py,
        inputs,
        results.into_iter().map(Option::flatten).collect(),
    )
}

fn check_images<'py>(
    py: Python<'py>,
    snap: &Snapshot,
    items: &Bound<'py, PyAny>,
    workers: Option<usize>,
) -> PyResult<Bound<'py, PyList>> {
    let mut held: Vec<Option<FileBytes<'py>>> = Vec::new();
    let mut inputs = Vec::new();
    for item in items.try_iter()? {
        match item.and_then(|i| file_bytes(&i)) {
            Ok(b) => {
                held.push(Some(b));
                inputs.push(Ok(()));
            }
            Err(e) => {
                held.push(None);
                inputs.push(Err(e));
            }
        }
    }
    let slices: Vec<Option<&[u8]>> = held
        .iter()
        .map(|b| b.as_ref().map(|b| b.as_slice()))
        .collect();
    let workers = workers.unwrap_or_else(default_workers);
    let results = py.detach(|| par_map(&slices, workers, |b| b.map(|b| snap.check_image(b))));
    verdict_list(
        py,
        inputs,
        results.into_iter().map(Option::flatten).collect(),
    )
}
