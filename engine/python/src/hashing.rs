//! `hash_image`, `hash_file`, `hash_images` and `distance`: the engine's
//! image hashing, with the GIL released while it runs.

use std::path::PathBuf;
use std::str::FromStr;

use hashwall::HashValue;
use hashwall::image::{Algorithm, Dihedral, HashOptions, ImageHash, hash_image as engine_hash};
use hashwall::image::{PdqHash, pdq_from_rgb8};
use hashwall::lists::EntryKind;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString};

use crate::batch::{default_workers, par_map};
use crate::errors::{InvalidEntryError, engine_error, lost_item};
use crate::input::{ImageRef, image_input};

/// One hash of an image: `algorithm` (`pdq`, `pdq-512`, `phash`, `dhash`,
/// `md5`, `sha1`, `sha256`), `variant` (`orig`, or the dihedral variant
/// `rot90` … `flipminus1`), `hex` (as lists write it) and `quality` (PDQ
/// only, 0–100; `None` otherwise).
#[pyclass(
    frozen,
    eq,
    hash,
    skip_from_py_object,
    module = "hashwall",
    name = "ImageHash"
)]
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct PyImageHash {
    pub(crate) algorithm: Algorithm,
    pub(crate) variant: Dihedral,
    pub(crate) value: HashValue,
}

#[pymethods]
impl PyImageHash {
    /// The algorithm token (`pdq`, `pdq-512`, `phash`, `dhash`, `md5`, `sha1`, `sha256`).
    #[getter]
    fn algorithm(&self) -> &'static str {
        self.algorithm.as_str()
    }
    /// The dihedral variant (`orig`, `rot90`, `rot180`, `rot270`, `flipx`,
    /// `flipy`, `flipplus1`, `flipminus1`).
    #[getter]
    fn variant(&self) -> &'static str {
        self.variant.as_str()
    }
    /// The list entry kind this hash matches (`pdq` for both PDQ flavours).
    #[getter]
    fn kind(&self) -> &'static str {
        self.value.kind().as_str()
    }
    /// Lowercase hex, as lists (and `pdqhash`/ThreatExchange) write it.
    #[getter]
    fn hex(&self) -> String {
        self.value.to_string()
    }
    /// PDQ quality 0–100 (below 50 the reference advises not to trust the
    /// hash); `None` for other algorithms.
    #[getter]
    fn quality(&self) -> Option<u8> {
        self.value.quality()
    }
    fn __str__(&self) -> String {
        self.value.to_string()
    }
    fn __repr__(&self) -> String {
        let q = self
            .value
            .quality()
            .map_or_else(String::new, |q| format!(", quality={q}"));
        format!(
            "ImageHash(algorithm='{}', variant='{}', hex='{}'{q})",
            self.algorithm.as_str(),
            self.variant.as_str(),
            self.value
        )
    }
}

impl From<PyImageHash> for ImageHash {
    fn from(h: PyImageHash) -> Self {
        ImageHash {
            algorithm: h.algorithm,
            variant: h.variant,
            value: h.value,
        }
    }
}

impl From<ImageHash> for PyImageHash {
    fn from(h: ImageHash) -> Self {
        PyImageHash {
            algorithm: h.algorithm,
            variant: h.variant,
            value: h.value,
        }
    }
}

/// Parses the `algorithms` argument: one token or a sequence of them.
pub(crate) fn algorithms(obj: &Bound<'_, PyAny>) -> PyResult<Vec<Algorithm>> {
    let tokens: Vec<String> = if let Ok(s) = obj.cast::<PyString>() {
        vec![s.to_string()]
    } else {
        obj.extract()?
    };
    if tokens.is_empty() {
        return Err(PyValueError::new_err("no hash algorithm requested"));
    }
    tokens
        .iter()
        .map(|t| Algorithm::from_str(t).map_err(|e| PyValueError::new_err(e.to_string())))
        .collect()
}

/// Why one image could not be hashed.
pub(crate) enum HashFail {
    /// The engine's error (decoding, limits).
    Engine(hashwall::Error),
    /// Pixels were given for an algorithm that needs the file.
    NeedsFile(Algorithm),
}

impl HashFail {
    /// The Python exception.
    pub(crate) fn into_py(self, py: Python<'_>) -> PyErr {
        match self {
            HashFail::Engine(e) => engine_error(py, &e),
            HashFail::NeedsFile(a) => PyValueError::new_err(format!(
                "{a} needs the encoded file bytes; decoded pixels (NumPy, PIL) give pdq and pdq-512 only"
            )),
        }
    }
}

/// Hashes one image (no Python involved: runs with the GIL released).
pub(crate) fn hash_one(
    image: ImageRef<'_>,
    opts: &HashOptions,
) -> Result<Vec<ImageHash>, HashFail> {
    match image {
        ImageRef::File(bytes) => engine_hash(bytes, opts)
            .map(|h| h.hashes)
            .map_err(HashFail::Engine),
        ImageRef::Pixels(rgb, width, height) => {
            let mut out = Vec::new();
            for &alg in opts.requested() {
                if !alg.is_pdq() {
                    return Err(HashFail::NeedsFile(alg));
                }
                // The length was checked when the input was read.
                let Some(all) = pdq_from_rgb8(rgb, width, height, alg == Algorithm::Pdq512) else {
                    return Err(HashFail::NeedsFile(alg));
                };
                let n = if opts.dihedral_enabled() { 8 } else { 1 };
                for (variant, p) in Dihedral::ALL.into_iter().zip(all).take(n) {
                    out.push(ImageHash {
                        algorithm: alg,
                        variant,
                        value: HashValue::Pdq {
                            hash: p.hash,
                            quality: Some(p.quality),
                        },
                    });
                }
            }
            Ok(out)
        }
    }
}

fn to_list(hashes: Vec<ImageHash>) -> Vec<PyImageHash> {
    hashes.into_iter().map(PyImageHash::from).collect()
}

/// Hashes one image. `data` is the bytes of an image file (JPEG, PNG, GIF,
/// WebP, BMP, TIFF), a NumPy uint8 array of shape (height, width, 3) in RGB,
/// or a PIL image. `algorithms` is a token or a sequence of them (default
/// `("pdq",)`; see `ALGORITHMS`). Returns a list of `ImageHash`, in the order of
/// `algorithms`; with `dihedral=True` each PDQ hash is followed by its seven
/// rotations and mirror images. Decoded pixels give `pdq` and `pdq-512`
/// only. The GIL is released while decoding and hashing.
///
/// Raises `ImageError` for an image that cannot be decoded, `ValueError`
/// for an unknown algorithm, `TypeError` for an unsupported `data` type.
#[pyfunction]
#[pyo3(signature = (data, algorithms = None, dihedral = false))]
pub(crate) fn hash_image(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    algorithms: Option<&Bound<'_, PyAny>>,
    dihedral: bool,
) -> PyResult<Vec<PyImageHash>> {
    let opts = options(algorithms, dihedral)?;
    let input = image_input(data)?;
    let image = input.view();
    py.detach(|| hash_one(image, &opts))
        .map(to_list)
        .map_err(|e| e.into_py(py))
}

pub(crate) fn options(algs: Option<&Bound<'_, PyAny>>, dihedral: bool) -> PyResult<HashOptions> {
    let algs = match algs {
        Some(a) => algorithms(a)?,
        None => vec![Algorithm::Pdq],
    };
    Ok(HashOptions::new().algorithms(algs).dihedral(dihedral))
}

/// `hash_image` of the file at `path` (read with the GIL released).
/// Raises `OSError` when the file cannot be read.
#[pyfunction]
#[pyo3(signature = (path, algorithms = None, dihedral = false))]
pub(crate) fn hash_file(
    py: Python<'_>,
    path: PathBuf,
    algorithms: Option<&Bound<'_, PyAny>>,
    dihedral: bool,
) -> PyResult<Vec<PyImageHash>> {
    let opts = options(algorithms, dihedral)?;
    let bytes = py.detach(|| std::fs::read(&path))?;
    py.detach(|| hash_one(ImageRef::File(&bytes), &opts))
        .map(to_list)
        .map_err(|e| e.into_py(py))
}

/// `hash_image` of every item, on `workers` threads (default: every core)
/// with the GIL released. Returns a list in input order; each element is
/// the list of `ImageHash` for that item, or, for an item that could not be
/// hashed, the exception instance (an `ImageError`, `TypeError`, …) that
/// `hash_image` would have raised — one bad file does not lose the batch.
#[pyfunction]
#[pyo3(signature = (items, algorithms = None, dihedral = false, workers = None))]
pub(crate) fn hash_images<'py>(
    py: Python<'py>,
    items: &Bound<'py, PyAny>,
    algorithms: Option<&Bound<'py, PyAny>>,
    dihedral: bool,
    workers: Option<usize>,
) -> PyResult<Bound<'py, PyList>> {
    let opts = options(algorithms, dihedral)?;
    let mut inputs = Vec::new();
    for item in items.try_iter()? {
        inputs.push(image_input(&item?));
    }
    let refs: Vec<Option<ImageRef<'_>>> = inputs
        .iter()
        .map(|i| i.as_ref().ok().map(|i| i.view()))
        .collect();
    let workers = workers.unwrap_or_else(default_workers);
    let results = py.detach(|| par_map(&refs, workers, |r| r.map(|image| hash_one(image, &opts))));
    let out = PyList::empty(py);
    for (input, result) in inputs.into_iter().zip(results) {
        let item: Bound<'py, PyAny> = match (input, result) {
            (Err(e), _) => e.value(py).clone().into_any(),
            (Ok(_), Some(Some(Ok(hashes)))) => to_list(hashes).into_pyobject(py)?.into_any(),
            (Ok(_), Some(Some(Err(fail)))) => fail.into_py(py).value(py).clone().into_any(),
            (Ok(_), _) => lost_item(py).value(py).clone().into_any(),
        };
        out.append(item)?;
    }
    Ok(out)
}

/// A hash given to `distance`, and whether its kind is known (an
/// `ImageHash`) or guessed from a hex string's length (16 digits parse as
/// a pHash but may be a dHash).
fn hash_arg(obj: &Bound<'_, PyAny>) -> PyResult<(HashValue, bool)> {
    if let Ok(h) = obj.cast::<PyImageHash>() {
        return Ok((h.get().value, true));
    }
    let Ok(hex) = obj.cast::<PyString>() else {
        return Err(PyTypeError::new_err(
            "expected an ImageHash or a hex string (64 digits: PDQ, 16: pHash/dHash)",
        ));
    };
    let hex = hex.to_cow()?;
    let hex: &str = &hex;
    let kind = match hex.len() {
        64 => EntryKind::Pdq,
        16 => EntryKind::Phash,
        n => {
            return Err(InvalidEntryError::new_err(format!(
                "a hash of {n} hex digits has no distance (PDQ has 64, pHash and dHash 16)"
            )));
        }
    };
    let v = HashValue::parse(kind, hex).map_err(|e| engine_error(obj.py(), &e))?;
    Ok((v, false))
}

/// The Hamming distance between two perceptual hashes: `ImageHash` objects
/// or hex strings (64 digits for PDQ, 16 for pHash and dHash). Raises
/// `InvalidEntryError` for malformed hex and `ValueError` for hashes of
/// different kinds or of file digests.
#[pyfunction]
pub(crate) fn distance(a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> PyResult<u32> {
    let ((a, a_typed), (b, b_typed)) = (hash_arg(a)?, hash_arg(b)?);
    let word = |v: &HashValue| match v {
        HashValue::Phash(x) | HashValue::Dhash(x) => Some(*x),
        _ => None,
    };
    match (a, b) {
        (HashValue::Pdq { hash: x, .. }, HashValue::Pdq { hash: y, .. }) => {
            Ok(PdqHash::hamming_distance(&x, &y))
        }
        _ => match (word(&a), word(&b)) {
            (Some(x), Some(y)) if a.kind() == b.kind() || !(a_typed && b_typed) => {
                Ok((x ^ y).count_ones())
            }
            _ => Err(PyValueError::new_err(format!(
                "no distance between a {} hash and a {} hash",
                a.kind(),
                b.kind()
            ))),
        },
    }
}
