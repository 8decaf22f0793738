//! `hashwall lists add-image`: the PDQ, MD5 and SHA-256 of image files.

use std::path::PathBuf;

use clap::Args;
use hashwall::image::{Algorithm, HashOptions, hash_image};
use hashwall_lists::change::Edit;

use super::add::entry;
use super::{commit, entries, now, out, read_key};
use crate::cli::fail::{Fail, usage};
use crate::cli::progress::Progress;

/// `hashwall lists add-image`
#[derive(Debug, Args)]
pub struct AddImageArgs {
    /// The list file.
    pub list: PathBuf,
    /// Image files (JPEG, PNG, GIF, WebP, BMP, TIFF).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// The issuer's reference (case number), on every entry.
    #[arg(long = "ref", value_name = "REF")]
    pub reference: String,
    /// Why, for the audit log.
    #[arg(long, default_value = "")]
    pub reason: String,
    /// Secret key file to sign the new version with.
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
}

/// PDQ below this quality matches poorly (PDQ's own guidance); such a hash
/// is still added, but the maintainer is told.
const PDQ_MIN_QUALITY: u8 = 50;

/// Hashes every file and adds what the list does not hold yet, in one new
/// version; names every file that could not be hashed (exit 2).
pub fn run(a: &AddImageArgs, progress: &Progress) -> Result<(), Fail> {
    let list = a.list.as_path();
    let key = read_key(a.key.as_deref())?;
    let mut edit = Edit::open(list, "add-image", now()?)?.reason(&a.reason);
    if let Some(k) = &key {
        edit = edit.signed_by(k);
    }
    // Full-resolution PDQ (what the shared hash lists hold) plus the exact
    // digests of the file as given.
    let opts = HashOptions::new().algorithms([Algorithm::Pdq, Algorithm::Md5, Algorithm::Sha256]);
    let mut added = 0usize;
    let mut failed: Vec<String> = Vec::new();
    let mut report = String::new();
    progress.stage(
        &format!("hashing images for {}", list.display()),
        Some(a.files.len() as u64),
    );
    for path in &a.files {
        progress.inc(1);
        let hashes = std::fs::read(path)
            .map_err(|e| e.to_string())
            .and_then(|bytes| hash_image(&bytes, &opts).map_err(|e| e.to_string()));
        let hashes = match hashes {
            Ok(h) => h,
            Err(why) => {
                // Nothing of this file is added: no digest without its PDQ.
                failed.push(format!("{}: {why}", path.display()));
                continue;
            }
        };
        report.push_str(&path.display().to_string());
        for h in &hashes.hashes {
            let e = entry(
                h.algorithm.as_str(),
                &h.value.to_string(),
                Some(&a.reference),
            )?;
            report.push_str(&format!("\t{} {}", e.kind, e.value));
            if let Some(q) = h.quality() {
                report.push_str(&format!(" quality={q}"));
                if q < PDQ_MIN_QUALITY {
                    progress.note(&format!(
                        "warning: {}: PDQ quality {q} is below {PDQ_MIN_QUALITY}; it will match poorly",
                        path.display()
                    ));
                }
            }
            if edit.contains(e.kind, &e.value) {
                report.push_str(" (already listed)");
            } else {
                edit.add(e)?;
                added += 1;
            }
        }
        report.push('\n');
    }
    if added > 0 {
        let done = commit(list, edit)?;
        report.push_str(&format!(
            "added {added} {} to {} (sequence {}); audit head {}\n",
            entries(added),
            list.display(),
            done.list.meta.sequence,
            done.audit_head
        ));
    } else if failed.is_empty() {
        report.push_str(&format!(
            "nothing new for {}: every hash is already listed\n",
            list.display()
        ));
    }
    out(&report);
    report_failed(failed)
}

/// Every bad file is named, in order; the last goes through the usual
/// `error:` path, so the exit status is 2.
fn report_failed(mut failed: Vec<String>) -> Result<(), Fail> {
    let Some(last) = failed.pop() else {
        return Ok(());
    };
    for f in &failed {
        eprintln!("error: {f}");
    }
    Err(usage(last))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_all_named() {
        assert!(report_failed(Vec::new()).is_ok());
        let f = report_failed(vec!["a: bad".into(), "b: bad".into()]);
        assert!(f.is_err_and(|f| f.code == 2 && f.message == "b: bad"));
    }
}
