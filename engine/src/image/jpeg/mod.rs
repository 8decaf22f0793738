//! A baseline JPEG decoder whose pixels equal libjpeg-turbo's.
//!
//! The reference PDQ pipeline decodes with Pillow, that is libjpeg-turbo
//! with its defaults: the "islow" integer IDCT, "fancy" (triangle) chroma
//! upsampling and its fixed-point YCbCr → RGB tables. zune-jpeg (what
//! `image` uses) differs from it on a few percent of pixels, enough to move
//! bits of nearly flat images. This decoder reproduces libjpeg-turbo's
//! arithmetic for the files that make up nearly all photos — baseline or
//! extended sequential Huffman, 8-bit, one interleaved scan, greyscale or
//! YCbCr with 4:4:4, 4:2:2 or 4:2:0 sampling — and keeps the planes
//! as decoded: PDQ converts and takes the luma one row at a time, without
//! an RGB image. Anything else (progressive, arithmetic coding, CMYK, Adobe
//! RGB, other samplings, and any stream it finds fault with) makes
//! [`decode`] return `None`, and the caller uses the general decoder, which
//! also classifies the errors.

mod color;
mod huffman;
mod idct;
mod intervals;
mod planes;

use huffman::{Bits, Table, extend};
use intervals::Intervals;
use planes::{Plane, buffer};
pub(crate) use planes::{Planes, Scratch};

/// Zig-zag position → natural (row-major) position, with 16 extra entries
/// as in libjpeg so that a corrupt run past the end lands on 63.
const NATURAL: [usize; 80] = [
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20,
    13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59,
    52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63,
    63, 63, 63, 63, 63, 63,
];

struct Component {
    id: u8,
    h: usize,
    v: usize,
    tq: usize,
}

struct Frame {
    width: usize,
    height: usize,
    comps: Vec<Component>,
}

/// Decode `bytes` if they are a JPEG this decoder handles exactly and fit
/// the limits; `None` otherwise (the caller falls back).
pub(crate) fn decode(bytes: &[u8], max_w: u32, max_h: u32, max_alloc: u64) -> Option<Planes> {
    if bytes.get(..2)? != [0xFF, 0xD8] {
        return None;
    }
    let mut pos = 2;
    let mut quant: [Option<[i32; 64]>; 4] = [None; 4];
    let mut dc: [Option<Table>; 4] = [None, None, None, None];
    let mut ac: [Option<Table>; 4] = [None, None, None, None];
    let mut frame: Option<Frame> = None;
    let mut restart = 0usize;
    loop {
        if *bytes.get(pos)? != 0xFF {
            return None;
        }
        while *bytes.get(pos)? == 0xFF {
            pos += 1;
        }
        let marker = bytes[pos];
        pos += 1;
        if matches!(marker, 0x01 | 0xD0..=0xD7) {
            continue;
        }
        if matches!(marker, 0xD8 | 0xD9) {
            return None;
        }
        let len = usize::from(u16::from_be_bytes([*bytes.get(pos)?, *bytes.get(pos + 1)?]));
        let seg = bytes.get(pos + 2..pos.checked_add(len)?)?;
        pos += len;
        match marker {
            0xC0 | 0xC1 => frame = Some(parse_frame(seg)?),
            0xC4 => parse_dht(seg, &mut dc, &mut ac)?,
            0xDB => parse_dqt(seg, &mut quant)?,
            0xDD => restart = usize::from(u16::from_be_bytes([*seg.first()?, *seg.get(1)?])),
            // Adobe's marker may declare RGB or YCCK: leave it to libjpeg's
            // rules as implemented by the general decoder.
            0xEE if seg.starts_with(b"Adobe") => return None,
            0xC2..=0xCF => return None, // progressive, lossless, arithmetic…
            0xDA => {
                let f = frame.as_ref()?;
                return decode_scan(
                    f,
                    seg,
                    &bytes[pos..],
                    &quant,
                    &dc,
                    &ac,
                    restart,
                    [max_w, max_h],
                    max_alloc,
                );
            }
            _ => {}
        }
    }
}

fn parse_frame(seg: &[u8]) -> Option<Frame> {
    if *seg.first()? != 8 {
        return None;
    }
    let height = usize::from(u16::from_be_bytes([*seg.get(1)?, *seg.get(2)?]));
    let width = usize::from(u16::from_be_bytes([*seg.get(3)?, *seg.get(4)?]));
    let n = usize::from(*seg.get(5)?);
    if width == 0 || height == 0 || !(n == 1 || n == 3) || seg.len() < 6 + 3 * n {
        return None;
    }
    let comps = seg[6..6 + 3 * n]
        .chunks_exact(3)
        .map(|c| Component {
            id: c[0],
            h: usize::from(c[1] >> 4),
            v: usize::from(c[1] & 15),
            tq: usize::from(c[2]),
        })
        .collect::<Vec<_>>();
    if comps.iter().any(|c| c.tq > 3 || c.h == 0 || c.v == 0) {
        return None;
    }
    if n == 3 {
        // libjpeg calls three components with the ids of 'R', 'G', 'B'
        // (and no JFIF marker) RGB; leave those to the general decoder.
        if comps.iter().map(|c| c.id).eq(*b"RGB") {
            return None;
        }
        let (l, c1, c2) = (&comps[0], &comps[1], &comps[2]);
        let chroma_ok = [c1, c2].iter().all(|c| c.h == 1 && c.v == 1);
        if !chroma_ok || !matches!((l.h, l.v), (1, 1) | (2, 1) | (2, 2)) {
            return None;
        }
        // libjpeg-turbo upsamples chroma rows of one or two samples without
        // the triangle filter; such tiny images go to the general decoder.
        if l.h == 2 && width.div_ceil(2) < 3 {
            return None;
        }
    }
    Some(Frame {
        width,
        height,
        comps,
    })
}

fn parse_dht(
    mut seg: &[u8],
    dc: &mut [Option<Table>; 4],
    ac: &mut [Option<Table>; 4],
) -> Option<()> {
    while !seg.is_empty() {
        let tc = seg[0] >> 4;
        let th = usize::from(seg[0] & 15);
        let counts: [u8; 16] = seg.get(1..17)?.try_into().ok()?;
        let n: usize = counts.iter().map(|&c| usize::from(c)).sum();
        let symbols = seg.get(17..17 + n)?;
        let t = Table::new(&counts, symbols)?;
        match (tc, th) {
            (0, 0..=3) => dc[th] = Some(t),
            (1, 0..=3) => ac[th] = Some(t),
            _ => return None,
        }
        seg = &seg[17 + n..];
    }
    Some(())
}

fn parse_dqt(mut seg: &[u8], quant: &mut [Option<[i32; 64]>; 4]) -> Option<()> {
    while !seg.is_empty() {
        let pq = seg[0] >> 4;
        let tq = usize::from(seg[0] & 15);
        if tq > 3 {
            return None;
        }
        let mut q = [0i32; 64];
        let size = match pq {
            0 => {
                for (k, &v) in seg.get(1..65)?.iter().enumerate() {
                    q[NATURAL[k]] = i32::from(v);
                }
                65
            }
            1 => {
                for (k, v) in seg.get(1..129)?.chunks_exact(2).enumerate() {
                    q[NATURAL[k]] = i32::from(u16::from_be_bytes([v[0], v[1]]));
                }
                129
            }
            _ => return None,
        };
        quant[tq] = Some(q);
        seg = &seg[size..];
    }
    Some(())
}

#[allow(clippy::too_many_arguments)] // the decoder's state, spelled out
fn decode_scan(
    f: &Frame,
    sos: &[u8],
    data: &[u8],
    quant: &[Option<[i32; 64]>; 4],
    dc: &[Option<Table>; 4],
    ac: &[Option<Table>; 4],
    restart: usize,
    [max_w, max_h]: [u32; 2],
    max_alloc: u64,
) -> Option<Planes> {
    let ns = usize::from(*sos.first()?);
    if ns != f.comps.len() || sos.len() < 1 + 2 * ns + 3 {
        return None;
    }
    // One interleaved scan of all components, in frame order, sequential.
    let tail = &sos[1 + 2 * ns..];
    if tail[..3] != [0, 63, 0] {
        return None;
    }
    let mut tables = Vec::with_capacity(ns);
    for (c, sel) in f.comps.iter().zip(sos[1..1 + 2 * ns].chunks_exact(2)) {
        if sel[0] != c.id {
            return None;
        }
        let (td, ta) = (usize::from(sel[1] >> 4), usize::from(sel[1] & 15));
        tables.push((
            dc.get(td)?.as_ref()?,
            ac.get(ta)?.as_ref()?,
            quant[c.tq].as_ref()?,
        ));
    }
    if f.width > max_w as usize || f.height > max_h as usize {
        return None;
    }
    // Sampling: for one component the scan is not interleaved and its MCU
    // is one block, whatever the factors say.
    let factors: Vec<(usize, usize)> = if ns == 1 {
        vec![(1, 1)]
    } else {
        f.comps.iter().map(|c| (c.h, c.v)).collect()
    };
    let (hmax, vmax) = factors[0];
    let mcux = f.width.div_ceil(8 * hmax);
    let mcuy = f.height.div_ceil(8 * vmax);
    let mut need = 0u64;
    for &(h, v) in &factors {
        need += (mcux * h * 8) as u64 * (mcuy * v * 8) as u64;
    }
    if need > max_alloc {
        return None;
    }
    let mut planes: Vec<Plane> = factors
        .iter()
        .map(|&(h, v)| {
            let stride = mcux * h * 8;
            Plane {
                data: buffer(stride * mcuy * v * 8),
                stride,
                width: (f.width * h).div_ceil(hmax),
                height: (f.height * v).div_ceil(vmax),
            }
        })
        .collect();
    let intervals = Intervals::split(data);
    let mut interval = 0;
    let (first, len, mut ends_with) = intervals.get(interval)?;
    let mut bits = Bits::new(first, len);
    let mut pred = vec![0i32; ns];
    let mut coef = [0i32; 64];
    let mut next_rst = 0u8;
    let mut mcus = 0usize;
    for my in 0..mcuy {
        for mx in 0..mcux {
            if restart > 0 && mcus > 0 && mcus.is_multiple_of(restart) {
                if ends_with != Some(next_rst) {
                    return None;
                }
                interval += 1;
                let (data, len, rst) = intervals.get(interval)?;
                (bits, ends_with) = (Bits::new(data, len), rst);
                next_rst = (next_rst + 1) & 7;
                pred.fill(0);
            }
            mcus += 1;
            for (ci, &(h, v)) in factors.iter().enumerate() {
                let (dct, act, q) = tables[ci];
                let plane = &mut planes[ci];
                for by in 0..v {
                    for bx in 0..h {
                        let ac = decode_block(&mut bits, dct, act, &mut pred[ci], &mut coef)?;
                        let row = (my * v + by) * 8;
                        let col = (mx * h + bx) * 8;
                        let start = row * plane.stride + col;
                        let out = &mut plane.data[start..];
                        if ac {
                            idct::idct_islow(&coef, q, out, plane.stride);
                        } else {
                            idct::idct_dc(coef[0] * q[0], out, plane.stride);
                        }
                    }
                }
            }
        }
    }
    if bits.overran() {
        return None;
    }
    let (h, v) = factors[0];
    Some(Planes {
        width: f.width,
        height: f.height,
        h,
        v,
        planes,
    })
}

/// Decode one block's coefficients, quantised (the IDCT dequantises, as
/// libjpeg's does), in natural order; whether any AC coefficient was coded.
#[inline]
fn decode_block(
    bits: &mut Bits,
    dc: &Table,
    ac: &Table,
    pred: &mut i32,
    coef: &mut [i32; 64],
) -> Option<bool> {
    // A local copy keeps the bit buffer in registers (see `Bits`); it is
    // written back only when the block decoded.
    let mut bits_here = *bits;
    let bits_in = &mut bits_here;
    let any = decode_coefficients(bits_in, dc, ac, pred, coef)?;
    *bits = bits_here;
    Some(any)
}

#[inline(always)]
fn decode_coefficients(
    bits: &mut Bits,
    dc: &Table,
    ac: &Table,
    pred: &mut i32,
    coef: &mut [i32; 64],
) -> Option<bool> {
    coef.fill(0);
    bits.refill();
    let s = u32::from(bits.decode(dc)?);
    if s > 16 {
        return None;
    }
    *pred = pred.wrapping_add(extend(bits.get(s), s));
    // libjpeg stores coefficients as 16-bit values; the IDCT dequantises.
    coef[0] = i32::from(*pred as i16);
    // Two AC symbols per refill: a refill leaves at least 56 bits, and a
    // symbol takes at most 16 code bits and 10 value bits (the most an AC
    // coefficient of 8-bit samples has; `ac_symbol` refills before reading
    // more).
    let mut k = 1usize;
    while k < 64 {
        bits.refill();
        if !ac_symbol(bits, ac, coef, &mut k)? || k >= 64 {
            break;
        }
        if !ac_symbol(bits, ac, coef, &mut k)? {
            break;
        }
    }
    // Whether any AC symbol was coded (a zero run alone, which no encoder
    // writes, takes the full IDCT, which gives the same flat block).
    Some(k > 1)
}

/// One AC symbol at zig-zag position `*k`: the coefficient stored and `*k`
/// moved past it (or past a run of 16 zeros); `Some(false)` at the end of
/// the block, `None` for an invalid code.
#[inline(always)]
fn ac_symbol(bits: &mut Bits, ac: &Table, coef: &mut [i32; 64], k: &mut usize) -> Option<bool> {
    if let Some((r, v)) = bits.ac_fast(ac) {
        let z = NATURAL[*k + r];
        coef[z] = v;
        *k += r + 1;
        return Some(true);
    }
    let rs = bits.decode(ac)?;
    let (r, s) = (usize::from(rs >> 4), u32::from(rs & 15));
    if s != 0 {
        if s > 10 {
            bits.refill();
        }
        let v = extend(bits.get(s), s);
        let z = NATURAL[*k + r];
        coef[z] = i32::from(v as i16);
        *k += r + 1;
        Some(true)
    } else if r == 15 {
        *k += 16;
        Some(true)
    } else {
        Some(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(img: &image::DynamicImage, quality: u8) -> Vec<u8> {
        let mut out = Vec::new();
        let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality);
        img.write_with_encoder(enc).expect("encodes");
        out
    }

    fn noisy(w: u32, h: u32) -> image::RgbImage {
        let mut seed = 0x1234_5678u32;
        image::RgbImage::from_fn(w, h, |x, y| {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let n = (seed >> 24) as u8 / 8;
            image::Rgb([
                (x * 255 / w.max(1)) as u8 ^ n,
                (y * 255 / h.max(1)) as u8,
                ((x + y) * 5) as u8 ^ n,
            ])
        })
    }

    /// Against `image`'s decoder (zune-jpeg), which rounds differently:
    /// a few levels at most, and rarely. Exactness against libjpeg-turbo
    /// is checked through the PDQ conformance test.
    fn close_to_image_decoder(jpeg: &[u8]) {
        let ours = decode(jpeg, 1 << 14, 1 << 14, 1 << 30).expect("baseline JPEG decodes");
        let theirs = image::load_from_memory(jpeg).expect("decodes").into_rgb8();
        assert_eq!(
            (ours.width() as u32, ours.height() as u32),
            theirs.dimensions()
        );
        let rgb = ours.to_rgb();
        let mut total = 0u64;
        for (a, b) in rgb.iter().zip(theirs.as_raw()) {
            let d = a.abs_diff(*b);
            assert!(d <= 6, "sample differs by {d}");
            total += u64::from(d);
        }
        assert!(total * 10 < rgb.len() as u64 * 3, "mean difference {total}");
    }

    #[test]
    fn decodes_colour_and_grey_of_any_size() {
        for (w, h) in [(5, 5), (17, 9), (64, 64), (131, 67)] {
            let img = image::DynamicImage::ImageRgb8(noisy(w, h));
            close_to_image_decoder(&encode(&img, 90));
            close_to_image_decoder(&encode(&img, 40));
            close_to_image_decoder(&encode(
                &image::DynamicImage::ImageLuma8(img.to_luma8()),
                80,
            ));
        }
    }

    #[test]
    fn limits_and_unsupported_input_fall_back() {
        let jpeg = encode(&image::DynamicImage::ImageRgb8(noisy(40, 30)), 90);
        assert!(decode(&jpeg, 39, 100, 1 << 30).is_none());
        assert!(decode(&jpeg, 100, 29, 1 << 30).is_none());
        assert!(decode(&jpeg, 100, 100, 1000).is_none());
        assert!(decode(b"GIF89a", 100, 100, 1 << 30).is_none());
        // A progressive frame header (SOF2) is left to the general decoder.
        let mut prog = jpeg.clone();
        if let Some(i) = prog.windows(2).position(|w| w == [0xFF, 0xC0]) {
            prog[i + 1] = 0xC2;
        }
        assert!(decode(&prog, 100, 100, 1 << 30).is_none());
    }

    #[test]
    fn damaged_streams_never_panic() {
        let jpeg = encode(&image::DynamicImage::ImageRgb8(noisy(48, 40)), 75);
        for cut in (0..jpeg.len()).step_by(7) {
            let _ = decode(&jpeg[..cut], 1000, 1000, 1 << 30);
        }
        let mut seed = 7u32;
        for _ in 0..300 {
            let mut bad = jpeg.clone();
            for _ in 0..3 {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                let i = seed as usize % bad.len();
                bad[i] ^= (seed >> 24) as u8 | 1;
            }
            let _ = decode(&bad, 1000, 1000, 1 << 30);
        }
        // The scan cut short: the made-up bits past the end are noticed.
        let eoi = jpeg.len() - 2;
        assert!(decode(&jpeg[..eoi - 200], 1000, 1000, 1 << 30).is_none());
    }
}
