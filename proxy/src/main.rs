//! The hashwall binary.

mod cli;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "hashwall",
    version,
    about = "Block illicit content by URL and image hash"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Hash image files (PDQ, pHash, dHash, MD5, SHA-1, SHA-256) as TSV.
    Hash(cli::hash::HashArgs),
}

fn main() -> std::process::ExitCode {
    match Cli::parse().command {
        Command::Hash(args) => cli::hash::run(&args),
    }
}
