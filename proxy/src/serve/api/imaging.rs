//! Hashing an uploaded image on the bounded pool (`[images]`: workers,
//! queue, scan timeout, decoding limits) and checking it against one
//! snapshot. The decoder's panics are caught (by the engine's guard, and
//! by the pool for anything else).

use std::sync::Arc;

use axum::body::Bytes;
use hashwall::image::{Algorithm, HashOptions, ImageHashes, hash_image};
use hashwall::{ErrorKind, ImageErrorKind, Snapshot, Verdict};

use super::errors::ApiError;
use super::metrics::ImageResult;
use super::state::ApiState;
use crate::serve::config::secs;
use crate::serve::scan_pool::PoolError;

/// What an image gave.
#[derive(Debug)]
pub struct Hashed {
    /// Every hash computed: the lists' algorithms and PDQ (with its
    /// dihedral variants), MD5, SHA-1 and SHA-256; only the digests when
    /// the image could not be decoded.
    pub hashes: ImageHashes,
    /// Why the image could not be decoded, if it could not.
    pub decode_error: Option<hashwall::Error>,
    /// The verdict on the snapshot the image was checked against.
    pub verdict: Verdict,
}

/// Hashes `bytes` on the pool and checks them against `snapshot`.
///
/// # Errors
///
/// 503 when the pool is saturated or the scan timed out; 422 when hashing
/// failed outright.
pub async fn hash_and_check(
    api: &ApiState,
    snapshot: Arc<Snapshot>,
    bytes: Bytes,
) -> Result<Hashed, ApiError> {
    let images = &api.shared.images;
    let limits = images.limits();
    let timeout = secs(images.config().scan_timeout_secs);
    let job = move || {
        let mut algorithms = snapshot.image_options().requested().to_vec();
        algorithms.extend([
            Algorithm::Pdq,
            Algorithm::Md5,
            Algorithm::Sha1,
            Algorithm::Sha256,
        ]);
        let options = HashOptions::new()
            .algorithms(algorithms)
            .dihedral(true)
            .limits(limits);
        match hash_image(&bytes, &options) {
            Ok(hashes) => {
                let verdict = snapshot.check_image_hashes(&hashes);
                Ok(Hashed {
                    hashes,
                    decode_error: None,
                    verdict,
                })
            }
            Err(decode_error) => {
                // The exact digests need no decoding: a listed file that
                // cannot be decoded is still found.
                let digests = HashOptions::new().algorithms([
                    Algorithm::Md5,
                    Algorithm::Sha1,
                    Algorithm::Sha256,
                ]);
                let hashes = hash_image(&bytes, &digests)?;
                let verdict = snapshot.check_image_hashes(&hashes);
                Ok(Hashed {
                    hashes,
                    decode_error: Some(decode_error),
                    verdict,
                })
            }
        }
    };
    let result = images.pool().run(timeout, job).await;
    let counted = match &result {
        Ok(Ok(h)) => match &h.decode_error {
            None => ImageResult::Decoded,
            Some(e) if e.kind() == ErrorKind::Image(ImageErrorKind::TooLarge) => {
                ImageResult::TooLarge
            }
            Some(_) => ImageResult::Undecodable,
        },
        Ok(Err(_)) | Err(PoolError::Failed) => ImageResult::Undecodable,
        Err(PoolError::Saturated) => ImageResult::Busy,
        Err(PoolError::Timeout) => ImageResult::Timeout,
    };
    api.shared.metrics.api.image(counted);
    match result {
        Ok(Ok(h)) => Ok(h),
        Ok(Err(e)) => Err(ApiError::image(&e)),
        Err(e) => Err(ApiError::pool(e)),
    }
}
