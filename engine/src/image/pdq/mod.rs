//! PDQ, Meta's 256-bit perceptual hash, written from the published algorithm
//! and checked bit for bit against the reference implementation.
//!
//! Pipeline: luma → two passes of a box filter along rows then columns
//! (window `ceil(side / 128)`) → 64×64 samples → DCT keeping frequencies
//! 1–16 in each direction → one bit per coefficient, set when it exceeds the
//! median. See `engine/DESIGN.md` ("PDQ") for the exactness constraints.

mod dct;
mod dihedral;
mod luma;
mod quality;
mod rowsums;

use std::fmt;
use std::str::FromStr;

pub use dihedral::{Dihedral, UnknownDihedral};
use luma::LumaRows;

/// Images with a side shorter than this get the all-zero hash and quality 0,
/// as in the reference (`MIN_HASHABLE_DIM`).
pub const MIN_SIDE: usize = 5;

/// The side the `pdq-512` flavour resizes to when either side exceeds it.
pub const PDQ_512_SIDE: usize = 512;

/// A 256-bit PDQ hash.
///
/// Stored as the reference stores it: 16 words of 16 bits, bit `k` (for DCT
/// coefficient `(k / 16, k % 16)`) in word `k / 16`, bit `k % 16`. The hex
/// form prints word 15 first, four lowercase digits per word, as every
/// reference implementation and every shared hash list does.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PdqHash(pub [u16; 16]);

impl PdqHash {
    /// The hash with no bit set (what images smaller than 5×5 get).
    pub const ZERO: PdqHash = PdqHash([0; 16]);

    /// Bit `k` (0..256): whether DCT coefficient `(k / 16, k % 16)` exceeds
    /// the median.
    pub fn bit(&self, k: usize) -> bool {
        k < 256 && (self.0[k >> 4] >> (k & 15)) & 1 == 1
    }

    /// The number of bits in which two hashes differ; the reference calls
    /// two hashes a match at 31 or fewer.
    pub fn hamming_distance(&self, other: &PdqHash) -> u32 {
        self.0
            .iter()
            .zip(other.0.iter())
            .map(|(a, b)| (a ^ b).count_ones())
            .sum()
    }

    /// 64 lowercase hex digits, word 15 first.
    pub fn to_hex(&self) -> String {
        let mut s = String::with_capacity(64);
        for w in self.0.iter().rev() {
            // Writing to a String cannot fail.
            let _ = fmt::Write::write_fmt(&mut s, format_args!("{w:04x}"));
        }
        s
    }

    /// Parse 64 hex digits (either case), word 15 first; `None` otherwise.
    pub fn from_hex(s: &str) -> Option<PdqHash> {
        let bytes: [u8; 32] = hashwall_lists::hex::decode_array(s).ok()?;
        Some(PdqHash::from_bytes(&bytes))
    }

    /// The hash from the 32 bytes its hex form spells (word 15 first, each
    /// word big-endian).
    pub fn from_bytes(bytes: &[u8; 32]) -> PdqHash {
        let mut words = [0u16; 16];
        for (i, pair) in bytes.chunks_exact(2).enumerate() {
            words[15 - i] = u16::from_be_bytes([pair[0], pair[1]]);
        }
        PdqHash(words)
    }
}

impl fmt::Debug for PdqHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PdqHash({})", self.to_hex())
    }
}

impl fmt::Display for PdqHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// The error of [`PdqHash::from_str`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidPdqHex;

impl fmt::Display for InvalidPdqHex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a PDQ hash is 64 hexadecimal digits")
    }
}

impl std::error::Error for InvalidPdqHex {}

impl FromStr for PdqHash {
    type Err = InvalidPdqHex;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PdqHash::from_hex(s).ok_or(InvalidPdqHex)
    }
}

/// A PDQ hash with its quality (0–100; below 50 the reference advises not to
/// trust it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Pdq {
    /// The hash.
    pub hash: PdqHash,
    /// The reference's quality metric, 0–100.
    pub quality: u8,
}

/// The DCT coefficients of one image, from which the hash and its dihedral
/// variants are derived.
pub(crate) struct PdqCoefficients {
    coeffs: Option<[[f32; 16]; 16]>,
    quality: u8,
}

impl PdqCoefficients {
    /// The hash of the image transformed by `d`.
    pub(crate) fn hash(&self, d: Dihedral) -> Pdq {
        match &self.coeffs {
            None => Pdq {
                hash: PdqHash::ZERO,
                quality: 0,
            },
            Some(c) => Pdq {
                hash: bits(&d.apply(c)),
                quality: self.quality,
            },
        }
    }
}

/// One bit per coefficient: set when it is greater than the median.
///
/// The reference's median (Torben's algorithm on 256 values) is the 128th
/// smallest value, an element of the set; strict `>` then sets exactly the
/// coefficients above it.
fn bits(c: &[[f32; 16]; 16]) -> PdqHash {
    let mut flat = [0.0f32; 256];
    for (i, row) in c.iter().enumerate() {
        flat[i * 16..(i + 1) * 16].copy_from_slice(row);
    }
    let mut sorted = flat;
    let (_, median, _) = sorted.select_nth_unstable_by(127, f32::total_cmp);
    let median = *median;
    let mut words = [0u16; 16];
    for (k, &v) in flat.iter().enumerate() {
        if v > median {
            words[k >> 4] |= 1 << (k & 15);
        }
    }
    PdqHash(words)
}

/// Coefficients and quality from any luma source.
pub(crate) fn coefficients(src: &impl LumaRows) -> PdqCoefficients {
    let none = PdqCoefficients {
        coeffs: None,
        quality: 0,
    };
    if src.width() < MIN_SIDE || src.height() < MIN_SIDE {
        return none;
    }
    let a = luma::downsample(src);
    PdqCoefficients {
        quality: quality::quality(&a),
        coeffs: Some(dct::dct64_to_16(&a)),
    }
}

/// A row-major `f32` luma plane.
struct Plane<'a> {
    data: &'a [f32],
    width: usize,
    height: usize,
}

impl LumaRows for Plane<'_> {
    fn width(&self) -> usize {
        self.width
    }
    fn height(&self) -> usize {
        self.height
    }
    fn fill(&self, r: usize, out: &mut [f32]) {
        out.copy_from_slice(&self.data[r * self.width..(r + 1) * self.width]);
    }
}

/// PDQ of a row-major luma plane (`width · height` values, nominally
/// 0–255), for tests and benchmarks that bring their own pixels.
///
/// Returns `None` when `luma.len() != width * height`.
///
/// ```
/// use hashwall::image::pdq_from_luma;
/// let (w, h) = (100, 80);
/// let luma: Vec<f32> = (0..w * h).map(|i| ((i % w) * 2 + (i / w)) as f32).collect();
/// let pdq = pdq_from_luma(&luma, w, h).expect("dimensions match");
/// assert_eq!(pdq.hash.to_hex().len(), 64);
/// ```
pub fn pdq_from_luma(luma: &[f32], width: usize, height: usize) -> Option<Pdq> {
    pdq_dihedral_from_luma(luma, width, height).map(|all| all[0])
}

/// The eight dihedral PDQ hashes (in [`Dihedral::ALL`] order) of a row-major
/// luma plane; `None` when `luma.len() != width * height`.
pub fn pdq_dihedral_from_luma(luma: &[f32], width: usize, height: usize) -> Option<[Pdq; 8]> {
    if width.checked_mul(height)? != luma.len() {
        return None;
    }
    let c = coefficients(&Plane {
        data: luma,
        width,
        height,
    });
    Some(Dihedral::ALL.map(|d| c.hash(d)))
}

/// PDQ of decoded 8-bit RGB pixels (interleaved, row-major, `3 · width ·
/// height` bytes), with the `pdq` flavour (full resolution) when `resize_512`
/// is false and the `pdq-512` flavour otherwise. Returns the eight dihedral
/// variants in [`Dihedral::ALL`] order (the first is the hash itself), or
/// `None` when the buffer's length does not match.
///
/// For callers that decode themselves, and for benchmarks that separate
/// decoding from hashing.
pub fn pdq_from_rgb8(
    rgb: &[u8],
    width: usize,
    height: usize,
    resize_512: bool,
) -> Option<[Pdq; 8]> {
    if width.checked_mul(height)?.checked_mul(3)? != rgb.len() {
        return None;
    }
    let c = if resize_512 {
        coefficients(&Rgb8Resized::new(rgb, width, height))
    } else {
        coefficients(&Rgb8Full {
            data: rgb,
            width,
            height,
        })
    };
    Some(Dihedral::ALL.map(|d| c.hash(d)))
}

/// Luma of one row of RGB pixels for the `pdq` flavour.
///
/// The reference pipeline (Python `pdqhash`) computes
/// `r·0.299 + g·0.587 + b·0.114` in `f64` (NumPy promotes the `uint8` planes)
/// and rounds the sum to `f32`; so do we, with the same operations in the same
/// order. Written as plain arithmetic so that it vectorises; where the CPU has
/// AVX2 (checked at run time, since release builds target baseline x86-64)
/// the same code is compiled for it, four `f64` lanes at a time. IEEE
/// arithmetic without fused multiply-add gives identical results either way
/// (and Rust never fuses on its own).
#[inline]
fn luma_row_f64(row: &[u8], out: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            unsafe { luma_row_f64_avx2(row, out) };
            return;
        }
    }
    luma_row_f64_portable(row, out);
}

#[inline(always)]
fn luma_row_f64_portable(row: &[u8], out: &mut [f32]) {
    let (px, _) = row.as_chunks::<3>();
    for (o, p) in out.iter_mut().zip(px) {
        *o = ((f64::from(p[0]) * 0.299 + f64::from(p[1]) * 0.587) + f64::from(p[2]) * 0.114) as f32;
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn luma_row_f64_avx2(row: &[u8], out: &mut [f32]) {
    luma_row_f64_portable(row, out);
}

/// Luma tables for the `pdq-512` flavour: the C++ command-line hasher
/// multiplies by `f32` constants and adds in `f32`.
struct F32Tables([[f32; 256]; 3]);

fn f32_tables() -> &'static F32Tables {
    static T: std::sync::OnceLock<F32Tables> = std::sync::OnceLock::new();
    T.get_or_init(|| {
        let mut t = [[0.0f32; 256]; 3];
        #[allow(clippy::needless_range_loop)] // `v` is both index and value
        for v in 0..256 {
            t[0][v] = 0.299f32 * v as f32;
            t[1][v] = 0.587f32 * v as f32;
            t[2][v] = 0.114f32 * v as f32;
        }
        F32Tables(t)
    })
}

/// Interleaved 8-bit RGB pixels, row-major, hashed at full resolution with
/// the `pdq` flavour's luma.
pub(crate) struct Rgb8Full<'a> {
    pub(crate) data: &'a [u8],
    pub(crate) width: usize,
    pub(crate) height: usize,
}

impl LumaRows for Rgb8Full<'_> {
    fn width(&self) -> usize {
        self.width
    }
    fn height(&self) -> usize {
        self.height
    }
    #[inline]
    fn fill(&self, r: usize, out: &mut [f32]) {
        luma_row_f64(
            &self.data[r * self.width * 3..(r + 1) * self.width * 3],
            out,
        );
    }
}

/// Interleaved 8-bit RGB pixels seen through the C++ command-line hasher's
/// nearest-neighbour resize to 512×512 (when a side exceeds 512), with its
/// `f32` luma.
pub(crate) struct Rgb8Resized<'a> {
    data: &'a [u8],
    src_width: usize,
    width: usize,
    height: usize,
    xs: Vec<usize>,
    ys: Vec<usize>,
}

impl<'a> Rgb8Resized<'a> {
    pub(crate) fn new(data: &'a [u8], src_width: usize, src_height: usize) -> Self {
        let resize = src_width > PDQ_512_SIDE || src_height > PDQ_512_SIDE;
        let (width, height) = if resize {
            (PDQ_512_SIDE, PDQ_512_SIDE)
        } else {
            (src_width, src_height)
        };
        Rgb8Resized {
            data,
            src_width,
            width,
            height,
            xs: nearest_indices(src_width, width),
            ys: nearest_indices(src_height, height),
        }
    }
}

/// CImg's nearest-neighbour source index for each of `dst` outputs from `src`
/// inputs: `floor(x · src / dst)`, computed in `f64` (its resize accumulates
/// offsets `floor((x + 1) · src / dst) - floor(x · src / dst)` starting at 0,
/// which amounts to the same).
fn nearest_indices(src: usize, dst: usize) -> Vec<usize> {
    let f = src as f64 / dst as f64;
    (0..dst)
        .map(|x| ((x as f64 * f) as usize).min(src.saturating_sub(1)))
        .collect()
}

impl LumaRows for Rgb8Resized<'_> {
    fn width(&self) -> usize {
        self.width
    }
    fn height(&self) -> usize {
        self.height
    }
    #[inline]
    fn fill(&self, r: usize, out: &mut [f32]) {
        let t = &f32_tables().0;
        let y = self.ys[r];
        let row = &self.data[y * self.src_width * 3..(y + 1) * self.src_width * 3];
        for (o, &x) in out.iter_mut().zip(self.xs.iter()) {
            let p = &row[x * 3..x * 3 + 3];
            *o = (t[0][usize::from(p[0])] + t[1][usize::from(p[1])]) + t[2][usize::from(p[2])];
        }
    }
}

/// A JPEG decoded by our libjpeg-exact decoder, seen as luma rows: for
/// the `pdq` flavour at full resolution, or through the `pdq-512`
/// flavour's nearest-neighbour resize. Each row is converted to RGB with
/// libjpeg's arithmetic and reduced to luma with the same formulas as for
/// decoded RGB images in one loop, so the hash equals the one of the RGB
/// image libjpeg-turbo would have produced; no RGB image exists.
pub(crate) struct JpegLuma<'a> {
    planes: &'a crate::image::jpeg::Planes,
    width: usize,
    height: usize,
    /// Source column and row of each output pixel when resizing.
    resize: Option<(Vec<usize>, Vec<usize>)>,
    scratch: std::cell::RefCell<crate::image::jpeg::Scratch>,
    /// A full source row of `f32` luma, when resizing.
    row: std::cell::RefCell<Vec<f32>>,
}

impl<'a> JpegLuma<'a> {
    pub(crate) fn new(planes: &'a crate::image::jpeg::Planes, resize_512: bool) -> Self {
        let (sw, sh) = (planes.width(), planes.height());
        // `pdq-512` takes the C++ hasher's f32 luma even when it does not
        // resize: then every pixel is its own nearest neighbour.
        let resize = resize_512.then(|| {
            let big = sw > PDQ_512_SIDE || sh > PDQ_512_SIDE;
            let (w, h) = if big {
                (PDQ_512_SIDE, PDQ_512_SIDE)
            } else {
                (sw, sh)
            };
            (nearest_indices(sw, w), nearest_indices(sh, h))
        });
        let (width, height) = resize
            .as_ref()
            .map_or((sw, sh), |(xs, ys)| (xs.len(), ys.len()));
        JpegLuma {
            planes,
            width,
            height,
            resize,
            scratch: Default::default(),
            row: std::cell::RefCell::new(vec![0.0; sw]),
        }
    }
}

impl LumaRows for JpegLuma<'_> {
    fn width(&self) -> usize {
        self.width
    }
    fn height(&self) -> usize {
        self.height
    }
    #[inline]
    fn fill(&self, r: usize, out: &mut [f32]) {
        let src_r = self.resize.as_ref().map_or(r, |(_, ys)| ys[r]);
        let mut scratch = self.scratch.borrow_mut();
        let scratch = &mut *scratch;
        match &self.resize {
            None => self.planes.luma_row::<false>(src_r, out, scratch),
            Some((xs, _)) => {
                // The whole row (vectorised), then the sampled columns.
                let mut row = self.row.borrow_mut();
                self.planes.luma_row::<true>(src_r, &mut row, scratch);
                for (o, &x) in out.iter_mut().zip(xs.iter()) {
                    *o = row[x];
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_word_order() {
        let mut h = PdqHash::ZERO;
        h.0[15] = 0xabcd;
        h.0[0] = 0x0001;
        let hex = h.to_hex();
        assert!(hex.starts_with("abcd"));
        assert!(hex.ends_with("0001"));
        assert_eq!(PdqHash::from_hex(&hex), Some(h));
        assert_eq!(PdqHash::from_hex(&hex.to_uppercase()), Some(h));
        assert_eq!(PdqHash::from_hex("xyz"), None);
        assert!(h.bit(0) && !h.bit(1) && h.bit(15 * 16 + 0xd - 0xd));
        assert_eq!(h.hamming_distance(&PdqHash::ZERO), 11);
    }

    #[test]
    fn tiny_images_hash_to_zero() {
        let luma = vec![1.0f32; 4 * 100];
        let p = pdq_from_luma(&luma, 4, 100).expect("sizes match");
        assert_eq!(p.hash, PdqHash::ZERO);
        assert_eq!(p.quality, 0);
        assert!(pdq_from_luma(&luma, 5, 100).is_none());
    }

    #[test]
    fn grey_luma_of_the_pdq_flavour_is_the_grey_value() {
        // The reference hashes grey images as RGB with equal channels; make
        // sure the f64 formula gives back the grey level exactly.
        let row: Vec<u8> = (0..=255u8).flat_map(|v| [v, v, v]).collect();
        let mut out = vec![0.0f32; 256];
        luma_row_f64(&row, &mut out);
        for (v, &l) in out.iter().enumerate() {
            assert_eq!(l, v as f32);
        }
    }

    #[test]
    fn vectorised_luma_equals_the_scalar_formula() {
        // Every (r, g) pair with a spread of b values, against a scalar
        // evaluation that cannot be vectorised.
        let mut row = Vec::with_capacity(256 * 3 * 16);
        for r in 0..=255u8 {
            row.clear();
            for g in 0..=255u8 {
                for b in [0u8, 1, 17, 64, 127, 128, 200, 254, 255] {
                    row.extend_from_slice(&[r, g, b]);
                }
            }
            let mut out = vec![0.0f32; row.len() / 3];
            luma_row_f64(&row, &mut out);
            for (p, &l) in row.chunks_exact(3).zip(&out) {
                let want = std::hint::black_box(
                    (f64::from(p[0]) * 0.299 + f64::from(p[1]) * 0.587) + f64::from(p[2]) * 0.114,
                ) as f32;
                assert_eq!(l.to_bits(), want.to_bits(), "{p:?}");
            }
        }
    }

    #[test]
    fn jpeg_planes_hash_like_their_rgb_image() {
        // Luma straight from the planes (both flavours) must equal luma of
        // the RGB image the same decoder produces, bit for bit.
        for (w, h, grey) in [(600u32, 530u32, false), (97, 61, false), (530, 40, true)] {
            let img = image::RgbImage::from_fn(w, h, |x, y| {
                image::Rgb([
                    (x * 7 % 256) as u8,
                    (y * 3 % 256) as u8,
                    ((x ^ y) % 256) as u8,
                ])
            });
            let img = if grey {
                image::DynamicImage::ImageLuma8(image::DynamicImage::ImageRgb8(img).to_luma8())
            } else {
                image::DynamicImage::ImageRgb8(img)
            };
            let mut jpeg = Vec::new();
            let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 85);
            img.write_with_encoder(enc).expect("encodes");
            let planes =
                crate::image::jpeg::decode(&jpeg, 10_000, 10_000, 1 << 30).expect("decodes");
            let rgb = planes.to_rgb();
            let (w, h) = (w as usize, h as usize);
            let full = coefficients(&Rgb8Full {
                data: &rgb,
                width: w,
                height: h,
            });
            let fused = coefficients(&JpegLuma::new(&planes, false));
            assert_eq!(
                full.hash(Dihedral::Original),
                fused.hash(Dihedral::Original)
            );
            assert_eq!(
                full.coeffs.map(|c| c.map(|r| r.map(f32::to_bits))),
                fused.coeffs.map(|c| c.map(|r| r.map(f32::to_bits)))
            );
            let resized = coefficients(&Rgb8Resized::new(&rgb, w, h));
            let fused = coefficients(&JpegLuma::new(&planes, true));
            assert_eq!(
                resized.coeffs.map(|c| c.map(|r| r.map(f32::to_bits))),
                fused.coeffs.map(|c| c.map(|r| r.map(f32::to_bits)))
            );
        }
    }
}
