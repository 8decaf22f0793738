//! `hashwall lists publish serve`: a small static file server for a
//! publication directory. GET and HEAD only, and only the files the
//! publication layout names (`hashlists/FORMAT.md`, "Publication"):
//! `/<list-id>/manifest`, `/<list-id>/list-<seq>.hwl` and
//! `/<list-id>/delta-<from>-<to>.hwd`. Everything else is 404 — a signing
//! key, `.git`, notes or temporary files left in the directory, and any
//! path that would leave it — and no file is served through a symbolic
//! link below the directory or from outside it, checked on the opened
//! handle so that a link swapped in meanwhile is caught too ([`open`]).
//! `ETag` and `Last-Modified` with `If-None-Match` / `If-Modified-Since`
//! answered 304, so a subscriber polling an unchanged manifest costs a
//! few hundred bytes; files streamed from disk in chunks, never held whole
//! in memory. With TLS (tokio-rustls) and a bearer token checked before
//! anything else, so nobody without the token learns even which files
//! exist; started without a token it warns.

use std::convert::Infallible;
use std::io::{Read as _, Write as _};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use hashwall_lists::ListMeta;
use hashwall_lists::publication::{MANIFEST, delta_file, list_file};
use hashwall_proxy::serve::transport::Token;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::header::{self, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, mpsc};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;

/// Most connections served at once; more wait in the backlog.
const MAX_CONNECTIONS: usize = 512;
/// Bytes read from a file per body frame.
const CHUNK: usize = 64 * 1024;

/// How the server is reached: TLS and a required bearer token, each
/// optional.
#[derive(Debug, Default)]
pub struct ServeOptions {
    /// Serve HTTPS with this configuration.
    pub tls: Option<Arc<ServerConfig>>,
    /// Every request must carry this bearer token.
    pub token: Option<Token>,
}

/// Longest a TLS handshake may take before the connection is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);

/// Serves `dir` on `listen` until interrupted; prints `listening on
/// http[s]://ADDR/` once bound. Errors are messages for the command line.
pub fn serve(dir: &Path, listen: SocketAddr, options: ServeOptions) -> Result<(), String> {
    let root = std::fs::canonicalize(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    if !root.is_dir() {
        return Err(format!("{}: not a directory", dir.display()));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(async move {
        let listener = TcpListener::bind(listen)
            .await
            .map_err(|e| format!("--listen {listen}: {e}"))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        if options.token.is_none() {
            eprintln!(
                "warning: started without --token-file: anyone who can connect to {addr} can \
                 read every list under {}",
                root.display()
            );
        }
        if !addr.ip().is_loopback() {
            eprintln!("note: serving {} to the network on {addr}", root.display());
            if options.tls.is_none() || options.token.is_none() {
                eprintln!(
                    "note: without --tls-cert/--tls-key and --token-file, anyone who can reach \
                     {addr} or watch the network can read the lists"
                );
            }
        }
        let scheme = if options.tls.is_some() {
            "https"
        } else {
            "http"
        };
        println!("listening on {scheme}://{addr}/");
        let _ = std::io::stdout().flush();
        let acceptor = options.tls.map(TlsAcceptor::from);
        let shared = Arc::new((root, options.token));
        let limit = Arc::new(Semaphore::new(MAX_CONNECTIONS));
        loop {
            let permit = tokio::select! {
                p = Arc::clone(&limit).acquire_owned() => p.map_err(|e| e.to_string())?,
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
            let shared = Arc::clone(&shared);
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let _permit = permit;
                match acceptor {
                    None => connection(stream, shared).await,
                    Some(a) => {
                        // A failed or stalled handshake just ends the
                        // connection: the client sees the TLS error.
                        if let Ok(Ok(tls)) =
                            tokio::time::timeout(HANDSHAKE_TIMEOUT, a.accept(stream)).await
                        {
                            connection(tls, shared).await;
                        }
                    }
                }
            });
        }
    })
}

/// Serves HTTP/1.1 on one connection (plain or TLS).
async fn connection<S>(stream: S, shared: Arc<(PathBuf, Option<Token>)>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |req| {
        let shared = Arc::clone(&shared);
        async move {
            let (root, token) = &*shared;
            if let Some(t) = token
                && !t.accepts(req.headers().get(header::AUTHORIZATION))
            {
                return Ok::<_, Infallible>(unauthorized(
                    req.headers().contains_key(header::AUTHORIZATION),
                ));
            }
            Ok::<_, Infallible>(handle(root, &req).await)
        }
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(30));
    let conn = builder.serve_connection(TokioIo::new(stream), service);
    // Bounds a connection's life: a list of a few hundred MB is sent well
    // within it on any link worth polling over.
    let _ = tokio::time::timeout(Duration::from_secs(3600), conn).await;
}

/// 401 with the challenge (RFC 6750): `invalid_token` when one was given.
fn unauthorized(token_given: bool) -> Response<FileBody> {
    let mut r = status(StatusCode::UNAUTHORIZED);
    let challenge = if token_given {
        "Bearer realm=\"hashwall-publish\", error=\"invalid_token\""
    } else {
        "Bearer realm=\"hashwall-publish\""
    };
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(challenge),
    );
    r
}

/// The file under `root` that a request path names, when the publication
/// layout names such a file: `/<list-id>/manifest`,
/// `/<list-id>/list-<seq>.hwl` or `/<list-id>/delta-<from>-<to>.hwd`, with a
/// valid list id that does not start with `.` and the numbers written as
/// the publisher writes them. `None` (404) for anything else: other names,
/// other depths, `..`, `%`-escapes (none is decoded: no published name
/// needs one), backslashes, empty segments.
pub fn resolve(root: &Path, path: &str) -> Option<PathBuf> {
    let (id, name) = path.strip_prefix('/')?.split_once('/')?;
    let id_ok = ListMeta::is_valid_id(id) && !id.starts_with('.');
    (id_ok && is_layout_name(name)).then(|| root.join(id).join(name))
}

/// Whether `name` is a file name the publication layout defines.
fn is_layout_name(name: &str) -> bool {
    if name == MANIFEST {
        return true;
    }
    if let Some(seq) = name
        .strip_prefix("list-")
        .and_then(|r| r.strip_suffix(".hwl"))
    {
        return seq.parse().is_ok_and(|seq| list_file(seq) == name);
    }
    if let Some((from, to)) = name
        .strip_prefix("delta-")
        .and_then(|r| r.strip_suffix(".hwd"))
        .and_then(|r| r.split_once('-'))
    {
        return matches!((from.parse(), to.parse()), (Ok(f), Ok(t)) if delta_file(f, t) == name);
    }
    false
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
    let Some(path) = resolve(root, req.uri().path()) else {
        return status(StatusCode::NOT_FOUND);
    };
    let root = root.to_path_buf();
    let opened = tokio::task::spawn_blocking(move || open(&root, &path)).await;
    let Ok(Some((file, meta))) = opened else {
        return status(StatusCode::NOT_FOUND);
    };
    let etag = etag(&meta);
    // HTTP dates have whole seconds.
    let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
    let last_modified = httpdate::fmt_http_date(modified);
    let not_modified = match req.headers().get(header::IF_NONE_MATCH) {
        Some(v) => v.to_str().is_ok_and(|v| {
            v.split(',').any(|t| {
                let t = t.trim();
                t == "*" || t.strip_prefix("W/").unwrap_or(t) == etag
            })
        }),
        // RFC 9110 §13.1.3: unchanged since the date given (an invalid
        // date is ignored).
        None => req
            .headers()
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok())
            .is_some_and(|since| unchanged_since(modified, since)),
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

/// `path` (under the canonical `root`, as [`resolve`] made it) opened, and
/// its metadata from the open handle, so both describe the same version;
/// `None` unless it is a regular file reached without leaving `root` and
/// without a symbolic link below it. The last component is opened without
/// following a link and without blocking (a FIFO); then the path is
/// resolved again and must be itself and name the same file (device and
/// inode) as the handle: a directory swapped for a link to elsewhere before
/// the open, or after it, is caught either way.
fn open(root: &Path, path: &Path) -> Option<(std::fs::File, std::fs::Metadata)> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(
        &mut options,
        libc::O_NOFOLLOW | libc::O_NONBLOCK,
    );
    let file = options.open(path).ok()?;
    let meta = file.metadata().ok()?;
    if !meta.is_file() {
        return None;
    }
    let resolved = std::fs::canonicalize(path).ok()?;
    if resolved != path || !resolved.starts_with(root) {
        return None;
    }
    let now = std::fs::metadata(&resolved).ok()?;
    same_file(&meta, &now).then_some((file, meta))
}

/// Whether two metadata describe the same file.
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        a.dev() == b.dev() && a.ino() == b.ino()
    }
    #[cfg(not(unix))]
    {
        a.len() == b.len() && a.modified().ok() == b.modified().ok()
    }
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

/// Whether a file modified at `modified` is unchanged since `since`, at
/// the one-second resolution of HTTP dates.
fn unchanged_since(modified: SystemTime, since: SystemTime) -> bool {
    let secs = |t: SystemTime| {
        t.duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    };
    secs(modified) <= secs(since)
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
    fn modified_since_has_second_resolution() {
        let at = |s: u64, ms: u64| {
            SystemTime::UNIX_EPOCH + Duration::from_secs(s) + Duration::from_millis(ms)
        };
        let since = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT")
            .unwrap_or(SystemTime::UNIX_EPOCH);
        assert_eq!(since, at(784_111_777, 0));
        assert!(unchanged_since(at(784_111_777, 900), since));
        assert!(unchanged_since(at(784_111_700, 0), since));
        assert!(!unchanged_since(at(784_111_778, 0), since));
        assert_eq!(
            httpdate::fmt_http_date(at(784_111_777, 900)),
            "Sun, 06 Nov 1994 08:49:37 GMT"
        );
    }

    #[test]
    fn serves_only_names_of_the_publication_layout() {
        let root = Path::new("/srv/pub");
        for good in [
            "/police/manifest",
            "/police/list-7.hwl",
            "/police/list-0.hwl",
            "/police/delta-6-7.hwd",
            "/police-nl.v2_x/manifest",
            "/police/list-18446744073709551615.hwl",
        ] {
            assert_eq!(resolve(root, good), Some(root.join(&good[1..])), "{good}");
        }
        for bad in [
            "/police/../../etc/passwd",
            "/..",
            "/../police/manifest",
            "/./police/manifest",
            "/police/./manifest",
            "/./manifest",
            "/../manifest",
            "/.git/config",
            "/.git/manifest",
            "/.police/manifest",
            "/police/.manifest.tmp.1.0",
            "/police/%2e%2e/x",
            "/%2e%2e/manifest",
            "/police%2fmanifest",
            "/police/..%5cx",
            "/police\\..\\x",
            "/police\\manifest",
            "police/manifest",
            "//etc/passwd",
            "//police/manifest",
            "/police//manifest",
            "/police/manifest/",
            "/police/manifest/x",
            "/police/",
            "/police",
            "/",
            "",
            "/manifest",
            "/police/MANIFEST",
            "/police/manifest.bak",
            "/police/signing.key",
            "/police/secret.key",
            "/police/list-7.hwl.tmp",
            "/police/list-07.hwl",
            "/police/list-+7.hwl",
            "/police/list--7.hwl",
            "/police/list-.hwl",
            "/police/list-18446744073709551616.hwl",
            "/police/delta-6-7.hwl",
            "/police/delta-6.hwd",
            "/police/delta-6-7-8.hwd",
            "/police/delta-06-7.hwd",
            "/police/manifest\0",
            "/police\0/manifest",
            "/a/b/c/d/e/f/g/h/i",
        ] {
            assert_eq!(resolve(root, bad), None, "{bad}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn opens_no_link_and_nothing_outside_the_root() {
        use std::os::unix::fs::symlink;
        let base =
            std::env::temp_dir().join(format!("hashwall-publish-open-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let root = base.join("pub");
        let outside = base.join("outside");
        std::fs::create_dir_all(root.join("police")).expect("dirs");
        std::fs::create_dir_all(&outside).expect("dirs");
        let root = std::fs::canonicalize(&root).expect("root");
        std::fs::write(root.join("police/manifest"), "ok").expect("write");
        std::fs::write(root.join("key"), "SECRET").expect("write");
        std::fs::write(outside.join("manifest"), "SECRET").expect("write");
        symlink(&outside, root.join("linked")).expect("link");
        symlink(root.join("key"), root.join("police/list-1.hwl")).expect("link");
        symlink(root.join("police"), root.join("inside")).expect("link");
        std::fs::create_dir(root.join("police/delta-1-2.hwd")).expect("dir");
        let open_at = |p: &str| resolve(&root, p).and_then(|path| open(&root, &path));
        assert!(open_at("/police/manifest").is_some());
        for refused in [
            "/linked/manifest",
            "/police/list-1.hwl",
            "/inside/manifest",
            "/police/delta-1-2.hwd",
            "/police/list-2.hwl",
        ] {
            assert!(open_at(refused).is_none(), "{refused}");
        }
        let _ = std::fs::remove_dir_all(&base);
    }
}
