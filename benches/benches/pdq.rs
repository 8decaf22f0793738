//! PDQ throughput per core on photos of about 640×480, 1600×1000 and
//! 4000×3000, decode included and excluded, for both flavours.
//!
//! The photos are made deterministically from the PDQ conformance images
//! (the bridge photo and a 4032×3024 phone photo), resized with a Lanczos3
//! filter and re-encoded as JPEG quality 90, so no large binary is
//! committed. `PDQ_BENCH_WRITE_IMAGES=DIR cargo bench -p hashwall-benches
//! --bench pdq` writes them to DIR and exits, so that
//! `benches/pdq_reference.sh` can time the reference on the same files.

use std::hint::black_box;
use std::io::Cursor;
use std::path::PathBuf;

use criterion::{Criterion, Throughput};
use hashwall::image::{Algorithm, HashOptions, hash_image, pdq_from_rgb8};
use image::imageops::FilterType;
use image::{DynamicImage, ImageFormat};

/// (name, source image under the conformance `pdq/` directory, size).
const SIZES: [(&str, &str, u32, u32); 3] = [
    ("640x480", "pdq/data/bridge-mods/aaa-orig.jpg", 640, 480),
    ("1600x1000", "pdq/data/bridge-mods/aaa-orig.jpg", 1600, 1000),
    (
        "4000x3000",
        "pdq/data/reg-test-input/exif-rotn/exif-rotn-1.jpg",
        4000,
        3000,
    ),
];

/// The benchmark photos as JPEG files: (name, bytes).
fn photos() -> Option<Vec<(&'static str, Vec<u8>)>> {
    let dir: PathBuf = hashwall::conformance::dir("pdq")?;
    let mut out = Vec::new();
    for (name, src, w, h) in SIZES {
        let bytes = std::fs::read(dir.join(src)).ok()?;
        let img = image::load_from_memory(&bytes).ok()?;
        let resized =
            DynamicImage::ImageRgb8(img.resize_exact(w, h, FilterType::Lanczos3).into_rgb8());
        let mut jpeg = Vec::new();
        let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(Cursor::new(&mut jpeg), 90);
        resized.write_with_encoder(enc).ok()?;
        out.push((name, jpeg));
    }
    Some(out)
}

fn bench(c: &mut Criterion, photos: &[(&'static str, Vec<u8>)]) {
    let pdq = HashOptions::new().algorithms([Algorithm::Pdq]);
    let pdq512 = HashOptions::new().algorithms([Algorithm::Pdq512]);
    for (name, jpeg) in photos {
        let mut g = c.benchmark_group(format!("pdq/{name}"));
        g.throughput(Throughput::Elements(1));
        g.sample_size(20);
        let rgb = match image::load_from_memory(jpeg) {
            Ok(i) => i.into_rgb8(),
            Err(e) => panic!("benchmark photo {name} does not decode: {e}"),
        };
        let (w, h) = (rgb.width() as usize, rgb.height() as usize);
        g.bench_function("decode only", |b| {
            b.iter(|| {
                image::load_from_memory_with_format(black_box(jpeg), ImageFormat::Jpeg)
                    .map(|i| i.width())
            })
        });
        g.bench_function("pdq, decode included", |b| {
            b.iter(|| hash_image(black_box(jpeg), &pdq).map(|h| h.hashes.len()))
        });
        g.bench_function("pdq, decode excluded", |b| {
            b.iter(|| pdq_from_rgb8(black_box(rgb.as_raw()), w, h, false).map(|p| p[0].quality))
        });
        g.bench_function("pdq-512, decode included", |b| {
            b.iter(|| hash_image(black_box(jpeg), &pdq512).map(|h| h.hashes.len()))
        });
        g.bench_function("pdq-512, decode excluded", |b| {
            b.iter(|| pdq_from_rgb8(black_box(rgb.as_raw()), w, h, true).map(|p| p[0].quality))
        });
        g.finish();
    }
}

fn main() {
    let Some(photos) = photos() else {
        eprintln!("pdq bench: conformance images not found, nothing to measure");
        return;
    };
    if let Some(dir) = std::env::var_os("PDQ_BENCH_WRITE_IMAGES") {
        let dir = PathBuf::from(dir);
        if let Err(e) = std::fs::create_dir_all(&dir) {
            eprintln!("cannot create {}: {e}", dir.display());
            std::process::exit(1);
        }
        for (name, jpeg) in &photos {
            let p = dir.join(format!("{name}.jpg"));
            if let Err(e) = std::fs::write(&p, jpeg) {
                eprintln!("cannot write {}: {e}", p.display());
                std::process::exit(1);
            }
            println!("{}", p.display());
        }
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c, &photos);
    c.final_summary();
}
