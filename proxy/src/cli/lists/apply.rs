//! `hashwall lists apply`: a delta to a list, verified and logged.

use std::path::PathBuf;

use clap::Args;
use hashwall_lists::{TrustStore, apply_file};

use super::{now, out};
use crate::cli::fail::Fail;

/// `hashwall lists apply`
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The list file.
    pub list: PathBuf,
    /// The delta file.
    pub delta: PathBuf,
    /// Trust store file.
    #[arg(long, value_name = "FILE")]
    pub trust: PathBuf,
    /// Why, for the audit log.
    #[arg(long, default_value = "")]
    pub reason: String,
}

/// Applies the delta ([`apply_file`]).
pub fn run(a: &ApplyArgs) -> Result<(), Fail> {
    let trust = TrustStore::load(&a.trust)?;
    let done = apply_file(&a.list, &a.delta, &trust, &a.reason, now()?)?;
    for r in &done.recovered {
        crate::cli::progress::message(&format!("warning: {r}"));
    }
    out(&format!(
        "applied {} to {}: sequence {} -> {}, -{} +{}, signed by key {}; audit head {}\n",
        a.delta.display(),
        a.list.display(),
        done.from,
        done.to,
        done.removed,
        done.added,
        done.signer.key_id,
        done.audit_head
    ));
    Ok(())
}
