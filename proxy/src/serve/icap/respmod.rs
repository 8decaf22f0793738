//! `RESPMOD`: image scanning with the proxy's pipeline ([`images`]).
//!
//! A response the proxy would not scan (not an image type, no list with
//! image entries, an error status, HEAD) is allowed at once: within a
//! preview, `204` without reading its body. A body that must be sniffed
//! is judged on its first bytes (the preview): not an image, `204`. An
//! image is read up to `images.max_bytes` and hashed on the scan pool
//! against the exchange's snapshot; a listed one is replaced by the 451
//! page. An image that cannot be scanned follows `images.on_unscannable`
//! as in the proxy: `open` lets it through unchanged, `closed` replaces it
//! by the 403 page.

use std::sync::Arc;

use hashwall::Snapshot;
use hyper::header::{self, HeaderMap};
use hyper::{Method, StatusCode};

use super::exchange::{Abort, Exchange};
use super::metrics::IcapOutcome;
use crate::serve::images::{self, Candidate, Filtered, MAGIC_LEN, candidate, has_image_magic};
use crate::serve::metrics::ImageOutcome;
use crate::serve::stop_page::{error_page, full};
use crate::serve::verdicts::{block_page, record};

/// Answers one `RESPMOD`.
pub(super) async fn respmod(
    ex: &mut Exchange<'_>,
    snapshot: Arc<Snapshot>,
) -> Result<IcapOutcome, Abort> {
    let shared = ex.shared;
    let scanner = &shared.images;
    let method = ex
        .req
        .http_request
        .as_ref()
        .map_or(Method::GET, |h| h.method.clone());
    let Some(res) = ex.req.http_response.as_ref() else {
        ex.allow().await?;
        return Ok(IcapOutcome::Allowed);
    };
    let headers: HeaderMap = res.headers.clone();
    let options = images::wants_scan(scanner, &snapshot, &method, res.status, &headers);
    let Some(options) = options.filter(|_| ex.req.has_body()) else {
        ex.allow().await?;
        return Ok(IcapOutcome::Allowed);
    };
    if candidate(&headers, scanner.config().sniff) == Some(Candidate::Sniff) {
        ex.read_until(MAGIC_LEN).await?;
        let prefix = ex.body.bytes();
        if !has_image_magic(&prefix[..prefix.len().min(MAGIC_LEN)]) {
            ex.allow().await?;
            return Ok(IcapOutcome::Allowed);
        }
    }
    let cap = scanner.config().max_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let declared_too_large = declared.is_some_and(|n| n > cap as u64);
    if !declared_too_large {
        // `cap + 1` so "exactly the cap" is still scanned.
        ex.read_until(cap.saturating_add(1)).await?;
    }
    let count = |o: ImageOutcome| shared.metrics.image(o);
    let filtered = if declared_too_large || !ex.body.ended {
        images::unscannable(
            scanner,
            ImageOutcome::TooLarge,
            count,
            full(Default::default()),
        )
    } else {
        let client = ex.client;
        images::filter(
            scanner,
            snapshot,
            options,
            &headers,
            full(ex.body.bytes()),
            |verdict| record(shared, client, verdict, "image", None),
            count,
        )
        .await
    };
    match filtered {
        Filtered::Pass(_) | Filtered::UpstreamError(_) => {
            ex.allow().await?;
            Ok(IcapOutcome::Allowed)
        }
        Filtered::Blocked(verdict) => match block_page(shared, &verdict) {
            Some(page) => {
                ex.replace(page).await?;
                Ok(IcapOutcome::Blocked)
            }
            None => {
                let page = error_page(StatusCode::FORBIDDEN, "This image is withheld.");
                ex.replace(page).await?;
                Ok(IcapOutcome::ImageUnscannable)
            }
        },
        Filtered::Refused(page) => {
            ex.replace(page).await?;
            Ok(IcapOutcome::ImageUnscannable)
        }
    }
}
