//! Decoded planes as libjpeg-turbo would output them: the component
//! buffers (reused per thread), chroma upsampling and colour conversion one
//! row at a time.

use super::color;
use crate::image::reuse;

/// One decoded component, padded to whole MCUs.
pub(super) struct Plane {
    pub(super) data: Vec<u8>,
    pub(super) stride: usize,
    /// Samples that belong to the image (libjpeg's `downsampled_width`
    /// and `downsampled_height`).
    pub(super) width: usize,
    pub(super) height: usize,
}

/// Buffers up to this size (the three planes and the unstuffed scan data)
/// are kept for the next decode on the same thread (at most
/// [`POOL_BUFFERS`] of them; see `image/reuse.rs` for why): 4 × 4 MiB per
/// thread at most; larger images allocate as usual.
const POOL_MAX_BYTES: usize = 4 << 20;
const POOL_BUFFERS: usize = 4;

thread_local! {
    static POOL: std::cell::RefCell<Vec<Vec<u8>>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A buffer of `n` bytes, reused from this thread's pool when possible.
pub(super) fn buffer(n: usize) -> Vec<u8> {
    let mut b = if n <= POOL_MAX_BYTES {
        reuse::take(&POOL).unwrap_or_default()
    } else {
        Vec::new()
    };
    b.clear();
    b.resize(n, 0);
    b
}

/// Keeps `b` for a later [`buffer`] on this thread if it is small enough.
pub(super) fn recycle(b: Vec<u8>) {
    if b.capacity() <= POOL_MAX_BYTES {
        reuse::give_back(&POOL, b, POOL_BUFFERS);
    }
}

impl Drop for Plane {
    fn drop(&mut self) {
        recycle(std::mem::take(&mut self.data));
    }
}

impl Plane {
    fn row(&self, r: usize) -> &[u8] {
        &self.data[r * self.stride..r * self.stride + self.width]
    }
}

/// A decoded JPEG: greyscale, or Y at full resolution with Cb and Cr at
/// `1 / h` horizontally and `1 / v` vertically.
pub(crate) struct Planes {
    pub(super) width: usize,
    pub(super) height: usize,
    /// Luma sampling factors relative to chroma: 1 or 2 each.
    pub(super) h: usize,
    pub(super) v: usize,
    pub(super) planes: Vec<Plane>,
}

/// Per-row working memory for [`Planes::rgb_row`].
#[derive(Default)]
pub(crate) struct Scratch {
    cb: Vec<u8>,
    cr: Vec<u8>,
    sums: Vec<u16>,
}

impl Planes {
    /// Width in pixels.
    pub(crate) fn width(&self) -> usize {
        self.width
    }

    /// Height in pixels.
    pub(crate) fn height(&self) -> usize {
        self.height
    }

    /// Row `r` as interleaved RGB, exactly as libjpeg-turbo outputs it
    /// (`out.len()` is `3 · width`).
    pub(crate) fn rgb_row(&self, r: usize, out: &mut [u8], s: &mut Scratch) {
        let y = self.planes[0].row(r);
        if self.planes.len() == 1 {
            for (o, &v) in out.chunks_exact_mut(3).zip(y) {
                o.fill(v);
            }
            return;
        }
        let (cb, cr) = (&self.planes[1], &self.planes[2]);
        if self.h == 1 && self.v == 1 {
            color::ycc_to_rgb(y, cb.row(r), cr.row(r), out);
            return;
        }
        self.upsample(r, s);
        color::ycc_to_rgb(y, &s.cb, &s.cr, out);
    }

    /// Row `r`'s luma, from the RGB values [`Planes::rgb_row`] would give,
    /// without materialising them: the `pdq` flavour's `f64` formula, or
    /// with `F32` the `pdq-512` flavour's (see `color::ycc_to_luma`).
    pub(crate) fn luma_row<const F32: bool>(&self, r: usize, out: &mut [f32], s: &mut Scratch) {
        let y = self.planes[0].row(r);
        if self.planes.len() == 1 {
            color::ycc_to_luma::<F32>(y, None, out);
        } else if self.h == 1 && self.v == 1 {
            let chroma = (self.planes[1].row(r), self.planes[2].row(r));
            color::ycc_to_luma::<F32>(y, Some(chroma), out);
        } else {
            self.upsample(r, s);
            color::ycc_to_luma::<F32>(y, Some((&s.cb, &s.cr)), out);
        }
    }

    /// Cb and Cr of row `r` at full resolution into `s` (subsampled images).
    fn upsample(&self, r: usize, s: &mut Scratch) {
        let (cb, cr) = (&self.planes[1], &self.planes[2]);
        let n = 2 * cb.width;
        s.cb.resize(n, 0);
        s.cr.resize(n, 0);
        if self.v == 1 {
            color::h2v1(cb.row(r), &mut s.cb);
            color::h2v1(cr.row(r), &mut s.cr);
        } else {
            // The output row's own chroma row and its neighbour on the same
            // side, replicated at the edges as libjpeg's context rows are.
            let near = r / 2;
            let far = if r.is_multiple_of(2) {
                near.saturating_sub(1)
            } else {
                (near + 1).min(cb.height - 1)
            };
            color::h2v2(cb.row(near), cb.row(far), &mut s.sums, &mut s.cb);
            color::h2v2(cr.row(near), cr.row(far), &mut s.sums, &mut s.cr);
        }
    }

    /// The whole image as interleaved RGB.
    pub(crate) fn to_rgb(&self) -> Vec<u8> {
        let mut out = vec![0u8; self.width * self.height * 3];
        let mut s = Scratch::default();
        for (r, row) in out.chunks_exact_mut(self.width * 3).enumerate() {
            self.rgb_row(r, row, &mut s);
        }
        out
    }
}
