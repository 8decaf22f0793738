//! The command-line subcommands, one module each.

pub mod check;
pub mod exchange;
mod fail;
pub mod hash;
pub mod lists;
pub mod lists_cmd;
pub mod matching;
pub mod progress;
pub mod publish;
pub mod publish_files;
pub mod publish_prune;
pub mod serve;
pub mod url;
