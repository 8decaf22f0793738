//! `hashwall url canon|expressions`: the canonicaliser from the shell.

use std::io::{self, BufRead, Write};
use std::process::ExitCode;

use clap::Subcommand;
use hashwall::url::CanonicalUrl;

/// `hashwall url …`
#[derive(Debug, Subcommand)]
pub enum UrlCommand {
    /// Print the Safe Browsing canonical form of each URL (stdin when none
    /// is given), or `error<TAB>reason`. Exit status 2 if any failed.
    Canon {
        /// URLs to canonicalise.
        urls: Vec<String>,
    },
    /// Print the host-suffix × path-prefix expressions of a URL, one per
    /// line, in the order Safe Browsing looks them up.
    Expressions {
        /// The URL.
        url: String,
    },
}

/// Runs a `url` subcommand.
pub fn run(cmd: &UrlCommand) -> ExitCode {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let result = match cmd {
        UrlCommand::Canon { urls } if urls.is_empty() => {
            let mut failed = false;
            let stdin = io::stdin();
            let mut line = Vec::new();
            let mut input = stdin.lock();
            loop {
                line.clear();
                match input.read_until(b'\n', &mut line) {
                    Ok(0) => break,
                    Ok(_) => {
                        let raw = line.strip_suffix(b"\n").unwrap_or(&line);
                        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
                        failed |= canon_one(&mut out, raw);
                    }
                    Err(e) => {
                        eprintln!("error\treading stdin: {e}");
                        return ExitCode::from(2);
                    }
                }
            }
            Ok(failed)
        }
        UrlCommand::Canon { urls } => Ok(urls
            .iter()
            .fold(false, |f, u| canon_one(&mut out, u.as_bytes()) | f)),
        UrlCommand::Expressions { url } => match CanonicalUrl::parse(url.as_bytes()) {
            Ok(c) => {
                for e in c.expressions() {
                    let _ = writeln!(out, "{e}");
                }
                Ok(false)
            }
            Err(e) => Err(e),
        },
    };
    let _ = out.flush();
    match result {
        Ok(false) => ExitCode::SUCCESS,
        Ok(true) => ExitCode::from(2),
        Err(e) => {
            eprintln!("error\t{e}");
            ExitCode::from(2)
        }
    }
}

/// Prints one result; returns true on failure.
fn canon_one(out: &mut impl Write, raw: &[u8]) -> bool {
    match CanonicalUrl::parse(raw) {
        Ok(c) => {
            let _ = writeln!(out, "{}", c.as_str());
            false
        }
        Err(e) => {
            let _ = writeln!(out, "error\t{e}");
            true
        }
    }
}
