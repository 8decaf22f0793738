//! Verified loading: the one way every front end reads a list file.
//!
//! A [`Loader`] holds a trust store and the policies a front end applies
//! ([`LoadOptions`]: unsigned lists, expired lists, a minimum sequence, the
//! time). [`Loader::load`] reads a list file and returns it only if it
//! passes, in this order: the signature (signed by a key the store trusts
//! for the list's issuer, valid when the list was created, not dated in the
//! future), the rollback floor, the expiry. What was checked comes back in
//! a [`Verification`]; a failure is a typed [`Error`] naming the file.
//!
//! [`Loader::load_then`] also runs a function on the parsed list (compiling
//! it into a snapshot) while the signature is checked on another thread,
//! and holds the list to a [`RollbackFloor`] looked up by its issuer and id
//! (a service's record of the highest sequence it served).
//!
//! `hashwall check`, `hashwall match`, `hashwall lists verify`, the proxy's
//! list sources and its subscriptions all load through here.
//!
//! ```
//! use hashwall_lists::{ErrorKind, List, LoadOptions, Loader, NoFloor, SecretKey, TrustStore, TrustedKey};
//!
//! let key = SecretKey::from_seed(&[3; 32]);
//! let mut list = List::from_text(b"# id: police\n# issuer: Police\n# sequence: 7\ndomain bad.example\n", "x")?;
//! list.sign(&key);
//! let dir = std::env::temp_dir().join(format!("hashwall-load-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let path = dir.join("police.list");
//! std::fs::write(&path, list.to_text())?;
//!
//! let mut trust = TrustStore::new();
//! trust.add(TrustedKey { issuer: "Police".into(), key: key.public_key(), not_before: None, not_after: None });
//! let loader = Loader::new(trust, LoadOptions::default());
//! let loaded = loader.load(&path)?;
//! assert_eq!(loaded.list.meta.sequence, 7);
//! assert_eq!(loaded.verification.signer.as_ref().map(|s| s.issuer.as_str()), Some("Police"));
//!
//! // Held to a floor of 8 (sequence 8 was served before): a rollback.
//! let floor = |_issuer: &str, _id: &str| Some(8);
//! let err = loader.load_then(&path, &floor, |_| ()).unwrap_err();
//! assert_eq!(err.kind(), ErrorKind::Rollback);
//!
//! // An empty trust store trusts nobody.
//! let err = Loader::new(TrustStore::new(), LoadOptions::default()).load(&path).unwrap_err();
//! assert_eq!(err.kind(), ErrorKind::UntrustedKey);
//! # let _ = loader.load_then(&path, &NoFloor, |_| ())?;
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::path::Path;

use crate::error::{Error, ErrorKind, clip};
use crate::model::{List, ListMeta};
use crate::time::Timestamp;
use crate::trust::{TrustStore, Verified, verify_signed};

/// What to do with a list past its `expires` time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExpiredPolicy {
    /// Refuse it ([`ErrorKind::Expired`]).
    #[default]
    Refuse,
    /// Load it and set [`Verification::expired`].
    Flag,
}

/// How a [`Loader`] treats unsigned, expired and old lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LoadOptions {
    /// Accept lists without a signature (the built-in demo list, local
    /// allow lists). Off by default. A list that *is* signed must verify
    /// even when this is on.
    pub allow_unsigned: bool,
    /// Expired lists: refuse (default) or flag.
    pub expired: ExpiredPolicy,
    /// The lowest acceptable sequence (the last one accepted before), for
    /// whatever list is loaded: anything lower is a
    /// [`ErrorKind::Rollback`]. See also [`RollbackFloor`].
    pub min_sequence: Option<u64>,
    /// The time to check against; `None` is the system clock.
    pub now: Option<Timestamp>,
}

/// What a load checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Who signed it (issuer and key), or `None` for an unsigned list
    /// accepted with [`LoadOptions::allow_unsigned`].
    pub signer: Option<Verified>,
    /// The list is past its `expires` time (only with [`ExpiredPolicy::Flag`]).
    pub expired: bool,
    /// The rollback floor it was held to, if any.
    pub floor: Option<u64>,
}

/// The rollback floor of a list: the lowest sequence still acceptable
/// under its issuer and id (the highest one accepted before), if known.
///
/// Implemented by closures `Fn(&str, &str) -> Option<u64>` (issuer, id) and
/// by [`NoFloor`].
pub trait RollbackFloor {
    /// The floor of list `id` from `issuer`.
    fn floor(&self, issuer: &str, id: &str) -> Option<u64>;
}

/// No rollback floor.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoFloor;

impl RollbackFloor for NoFloor {
    fn floor(&self, _issuer: &str, _id: &str) -> Option<u64> {
        None
    }
}

impl<F: Fn(&str, &str) -> Option<u64>> RollbackFloor for F {
    fn floor(&self, issuer: &str, id: &str) -> Option<u64> {
        self(issuer, id)
    }
}

/// A list that passed a [`Loader`]'s checks, and what they found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loaded {
    /// The list.
    pub list: List,
    /// What was checked.
    pub verification: Verification,
}

/// Reads list files through a trust store and the front end's policies.
#[derive(Debug, Clone, Default)]
pub struct Loader {
    trust: TrustStore,
    options: LoadOptions,
}

impl Loader {
    /// A loader checking against `trust` as `options` say.
    pub fn new(trust: TrustStore, options: LoadOptions) -> Loader {
        Loader { trust, options }
    }

    /// A loader checking against the trust store file `store`, read now
    /// (`None`: an empty store, which trusts no key). A service reopens
    /// its loader at each reload, so a key rotated out of the file stops
    /// being trusted without a restart.
    ///
    /// # Errors
    ///
    /// The store file cannot be read or parsed (the error names it).
    pub fn open(store: Option<&Path>, options: LoadOptions) -> Result<Loader, Error> {
        let trust = match store {
            Some(p) => TrustStore::load(p)?,
            None => TrustStore::new(),
        };
        Ok(Loader::new(trust, options))
    }

    /// The trust store.
    pub fn trust(&self) -> &TrustStore {
        &self.trust
    }

    /// The policies.
    pub fn options(&self) -> &LoadOptions {
        &self.options
    }

    /// The time checks use: [`LoadOptions::now`], or the system clock.
    pub fn now(&self) -> Timestamp {
        self.options.now.unwrap_or_else(Timestamp::now)
    }

    /// Read the list file at `path` and check it. Errors carry the path
    /// (and the line, for parse errors).
    pub fn load(&self, path: &Path) -> Result<Loaded, Error> {
        self.load_then(path, &NoFloor, |_| ()).map(|(l, ())| l)
    }

    /// [`Loader::load`], held to `floor` as well, running `f` on the parsed
    /// list (such as compiling it into a snapshot) on this thread while the
    /// signature is checked on another. `f`'s result is returned only if
    /// the list passes; on failure it is dropped and the error returned,
    /// so nothing built from an unverified list escapes. `f` does not run
    /// for a list below its floor.
    ///
    /// When several checks fail, the signature's error wins (a forged file
    /// is reported as forged, not as old).
    pub fn load_then<T>(
        &self,
        path: &Path,
        floor: &dyn RollbackFloor,
        f: impl FnOnce(&List) -> T,
    ) -> Result<(Loaded, T), Error> {
        load_then_with(&self.trust, &self.options, path, floor, f)
    }

    /// The checks of [`Loader::load_then`] on a list already in memory
    /// (one fetched from a publisher, one produced by applying deltas).
    pub fn check(&self, list: &List, floor: &dyn RollbackFloor) -> Result<Verification, Error> {
        check_at(
            &self.trust,
            &self.options,
            list,
            floor_of(&self.options, list, floor),
        )
    }
}

fn load_then_with<T>(
    trust: &TrustStore,
    options: &LoadOptions,
    path: &Path,
    floor: &dyn RollbackFloor,
    f: impl FnOnce(&List) -> T,
) -> Result<(Loaded, T), Error> {
    let list = List::read_file(path)?;
    let min = floor_of(options, &list, floor);
    let below = min.is_some_and(|m| list.meta.sequence < m);
    let (verification, out) = std::thread::scope(|s| {
        let h = s.spawn(|| check_at(trust, options, &list, min));
        let out = (!below).then(|| f(&list));
        (h.join(), out)
    });
    let verification = verification
        .map_err(|_| Error::new(ErrorKind::Io, "verification thread failed"))?
        .map_err(|e| e.with_path(path))?;
    // `check_at` refuses a list below its floor, so `out` is set here.
    let out = out.ok_or_else(|| Error::new(ErrorKind::Rollback, "rollback").with_path(path))?;
    Ok((Loaded { list, verification }, out))
}

/// The stricter of the options' minimum and the list's floor.
fn floor_of(options: &LoadOptions, list: &List, floor: &dyn RollbackFloor) -> Option<u64> {
    floor_of_meta(options, &list.meta, floor)
}

/// [`floor_of`] for a list whose header is `meta`.
pub(crate) fn floor_of_meta(
    options: &LoadOptions,
    meta: &ListMeta,
    floor: &dyn RollbackFloor,
) -> Option<u64> {
    let by_list = floor.floor(&meta.issuer, &meta.id);
    match (options.min_sequence, by_list) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// Signature, then floor, then expiry.
fn check_at(
    trust: &TrustStore,
    options: &LoadOptions,
    list: &List,
    floor: Option<u64>,
) -> Result<Verification, Error> {
    check_meta(trust, options, &list.meta, || list.signed_digest(), floor)
}

/// [`check_at`] for a list whose header is `m` and whose canonical digest
/// `digest` gives (called only when the signature is checked).
pub(crate) fn check_meta(
    trust: &TrustStore,
    options: &LoadOptions,
    m: &ListMeta,
    digest: impl FnOnce() -> [u8; 32],
    floor: Option<u64>,
) -> Result<Verification, Error> {
    let now = options.now.unwrap_or_else(Timestamp::now);
    let signer = if m.signature.is_none() && options.allow_unsigned {
        None
    } else {
        Some(verify_signed(m, digest, trust, now)?)
    };
    if let Some(min) = floor
        && m.sequence < min
    {
        return Err(Error::new(
            ErrorKind::Rollback,
            format!(
                "list {} of issuer {:?} is at sequence {}, below the sequence {min} already accepted: rollback refused",
                m.id,
                clip(&m.issuer),
                m.sequence
            ),
        ));
    }
    let expired = m.expires.is_some_and(|e| now >= e);
    if expired && options.expired == ExpiredPolicy::Refuse {
        return Err(Error::new(
            ErrorKind::Expired,
            format!(
                "list {} expired at {} (now {now})",
                m.id,
                m.expires.unwrap_or_default()
            ),
        ));
    }
    Ok(Verification {
        signer,
        expired,
        floor,
    })
}

/// Read a list and check it against `trust` and `opts`: [`Loader::load`]
/// for callers that hold a store and options rather than a loader.
pub fn load_verified(
    path: &Path,
    trust: &TrustStore,
    opts: &LoadOptions,
) -> Result<(List, Verification), Error> {
    load_then_with(trust, opts, path, &NoFloor, |_| ()).map(|(l, ())| (l.list, l.verification))
}

/// [`load_verified`] running `f` while the signature is checked:
/// [`Loader::load_then`] without a floor beyond `opts.min_sequence`.
pub fn load_verified_then<T>(
    path: &Path,
    trust: &TrustStore,
    opts: &LoadOptions,
    f: impl FnOnce(&List) -> T,
) -> Result<(List, Verification, T), Error> {
    load_then_with(trust, opts, path, &NoFloor, f).map(|(l, out)| (l.list, l.verification, out))
}

/// The checks of [`load_verified`] on a list already in memory:
/// [`Loader::check`].
pub fn check_list(
    list: &List,
    trust: &TrustStore,
    opts: &LoadOptions,
) -> Result<Verification, Error> {
    check_at(trust, opts, list, opts.min_sequence)
}
