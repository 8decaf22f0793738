//! `hashwall lists verify`: a list through the trust store, as every
//! loader checks it.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use hashwall_lists::{ExpiredPolicy, LoadOptions, Loader, audit_path, change};

use super::{now, out};
use crate::cli::fail::Fail;

/// `hashwall lists verify`
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The list file.
    pub list: PathBuf,
    /// Trust store file.
    #[arg(long, value_name = "FILE")]
    pub trust: Option<PathBuf>,
    /// Accept an unsigned list.
    #[arg(long)]
    pub allow_unsigned: bool,
    /// What to do with an expired list.
    #[arg(long, value_enum, default_value_t = ExpiredArg::Refuse)]
    pub expired: ExpiredArg,
    /// Refuse a list older than this sequence (a rollback).
    #[arg(long, value_name = "SEQ")]
    pub min_sequence: Option<u64>,
}

/// `--expired`
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExpiredArg {
    /// Refuse an expired list (exit 1).
    Refuse,
    /// Accept it and say it is expired.
    Flag,
}

/// Loads the list through [`Loader`] and says who signed it; notes an
/// interrupted change its audit log shows.
pub fn run(a: &VerifyArgs) -> Result<(), Fail> {
    let options = LoadOptions {
        allow_unsigned: a.allow_unsigned,
        expired: match a.expired {
            ExpiredArg::Refuse => ExpiredPolicy::Refuse,
            ExpiredArg::Flag => ExpiredPolicy::Flag,
        },
        min_sequence: a.min_sequence,
        now: Some(now()?),
    };
    let loaded = Loader::open(a.trust.as_deref(), options)?.load(&a.list)?;
    let (l, v) = (&loaded.list, &loaded.verification);
    // The list verifies on its own; say so if its audit log shows an
    // interrupted change (the list is then the last good version).
    let log = audit_path(&a.list);
    if log.exists() {
        match change::check(&a.list) {
            Ok(c) => {
                for note in c.notes() {
                    crate::cli::progress::message(&format!("note: {}: {note}", log.display()));
                }
            }
            Err(e) => crate::cli::progress::message(&format!("warning: {e}")),
        }
    }
    let who = match &v.signer {
        Some(s) => format!("signed by {:?} with key {}", s.issuer, s.key_id),
        None => "UNSIGNED (allowed)".to_owned(),
    };
    let exp = if v.expired { ", EXPIRED" } else { "" };
    out(&format!(
        "ok\t{}\t{} sequence {}, {} entries, {who}{exp}\n",
        a.list.display(),
        l.meta.id,
        l.meta.sequence,
        l.entries.len()
    ));
    Ok(())
}
