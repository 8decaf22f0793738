//! Shared parts of the desk's browser tests.
#![allow(dead_code, clippy::unwrap_used)]

pub mod webdriver;
