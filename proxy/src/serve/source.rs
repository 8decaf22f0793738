//! Where lists come from: a service serves [`ListSource`]s. A list file
//! verified through the trust store ([`FileSource`]) and the built-in demo
//! list ([`DemoSource`]) are here; a subscription's local copy
//! ([`super::subscribe::SubscribeSource`]) is a file source kept in step
//! with a publisher.
//!
//! Every file is read through [`hashwall_lists::Loader`]: the signature
//! against the trust store (`[trust] store`, re-read at every load, so an
//! operator's key rotation or the removal of a compromised key takes effect
//! at the next reload), the rollback floor, the expiry policy. This module
//! adds only what the operator can do about a failure (which setting to
//! change) and what identifies a file's version cheaply ([`Fingerprint`]).
//!
//! The proxy's list manager ([`super::lists`]) loads sources; the future
//! services (matching API, ICAP) load the same sources the same way.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use hashwall::ListAdder;
use hashwall_lists::{
    Error, ErrorKind, ExpiredPolicy, List, ListMeta, LoadOptions, Loader, RollbackFloor,
    TrustStore, Verification,
};

/// What identifies one version of a source: for a file its modification
/// time, size, inode and change time. A change means "load again".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fingerprint(pub Vec<u8>);

/// Why a source did not load: the list error's kind when there is one (so
/// the caller can add what it knows, such as where a rollback floor is
/// recorded), and the message with the operator's hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceError {
    /// The kind of the list error, if the failure is one.
    pub kind: Option<ErrorKind>,
    /// What went wrong.
    pub message: String,
}

impl From<String> for SourceError {
    fn from(message: String) -> SourceError {
        SourceError {
            kind: None,
            message,
        }
    }
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Somewhere a list comes from.
pub trait ListSource: Send + Sync + fmt::Debug {
    /// A short description for logs and errors (a path, `builtin:demo`).
    fn describe(&self) -> String;
    /// Reads, parses and verifies the current version (blocking I/O
    /// allowed: called on the blocking pool).
    fn load(&self) -> Result<List, SourceError>;
    /// [`ListSource::load`] held to `floor`, compiled into `adder`; returns
    /// the list's header. A source may compile while it reads and
    /// verifies (a file streams its entries into `adder`), but must
    /// succeed only for a list that passed: on failure the caller discards
    /// the builder `adder` adds to.
    fn load_into(
        &self,
        floor: &dyn RollbackFloor,
        mut adder: ListAdder<'_>,
    ) -> Result<ListMeta, SourceError> {
        let list = self.load()?;
        // Sources that are not files are ours (the demo list): no
        // signature, but the same floor and expiry checks.
        let checker = Loader::new(
            TrustStore::new(),
            LoadOptions {
                allow_unsigned: true,
                ..LoadOptions::default()
            },
        );
        checker.check(&list, floor).map_err(|e| SourceError {
            kind: Some(e.kind()),
            message: e.to_string(),
        })?;
        let compiled = adder.begin(&list.meta).and_then(|()| {
            list.entries.iter().try_for_each(|e| adder.add(e))?;
            adder.finish()
        });
        compiled.map_err(|e| SourceError::from(e.to_string()))?;
        Ok(list.meta)
    }
    /// The current version's fingerprint, cheaply (no parse); `None` when
    /// the source never changes.
    fn fingerprint(&self) -> Option<Fingerprint>;
    /// Whether a reload may serve this list at a lower sequence than the
    /// one served now (`allow_rollback`).
    fn allow_rollback(&self) -> bool {
        false
    }
    /// Why there is nothing to load yet although that is no error (a
    /// subscription whose local copy is fetched at the first start), or
    /// `None`. Checks that load nothing themselves report it and go on.
    fn absent(&self) -> Option<String> {
        None
    }
}

/// How list files are checked: the `[trust]` section.
#[derive(Debug, Clone)]
pub struct TrustSettings {
    /// The trust store file, re-read at every load; none trusts no key.
    pub store: Option<PathBuf>,
    /// Expired lists: refuse or flag.
    pub expired: ExpiredPolicy,
}

/// A list file in the text format, verified against the trust store.
#[derive(Debug)]
pub struct FileSource {
    /// The file.
    pub path: PathBuf,
    /// The trust store and expiry policy.
    pub trust: Arc<TrustSettings>,
    /// Accept the file without a signature.
    pub allow_unsigned: bool,
    /// Accept a reload at a lower sequence than the one served.
    pub allow_rollback: bool,
}

impl FileSource {
    /// The loader for one load: the trust store read now.
    pub fn loader(&self) -> Result<Loader, SourceError> {
        let options = LoadOptions {
            allow_unsigned: self.allow_unsigned,
            expired: self.trust.expired,
            min_sequence: None,
            now: None,
        };
        Loader::open(self.trust.store.as_deref(), options).map_err(|e| SourceError {
            kind: Some(e.kind()),
            message: format!("trust store {e}"),
        })
    }

    /// The error with what the operator can do about the trust failures
    /// that are configuration, not tampering.
    pub fn explain(&self, e: &Error) -> SourceError {
        let hint = match e.kind() {
            ErrorKind::Unsigned => {
                " (set allow_unsigned = true in [trust] or in its [[list]] to accept it unsigned)"
            }
            ErrorKind::UntrustedKey if self.trust.store.is_none() => {
                " (no [trust] store is configured)"
            }
            ErrorKind::Expired => " ([trust] expired = \"flag\" loads expired lists)",
            ErrorKind::Rollback => " (allow_rollback = true in its [[list]] accepts it)",
            _ => "",
        };
        SourceError {
            kind: Some(e.kind()),
            message: format!("{e}{hint}"),
        }
    }

    fn warn_expired(&self, meta: &ListMeta, v: &Verification) {
        if v.expired {
            tracing::warn!(
                path = %self.path.display(),
                list = %meta.id,
                expires = %meta.expires.unwrap_or_default(),
                "list is expired (loaded: [trust] expired = \"flag\")"
            );
        }
    }
}

impl ListSource for FileSource {
    fn describe(&self) -> String {
        self.path.display().to_string()
    }

    fn load(&self) -> Result<List, SourceError> {
        let loaded = self
            .loader()?
            .load(&self.path)
            .map_err(|e| self.explain(&e))?;
        self.warn_expired(&loaded.list.meta, &loaded.verification);
        Ok(loaded.list)
    }

    fn load_into(
        &self,
        floor: &dyn RollbackFloor,
        adder: ListAdder<'_>,
    ) -> Result<ListMeta, SourceError> {
        // Compiles each entry as it is read, while the file is hashed for
        // its signature: neither the text nor the parsed list is held.
        let (streamed, compiled) = self
            .loader()?
            .load_streamed(&self.path, floor, adder)
            .map_err(|e| self.explain(&e))?;
        compiled.map_err(|e| SourceError::from(e.to_string()))?;
        self.warn_expired(&streamed.meta, &streamed.verification);
        Ok(streamed.meta)
    }

    fn fingerprint(&self) -> Option<Fingerprint> {
        let mut fp = Vec::with_capacity(96);
        file_fingerprint(&self.path, &mut fp);
        // A changed trust store (a key revoked or added) changes what this
        // file verifies to.
        if let Some(store) = &self.trust.store {
            file_fingerprint(store, &mut fp);
        }
        Some(Fingerprint(fp))
    }

    fn allow_rollback(&self) -> bool {
        self.allow_rollback
    }
}

/// Appends what identifies the current version of the file at `path` to
/// `fp`: modification time, size, inode, device, change time.
pub fn file_fingerprint(path: &Path, fp: &mut Vec<u8>) {
    match std::fs::metadata(path) {
        Ok(m) => {
            let mtime = m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            fp.extend_from_slice(&mtime.to_le_bytes());
            fp.extend_from_slice(&m.len().to_le_bytes());
            // File times come from a coarse clock (a few ms): two
            // same-size versions written quickly can share them. A
            // replace-by-rename (how lists should be published) changes
            // the inode; an in-place write changes the ctime too.
            #[cfg(unix)]
            {
                use std::os::unix::fs::MetadataExt;
                fp.extend_from_slice(&m.ino().to_le_bytes());
                fp.extend_from_slice(&m.dev().to_le_bytes());
                fp.extend_from_slice(&m.ctime().to_le_bytes());
                fp.extend_from_slice(&m.ctime_nsec().to_le_bytes());
            }
        }
        // A missing file is a state too: its reappearance is a change.
        Err(_) => fp.push(0),
    }
}

/// The list built into the binary: ours, so it needs no signature.
#[derive(Debug)]
pub struct DemoSource;

impl ListSource for DemoSource {
    fn describe(&self) -> String {
        "builtin:demo".to_owned()
    }

    fn load(&self) -> Result<List, SourceError> {
        crate::demo::demo_list().map_err(|e| SourceError::from(format!("built-in demo list: {e}")))
    }

    fn fingerprint(&self) -> Option<Fingerprint> {
        None
    }
}
