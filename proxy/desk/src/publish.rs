//! The desk's own lists: one per category, signed with the desk's key,
//! changed through the list crate's write-ahead [`Edit`] (audit log first,
//! then the file) and published as a new version with its delta, so every
//! subscribed proxy and matching API enforces a confirmed report within
//! its poll interval.
//!
//! Listing is idempotent: an entry already carrying the report's reference
//! is not added twice, and a version committed but not yet published (a
//! crash, a full disk) is published by the next call or at start. So a
//! confirmation that failed half-way can simply be repeated.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use hashwall::lists::change::Edit;
use hashwall::lists::publication::{self, DeltaSource, Manifest};
use hashwall::lists::{
    Entry, Jurisdiction, List, ListMeta, SecretKey, Timestamp, TrustStore, TrustedKey, trust_line,
};

use crate::config::DeskConfig;
use crate::error::{Error, ErrorKind, Result};
use crate::model::{Category, ListedKind, Reference};

/// The desk's signing key, its lists and its publication directory.
pub struct Publisher {
    key: SecretKey,
    trust: TrustStore,
    publication: PathBuf,
    lists: Vec<(Category, PathBuf)>,
    /// One edit at a time (the list files are the desk's alone).
    gate: Mutex<()>,
}

impl std::fmt::Debug for Publisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Publisher")
            .field("key", &self.key.public_key().key_id())
            .field("publication", &self.publication)
            .finish_non_exhaustive()
    }
}

/// What [`Publisher::list`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// The list's id.
    pub list: String,
    /// The published sequence holding the entry.
    pub sequence: u64,
    /// False when the entry was there already (a repeated confirmation).
    pub added: bool,
}

fn published_sequence(dir: &Path) -> Result<Option<u64>> {
    match std::fs::read(dir.join(publication::MANIFEST)) {
        Ok(bytes) => Ok(Some(Manifest::from_text(&bytes)?.sequence)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::new(
            ErrorKind::Lists,
            format!("reading {}: {e}", dir.display()),
        )),
    }
}

impl Publisher {
    /// Open the desk's key and lists under the configured data directory,
    /// creating what is missing (a new key, empty signed lists, their
    /// first publication), and publish any version committed but not yet
    /// published.
    ///
    /// # Errors
    ///
    /// A file cannot be read, parsed or written (the error names it).
    pub fn open(config: &DeskConfig, now: Timestamp) -> Result<Publisher> {
        let jurisdiction: Jurisdiction = config
            .jurisdiction
            .parse()
            .map_err(|e| Error::new(ErrorKind::Config, format!("jurisdiction: {e}")))?;
        for dir in [
            config.data_dir.clone(),
            config.lists_dir(),
            config.publication_dir(),
        ] {
            std::fs::create_dir_all(&dir).map_err(|e| {
                Error::new(
                    ErrorKind::Config,
                    format!("creating {}: {e}", dir.display()),
                )
            })?;
        }
        let key_path = config.key_path();
        let key = if key_path.exists() {
            SecretKey::read_file(&key_path)?
        } else {
            let key = SecretKey::generate()?;
            key.write_file(&key_path)?;
            key
        };
        let mut trust = TrustStore::new();
        let own = TrustedKey {
            issuer: config.issuer.clone(),
            key: key.public_key(),
            not_before: None,
            not_after: None,
        };
        let line = trust_line(&own);
        hashwall::lists::write_atomic(&config.own_trust_path(), |w| w.write_all(line.as_bytes()))?;
        trust.add(own);
        let publisher = Publisher {
            key,
            trust,
            publication: config.publication_dir(),
            lists: Category::ALL
                .iter()
                .map(|c| (*c, config.list_path_for(*c)))
                .collect(),
            gate: Mutex::new(()),
        };
        for category in Category::ALL {
            let path = config.list_path_for(*category);
            if !path.exists() {
                let mut meta = ListMeta::with_defaults(&config.list_id_for(*category));
                meta.issuer = config.issuer.clone();
                meta.name = format!("{} ({} reports)", config.issuer, category.as_str());
                meta.jurisdiction = jurisdiction;
                meta.category = category.list_category();
                Edit::create(&path, meta, now)?
                    .signed_by(&publisher.key)
                    .reason("the desk's list is created")
                    .commit()?;
            }
            publisher.catch_up(&path, now)?;
        }
        Ok(publisher)
    }

    /// The trust store holding the desk's own key.
    pub fn trust(&self) -> &TrustStore {
        &self.trust
    }

    /// The desk's list files, one per category.
    pub fn list_paths(&self) -> impl Iterator<Item = &Path> {
        self.lists.iter().map(|(_, p)| p.as_path())
    }

    fn path(&self, category: Category) -> Result<&Path> {
        self.lists
            .iter()
            .find(|(c, _)| *c == category)
            .map(|(_, p)| p.as_path())
            .ok_or_else(|| Error::new(ErrorKind::Config, "no list for this category"))
    }

    /// Publish the list at `path` if its file is newer than its published
    /// version (or it was never published).
    fn catch_up(&self, path: &Path, now: Timestamp) -> Result<u64> {
        let list = List::read_file(path)?;
        let dir = self.publication.join(&list.meta.id);
        let published = published_sequence(&dir)?;
        if published.is_none_or(|s| s < list.meta.sequence) {
            let delta = if published.is_some() {
                DeltaSource::Compute(&self.key)
            } else {
                DeltaSource::None
            };
            publication::publish(&self.publication, &list, delta, &self.trust, now)?;
        }
        Ok(list.meta.sequence)
    }

    /// Add `kind value` with the report's reference to the desk's list for
    /// `category`, sign, log, and publish the new version with its delta.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Invalid`] for a value the list format refuses;
    /// [`ErrorKind::Lists`] when a file cannot be written — the list is
    /// then unchanged, or changed but unpublished, and a repeat finishes.
    pub fn list(
        &self,
        category: Category,
        kind: ListedKind,
        value: &str,
        reference: &Reference,
        reason: &str,
        now: Timestamp,
    ) -> Result<Listed> {
        let _gate = self.gate.lock().map_err(|_| {
            Error::new(
                ErrorKind::Lists,
                "a listing failed half-way; restart the desk",
            )
        })?;
        let path = self.path(category)?;
        let entry =
            Entry::new(kind.entry_kind(), value, Some(reference.as_str())).map_err(|e| {
                Error::new(
                    ErrorKind::Invalid,
                    format!("the entry to list: {}", e.message()),
                )
            })?;
        let mut edit = Edit::open(path, "add", now)?
            .signed_by(&self.key)
            .with_delta()
            .reason(reason);
        let list_id = edit.list().meta.id.clone();
        let there = edit.list().entries.iter().any(|e| {
            e.kind == entry.kind && e.value == entry.value && e.reference == entry.reference
        });
        if there {
            drop(edit);
            let sequence = self.catch_up(path, now)?;
            return Ok(Listed {
                list: list_id,
                sequence,
                added: false,
            });
        }
        edit.add(entry)?;
        let done = edit.commit()?;
        let source = match &done.delta {
            Some(d) => DeltaSource::Given(d),
            None => DeltaSource::Compute(&self.key),
        };
        publication::publish(&self.publication, &done.list, source, &self.trust, now)?;
        Ok(Listed {
            list: list_id,
            sequence: done.list.meta.sequence,
            added: true,
        })
    }
}
