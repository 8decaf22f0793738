//! Building a snapshot from list files through the trust store, and the
//! sources a snapshot keeps so that it can be pickled (sent to Ray or Spark
//! workers, which verify every list again on their side).

use std::path::{Path, PathBuf};

use hashwall::lists::{ExpiredPolicy, LoadOptions, Loader, NoFloor, RollbackFloor, TrustStore};
use hashwall::{ListConfig, Snapshot};

/// The bytes a snapshot was built from, and the trust options.
#[derive(Clone, Debug, Default)]
pub(crate) struct Sources {
    /// Each list: where it came from (a path, or `text-N`) and its bytes.
    pub(crate) lists: Vec<(String, Vec<u8>)>,
    /// The trust store file's bytes, if one was given.
    pub(crate) trust: Option<Vec<u8>>,
    /// Accept lists without a signature.
    pub(crate) allow_unsigned: bool,
    /// Accept lists past their `expires` time.
    pub(crate) allow_expired: bool,
}

/// Why a snapshot could not be built.
pub(crate) enum BuildError {
    /// Reading a file failed.
    Io(PathBuf, std::io::Error),
    /// A list or the trust store failed to parse or verify (origin, error).
    List(String, hashwall::lists::Error),
    /// A list's entry could not be compiled (origin, error).
    Entry(String, hashwall::Error),
}

impl Sources {
    /// Reads the list files and the trust store.
    pub(crate) fn read(
        paths: &[PathBuf],
        trust: Option<&Path>,
        allow_unsigned: bool,
        allow_expired: bool,
    ) -> Result<Sources, BuildError> {
        let read = |p: &Path| std::fs::read(p).map_err(|e| BuildError::Io(p.to_path_buf(), e));
        let mut lists = Vec::with_capacity(paths.len());
        for p in paths {
            lists.push((p.display().to_string(), read(p)?));
        }
        Ok(Sources {
            lists,
            trust: trust.map(read).transpose()?,
            allow_unsigned,
            allow_expired,
        })
    }

    /// Parses, verifies and compiles every list (the checks of
    /// `hashwall_lists::Loader`, on the bytes held here).
    pub(crate) fn build(&self) -> Result<Snapshot, BuildError> {
        let trust = match &self.trust {
            Some(b) => {
                TrustStore::from_text(b).map_err(|e| BuildError::List("trust store".into(), e))?
            }
            None => TrustStore::new(),
        };
        let loader = Loader::new(
            trust,
            LoadOptions {
                allow_unsigned: self.allow_unsigned,
                expired: if self.allow_expired {
                    ExpiredPolicy::Flag
                } else {
                    ExpiredPolicy::Refuse
                },
                min_sequence: None,
                now: None,
            },
        );
        let config = ListConfig::default();
        let mut builder = Snapshot::builder();
        for (origin, bytes) in &self.lists {
            // Compiled entry by entry as the bytes are parsed and hashed
            // (the parsed list is never held whole); the name gives the
            // default id (the file stem, as for a file) and names errors.
            let (_, added) = loader
                .load_streamed_from(
                    bytes.as_slice(),
                    Path::new(origin),
                    &NoFloor as &dyn RollbackFloor,
                    builder.list_adder(&config),
                )
                .map_err(|e| BuildError::List(origin.clone(), e))?;
            added.map_err(|e| BuildError::Entry(origin.clone(), e))?;
        }
        Ok(builder.build())
    }
}
