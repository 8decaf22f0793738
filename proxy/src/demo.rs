//! The built-in demo list: used when no list is given, so that a newcomer's
//! first command does something visible. Only reserved example names.

use hashwall_lists::List;

/// The demo list's text, embedded in the binary.
pub const DEMO_LIST: &str = include_str!("../assets/demo.list");

/// The parsed demo list.
pub fn demo_list() -> Result<List, hashwall_lists::Error> {
    List::from_text(DEMO_LIST.as_bytes(), "demo")
}
