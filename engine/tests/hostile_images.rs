//! Hostile images, one table per threat, each case with its expected outcome
//! (issue 7): decompression bombs in every enabled format, truncated files of
//! every format, polyglots, and an animated GIF with 5 000 frames.
//!
//! Every input is generated here (never a large committed file). Memory is
//! checked by counting: a global allocator records, per thread, the bytes
//! allocated and the largest single allocation while a case runs, so a bomb
//! that allocated its claimed pixel buffer — or a GIF whose every frame was
//! decoded — fails the test whatever the machine's speed.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::Cursor;

use hashwall::image::{Algorithm, DecodeLimits, Dihedral, HashOptions, PdqHash, hash_image};
use hashwall::{Error, ErrorKind, ImageErrorKind};
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};

struct Counting;

thread_local! {
    static ON: Cell<bool> = const { Cell::new(false) };
    static TOTAL: Cell<u64> = const { Cell::new(0) };
    static LARGEST: Cell<u64> = const { Cell::new(0) };
}

fn record(size: usize) {
    let _ = ON.try_with(|on| {
        if on.get() {
            let size = size as u64;
            let _ = TOTAL.try_with(|t| t.set(t.get() + size));
            let _ = LARGEST.try_with(|l| l.set(l.get().max(size)));
        }
    });
}

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        record(layout.size());
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        record(layout.size());
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        record(new_size);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// What a call allocated on this thread: (total bytes, largest allocation).
struct Usage {
    total: u64,
    largest: u64,
}

fn measured<T>(f: impl FnOnce() -> T) -> (T, Usage) {
    TOTAL.with(|t| t.set(0));
    LARGEST.with(|l| l.set(0));
    ON.with(|on| on.set(true));
    let out = f();
    ON.with(|on| on.set(false));
    let usage = Usage {
        total: TOTAL.with(Cell::get),
        largest: LARGEST.with(Cell::get),
    };
    (out, usage)
}

const MIB: u64 = 1 << 20;

fn pdq_only() -> HashOptions {
    HashOptions::new().algorithms([Algorithm::Pdq])
}

fn kind_of(r: Result<hashwall::image::ImageHashes, Error>) -> Result<(), ImageErrorKind> {
    match r {
        Ok(_) => Ok(()),
        Err(e) => match e.kind() {
            ErrorKind::Image(k) => Err(k),
            other => panic!("not an image error: {other:?} ({e})"),
        },
    }
}

/// A textured picture, so that PDQ has something to see.
fn picture(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        let (fx, fy) = (x as f32 / w as f32, y as f32 / h as f32);
        let disc = ((fx - 0.3).powi(2) + (fy - 0.4).powi(2)) < 0.04;
        Rgb([
            (255.0 * fx) as u8,
            if disc { 250 } else { (200.0 * fy) as u8 },
            (128.0 + 100.0 * (fx * 9.0).sin()) as u8,
        ])
    })
}

fn encode(img: &RgbImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Vec::new();
    DynamicImage::ImageRgb8(img.clone())
        .write_to(&mut Cursor::new(&mut out), format)
        .expect("encodes");
    out
}

fn pdq(bytes: &[u8]) -> PdqHash {
    let h = hash_image(bytes, &pdq_only()).expect("hashes");
    h.pdq(Algorithm::Pdq, Dihedral::Original).expect("pdq").hash
}

fn crc32(data: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for &b in data {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 == 1 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}

fn find(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len())
        .position(|w| w == needle)
        .expect("marker present")
}

// ---------------------------------------------------------------------------
// Bombs: a real small file of each format whose header is rewritten to claim
// a huge canvas. The decoders size their buffers from the header, so each of
// these would allocate gigabytes if the limits were checked late.

fn png_bomb() -> Vec<u8> {
    let mut b = encode(&picture(64, 48), ImageFormat::Png);
    // IHDR: length(4) "IHDR"(4) width(4) height(4) … CRC over type+data.
    b[16..20].copy_from_slice(&100_000u32.to_be_bytes());
    b[20..24].copy_from_slice(&100_000u32.to_be_bytes());
    let crc = crc32(&b[12..29]);
    b[29..33].copy_from_slice(&crc.to_be_bytes());
    b
}

fn jpeg_bomb() -> Vec<u8> {
    let mut b = encode(&picture(64, 48), ImageFormat::Jpeg);
    // SOF0: FF C0, length(2), precision(1), height(2), width(2).
    let sof = find(&b, &[0xFF, 0xC0]);
    b[sof + 5..sof + 7].copy_from_slice(&65_000u16.to_be_bytes());
    b[sof + 7..sof + 9].copy_from_slice(&65_000u16.to_be_bytes());
    b
}

fn gif_bomb() -> Vec<u8> {
    let mut b = encode(&picture(64, 48), ImageFormat::Gif);
    // Logical screen and the first image descriptor, both 65 000².
    b[6..8].copy_from_slice(&65_000u16.to_le_bytes());
    b[8..10].copy_from_slice(&65_000u16.to_le_bytes());
    let d = gif_blocks(&b)
        .iter()
        .find(|(_, block)| block[0] == 0x2C)
        .expect("an image descriptor")
        .0;
    b[d + 5..d + 7].copy_from_slice(&65_000u16.to_le_bytes());
    b[d + 7..d + 9].copy_from_slice(&65_000u16.to_le_bytes());
    b
}

fn webp_bomb() -> Vec<u8> {
    let mut b = encode(&picture(64, 48), ImageFormat::WebP);
    // `image` writes lossless VP8L: signature 0x2F, then 14 bits width-1,
    // 14 bits height-1, 1 bit alpha, 3 bits version (little-endian bits).
    // 16 383², not the format's 16 384²: image-webp 0.2 reads a width-1 of
    // 16 383 as 0 (`(1 + x) & 0x3FFF`) and reports that as corrupt.
    let vp8l = find(&b, b"VP8L");
    let at = vp8l + 8;
    assert_eq!(b[at], 0x2F, "VP8L signature");
    let old = u32::from_le_bytes([b[at + 1], b[at + 2], b[at + 3], b[at + 4]]);
    let top = old & !0x0FFF_FFFF;
    let new = top | 16_382 | (16_382 << 14);
    b[at + 1..at + 5].copy_from_slice(&new.to_le_bytes());
    // An extended file also states the canvas (24-bit width-1, height-1),
    // which must agree.
    if let Some(x) = b.windows(4).position(|w| w == b"VP8X") {
        let side = 16_382u32.to_le_bytes();
        b[x + 12..x + 15].copy_from_slice(&side[..3]);
        b[x + 15..x + 18].copy_from_slice(&side[..3]);
    }
    b
}

fn bmp_bomb() -> Vec<u8> {
    let mut b = encode(&picture(64, 48), ImageFormat::Bmp);
    // 60 000²: the BMP decoder itself refuses sides over 65 535, as
    // corrupt; below that it is our limits that must catch it.
    b[18..22].copy_from_slice(&60_000i32.to_le_bytes());
    b[22..26].copy_from_slice(&60_000i32.to_le_bytes());
    b
}

fn tiff_bomb() -> Vec<u8> {
    // 16×16 is one strip; RowsPerStrip is raised with the height so that the
    // strip count stays consistent (else the decoder refuses it as corrupt).
    let mut b = encode(&picture(16, 16), ImageFormat::Tiff);
    assert_eq!(&b[..2], b"II", "little-endian TIFF");
    let ifd = u32::from_le_bytes([b[4], b[5], b[6], b[7]]) as usize;
    let n = usize::from(u16::from_le_bytes([b[ifd], b[ifd + 1]]));
    for i in 0..n {
        let e = ifd + 2 + 12 * i;
        let tag = u16::from_le_bytes([b[e], b[e + 1]]);
        if tag == 256 || tag == 257 || tag == 278 {
            // ImageWidth / ImageLength / RowsPerStrip as LONG 100 000.
            b[e + 2..e + 4].copy_from_slice(&4u16.to_le_bytes());
            b[e + 4..e + 8].copy_from_slice(&1u32.to_le_bytes());
            b[e + 8..e + 12].copy_from_slice(&100_000u32.to_le_bytes());
        }
    }
    b
}

#[test]
fn a_decompression_bomb_in_every_format_is_refused_before_allocation() {
    type Make = fn() -> Vec<u8>;
    let cases: [(&str, Make); 6] = [
        ("png 100000x100000", png_bomb),
        ("jpeg 65000x65000", jpeg_bomb),
        ("gif 65000x65000", gif_bomb),
        ("webp 16383x16383 (1 GiB RGBA)", webp_bomb),
        ("bmp 60000x60000", bmp_bomb),
        ("tiff 100000x100000", tiff_bomb),
    ];
    for (name, make) in cases {
        let bytes = make();
        assert!(bytes.len() < 64 << 10, "{name}: small file");
        let (r, used) = measured(|| hash_image(&bytes, &pdq_only()));
        eprintln!(
            "bomb {name}: {} bytes in, refused; allocated {} bytes in all, largest {}",
            bytes.len(),
            used.total,
            used.largest
        );
        assert_eq!(kind_of(r), Err(ImageErrorKind::TooLarge), "{name}");
        // The claimed canvases are 1–30 GB; refusing it up front costs a
        // few small buffers.
        assert!(used.largest < 4 * MIB, "{name}: largest {}", used.largest);
        assert!(used.total < 16 * MIB, "{name}: total {}", used.total);
    }
}

#[test]
fn a_bomb_within_the_side_limit_is_refused_by_the_memory_limit() {
    // 12 000² fits 16 384 per side but not 64 MiB: refused before decoding.
    let limits = DecodeLimits {
        max_alloc: 64 * MIB,
        ..DecodeLimits::default()
    };
    let mut b = encode(&picture(64, 48), ImageFormat::Png);
    b[16..20].copy_from_slice(&12_000u32.to_be_bytes());
    b[20..24].copy_from_slice(&12_000u32.to_be_bytes());
    let crc = crc32(&b[12..29]);
    b[29..33].copy_from_slice(&crc.to_be_bytes());
    let (r, used) = measured(|| hash_image(&b, &pdq_only().limits(limits)));
    assert_eq!(kind_of(r), Err(ImageErrorKind::TooLarge));
    assert!(used.largest < 4 * MIB, "largest {}", used.largest);
}

// ---------------------------------------------------------------------------
// Truncation.

#[test]
fn a_truncated_file_of_every_format_is_a_typed_error() {
    let img = picture(400, 300);
    // (format, expected kinds). Where the decoder cannot tell a cut from
    // damage (a TIFF strip offset past the end, a WebP chunk shorter than
    // its header says) `Corrupt` is accepted; never `Ok`, never a panic.
    let cases: [(ImageFormat, &[ImageErrorKind]); 6] = [
        (ImageFormat::Png, &[ImageErrorKind::Truncated]),
        (ImageFormat::Jpeg, &[ImageErrorKind::Truncated]),
        (ImageFormat::Gif, &[ImageErrorKind::Truncated]),
        (
            ImageFormat::WebP,
            &[ImageErrorKind::Truncated, ImageErrorKind::Corrupt],
        ),
        (ImageFormat::Bmp, &[ImageErrorKind::Truncated]),
        (
            ImageFormat::Tiff,
            &[ImageErrorKind::Truncated, ImageErrorKind::Corrupt],
        ),
    ];
    for (format, expected) in cases {
        let bytes = encode(&img, format);
        for keep in [bytes.len() * 2 / 3, bytes.len() / 3, 40] {
            let cut = &bytes[..keep];
            let got = kind_of(hash_image(cut, &pdq_only()));
            assert!(
                matches!(got, Err(k) if expected.contains(&k)),
                "{format:?} cut to {keep} of {}: {got:?}",
                bytes.len()
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Polyglots: the format is decided by the leading magic bytes, and trailing
// bytes after a complete image are ignored — so an image carrying a ZIP or a
// script is hashed as the image it displays as, and text wearing an image's
// magic is refused.

const ZIP_TAIL: &[u8] = b"PK\x03\x04\x14\x00\x00\x00\x00\x00hidden.txtPK\x05\x06\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00";
const HTML_TAIL: &[u8] = b"<html><script>alert(document.cookie)</script></html>";

#[test]
fn polyglots_are_hashed_as_the_image_or_refused() {
    let img = picture(160, 120);
    // An image with something appended hashes exactly like the image.
    for (format, tail) in [
        (ImageFormat::Gif, ZIP_TAIL),
        (ImageFormat::Jpeg, HTML_TAIL),
        (ImageFormat::Png, ZIP_TAIL),
        (ImageFormat::Png, HTML_TAIL),
    ] {
        let plain = encode(&img, format);
        let mut poly = plain.clone();
        poly.extend_from_slice(tail);
        assert_eq!(pdq(&poly), pdq(&plain), "{format:?} + tail");
    }
    // Text wearing image magic: a typed error, not a hash of garbage.
    let mut html_as_png = b"\x89PNG\r\n\x1a\n".to_vec();
    html_as_png.extend_from_slice(HTML_TAIL);
    let mut html_as_gif = b"GIF89a".to_vec();
    html_as_gif.extend_from_slice(HTML_TAIL);
    let mut html_as_jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0];
    html_as_jpeg.extend_from_slice(HTML_TAIL);
    // The GIF case reads its canvas size from the text ("<h" × "tm"):
    // 26 684 × 28 020 pixels, over the limits.
    let cases: [(&str, &Vec<u8>, &[ImageErrorKind]); 3] = [
        (
            "html after png magic",
            &html_as_png,
            &[ImageErrorKind::Corrupt, ImageErrorKind::Truncated],
        ),
        (
            "html after gif magic",
            &html_as_gif,
            &[ImageErrorKind::TooLarge],
        ),
        (
            "html after jpeg magic",
            &html_as_jpeg,
            &[ImageErrorKind::Corrupt, ImageErrorKind::Truncated],
        ),
    ];
    for (name, bytes, expected) in cases {
        let got = kind_of(hash_image(bytes, &pdq_only()));
        assert!(
            matches!(got, Err(k) if expected.contains(&k)),
            "{name}: {got:?}"
        );
    }
    // HTML first, image later: not an image at all.
    let mut html_then_png = HTML_TAIL.to_vec();
    html_then_png.extend_from_slice(&encode(&img, ImageFormat::Png));
    assert_eq!(
        kind_of(hash_image(&html_then_png, &pdq_only())),
        Err(ImageErrorKind::Unsupported)
    );
}

// ---------------------------------------------------------------------------
// An animated GIF with thousands of frames.

/// The blocks of a GIF after its global colour table, up to the trailer:
/// (offset, bytes) of each extension and each image.
fn gif_blocks(b: &[u8]) -> Vec<(usize, &[u8])> {
    let mut at = 13;
    if b[10] & 0x80 != 0 {
        at += 3 << ((b[10] & 7) + 1);
    }
    let skip_sub_blocks = |mut i: usize| {
        while b[i] != 0 {
            i += usize::from(b[i]) + 1;
        }
        i + 1
    };
    let mut blocks = Vec::new();
    while b[at] != 0x3B {
        let start = at;
        at = match b[at] {
            0x21 => skip_sub_blocks(at + 2),
            0x2C => {
                let mut i = at + 10;
                if b[at + 9] & 0x80 != 0 {
                    i += 3 << ((b[at + 9] & 7) + 1);
                }
                skip_sub_blocks(i + 1)
            }
            other => panic!("unexpected GIF block {other:#x}"),
        };
        blocks.push((start, &b[start..at]));
    }
    blocks
}

/// A GIF whose first frame is `first` and which then repeats a full-canvas,
/// flat-colour frame until it has `frames` frames.
fn many_frame_gif(first: &RgbImage, frames: usize) -> Vec<u8> {
    use image::codecs::gif::GifEncoder;
    use image::{Delay, Frame, Rgba, RgbaImage};
    let (w, h) = first.dimensions();
    let flat = RgbaImage::from_pixel(w, h, Rgba([20, 200, 90, 255]));
    let mut two = Vec::new();
    {
        let mut enc = GifEncoder::new(&mut two);
        enc.encode_frames([
            Frame::from_parts(
                DynamicImage::ImageRgb8(first.clone()).into_rgba8(),
                0,
                0,
                Delay::from_numer_denom_ms(100, 1),
            ),
            Frame::from_parts(flat, 0, 0, Delay::from_numer_denom_ms(100, 1)),
        ])
        .expect("encodes");
    }
    let blocks = gif_blocks(&two);
    // The second frame starts at the block after the first image descriptor.
    let first_image = blocks
        .iter()
        .position(|(_, b)| b[0] == 0x2C)
        .expect("first image");
    let second_start = blocks[first_image + 1].0;
    let end = two.len() - 1;
    let mut out = two[..second_start].to_vec();
    let second = &two[second_start..end];
    for _ in 1..frames {
        out.extend_from_slice(second);
    }
    out.push(0x3B);
    out
}

#[test]
fn an_animated_gif_with_5000_frames_costs_one_frame() {
    let first = picture(200, 150);
    let still = many_frame_gif(&first, 1);
    let anim = many_frame_gif(&first, 5000);
    assert_eq!(
        gif_blocks(&anim)
            .iter()
            .filter(|(_, b)| b[0] == 0x2C)
            .count(),
        5000
    );
    let (still_hash, still_used) = measured(|| pdq(&still));
    let t = std::time::Instant::now();
    let (anim_hash, anim_used) = measured(|| pdq(&anim));
    // A hang guard only; the real check is the allocation count below.
    assert!(t.elapsed().as_secs() < 5, "took {:?}", t.elapsed());
    eprintln!(
        "gif: 5000 frames ({} bytes) allocated {} bytes in {:?}; 1 frame ({} bytes) {} bytes",
        anim.len(),
        anim_used.total,
        t.elapsed(),
        still.len(),
        still_used.total
    );
    assert_eq!(anim_hash, still_hash, "the first frame is what is hashed");
    // The counter sees the decode (at least one RGB canvas) …
    assert!(still_used.total >= 200 * 150 * 3, "{}", still_used.total);
    // … and decoding every frame would allocate ≥ 5000 × 200×150×4 bytes (600 MB);
    // the first frame alone costs what the still image costs.
    assert!(
        anim_used.total < 2 * still_used.total + MIB,
        "animated {} vs still {}",
        anim_used.total,
        still_used.total
    );
}
