//! What every front end that enforces a verdict does with it: count and
//! log its matches, and answer a block with the stop page. The proxy
//! ([`super::phases`]) and the ICAP service ([`super::icap`]) both use
//! these.

use std::net::IpAddr;

use hashwall::{Action, Verdict};
use hyper::Response;

use super::{ProxyBody, Shared};

/// The 451 stop page when `verdict` blocks (named after its first blocking
/// match), else `None`.
pub(crate) fn block_page(shared: &Shared, verdict: &Verdict) -> Option<Response<ProxyBody>> {
    if verdict.action() != Action::Block {
        return None;
    }
    let m = verdict
        .matches()
        .iter()
        .find(|m| m.action() == Action::Block)?;
    Some(shared.stop_page.response(m))
}

/// Counts and logs every match of a verdict for the client at `client`;
/// `subject` says what was checked (`url`, `address`: the URL at a
/// resolved `address`, `image`).
pub(crate) fn record(
    shared: &Shared,
    client: IpAddr,
    verdict: &Verdict,
    subject: &'static str,
    address: Option<IpAddr>,
) {
    let action = verdict.action();
    let client = shared.config.log.client_address.then(|| client.to_string());
    for m in verdict.matches() {
        let l = m.list();
        let category = l.category().to_string();
        let asked = m.action().as_str();
        shared.metrics.decision(l.id(), &category, asked);
        shared.stats.record(l.id(), &category, asked);
        // The reference goes to the operator's log (never to the page).
        tracing::info!(
            target: "hashwall::decision",
            decision = action.as_str(),
            list = l.id(),
            issuer = l.issuer(),
            category = %category,
            list_action = asked,
            subject,
            address = address.map(|a| a.to_string()),
            kind = m.kind().as_str(),
            reference = m.reference(),
            client = client.as_deref(),
            "list match"
        );
    }
}
