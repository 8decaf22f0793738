//! `tests/c/capi_test.c`, compiled with gcc against `include/hashwall.h`
//! and the built `libhashwall.so`, run on real fixtures; then again under
//! valgrind (no leak, no invalid access).

mod common;

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The compiled C test program (`None`: gcc is missing, skipped).
fn program() -> Option<&'static PathBuf> {
    static PROGRAM: OnceLock<Option<PathBuf>> = OnceLock::new();
    PROGRAM
        .get_or_init(|| {
            let gcc = common::peer("gcc", "--version", "the C test program")?;
            let lib = common::library_dir();
            let out = common::scratch("cc").join("capi_test");
            let src = common::crate_dir().join("tests/c/capi_test.c");
            let o = Command::new(gcc)
                .args(["-std=c11", "-D_POSIX_C_SOURCE=200809L", "-g", "-O1"])
                .args(["-Wall", "-Wextra", "-Werror", "-pedantic"])
                .arg("-I")
                .arg(common::crate_dir().join("include"))
                .arg(&src)
                .arg("-o")
                .arg(&out)
                .arg("-L")
                .arg(&lib)
                .arg(format!("-Wl,-rpath,{}", lib.display()))
                .args(["-lhashwall", "-lpthread"])
                .output()
                .expect("run gcc");
            assert!(o.status.success(), "gcc failed:\n{}", text(&o));
            Some(out)
        })
        .as_ref()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The number of checks the program reports passing.
fn checks_passed(o: &Output) -> usize {
    let out = String::from_utf8_lossy(&o.stdout);
    out.lines()
        .find_map(|l| l.strip_prefix("ok: "))
        .and_then(|l| l.strip_suffix(" checks"))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[test]
fn the_c_program_checks_urls_images_hashes_errors_and_threads() {
    let Some(program) = program() else { return };
    let dir = common::fixtures("c");
    let o = Command::new(program)
        .arg(&dir)
        .output()
        .expect("run the C test program");
    assert!(o.status.success(), "C test program failed:\n{}", text(&o));
    let n = checks_passed(&o);
    assert!(n > 200, "only {n} checks ran:\n{}", text(&o));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_c_program_is_clean_under_valgrind() {
    let Some(program) = program() else { return };
    let Some(valgrind) = common::peer("valgrind", "--version", "the C program under valgrind")
    else {
        return;
    };
    let dir = common::fixtures("valgrind");
    let o = Command::new(valgrind)
        .args([
            "--leak-check=full",
            "--show-leak-kinds=definite,indirect,possible",
            "--errors-for-leak-kinds=definite,indirect,possible",
            "--error-exitcode=1",
        ])
        .arg(format!(
            "--suppressions={}",
            common::crate_dir().join("tests/c/valgrind.supp").display()
        ))
        .arg(program)
        .arg(&dir)
        .output()
        .expect("run valgrind");
    let report = text(&o);
    assert!(o.status.success(), "valgrind found errors:\n{report}");
    assert!(checks_passed(&o) > 200, "{report}");
    assert!(report.contains("ERROR SUMMARY: 0 errors"), "{report}");
    std::fs::remove_dir_all(&dir).ok();
}
