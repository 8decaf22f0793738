//! Loading lists named on the command line into a snapshot.

use std::path::PathBuf;
use std::time::Instant;

use hashwall::{ListConfig, Snapshot};
use hashwall_lists::List;

use crate::demo::demo_list;

/// A snapshot of the given list files (each enforced as `config` says), or
/// of the demo list when none is given, with the time it took to load in
/// milliseconds.
pub fn load_snapshot(files: &[PathBuf], config: &ListConfig) -> Result<(Snapshot, f64), String> {
    let start = Instant::now();
    let mut builder = Snapshot::builder();
    if files.is_empty() {
        let list = demo_list().map_err(|e| format!("built-in demo list: {e}"))?;
        builder.add_list(&list, config).map_err(|e| e.to_string())?;
    }
    for path in files {
        let list = List::read_file(path).map_err(|e| e.to_string())?;
        builder
            .add_list(&list, config)
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let snapshot = builder.build();
    Ok((snapshot, start.elapsed().as_secs_f64() * 1e3))
}
