//! `hashwall lists remove`: every entry of a kind and value.

use std::path::PathBuf;

use clap::Args;
use hashwall_lists::change::Edit;

use super::add::entry;
use super::{commit, entries, now, out, read_key};
use crate::cli::fail::{Fail, usage};

/// `hashwall lists remove`
#[derive(Debug, Args)]
pub struct RemoveArgs {
    /// The list file.
    pub list: PathBuf,
    /// Entry kind.
    pub kind: String,
    /// The URL, domain or hash.
    pub value: String,
    /// Why, for the audit log.
    #[arg(long, default_value = "")]
    pub reason: String,
    /// Secret key file to sign the new version with.
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
}

/// Removes the entries, bumping the sequence; none found is an error.
pub fn run(a: &RemoveArgs) -> Result<(), Fail> {
    let key = read_key(a.key.as_deref())?;
    let probe = entry(&a.kind, &a.value, None)?;
    let mut edit = Edit::open(&a.list, "remove", now()?)?.reason(&a.reason);
    if let Some(k) = &key {
        edit = edit.signed_by(k);
    }
    let gone = edit.remove(probe.kind, &probe.value);
    if gone == 0 {
        return Err(usage(format!(
            "{}: no {} entry {}",
            a.list.display(),
            probe.kind,
            probe.value
        )));
    }
    let done = commit(&a.list, edit)?;
    out(&format!(
        "removed {gone} {} from {} (sequence {}); audit head {}\n",
        entries(gone),
        a.list.display(),
        done.list.meta.sequence,
        done.audit_head
    ));
    Ok(())
}
