//! The command-line subcommands, one module each.

pub mod check;
pub mod desk;
pub mod exchange;
mod fail;
pub mod hash;
pub mod lists;
pub mod load;
pub mod matching;
pub mod progress;
pub mod publish;
pub mod publish_files;
pub mod serve;
pub mod url;

/// The time by the one clock ([`hashwall_lists::Clock::from_env`]:
/// `HASHWALL_NOW` when set, for tests and "what if" runs).
pub(crate) fn now() -> Result<hashwall_lists::Timestamp, hashwall_lists::Error> {
    hashwall_lists::Clock::from_env().map(|c| c.now())
}
