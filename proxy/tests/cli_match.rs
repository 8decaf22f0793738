//! `hashwall match` and `hashwall check --image` as a user runs them.

use std::path::PathBuf;
mod common;

use std::process::Output;

use common::hashwall;

use hashwall::image::{Algorithm, Dihedral, HashOptions, PdqHash, hash_image};

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

struct TempDir(PathBuf);
impl TempDir {
    fn new(tag: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!("hashwall-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&p).expect("temp dir");
        TempDir(p)
    }
    fn write(&self, name: &str, text: &str) -> String {
        let p = self.0.join(name);
        std::fs::write(&p, text).expect("write");
        p.to_string_lossy().into_owned()
    }
}
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const PDQ: &str = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";

fn flipped(n: usize) -> String {
    let h = PdqHash::from_hex(PDQ).expect("valid hex");
    let mut w = h.0;
    for k in 0..n {
        w[k / 16] ^= 1 << (k % 16);
    }
    PdqHash(w).to_hex()
}

#[test]
fn match_hashes_with_distance_provenance_and_overrides() {
    let dir = TempDir::new("match");
    let list = dir.write(
        "hotline.list",
        &format!(
            "# issuer: Hotline\n# jurisdiction: CA\n# category: csam\npdq {PDQ} C-1\nmd5 0123456789abcdef0123456789abcdef C-2\n"
        ),
    );
    let near = format!("pdq:{}", flipped(3));
    let o = hashwall(
        &[
            "match",
            "--allow-unsigned",
            "--list",
            &list,
            "--hash",
            &near,
            "--hash",
            "md5:0123456789ABCDEF0123456789ABCDEF",
            "--hash",
            "sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709",
        ],
        None,
    );
    let text = out(&o);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].starts_with("block\t"), "{text}");
    assert!(
        lines[0]
            .contains("hotline[issuer=Hotline jurisdiction=CA category=csam policy=block kind=pdq"),
        "{text}"
    );
    assert!(
        lines[0].contains("distance=3 variant=orig ref=C-1]"),
        "{text}"
    );
    assert!(
        lines[1].starts_with("block\t")
            && lines[1].contains("kind=md5")
            && lines[1].contains("ref=C-2"),
        "{text}"
    );
    assert!(lines[2].starts_with("no-match\t"), "{text}");
    assert_eq!(o.status.code(), Some(1));

    // A tighter radius for every list: 3 bits is now too far.
    let o = hashwall(
        &[
            "match",
            "--allow-unsigned",
            "--list",
            &list,
            "--hash",
            &near,
            "--max-distance",
            "2",
        ],
        None,
    );
    assert!(out(&o).starts_with("no-match\t"), "{}", out(&o));
    assert_eq!(o.status.code(), Some(0));

    // Stdin: bare PDQ hex, KIND:HEX, a low-quality hash, and garbage.
    let o = hashwall(
        &[
            "match",
            "--allow-unsigned",
            "--list",
            &list,
            "--stdin",
            "--json",
            "--stats",
        ],
        Some(&format!("{PDQ}\npdq:{PDQ}:20\nphash:zz\n")),
    );
    let rows: Vec<serde_json::Value> = out(&o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["action"], "block");
    assert_eq!(rows[0]["matches"][0]["distance"], 0);
    assert_eq!(rows[1]["action"], "no-match");
    assert_eq!(rows[1]["skipped"][0]["list"], "hotline");
    assert!(
        rows[1]["skipped"][0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("quality 20"))
    );
    assert_eq!(rows[2]["action"], "error");
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.lines()
            .last()
            .is_some_and(|l| l.starts_with("stats: queries=3 matched=1 load_ms=")
                && l.contains(" query_ms=")),
        "{err}"
    );

    let o = hashwall(
        &[
            "match",
            "--allow-unsigned",
            "--list",
            &list,
            "--hash",
            &near,
            "--max-distance",
            "64",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn check_image_files_including_a_rotated_copy() {
    let Some(pdq) = hashwall::conformance::dir("pdq") else {
        return;
    };
    let dih = pdq.join("pdq/data/reg-test-input/dih");
    let orig = dih.join("bridge-1-original.jpg");
    let bytes = std::fs::read(&orig).expect("conformance image");
    let h = hash_image(&bytes, &HashOptions::new().algorithms([Algorithm::Pdq])).expect("hash");
    let hex = h
        .pdq(Algorithm::Pdq, Dihedral::Original)
        .expect("pdq")
        .hash
        .to_hex();
    let dir = TempDir::new("check-image");
    let list = dir.write("bridge.list", &format!("pdq {hex} BRIDGE\n"));
    let other = dih.join("bridge-2-rotate-90.jpg");
    let junk = dir.write("junk.jpg", "not an image");
    let (o1, o2) = (orig.to_string_lossy(), other.to_string_lossy());
    let o = hashwall(
        &[
            "check",
            "--allow-unsigned",
            "--list",
            &list,
            "--image",
            &o1,
            "--image",
            &o2,
            "--image",
            &junk,
        ],
        None,
    );
    let text = out(&o);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[0].starts_with("block\t") && lines[0].contains("variant=orig"),
        "{text}"
    );
    assert!(
        lines[1].starts_with("block\t") && lines[1].contains("variant=rot270"),
        "{text}"
    );
    assert!(lines[2].starts_with("error\t"), "{text}");
    assert_eq!(o.status.code(), Some(2));
}
