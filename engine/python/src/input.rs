//! What Python passes as an image: encoded file bytes (`bytes`, read
//! without copying; `bytearray` and `memoryview`, copied), or decoded pixels
//! (a NumPy `uint8` array of shape H×W×3, or a PIL image).

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyMemoryView};

/// An image as given by Python, ready to be hashed without the GIL.
pub(crate) enum ImageInput<'py> {
    /// A `bytes` object, borrowed: immutable, kept alive by this handle.
    Borrowed(Bound<'py, PyBytes>),
    /// A copy of a mutable buffer's bytes.
    Owned(Vec<u8>),
    /// Decoded 8-bit RGB pixels, row-major.
    Pixels {
        /// `3 · width · height` bytes.
        rgb: Vec<u8>,
        /// Columns.
        width: usize,
        /// Rows.
        height: usize,
    },
}

/// The bytes of an encoded image, or the pixels of a decoded one, borrowed
/// from an [`ImageInput`] (`Send`, for use with the GIL released).
#[derive(Clone, Copy)]
pub(crate) enum ImageRef<'a> {
    /// The whole file.
    File(&'a [u8]),
    /// RGB pixels and their width and height.
    Pixels(&'a [u8], usize, usize),
}

impl ImageInput<'_> {
    /// A view for hashing.
    pub(crate) fn view(&self) -> ImageRef<'_> {
        match self {
            ImageInput::Borrowed(b) => ImageRef::File(b.as_bytes()),
            ImageInput::Owned(v) => ImageRef::File(v),
            ImageInput::Pixels { rgb, width, height } => ImageRef::Pixels(rgb, *width, *height),
        }
    }
}

/// Encoded file bytes only (for checks against a snapshot, which also
/// match exact-file digests).
pub(crate) enum FileBytes<'py> {
    /// A borrowed `bytes` object.
    Borrowed(Bound<'py, PyBytes>),
    /// A copy of a mutable buffer.
    Owned(Vec<u8>),
}

impl FileBytes<'_> {
    /// The bytes.
    pub(crate) fn as_slice(&self) -> &[u8] {
        match self {
            FileBytes::Borrowed(b) => b.as_bytes(),
            FileBytes::Owned(v) => v,
        }
    }
}

/// `bytes`, `bytearray` or `memoryview` as file bytes.
pub(crate) fn file_bytes<'py>(obj: &Bound<'py, PyAny>) -> PyResult<FileBytes<'py>> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(FileBytes::Borrowed(b.clone()));
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        return Ok(FileBytes::Owned(b.to_vec()));
    }
    if obj.cast::<PyMemoryView>().is_ok() {
        let b = obj.call_method0("tobytes")?;
        let b = b.cast::<PyBytes>()?;
        return Ok(FileBytes::Owned(b.as_bytes().to_vec()));
    }
    Err(PyTypeError::new_err(format!(
        "expected the bytes of an image file (bytes, bytearray or memoryview), got {}",
        type_name(obj)
    )))
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map_or_else(|_| "an object".to_owned(), |n| n.to_string())
}

fn has(obj: &Bound<'_, PyAny>, attrs: &[&str]) -> bool {
    attrs.iter().all(|a| obj.hasattr(*a).unwrap_or(false))
}

/// Any supported image input.
pub(crate) fn image_input<'py>(obj: &Bound<'py, PyAny>) -> PyResult<ImageInput<'py>> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(ImageInput::Borrowed(b.clone()));
    }
    if obj.cast::<PyByteArray>().is_ok() || obj.cast::<PyMemoryView>().is_ok() {
        return file_bytes(obj).map(|f| match f {
            FileBytes::Borrowed(b) => ImageInput::Borrowed(b),
            FileBytes::Owned(v) => ImageInput::Owned(v),
        });
    }
    // A PIL image (it also has `__array_interface__`, so test it first).
    if has(obj, &["convert", "tobytes", "size", "mode"]) {
        let rgb = obj.call_method1("convert", ("RGB",))?;
        let (width, height): (usize, usize) = rgb.getattr("size")?.extract()?;
        let data = rgb.call_method0("tobytes")?;
        let data = data.cast::<PyBytes>()?;
        return pixels(data.as_bytes().to_vec(), width, height);
    }
    // A NumPy array (or anything with the same surface).
    if has(obj, &["dtype", "shape", "tobytes"]) {
        let dtype = obj.getattr("dtype")?.str()?.to_string();
        let shape: Vec<usize> = obj.getattr("shape")?.extract()?;
        if dtype != "uint8" || shape.len() != 3 || shape[2] != 3 {
            return Err(PyValueError::new_err(format!(
                "expected a uint8 array of shape (height, width, 3) (RGB), got dtype {dtype} and shape {shape:?}"
            )));
        }
        // `tobytes()` is C order whatever the array's strides.
        let data = obj.call_method0("tobytes")?;
        let data = data.cast::<PyBytes>()?;
        return pixels(data.as_bytes().to_vec(), shape[1], shape[0]);
    }
    Err(PyTypeError::new_err(format!(
        "expected image file bytes, a uint8 NumPy array (H×W×3) or a PIL image, got {}",
        type_name(obj)
    )))
}

fn pixels<'py>(rgb: Vec<u8>, width: usize, height: usize) -> PyResult<ImageInput<'py>> {
    if width.checked_mul(height).and_then(|n| n.checked_mul(3)) != Some(rgb.len()) {
        return Err(PyValueError::new_err(format!(
            "{} bytes of pixels do not make a {width}×{height} RGB image",
            rgb.len()
        )));
    }
    Ok(ImageInput::Pixels { rgb, width, height })
}
