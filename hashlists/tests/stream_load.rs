//! `Loader::load_streamed` against `Loader::load_then`: the same lists pass
//! and fail with the same errors (kind, line, message), a sink sees every
//! entry in file order, and nothing a sink built comes back from a list
//! that fails.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use hashwall_lists::{
    Built, Entry, EntrySink, Error, ErrorKind, ExpiredPolicy, List, ListMeta, LoadOptions, Loader,
    NoFloor, RollbackFloor, SecretKey, Timestamp, TrustStore, TrustedKey,
};

/// Collects what it is given; counts `begin` calls in `begun`.
struct Collect {
    entries: Vec<Entry>,
    begun: Arc<AtomicUsize>,
    fail_at: Option<usize>,
}

impl Collect {
    fn new() -> Collect {
        Collect {
            entries: Vec::new(),
            begun: Arc::new(AtomicUsize::new(0)),
            fail_at: None,
        }
    }
}

impl EntrySink for Collect {
    type Output = Vec<Entry>;
    type Error = String;
    fn begin(&mut self, _meta: &ListMeta) -> Result<(), String> {
        self.begun.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
    fn entry(&mut self, e: &Entry) -> Result<(), String> {
        if self.fail_at == Some(self.entries.len()) {
            return Err(format!("sink refused entry {}", self.entries.len()));
        }
        self.entries.push(e.clone());
        Ok(())
    }
    fn end(self) -> Result<Vec<Entry>, String> {
        Ok(self.entries)
    }
}

struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let d = std::env::temp_dir().join(format!("hashwall-stream-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        Dir(d)
    }
    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn key() -> SecretKey {
    SecretKey::from_seed(&[9; 32])
}

fn now() -> Timestamp {
    "2026-06-01T00:00:00Z".parse().unwrap()
}

fn trust() -> TrustStore {
    let mut t = TrustStore::new();
    t.add(TrustedKey {
        issuer: "Police".into(),
        key: key().public_key(),
        not_before: None,
        not_after: None,
    });
    t
}

fn loader(allow_unsigned: bool, expired: ExpiredPolicy) -> Loader {
    Loader::new(
        trust(),
        LoadOptions {
            allow_unsigned,
            expired,
            min_sequence: None,
            now: Some(now()),
        },
    )
}

/// A signed list of `n` entries of every URL and hash kind, as text.
fn signed_text(n: usize, expires: Option<&str>) -> String {
    let mut text = String::from(
        "# id: police\n# issuer: Police\n# sequence: 5\n# created: 2026-01-01T00:00:00Z\n",
    );
    if let Some(e) = expires {
        text.push_str(&format!("# expires: {e}\n"));
    }
    for i in 0..n {
        text.push_str(&match i % 5 {
            0 => format!("domain h{i}.example REF-{i}\n"),
            1 => format!("url-prefix h{i}.example/gallery/{i}/\n"),
            2 => format!("url h{i}.example/img/{i}.jpg R {i}\n"),
            3 => format!("pdq {:064x}\n", i as u128 * 0x9e37_79b9_7f4a_7c15),
            _ => format!("@2025-01-01T00:00:00Z sha1 {:040x} S-{i}\n", i),
        });
    }
    let mut list = List::from_text(text.as_bytes(), "x").unwrap();
    list.sign(&key());
    list.to_text()
}

/// What `load_streamed` gives with a [`Collect`] sink.
type StreamedLoad = Result<(hashwall_lists::Streamed, Built<Collect>), Error>;

/// Both loads of `path`: the whole list (`load_then`) and the stream.
fn both(
    l: &Loader,
    path: &Path,
    floor: &dyn RollbackFloor,
    sink: Collect,
) -> (Result<List, Error>, StreamedLoad) {
    let whole = l.load_then(path, floor, |_| ()).map(|(l, ())| l.list);
    let streamed = l.load_streamed(path, floor, sink);
    (whole, streamed)
}

fn same_error(a: &Error, b: &Error) {
    assert_eq!(a.kind(), b.kind(), "{a} / {b}");
    assert_eq!(a.line(), b.line(), "{a} / {b}");
    assert_eq!(a.to_string(), b.to_string());
    assert_eq!(a.path(), b.path());
}

#[test]
fn a_good_signed_list_streams_every_entry_in_order() {
    let dir = Dir::new("good");
    // More than two digest chunks (65 536 entries each), so the chunked
    // digest computed while reading is checked across chunk ends.
    let path = dir.write("police.list", signed_text(140_000, None).as_bytes());
    let l = loader(false, ExpiredPolicy::Refuse);
    let (whole, streamed) = both(&l, &path, &NoFloor, Collect::new());
    let whole = whole.unwrap();
    let (s, built) = streamed.unwrap();
    assert_eq!(s.meta, whole.meta);
    assert_eq!(s.entries, whole.entries.len());
    assert_eq!(built.unwrap(), whole.entries);
    assert_eq!(
        s.verification.signer.unwrap().key_id,
        key().public_key().key_id()
    );
}

#[test]
fn a_bad_signature_returns_nothing_built() {
    let dir = Dir::new("forged");
    let text = signed_text(3_000, None);
    let forged = text.replacen("h1500.example", "h1500.exampla", 1);
    assert_ne!(text, forged);
    let path = dir.write("police.list", forged.as_bytes());
    for allow_unsigned in [false, true] {
        let l = loader(allow_unsigned, ExpiredPolicy::Refuse);
        let (whole, streamed) = both(&l, &path, &NoFloor, Collect::new());
        let (a, b) = (whole.unwrap_err(), streamed.unwrap_err());
        assert_eq!(b.kind(), ErrorKind::BadSignature);
        same_error(&a, &b);
    }
}

#[test]
fn a_bad_line_in_the_middle_is_reported_at_its_line() {
    let dir = Dir::new("badline");
    let text = signed_text(5_000, None);
    let mut lines: Vec<&str> = text.lines().collect();
    let at = lines.len() / 2;
    lines[at] = "pdq 12345";
    let bad = lines.join("\n") + "\n";
    let path = dir.write("police.list", bad.as_bytes());
    let l = loader(false, ExpiredPolicy::Refuse);
    let (whole, streamed) = both(&l, &path, &NoFloor, Collect::new());
    let (a, b) = (whole.unwrap_err(), streamed.unwrap_err());
    assert_eq!(b.kind(), ErrorKind::InvalidValue);
    assert_eq!(b.line(), Some(at + 1));
    same_error(&a, &b);
    // A list cut short, and one with a line too long, in the middle.
    let cut = &text.as_bytes()[..text.len() * 2 / 3];
    let long = text.replacen(
        "h2000.example",
        &format!("h2000.example/{}", "x".repeat(70_000)),
        1,
    );
    for (name, bytes) in [("cut", cut), ("long", long.as_bytes())] {
        let path = dir.write(&format!("{name}.list"), bytes);
        let (whole, streamed) = both(&l, &path, &NoFloor, Collect::new());
        same_error(&whole.unwrap_err(), &streamed.unwrap_err());
    }
}

#[test]
fn floor_expiry_and_unsigned_as_before() {
    let dir = Dir::new("checks");
    let path = dir.write("police.list", signed_text(100, None).as_bytes());
    // Below its floor: refused, and the sink never even begins.
    let l = loader(false, ExpiredPolicy::Refuse);
    let floor = |_: &str, _: &str| Some(6);
    let sink = Collect::new();
    let begun = Arc::clone(&sink.begun);
    let (whole, streamed) = both(&l, &path, &floor, sink);
    let (a, b) = (whole.unwrap_err(), streamed.unwrap_err());
    assert_eq!(b.kind(), ErrorKind::Rollback);
    same_error(&a, &b);
    assert_eq!(begun.load(Ordering::SeqCst), 0);
    // At its floor: fine.
    let at_floor = |_: &str, _: &str| Some(5);
    assert!(l.load_streamed(&path, &at_floor, Collect::new()).is_ok());

    // Expired: refused, or flagged.
    let old = dir.write(
        "old.list",
        signed_text(10, Some("2026-02-01T00:00:00Z")).as_bytes(),
    );
    let (whole, streamed) = both(&l, &old, &NoFloor, Collect::new());
    same_error(&whole.unwrap_err(), &streamed.unwrap_err());
    let flag = loader(false, ExpiredPolicy::Flag);
    let (s, built) = flag.load_streamed(&old, &NoFloor, Collect::new()).unwrap();
    assert!(s.verification.expired);
    assert_eq!(built.unwrap().len(), 10);

    // Unsigned: refused unless allowed.
    let unsigned = dir.write("local.list", b"# id: local\ndomain a.example\n");
    let (whole, streamed) = both(&l, &unsigned, &NoFloor, Collect::new());
    let b = streamed.unwrap_err();
    assert_eq!(b.kind(), ErrorKind::Unsigned);
    same_error(&whole.unwrap_err(), &b);
    let open = loader(true, ExpiredPolicy::Refuse);
    let (s, built) = open
        .load_streamed(&unsigned, &NoFloor, Collect::new())
        .unwrap();
    assert_eq!((s.meta.id.as_str(), s.entries), ("local", 1));
    assert!(s.verification.signer.is_none());
    assert_eq!(built.unwrap().len(), 1);
}

#[test]
fn errors_keep_their_precedence() {
    let dir = Dir::new("precedence");
    let text = signed_text(2_000, None);
    // Forged early, malformed late: the parse error wins.
    let forged = text.replacen("h10.example", "h10.exampla", 1);
    let both_bad = forged.replacen("domain h1900.example", "domian h1900.example", 1);
    let path = dir.write("both.list", both_bad.as_bytes());
    let l = loader(false, ExpiredPolicy::Refuse);
    let (whole, streamed) = both(&l, &path, &NoFloor, Collect::new());
    let (a, b) = (whole.unwrap_err(), streamed.unwrap_err());
    assert_ne!(b.kind(), ErrorKind::BadSignature);
    same_error(&a, &b);
    // The sink's own error comes back only for a list that verified...
    let good = dir.write("good.list", text.as_bytes());
    let mut sink = Collect::new();
    sink.fail_at = Some(7);
    let (_, built) = l.load_streamed(&good, &NoFloor, sink).unwrap();
    assert_eq!(built.unwrap_err(), "sink refused entry 7");
    // ...and a forged list's error wins over it.
    let forged = dir.write("forged.list", forged.as_bytes());
    let mut sink = Collect::new();
    sink.fail_at = Some(7);
    let err = l.load_streamed(&forged, &NoFloor, sink).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadSignature);
}

#[test]
fn a_missing_file_is_an_io_error_naming_it() {
    let dir = Dir::new("missing");
    let path = dir.0.join("absent.list");
    let l = loader(true, ExpiredPolicy::Refuse);
    let (whole, streamed) = both(&l, &path, &NoFloor, Collect::new());
    let (a, b) = (whole.unwrap_err(), streamed.unwrap_err());
    assert_eq!(b.kind(), ErrorKind::Io);
    assert_eq!(a.kind(), b.kind());
    assert_eq!(b.path(), Some(path.as_path()));
}

#[test]
fn bytes_in_memory_stream_as_the_file_does() {
    let dir = Dir::new("reader");
    let l = loader(true, ExpiredPolicy::Refuse);
    // A signed list, an unsigned one without an id (the id comes from the
    // name's stem) and one with a bad line: from memory and from the file,
    // the same header, entries, checks and errors, named after `path`.
    let signed = signed_text(70_000, None);
    let unsigned = "domain a.example\nurl b.example/x R-1\n".to_owned();
    let mut bad: Vec<&str> = signed.lines().collect();
    bad[1_000] = "sha256 zz";
    let bad = bad.join("\n") + "\n";
    for (name, text) in [
        ("police.list", &signed),
        ("local-ids.list", &unsigned),
        ("bad.list", &bad),
    ] {
        let path = dir.write(name, text.as_bytes());
        let from_file = l.load_streamed(&path, &NoFloor, Collect::new());
        let from_bytes = l.load_streamed_from(text.as_bytes(), &path, &NoFloor, Collect::new());
        match (from_file, from_bytes) {
            (Ok((a, built_a)), Ok((b, built_b))) => {
                assert_eq!(a, b, "{name}");
                assert_eq!(built_a.unwrap(), built_b.unwrap(), "{name}");
            }
            (Err(a), Err(b)) => {
                assert_eq!(name, "bad.list");
                assert_eq!(b.line(), Some(1_001));
                assert_eq!(b.path(), Some(path.as_path()));
                same_error(&a, &b);
            }
            (a, b) => panic!("{name}: file {:?}, bytes {:?}", a.is_ok(), b.is_ok()),
        }
    }
    let (s, _) = l
        .load_streamed_from(
            unsigned.as_bytes(),
            Path::new("local-ids.list"),
            &NoFloor,
            Collect::new(),
        )
        .unwrap();
    assert_eq!(s.meta.id, "local-ids");
    assert_eq!(s.entries, 2);
}
