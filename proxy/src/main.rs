//! `hashwall`: the filtering proxy and the command-line tools.

mod cli;
mod demo;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// hashwall: block illicit content by matching URLs and image hashes
/// against partners' blocklists.
#[derive(Debug, Parser)]
#[command(name = "hashwall", version, about, long_about = None)]
struct Cli {
    /// No progress display on standard error (it is shown only on a
    /// terminal anyway, never in pipes or scripts).
    #[arg(long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check URLs against lists (the built-in demo list when none is given).
    Check(cli::check::CheckArgs),
    /// Hash image files (PDQ, pHash, dHash, MD5, SHA-1, SHA-256) as TSV.
    Hash(cli::hash::HashArgs),
    /// Match image hashes computed elsewhere (PDQ, pHash, dHash, MD5, SHA-1,
    /// SHA-256) against lists.
    Match(cli::matching::MatchArgs),
    /// URL canonicalisation and Safe Browsing expressions.
    #[command(subcommand)]
    Url(cli::url::UrlCommand),
    /// List maintenance: keys, trust stores, signing, verification,
    /// deltas, audit log, publication; imports, exports, lint and Bloom
    /// filters.
    #[command(subcommand)]
    Lists(cli::lists::ListsCommand),
    /// Run the filtering HTTP proxy (the embedded default config without --config).
    Serve(cli::serve::ServeArgs),
    /// The reporting desk: public reports, four-eyes assessment, signed
    /// list entries, statistics on alerts (serves on 127.0.0.1:8090).
    Desk(cli::desk::DeskArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // Usage errors exit 2 (clap's own convention and ours);
            // --help and --version are not errors.
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    cli::progress::set_quiet(cli.quiet);
    match &cli.command {
        Command::Check(args) => cli::check::run(args),
        Command::Hash(args) => cli::hash::run(args),
        Command::Match(args) => cli::matching::run(args),
        Command::Url(cmd) => cli::url::run(cmd),
        Command::Lists(cmd) => cli::lists::run(cmd),
        Command::Serve(args) => cli::serve::run(args),
        Command::Desk(args) => cli::desk::run(args),
    }
}
