//! `hashwall lists publish …`: a publication directory for subscribers
//! (`hashlists/FORMAT.md`, "Publication").
//!
//! `add` puts a new signed version of a list into `DIR/<list-id>/`, with
//! the signed delta from the previous one when there is one, and writes the
//! manifest last, every file atomically: a subscriber polling meanwhile
//! sees the old manifest (whose files are all still there) or the new one.
//! `serve` is a small static file server for the directory, over HTTPS
//! and with a bearer token for confidential lists
//! ([`super::publish_files`]; any other web server that does the same
//! works as well).
//! `prune` removes what subscribers no longer need. `add` and `prune` are
//! the library's ([`hashwall_lists::publication`]); this module reads the
//! command line and prints what they did.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;
use hashwall_lists::publication::{DeltaSource, list_dirs, prune, publish};
use hashwall_lists::{Delta, List, SecretKey, Timestamp, TrustStore, TrustedKey};
use hashwall_proxy::serve::transport::{Token, readable_by_others, server_config};

use super::fail::{Fail, fail};
use super::publish_files::ServeOptions;

/// `hashwall lists publish …`
#[derive(Debug, Subcommand)]
pub enum PublishCommand {
    /// Add a new version of a signed list to a publication directory
    /// (DIR/<list-id>/): the list, the signed delta from the previous
    /// version (given with --delta, or computed and signed with --key),
    /// then the manifest. Exit 1 if the list or delta does not verify or
    /// does not go forwards.
    Add {
        /// The publication directory.
        dir: PathBuf,
        /// The new version of the list (signed).
        list: PathBuf,
        /// The signed delta from the published version to LIST.
        #[arg(long, value_name = "FILE")]
        delta: Option<PathBuf>,
        /// The issuer's secret key: computes and signs the delta from the
        /// published version, and verifies LIST.
        #[arg(long, value_name = "FILE")]
        key: Option<PathBuf>,
        /// A trust store to verify LIST and the delta against (default:
        /// the public half of --key).
        #[arg(long, value_name = "FILE")]
        trust: Option<PathBuf>,
    },
    /// Remove full lists and deltas no longer needed: keep the current full
    /// list and the deltas a subscriber at any of the N versions published
    /// before the current one follows to catch up (one further behind
    /// takes the full list). Rewrites the manifest atomically first, then
    /// deletes; never touches a file the manifest still names, a newer
    /// version's files, or files the publisher did not write. Do not run it
    /// while `add` runs on the same directory.
    Prune {
        /// The publication directory (every list under it), or one list's
        /// directory.
        dir: PathBuf,
        /// How many versions before the current one stay reachable by
        /// deltas.
        #[arg(long, value_name = "N")]
        keep: usize,
        /// Print what would be removed; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Serve a publication directory over HTTP/1.1, or HTTPS with
    /// --tls-cert and --tls-key: GET and HEAD of its files, with ETag and
    /// Last-Modified so an unchanged manifest costs a 304. With
    /// --token-file every request needs `Authorization: Bearer TOKEN`
    /// (else 401). Prints `listening on https://ADDR/` (or http://) once
    /// bound. Lists of abuse material are confidential: serve them with TLS
    /// and a token.
    Serve {
        /// The publication directory.
        dir: PathBuf,
        /// Address to listen on (port 0: any free port).
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// The server's certificate chain (PEM, leaf first): serve HTTPS.
        #[arg(long, value_name = "FILE", requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// The private key of --tls-cert (PEM).
        #[arg(long, value_name = "FILE", requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// A file holding the bearer token every request must carry
        /// (surrounding whitespace ignored). Needs TLS unless
        /// --allow-cleartext-token.
        #[arg(long, value_name = "FILE")]
        token_file: Option<PathBuf>,
        /// Accept --token-file without TLS (the token then crosses the
        /// network readable by anyone on the path).
        #[arg(long)]
        allow_cleartext_token: bool,
    },
}

/// Runs a `publish` subcommand: exit 0 success, 1 a verification failure
/// or a version that does not go forwards, 2 usage and I/O errors.
pub fn run(cmd: &PublishCommand) -> ExitCode {
    let r = match cmd {
        PublishCommand::Add {
            dir,
            list,
            delta,
            key,
            trust,
        } => add(
            dir,
            list,
            delta.as_deref(),
            key.as_deref(),
            trust.as_deref(),
        ),
        PublishCommand::Prune { dir, keep, dry_run } => {
            now().and_then(|now| prune_all(dir, *keep, *dry_run, now))
        }
        PublishCommand::Serve {
            dir,
            listen,
            tls_cert,
            tls_key,
            token_file,
            allow_cleartext_token,
        } => serve_options(
            tls_cert.as_deref(),
            tls_key.as_deref(),
            token_file.as_deref(),
            *allow_cleartext_token,
        )
        .and_then(|o| super::publish_files::serve(dir, *listen, o))
        .map_err(|m| fail(2, m)),
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => f.report(),
    }
}

/// The server's TLS and token settings from the command line, read and
/// checked before anything is bound.
fn serve_options(
    cert: Option<&Path>,
    key: Option<&Path>,
    token_file: Option<&Path>,
    allow_cleartext_token: bool,
) -> Result<ServeOptions, String> {
    let tls = match (cert, key) {
        (Some(c), Some(k)) => Some(server_config(c, k)?),
        (None, None) => None,
        _ => return Err("give both --tls-cert and --tls-key, or neither".into()),
    };
    if token_file.is_some() && tls.is_none() && !allow_cleartext_token {
        return Err(
            "--token-file without TLS would send the token in clear text: give --tls-cert \
             and --tls-key, or --allow-cleartext-token"
                .into(),
        );
    }
    let token = token_file.map(Token::read_file).transpose()?;
    for secret in [key, token_file].into_iter().flatten() {
        if readable_by_others(secret) {
            eprintln!(
                "warning: {} is readable by every user of this host (chmod o-r)",
                secret.display()
            );
        }
    }
    Ok(ServeOptions { tls, token })
}

/// The time by the one clock (`HASHWALL_NOW` when set).
fn now() -> Result<Timestamp, Fail> {
    Ok(super::now()?)
}

fn add(
    dir: &Path,
    list_path: &Path,
    delta: Option<&Path>,
    key: Option<&Path>,
    trust: Option<&Path>,
) -> Result<(), Fail> {
    let now = now()?;
    let key = key.map(SecretKey::read_file).transpose()?;
    let list = List::read_file(list_path)?;
    let store = match (trust, &key) {
        (Some(t), _) => TrustStore::load(t)?,
        (None, Some(k)) => {
            // The key's public half, for the list's issuer.
            let mut s = TrustStore::new();
            s.add(TrustedKey {
                issuer: list.meta.issuer.clone(),
                key: k.public_key(),
                not_before: None,
                not_after: None,
            });
            s
        }
        (None, None) => {
            return Err(fail(
                2,
                "give --trust or --key: every published file must verify",
            ));
        }
    };
    let given = delta.map(Delta::read_file).transpose()?;
    let source = match (&given, &key) {
        (Some(d), _) => DeltaSource::Given(d),
        (None, Some(k)) => DeltaSource::Compute(k),
        (None, None) => DeltaSource::None,
    };
    // Errors about the list name its file.
    let done = publish(dir, &list, source, &store, now).map_err(|e| {
        let named = e.path().is_some();
        let f = Fail::from(e);
        if named {
            f
        } else {
            fail(f.code, format!("{}: {}", list_path.display(), f.message))
        }
    })?;
    if let Some(why) = &done.no_delta {
        eprintln!("note: no delta published: {why}");
    }
    println!(
        "published {} sequence {} in {}{}",
        done.manifest.id,
        done.manifest.sequence,
        done.dir.display(),
        done.delta_file
            .map_or_else(String::new, |d| format!(" with {d}"))
    );
    Ok(())
}

/// Prunes every list under `dir`, printing what goes.
fn prune_all(dir: &Path, keep: usize, dry_run: bool, now: Timestamp) -> Result<(), Fail> {
    for ldir in list_dirs(dir)? {
        let done = prune(&ldir, keep, dry_run, now)?;
        let (m, p) = (&done.before, &done.plan);
        let verb = if dry_run { "would remove" } else { "removed" };
        if let Some(new) = &p.manifest {
            println!(
                "{}\t{}\t({} of {} deltas kept)",
                if dry_run { "would rewrite" } else { "rewrote" },
                ldir.join(hashwall_lists::publication::MANIFEST).display(),
                new.deltas.len(),
                m.deltas.len()
            );
        }
        for name in &p.remove {
            println!("{verb}\t{}", ldir.join(name).display());
        }
        let oldest = p
            .kept_versions
            .last()
            .map_or_else(|| "none".to_owned(), |v| format!("from sequence {v}"));
        println!(
            "{}\t{} at sequence {}: {} files ({} bytes) {}; catch-up by deltas {oldest}",
            if dry_run { "dry-run" } else { "pruned" },
            m.id,
            m.sequence,
            p.remove.len(),
            done.bytes_freed,
            if dry_run { "would go" } else { "removed" },
        );
    }
    Ok(())
}
