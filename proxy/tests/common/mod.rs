//! Running the `hashwall` binary from integration tests.

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Runs `hashwall ARGS…`, feeding `stdin` (or nothing) to it.
pub fn hashwall(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hashwall"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the hashwall binary runs");
    let mut pipe = child.stdin.take().expect("stdin is piped");
    if let Some(s) = stdin {
        pipe.write_all(s.as_bytes()).expect("write stdin");
    }
    drop(pipe);
    child.wait_with_output().expect("hashwall exits")
}
