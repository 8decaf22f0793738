//! The checked-in `include/hashwall.h` is what cbindgen generates from the
//! sources now. `HASHWALL_UPDATE_HEADER=1` rewrites it instead of failing.

use std::path::PathBuf;

#[test]
fn the_checked_in_header_is_current() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let config =
        cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("cbindgen.toml parses");
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(dir.join("src/lib.rs"))
        .generate()
        .expect("cbindgen generates the header");
    let mut fresh = Vec::new();
    bindings.write(&mut fresh);
    let path = dir.join("include/hashwall.h");
    if std::env::var_os("HASHWALL_UPDATE_HEADER").is_some_and(|v| v == "1") {
        std::fs::write(&path, &fresh).expect("write the header");
        return;
    }
    let checked_in = std::fs::read(&path).unwrap_or_default();
    assert!(
        checked_in == fresh,
        "{} is stale: regenerate it with\n  HASHWALL_UPDATE_HEADER=1 cargo test -p hashwall-capi --test header\nand commit it",
        path.display()
    );
    // Every exported function is declared.
    let header = String::from_utf8_lossy(&fresh);
    for f in [
        "hashwall_snapshot_load",
        "hashwall_engine_swap",
        "hashwall_match_variant",
    ] {
        assert!(header.contains(&format!("{f}(")), "{f} missing");
    }
}
