//! Safe decoding of untrusted image bytes into 8-bit RGB (or, for most
//! JPEGs, into libjpeg-exact planes: see [`super::jpeg`]).
//!
//! * Only JPEG, PNG, GIF (first frame), WebP, BMP and TIFF are compiled in
//!   (`image` with `default-features = false`).
//! * [`DecodeLimits`] bound width, height and memory. `image` checks the
//!   header's dimensions against them before allocating the pixel buffer, so
//!   a decompression bomb (a small file claiming 100 000 × 100 000 pixels) is
//!   refused up front.
//! * A panic inside a decoder (or anywhere in `hash_image`) is caught and
//!   becomes [`ImageErrorKind::DecoderPanic`].
//! * Every colour model ends as 8-bit RGB: palettes are expanded (never
//!   hashed on their indices), grey and 1-bit images are replicated to three
//!   channels at full scale (1-bit black/white are 0/255), 16-bit and float
//!   samples are scaled to 8 bits, CMYK/YCCK JPEGs are converted to RGB by
//!   the decoder, and alpha is composited onto [`ALPHA_BACKGROUND`].

use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};

use image::{DynamicImage, ImageDecoder, ImageError, ImageReader, RgbImage};

use crate::{Error, ImageErrorKind};

/// The background transparent pixels are composited onto: black.
///
/// Black is what the reference pipelines end up with for the usual encoding
/// of fully transparent pixels (RGB 0 under alpha 0, which they hash as is,
/// ignoring alpha), so hashes of such images agree with theirs; compositing
/// (rather than ignoring alpha as they do) means that pixels nobody can see
/// — arbitrary colours under alpha 0 — cannot steer the hash.
pub const ALPHA_BACKGROUND: [u8; 3] = [0, 0, 0];

/// Limits applied while decoding untrusted images.
///
/// Defaults: 16 384 pixels per side and 512 MiB of memory for the decoder's
/// buffers. Converting to 8-bit RGB may need another 3 bytes per pixel,
/// checked against the same limit; PDQ itself needs only a few dozen rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeLimits {
    /// Largest accepted width in pixels.
    pub max_width: u32,
    /// Largest accepted height in pixels.
    pub max_height: u32,
    /// Largest memory, in bytes, the decoder may allocate at once (and the
    /// largest working buffer hashing may allocate).
    pub max_alloc: u64,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        DecodeLimits {
            max_width: 16_384,
            max_height: 16_384,
            max_alloc: 512 << 20,
        }
    }
}

/// A decoded image, after the optional EXIF rotation.
pub(crate) enum Decoded {
    /// 8-bit RGB from the general decoder.
    Rgb(RgbImage),
    /// A JPEG from our libjpeg-exact decoder, kept as planes (see
    /// [`super::jpeg`]).
    Jpeg(super::jpeg::Planes),
}

impl Decoded {
    /// Width and height in pixels.
    pub(crate) fn dimensions(&self) -> (u32, u32) {
        match self {
            Decoded::Rgb(i) => i.dimensions(),
            // Both fit in u16 (JPEG header fields).
            Decoded::Jpeg(p) => (p.width() as u32, p.height() as u32),
        }
    }

    /// The image as 8-bit RGB (a copy), for the hashes that need one.
    pub(crate) fn to_dynamic(&self) -> DynamicImage {
        match self {
            Decoded::Rgb(i) => DynamicImage::ImageRgb8(i.clone()),
            Decoded::Jpeg(p) => DynamicImage::ImageRgb8(jpeg_rgb(p)),
        }
    }
}

/// Our decoder's planes as an RGB image.
fn jpeg_rgb(p: &super::jpeg::Planes) -> RgbImage {
    let (w, h) = (p.width() as u32, p.height() as u32);
    // The buffer has exactly w·h·3 bytes, so `from_raw` cannot refuse it.
    RgbImage::from_raw(w, h, p.to_rgb()).unwrap_or_else(|| RgbImage::new(w, h))
}

/// Decode `bytes` under `limits`, applying the EXIF orientation when `exif`.
pub(crate) fn decode(bytes: &[u8], limits: &DecodeLimits, exif: bool) -> Result<Decoded, Error> {
    if bytes.is_empty() {
        return Err(Error::image(ImageErrorKind::Empty, "empty input"));
    }
    decode_inner(bytes, limits, exif)
}

/// Run `f`, turning a panic into [`ImageErrorKind::DecoderPanic`].
///
/// Decoders are large and parse hostile input; a panic in one (or in the
/// hashing of what it produced) must cost us one file, not the process.
/// Nothing `f` touches outlives it, so unwind safety is not a concern.
pub(crate) fn guarded<T>(f: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(_) => Err(Error::image(
            ImageErrorKind::DecoderPanic,
            "decoding or hashing panicked on this input",
        )),
    }
}

fn decode_inner(bytes: &[u8], limits: &DecodeLimits, exif: bool) -> Result<Decoded, Error> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| {
            Error::image(ImageErrorKind::Corrupt, "cannot read the input").with_source(e)
        })?;
    let format = reader.format().ok_or_else(|| {
        Error::image(
            ImageErrorKind::Unsupported,
            "not a JPEG, PNG, GIF, WebP, BMP or TIFF image",
        )
    })?;
    if format == image::ImageFormat::Jpeg && jpeg_truncated(bytes) {
        // zune-jpeg fills a truncated scan with grey rather than failing;
        // a hash of half an image would silently miss, so refuse it.
        return Err(Error::image(
            ImageErrorKind::Truncated,
            "truncated JPEG: no end-of-image marker after the last scan",
        ));
    }
    let mut l = image::Limits::default();
    l.max_image_width = Some(limits.max_width);
    l.max_image_height = Some(limits.max_height);
    l.max_alloc = Some(limits.max_alloc);
    reader.limits(l);
    // Most photos: our libjpeg-exact decoder (see `super::jpeg`); anything
    // it does not handle goes to `image`, which also classifies errors.
    if format == image::ImageFormat::Jpeg
        && let Some(planes) =
            super::jpeg::decode(bytes, limits.max_width, limits.max_height, limits.max_alloc)
    {
        let orientation = if exif {
            reader
                .into_decoder()
                .ok()
                .and_then(|mut d| d.orientation().ok())
        } else {
            None
        };
        return Ok(match orientation {
            None | Some(image::metadata::Orientation::NoTransforms) => Decoded::Jpeg(planes),
            Some(o) => {
                let mut img = DynamicImage::ImageRgb8(jpeg_rgb(&planes));
                img.apply_orientation(o);
                Decoded::Rgb(img.into_rgb8())
            }
        });
    }
    let mut decoder = reader.into_decoder().map_err(map_error)?;
    let orientation = if exif {
        // A broken EXIF block should not make the image unhashable: hash it
        // as stored, as the reference does.
        decoder.orientation().ok()
    } else {
        None
    };
    let (w, h) = decoder.dimensions();
    // A GIF or TIFF may declare a zero side and still "decode": hashes of
    // no pixels are constants that say nothing about the file.
    if w == 0 || h == 0 {
        return Err(Error::image(
            ImageErrorKind::Corrupt,
            format!("{w}×{h} pixels: the image is empty"),
        ));
    }
    // Our own copy in 8-bit RGB (3 bytes per pixel), made for every model
    // but 8-bit RGB, must fit the same budget as the decoder's buffer.
    if u64::from(w) * u64::from(h) * 3 > limits.max_alloc {
        return Err(Error::image(
            ImageErrorKind::TooLarge,
            format!("{w}×{h} pixels exceed the memory limit"),
        ));
    }
    let mut img = DynamicImage::from_decoder(decoder).map_err(map_error)?;
    if let Some(o) = orientation {
        img.apply_orientation(o);
    }
    Ok(Decoded::Rgb(to_rgb8(img)))
}

/// Every colour model to 8-bit RGB (see the module documentation).
fn to_rgb8(img: DynamicImage) -> RgbImage {
    if !img.color().has_alpha() {
        // Grey (including expanded 1-bit), RGB, 16-bit and float images:
        // `image` replicates grey and scales deeper samples with rounding.
        return img.into_rgb8();
    }
    let rgba = img.into_rgba8();
    let (w, h) = rgba.dimensions();
    let mut out = RgbImage::new(w, h);
    for (o, p) in out.pixels_mut().zip(rgba.pixels()) {
        let a = u32::from(p.0[3]);
        for ((o, &fg), &bg) in o.0.iter_mut().zip(&p.0[..3]).zip(&ALPHA_BACKGROUND) {
            let (fg, bg) = (u32::from(fg), u32::from(bg));
            // Rounded `fg·a + bg·(1−a)`; exact (fg) when opaque.
            *o = ((fg * a + bg * (255 - a) + 127) / 255) as u8;
        }
    }
    out
}

/// Whether a JPEG stream lacks an EOI marker after its last start-of-scan.
///
/// Inside entropy-coded data `0xFF` is always followed by `0x00` or a
/// restart marker, so `FF D9` after the last `FF DA` can only be the real end
/// of image. (An embedded EXIF thumbnail has its own markers, but they come
/// before the main image's scans.) Trailing bytes after EOI are accepted.
fn jpeg_truncated(bytes: &[u8]) -> bool {
    // Search from the end: the EOI is normally the last two bytes, so this
    // costs almost nothing, unlike a scan of the whole file.
    let Some(eoi) = bytes.windows(2).rposition(|w| w == [0xFF, 0xD9]) else {
        return true;
    };
    bytes[eoi..].windows(2).any(|w| w == [0xFF, 0xDA])
}

/// `image`'s error, classified.
fn map_error(e: ImageError) -> Error {
    let (kind, what) = match &e {
        ImageError::Limits(_) => (
            ImageErrorKind::TooLarge,
            "image exceeds the decoding limits",
        ),
        ImageError::Unsupported(_) => (ImageErrorKind::Unsupported, "unsupported image"),
        ImageError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            (ImageErrorKind::Truncated, "truncated image")
        }
        _ if looks_truncated(&e) => (ImageErrorKind::Truncated, "truncated image"),
        _ => (ImageErrorKind::Corrupt, "corrupt image"),
    };
    Error::image(kind, what).with_source(e)
}

/// Decoders report running out of input in their own words; recognise the
/// common ones so that truncation is not reported as corruption.
fn looks_truncated(e: &ImageError) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::UnexpectedEof
        {
            return true;
        }
        let msg = err.to_string().to_ascii_lowercase();
        if msg.contains("eof")
            || msg.contains("end of file")
            || msg.contains("unexpected end")
            || msg.contains("truncat")
            || msg.contains("no more data")
            || msg.contains("not enough data")
        {
            return true;
        }
        cur = err.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panicking_decoder_becomes_an_error() {
        let r: Result<(), Error> = guarded(|| panic!("decoder bug"));
        let e = r.expect_err("panic caught");
        assert_eq!(
            e.kind(),
            crate::ErrorKind::Image(ImageErrorKind::DecoderPanic)
        );
    }

    #[test]
    fn jpeg_truncation_check() {
        assert!(jpeg_truncated(&[0xFF, 0xD8, 0xFF, 0xDA, 1, 2, 3]));
        assert!(!jpeg_truncated(&[
            0xFF, 0xD8, 0xFF, 0xDA, 1, 2, 0xFF, 0xD9, 0, 0
        ]));
        // A thumbnail's EOI before the main scan does not count.
        assert!(jpeg_truncated(&[0xFF, 0xDA, 0xFF, 0xD9, 0xFF, 0xDA, 7]));
    }

    /// Found by the image_hash fuzz target: a GIF whose screen and frame
    /// are 257×0 decoded "successfully", and was hashed as an empty image.
    #[test]
    fn an_image_without_pixels_is_corrupt() {
        let gif: &[u8] = b"GIF89a\x01\x01\x00\x00\x80\x00Z\\\x00\x00\x00\x00\x00\
            !\xf9\x04\x08\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x80\xc8\
            \n\n\x00\x00\x00\x02\x02D\x01\x00;";
        let e = match decode(gif, &DecodeLimits::default(), false) {
            Ok(d) => panic!("decoded {:?}", d.dimensions()),
            Err(e) => e,
        };
        assert_eq!(e.kind(), crate::ErrorKind::Image(ImageErrorKind::Corrupt));
    }
}
