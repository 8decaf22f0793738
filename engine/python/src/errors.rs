//! The exception classes and the mapping from the engine's typed errors.
//!
//! Every error hashwall raises is a `HashwallError`; its subclasses mirror
//! the engine's [`ErrorKind`]s, and each instance carries a `reason`
//! attribute with the finer kind as a token (`truncated`,
//! `unsupported-scheme`, `untrusted-key`, …) so that programs need not
//! parse messages.

use hashwall::{ErrorKind, ImageErrorKind, UrlErrorKind};
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

create_exception!(
    hashwall,
    HashwallError,
    PyException,
    "Base class of every error hashwall raises; `reason` holds a short token for the cause."
);
create_exception!(
    hashwall,
    ImageError,
    HashwallError,
    "An image could not be decoded or hashed. `reason`: empty, unsupported, too-large, truncated, corrupt or decoder-panic."
);
create_exception!(
    hashwall,
    UrlError,
    HashwallError,
    "A URL could not be canonicalised. `reason`: empty, too-long, missing-host, invalid-port, invalid-ipv6, invalid-host or unsupported-scheme."
);
create_exception!(
    hashwall,
    InvalidEntryError,
    HashwallError,
    "A hash or list entry value is not valid for its kind (wrong length, not hex, not an image kind)."
);
create_exception!(
    hashwall,
    ListError,
    HashwallError,
    "A list or trust store could not be read, parsed or verified. `reason` is the list error's kind (bad-signature, untrusted-key, unsigned, expired, invalid-value, io, …)."
);

/// Sets the `reason` attribute on the exception instance.
fn with_reason(py: Python<'_>, err: PyErr, reason: &str) -> PyErr {
    // Setting an attribute on a fresh exception instance cannot fail in
    // practice; if it did, the exception is still raised without it.
    let _ = err.value(py).setattr("reason", reason);
    err
}

fn url_reason(k: UrlErrorKind) -> &'static str {
    match k {
        UrlErrorKind::Empty => "empty",
        UrlErrorKind::TooLong => "too-long",
        UrlErrorKind::MissingHost => "missing-host",
        UrlErrorKind::InvalidPort => "invalid-port",
        UrlErrorKind::InvalidIpv6 => "invalid-ipv6",
        UrlErrorKind::InvalidHost => "invalid-host",
        UrlErrorKind::UnsupportedScheme => "unsupported-scheme",
        _ => "other",
    }
}

fn image_reason(k: ImageErrorKind) -> &'static str {
    k.as_str()
}

/// The Python exception for an engine error.
pub(crate) fn engine_error(py: Python<'_>, e: &hashwall::Error) -> PyErr {
    let msg = e.to_string();
    match e.kind() {
        ErrorKind::Image(k) => with_reason(py, ImageError::new_err(msg), image_reason(k)),
        ErrorKind::Url(k) => with_reason(py, UrlError::new_err(msg), url_reason(k)),
        ErrorKind::InvalidEntry => {
            with_reason(py, InvalidEntryError::new_err(msg), "invalid-entry")
        }
        ErrorKind::List => with_reason(py, ListError::new_err(msg), "list"),
        _ => with_reason(py, HashwallError::new_err(msg), "other"),
    }
}

/// `UntrustedKey` → `untrusted-key`.
fn kebab(kind: hashwall_lists::ErrorKind) -> String {
    let mut out = String::new();
    for (i, c) in format!("{kind:?}").chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The Python exception for a list crate error, prefixed with where it
/// came from (a file name) when the error does not name it already.
pub(crate) fn list_error(py: Python<'_>, origin: &str, e: &hashwall_lists::Error) -> PyErr {
    let msg = if e.path().is_some() || origin.is_empty() {
        e.to_string()
    } else {
        format!("{origin}: {e}")
    };
    with_reason(py, ListError::new_err(msg), &kebab(e.kind()))
}

/// A `ListError` with a message and reason of our own.
pub(crate) fn list_error_msg(py: Python<'_>, msg: String, reason: &str) -> PyErr {
    with_reason(py, ListError::new_err(msg), reason)
}

/// A `HashwallError` for a batch item whose worker did not return (a bug:
/// the engine catches decoder panics itself).
pub(crate) fn lost_item(py: Python<'_>) -> PyErr {
    with_reason(
        py,
        HashwallError::new_err("internal error: a batch worker failed on this item"),
        "internal",
    )
}

/// Adds the exception classes to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("HashwallError", py.get_type::<HashwallError>())?;
    m.add("ImageError", py.get_type::<ImageError>())?;
    m.add("UrlError", py.get_type::<UrlError>())?;
    m.add("InvalidEntryError", py.get_type::<InvalidEntryError>())?;
    m.add("ListError", py.get_type::<ListError>())?;
    Ok(())
}
