//! Loading lists named on the command line into a snapshot, through the
//! trust store ([`hashwall_lists::Loader`]): a list file is used only if it
//! verifies (or is unsigned and `--allow-unsigned` is given).

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use hashwall::{ListConfig, Snapshot};
use hashwall_lists::{ErrorKind, ExpiredPolicy, LoadOptions, Loader, NoFloor};

use crate::demo::demo_list;

/// The trust options shared by `check` and `match`.
#[derive(Debug, Args, Default)]
pub struct TrustArgs {
    /// Trust store file: the keys each issuer may sign with. A signed list
    /// loads only if it verifies against it.
    #[arg(long, value_name = "FILE")]
    pub trust: Option<PathBuf>,
    /// Load list files that carry no signature (a signed list must still
    /// verify).
    #[arg(long)]
    pub allow_unsigned: bool,
    /// Load a list past its `expires` time, with a warning, instead of
    /// refusing it.
    #[arg(long)]
    pub allow_expired: bool,
}

/// A snapshot of the given list files (each enforced as `config` says), or
/// of the demo list when none is given, with the time it took to load in
/// milliseconds. Every file must pass the trust checks `trust` asks for;
/// the first that does not is an error naming it and the reason.
/// `HASHWALL_NOW` replaces the clock for the expiry and future-date checks
/// ([`hashwall_lists::Clock::from_env`]).
pub fn load_snapshot(
    files: &[PathBuf],
    config: &ListConfig,
    trust: &TrustArgs,
) -> Result<(Snapshot, f64), String> {
    let start = Instant::now();
    let now = super::now().map_err(|e| e.to_string())?;
    let options = LoadOptions {
        allow_unsigned: trust.allow_unsigned,
        expired: if trust.allow_expired {
            ExpiredPolicy::Flag
        } else {
            ExpiredPolicy::Refuse
        },
        min_sequence: None,
        now: Some(now),
    };
    let loader =
        Loader::open(trust.trust.as_deref(), options).map_err(|e| format!("trust store {e}"))?;
    let mut builder = Snapshot::builder();
    if files.is_empty() {
        // The demo list is embedded in the binary (it is ours, not a
        // partner's), so it needs no signature.
        let list = demo_list().map_err(|e| format!("built-in demo list: {e}"))?;
        builder.add_list(&list, config).map_err(|e| e.to_string())?;
    }
    for path in files {
        // Compile each entry as it is read, while another thread parses and
        // hashes the file for its signature; a list that fails
        // verification aborts the whole load, so what was compiled from it
        // never reaches a snapshot in use.
        let (loaded, added) = loader
            .load_streamed(path, &NoFloor, builder.list_adder(config))
            .map_err(|e| {
                let hint = match e.kind() {
                    ErrorKind::Unsigned => " (pass --allow-unsigned to load unsigned lists)",
                    ErrorKind::UntrustedKey if trust.trust.is_none() => " (no --trust store given)",
                    ErrorKind::Expired => " (pass --allow-expired to load it anyway)",
                    _ => "",
                };
                format!("{e}{hint}")
            })?;
        added.map_err(|e| format!("{}: {e}", path.display()))?;
        if loaded.verification.expired {
            eprintln!(
                "warning\t{}: list {} is EXPIRED (since {})",
                path.display(),
                loaded.meta.id,
                loaded.meta.expires.unwrap_or_default()
            );
        }
    }
    let snapshot = builder.build();
    Ok((snapshot, start.elapsed().as_secs_f64() * 1e3))
}
