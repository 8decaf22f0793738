//! The immutable [`Snapshot`] many lists compile into, and its builder.

pub(crate) mod adder;
mod check_image;
mod entries;
mod images;
pub(crate) mod list_info;
mod path_readings;
mod resolved;
mod urlmatch;

use std::cell::RefCell;
use std::sync::Arc;

use hashwall_lists::{EntryKind, Policy};

use crate::index::hostfilter::HostFilter;
use crate::index::keytable::KeyTable;
use crate::url::CanonicalUrl;
use crate::verdict::{Match, Matched, Verdict};
use crate::{Error, ErrorKind};

use entries::EntryStore;
use images::ImageThresholds;
pub use images::{
    DEFAULT_HASH64_MAX_DISTANCE, DEFAULT_MIN_QUALITY, DEFAULT_PDQ_MAX_DISTANCE,
    MAX_HASH64_DISTANCE, MAX_PDQ_DISTANCE,
};
use images::{ImageBuilder, ImageIndex};
pub use list_info::ListInfo;
use path_readings::Applies;
use urlmatch::{Hit, KindsPresent, UrlIndex};

/// How one list is enforced in a snapshot.
///
/// The issuer's header says what the list is for; the operator decides what
/// to do with it. A foreign police list can be loaded in `monitor` mode until
/// a national authority approves it, for example.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListConfig {
    /// The policy to enforce; `None` keeps the issuer's declared policy.
    pub policy: Option<Policy>,
    /// Skip entries that cannot be compiled (counted in [`BuildStats`])
    /// instead of refusing the whole list.
    pub skip_invalid: bool,
    /// Largest Hamming distance for this list's PDQ entries (default
    /// [`DEFAULT_PDQ_MAX_DISTANCE`], at most [`MAX_PDQ_DISTANCE`]).
    pub pdq_max_distance: Option<u32>,
    /// Largest Hamming distance for this list's pHash/dHash entries (default
    /// [`DEFAULT_HASH64_MAX_DISTANCE`], at most [`MAX_HASH64_DISTANCE`]).
    pub hash64_max_distance: Option<u32>,
    /// PDQ quality below which a query is not matched against this list
    /// (default [`DEFAULT_MIN_QUALITY`]).
    pub min_quality: Option<u8>,
    /// Match the paths of this list's `url` and `url-prefix` entries without
    /// regard to ASCII letter case, as origins on case-insensitive file
    /// systems serve them (see [`ListConfig::case_insensitive_paths`]).
    pub case_insensitive_paths: bool,
}

impl ListConfig {
    /// Enforce `policy` whatever the list header declares.
    pub fn with_policy(mut self, policy: Policy) -> ListConfig {
        self.policy = Some(policy);
        self
    }

    /// Skip (and count) invalid entries instead of failing.
    pub fn skipping_invalid(mut self) -> ListConfig {
        self.skip_invalid = true;
        self
    }

    /// Match this list's PDQ entries up to `d` bits.
    pub fn with_pdq_max_distance(mut self, d: u32) -> ListConfig {
        self.pdq_max_distance = Some(d);
        self
    }

    /// Match this list's pHash/dHash entries up to `d` bits.
    pub fn with_hash64_max_distance(mut self, d: u32) -> ListConfig {
        self.hash64_max_distance = Some(d);
        self
    }

    /// Match this list's `url` and `url-prefix` entries whatever the ASCII
    /// letter case of the URL's path (`/BANNED/A.JPG` for an entry
    /// `host/banned/a.jpg`), for lists of origins that serve paths so (IIS,
    /// case-insensitive file systems). Hosts are always case-insensitive;
    /// queries and `url-sha256` entries stay case-sensitive.
    pub fn case_insensitive_paths(mut self) -> ListConfig {
        self.case_insensitive_paths = true;
        self
    }

    /// Do not match PDQ hashes of quality below `q` against this list.
    pub fn with_min_quality(mut self, q: u8) -> ListConfig {
        self.min_quality = Some(q);
        self
    }

    fn thresholds(&self) -> Result<ImageThresholds, Error> {
        let d = ImageThresholds::default();
        let t = ImageThresholds {
            pdq_max_distance: self.pdq_max_distance.unwrap_or(d.pdq_max_distance),
            hash64_max_distance: self.hash64_max_distance.unwrap_or(d.hash64_max_distance),
            min_quality: self.min_quality.unwrap_or(d.min_quality),
        };
        if t.pdq_max_distance > MAX_PDQ_DISTANCE || t.hash64_max_distance > MAX_HASH64_DISTANCE {
            return Err(Error::new(
                ErrorKind::List,
                format!(
                    "maximum distance too large: pdq {} (at most {MAX_PDQ_DISTANCE}), phash/dhash {} (at most {MAX_HASH64_DISTANCE})",
                    t.pdq_max_distance, t.hash64_max_distance
                ),
            ));
        }
        Ok(t)
    }
}

/// Figures about a built snapshot.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BuildStats {
    /// Entries compiled into the URL index.
    pub url_entries: usize,
    /// Image-hash entries (`pdq`, `phash`, `dhash`, `md5`, `sha1`, `sha256`).
    pub image_entries: usize,
    /// Entries skipped as invalid (only with [`ListConfig::skip_invalid`]).
    pub skipped: usize,
    /// Heap bytes of the URL index (the key table and the host filter).
    pub index_bytes: usize,
    /// Heap bytes of the image indexes (Hamming indexes, digest table).
    pub image_index_bytes: usize,
    /// Heap bytes of the entries' values, references and bookkeeping.
    pub entry_bytes: usize,
    /// Image-hash entries by kind, in [`IMAGE_KINDS`] order.
    image_entries_by_kind: [usize; IMAGE_KINDS.len()],
}

/// The image entry kinds, in the order [`BuildStats`] counts them.
const IMAGE_KINDS: [EntryKind; 6] = [
    EntryKind::Pdq,
    EntryKind::Phash,
    EntryKind::Dhash,
    EntryKind::Md5,
    EntryKind::Sha1,
    EntryKind::Sha256,
];

impl BuildStats {
    /// Image-hash entries of `kind` (0 for a URL kind).
    ///
    /// ```
    /// use hashwall::Snapshot;
    /// use hashwall::lists::{EntryKind, List};
    ///
    /// let pdq = "f".repeat(64);
    /// let list = List::from_text(format!("pdq {pdq}\nsha1 {}\n", "a".repeat(40)).as_bytes(), "l")?;
    /// let snap = Snapshot::builder().add_list(&list, &Default::default())?.build();
    /// assert_eq!(snap.stats().image_entries_of(EntryKind::Pdq), 1);
    /// assert_eq!(snap.stats().image_entries_of(EntryKind::Md5), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn image_entries_of(&self, kind: EntryKind) -> usize {
        IMAGE_KINDS
            .iter()
            .position(|k| *k == kind)
            .map_or(0, |i| self.image_entries_by_kind[i])
    }
}

/// Collects lists, then compiles them into a [`Snapshot`].
#[derive(Debug, Default)]
pub struct SnapshotBuilder {
    lists: Vec<Arc<ListInfo>>,
    entries: EntryStore,
    keys: Vec<(u64, u32)>,
    /// Host hashes of plaintext entries, for the host filter.
    hosts: Vec<u64>,
    images: ImageBuilder,
    present: KindsPresent,
    stats: BuildStats,
}

impl SnapshotBuilder {
    /// Compiles everything added into an immutable snapshot, leaving the
    /// builder empty (so it can end a chain of `add_list` calls).
    pub fn build(&mut self) -> Snapshot {
        std::mem::take(self).build_owned()
    }

    fn build_owned(mut self) -> Snapshot {
        let table = KeyTable::build(&self.keys);
        drop(std::mem::take(&mut self.keys));
        self.hosts.sort_unstable();
        self.hosts.dedup();
        let hosts = HostFilter::build(&self.hosts);
        drop(std::mem::take(&mut self.hosts));
        self.entries.shrink_to_fit();
        let images = std::mem::take(&mut self.images).build();
        self.stats.index_bytes = table.heap_bytes() + hosts.heap_bytes();
        self.stats.image_index_bytes = images.heap_bytes();
        self.stats.entry_bytes = self.entries.heap_bytes();
        Snapshot {
            images,
            lists: self.lists,
            entries: self.entries,
            urls: UrlIndex {
                table,
                hosts,
                present: self.present,
            },
            stats: self.stats,
        }
    }
}

/// Many lists compiled into one immutable, thread-safe matcher.
///
/// A snapshot is never edited: a new one is built and swapped in (see
/// [`crate::Engine`]), so readers never wait and a verdict always comes from
/// one consistent set of lists.
///
/// ```
/// use hashwall::Snapshot;
/// use hashwall_lists::List;
///
/// let police = List::from_text(b"\
/// ## issuer: Example Police
/// ## jurisdiction: DE
/// ## category: csam
/// url-prefix evil.example/gallery/ case-1
/// domain bad.example case-2
/// ", "police")?;
/// let snapshot = Snapshot::builder().add_list(&police, &Default::default())?.build();
/// let verdict = snapshot.check_url("http://www.evil.example/gallery/1.jpg")?;
/// assert!(verdict.is_blocked());
/// assert_eq!(verdict.matches()[0].list().issuer(), "Example Police");
/// assert_eq!(verdict.matches()[0].reference(), Some("case-1"));
/// assert!(!snapshot.check_url("http://evil.example/other/")?.is_blocked());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Snapshot {
    lists: Vec<Arc<ListInfo>>,
    entries: EntryStore,
    urls: UrlIndex,
    images: ImageIndex,
    stats: BuildStats,
}

thread_local! {
    /// Reused canonicalisation buffers: after warm-up a check allocates
    /// nothing unless something matched.
    static SCRATCH: RefCell<CanonicalUrl> = RefCell::new(CanonicalUrl::new());
}

impl Snapshot {
    /// A builder to add lists to.
    pub fn builder() -> SnapshotBuilder {
        SnapshotBuilder::default()
    }

    /// A snapshot with no lists: every verdict is "no match".
    pub fn empty() -> Snapshot {
        SnapshotBuilder::default().build()
    }

    /// The lists compiled in, in the order they were added.
    pub fn lists(&self) -> &[Arc<ListInfo>] {
        &self.lists
    }

    /// Figures about the build: entry counts and memory.
    pub fn stats(&self) -> &BuildStats {
        &self.stats
    }

    /// Checks a URL given as text. See [`Snapshot::check_url_bytes`].
    ///
    /// # Errors
    ///
    /// When the URL cannot be canonicalised ([`ErrorKind::Url`]): the caller
    /// decides whether that fails open or closed.
    pub fn check_url(&self, url: &str) -> Result<Verdict, Error> {
        self.check_url_bytes(url.as_bytes())
    }

    /// Checks a URL given as raw bytes (as it came off the wire), after Safe
    /// Browsing canonicalisation.
    ///
    /// # Errors
    ///
    /// When the URL cannot be canonicalised ([`ErrorKind::Url`]).
    pub fn check_url_bytes(&self, url: &[u8]) -> Result<Verdict, Error> {
        SCRATCH.with(|cell| match cell.try_borrow_mut() {
            Ok(mut scratch) => {
                scratch.parse_into(url)?;
                Ok(self.check_canonical(&scratch))
            }
            // Only reachable if a caller re-enters from inside a check.
            Err(_) => Ok(self.check_canonical(&CanonicalUrl::parse(url)?)),
        })
    }

    /// Checks an already canonicalised URL: as written, then under the
    /// readings origin servers give its path (`path_readings.rs`: path
    /// parameters removed; letter case folded for lists that ask for it).
    pub fn check_canonical(&self, url: &CanonicalUrl) -> Verdict {
        let mut verdict = Verdict::default();
        let p = self.urls.present;
        let readings = if p.exact || p.prefix || p.hashed {
            path_readings::readings(url, p.folded)
        } else {
            Vec::new()
        };
        // Entries matched so far, kept only when a reading follows (so the
        // common URL allocates nothing more).
        let mut matched: Option<Vec<u32>> = (!readings.is_empty()).then(Vec::new);
        self.collect(url, None, &mut matched, &mut verdict);
        for (reading, applies) in &readings {
            self.collect(reading, Some(*applies), &mut matched, &mut verdict);
        }
        verdict.finish();
        verdict
    }

    /// Adds the matches of `url` to `verdict`. For a reading (`applies` is
    /// set), only path entries of the lists it applies to count, and an
    /// entry already in `matched` (kept when readings follow) is not
    /// reported twice.
    fn collect(
        &self,
        url: &CanonicalUrl,
        applies: Option<Applies>,
        matched: &mut Option<Vec<u32>>,
        verdict: &mut Verdict,
    ) {
        self.urls.lookup(url, &self.entries, |hit| {
            let (entry, expression) = match hit {
                Hit::Expression { entry, host, path } => {
                    let mut s = String::with_capacity(host.len() + path.len());
                    s.push_str(host);
                    s.push_str(path);
                    (entry, s)
                }
                Hit::Domain { entry, host } => {
                    if applies.is_some() {
                        // The host is the same in every reading.
                        return;
                    }
                    (entry, host.to_owned())
                }
            };
            let list = &self.lists[usize::from(self.entries.list(entry))];
            if applies == Some(Applies::CaseInsensitiveLists) && !list.case_insensitive_paths {
                return;
            }
            if let Some(matched) = matched.as_mut() {
                if applies.is_some() && matched.contains(&entry) {
                    return;
                }
                matched.push(entry);
            }
            verdict.push(Match {
                list: Arc::clone(list),
                kind: self.entries.kind(entry),
                reference: self.entries.reference(entry).map(Box::from),
                matched: Matched::Text(expression.into_boxed_str()),
                distance: None,
                variant: None,
            });
        });
    }
}
