//! `hashwall lists export`: a hashed list, a DNS RPZ zone or a Bloom
//! filter for partners and resolvers.

use hashwall::url::EngineCanonicalizer;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use hashwall_lists::SecretKey;
use hashwall_lists::exchange::{
    BloomFilter, ExportSource, bloom_export, hashed_export, rpz_export,
};

use super::{Loaded, fail, load_all, now, write_output};
use crate::cli::progress::Progress;

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// A hashwall list of `url-sha256` entries only: partners enforce it
    /// without holding the URLs.
    Hashed,
    /// A DNS response policy zone of the `domain` entries.
    Rpz,
    /// A Bloom filter of URL expressions and exact file hashes.
    Bloom,
}

/// `hashwall lists export`
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The output format.
    #[arg(long, value_enum)]
    pub format: ExportFormat,
    /// The list(s) to export; `hashed` and `rpz` take exactly one, `bloom`
    /// merges all.
    #[arg(required = true)]
    pub lists: Vec<PathBuf>,
    /// Write here instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Bloom filter false-positive rate.
    #[arg(long, default_value_t = 0.001)]
    pub fp_rate: f64,
    /// Sign the hashed export or the Bloom filter with this secret key (the
    /// issuer's or exporter's), so that partners can verify it against their
    /// trust store.
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// Bloom filter with --key: the exporter's name as in partners' trust
    /// stores (default: the lists' issuer, when they all have the same).
    #[arg(long)]
    pub issuer: Option<String>,
}

/// Runs `lists export`. Exit status 0 on success, 2 on any error.
pub fn run_export(a: &ExportArgs) -> ExitCode {
    let progress = Progress::start("reading lists", Some(a.lists.len() as u64));
    let loaded = match load_all(&a.lists, &progress) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    progress.stage("exporting", None);
    if a.format != ExportFormat::Bloom && loaded.len() != 1 {
        return fail("the hashed and rpz exports take exactly one list");
    }
    let canon = EngineCanonicalizer;
    let (bytes, summary) = match a.format {
        ExportFormat::Hashed => {
            let l = &loaded[0];
            match hashed_export(&l.list, &canon, Some(&l.path), Some(&l.lines)) {
                Ok(mut h) => {
                    if let Some(key) = &a.key {
                        match hashwall_lists::SecretKey::read_file(key) {
                            Ok(k) => h.list.sign(&k),
                            Err(e) => return fail(e.to_string()),
                        }
                    }
                    (
                        h.list.to_text().into_bytes(),
                        format!(
                            "exported {} url-sha256 entries ({} hashed, {} already hashed, {} duplicates merged, {} non-URL entries left out)",
                            h.list.entries.len(),
                            h.hashed,
                            h.carried,
                            h.duplicates,
                            h.left_out
                        ),
                    )
                }
                Err(e) => return fail(e),
            }
        }
        ExportFormat::Rpz => {
            let l = &loaded[0];
            match rpz_export(&l.list, &canon, Some(&l.path), Some(&l.lines)) {
                Ok(r) => (
                    r.text.into_bytes(),
                    format!(
                        "exported {} domains ({} IP addresses and {} other entries left out, {} duplicates)",
                        r.names, r.skipped_ip, r.left_out, r.duplicates
                    ),
                ),
                Err(e) => return fail(e),
            }
        }
        ExportFormat::Bloom => {
            let sources: Vec<ExportSource<'_>> = loaded
                .iter()
                .map(|l| ExportSource {
                    list: &l.list,
                    path: Some(&l.path),
                    lines: Some(&l.lines),
                })
                .collect();
            match bloom_export(&sources, &canon, a.fp_rate) {
                Ok(mut b) => {
                    let signed = match &a.key {
                        Some(key) => {
                            match sign_bloom(&mut b.filter, key, a.issuer.as_deref(), &loaded) {
                                Ok(s) => s,
                                Err(e) => return fail(e),
                            }
                        }
                        None => "unsigned".to_owned(),
                    };
                    (
                        b.filter.to_bytes(),
                        format!(
                            "exported a Bloom filter of {} items: m={} bits, k={}, expected false-positive rate {:.6} ({} perceptual hashes left out), {signed}",
                            b.items,
                            b.filter.bits(),
                            b.filter.hashes(),
                            b.filter.estimated_fp_rate(),
                            b.left_out
                        ),
                    )
                }
                Err(e) => return fail(e),
            }
        }
    };
    progress.stage("writing", None);
    if let Err(e) = write_output(a.output.as_deref(), &bytes) {
        return fail(e);
    }
    drop(progress);
    eprintln!("{summary}");
    ExitCode::SUCCESS
}

/// Sign an exported filter as `issuer` (default: the lists' common issuer).
fn sign_bloom(
    filter: &mut BloomFilter,
    key: &Path,
    issuer: Option<&str>,
    lists: &[Loaded],
) -> Result<String, String> {
    let key = SecretKey::read_file(key).map_err(|e| e.to_string())?;
    let issuer = match issuer {
        Some(i) => i.to_owned(),
        None => {
            let first = lists
                .first()
                .map(|l| l.list.meta.issuer.clone())
                .unwrap_or_default();
            if lists.iter().any(|l| l.list.meta.issuer != first) {
                return Err(
                    "the lists have different issuers: name the exporter with --issuer".to_owned(),
                );
            }
            first
        }
    };
    filter
        .sign(&issuer, now()?, &key)
        .map_err(|e| e.to_string())?;
    Ok(format!(
        "signed as {issuer:?} with key {}",
        key.public_key().key_id()
    ))
}
