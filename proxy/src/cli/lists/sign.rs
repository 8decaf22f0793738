//! `hashwall lists sign`: sign a list in place.

use std::path::PathBuf;

use clap::Args;
use hashwall_lists::SecretKey;
use hashwall_lists::change::Edit;

use super::{commit, now, out};
use crate::cli::fail::Fail;

/// `hashwall lists sign`
#[derive(Debug, Args)]
pub struct SignArgs {
    /// The list file.
    pub list: PathBuf,
    /// Secret key file.
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
}

/// Signs the list (content and sequence unchanged), logged as `sign`.
pub fn run(a: &SignArgs) -> Result<(), Fail> {
    let key = SecretKey::read_file(&a.key)?;
    let edit = Edit::open(&a.list, "sign", now()?)?.signed_by(&key);
    commit(&a.list, edit)?;
    out(&format!(
        "signed {} with key {}\n",
        a.list.display(),
        key.public_key().key_id()
    ));
    Ok(())
}
