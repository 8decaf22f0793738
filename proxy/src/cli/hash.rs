//! `hashwall hash`: hash image files the way shared hash lists were made.
//!
//! Output is TSV on standard output, one row per hash:
//! `path<TAB>algo<TAB>hex<TAB>quality` (quality `-` for algorithms without
//! one). With `--dihedral`, each PDQ flavour gets seven more rows, labelled
//! `pdq/rot90 pdq/rot180 pdq/rot270 pdq/flipx pdq/flipy pdq/flipplus1
//! pdq/flipminus1` (and likewise `pdq-512/…`): the hashes of the image
//! rotated counter-clockwise by 90/180/270°, mirrored top-to-bottom (`flipx`)
//! or left-to-right (`flipy`), or transposed about the main (`flipplus1`)
//! or anti-diagonal (`flipminus1`).
//!
//! A file that cannot be read or hashed gives `path<TAB>error<TAB>reason` on
//! standard error; the exit status is then 2.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use hashwall::image::{Algorithm, HashOptions, hash_image};
use hashwall::{Error, ErrorKind};

/// Arguments of `hashwall hash`.
#[derive(clap::Args, Debug, Clone)]
#[command(about = "Hash image files (PDQ, pHash, dHash, MD5, SHA-1, SHA-256) as TSV")]
pub struct HashArgs {
    /// Algorithm to compute; repeat or separate with commas. One of pdq
    /// (full resolution, as Hasher-Matcher-Actioner), pdq-512 (after the C++
    /// reference's 512×512 resize), phash, dhash, md5, sha1, sha256.
    /// Default: pdq and md5.
    #[arg(long = "algo", value_name = "ALGO", value_delimiter = ',', value_parser = parse_algorithm)]
    pub algo: Vec<Algorithm>,

    /// Also print the 7 rotated and mirrored variants of each PDQ hash
    /// (rows `pdq/rot90`, `pdq/rot180`, `pdq/rot270`, `pdq/flipx`,
    /// `pdq/flipy`, `pdq/flipplus1`, `pdq/flipminus1`).
    #[arg(long)]
    pub dihedral: bool,

    /// Rotate images upright by their EXIF orientation first (off by
    /// default: shared lists hash the stored pixels).
    #[arg(long)]
    pub exif: bool,

    /// Print `stats: files=N failed=F decode_ms=X hash_ms=Y` to standard
    /// error at the end.
    #[arg(long)]
    pub stats: bool,

    /// Files to hash; `-` reads one image from standard input.
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
}

fn parse_algorithm(s: &str) -> Result<Algorithm, String> {
    s.parse::<Algorithm>().map_err(|e| e.to_string())
}

/// Make a path or message safe for one TSV field: tabs, newlines and other
/// control characters are written as escapes.
fn field(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

fn reason(e: &Error) -> String {
    match e.kind() {
        ErrorKind::Image(k) => format!("{}: {e}", k.as_str()),
        _ => e.to_string(),
    }
}

/// Run `hashwall hash`.
pub fn run(args: &HashArgs) -> ExitCode {
    let algorithms = if args.algo.is_empty() {
        vec![Algorithm::Pdq, Algorithm::Md5]
    } else {
        args.algo.clone()
    };
    let opts = HashOptions::new()
        .algorithms(algorithms)
        .dihedral(args.dihedral)
        .exif_orientation(args.exif);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut failed = 0usize;
    let (mut decode, mut hash) = (Duration::ZERO, Duration::ZERO);
    for path in &args.files {
        let name = field(&path.to_string_lossy());
        let bytes = if path.as_os_str() == "-" {
            let mut buf = Vec::new();
            std::io::stdin().lock().read_to_end(&mut buf).map(|_| buf)
        } else {
            std::fs::read(path)
        };
        let result = match bytes {
            Err(e) => Err(format!("io: {e}")),
            Ok(bytes) => hash_image(&bytes, &opts).map_err(|e| reason(&e)),
        };
        match result {
            Ok(hashes) => {
                decode += hashes.decode_time;
                hash += hashes.hash_time;
                for h in &hashes.hashes {
                    let q = h
                        .quality()
                        .map_or_else(|| "-".to_owned(), |q| q.to_string());
                    if writeln!(out, "{name}\t{}\t{}\t{q}", h.label(), h.value).is_err() {
                        // Standard output closed (e.g. piped into `head`):
                        // nobody is listening any more.
                        return ExitCode::from(if failed > 0 { 2 } else { 0 });
                    }
                }
            }
            Err(why) => {
                failed += 1;
                // Keep the rows in order relative to the error lines.
                let _ = out.flush();
                eprintln!("{name}\terror\t{}", field(&why));
            }
        }
    }
    let _ = out.flush();
    if args.stats {
        eprintln!(
            "stats: files={} failed={failed} decode_ms={:.1} hash_ms={:.1}",
            args.files.len(),
            decode.as_secs_f64() * 1e3,
            hash.as_secs_f64() * 1e3
        );
    }
    if failed > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}
