//! `hashwall lists import`: a foreign list format into a hashwall list.

use hashwall::url::EngineCanonicalizer;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use hashwall_lists::exchange::{ImportOptions, MAX_KEPT_REJECTIONS, import_file};
use hashwall_lists::{
    Category, Change, Jurisdiction, List, ListMeta, Policy, Timestamp, commit_change,
};

use super::{FormatArg, fail, now, write_output};

/// `hashwall lists import`
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The input's format.
    #[arg(long, value_enum)]
    pub format: FormatArg,
    /// The file to import.
    pub input: PathBuf,
    /// Write the list here instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// URL lists: make `url-prefix` entries instead of exact `url` entries.
    #[arg(long)]
    pub url_prefix: bool,
    /// Skip and count rejected lines instead of failing on the first.
    #[arg(long)]
    pub skip_invalid: bool,
    /// List id (default: the input's file stem).
    #[arg(long)]
    pub id: Option<String>,
    /// Issuer (default: `local`).
    #[arg(long)]
    pub issuer: Option<String>,
    /// Human-readable name (default: the id).
    #[arg(long)]
    pub name: Option<String>,
    /// ISO 3166-1 alpha-2 code or INT (default: INT).
    #[arg(long)]
    pub jurisdiction: Option<String>,
    /// csam, terrorism, malware or another token (default: other).
    #[arg(long)]
    pub category: Option<String>,
    /// block, monitor or allow (default: block).
    #[arg(long)]
    pub policy: Option<String>,
    /// The list's sequence number (default: 0).
    #[arg(long)]
    pub sequence: Option<u64>,
}

/// The header of an imported list: defaults, then the flags.
fn import_meta(a: &ImportArgs) -> Result<ListMeta, String> {
    let stem = a
        .input
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut meta = ListMeta::with_defaults(&ListMeta::sanitise_id(&stem));
    if let Some(id) = &a.id {
        if !ListMeta::is_valid_id(id) {
            return Err(format!(
                "invalid --id {id:?}: expected 1 to 64 of A-Z a-z 0-9 . _ -"
            ));
        }
        meta.id = id.clone();
    }
    meta.name = meta.id.clone();
    let text = |flag: &str, v: &str| -> Result<String, String> {
        if v.trim().is_empty() || v.chars().any(|c| c.is_control()) {
            Err(format!(
                "{flag} must be non-empty text without control characters"
            ))
        } else {
            Ok(v.trim().to_owned())
        }
    };
    if let Some(v) = &a.issuer {
        meta.issuer = text("--issuer", v)?;
    }
    if let Some(v) = &a.name {
        meta.name = text("--name", v)?;
    }
    if let Some(v) = &a.jurisdiction {
        meta.jurisdiction = v.parse::<Jurisdiction>().map_err(|e| e.to_string())?;
    }
    if let Some(v) = &a.category {
        meta.category = v.parse::<Category>().map_err(|e| e.to_string())?;
    }
    if let Some(v) = &a.policy {
        meta.policy = v.parse::<Policy>().map_err(|e| e.to_string())?;
    }
    if let Some(v) = a.sequence {
        meta.sequence = v;
    }
    Ok(meta)
}

/// Runs `lists import`. Exit status 0 on success, 2 on any error.
pub fn run_import(a: &ImportArgs) -> ExitCode {
    let meta = match import_meta(a) {
        Ok(m) => m,
        Err(e) => return fail(e),
    };
    let canon = EngineCanonicalizer;
    let opts = ImportOptions {
        url_prefix: a.url_prefix,
        skip_invalid: a.skip_invalid,
        canon: Some(&canon),
        ..ImportOptions::new(a.format.into())
    };
    let got = match import_file(&a.input, meta, &opts) {
        Ok(g) => g,
        Err(e) => return fail(e),
    };
    for r in &got.rejections {
        eprintln!("skipped\t{r}");
    }
    if got.skipped > MAX_KEPT_REJECTIONS {
        eprintln!(
            "skipped\t… and {} more lines",
            got.skipped - got.rejections.len()
        );
    }
    let written = match &a.output {
        // Into a list file: a change like any other, logged write-ahead.
        Some(p) => import_into(p, &got.list, a).map_err(|e| e.to_string()),
        None => write_output(None, got.list.to_text().as_bytes()),
    };
    if let Err(e) = written {
        return fail(e);
    }
    eprintln!(
        "imported {} entries from {} ({} lines skipped, {} local names ignored)",
        got.list.entries.len(),
        a.input.display(),
        got.skipped,
        got.ignored
    );
    ExitCode::SUCCESS
}

/// Replace the list file `path` with an imported list, write-ahead: a
/// commit record in `PATH.audit` first, then the file atomically.
fn import_into(path: &Path, list: &List, a: &ImportArgs) -> Result<(), hashwall_lists::Error> {
    // The sequence of the list being replaced, for the log's recovery
    // record; 0 when there is none (or it does not parse).
    let base_sequence = List::read_file(path).map_or(0, |l| l.meta.sequence);
    let change = Change {
        operation: "import".to_owned(),
        reason: format!("imported from {}", a.input.display()),
        time: now().unwrap_or_else(|_| Timestamp::now()),
        key_id: None,
        base_sequence,
        records: Vec::new(),
    };
    let done = commit_change(path, list, &change)?;
    for r in &done.recovered {
        crate::cli::progress::message(&format!("warning: {r}"));
    }
    Ok(())
}
