//! `hashwall check`: verdicts for URLs against lists, from the shell.

use std::io::{self, BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Args;
use hashwall::{Snapshot, Verdict};
use serde_json::{Value, json};

use super::load::{TrustArgs, load_snapshot};

/// Buffer size for standard input and output when streaming: large reads
/// and writes, few system calls.
const STREAM_BUFFER_BYTES: usize = 256 * 1024;

/// `hashwall check`
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("input").required(true).multiple(true).args(["url", "stdin_urls", "image"])))]
pub struct CheckArgs {
    /// A list file (repeatable). Without any, the built-in demo list is used.
    #[arg(long = "list", value_name = "FILE")]
    pub lists: Vec<PathBuf>,
    /// Trust options for the list files.
    #[command(flatten)]
    pub trust: TrustArgs,
    /// A URL to check (repeatable).
    #[arg(long, value_name = "URL")]
    pub url: Vec<String>,
    /// Read URLs from standard input, one per line.
    #[arg(long)]
    pub stdin_urls: bool,
    /// An image file to check (repeatable): hashed once with every
    /// algorithm the lists use, PDQ with its rotations and mirror images.
    #[arg(long, value_name = "FILE")]
    pub image: Vec<PathBuf>,
    /// One JSON object per line instead of text.
    #[arg(long)]
    pub json: bool,
    /// Print `stats: inputs=N matched=M load_ms=X check_ms=Y` to stderr.
    #[arg(long)]
    pub stats: bool,
}

/// Counts over a run, for `--stats` and the exit status.
#[derive(Default)]
pub struct Tally {
    /// Inputs checked.
    pub inputs: u64,
    /// Inputs with at least one match.
    pub matched: u64,
    /// Something was blocked.
    pub blocked: bool,
    /// Something could not be checked.
    pub failed: bool,
    /// Time spent checking.
    pub check_secs: f64,
}

impl Tally {
    /// 2 if anything failed, else 1 if anything was blocked, else 0.
    pub fn exit_code(&self) -> ExitCode {
        if self.failed {
            ExitCode::from(2)
        } else if self.blocked {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        }
    }
}

/// Runs `check`. Exit status: 2 if a list or an input could not be read,
/// else 1 if any input is blocked, else 0.
pub fn run(args: &CheckArgs) -> ExitCode {
    let (snapshot, load_ms) = match load_snapshot(&args.lists, &Default::default(), &args.trust) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error\t{e}");
            return ExitCode::from(2);
        }
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(STREAM_BUFFER_BYTES, stdout.lock());
    let mut tally = Tally::default();
    if args.stdin_urls {
        check_stdin(&snapshot, args, &mut out, &mut tally);
    }
    for url in &args.url {
        check_one(&snapshot, url.as_bytes(), args, &mut out, &mut tally);
    }
    for path in &args.image {
        let label = path.display().to_string();
        let start = Instant::now();
        let result = std::fs::read(path)
            .map_err(|e| format!("reading {label}: {e}"))
            .and_then(|bytes| snapshot.check_image(&bytes).map_err(|e| e.to_string()));
        tally.check_secs += start.elapsed().as_secs_f64();
        report(&label, result, args.json, &mut out, &mut tally);
    }
    if let Err(e) = out.flush() {
        eprintln!("error\twriting output: {e}");
        tally.failed = true;
    }
    if args.stats {
        eprintln!(
            "stats: inputs={} matched={} load_ms={:.1} check_ms={:.3}",
            tally.inputs,
            tally.matched,
            load_ms,
            tally.check_secs * 1e3
        );
    }
    tally.exit_code()
}

/// Reads one URL per line from standard input and checks each; blank lines
/// are skipped, a read error ends the stream and marks the run failed.
fn check_stdin(snapshot: &Snapshot, args: &CheckArgs, out: &mut impl Write, t: &mut Tally) {
    let mut input = io::BufReader::with_capacity(STREAM_BUFFER_BYTES, io::stdin().lock());
    let mut line = Vec::new();
    loop {
        line.clear();
        match input.read_until(b'\n', &mut line) {
            Ok(0) => break,
            Ok(_) => {
                let raw = line.strip_suffix(b"\n").unwrap_or(&line);
                let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
                if raw.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                check_one(snapshot, raw, args, out, t);
            }
            Err(e) => {
                eprintln!("error\treading stdin: {e}");
                t.failed = true;
                break;
            }
        }
    }
}

/// Checks one URL and prints its line. The clock is read only for
/// `--stats`: two reads per URL are a measurable share of a streamed check.
fn check_one(
    snapshot: &Snapshot,
    raw: &[u8],
    args: &CheckArgs,
    out: &mut impl Write,
    t: &mut Tally,
) {
    let result = if args.stats {
        let start = Instant::now();
        let r = snapshot.check_url_bytes(raw);
        t.check_secs += start.elapsed().as_secs_f64();
        r
    } else {
        snapshot.check_url_bytes(raw)
    };
    let input = String::from_utf8_lossy(raw);
    report(&input, result.map_err(|e| e.to_string()), args.json, out, t);
}

/// Prints one verdict (or error) line and counts it.
pub fn report(
    input: &str,
    result: Result<Verdict, String>,
    json: bool,
    out: &mut impl Write,
    t: &mut Tally,
) {
    t.inputs += 1;
    let _ = match &result {
        Ok(v) => {
            if !v.is_empty() {
                t.matched += 1;
            }
            t.blocked |= v.is_blocked();
            if json {
                write_json_line(out, &verdict_json(input, v))
            } else {
                write_verdict_text(out, input, v)
            }
        }
        Err(e) => {
            t.failed = true;
            if json {
                write_json_line(out, &error_json(input, e))
            } else {
                writeln!(out, "error\t{input}\t{e}")
            }
        }
    };
}

fn write_json_line(out: &mut impl Write, v: &Value) -> io::Result<()> {
    serde_json::to_writer(&mut *out, v)?;
    out.write_all(b"\n")
}

/// `ACTION<TAB>INPUT` then one `<TAB>list[issuer jurisdiction category kind expression …]`
/// per match, and one `<TAB>list(skipped: reason)` per list not consulted.
/// Written straight to `out`, without an intermediate string per line.
pub fn write_verdict_text(out: &mut impl Write, input: &str, v: &Verdict) -> io::Result<()> {
    write!(out, "{}\t{}", v.action(), input)?;
    for m in v.matches() {
        let l = m.list();
        write!(
            out,
            "\t{}[issuer={} jurisdiction={} category={} policy={} kind={} expression={}",
            l.id(),
            l.issuer(),
            l.jurisdiction(),
            l.category(),
            l.policy(),
            m.kind().as_str(),
            m.expression()
        )?;
        if let Some(d) = m.distance() {
            write!(out, " distance={d}")?;
        }
        if let Some(var) = m.variant() {
            write!(out, " variant={}", var.as_str())?;
        }
        if let Some(r) = m.reference() {
            write!(out, " ref={r}")?;
        }
        out.write_all(b"]")?;
    }
    for sk in v.skipped() {
        write!(out, "\t{}(skipped: {})", sk.list().id(), sk.reason())?;
    }
    out.write_all(b"\n")
}

/// The JSON form of a verdict (one object per input).
pub fn verdict_json(input: &str, v: &Verdict) -> Value {
    let matches: Vec<Value> = v
        .matches()
        .iter()
        .map(|m| {
            let l = m.list();
            json!({
                "list": l.id(),
                "issuer": l.issuer(),
                "name": l.name(),
                "jurisdiction": l.jurisdiction().to_string(),
                "category": l.category().to_string(),
                "policy": l.policy().to_string(),
                "sequence": l.sequence(),
                "kind": m.kind().as_str(),
                "reference": m.reference(),
                "expression": m.expression(),
                "distance": m.distance(),
                "variant": m.variant().map(|d| d.as_str()),
            })
        })
        .collect();
    let skipped: Vec<Value> = v
        .skipped()
        .iter()
        .map(|s| json!({ "list": s.list().id(), "reason": s.reason().to_string() }))
        .collect();
    json!({
        "input": input,
        "action": v.action().as_str(),
        "matches": matches,
        "skipped": skipped,
    })
}

fn error_json(input: &str, e: &str) -> Value {
    json!({
        "input": input,
        "action": "error",
        "error": e,
    })
}
