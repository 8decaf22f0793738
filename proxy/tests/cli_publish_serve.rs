//! `hashwall lists publish serve` as a running process: it serves the
//! files of the publication layout and nothing else — not a key left in
//! the directory, not `.git`, not a file behind a symbolic link that leaves
//! the directory (or any link below it), whatever the spelling of the
//! path — and warns when started without `--token-file`.
#![allow(clippy::unwrap_used)]

mod serve_support;
mod subscribe_support;

use std::io::{BufRead as _, Read as _};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use hashwall_lists::SecretKey;
use serve_support::{TempDir, raw};
use subscribe_support::{police, publish};

const SECRET: &str = "TOPSECRET";

/// The publisher as a child process with its standard error kept.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    fn start(dir: &Path, extra: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_hashwall"))
            .args(["lists", "publish", "serve", dir.to_str().unwrap()])
            .args(["--listen", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .trim()
            .strip_prefix("listening on http://")
            .and_then(|a| a.strip_suffix('/'))
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .parse()
            .unwrap();
        Server { child, addr }
    }

    /// Stops the server; what it wrote to standard error.
    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let mut err = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        err
    }
}

async fn get(addr: SocketAddr, target: &[u8], extra: &str) -> (u16, String, String) {
    let mut req = b"GET ".to_vec();
    req.extend_from_slice(target);
    req.extend_from_slice(
        format!(" HTTP/1.1\r\nHost: pub\r\n{extra}Connection: close\r\n\r\n").as_bytes(),
    );
    raw(addr, &req).await
}

/// A publication directory with two versions of `police` (lists 1 and 2,
/// delta 1-2, manifest) and everything that must never be served around
/// them.
fn layout(dir: &TempDir) -> std::path::PathBuf {
    let key = SecretKey::from_seed(&[5; 32]);
    let key_file = dir.0.join("police.key");
    key.write_file(&key_file).unwrap();
    let pubdir = dir.0.join("pub");
    std::fs::create_dir_all(&pubdir).unwrap();
    publish(dir, &pubdir, &police(&key, 1, &["a"]), &key_file);
    publish(dir, &pubdir, &police(&key, 2, &["a", "b"]), &key_file);
    let police_dir = pubdir.join("police");
    for f in ["manifest", "list-1.hwl", "list-2.hwl", "delta-1-2.hwd"] {
        assert!(police_dir.join(f).is_file(), "{f}");
    }
    // Left in the directory by mistake.
    std::fs::write(pubdir.join("signing.key"), SECRET).unwrap();
    std::fs::write(police_dir.join("signing.key"), SECRET).unwrap();
    std::fs::write(police_dir.join("notes.txt"), SECRET).unwrap();
    std::fs::write(police_dir.join(".manifest.tmp.1.0"), SECRET).unwrap();
    std::fs::create_dir_all(pubdir.join(".git")).unwrap();
    std::fs::write(pubdir.join(".git").join("config"), SECRET).unwrap();
    std::fs::write(pubdir.join(".git").join("manifest"), SECRET).unwrap();
    // Outside the directory, reached by links.
    let outside = dir.0.join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("manifest"), SECRET).unwrap();
    std::fs::write(outside.join("list-1.hwl"), SECRET).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::symlink;
        symlink(&outside, pubdir.join("leak")).unwrap();
        symlink(pubdir.join("signing.key"), police_dir.join("list-9.hwl")).unwrap();
        symlink(outside.join("manifest"), police_dir.join("delta-2-3.hwd")).unwrap();
        symlink(&police_dir, pubdir.join("alias")).unwrap();
        symlink("/etc/passwd", police_dir.join("list-10.hwl")).unwrap();
    }
    pubdir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_the_layout_and_nothing_else() {
    let dir = TempDir::new("publish-only-layout");
    let pubdir = layout(&dir);
    let server = Server::start(&pubdir, &[]);
    let a = server.addr;

    for file in ["manifest", "list-1.hwl", "list-2.hwl", "delta-1-2.hwd"] {
        let (status, head, body) = get(a, format!("/police/{file}").as_bytes(), "").await;
        assert_eq!(status, 200, "{file}: {head}");
        assert_eq!(
            body,
            std::fs::read_to_string(pubdir.join("police").join(file)).unwrap(),
            "{file}"
        );
    }
    // Absolute-form names the same files.
    let (status, _, _) = get(a, b"http://pub/police/manifest", "").await;
    assert_eq!(status, 200);

    let abs = format!("{}/police/manifest", pubdir.display());
    let abs_key = format!("{}/signing.key", pubdir.display());
    let not_found: Vec<&[u8]> = vec![
        // What else the directory holds.
        b"/signing.key",
        b"/police/signing.key",
        b"/police/notes.txt",
        b"/police/.manifest.tmp.1.0",
        b"/.git/config",
        b"/.git/manifest",
        b"/.git/",
        // Links: out of the directory, to a key inside it, to /etc, and
        // even one that stays inside.
        b"/leak/manifest",
        b"/leak/list-1.hwl",
        b"/police/list-9.hwl",
        b"/police/list-10.hwl",
        b"/police/delta-2-3.hwd",
        b"/alias/manifest",
        // Layout names that do not exist, or written otherwise.
        b"/police/list-3.hwl",
        b"/police/list-01.hwl",
        b"/police/list-+1.hwl",
        b"/police/MANIFEST",
        b"/police/manifest.",
        b"/police/manifest/",
        b"/police/manifest/.",
        b"/nope/manifest",
        // Traversal, in every spelling.
        b"/police/../signing.key",
        b"/../signing.key",
        b"/police/../../outside/manifest",
        b"/police/%2e%2e/signing.key",
        b"/police/%2E%2E/signing.key",
        b"/%2e%2e/outside/manifest",
        b"/police/..%2fsigning.key",
        b"/police%2f..%2fsigning.key",
        b"/police/..%5csigning.key",
        b"/police\\..\\signing.key",
        b"/police/%00/manifest",
        b"/police/manifest%00",
        b"/./police/manifest",
        b"/police/./manifest",
        b"//police/manifest",
        b"/police//manifest",
        b"///etc/passwd",
        b"//etc/passwd",
        b"/etc/passwd",
        abs.as_bytes(),
        abs_key.as_bytes(),
        b"http://pub/../signing.key",
        b"http://pub/police/%2e%2e/signing.key",
        b"http://pub//etc/passwd",
        b"/police",
        b"/police/",
        b"/",
        b"*",
    ];
    for target in not_found {
        let (status, head, body) = get(a, target, "").await;
        let t = String::from_utf8_lossy(target);
        assert_eq!(status, 404, "{t}: {head}");
        assert!(!body.contains(SECRET) && !head.contains(SECRET), "{t}");
    }
    // Bytes no request target may hold are refused by the HTTP parser
    // itself (400) before a path is looked at.
    let malformed: Vec<&[u8]> = vec![
        b"\\police\\manifest",
        b"/police/manifest\0",
        b"/police/ manifest",
        b"/police/\x7fmanifest",
        b"/police/\xffmanifest",
    ];
    for target in malformed {
        let (status, head, body) = get(a, target, "").await;
        let t = String::from_utf8_lossy(target);
        assert_eq!(status, 400, "{t}: {head}");
        assert!(!body.contains(SECRET) && !head.contains(SECRET), "{t}");
    }

    // A list directory replaced by a link out of the directory (after the
    // server started): not followed.
    #[cfg(unix)]
    {
        let police_dir = pubdir.join("police");
        let moved = dir.0.join("police-moved");
        std::fs::rename(&police_dir, &moved).unwrap();
        std::os::unix::fs::symlink(dir.0.join("outside"), &police_dir).unwrap();
        let (status, _, body) = get(a, b"/police/manifest", "").await;
        assert_eq!(status, 404);
        assert!(!body.contains(SECRET));
        std::fs::remove_file(&police_dir).unwrap();
        std::fs::rename(&moved, &police_dir).unwrap();
        assert_eq!(get(a, b"/police/manifest", "").await.0, 200);
    }

    let stderr = server.stop();
    assert!(
        stderr.contains("warning: started without --token-file"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_token_nothing_is_told_without_it_and_no_warning() {
    let dir = TempDir::new("publish-token");
    let pubdir = layout(&dir);
    let token = dir.write("token", "s3cret-token\n");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let server = Server::start(
        &pubdir,
        &[
            "--token-file",
            token.to_str().unwrap(),
            "--allow-cleartext-token",
        ],
    );
    let a = server.addr;
    for target in [&b"/police/manifest"[..], b"/signing.key", b"/leak/manifest"] {
        assert_eq!(get(a, target, "").await.0, 401);
    }
    let auth = "Authorization: Bearer s3cret-token\r\n";
    assert_eq!(get(a, b"/police/manifest", auth).await.0, 200);
    for target in [
        &b"/signing.key"[..],
        b"/leak/manifest",
        b"/police/list-9.hwl",
    ] {
        let (status, _, body) = get(a, target, auth).await;
        assert_eq!(status, 404);
        assert!(!body.contains(SECRET));
    }
    let stderr = server.stop();
    assert!(!stderr.contains("--token-file"), "{stderr}");
}
