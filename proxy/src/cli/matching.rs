//! `hashwall match`: image hashes computed elsewhere against lists.

use std::io::{self, BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Args;
use hashwall::{HashValue, ListConfig, MAX_HASH64_DISTANCE, MAX_PDQ_DISTANCE, Snapshot};
use hashwall_lists::EntryKind;

use super::check::{Tally, report};
use super::load::{TrustArgs, load_snapshot};

/// `hashwall match`
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("input").required(true).multiple(true).args(["hash", "stdin"])))]
pub struct MatchArgs {
    /// A list file (repeatable).
    #[arg(long = "list", value_name = "FILE", required = true)]
    pub lists: Vec<PathBuf>,
    /// Trust options for the list files.
    #[command(flatten)]
    pub trust: TrustArgs,
    /// A hash to match, `KIND:HEX` (`pdq`, `phash`, `dhash`, `md5`, `sha1`,
    /// `sha256`); a PDQ hash may carry its quality as `pdq:HEX:QUALITY`.
    #[arg(long, value_name = "KIND:HEX")]
    pub hash: Vec<String>,
    /// Read hashes from standard input, one per line: `KIND:HEX`, or a bare
    /// 64-digit PDQ hash.
    #[arg(long)]
    pub stdin: bool,
    /// Override every list's maximum Hamming distance (PDQ up to 63; pHash
    /// and dHash are capped at 32).
    #[arg(long, value_name = "N")]
    pub max_distance: Option<u32>,
    /// One JSON object per line instead of text.
    #[arg(long)]
    pub json: bool,
    /// Print `stats: queries=N matched=M load_ms=X query_ms=Y` to stderr.
    #[arg(long)]
    pub stats: bool,
}

/// Parses `KIND:HEX`, `pdq:HEX:QUALITY` or a bare PDQ hex.
pub fn parse_query(s: &str) -> Result<HashValue, String> {
    let s = s.trim();
    let mut parts = s.splitn(3, ':');
    let first = parts.next().unwrap_or_default();
    let (kind, hex, quality) = match (parts.next(), parts.next()) {
        (None, _) => (EntryKind::Pdq, first, None),
        (Some(hex), q) => {
            let kind: EntryKind = first
                .parse()
                .map_err(|_| format!("unknown hash kind `{first}`"))?;
            (kind, hex, q)
        }
    };
    let mut value = HashValue::parse(kind, hex).map_err(|e| e.to_string())?;
    if let Some(q) = quality {
        let q: u8 = q
            .parse()
            .ok()
            .filter(|q| *q <= 100)
            .ok_or_else(|| format!("quality must be 0..=100, got `{q}`"))?;
        match &mut value {
            HashValue::Pdq { quality, .. } => *quality = Some(q),
            _ => return Err("only pdq hashes carry a quality".into()),
        }
    }
    Ok(value)
}

/// Runs `match`. Exit status: 2 if a list or a hash could not be read, else
/// 1 if any hash is blocked, else 0.
pub fn run(args: &MatchArgs) -> ExitCode {
    let mut config = ListConfig::default();
    if let Some(n) = args.max_distance {
        if n > MAX_PDQ_DISTANCE {
            eprintln!("error\t--max-distance must be at most {MAX_PDQ_DISTANCE}");
            return ExitCode::from(2);
        }
        config = config
            .with_pdq_max_distance(n)
            .with_hash64_max_distance(n.min(MAX_HASH64_DISTANCE));
    }
    let (snapshot, load_ms) = match load_snapshot(&args.lists, &config, &args.trust) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error\t{e}");
            return ExitCode::from(2);
        }
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut tally = Tally::default();
    for h in &args.hash {
        one(&snapshot, h, args.json, &mut out, &mut tally);
    }
    if args.stdin {
        for line in io::stdin().lock().lines() {
            match line {
                Ok(l) if l.trim().is_empty() => {}
                Ok(l) => one(&snapshot, &l, args.json, &mut out, &mut tally),
                Err(e) => {
                    eprintln!("error\treading stdin: {e}");
                    tally.failed = true;
                    break;
                }
            }
        }
    }
    if let Err(e) = out.flush() {
        eprintln!("error\twriting output: {e}");
        tally.failed = true;
    }
    if args.stats {
        eprintln!(
            "stats: queries={} matched={} load_ms={:.1} query_ms={:.3}",
            tally.inputs,
            tally.matched,
            load_ms,
            tally.check_secs * 1e3
        );
    }
    tally.exit_code()
}

fn one(snapshot: &Snapshot, input: &str, json: bool, out: &mut impl Write, t: &mut Tally) {
    let start = Instant::now();
    let result = parse_query(input).map(|h| snapshot.check_hash(&h));
    t.check_secs += start.elapsed().as_secs_f64();
    report(input.trim(), result, json, out, t);
}
