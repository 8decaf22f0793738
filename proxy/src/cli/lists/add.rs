//! `hashwall lists add`: one entry, with the issuer's reference.

use std::path::PathBuf;

use clap::Args;
use hashwall_lists::change::Edit;
use hashwall_lists::{Entry, EntryKind};

use super::{commit, now, out, read_key};
use crate::cli::fail::{Fail, usage};

/// `hashwall lists add`
#[derive(Debug, Args)]
pub struct AddArgs {
    /// The list file.
    pub list: PathBuf,
    /// Entry kind: url, url-prefix, domain, url-sha256, pdq, md5, sha1, sha256, ...
    pub kind: String,
    /// The URL, domain or hash.
    pub value: String,
    /// The issuer's reference (case number).
    #[arg(long = "ref", value_name = "REF")]
    pub reference: String,
    /// Why, for the audit log.
    #[arg(long, default_value = "")]
    pub reason: String,
    /// Secret key file to sign the new version with.
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
}

/// An entry from the command line's KIND and VALUE, validated exactly as
/// the list parser validates an entry line.
pub(super) fn entry(kind: &str, value: &str, reference: Option<&str>) -> Result<Entry, Fail> {
    if value.is_empty() || value.contains([' ', '\t']) {
        return Err(usage("VALUE must be one token without spaces"));
    }
    let kind: EntryKind = kind
        .parse()
        .map_err(|e: hashwall_lists::Error| usage(e.message()))?;
    Entry::new(kind, value, reference).map_err(|e| usage(e.message()))
}

/// Adds the entry, bumping the sequence.
pub fn run(a: &AddArgs) -> Result<(), Fail> {
    let key = read_key(a.key.as_deref())?;
    let e = entry(&a.kind, &a.value, Some(&a.reference))?;
    let mut edit = Edit::open(&a.list, "add", now()?)?.reason(&a.reason);
    if let Some(k) = &key {
        edit = edit.signed_by(k);
    }
    edit.add(e)?;
    let done = commit(&a.list, edit)?;
    out(&format!(
        "added to {} (sequence {}); audit head {}\n",
        a.list.display(),
        done.list.meta.sequence,
        done.audit_head
    ));
    Ok(())
}
