//! `examples/php/check.php`: hashwall from PHP through FFI, against the
//! built library and the checked-in header (needs `php` with FFI:
//! Debian `php-cli`).

mod common;

use std::process::Command;

#[test]
fn php_checks_urls_through_ffi() {
    let Some(php) = common::peer("php", "--version", "the PHP FFI example") else {
        return;
    };
    let has_ffi = Command::new(&php)
        .args(["-r", "exit(extension_loaded('FFI') ? 0 : 1);"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        has_ffi || !common::peers_required(),
        "php has no FFI extension"
    );
    if !has_ffi {
        eprintln!("SKIPPED the PHP FFI example: php has no FFI extension");
        return;
    }
    let dir = common::fixtures("php");
    let o = Command::new(&php)
        .arg(common::crate_dir().join("examples/php/check.php"))
        .arg(common::library_dir().join("libhashwall.so"))
        .arg(common::crate_dir().join("include/hashwall.h"))
        .arg(dir.join("block.list"))
        .args([
            "http://www.evil.example/gallery/1.jpg",
            "https://sub.bad.example/",
            "http://example.org/",
            "mailto:a@b.example",
        ])
        .output()
        .expect("run php");
    let stdout = String::from_utf8_lossy(&o.stdout);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "php failed:\n{stdout}{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[..3],
        [
            "http://www.evil.example/gallery/1.jpg\tblock\tpolice-urls\tcase-1",
            "https://sub.bad.example/\tblock\tpolice-urls\t-",
            "http://example.org/\tno-match\t-\t-",
        ],
        "{stdout}{stderr}"
    );
    assert!(
        lines[3].starts_with("mailto:a@b.example\terror\turl-unsupported-scheme\t"),
        "{stdout}"
    );
    std::fs::remove_dir_all(&dir).ok();
}
