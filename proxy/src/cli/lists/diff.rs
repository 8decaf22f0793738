//! `hashwall lists diff`: the signed delta between two versions.

use std::path::PathBuf;

use clap::Args;
use hashwall_lists::{Delta, List, SecretKey, write_atomic};

use super::out;
use crate::cli::fail::{Fail, usage};

/// `hashwall lists diff`
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The older version.
    pub old: PathBuf,
    /// The newer version.
    pub new: PathBuf,
    /// Where to write the delta.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Secret key file to sign with.
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
}

/// Writes the delta OLD → NEW, signed.
pub fn run(a: &DiffArgs) -> Result<(), Fail> {
    let key = SecretKey::read_file(&a.key)?;
    let o = List::read_file(&a.old)?;
    let n = List::read_file(&a.new)?;
    if o.meta.id != n.meta.id || o.meta.issuer != n.meta.issuer {
        return Err(usage(format!(
            "{} and {} are different lists (id or issuer differ)",
            a.old.display(),
            a.new.display()
        )));
    }
    if n.meta.sequence <= o.meta.sequence {
        return Err(usage(format!(
            "{} (sequence {}) is not newer than {} (sequence {})",
            a.new.display(),
            n.meta.sequence,
            a.old.display(),
            o.meta.sequence
        )));
    }
    let mut d = Delta::diff(&o, &n);
    d.sign(&o, &key)?;
    let text = d.to_text();
    write_atomic(&a.out, |w| w.write_all(text.as_bytes()))?;
    out(&format!(
        "wrote {}: sequence {} -> {}, -{} +{}\n",
        a.out.display(),
        d.from,
        d.to,
        d.removed.len(),
        d.added.len()
    ));
    Ok(())
}
