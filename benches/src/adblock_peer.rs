//! Brave's `adblock` engine as the peer in URL benchmarks.

use adblock::lists::ParseOptions;
use adblock::request::Request;
use adblock::{Engine, FilterSet};

/// An `adblock` engine loaded with `||host^` rules.
pub fn engine(rules: &[String]) -> Engine {
    let mut set = FilterSet::new(false);
    set.add_filter_list(rules.join("\n"), ParseOptions::default());
    Engine::new_with_filter_set(set)
}

/// Checks one URL as a third-party image request; true when blocked. A URL
/// the engine cannot parse counts as not blocked (as hashwall's caller would
/// see an error, it does no lookup either).
pub fn check(engine: &Engine, url: &str) -> bool {
    match Request::new(url, "https://source.example/", "image", "GET") {
        Ok(req) => engine.check_network_request(&req).should_block(),
        Err(_) => false,
    }
}
