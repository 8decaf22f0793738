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
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check URLs against lists (the built-in demo list when none is given).
    Check(cli::check::CheckArgs),
    /// URL canonicalisation and Safe Browsing expressions.
    #[command(subcommand)]
    Url(cli::url::UrlCommand),
    /// List maintenance: keys, signing, verification, deltas, audit log.
    #[command(subcommand)]
    Lists(cli::lists_cmd::ListsCommand),
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
    match &cli.command {
        Command::Check(args) => cli::check::run(args),
        Command::Url(cmd) => cli::url::run(cmd),
        Command::Lists(cmd) => cli::lists_cmd::run(cmd),
    }
}
