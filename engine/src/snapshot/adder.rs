//! Adding a list to a [`SnapshotBuilder`]: whole ([`SnapshotBuilder::add_list`])
//! or entry by entry as it is read ([`ListAdder`], the
//! [`hashwall_lists::EntrySink`] that [`hashwall_lists::Loader::load_streamed`]
//! feeds), with the same checks and errors either way.

use std::sync::Arc;

use hashwall_lists::{Entry, EntryKind, EntrySink, List, ListMeta};

use super::images::ImageThresholds;
use super::list_info::ListInfo;
use super::{IMAGE_KINDS, ListConfig, SnapshotBuilder, path_readings, urlmatch};
use crate::error::{Error, ErrorKind};
use crate::url::{CanonicalUrl, canonical_expression, canonical_host};

/// Adds one list to a [`SnapshotBuilder`] an entry at a time
/// ([`SnapshotBuilder::list_adder`]): [`ListAdder::begin`] with the header,
/// [`ListAdder::add`] for each entry, [`ListAdder::finish`]. The list
/// counts in the snapshot only once finished. After an error, drop the
/// builder (as after a failed [`SnapshotBuilder::add_list`]): it may hold
/// part of the list.
///
/// ```
/// use hashwall::Snapshot;
/// use hashwall::lists::List;
///
/// let list = List::from_text(b"# id: l\ndomain bad.example\n", "l")?;
/// let mut builder = Snapshot::builder();
/// let mut adder = builder.list_adder(&Default::default());
/// adder.begin(&list.meta)?;
/// for entry in &list.entries {
///     adder.add(entry)?;
/// }
/// adder.finish()?;
/// assert!(builder.build().check_url("http://www.bad.example/")?.is_blocked());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct ListAdder<'a> {
    builder: &'a mut SnapshotBuilder,
    config: ListConfig,
    list: Option<Started>,
}

/// A list being added.
#[derive(Debug)]
struct Started {
    meta: ListMeta,
    index: usize,
    list_idx: u16,
    thresholds: ImageThresholds,
    url_entries: usize,
    image_entries: usize,
    has_pdq: bool,
}

impl SnapshotBuilder {
    /// Adds a list, enforced as `config` says.
    ///
    /// Every URL entry is canonicalised with the same canonicaliser that
    /// lookups use, so `url-prefix EVIL.example/%67allery/` and
    /// `url-prefix evil.example/gallery/` are the same entry.
    ///
    /// # Errors
    ///
    /// An entry that cannot be canonicalised (unless `config.skip_invalid`),
    /// more than 65 535 lists, or more than 2³² − 2 entries or 4 GiB of
    /// values in one snapshot.
    pub fn add_list(&mut self, list: &List, config: &ListConfig) -> Result<&mut Self, Error> {
        let mut adder = self.list_adder(config);
        adder.begin(&list.meta)?;
        for entry in &list.entries {
            adder.add(entry)?;
        }
        adder.finish()?;
        Ok(self)
    }

    /// Adds a list entry by entry, enforced as `config` says: the same
    /// as [`SnapshotBuilder::add_list`] without the whole list in memory.
    pub fn list_adder(&mut self, config: &ListConfig) -> ListAdder<'_> {
        ListAdder {
            builder: self,
            config: config.clone(),
            list: None,
        }
    }

    /// Returns whether the entry went into the URL index (else the image
    /// indexes).
    fn add_entry(
        &mut self,
        list: u16,
        entry: &Entry,
        thresholds: ImageThresholds,
        fold: bool,
    ) -> Result<bool, Error> {
        let reference = entry.reference.as_deref();
        let (id, key) = match entry.kind {
            EntryKind::Url => {
                let url = CanonicalUrl::parse(entry.value.as_bytes())?;
                let folded;
                let (host, mut path) = (url.host(), urlmatch::full_path(&url));
                if fold {
                    folded = fold_before_query(path);
                    path = &folded;
                }
                let id = self.entries.push(
                    list,
                    entry.kind,
                    &[host.as_bytes(), path.as_bytes()],
                    reference,
                )?;
                self.present.exact = true;
                let hh = urlmatch::h_host(host);
                self.hosts.push(hh);
                (id, urlmatch::exact_key(hh, urlmatch::h_path(path)))
            }
            EntryKind::UrlPrefix => {
                let mut expr = canonical_expression(&entry.value)?;
                // A canonical expression is `host` + `/path…`: the host never
                // holds an unescaped `/`.
                let split = expr.find('/').unwrap_or(expr.len());
                if fold {
                    expr = format!("{}{}", &expr[..split], fold_before_query(&expr[split..]));
                }
                let (host, path) = expr.split_at(split);
                let id = self
                    .entries
                    .push(list, entry.kind, &[expr.as_bytes()], reference)?;
                self.present.prefix = true;
                let hh = urlmatch::h_host(host);
                self.hosts.push(hh);
                (id, urlmatch::prefix_key(hh, urlmatch::h_path(path)))
            }
            EntryKind::Domain => {
                let host = canonical_host(&entry.value)?;
                let id = self
                    .entries
                    .push(list, entry.kind, &[host.as_bytes()], reference)?;
                self.present.domain = true;
                let hh = urlmatch::h_host(&host);
                self.hosts.push(hh);
                (id, urlmatch::domain_key(hh))
            }
            EntryKind::UrlSha256 => {
                let digest = parse_sha256_hex(&entry.value)?;
                let id = self.entries.push(list, entry.kind, &[&digest], reference)?;
                self.present.hashed = true;
                (id, urlmatch::hashed_key(&digest))
            }
            kind => {
                let SnapshotBuilder {
                    images, entries, ..
                } = self;
                images.add(kind, &entry.value, thresholds, |bytes| {
                    entries.push(list, kind, &[bytes], reference)
                })?;
                return Ok(false);
            }
        };
        self.keys.push((key, id));
        Ok(true)
    }
}

impl ListAdder<'_> {
    /// Starts the list whose header is `meta`.
    ///
    /// # Errors
    ///
    /// More than 65 535 lists, distances above the maxima in the config, or
    /// a list already started.
    pub fn begin(&mut self, meta: &ListMeta) -> Result<(), Error> {
        if self.list.is_some() {
            return Err(Error::new(ErrorKind::List, "a list adder takes one list"));
        }
        let index = self.builder.lists.len();
        let Ok(list_idx) = u16::try_from(index) else {
            return Err(Error::new(
                ErrorKind::List,
                "a snapshot holds at most 65 535 lists",
            ));
        };
        let thresholds = self.config.thresholds()?;
        self.list = Some(Started {
            meta: meta.clone(),
            index,
            list_idx,
            thresholds,
            url_entries: 0,
            image_entries: 0,
            has_pdq: false,
        });
        Ok(())
    }

    /// Adds the next entry of the list.
    ///
    /// # Errors
    ///
    /// As [`SnapshotBuilder::add_list`] for one entry; or no list started.
    pub fn add(&mut self, entry: &Entry) -> Result<(), Error> {
        let Some(l) = self.list.as_mut() else {
            return Err(Error::new(ErrorKind::List, "no list started"));
        };
        let b = &mut *self.builder;
        let fold = self.config.case_insensitive_paths;
        match b.add_entry(l.list_idx, entry, l.thresholds, fold) {
            Ok(true) => l.url_entries += 1,
            Ok(false) => {
                l.image_entries += 1;
                if let Some(i) = IMAGE_KINDS.iter().position(|k| *k == entry.kind) {
                    b.stats.image_entries_by_kind[i] += 1;
                }
                l.has_pdq |= entry.kind == EntryKind::Pdq;
            }
            Err(e) if self.config.skip_invalid && e.kind() != ErrorKind::List => {
                b.stats.skipped += 1;
            }
            Err(e) => {
                return Err(Error::new(
                    ErrorKind::InvalidEntry,
                    format!(
                        "list `{}`: entry `{} {}`",
                        l.meta.id,
                        entry.kind.as_str(),
                        entry.value
                    ),
                )
                .with_source(e));
            }
        }
        Ok(())
    }

    /// Ends the list: it now counts in the snapshot.
    ///
    /// # Errors
    ///
    /// No list started.
    pub fn finish(self) -> Result<(), Error> {
        let Some(l) = self.list else {
            return Err(Error::new(ErrorKind::List, "no list started"));
        };
        let b = self.builder;
        let config = &self.config;
        b.stats.url_entries += l.url_entries;
        b.stats.image_entries += l.image_entries;
        b.lists.push(Arc::new(ListInfo {
            policy: config.policy.unwrap_or(l.meta.policy),
            meta: l.meta,
            entries: l.url_entries + l.image_entries,
            index: l.index,
            thresholds: l.thresholds,
            has_pdq: l.has_pdq,
            case_insensitive_paths: config.case_insensitive_paths,
        }));
        b.present.folded |= config.case_insensitive_paths;
        Ok(())
    }
}

/// Streamed loading ([`hashwall_lists::Loader::load_streamed`]) compiles
/// into the builder as the list is read.
impl EntrySink for ListAdder<'_> {
    type Output = ();
    type Error = Error;

    fn begin(&mut self, meta: &ListMeta) -> Result<(), Error> {
        ListAdder::begin(self, meta)
    }

    fn entry(&mut self, entry: &Entry) -> Result<(), Error> {
        self.add(entry)
    }

    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}

/// `path_and_query` with its path (not its query) folded to lower case.
fn fold_before_query(path_and_query: &str) -> String {
    match path_and_query.split_once('?') {
        Some((path, query)) => format!("{}?{query}", path_readings::fold_path(path)),
        None => path_readings::fold_path(path_and_query),
    }
}

fn parse_sha256_hex(hex: &str) -> Result<[u8; 32], Error> {
    hashwall_lists::hex::decode_array(hex).map_err(|_| {
        Error::new(
            ErrorKind::InvalidEntry,
            format!("url-sha256 value must be 64 hex digits, got `{hex}`"),
        )
    })
}
