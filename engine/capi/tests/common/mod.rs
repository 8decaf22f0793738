//! What the C and PHP tests share: the built library, the fixture files
//! (lists, a trust store, images) and the peer-tool policy.

#![allow(dead_code)] // Each test binary uses part of this.

use std::path::{Path, PathBuf};
use std::process::Command;

use hashwall_engine::image::{Algorithm, Dihedral, HashOptions, PdqHash, hash_image};
use hashwall_engine::lists::{List, SecretKey, TrustStore, TrustedKey};
use hashwall_engine::{HashValue, Snapshot};
use image::{ImageFormat, RgbImage};

/// The crate's directory (holding `include/`).
pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The directory holding `libhashwall.so` built from this tree.
///
/// `cargo test` builds the library's every crate type next to the test
/// binary (`target/<profile>/deps`) before running it; when it is not
/// there (a test binary run by hand, another build tool) `cargo build`
/// makes it.
pub fn library_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let deps = exe.parent().expect("the test binary has a directory");
    for dir in [deps, deps.parent().unwrap_or(deps)] {
        if dir.join("libhashwall.so").is_file() {
            return dir.to_path_buf();
        }
    }
    let status = Command::new(env!("CARGO"))
        .args(["build", "--lib", "-p", "hashwall-capi"])
        .current_dir(crate_dir())
        .status()
        .expect("run cargo build");
    assert!(status.success(), "cargo build -p hashwall-capi failed");
    let built = deps.parent().unwrap_or(deps).to_path_buf();
    assert!(
        built.join("libhashwall.so").is_file(),
        "no libhashwall.so in {}",
        built.display()
    );
    built
}

/// A fresh scratch directory under cargo's per-target temporary directory.
pub fn scratch(name: &str) -> PathBuf {
    let dir =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("capi-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch directory");
    dir
}

/// Whether missing peer tools fail the test instead of skipping it (CI).
pub fn peers_required() -> bool {
    std::env::var_os("HASHWALL_REQUIRE_PEERS").is_some_and(|v| v == "1")
}

/// `program` if it runs (`program ARG` exits 0); otherwise `None` after
/// printing SKIPPED, or a failure when peers are required.
pub fn peer(program: &str, arg: &str, test: &str) -> Option<PathBuf> {
    let ok = Command::new(program)
        .arg(arg)
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some(PathBuf::from(program));
    }
    assert!(
        !peers_required(),
        "{program} is missing and HASHWALL_REQUIRE_PEERS=1 (.ci/run installs it)"
    );
    eprintln!("SKIPPED {test}: {program} is not installed");
    None
}

/// A textured 320×240 image: PDQ quality 100, smooth enough that its
/// rotations hash like a photograph's (as in engine/tests).
fn photo() -> RgbImage {
    RgbImage::from_fn(320, 240, |x, y| {
        let (fx, fy) = (x as f32, y as f32);
        let r = 128.0
            + 60.0 * (fx / 37.0).sin() * (fy / 29.0).cos()
            + 60.0 * (fx / 11.0).sin() * (fy / 13.0).sin();
        let g = 128.0 + 90.0 * ((fx * 0.7 + fy) / 41.0).sin() + 30.0 * (fy / 9.0).cos();
        let b = 128.0 + 100.0 * ((fx - fy * 0.4) / 53.0).cos();
        image::Rgb([r as u8, g as u8, b as u8])
    })
}

fn png(img: &RgbImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png)
        .expect("encode png");
    out.into_inner()
}

fn hash_of(bytes: &[u8], algorithm: Algorithm) -> HashValue {
    let h = hash_image(bytes, &HashOptions::new().algorithms([algorithm])).expect("hashes");
    h.get(algorithm).expect("computed").value
}

/// `hash` with its first `n` bits flipped.
fn flip(hash: &PdqHash, n: usize) -> PdqHash {
    let mut w = hash.0;
    for k in 0..n {
        w[k / 16] ^= 1 << (k % 16);
    }
    PdqHash(w)
}

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) {
    std::fs::write(dir.join(name), bytes).expect("write fixture");
}

/// Writes the fixtures `tests/c/capi_test.c` and the PHP example read:
/// URL block and allow lists, an image list holding the photo's PDQ hash 3
/// bits off, a monitor list with the rotated photo's MD5, a signed list and
/// its trust store, a tampered copy, and lists that fail to load.
pub fn fixtures(name: &str) -> PathBuf {
    let dir = scratch(name);
    write(
        &dir,
        "block.list",
        "# id: police-urls\n# issuer: Example Police\n# name: Example Police URLs\n\
         # jurisdiction: DE\n# category: csam\n\
         url-prefix evil.example/gallery/ case-1\ndomain bad.example\n",
    );
    write(
        &dir,
        "allow.list",
        "# id: stock\n# issuer: Local\n# policy: allow\nurl evil.example/gallery/ok.html FP-1\n",
    );
    let photo_png = png(&photo());
    let rotated_png = png(&image::imageops::rotate90(&photo()));
    let HashValue::Pdq { hash, .. } = hash_of(&photo_png, Algorithm::Pdq) else {
        panic!("a PDQ hash");
    };
    write(&dir, "photo.png", &photo_png);
    write(&dir, "photo-rot.png", &rotated_png);
    write(&dir, "photo.pdq", format!("{}\n", hash.to_hex()));
    let images = format!(
        "# id: hotline-images\n# issuer: Hotline\n# jurisdiction: NL\n# category: csam\npdq {} H-1\n",
        flip(&hash, 3).to_hex()
    );
    write(&dir, "images.list", &images);
    let md5 = hash_of(&rotated_png, Algorithm::Md5);
    write(&dir, "photo-rot.md5", format!("{md5}\n"));
    write(
        &dir,
        "monitor.list",
        format!("# id: watch\n# issuer: Local\n# policy: monitor\nmd5 {md5} M-1\n"),
    );
    // The variant the engine reports for the rotated photo, for the C
    // program to compare with.
    let list = List::from_text(images.as_bytes(), "x").expect("image list");
    let snap = Snapshot::builder()
        .add_list(&list, &Default::default())
        .expect("compiles")
        .build();
    let v = snap.check_image(&rotated_png).expect("decodes");
    let variant = v
        .matches()
        .first()
        .and_then(|m| m.variant())
        .expect("the rotated photo matches through a variant");
    assert_ne!(variant, Dihedral::Original);
    write(&dir, "rot.variant", format!("{}\n", variant.as_str()));

    let key = SecretKey::from_seed(&[9; 32]);
    let mut signed = List::from_text(
        b"# id: signed\n# issuer: Signed Issuer\n# sequence: 3\ndomain signed.example S-1\n",
        "signed",
    )
    .expect("signed list");
    signed.sign(&key);
    let text = signed.to_text();
    write(&dir, "signed.list", &text);
    write(
        &dir,
        "tampered.list",
        text.replace("signed.example", "other.example"),
    );
    let mut trust = TrustStore::new();
    trust.add(TrustedKey {
        issuer: "Signed Issuer".into(),
        key: key.public_key(),
        not_before: None,
        not_after: None,
    });
    write(&dir, "trust.store", trust.to_text());
    write(&dir, "bad.list", "# issuer: X\nnot-a-kind foo\n");
    write(
        &dir,
        "expired.list",
        "# id: old\n# created: 2020-01-01T00:00:00Z\n# expires: 2020-02-01T00:00:00Z\ndomain old.example\n",
    );
    write(
        &dir,
        "bad-entry.list",
        "# id: broken\nurl-prefix http://[::zz]/\n",
    );
    dir
}
