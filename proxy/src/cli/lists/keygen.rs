//! `hashwall lists keygen`: a new ed25519 key pair.

use std::path::PathBuf;

use clap::Args;
use hashwall_lists::{SecretKey, TrustedKey, trust_line, write_atomic};

use super::out;
use crate::cli::fail::{Fail, usage};

/// `hashwall lists keygen`
#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Path prefix of the two files.
    #[arg(long, value_name = "PREFIX")]
    pub out: PathBuf,
    /// Issuer name for the printed trust store line.
    #[arg(long, default_value = "ISSUER")]
    pub issuer: String,
}

/// Writes PREFIX.key (mode 0600) and PREFIX.pub; prints the key id, a
/// trust store line and how to add the key to a store.
pub fn run(a: &KeygenArgs) -> Result<(), Fail> {
    let mut sp = a.out.as_os_str().to_owned();
    sp.push(".key");
    let mut pp = a.out.as_os_str().to_owned();
    pp.push(".pub");
    let (sp, pp) = (PathBuf::from(sp), PathBuf::from(pp));
    if pp.exists() {
        return Err(usage(format!("{}: already exists", pp.display())));
    }
    let k = SecretKey::generate()?;
    k.write_file(&sp)?;
    let pk = k.public_key();
    let text = pk.to_file_text();
    write_atomic(&pp, |w| w.write_all(text.as_bytes()))?;
    let line = trust_line(&TrustedKey {
        issuer: a.issuer.clone(),
        key: pk,
        not_before: None,
        not_after: None,
    });
    out(&format!(
        "key id {}\nsecret key: {}\npublic key: {}\ntrust store line:\n{line}\nor: hashwall lists trust add STORE {} --issuer {:?}\n",
        pk.key_id(),
        sp.display(),
        pp.display(),
        pp.display(),
        a.issuer,
    ));
    Ok(())
}
