//! Checking images and image hashes against a [`Snapshot`]: hashing with
//! the algorithms the lists use, the decode-failure fallback to the exact
//! digests, PDQ's dihedral variants and per-list thresholds.

use std::sync::Arc;

use hashwall_lists::EntryKind;

use super::Snapshot;
use super::images::{self, ImageHit};
use crate::Error;
use crate::image::{
    Algorithm, DecodeLimits, Dihedral, HashOptions, HashValue, ImageHashes, PdqHash, file_digest,
    hash_image,
};
use crate::verdict::{Match, Matched, SkipReason, Verdict};

impl Snapshot {
    /// What [`Snapshot::check_image`] computes for an image: the hash
    /// algorithms this snapshot's lists use (full-resolution `pdq` with its
    /// dihedral variants when any list holds PDQ entries).
    pub fn image_options(&self) -> HashOptions {
        let algorithms = [
            EntryKind::Pdq,
            EntryKind::Phash,
            EntryKind::Dhash,
            EntryKind::Md5,
            EntryKind::Sha1,
            EntryKind::Sha256,
        ]
        .into_iter()
        .filter(|k| self.images.has(*k))
        .filter_map(Algorithm::for_entry_kind);
        HashOptions::new()
            .algorithms(algorithms)
            .dihedral(self.images.has(EntryKind::Pdq))
    }

    /// Checks an image (a whole file's bytes) within the default
    /// [`DecodeLimits`]; see [`Snapshot::check_image_with`].
    ///
    /// # Errors
    ///
    /// As [`Snapshot::check_image_with`].
    pub fn check_image(&self, bytes: &[u8]) -> Result<Verdict, Error> {
        self.check_image_with(bytes, &DecodeLimits::default())
    }

    /// Checks an image (a whole file's bytes), decoding it within `limits`:
    /// hashes it once with every algorithm the lists use (see
    /// [`Snapshot::image_options`]) and looks every hash up, PDQ with its 8
    /// rotations and mirror images.
    ///
    /// When the image cannot be decoded, the exact file digests (MD5, SHA-1,
    /// SHA-256, which need no decoding) are still checked: a listed file
    /// that no decoder accepts, or one too large for `limits`, is still
    /// found.
    ///
    /// ```
    /// use hashwall::image::DecodeLimits;
    /// use hashwall::lists::List;
    /// use hashwall::{ErrorKind, ImageErrorKind, Snapshot};
    ///
    /// // A PDQ entry (so images are decoded) and the MD5 of the bytes `not an image`.
    /// let text = format!("pdq {} P-1\nmd5 f4d3390ee84008b4b4192b3a93bfa089 R-1\n", "0".repeat(64));
    /// let list = List::from_text(text.as_bytes(), "l")?;
    /// let snap = Snapshot::builder().add_list(&list, &Default::default())?.build();
    /// let tight = DecodeLimits { max_width: 64, max_height: 64, max_alloc: 1 << 20 };
    /// // Not decodable, but the digest is listed: the verdict says so.
    /// let v = snap.check_image_with(b"not an image", &tight)?;
    /// assert!(v.is_blocked());
    /// assert_eq!(v.matches()[0].reference(), Some("R-1"));
    /// // Neither decodable nor listed: the decoding error.
    /// let err = snap.check_image_with(b"not listed either", &tight).expect_err("undecodable");
    /// assert_eq!(err.kind(), ErrorKind::Image(ImageErrorKind::Unsupported));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// When the image cannot be decoded within `limits`
    /// ([`crate::ErrorKind::Image`]) and no exact digest matched.
    pub fn check_image_with(&self, bytes: &[u8], limits: &DecodeLimits) -> Result<Verdict, Error> {
        let options = self.image_options().limits(*limits);
        if options.requested().is_empty() {
            return Ok(Verdict::default());
        }
        match hash_image(bytes, &options) {
            Ok(hashes) => Ok(self.check_image_hashes(&hashes)),
            Err(e) => {
                let mut verdict = Verdict::default();
                for &alg in options.requested() {
                    if let Some(digest) = file_digest(alg, bytes) {
                        self.hash_into(&digest, &mut verdict);
                    }
                }
                verdict.finish();
                if verdict.is_empty() {
                    Err(e)
                } else {
                    Ok(verdict)
                }
            }
        }
    }

    /// Checks hashes computed by [`hash_image`] (for callers that hash on a
    /// pool of their own). PDQ rows of every dihedral variant present are
    /// matched as one batch; `pdq-512` rows are not matched (lists hold
    /// full-resolution PDQ).
    pub fn check_image_hashes(&self, hashes: &ImageHashes) -> Verdict {
        let mut verdict = Verdict::default();
        let mut variants: Vec<PdqHash> = Vec::with_capacity(8);
        let mut quality = None;
        for d in Dihedral::ALL {
            if let Some(p) = hashes.pdq(Algorithm::Pdq, d) {
                if d == Dihedral::Original {
                    quality = Some(p.quality);
                }
                variants.push(p.hash);
            }
        }
        self.pdq_into(&variants, quality, &mut verdict);
        for h in hashes.hashes.iter().filter(|h| !h.algorithm.is_pdq()) {
            self.hash_into(&h.value, &mut verdict);
        }
        verdict.finish();
        verdict
    }

    /// Checks one hash computed elsewhere.
    pub fn check_hash(&self, hash: &HashValue) -> Verdict {
        let mut verdict = Verdict::default();
        self.hash_into(hash, &mut verdict);
        verdict.finish();
        verdict
    }

    /// Checks a PDQ hash together with its dihedral variants (in
    /// [`Dihedral::ALL`] order; the first is the image as stored), reporting
    /// each listed hash once with the variant at the smallest distance.
    pub fn check_pdq_variants(&self, variants: &[PdqHash], quality: Option<u8>) -> Verdict {
        let mut verdict = Verdict::default();
        self.pdq_into(variants, quality, &mut verdict);
        verdict.finish();
        verdict
    }

    fn hash_into(&self, hash: &HashValue, verdict: &mut Verdict) {
        let kind = hash.kind();
        match hash {
            HashValue::Pdq { hash, quality } => {
                self.pdq_into(std::slice::from_ref(hash), *quality, verdict);
            }
            HashValue::Phash(v) | HashValue::Dhash(v) => {
                self.images.hash64(kind, *v, |hit| {
                    self.image_match(verdict, hit, kind, *hash);
                });
            }
            HashValue::Md5(d) => self.digest_into(kind, d, hash, verdict),
            HashValue::Sha1(d) => self.digest_into(kind, d, hash, verdict),
            HashValue::Sha256(d) => self.digest_into(kind, d, hash, verdict),
        }
    }

    fn digest_into(&self, kind: EntryKind, d: &[u8], hash: &HashValue, verdict: &mut Verdict) {
        self.images.digest(kind, d, &self.entries, |hit| {
            self.image_match(verdict, hit, kind, *hash);
        });
    }

    fn pdq_into(&self, variants: &[PdqHash], quality: Option<u8>, verdict: &mut Verdict) {
        if variants.is_empty() || !self.images.has(EntryKind::Pdq) {
            return;
        }
        // A hash below a list's floor is not matched against that list, and
        // the verdict says so whether or not anything was near.
        if let Some(q) = quality {
            for list in self.lists.iter().filter(|l| l.has_pdq) {
                if q < list.thresholds.min_quality {
                    verdict.skip(
                        list,
                        SkipReason::LowQuality {
                            quality: q,
                            min_quality: list.thresholds.min_quality,
                        },
                    );
                }
            }
        }
        let words: Vec<[u64; 4]> = variants.iter().map(images::pdq_words).collect();
        self.images.pdq(&words, |hit| {
            let list = &self.lists[usize::from(self.entries.list(hit.entry))];
            if quality.is_some_and(|q| q < list.thresholds.min_quality) {
                return;
            }
            let Some(&hash) = variants.get(hit.variant.unwrap_or(0)) else {
                return;
            };
            self.image_match(
                verdict,
                hit,
                EntryKind::Pdq,
                HashValue::Pdq { hash, quality },
            );
        });
    }

    /// Turns a hit into a match if it is within its list's radius.
    fn image_match(&self, verdict: &mut Verdict, hit: ImageHit, kind: EntryKind, hash: HashValue) {
        let list = &self.lists[usize::from(self.entries.list(hit.entry))];
        if let Some(d) = hit.distance {
            let max = if kind == EntryKind::Pdq {
                list.thresholds.pdq_max_distance
            } else {
                list.thresholds.hash64_max_distance
            };
            if d > max {
                return;
            }
        }
        verdict.push(Match {
            list: Arc::clone(list),
            kind,
            reference: self.entries.reference(hit.entry).map(Box::from),
            matched: Matched::Hash(hash),
            distance: hit.distance,
            variant: (kind == EntryKind::Pdq).then(|| images::variant_at(hit.variant.unwrap_or(0))),
        });
    }
}
