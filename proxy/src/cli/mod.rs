//! The command-line subcommands, one module each.

pub mod check;
pub mod lists;
pub mod serve;
pub mod url;
