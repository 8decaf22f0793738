//! `hashwall lists …`: keys, signing, verification, deltas, the audit log
//! and trust stores for list maintainers; one module per command, each a
//! thin layer over `hashwall_lists` (edits go through
//! [`hashwall_lists::change::Edit`]).
//!
//! Exit status: 0 success; 1 a verification failure (bad or untrusted
//! signature, retired key, unsigned, expired, sequence gap, replay,
//! rollback, wrong list, truncated file, broken audit log); 2 a usage, parse
//! or I/O error. Errors are printed as `error: FILE:LINE: message`.
//!
//! Mutating commands (`new`, `add`, `add-image`, `remove`, `sign`, `apply`)
//! bump the list's sequence (except `new` and `sign`) and commit the change
//! write-ahead ([`hashwall_lists::change`]): audit records and a commit
//! record appended to `LIST.audit` and fsynced first, then the list
//! replaced atomically. Without `--key` a changed list is written
//! unsigned (with a warning); `sign` signs it afterwards.
//!
//! `HASHWALL_NOW` (RFC 3339), when set, replaces the system clock
//! ([`hashwall_lists::Clock`]): for reproducible tests and for checking
//! what a list will do at a given time.

mod add;
mod add_image;
mod apply;
mod audit;
mod diff;
mod keygen;
mod new;
mod remove;
mod show;
mod sign;
mod trust;
mod verify;

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use clap::Subcommand;
use hashwall_lists::change::{Edit, Edited};
use hashwall_lists::{SecretKey, Timestamp};

use super::fail::Fail;
use super::progress::Progress;

/// `hashwall lists …`: maintenance (keys, signatures, deltas, audit) and
/// exchange (imports, exports, lint, Bloom filters).
#[derive(Debug, Subcommand)]
pub enum ListsCommand {
    /// Keys, signing, verification, deltas, audit log.
    #[command(flatten)]
    Maintain(MaintainCommand),
    /// Imports, exports, lint, Bloom filters.
    #[command(flatten)]
    Exchange(super::exchange::ExchangeCommand),
    /// Publication for subscribing proxies: add versions, serve over HTTP.
    #[command(subcommand)]
    Publish(super::publish::PublishCommand),
    /// Trust stores: which keys may sign for which issuer.
    #[command(subcommand)]
    Trust(trust::TrustCommand),
}

/// The maintenance half of `hashwall lists`.
#[derive(Debug, Subcommand)]
pub enum MaintainCommand {
    /// Generate an ed25519 key pair: PREFIX.key (secret, mode 0600) and
    /// PREFIX.pub; prints the key id and a trust store line.
    Keygen(keygen::KeygenArgs),
    /// Create an empty list (sequence 0).
    New(new::NewArgs),
    /// Add an entry (bumps the sequence, records it in the audit log).
    Add(add::AddArgs),
    /// Add image files' PDQ, MD5 and SHA-256 hashes (bumps the sequence
    /// once, records each entry in the audit log). A file that cannot be
    /// read or decoded is an error naming it, and nothing is added for it;
    /// hashes the list already holds are not added twice.
    AddImage(add_image::AddImageArgs),
    /// Remove every entry with this kind and value (bumps the sequence,
    /// records each removal in the audit log).
    Remove(remove::RemoveArgs),
    /// Sign a list in place (content unchanged).
    Sign(sign::SignArgs),
    /// Verify a list against a trust store. Exit 1 if it does not verify.
    Verify(verify::VerifyArgs),
    /// Print a list's header (and with --entries its entries).
    Show(show::ShowArgs),
    /// Entry counts per kind.
    Stats(show::StatsArgs),
    /// Write the signed delta from OLD to NEW.
    Diff(diff::DiffArgs),
    /// Apply a delta to a list: verify, replace atomically, audit.
    Apply(apply::ApplyArgs),
    /// Verify a list's audit log (LIST.audit) and print its head hash.
    Audit(audit::AuditArgs),
}

/// Runs a `lists` subcommand; see the module docs for the exit status.
pub fn run(cmd: &ListsCommand) -> ExitCode {
    let cmd = match cmd {
        ListsCommand::Maintain(cmd) => cmd,
        // The exchange commands print their own errors and choose their own
        // exit status (lint: 1 on findings).
        ListsCommand::Exchange(cmd) => return super::exchange::run(cmd),
        ListsCommand::Publish(cmd) => return super::publish::run(cmd),
        ListsCommand::Trust(cmd) => return report(trust::run(cmd)),
    };
    let progress = Progress::start(&progress_label(cmd), None);
    let done = dispatch(cmd, &progress);
    // Cleared before the error line, so the two never share a line.
    drop(progress);
    report(done)
}

fn report(done: Result<(), Fail>) -> ExitCode {
    match done {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => f.report(),
    }
}

/// What the progress line says while a command runs.
fn progress_label(cmd: &MaintainCommand) -> String {
    let name = |p: &Path| p.display().to_string();
    match cmd {
        MaintainCommand::Add(a) => format!("updating {}", name(&a.list)),
        MaintainCommand::Remove(a) => format!("updating {}", name(&a.list)),
        MaintainCommand::Sign(a) => format!("updating {}", name(&a.list)),
        MaintainCommand::AddImage(a) => format!("hashing images for {}", name(&a.list)),
        MaintainCommand::Verify(a) => format!("verifying {}", name(&a.list)),
        MaintainCommand::Show(a) => format!("reading {}", name(&a.list)),
        MaintainCommand::Stats(a) => format!("reading {}", name(&a.list)),
        MaintainCommand::Diff(a) => format!("diffing {} and {}", name(&a.old), name(&a.new)),
        MaintainCommand::Apply(a) => {
            format!("applying {} to {}", name(&a.delta), name(&a.list))
        }
        MaintainCommand::Audit(a) => {
            format!("checking the audit log of {}", name(&a.list))
        }
        MaintainCommand::New(a) => format!("creating {}", name(&a.list)),
        MaintainCommand::Keygen(_) => "generating a key".to_owned(),
    }
}

fn dispatch(cmd: &MaintainCommand, progress: &Progress) -> Result<(), Fail> {
    match cmd {
        MaintainCommand::Keygen(a) => keygen::run(a),
        MaintainCommand::New(a) => new::run(a),
        MaintainCommand::Add(a) => add::run(a),
        MaintainCommand::AddImage(a) => add_image::run(a, progress),
        MaintainCommand::Remove(a) => remove::run(a),
        MaintainCommand::Sign(a) => sign::run(a),
        MaintainCommand::Verify(a) => verify::run(a),
        MaintainCommand::Show(a) => show::run_show(a),
        MaintainCommand::Stats(a) => show::run_stats(a),
        MaintainCommand::Diff(a) => diff::run(a),
        MaintainCommand::Apply(a) => apply::run(a),
        MaintainCommand::Audit(a) => audit::run(a),
    }
}

/// The time by the one clock (`HASHWALL_NOW` when set).
fn now() -> Result<Timestamp, Fail> {
    Ok(super::now()?)
}

/// Results on standard output.
fn out(s: &str) {
    // Results and the progress line would share a terminal's screen.
    super::progress::hide();
    // A closed stdout (`| head`) is not an error worth a panic.
    let _ = std::io::stdout().lock().write_all(s.as_bytes());
}

/// The secret key file `--key` names, if given.
fn read_key(path: Option<&Path>) -> Result<Option<SecretKey>, Fail> {
    Ok(path.map(SecretKey::read_file).transpose()?)
}

/// Commits `edit` to the list at `path` and warns about what the operator
/// should know: a signature it dropped, an interrupted change it repaired.
fn commit(path: &Path, edit: Edit<'_>) -> Result<Edited, Fail> {
    let done = edit.commit()?;
    if let Some(key) = done.dropped_signature {
        super::progress::message(&format!(
            "warning: {} was signed by key {key}; it is now UNSIGNED (pass --key or run `hashwall lists sign`)",
            path.display(),
        ));
    }
    for r in &done.recovered {
        super::progress::message(&format!("warning: {r}"));
    }
    Ok(done)
}

/// `entry` or `entries` for `n`.
fn entries(n: usize) -> &'static str {
    if n == 1 { "entry" } else { "entries" }
}
