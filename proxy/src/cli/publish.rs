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
//! `prune` removes what subscribers no longer need
//! ([`super::publish_prune`]).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;
use hashwall_lists::{
    Delta, Entry, Error, List, SecretKey, Timestamp, TrustStore, TrustedKey, write_atomic,
};
use hashwall_proxy::serve::publication::{DeltaRef, MANIFEST, Manifest, delta_file, list_file};
use hashwall_proxy::serve::transport::{Token, readable_by_others, server_config};

use super::fail::{Fail, fail, io};
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
        PublishCommand::Prune { dir, keep, dry_run } => now().and_then(|now| {
            super::publish_prune::prune(dir, *keep, *dry_run, now).map_err(|m| fail(2, m))
        }),
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

fn now() -> Result<Timestamp, Fail> {
    match std::env::var("HASHWALL_NOW") {
        Ok(s) => s
            .parse()
            .map_err(|e: Error| fail(2, format!("HASHWALL_NOW: {e}"))),
        Err(_) => Ok(Timestamp::now()),
    }
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
    let bytes = std::fs::read(list_path).map_err(|e| io(list_path, e))?;
    let stem = list_path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let list = List::from_text(&bytes, &stem)
        .map_err(|e| fail(2, format!("{}: {e}", list_path.display())))?;
    let store = match (trust, &key) {
        (Some(t), _) => TrustStore::load(t)?,
        (None, Some(k)) => {
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
    if list.meta.signature.is_none() {
        return Err(fail(
            1,
            format!(
                "{}: not signed (hashwall lists sign); subscribers refuse unsigned lists",
                list_path.display()
            ),
        ));
    }
    list.verify(&store, now).map_err(|e| {
        let f = Fail::from(e);
        fail(f.code, format!("{}: {}", list_path.display(), f.message))
    })?;
    let id = &list.meta.id;
    let ldir = dir.join(id);
    std::fs::create_dir_all(&ldir).map_err(|e| io(&ldir, e))?;
    let mpath = ldir.join(MANIFEST);
    let previous = match std::fs::read(&mpath) {
        Ok(b) => Some(
            Manifest::from_text(&b).map_err(|e| fail(2, format!("{}: {e}", mpath.display())))?,
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io(&mpath, e)),
    };
    let mut deltas = Vec::new();
    let mut wrote_delta = None;
    if let Some(prev) = &previous {
        if prev.id != *id {
            return Err(fail(
                1,
                format!(
                    "{}: the manifest is for list {:?}",
                    mpath.display(),
                    prev.id
                ),
            ));
        }
        if list.meta.sequence <= prev.sequence {
            return Err(fail(
                1,
                format!(
                    "{}: sequence {} does not go forwards: {id} is published at {}",
                    list_path.display(),
                    list.meta.sequence,
                    prev.sequence
                ),
            ));
        }
        deltas.clone_from(&prev.deltas);
        let old = List::read_file(&ldir.join(&prev.list))?;
        if old.meta.issuer != list.meta.issuer {
            return Err(fail(
                1,
                format!(
                    "{}: issued by {:?}, the published list by {:?}",
                    list_path.display(),
                    list.meta.issuer,
                    old.meta.issuer
                ),
            ));
        }
        let d = match (delta, &key) {
            (Some(p), _) => Some(Delta::read_file(p)?),
            (None, Some(k)) => {
                let mut d = Delta::diff(&old, &list);
                d.sign(&old, k)?;
                Some(d)
            }
            (None, None) => None,
        };
        if let Some(d) = d {
            let given = delta.is_some();
            match check_delta(&old, &d, &list, &store, now) {
                Ok(()) => {
                    let name = delta_file(d.from, d.to);
                    write_atomic(&ldir.join(&name), |w| w.write_all(d.to_text().as_bytes()))?;
                    deltas.push(DeltaRef {
                        from: d.from,
                        to: d.to,
                        file: name.clone(),
                    });
                    wrote_delta = Some(name);
                }
                Err(f) if given => return Err(f),
                // A computed delta cannot carry a changed header (name,
                // policy...): subscribers then take the full list.
                Err(f) => eprintln!("note: no delta published: {}", f.message),
            }
        }
    }
    let name = list_file(list.meta.sequence);
    write_atomic(&ldir.join(&name), |w| w.write_all(&bytes))?;
    let manifest = Manifest {
        id: id.clone(),
        sequence: list.meta.sequence,
        published: now,
        list: name,
        deltas,
    };
    // Last: subscribers only see the new version once all its files exist.
    write_atomic(&mpath, |w| w.write_all(manifest.to_text().as_bytes()))?;
    println!(
        "published {id} sequence {} in {}{}",
        list.meta.sequence,
        ldir.display(),
        wrote_delta.map_or_else(String::new, |d| format!(" with {d}"))
    );
    Ok(())
}

/// The delta must be signed, verify, and take `old` to exactly `new`'s
/// header and entries (in any order).
fn check_delta(
    old: &List,
    d: &Delta,
    new: &List,
    store: &TrustStore,
    now: Timestamp,
) -> Result<(), Fail> {
    if d.from != old.meta.sequence || d.to != new.meta.sequence {
        return Err(fail(
            1,
            format!(
                "the delta goes {} -> {}, the versions are {} -> {}",
                d.from, d.to, old.meta.sequence, new.meta.sequence
            ),
        ));
    }
    let mut produced = old.clone();
    d.apply_to(&mut produced, store, now)?;
    let mut a = produced.meta.clone();
    let mut b = new.meta.clone();
    a.signature = None;
    b.signature = None;
    if a != b {
        return Err(fail(
            1,
            "the list's header changed beyond sequence, created and expires, which a delta cannot carry",
        ));
    }
    let mut counts: HashMap<&Entry, i64> = HashMap::new();
    for e in &produced.entries {
        *counts.entry(e).or_default() += 1;
    }
    for e in &new.entries {
        *counts.entry(e).or_default() -= 1;
    }
    if counts.values().any(|n| *n != 0) {
        return Err(fail(1, "the delta does not produce the list's entries"));
    }
    Ok(())
}
