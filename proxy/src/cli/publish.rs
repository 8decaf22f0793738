//! `hashwall lists publish …`: a publication directory for subscribers
//! (`hashlists/FORMAT.md`, "Publication").
//!
//! `add` puts a new signed version of a list into `DIR/<list-id>/`, with
//! the signed delta from the previous one when there is one, and writes the
//! manifest last, every file atomically: a subscriber polling meanwhile
//! sees the old manifest (whose files are all still there) or the new one.
//! `serve` is a small static file server for the directory (any other
//! static web server works as well).

use std::collections::HashMap;
use std::convert::Infallible;
use std::io::{Read as _, Write as _};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use clap::Subcommand;
use hashwall_lists::{
    Delta, Entry, Error, ErrorKind, List, SecretKey, Timestamp, TrustStore, TrustedKey,
    write_atomic,
};
use hashwall_proxy::serve::publication::{
    DeltaRef, MANIFEST, Manifest, delta_file, is_safe_name, list_file,
};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::header::{self, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, mpsc};

/// `hashwall lists publish …`
#[derive(Debug, Subcommand)]
pub enum PublishCommand {
    /// Add a new version of a signed list to a publication directory
    /// (DIR/<list-id>/): the list, the signed delta from the previous
    /// version (given with --delta, or computed and signed with --key),
    /// then the manifest. Exit 1 if the list or delta does not verify or
    /// does not go forwards.
    Add {
        /// The publication directory.
        dir: PathBuf,
        /// The new version of the list (signed).
        list: PathBuf,
        /// The signed delta from the published version to LIST.
        #[arg(long, value_name = "FILE")]
        delta: Option<PathBuf>,
        /// The issuer's secret key: computes and signs the delta from the
        /// published version, and verifies LIST.
        #[arg(long, value_name = "FILE")]
        key: Option<PathBuf>,
        /// A trust store to verify LIST and the delta against (default:
        /// the public half of --key).
        #[arg(long, value_name = "FILE")]
        trust: Option<PathBuf>,
    },
    /// Serve a publication directory over HTTP/1.1: GET and HEAD of its
    /// files, with ETag and Last-Modified so an unchanged manifest costs a
    /// 304. Prints `listening on http://ADDR/` once bound.
    Serve {
        /// The publication directory.
        dir: PathBuf,
        /// Address to listen on (port 0: any free port).
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
    },
}

/// A failure with its exit status.
struct Fail {
    code: u8,
    message: String,
}

impl From<Error> for Fail {
    fn from(e: Error) -> Fail {
        let code = match e.kind() {
            ErrorKind::Io
            | ErrorKind::InvalidKey
            | ErrorKind::InsecureKeyFile
            | ErrorKind::InvalidUtf8
            | ErrorKind::LineTooLong
            | ErrorKind::UnknownEntryKind
            | ErrorKind::InvalidValue
            | ErrorKind::UnknownHeaderKey
            | ErrorKind::DuplicateHeaderKey
            | ErrorKind::UnsupportedVersion
            | ErrorKind::InvalidHeaderValue => 2,
            _ => 1,
        };
        Fail {
            code,
            message: e.to_string(),
        }
    }
}

/// An I/O error naming its path (exit 2).
fn io(path: &Path, e: std::io::Error) -> Fail {
    fail(2, format!("{}: {e}", path.display()))
}

fn fail(code: u8, message: impl Into<String>) -> Fail {
    Fail {
        code,
        message: message.into(),
    }
}

/// Runs a `publish` subcommand: exit 0 success, 1 a verification failure
/// or a version that does not go forwards, 2 usage and I/O errors.
pub fn run(cmd: &PublishCommand) -> ExitCode {
    let r = match cmd {
        PublishCommand::Add {
            dir,
            list,
            delta,
            key,
            trust,
        } => add(
            dir,
            list,
            delta.as_deref(),
            key.as_deref(),
            trust.as_deref(),
        ),
        PublishCommand::Serve { dir, listen } => serve(dir, *listen),
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("error: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

fn now() -> Result<Timestamp, Fail> {
    match std::env::var("HASHWALL_NOW") {
        Ok(s) => s
            .parse()
            .map_err(|e: Error| fail(2, format!("HASHWALL_NOW: {e}"))),
        Err(_) => Ok(Timestamp::now()),
    }
}

fn add(
    dir: &Path,
    list_path: &Path,
    delta: Option<&Path>,
    key: Option<&Path>,
    trust: Option<&Path>,
) -> Result<(), Fail> {
    let now = now()?;
    let key = key.map(SecretKey::read_file).transpose()?;
    let bytes = std::fs::read(list_path).map_err(|e| io(list_path, e))?;
    let stem = list_path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let list = List::from_text(&bytes, &stem)
        .map_err(|e| fail(2, format!("{}: {e}", list_path.display())))?;
    let store = match (trust, &key) {
        (Some(t), _) => TrustStore::load(t)?,
        (None, Some(k)) => {
            let mut s = TrustStore::new();
            s.add(TrustedKey {
                issuer: list.meta.issuer.clone(),
                key: k.public_key(),
                not_before: None,
                not_after: None,
            });
            s
        }
        (None, None) => {
            return Err(fail(
                2,
                "give --trust or --key: every published file must verify",
            ));
        }
    };
    if list.meta.signature.is_none() {
        return Err(fail(
            1,
            format!(
                "{}: not signed (hashwall lists sign); subscribers refuse unsigned lists",
                list_path.display()
            ),
        ));
    }
    list.verify(&store, now).map_err(|e| {
        let f = Fail::from(e);
        fail(f.code, format!("{}: {}", list_path.display(), f.message))
    })?;
    let id = &list.meta.id;
    let ldir = dir.join(id);
    std::fs::create_dir_all(&ldir).map_err(|e| io(&ldir, e))?;
    let mpath = ldir.join(MANIFEST);
    let previous = match std::fs::read(&mpath) {
        Ok(b) => Some(
            Manifest::from_text(&b).map_err(|e| fail(2, format!("{}: {e}", mpath.display())))?,
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io(&mpath, e)),
    };
    let mut deltas = Vec::new();
    let mut wrote_delta = None;
    if let Some(prev) = &previous {
        if prev.id != *id {
            return Err(fail(
                1,
                format!(
                    "{}: the manifest is for list {:?}",
                    mpath.display(),
                    prev.id
                ),
            ));
        }
        if list.meta.sequence <= prev.sequence {
            return Err(fail(
                1,
                format!(
                    "{}: sequence {} does not go forwards: {id} is published at {}",
                    list_path.display(),
                    list.meta.sequence,
                    prev.sequence
                ),
            ));
        }
        deltas.clone_from(&prev.deltas);
        let old = List::read_file(&ldir.join(&prev.list))?;
        if old.meta.issuer != list.meta.issuer {
            return Err(fail(
                1,
                format!(
                    "{}: issued by {:?}, the published list by {:?}",
                    list_path.display(),
                    list.meta.issuer,
                    old.meta.issuer
                ),
            ));
        }
        let d = match (delta, &key) {
            (Some(p), _) => Some(Delta::read_file(p)?),
            (None, Some(k)) => {
                let mut d = Delta::diff(&old, &list);
                d.sign(&old, k)?;
                Some(d)
            }
            (None, None) => None,
        };
        if let Some(d) = d {
            let given = delta.is_some();
            match check_delta(&old, &d, &list, &store, now) {
                Ok(()) => {
                    let name = delta_file(d.from, d.to);
                    write_atomic(&ldir.join(&name), |w| w.write_all(d.to_text().as_bytes()))?;
                    deltas.push(DeltaRef {
                        from: d.from,
                        to: d.to,
                        file: name.clone(),
                    });
                    wrote_delta = Some(name);
                }
                Err(f) if given => return Err(f),
                // A computed delta cannot carry a changed header (name,
                // policy...): subscribers then take the full list.
                Err(f) => eprintln!("note: no delta published: {}", f.message),
            }
        }
    }
    let name = list_file(list.meta.sequence);
    write_atomic(&ldir.join(&name), |w| w.write_all(&bytes))?;
    let manifest = Manifest {
        id: id.clone(),
        sequence: list.meta.sequence,
        published: now,
        list: name,
        deltas,
    };
    // Last: subscribers only see the new version once all its files exist.
    write_atomic(&mpath, |w| w.write_all(manifest.to_text().as_bytes()))?;
    println!(
        "published {id} sequence {} in {}{}",
        list.meta.sequence,
        ldir.display(),
        wrote_delta.map_or_else(String::new, |d| format!(" with {d}"))
    );
    Ok(())
}

/// The delta must be signed, verify, and take `old` to exactly `new`'s
/// header and entries (in any order).
fn check_delta(
    old: &List,
    d: &Delta,
    new: &List,
    store: &TrustStore,
    now: Timestamp,
) -> Result<(), Fail> {
    if d.from != old.meta.sequence || d.to != new.meta.sequence {
        return Err(fail(
            1,
            format!(
                "the delta goes {} -> {}, the versions are {} -> {}",
                d.from, d.to, old.meta.sequence, new.meta.sequence
            ),
        ));
    }
    let mut produced = old.clone();
    d.apply_to(&mut produced, store, now)?;
    let mut a = produced.meta.clone();
    let mut b = new.meta.clone();
    a.signature = None;
    b.signature = None;
    if a != b {
        return Err(fail(
            1,
            "the list's header changed beyond sequence, created and expires, which a delta cannot carry",
        ));
    }
    let mut counts: HashMap<&Entry, i64> = HashMap::new();
    for e in &produced.entries {
        *counts.entry(e).or_default() += 1;
    }
    for e in &new.entries {
        *counts.entry(e).or_default() -= 1;
    }
    if counts.values().any(|n| *n != 0) {
        return Err(fail(1, "the delta does not produce the list's entries"));
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// serve

/// Most connections served at once; more wait in the backlog.
const MAX_CONNECTIONS: usize = 512;
/// Bytes read from a file per body frame.
const CHUNK: usize = 64 * 1024;

fn serve(dir: &Path, listen: SocketAddr) -> Result<(), Fail> {
    let root = std::fs::canonicalize(dir).map_err(|e| io(dir, e))?;
    if !root.is_dir() {
        return Err(fail(2, format!("{}: not a directory", dir.display())));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| fail(2, format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async move {
        let listener = TcpListener::bind(listen)
            .await
            .map_err(|e| fail(2, format!("--listen {listen}: {e}")))?;
        let addr = listener.local_addr().map_err(|e| fail(2, e.to_string()))?;
        if !addr.ip().is_loopback() {
            eprintln!("note: serving {} to the network on {addr}", root.display());
        }
        println!("listening on http://{addr}/");
        let _ = std::io::stdout().flush();
        let root = Arc::new(root);
        let limit = Arc::new(Semaphore::new(MAX_CONNECTIONS));
        loop {
            let permit = tokio::select! {
                p = Arc::clone(&limit).acquire_owned() => p.map_err(|e| fail(2, e.to_string()))?,
                _ = tokio::signal::ctrl_c() => return Ok(()),
            };
            let (stream, _) = tokio::select! {
                r = listener.accept() => match r {
                    Ok(x) => x,
                    Err(_) => {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                _ = tokio::signal::ctrl_c() => return Ok(()),
            };
            let root = Arc::clone(&root);
            tokio::spawn(async move {
                let _permit = permit;
                let service = service_fn(move |req| {
                    let root = Arc::clone(&root);
                    async move { Ok::<_, Infallible>(handle(&root, &req).await) }
                });
                let mut builder = http1::Builder::new();
                builder
                    .timer(TokioTimer::new())
                    .header_read_timeout(Duration::from_secs(30));
                let conn = builder.serve_connection(TokioIo::new(stream), service);
                // Bounds a connection's life: a list of a few hundred MB
                // is sent well within it on any link worth polling over.
                let _ = tokio::time::timeout(Duration::from_secs(3600), conn).await;
            });
        }
    })
}

/// The files of a directory under `root` named by a request path, or why
/// not. Only plain names ([`is_safe_name`]) are accepted: no `..`, no
/// hidden files, no empty segments, and no `%`-escapes (no published name
/// needs one, so none is decoded and none can smuggle a separator).
pub fn resolve(root: &Path, path: &str) -> Result<PathBuf, StatusCode> {
    let rest = path.strip_prefix('/').ok_or(StatusCode::BAD_REQUEST)?;
    if rest.contains('%') || rest.contains('\\') {
        return Err(StatusCode::BAD_REQUEST);
    }
    let segments: Vec<&str> = rest.split('/').collect();
    if segments.len() > 8 {
        return Err(StatusCode::NOT_FOUND);
    }
    let mut p = root.to_path_buf();
    for s in segments {
        if s == ".." || s == "." {
            return Err(StatusCode::BAD_REQUEST);
        }
        if !is_safe_name(s) {
            return Err(StatusCode::NOT_FOUND);
        }
        p.push(s);
    }
    Ok(p)
}

async fn handle(root: &Path, req: &Request<Incoming>) -> Response<FileBody> {
    let head = match *req.method() {
        Method::GET => false,
        Method::HEAD => true,
        _ => {
            let mut r = status(StatusCode::METHOD_NOT_ALLOWED);
            r.headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            return r;
        }
    };
    let path = match resolve(root, req.uri().path()) {
        Ok(p) => p,
        Err(s) => return status(s),
    };
    let opened = tokio::task::spawn_blocking(move || open(&path)).await;
    let Ok(Some((file, meta))) = opened else {
        return status(StatusCode::NOT_FOUND);
    };
    let etag = etag(&meta);
    let modified = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs());
    let last_modified = http_date(modified);
    let not_modified = match req.headers().get(header::IF_NONE_MATCH) {
        Some(v) => v.to_str().is_ok_and(|v| {
            v.split(',').any(|t| {
                let t = t.trim();
                t == "*" || t.strip_prefix("W/").unwrap_or(t) == etag
            })
        }),
        // Exact match only: what a client echoes back from Last-Modified.
        None => req
            .headers()
            .get(header::IF_MODIFIED_SINCE)
            .is_some_and(|v| v.as_bytes() == last_modified.as_bytes()),
    };
    let len = meta.len();
    let mut r = if not_modified {
        let mut r = Response::new(FileBody::Empty);
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        r
    } else {
        let body = if head {
            FileBody::Empty
        } else {
            FileBody::stream(file, len)
        };
        let mut r = Response::new(body);
        r.headers_mut()
            .insert(header::CONTENT_LENGTH, HeaderValue::from(len));
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        r
    };
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&last_modified) {
        h.insert(header::LAST_MODIFIED, v);
    }
    // Caches may keep it but must ask every time: the manifest changes.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

/// A regular file (not a symbolic link, not a directory) and its metadata
/// from the open handle, so both describe the same version.
fn open(path: &Path) -> Option<(std::fs::File, std::fs::Metadata)> {
    let link = std::fs::symlink_metadata(path).ok()?;
    if !link.file_type().is_file() {
        return None;
    }
    let file = std::fs::File::open(path).ok()?;
    let meta = file.metadata().ok()?;
    meta.is_file().then_some((file, meta))
}

/// A strong validator: size, modification time and inode. Publishing
/// replaces files by rename, which changes the inode.
fn etag(meta: &std::fs::Metadata) -> String {
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    #[cfg(unix)]
    let ino = std::os::unix::fs::MetadataExt::ino(meta);
    #[cfg(not(unix))]
    let ino = 0u64;
    format!("\"{:x}-{mtime:x}-{ino:x}\"", meta.len())
}

fn status(s: StatusCode) -> Response<FileBody> {
    let text = format!("{s}\n");
    let mut r = Response::new(FileBody::Full(Some(Bytes::from(text))));
    *r.status_mut() = s;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// An IMF-fixdate (RFC 9110 §5.6.7) for Unix time `secs`.
pub fn http_date(secs: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = secs / 86_400;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    format!(
        "{}, {d:02} {} {y} {:02}:{:02}:{:02} GMT",
        DAYS[(days % 7) as usize],
        MONTHS[(m - 1) as usize],
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// A response body: nothing, a small text, or a file streamed in chunks
/// read on the blocking pool.
enum FileBody {
    Empty,
    Full(Option<Bytes>),
    Stream {
        rx: mpsc::Receiver<std::io::Result<Bytes>>,
        remaining: u64,
    },
}

impl FileBody {
    fn stream(mut file: std::fs::File, len: u64) -> FileBody {
        let (tx, rx) = mpsc::channel(4);
        tokio::task::spawn_blocking(move || {
            let mut left = len;
            while left > 0 {
                let mut buf = vec![0u8; CHUNK.min(usize::try_from(left).unwrap_or(CHUNK))];
                let item = match file.read(&mut buf) {
                    Ok(0) => Err(std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "file shrank while being sent",
                    )),
                    Ok(n) => {
                        buf.truncate(n);
                        left -= n as u64;
                        Ok(Bytes::from(buf))
                    }
                    Err(e) => Err(e),
                };
                let stop = item.is_err();
                // The client went away: stop reading.
                if tx.blocking_send(item).is_err() || stop {
                    return;
                }
            }
        });
        FileBody::Stream { rx, remaining: len }
    }
}

impl Body for FileBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        match self.get_mut() {
            FileBody::Empty => Poll::Ready(None),
            FileBody::Full(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            FileBody::Stream { rx, remaining } => match rx.poll_recv(cx) {
                Poll::Ready(Some(Ok(b))) => {
                    *remaining = remaining.saturating_sub(b.len() as u64);
                    Poll::Ready(Some(Ok(Frame::data(b))))
                }
                Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e))),
                Poll::Ready(None) => Poll::Ready(None),
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            FileBody::Empty => true,
            FileBody::Full(b) => b.is_none(),
            FileBody::Stream { remaining, .. } => *remaining == 0,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            FileBody::Empty => SizeHint::with_exact(0),
            FileBody::Full(b) => SizeHint::with_exact(b.as_ref().map_or(0, |b| b.len() as u64)),
            FileBody::Stream { remaining, .. } => SizeHint::with_exact(*remaining),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates() {
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(http_date(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(http_date(951_782_400), "Tue, 29 Feb 2000 00:00:00 GMT");
        assert_eq!(http_date(1_795_420_800), "Mon, 23 Nov 2026 08:00:00 GMT");
    }

    #[test]
    fn resolves_only_plain_names() {
        let root = Path::new("/srv/pub");
        assert_eq!(
            resolve(root, "/police/manifest"),
            Ok(PathBuf::from("/srv/pub/police/manifest"))
        );
        for (bad, want) in [
            ("/police/../../etc/passwd", StatusCode::BAD_REQUEST),
            ("/..", StatusCode::BAD_REQUEST),
            ("/./police/manifest", StatusCode::BAD_REQUEST),
            ("/police/%2e%2e/x", StatusCode::BAD_REQUEST),
            ("/police%2fmanifest", StatusCode::BAD_REQUEST),
            ("/police/..%5cx", StatusCode::BAD_REQUEST),
            ("/police\\..\\x", StatusCode::BAD_REQUEST),
            ("police/manifest", StatusCode::BAD_REQUEST),
            ("//etc/passwd", StatusCode::NOT_FOUND),
            ("/police/", StatusCode::NOT_FOUND),
            ("/", StatusCode::NOT_FOUND),
            ("/police/.manifest.tmp.1.0", StatusCode::NOT_FOUND),
            ("/a/b/c/d/e/f/g/h/i", StatusCode::NOT_FOUND),
        ] {
            assert_eq!(resolve(root, bad), Err(want), "{bad}");
        }
    }
}
