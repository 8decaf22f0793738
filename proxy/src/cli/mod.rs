//! The command-line subcommands, one module each.

pub mod check;
pub mod exchange;
pub mod lists;
pub mod url;
