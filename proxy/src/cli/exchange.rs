//! `hashwall lists import|export|lint|bloom-check`: exchanging lists with
//! other tools and partners. Formats in `hashlists/EXCHANGE.md`. One
//! module per command ([`import`], [`export`], [`bloom_check`]; `lint`
//! below), over `hashwall_lists::exchange`.

mod bloom_check;
mod export;
mod import;

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};

use super::progress::Progress;
use hashwall::lint::{LintConfig, LintInput, PublicSuffixList, Severity, lint, lint_across};
use hashwall::url::canonical_host;
use hashwall_lists::exchange::{ImportFormat, entry_lines};
use hashwall_lists::{List, Timestamp, write_atomic};

pub use bloom_check::{BloomCheckArgs, run_bloom_check};
pub use export::{ExportArgs, run_export};
pub use import::{ImportArgs, run_import};

/// `hashwall lists …` (exchange part; merged with the signing commands by
/// the integrator).
#[derive(Debug, Subcommand)]
pub enum ExchangeCommand {
    /// Import a foreign list format (URL list, hosts file, squidGuard,
    /// ThreatExchange / HMA, CSV hash list) into a hashwall list.
    Import(ImportArgs),
    /// Export a list: hashed URL list, DNS RPZ zone, or Bloom filter.
    Export(ExportArgs),
    /// Test URLs and files against a Bloom filter: `maybe` or `no` each.
    BloomCheck(BloomCheckArgs),
    /// Catch over-blocking before a list ships: public suffixes, never-block
    /// domains, allow-listed entries, duplicates, entries covering many others.
    Lint(LintArgs),
}

/// Runs an exchange subcommand.
pub fn run(cmd: &ExchangeCommand) -> ExitCode {
    match cmd {
        ExchangeCommand::Import(a) => {
            let _progress = Progress::start(&format!("importing {}", a.input.display()), None);
            run_import(a)
        }
        ExchangeCommand::Export(a) => run_export(a),
        ExchangeCommand::BloomCheck(a) => run_bloom_check(a),
        ExchangeCommand::Lint(a) => run_lint(a),
    }
}

/// Load every list, counting them on the progress line.
fn load_all(paths: &[PathBuf], progress: &Progress) -> Result<Vec<Loaded>, String> {
    paths
        .iter()
        .map(|p| {
            progress.inc(1);
            load(p)
        })
        .collect()
}

/// Import formats on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    /// One URL per line → `url` (`url-prefix` with --url-prefix).
    Urls,
    /// hosts file: `0.0.0.0 example.org` → `domain`.
    Hosts,
    /// squidGuard `domains` file → `domain`.
    SquidDomains,
    /// squidGuard `urls` file (host/path) → `url-prefix`.
    SquidUrls,
    /// python-threatexchange / HMA file bank: `pdq <hex>` lines.
    Threatexchange,
    /// CSV hash list with a header row (md5, sha1, sha256, pdq, reference…).
    Csv,
}

impl From<FormatArg> for ImportFormat {
    fn from(f: FormatArg) -> ImportFormat {
        match f {
            FormatArg::Urls => ImportFormat::Urls,
            FormatArg::Hosts => ImportFormat::Hosts,
            FormatArg::SquidDomains => ImportFormat::SquidDomains,
            FormatArg::SquidUrls => ImportFormat::SquidUrls,
            FormatArg::Threatexchange => ImportFormat::ThreatExchange,
            FormatArg::Csv => ImportFormat::Csv,
        }
    }
}

/// Prints `error<TAB>MESSAGE` (exit status 2).
pub(super) fn fail(msg: impl std::fmt::Display) -> ExitCode {
    super::progress::message(&format!("error\t{msg}"));
    ExitCode::from(2)
}

/// Write `bytes` to `path` (atomically: a failure leaves the old file and no
/// temporary file), or to standard output.
pub(super) fn write_output(path: Option<&Path>, bytes: &[u8]) -> Result<(), String> {
    match path {
        Some(p) => write_atomic(p, |w| w.write_all(bytes)).map_err(|e| e.to_string()),
        None => {
            super::progress::hide();
            let mut out = io::stdout().lock();
            out.write_all(bytes)
                .and_then(|()| out.flush())
                .map_err(|e| format!("writing standard output: {e}"))
        }
    }
}

/// A list file with its entries' line numbers.
pub(super) struct Loaded {
    pub(super) path: PathBuf,
    pub(super) list: List,
    pub(super) lines: Vec<usize>,
}

fn load(path: &Path) -> Result<Loaded, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let list = List::from_text(&bytes, &stem).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(Loaded {
        path: path.to_path_buf(),
        list,
        lines: entry_lines(&bytes),
    })
}

/// The time by the one clock (`HASHWALL_NOW` when set).
pub(super) fn now() -> Result<Timestamp, String> {
    super::now().map_err(|e| e.to_string())
}

/// `hashwall lists lint`
#[derive(Debug, Args)]
pub struct LintArgs {
    /// The lists to lint.
    #[arg(required = true)]
    pub lists: Vec<PathBuf>,
    /// Never-block domains, one per line (`#` comments), replacing the
    /// built-in default (major platforms, CDNs, shared hosting).
    #[arg(long, value_name = "FILE")]
    pub never_block: Option<PathBuf>,
    /// Trusted allow list(s): entries also on them are errors. Takes every
    /// following argument, so put it after the lists.
    #[arg(long, value_name = "LIST", num_args = 1..)]
    pub allow: Vec<PathBuf>,
    /// Public Suffix List file (default: Debian's, or an embedded fallback
    /// of common suffixes with a warning when it is absent).
    #[arg(long, value_name = "FILE")]
    pub psl: Option<PathBuf>,
    /// Report a `domain` or `url-prefix` covering at least this many other
    /// entries of its list.
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub cover_threshold: usize,
}

/// Where Debian's `publicsuffix` package installs the Public Suffix List.
pub const DEFAULT_PSL_PATH: &str = "/usr/share/publicsuffix/public_suffix_list.dat";

/// The Public Suffix List to lint with, and a warning if it is the fallback.
fn load_psl(path: Option<&Path>) -> Result<(PublicSuffixList, Option<String>), String> {
    let (path, explicit) = match path {
        Some(p) => (p, true),
        None => (Path::new(DEFAULT_PSL_PATH), false),
    };
    match std::fs::read_to_string(path) {
        Ok(text) => PublicSuffixList::parse(&text)
            .map(|psl| (psl, None))
            .map_err(|e| format!("{}: {e}", path.display())),
        Err(e) if explicit => Err(format!("{}: {e}", path.display())),
        Err(_) => {
            let psl = PublicSuffixList::fallback();
            let warning = format!(
                "warning	no Public Suffix List at {} (install Debian's publicsuffix package or pass --psl): using the embedded fallback of {} suffixes",
                path.display(),
                psl.len()
            );
            Ok((psl, Some(warning)))
        }
    }
}

/// Read a never-block file: one domain per line, `#` comments.
fn load_never_block(path: &Path) -> Result<Vec<String>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split_once('#').map_or(line, |(l, _)| l);
        for d in line.split_whitespace() {
            canonical_host(d).map_err(|e| {
                format!(
                    "{}:{}: never-block domain {d:?}: {e}",
                    path.display(),
                    i + 1
                )
            })?;
            out.push(d.to_owned());
        }
    }
    Ok(out)
}

/// Runs `lists lint`: one `FILE:LINE: severity code: message` line per
/// finding on standard output, a summary on standard error. Exit status 2 if
/// a file could not be read, else 1 if any finding is an error, else 0.
pub fn run_lint(a: &LintArgs) -> ExitCode {
    let (psl, warning) = match load_psl(a.psl.as_deref()) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    if let Some(w) = warning {
        eprintln!("{w}");
    }
    let progress = Progress::start("reading lists", Some(a.lists.len() as u64));
    let lists = match load_all(&a.lists, &progress) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    let allows = match a
        .allow
        .iter()
        .map(|p| load(p))
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    let names: Vec<String> = lists
        .iter()
        .chain(&allows)
        .map(|l| l.path.display().to_string())
        .collect();
    let mut config = LintConfig::new(psl);
    config.cover_threshold = a.cover_threshold;
    config.allow = allows
        .iter()
        .zip(&names[lists.len()..])
        .map(|(l, name)| LintInput {
            list: &l.list,
            name: Some(name),
            lines: Some(&l.lines),
        })
        .collect();
    if let Some(p) = &a.never_block {
        match load_never_block(p) {
            Ok(domains) => {
                config.set_never_block(domains.iter().map(String::as_str));
            }
            Err(e) => return fail(e),
        }
    }
    // Findings are printed once linting is done, with the progress line
    // gone: on a terminal the two would share the screen.
    let mut report = String::new();
    let mut counts = [0usize; 3];
    progress.stage("linting", Some(lists.len() as u64));
    let inputs: Vec<LintInput<'_>> = lists
        .iter()
        .zip(&names)
        .map(|(l, name)| LintInput {
            list: &l.list,
            name: Some(name),
            lines: Some(&l.lines),
        })
        .collect();
    // Entries in more than one of the lists, reported on the later list.
    let across = if inputs.len() > 1 {
        lint_across(&inputs)
    } else {
        Vec::new()
    };
    for (li, input) in inputs.iter().enumerate() {
        progress.inc(1);
        let mut findings = lint(input, &config);
        findings.extend(
            across
                .iter()
                .filter(|(l, _)| *l == li)
                .map(|(_, f)| f.clone()),
        );
        findings.sort_by_key(|f| (f.entry, f.severity));
        for f in findings {
            counts[f.severity as usize] += 1;
            report.push_str(&format!(
                "{}: {} {}: {}\n",
                input.location(f.entry),
                f.severity,
                f.code,
                f.message
            ));
        }
    }
    drop(progress);
    let mut out = io::stdout().lock();
    let _ = out.write_all(report.as_bytes()).and_then(|()| out.flush());
    eprintln!(
        "lint: {} errors, {} warnings, {} notes in {} lists",
        counts[Severity::Error as usize],
        counts[Severity::Warning as usize],
        counts[Severity::Info as usize],
        lists.len()
    );
    if counts[Severity::Error as usize] > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
