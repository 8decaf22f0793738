//! Verified loading as a stream: [`Loader::load_streamed`] hands each entry
//! to an [`EntrySink`] (a snapshot builder) as it is read, so the file's
//! text and its parsed entries are never held whole beside what the sink
//! builds.
//!
//! One thread reads, parses and hashes the file (the canonical digest the
//! signature covers is computed chunk by chunk as entries go by); the
//! calling thread feeds the sink, batches of entries passing between them
//! through a bounded channel. The checks are those of [`Loader::load_then`],
//! in the same order and with the same errors: nothing is returned before
//! every byte of the file has been read and verified, and when any check
//! fails the sink is dropped and the error returned, so nothing built from
//! an unverified list escapes. A parse error wins over a verification
//! error, which wins over the sink's own error (as when the list is parsed
//! whole, then verified, then compiled).
//!
//! ```
//! use hashwall_lists::{Entry, EntrySink, List, ListMeta, LoadOptions, Loader, NoFloor};
//!
//! /// Counts the domains of a list.
//! struct Domains(usize);
//! impl EntrySink for Domains {
//!     type Output = usize;
//!     type Error = String;
//!     fn begin(&mut self, _meta: &ListMeta) -> Result<(), String> { Ok(()) }
//!     fn entry(&mut self, e: &Entry) -> Result<(), String> {
//!         self.0 += usize::from(e.kind == hashwall_lists::EntryKind::Domain);
//!         Ok(())
//!     }
//!     fn end(self) -> Result<usize, String> { Ok(self.0) }
//! }
//!
//! let dir = std::env::temp_dir().join(format!("hashwall-stream-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let path = dir.join("local.list");
//! std::fs::write(&path, "# id: local\ndomain a.example\nurl b.example/x\ndomain c.example\n")?;
//! let loader = Loader::new(Default::default(), LoadOptions { allow_unsigned: true, ..Default::default() });
//! let (streamed, domains) = loader.load_streamed(&path, &NoFloor, Domains(0))?;
//! assert_eq!((streamed.meta.id.as_str(), streamed.entries, domains), ("local", 3, Ok(2)));
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::io::Read;
use std::path::Path;
use std::sync::mpsc::sync_channel;

use crate::error::{Error, ErrorKind};
use crate::load::{Loader, RollbackFloor, Verification, check_meta, floor_of_meta};
use crate::model::{Entry, ListMeta};
use crate::sign::StreamDigest;
use crate::text::stream::Stream;

/// Entries per batch handed from the parsing thread to the sink.
const BATCH: usize = 1024;
/// Batches in flight: bounds the memory between the two threads.
const IN_FLIGHT: usize = 8;

/// Receives a list as it is read: its header, then each entry in file
/// order, then the end. Taken by value and returned (as its
/// [`EntrySink::Output`]) only for a list that passed every check.
pub trait EntrySink {
    /// What the sink built.
    type Output;
    /// Why it could not.
    type Error;
    /// The header, before any entry. Not called for a list below its
    /// rollback floor (which fails anyway).
    fn begin(&mut self, meta: &ListMeta) -> Result<(), Self::Error>;
    /// The next entry. After an error no further entry is given.
    fn entry(&mut self, entry: &Entry) -> Result<(), Self::Error>;
    /// The end of the list, once every entry has been given without error.
    fn end(self) -> Result<Self::Output, Self::Error>;
}

/// A list that passed a [`Loader::load_streamed`]'s checks: its header, its
/// size and what was checked (the entries went to the sink).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Streamed {
    /// The header.
    pub meta: ListMeta,
    /// How many entries it holds.
    pub entries: usize,
    /// What was checked.
    pub verification: Verification,
}

/// What a sink built from a list that passed, or why it could not.
pub type Built<S> = Result<<S as EntrySink>::Output, <S as EntrySink>::Error>;

/// What the calling thread did with the sink.
enum Fed<S: EntrySink> {
    /// Every entry given without error.
    Ready(S),
    /// The sink failed.
    Failed(S::Error),
    /// The list is below its floor: never given to the sink.
    Below,
}

impl Loader {
    /// [`Loader::load_then`] without holding the list: the file at `path`
    /// is read in pieces and each entry is given to `sink` as it is parsed,
    /// while the signature's digest is computed. Returns the header and
    /// what was checked with the sink's result, only if the list passes
    /// (on failure the sink is dropped and the error, carrying the path and
    /// the line for parse errors, returned).
    pub fn load_streamed<S: EntrySink>(
        &self,
        path: &Path,
        floor: &dyn RollbackFloor,
        sink: S,
    ) -> Result<(Streamed, Built<S>), Error> {
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        self.load_streamed_from(file, path, floor, sink)
    }

    /// [`Loader::load_streamed`] over any reader (list bytes already in
    /// memory, a decompressor, a socket drained elsewhere): `path` only names
    /// the source, giving the default list id (its stem) and the name that
    /// errors carry. The checks and their order are the same.
    pub fn load_streamed_from<R: Read + Send, S: EntrySink>(
        &self,
        reader: R,
        path: &Path,
        floor: &dyn RollbackFloor,
        sink: S,
    ) -> Result<(Streamed, Built<S>), Error> {
        let mut stream = Stream::new(reader);
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy())
            .unwrap_or_default();
        let meta = stream.header(&stem, path).map_err(|e| e.with_path(path))?;
        let min = floor_of_meta(self.options(), &meta, floor);
        let below = min.is_some_and(|m| meta.sequence < m);
        // An unsigned list needs no digest: it is accepted unsigned or
        // refused as unsigned.
        let hash = meta.signature.is_some();
        let (tx, rx) = sync_channel::<Vec<Entry>>(IN_FLIGHT);
        let (parsed, fed) = std::thread::scope(|s| {
            let parser = s.spawn(move || -> Result<(usize, Option<StreamDigest>), Error> {
                let mut digest = hash.then(StreamDigest::new);
                let mut batch = Vec::with_capacity(BATCH);
                let mut n = 0usize;
                while let Some(e) = stream.next_entry(path)? {
                    if let Some(d) = digest.as_mut() {
                        d.entry(&e);
                    }
                    n += 1;
                    batch.push(e);
                    if batch.len() == BATCH {
                        // The receiver drains until this thread ends, so a
                        // send cannot fail; if it did, parsing goes on.
                        let _ = tx.send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)));
                    }
                }
                if !batch.is_empty() {
                    let _ = tx.send(batch);
                }
                Ok((n, digest))
            });
            // `rx` moves into `feed`: were the sink to panic, the receiver
            // would be dropped and the parser's sends would fail instead of
            // blocking the scope's join forever.
            let fed = feed(sink, below, &meta, rx.into_iter());
            (parser.join(), fed)
        });
        let (entries, digest) = parsed
            .map_err(|_| Error::new(ErrorKind::Io, "list parser thread failed").with_path(path))?
            .map_err(|e| e.with_path(path))?;
        let digest = || digest.map_or([0; 32], |d| d.finish(&meta));
        let verification = check_meta(self.trust(), self.options(), &meta, digest, min)
            .map_err(|e| e.with_path(path))?;
        let built = match fed {
            Fed::Ready(sink) => sink.end(),
            Fed::Failed(e) => Err(e),
            // `check_meta` refuses a list below its floor.
            Fed::Below => {
                return Err(Error::new(ErrorKind::Rollback, "rollback").with_path(path));
            }
        };
        Ok((
            Streamed {
                meta,
                entries,
                verification,
            },
            built,
        ))
    }
}

/// Give `sink` the header and every batch; after a failure (or for a list
/// below its floor) the batches are still drained, so the parser reads the
/// whole file and its errors are found.
fn feed<S: EntrySink>(
    mut sink: S,
    below: bool,
    meta: &ListMeta,
    batches: impl Iterator<Item = Vec<Entry>>,
) -> Fed<S> {
    let mut failed = None;
    if below {
        batches.for_each(drop);
        return Fed::Below;
    }
    if let Err(e) = sink.begin(meta) {
        failed = Some(e);
    }
    for batch in batches {
        if failed.is_some() {
            continue;
        }
        for e in &batch {
            if let Err(err) = sink.entry(e) {
                failed = Some(err);
                break;
            }
        }
    }
    match failed {
        Some(e) => Fed::Failed(e),
        None => Fed::Ready(sink),
    }
}
