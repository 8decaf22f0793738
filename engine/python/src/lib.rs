//! `hashwall._hashwall`: the Python extension module behind `import
//! hashwall` (the package in `python/hashwall/` re-exports it with type
//! stubs).
//!
//! A thin layer over the engine: image hashing ([`hashing`]), snapshots and
//! the swappable engine ([`snapshot`]), verdicts ([`verdict`]). Every call
//! that decodes, hashes or matches releases the GIL (`Python::detach`), and
//! the batch calls spread their items over every core ([`batch`]). Engine
//! errors become exception classes mirroring their kinds ([`errors`]).
#![deny(missing_docs)]

mod batch;
mod errors;
mod hashing;
mod input;
mod snapshot;
mod sources;
mod verdict;

use pyo3::prelude::*;

/// The extension module.
#[pymodule]
fn _hashwall(m: &Bound<'_, PyModule>) -> PyResult<()> {
    errors::register(m)?;
    m.add_class::<hashing::PyImageHash>()?;
    m.add_class::<verdict::PyVerdict>()?;
    m.add_class::<verdict::PyMatch>()?;
    m.add_class::<snapshot::PySnapshot>()?;
    m.add_class::<snapshot::PyEngine>()?;
    m.add_function(wrap_pyfunction!(hashing::hash_image, m)?)?;
    m.add_function(wrap_pyfunction!(hashing::hash_file, m)?)?;
    m.add_function(wrap_pyfunction!(hashing::hash_images, m)?)?;
    m.add_function(wrap_pyfunction!(hashing::distance, m)?)?;
    m.add(
        "ALGORITHMS",
        hashwall::image::Algorithm::ALL.map(|a| a.as_str()).to_vec(),
    )?;
    Ok(())
}
