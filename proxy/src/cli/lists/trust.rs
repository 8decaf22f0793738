//! `hashwall lists trust add|list|remove`: making and changing a trust
//! store from the key files `hashwall lists keygen` writes, without editing
//! it by hand. Every other line of the store (comments) is kept; the store
//! is replaced atomically.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use hashwall_lists::{KeyId, PublicKey, Timestamp, TrustFile, TrustedKey};

use super::out;
use crate::cli::fail::{Fail, usage};

/// `hashwall lists trust …`
#[derive(Debug, Subcommand)]
pub enum TrustCommand {
    /// Trust a public key (the .pub file `lists keygen` wrote) for an
    /// issuer; creates the store if it does not exist.
    Add(AddArgs),
    /// Print the store's keys: key id, not-before, not-after, issuer.
    List(ListArgs),
    /// Stop trusting a key (for every issuer, or for --issuer), or every
    /// key of --issuer.
    Remove(RemoveArgs),
}

/// `hashwall lists trust add`
#[derive(Debug, Args)]
pub struct AddArgs {
    /// The trust store file.
    pub store: PathBuf,
    /// The public key file (PREFIX.pub from `hashwall lists keygen`).
    pub key: PathBuf,
    /// The issuer the key signs for, exactly as in its lists' `issuer`
    /// header.
    #[arg(long)]
    pub issuer: String,
    /// Lists created before this time (RFC 3339) are not accepted from
    /// this key.
    #[arg(long, value_name = "TIME")]
    pub not_before: Option<String>,
    /// Lists created after this time (RFC 3339) are not accepted from this
    /// key: its retirement, for a key rotation.
    #[arg(long, value_name = "TIME")]
    pub not_after: Option<String>,
}

/// `hashwall lists trust list`
#[derive(Debug, Args)]
pub struct ListArgs {
    /// The trust store file.
    pub store: PathBuf,
}

/// `hashwall lists trust remove`
#[derive(Debug, Args)]
pub struct RemoveArgs {
    /// The trust store file.
    pub store: PathBuf,
    /// The key: its 16-hex-digit key id, or its public key file.
    #[arg(required_unless_present = "issuer")]
    pub key: Option<String>,
    /// Only for this issuer (without KEY: every key of this issuer).
    #[arg(long)]
    pub issuer: Option<String>,
}

/// Runs a `trust` subcommand: exit 0 success, 2 usage and I/O errors.
pub fn run(cmd: &TrustCommand) -> Result<(), Fail> {
    match cmd {
        TrustCommand::Add(a) => add(a),
        TrustCommand::List(a) => list(a),
        TrustCommand::Remove(a) => remove(a),
    }
}

fn time(s: Option<&str>) -> Result<Option<Timestamp>, Fail> {
    Ok(s.map(str::parse).transpose()?)
}

fn window(t: Option<Timestamp>) -> String {
    t.map_or_else(|| "-".to_owned(), |t| t.to_string())
}

fn add(a: &AddArgs) -> Result<(), Fail> {
    let key = PublicKey::read_file(&a.key)?;
    let mut file = TrustFile::read(&a.store)?;
    let trusted = TrustedKey {
        issuer: a.issuer.clone(),
        key,
        not_before: time(a.not_before.as_deref())?,
        not_after: time(a.not_after.as_deref())?,
    };
    file.add(trusted.clone())
        .map_err(|e| usage(format!("{}: {}", a.store.display(), e.message())))?;
    file.write(&a.store)?;
    out(&format!(
        "trusted key {} for issuer {:?} in {} (valid from {} to {})\n",
        trusted.key_id(),
        trusted.issuer,
        a.store.display(),
        window(trusted.not_before),
        window(trusted.not_after)
    ));
    Ok(())
}

fn list(a: &ListArgs) -> Result<(), Fail> {
    let store = hashwall_lists::TrustStore::load(&a.store)?;
    let mut s = String::new();
    for k in store.keys() {
        s.push_str(&format!(
            "{}\t{}\t{}\t{}\n",
            k.key_id(),
            window(k.not_before),
            window(k.not_after),
            k.issuer
        ));
    }
    out(&s);
    Ok(())
}

/// A key id, or the id of the public key in the file `arg` names.
fn key_id(arg: &str) -> Result<KeyId, Fail> {
    if Path::new(arg).is_file() {
        return Ok(PublicKey::read_file(Path::new(arg))?.key_id());
    }
    arg.parse::<KeyId>().map_err(|e| {
        usage(format!(
            "{arg:?} is neither a key id (16 hex digits) nor a public key file: {}",
            e.message()
        ))
    })
}

fn remove(a: &RemoveArgs) -> Result<(), Fail> {
    let id = a.key.as_deref().map(key_id).transpose()?;
    if !a.store.exists() {
        return Err(usage(format!("{}: no such trust store", a.store.display())));
    }
    let mut file = TrustFile::read(&a.store)?;
    let gone = file.remove(|k| {
        id.is_none_or(|id| k.key_id() == id) && a.issuer.as_deref().is_none_or(|i| k.issuer == i)
    });
    if gone.is_empty() {
        return Err(usage(format!(
            "{}: no such key{}; nothing changed",
            a.store.display(),
            a.issuer
                .as_deref()
                .map_or_else(String::new, |i| format!(" for issuer {i:?}"))
        )));
    }
    file.write(&a.store)?;
    let mut s = String::new();
    for k in &gone {
        s.push_str(&format!(
            "removed key {} for issuer {:?} from {}\n",
            k.key_id(),
            k.issuer,
            a.store.display()
        ));
    }
    out(&s);
    Ok(())
}
