//! `hashwall lists import|export|lint|bloom-check`: exchanging lists with
//! other tools and partners. Formats in `hashlists/EXCHANGE.md`.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};

use super::progress::Progress;
use hashwall::lint::{LintConfig, LintInput, PublicSuffixList, Severity, lint, lint_across};
use hashwall::url::{CanonicalUrl, canonical_expression, canonical_host};
use hashwall_lists::exchange::{
    BloomFilter, BloomTag, Canonicalize, ExportSource, ImportFormat, ImportOptions,
    MAX_KEPT_REJECTIONS, bloom_export, entry_lines, hashed_export, import_file, rpz_export,
};
use hashwall_lists::{
    Category, Change, ErrorKind, Jurisdiction, List, ListMeta, Policy, SecretKey, Timestamp,
    TrustStore, commit_change, write_atomic,
};

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

/// The engine's canonicaliser, for the list crate's exchange functions.
pub struct EngineCanon;

impl Canonicalize for EngineCanon {
    fn expression(&self, value: &str) -> Result<String, String> {
        canonical_expression(value).map_err(|e| e.to_string())
    }

    fn host(&self, value: &str) -> Result<String, String> {
        canonical_host(value).map_err(|e| e.to_string())
    }
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

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    super::progress::message(&format!("error\t{msg}"));
    ExitCode::from(2)
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

/// Write `bytes` to `path` (atomically: a failure leaves the old file and no
/// temporary file), or to standard output.
fn write_output(path: Option<&Path>, bytes: &[u8]) -> Result<(), String> {
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

/// Runs `lists import`. Exit status 0 on success, 2 on any error.
pub fn run_import(a: &ImportArgs) -> ExitCode {
    let meta = match import_meta(a) {
        Ok(m) => m,
        Err(e) => return fail(e),
    };
    let canon = EngineCanon;
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
        super::progress::message(&format!("warning: {r}"));
    }
    Ok(())
}

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

/// A list file with its entries' line numbers.
struct Loaded {
    path: PathBuf,
    list: List,
    lines: Vec<usize>,
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
    let canon = EngineCanon;
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

/// The clock, or `HASHWALL_NOW` (RFC 3339) when set, as in `lists_cmd`.
fn now() -> Result<Timestamp, String> {
    match std::env::var("HASHWALL_NOW") {
        Ok(s) => s.parse().map_err(|e| format!("HASHWALL_NOW: {e}")),
        Err(_) => Ok(Timestamp::now()),
    }
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

/// `hashwall lists bloom-check`
#[derive(Debug, Args)]
pub struct BloomCheckArgs {
    /// The Bloom filter file.
    pub filter: PathBuf,
    /// Trust store to verify the filter's signature against.
    #[arg(long, value_name = "FILE")]
    pub trust: Option<PathBuf>,
    /// Accept an unsigned filter (files from before signing, or local ones).
    #[arg(long)]
    pub allow_unsigned: bool,
    /// URLs and files to test. An argument naming an existing file is a
    /// file (its MD5, SHA-1 and SHA-256 are tested); anything else is a URL
    /// (canonicalised; its expressions and domains are tested as the engine
    /// looks them up).
    #[arg(required = true, value_name = "URL|FILE")]
    pub inputs: Vec<String>,
}

/// Whether a canonical URL may be in the filter, probing as the engine
/// does: the full expression against `url` items, every expression against
/// `url-prefix` items and (hashed) `url-sha256` items, the host and every
/// parent domain against `domain` items.
pub fn bloom_url_maybe(filter: &BloomFilter, url: &CanonicalUrl) -> bool {
    let mut buf = String::new();
    for (i, e) in url.expressions().enumerate() {
        buf.clear();
        e.write_to(&mut buf);
        if i == 0 && filter.contains(BloomTag::UrlExact, buf.as_bytes()) {
            return true;
        }
        if filter.contains(BloomTag::UrlPrefix, buf.as_bytes()) {
            return true;
        }
        let digest: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(buf.as_bytes()).into();
        if filter.contains(BloomTag::UrlSha256, &digest) {
            return true;
        }
    }
    url.domain_suffixes()
        .any(|d| filter.contains(BloomTag::Domain, d.as_bytes()))
}

/// Whether a file may be in the filter (its MD5, SHA-1 or SHA-256). The
/// file is hashed in 64 KiB chunks, so a multi-gigabyte video costs no more
/// memory than a thumbnail.
pub fn bloom_file_maybe(filter: &BloomFilter, file: &mut impl io::Read) -> io::Result<bool> {
    use sha2::Digest as _;
    let (mut md5, mut sha1, mut sha256) = (md5::Md5::new(), sha1::Sha1::new(), sha2::Sha256::new());
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let chunk = &buf[..n];
        md5.update(chunk);
        sha1.update(chunk);
        sha256.update(chunk);
    }
    let md5: [u8; 16] = md5.finalize().into();
    let sha1: [u8; 20] = sha1.finalize().into();
    let sha256: [u8; 32] = sha256.finalize().into();
    Ok(filter.contains(BloomTag::Md5, &md5)
        || filter.contains(BloomTag::Sha1, &sha1)
        || filter.contains(BloomTag::Sha256, &sha256))
}

/// A signed filter must verify against `--trust`; an unsigned one needs
/// `--allow-unsigned`.
fn check_bloom_signature(filter: &BloomFilter, a: &BloomCheckArgs) -> Result<(), String> {
    if filter.signature().is_none() && a.allow_unsigned {
        return Ok(());
    }
    let trust = match &a.trust {
        Some(p) => TrustStore::load(p).map_err(|e| e.to_string())?,
        None if filter.signature().is_some() => {
            return Err("the filter is signed: pass --trust to verify it".to_owned());
        }
        None => TrustStore::new(),
    };
    let v = filter.verify(&trust, now()?).map_err(|e| match e.kind() {
        ErrorKind::Unsigned => format!("{e} (pass --allow-unsigned to accept it)"),
        _ => e.to_string(),
    })?;
    eprintln!("filter signed by {:?} with key {}", v.issuer, v.key_id);
    Ok(())
}

/// Runs `lists bloom-check`: prints `maybe<TAB>input` or `no<TAB>input` per
/// input (`error<TAB>input<TAB>reason` when it cannot be tested). Exit status
/// 2 if the filter or an input could not be read, else 1 if any is `maybe`,
/// else 0.
pub fn run_bloom_check(a: &BloomCheckArgs) -> ExitCode {
    let filter = match BloomFilter::read_file(&a.filter) {
        Ok(f) => f,
        Err(e) => return fail(e),
    };
    if let Err(e) = check_bloom_signature(&filter, a) {
        return fail(format!("{}: {e}", a.filter.display()));
    }
    let mut out = io::BufWriter::new(io::stdout().lock());
    let (mut any_maybe, mut failed) = (false, false);
    for input in &a.inputs {
        let path = Path::new(input);
        let verdict = if path.is_file() {
            std::fs::File::open(path)
                .and_then(|mut f| bloom_file_maybe(&filter, &mut f))
                .map_err(|e| e.to_string())
        } else {
            CanonicalUrl::parse(input.as_bytes())
                .map(|u| bloom_url_maybe(&filter, &u))
                .map_err(|e| e.to_string())
        };
        let _ = match verdict {
            Ok(true) => {
                any_maybe = true;
                writeln!(out, "maybe\t{input}")
            }
            Ok(false) => writeln!(out, "no\t{input}"),
            Err(e) => {
                failed = true;
                writeln!(out, "error\t{input}\t{e}")
            }
        };
    }
    let _ = out.flush();
    if failed {
        ExitCode::from(2)
    } else if any_maybe {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Files are hashed in chunks: the digests equal one-shot ones across
    /// chunk boundaries.
    #[test]
    fn file_hashing_streams() {
        use sha2::Digest as _;
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        for tag in [BloomTag::Md5, BloomTag::Sha1, BloomTag::Sha256] {
            let mut f = BloomFilter::with_rate(1, 1e-9).expect("rate");
            let digest: Vec<u8> = match tag {
                BloomTag::Md5 => md5::Md5::digest(&data).to_vec(),
                BloomTag::Sha1 => sha1::Sha1::digest(&data).to_vec(),
                _ => sha2::Sha256::digest(&data).to_vec(),
            };
            f.insert(tag, &digest);
            assert!(
                bloom_file_maybe(&f, &mut &data[..]).expect("reads"),
                "{tag:?}"
            );
            assert!(
                !bloom_file_maybe(&f, &mut &data[1..]).expect("reads"),
                "{tag:?}"
            );
        }
    }

    /// The per-URL false-positive rate of `bloom-check`: each URL makes one
    /// probe per expression (10 here) for the one tag present, so it should
    /// come out near 10 × the per-probe rate.
    #[test]
    fn per_url_false_positive_rate() {
        const MEMBERS: u64 = 10_000;
        // 100 000 in a release build measured 0.00961 (EXCHANGE.md); 20 000
        // keeps the debug-build test suite quick (SHA-256 per probe).
        const PROBES: usize = 20_000;
        let p = 0.001;
        let mut f = BloomFilter::with_rate(MEMBERS, p).expect("rate");
        for i in 0..MEMBERS {
            f.insert(
                BloomTag::UrlPrefix,
                format!("member-{i}.example/path/").as_bytes(),
            );
        }
        let mut url = CanonicalUrl::new();
        let mut fps = 0;
        for i in 0..PROBES {
            url.parse_into(format!("http://www.other-{i}.example/a/b/c.html?q=1").as_bytes())
                .expect("parses");
            assert_eq!(url.expressions().count(), 10);
            if bloom_url_maybe(&f, &url) {
                fps += 1;
            }
        }
        let rate = fps as f64 / PROBES as f64;
        println!("per-URL false positives at p = {p}, 10 probes: {rate:.5} ({fps}/{PROBES})");
        assert!(rate < 10.0 * p * 1.3, "{rate}");
        assert!(rate > 10.0 * p / 2.0, "{rate}");
        // Members are always found.
        url.parse_into(b"http://x.member-7.example/path/deeper/1.jpg")
            .expect("parses");
        assert!(bloom_url_maybe(&f, &url));
    }
}
