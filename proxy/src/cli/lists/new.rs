//! `hashwall lists new`: an empty list, sequence 0.

use std::path::PathBuf;

use clap::Args;
use hashwall_lists::change::Edit;
use hashwall_lists::{Category, Jurisdiction, ListMeta, Policy};

use super::{commit, now, out, read_key};
use crate::cli::fail::{Fail, usage};

/// `hashwall lists new`
#[derive(Debug, Args)]
pub struct NewArgs {
    /// The list file to create (must not exist).
    pub list: PathBuf,
    /// List id (`[A-Za-z0-9._-]{1,64}`); default: the file stem.
    #[arg(long)]
    pub id: Option<String>,
    /// Issuer, as named in partners' trust stores.
    #[arg(long)]
    pub issuer: String,
    /// Human-readable name; default: the id.
    #[arg(long)]
    pub name: Option<String>,
    /// ISO 3166-1 alpha-2 code or INT.
    #[arg(long, default_value = "INT")]
    pub jurisdiction: String,
    /// csam, terrorism, malware or another token.
    #[arg(long, default_value = "other")]
    pub category: String,
    /// block, monitor or allow.
    #[arg(long, default_value = "block")]
    pub policy: String,
    /// Expiry time (RFC 3339).
    #[arg(long)]
    pub expires: Option<String>,
    /// Secret key file to sign with.
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
}

/// Creates the list, committed like any change (`new` in its audit log).
pub fn run(a: &NewArgs) -> Result<(), Fail> {
    let list = &a.list;
    if list.exists() {
        return Err(usage(format!("{}: already exists", list.display())));
    }
    let stem = list
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let id = a.id.clone().unwrap_or_else(|| ListMeta::sanitise_id(&stem));
    if !ListMeta::is_valid_id(&id) {
        return Err(usage(format!("invalid --id {id:?}")));
    }
    let mut meta = ListMeta::with_defaults(&id);
    meta.issuer.clone_from(&a.issuer);
    meta.name = a.name.clone().unwrap_or_else(|| id.clone());
    meta.jurisdiction = a.jurisdiction.parse::<Jurisdiction>()?;
    meta.category = a.category.parse::<Category>()?;
    meta.policy = a.policy.parse::<Policy>()?;
    meta.expires = a.expires.as_deref().map(str::parse).transpose()?;
    let key = read_key(a.key.as_deref())?;
    let mut edit = Edit::create(list, meta, now()?)?;
    if let Some(k) = &key {
        edit = edit.signed_by(k);
    }
    commit(list, edit)?;
    out(&format!("created {} (id {id})\n", list.display()));
    Ok(())
}
