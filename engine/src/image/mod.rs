//! Image hashing: PDQ (two flavours), pHash, dHash and file digests, all
//! from one decode.
//!
//! Hotlines and police share *hashes*, not images. To match, we must hash an
//! image exactly the way those lists were made:
//!
//! * [`Algorithm::Pdq`] — PDQ at full resolution, what Meta's
//!   Hasher-Matcher-Actioner (and `pdqhash` in Python) computes. Bit-exact
//!   with it on the reference test images.
//! * [`Algorithm::Pdq512`] — PDQ after the C++ command-line hasher's
//!   nearest-neighbour resize to 512×512 (when a side exceeds 512).
//! * [`Algorithm::Phash`], [`Algorithm::Dhash`] — 64-bit perceptual hashes.
//! * [`Algorithm::Md5`], [`Algorithm::Sha1`], [`Algorithm::Sha256`] — of the
//!   raw file bytes, for exact-file lists.
//!
//! ```
//! use hashwall::image::{hash_image, Algorithm, HashOptions};
//!
//! // A 64×48 grey gradient as a PNG, made here so the example is self-contained.
//! let img = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([(x * 4) as u8, (y * 5) as u8, 128]));
//! let mut png = Vec::new();
//! img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
//!
//! let opts = HashOptions::new().algorithms([Algorithm::Pdq, Algorithm::Sha256]);
//! let hashes = hash_image(&png, &opts)?;
//! let pdq = hashes.get(Algorithm::Pdq).expect("requested");
//! assert_eq!(pdq.value.to_string().len(), 64);
//! assert!(pdq.quality().is_some());
//! assert_eq!(hashes.get(Algorithm::Sha256).map(|h| h.quality()), Some(None));
//! # Ok::<(), hashwall::Error>(())
//! ```

mod decode;
mod digest;
mod jpeg;
pub mod pdq;
mod perceptual;
mod reuse;
#[cfg(target_arch = "x86_64")]
mod transpose;
mod value;

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, Instant};

pub use decode::{ALPHA_BACKGROUND, DecodeLimits};
pub use pdq::{Dihedral, Pdq, PdqHash, pdq_dihedral_from_luma, pdq_from_luma, pdq_from_rgb8};
pub use perceptual::PRESHRINK_SIDE;
pub use value::HashValue;

pub(crate) use digest::digest as file_digest;

use hashwall_lists::EntryKind;

use crate::Error;

/// Fuzzing hook, not API: runs the built-in baseline JPEG decoder alone —
/// header parsing, Huffman decoding, IDCT, upsampling and colour
/// conversion — outside [`hash_image`]'s panic guard, so that a panic in
/// our own decoder is a fuzzer crash instead of a `DecoderPanic` error
/// (which the guard must keep allowing for third-party decoders). `None`
/// when the decoder declines the file (the general decoder would take it).
#[doc(hidden)]
pub fn fuzz_baseline_jpeg(bytes: &[u8], limits: &DecodeLimits) -> Option<(u32, u32, Vec<u8>)> {
    let planes = jpeg::decode(bytes, limits.max_width, limits.max_height, limits.max_alloc)?;
    let rgb = planes.to_rgb();
    // Both fit in u16 (JPEG header fields).
    Some((planes.width() as u32, planes.height() as u32, rgb))
}

/// A hash algorithm, with the token used in hash lists and on the command
/// line (`pdq pdq-512 phash dhash md5 sha1 sha256`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Algorithm {
    /// PDQ at full resolution (Hasher-Matcher-Actioner, Python `pdqhash`).
    Pdq,
    /// PDQ after a nearest-neighbour resize to 512×512 when a side exceeds
    /// 512 (the reference C++ command-line hasher).
    Pdq512,
    /// 64-bit DCT perceptual hash (`image_hasher`, median threshold).
    Phash,
    /// 64-bit difference (gradient) hash (`image_hasher`).
    Dhash,
    /// MD5 of the file bytes.
    Md5,
    /// SHA-1 of the file bytes.
    Sha1,
    /// SHA-256 of the file bytes.
    Sha256,
}

impl Algorithm {
    /// Every algorithm.
    pub const ALL: [Algorithm; 7] = [
        Algorithm::Pdq,
        Algorithm::Pdq512,
        Algorithm::Phash,
        Algorithm::Dhash,
        Algorithm::Md5,
        Algorithm::Sha1,
        Algorithm::Sha256,
    ];

    /// The token: `pdq`, `pdq-512`, `phash`, `dhash`, `md5`, `sha1`, `sha256`.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Pdq => "pdq",
            Algorithm::Pdq512 => "pdq-512",
            Algorithm::Phash => "phash",
            Algorithm::Dhash => "dhash",
            Algorithm::Md5 => "md5",
            Algorithm::Sha1 => "sha1",
            Algorithm::Sha256 => "sha256",
        }
    }

    /// Whether the algorithm looks at pixels (and so needs a decode).
    pub fn is_perceptual(self) -> bool {
        matches!(
            self,
            Algorithm::Pdq | Algorithm::Pdq512 | Algorithm::Phash | Algorithm::Dhash
        )
    }

    /// Whether the algorithm is a PDQ flavour (has quality and dihedral
    /// variants).
    pub fn is_pdq(self) -> bool {
        matches!(self, Algorithm::Pdq | Algorithm::Pdq512)
    }

    /// The kind of list entry its hashes are matched against (both PDQ
    /// flavours give `pdq` hashes).
    pub fn entry_kind(self) -> EntryKind {
        match self {
            Algorithm::Pdq | Algorithm::Pdq512 => EntryKind::Pdq,
            Algorithm::Phash => EntryKind::Phash,
            Algorithm::Dhash => EntryKind::Dhash,
            Algorithm::Md5 => EntryKind::Md5,
            Algorithm::Sha1 => EntryKind::Sha1,
            Algorithm::Sha256 => EntryKind::Sha256,
        }
    }

    /// The algorithm a snapshot hashes images with to match entries of
    /// `kind`: full-resolution [`Algorithm::Pdq`] for `pdq` (what
    /// Hasher-Matcher-Actioner computes); `None` for URL kinds.
    pub fn for_entry_kind(kind: EntryKind) -> Option<Algorithm> {
        Algorithm::ALL
            .into_iter()
            .find(|a| *a != Algorithm::Pdq512 && a.entry_kind() == kind)
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of parsing an [`Algorithm`] token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownAlgorithm(pub String);

impl fmt::Display for UnknownAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown hash algorithm `{}` (expected one of pdq, pdq-512, phash, dhash, md5, sha1, sha256)",
            self.0
        )
    }
}

impl std::error::Error for UnknownAlgorithm {}

impl FromStr for Algorithm {
    type Err = UnknownAlgorithm;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Algorithm::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| UnknownAlgorithm(s.to_owned()))
    }
}

/// What [`hash_image`] computes, and how.
///
/// Defaults: PDQ and MD5, no dihedral variants, no EXIF orientation (hash
/// lists were built from the stored pixels), [`DecodeLimits::default`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HashOptions {
    algorithms: Vec<Algorithm>,
    dihedral: bool,
    exif_orientation: bool,
    limits: DecodeLimits,
}

impl Default for HashOptions {
    fn default() -> Self {
        HashOptions {
            algorithms: vec![Algorithm::Pdq, Algorithm::Md5],
            dihedral: false,
            exif_orientation: false,
            limits: DecodeLimits::default(),
        }
    }
}

impl HashOptions {
    /// The defaults (see the type's documentation).
    pub fn new() -> Self {
        HashOptions::default()
    }

    /// Compute exactly these algorithms, in this order (duplicates dropped).
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms.clear();
        for a in algorithms {
            if !self.algorithms.contains(&a) {
                self.algorithms.push(a);
            }
        }
        self
    }

    /// Also report the seven other dihedral variants (rotations and mirror
    /// images) of each PDQ hash; they come from the same DCT, at no extra
    /// decoding or filtering cost.
    pub fn dihedral(mut self, on: bool) -> Self {
        self.dihedral = on;
        self
    }

    /// Rotate the image upright according to its EXIF orientation before
    /// hashing perceptually. Off by default: no reference does it, so the
    /// shared lists hash the stored pixels.
    pub fn exif_orientation(mut self, on: bool) -> Self {
        self.exif_orientation = on;
        self
    }

    /// Decoding limits.
    pub fn limits(mut self, limits: DecodeLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The algorithms requested.
    pub fn requested(&self) -> &[Algorithm] {
        &self.algorithms
    }

    /// Whether dihedral variants are requested.
    pub fn dihedral_enabled(&self) -> bool {
        self.dihedral
    }

    /// Whether EXIF orientation is applied.
    pub fn exif_enabled(&self) -> bool {
        self.exif_orientation
    }

    /// The decoding limits.
    pub fn decode_limits(&self) -> &DecodeLimits {
        &self.limits
    }
}

/// One computed hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImageHash {
    /// How it was computed.
    pub algorithm: Algorithm,
    /// Which dihedral variant ([`Dihedral::Original`] except for the extra
    /// PDQ rows requested with [`HashOptions::dihedral`]).
    pub variant: Dihedral,
    /// The hash (its kind is `algorithm.entry_kind()`; PDQ rows carry their
    /// quality). `Display` prints it as lists write it.
    pub value: HashValue,
}

impl ImageHash {
    /// PDQ quality (0–100); `None` for algorithms without one.
    pub fn quality(&self) -> Option<u8> {
        self.value.quality()
    }

    /// The algorithm token, with `/variant` for dihedral variants other than
    /// the original (`pdq`, `pdq/rot90`, `pdq-512/flipx` …).
    pub fn label(&self) -> String {
        match self.variant {
            Dihedral::Original => self.algorithm.as_str().to_owned(),
            v => format!("{}/{}", self.algorithm.as_str(), v.as_str()),
        }
    }
}

/// Everything [`hash_image`] computed for one image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageHashes {
    /// The hashes, in the order requested (dihedral variants follow their
    /// original, in [`Dihedral::ALL`] order).
    pub hashes: Vec<ImageHash>,
    /// Width and height of the decoded image (after EXIF rotation), when
    /// a perceptual hash required decoding it.
    pub dimensions: Option<(u32, u32)>,
    /// Time spent decoding.
    pub decode_time: Duration,
    /// Time spent hashing (all algorithms).
    pub hash_time: Duration,
}

impl ImageHashes {
    /// The (original-orientation) hash computed with `algorithm`.
    pub fn get(&self, algorithm: Algorithm) -> Option<&ImageHash> {
        self.hashes
            .iter()
            .find(|h| h.algorithm == algorithm && h.variant == Dihedral::Original)
    }

    /// The PDQ hash and quality of a PDQ flavour, with variant `variant`.
    pub fn pdq(&self, algorithm: Algorithm, variant: Dihedral) -> Option<Pdq> {
        self.hashes
            .iter()
            .filter(|h| h.algorithm == algorithm && h.variant == variant)
            .find_map(|h| match h.value {
                HashValue::Pdq {
                    hash,
                    quality: Some(quality),
                } => Some(Pdq { hash, quality }),
                _ => None,
            })
    }
}

/// Hash one image (the bytes of a whole file) with every algorithm in
/// `options`, decoding it at most once.
///
/// Digests are of the bytes as given; perceptual hashes need a decodable
/// JPEG, PNG, GIF (first frame), WebP, BMP or TIFF within the limits, and
/// fail with [`crate::ErrorKind::Image`] otherwise.
///
/// ```
/// use hashwall::image::{hash_image, Algorithm, Dihedral, HashOptions};
/// use hashwall::{ErrorKind, ImageErrorKind};
///
/// // A small RGB picture encoded as PNG, so that the example is self-contained.
/// let img = image::RgbImage::from_fn(96, 64, |x, y| image::Rgb([(x * 2) as u8, (y * 3) as u8, ((x * y) % 256) as u8]));
/// let mut png = Vec::new();
/// img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).expect("encodes");
///
/// let opts = HashOptions::new()
///     .algorithms([Algorithm::Pdq, Algorithm::Pdq512, Algorithm::Md5])
///     .dihedral(true);
/// let hashes = hash_image(&png, &opts)?;
/// let pdq = hashes.pdq(Algorithm::Pdq, Dihedral::Original).expect("requested");
/// println!("{} quality {}", pdq.hash, pdq.quality);
/// // 8 PDQ rows per flavour with `dihedral`, then the MD5.
/// assert_eq!(hashes.hashes.len(), 17);
/// assert_eq!(hashes.hashes[1].label(), "pdq/rot90");
/// assert_eq!(hashes.get(Algorithm::Md5).map(|h| h.quality()), Some(None));
///
/// // Digests need no decode; perceptual hashes of a non-image fail, typed.
/// let err = hash_image(b"not an image", &opts).expect_err("not decodable");
/// assert_eq!(err.kind(), ErrorKind::Image(ImageErrorKind::Unsupported));
/// # Ok::<(), hashwall::Error>(())
/// ```
pub fn hash_image(bytes: &[u8], options: &HashOptions) -> Result<ImageHashes, Error> {
    // A panic anywhere (decoder, our JPEG decoder, hashing) becomes a typed
    // error for this file.
    decode::guarded(|| hash_image_inner(bytes, options))
}

fn hash_image_inner(bytes: &[u8], options: &HashOptions) -> Result<ImageHashes, Error> {
    let mut out = ImageHashes {
        hashes: Vec::with_capacity(options.algorithms.len()),
        dimensions: None,
        decode_time: Duration::ZERO,
        hash_time: Duration::ZERO,
    };
    let decoded = if options.algorithms.iter().any(|a| a.is_perceptual()) {
        let t = Instant::now();
        let d = decode::decode(bytes, &options.limits, options.exif_orientation)?;
        out.decode_time = t.elapsed();
        out.dimensions = Some(d.dimensions());
        Some(d)
    } else {
        None
    };
    let t = Instant::now();
    // pHash and dHash share one shrunken copy.
    let mut small: Option<Option<image::DynamicImage>> = None;
    let mut full: Option<image::DynamicImage> = None;
    for &alg in &options.algorithms {
        match alg {
            Algorithm::Pdq | Algorithm::Pdq512 => {
                let Some(d) = &decoded else { continue };
                let coeffs = match d {
                    decode::Decoded::Jpeg(p) => {
                        pdq::coefficients(&pdq::JpegLuma::new(p, alg == Algorithm::Pdq512))
                    }
                    decode::Decoded::Rgb(rgb) => {
                        let (w, h) = (rgb.width() as usize, rgb.height() as usize);
                        if alg == Algorithm::Pdq {
                            pdq::coefficients(&pdq::Rgb8Full {
                                data: rgb.as_raw(),
                                width: w,
                                height: h,
                            })
                        } else {
                            pdq::coefficients(&pdq::Rgb8Resized::new(rgb.as_raw(), w, h))
                        }
                    }
                };
                let variants: &[Dihedral] = if options.dihedral {
                    &Dihedral::ALL
                } else {
                    &[Dihedral::Original]
                };
                for &v in variants {
                    let p = coeffs.hash(v);
                    out.hashes.push(ImageHash {
                        algorithm: alg,
                        variant: v,
                        value: HashValue::Pdq {
                            hash: p.hash,
                            quality: Some(p.quality),
                        },
                    });
                }
            }
            Algorithm::Phash | Algorithm::Dhash => {
                let Some(d) = &decoded else { continue };
                let small = small.get_or_insert_with(|| {
                    let f = full.get_or_insert_with(|| d.to_dynamic());
                    perceptual::preshrink(f)
                });
                let img = match small {
                    Some(s) => &*s,
                    None => full.get_or_insert_with(|| d.to_dynamic()),
                };
                let value = if alg == Algorithm::Phash {
                    HashValue::Phash(perceptual::phash(img))
                } else {
                    HashValue::Dhash(perceptual::dhash(img))
                };
                out.hashes.push(ImageHash {
                    algorithm: alg,
                    variant: Dihedral::Original,
                    value,
                });
            }
            Algorithm::Md5 | Algorithm::Sha1 | Algorithm::Sha256 => {
                if let Some(value) = digest::digest(alg, bytes) {
                    out.hashes.push(ImageHash {
                        algorithm: alg,
                        variant: Dihedral::Original,
                        value,
                    });
                }
            }
        }
    }
    out.hash_time = t.elapsed();
    Ok(out)
}
