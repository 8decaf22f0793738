//! Crash-safe file replacement: write a temporary file in the same
//! directory, fsync it, rename it over the target, fsync the directory.
//!
//! A crash (or error) at any step leaves either the old file or the new one
//! at the target path, never a mix: rename is atomic on POSIX file systems,
//! and the fsyncs make the new content durable before it becomes visible and
//! the rename durable before we report success. A crash may leave a stale
//! temporary file `.<name>.tmp.<pid>.<n>` behind; loaders never read it
//! (they open the target path only) and [`remove_stale_temps`] removes it.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::Error;

/// The steps of [`write_atomic_with`], reported to its hook just before each
/// runs, so tests can simulate a crash between any two.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AtomicStep {
    /// The temporary file has been written but not fsynced.
    Written,
    /// The temporary file is durable; next it is renamed over the target.
    Synced,
    /// The rename has happened; next the directory is fsynced.
    Renamed,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn temp_prefix(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".to_owned());
    format!(".{name}.tmp.")
}

fn parent(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Replace `path` with what `write` writes, atomically and durably.
pub fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), Error> {
    write_atomic_with(path, write, |_| Ok(()))
}

/// [`write_atomic`] with a hook called before each [`AtomicStep`]; an error
/// from the hook aborts there, as a crash would (the temporary file is left
/// behind, like after a real crash).
///
/// A real failure (a write, fsync or rename error — the disk is full, the
/// file size limit is reached) removes the temporary file before returning:
/// the target is untouched and nothing is left behind. Errors name the
/// target file, and lack of space is [`ErrorKind::NoSpace`](crate::ErrorKind::NoSpace).
pub fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
    mut hook: impl FnMut(AtomicStep) -> std::io::Result<()>,
) -> Result<(), Error> {
    let dir = parent(path);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp = dir.join(format!("{}{}.{n}", temp_prefix(path), std::process::id()));
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(|e| Error::io(path, e))?;
    // A failure of ours (not a simulated crash) cleans up after itself.
    let failed = |e: std::io::Error| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path, e)
    };
    let mut w = BufWriter::with_capacity(1 << 20, file);
    write(&mut w).map_err(failed)?;
    let file = w.into_inner().map_err(|e| failed(e.into_error()))?;
    hook(AtomicStep::Written).map_err(|e| Error::io(&tmp, e))?;
    file.sync_all().map_err(failed)?;
    drop(file);
    hook(AtomicStep::Synced).map_err(|e| Error::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(failed)?;
    hook(AtomicStep::Renamed).map_err(|e| Error::io(path, e))?;
    sync_dir(&dir)
}

/// Remove the temporary files of `path` left by writers that no longer
/// run (a crash, a kill): the process id in their name is not alive. A
/// live writer's file is kept. Where liveness cannot be checked (no
/// `/proc`), nothing is removed. Returns how many were removed.
pub fn remove_dead_temps(path: &Path) -> Result<usize, Error> {
    if !Path::new("/proc/self").exists() {
        return Ok(0);
    }
    let dir = parent(path);
    let prefix = temp_prefix(path);
    let mut n = 0;
    let rd = std::fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))?;
    for ent in rd {
        let ent = ent.map_err(|e| Error::io(&dir, e))?;
        let name = ent.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(&prefix) else {
            continue;
        };
        let pid = rest.split('.').next().unwrap_or("");
        let alive = pid
            .parse::<u32>()
            .is_ok_and(|p| p == std::process::id() || Path::new(&format!("/proc/{p}")).exists());
        if !alive {
            std::fs::remove_file(ent.path()).map_err(|e| Error::io(&ent.path(), e))?;
            n += 1;
        }
    }
    Ok(n)
}

/// fsync a directory so a rename or a new file in it survives a crash.
pub fn sync_dir(dir: &Path) -> Result<(), Error> {
    #[cfg(unix)]
    {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| Error::io(dir, e))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Remove temporary files that an interrupted [`write_atomic`] to `path`
/// left behind. Returns how many were removed.
pub fn remove_stale_temps(path: &Path) -> Result<usize, Error> {
    let dir = parent(path);
    let prefix = temp_prefix(path);
    let mut n = 0;
    let rd = std::fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))?;
    for ent in rd {
        let ent = ent.map_err(|e| Error::io(&dir, e))?;
        if ent.file_name().to_string_lossy().starts_with(&prefix) {
            std::fs::remove_file(ent.path()).map_err(|e| Error::io(&ent.path(), e))?;
            n += 1;
        }
    }
    Ok(n)
}
