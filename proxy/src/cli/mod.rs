//! The command-line subcommands, one module each.

pub mod check;
pub mod lists;
pub mod lists_cmd;
pub mod url;
