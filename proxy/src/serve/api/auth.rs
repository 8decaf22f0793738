//! Who may call the API, and how often: bearer tokens from a token file
//! (re-read when it changes) and a token bucket per client.
//!
//! The token file holds one client per line, `NAME TOKEN`; blank lines and
//! lines starting with `#` are ignored. Its modification time and size are
//! checked on every request (one `stat`); when they change the file is read
//! again, so deleting a line revokes that client's token without a restart.
//! A file that becomes unreadable or invalid revokes every token (fail
//! closed) until it is fixed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use crate::serve::acl::ct_eq;

/// Largest token file read.
const MAX_FILE_BYTES: u64 = 1 << 20;

/// The bearer tokens in force.
#[derive(Debug)]
pub struct Tokens {
    path: Option<PathBuf>,
    state: Mutex<Loaded>,
}

#[derive(Debug, Default)]
struct Loaded {
    /// Modification time and size of the file as last read.
    stamp: Option<(SystemTime, u64)>,
    /// (name, token) pairs.
    clients: Vec<(String, String)>,
}

/// Why a request is not let in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Denied {
    /// No `Authorization: Bearer` header.
    Missing,
    /// A token that is not (or no longer) in the file.
    Invalid,
}

impl Tokens {
    /// No token file: everyone who can connect is let in.
    pub fn open() -> Tokens {
        Tokens {
            path: None,
            state: Mutex::new(Loaded::default()),
        }
    }

    /// Tokens from `path`, read now.
    ///
    /// # Errors
    ///
    /// When the file cannot be read or a line is not `NAME TOKEN`.
    pub fn from_file(path: &Path) -> Result<Tokens, String> {
        let (stamp, clients) = read(path)?;
        Ok(Tokens {
            path: Some(path.to_owned()),
            state: Mutex::new(Loaded {
                stamp: Some(stamp),
                clients,
            }),
        })
    }

    /// Whether requests need a token.
    pub fn required(&self) -> bool {
        self.path.is_some()
    }

    /// The client's name for an `Authorization` header value, `None` when
    /// no token is required.
    ///
    /// # Errors
    ///
    /// [`Denied`] when a token is required and the header does not carry
    /// one in force.
    pub fn check(&self, authorization: Option<&str>) -> Result<Option<String>, Denied> {
        let Some(path) = &self.path else {
            return Ok(None);
        };
        let given = authorization
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(Denied::Missing)?;
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        refresh(path, &mut state);
        // Compare against every token (constant time each) so the time
        // taken says nothing about which one nearly matched.
        let mut found = None;
        for (name, token) in &state.clients {
            if ct_eq(given.as_bytes(), token.as_bytes()) && found.is_none() {
                found = Some(name.clone());
            }
        }
        found.map(Some).ok_or(Denied::Invalid)
    }
}

/// Re-reads the file when its modification time or size changed.
fn refresh(path: &Path, state: &mut Loaded) {
    let stamp = std::fs::metadata(path).and_then(|m| Ok((m.modified()?, m.len())));
    match stamp {
        Ok(s) if state.stamp == Some(s) => {}
        Ok(_) => match read(path) {
            Ok((s, clients)) => {
                tracing::info!(clients = clients.len(), "api token file re-read");
                state.stamp = Some(s);
                state.clients = clients;
            }
            Err(e) => {
                tracing::warn!(error = %e, "api token file unusable: every token refused");
                state.stamp = None;
                state.clients.clear();
            }
        },
        Err(e) => {
            if state.stamp.is_some() {
                tracing::warn!(file = %path.display(), error = %e, "api token file gone: every token refused");
            }
            state.stamp = None;
            state.clients.clear();
        }
    }
}

type Stamp = (SystemTime, u64);

fn read(path: &Path) -> Result<(Stamp, Vec<(String, String)>), String> {
    use std::io::Read as _;
    let what = |e: String| format!("api token file {}: {e}", path.display());
    let file = std::fs::File::open(path).map_err(|e| what(e.to_string()))?;
    let meta = file.metadata().map_err(|e| what(e.to_string()))?;
    let stamp = (
        meta.modified().map_err(|e| what(e.to_string()))?,
        meta.len(),
    );
    let mut text = String::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| what(e.to_string()))?;
    if text.len() as u64 > MAX_FILE_BYTES {
        return Err(what(format!("larger than {MAX_FILE_BYTES} bytes")));
    }
    parse(&text).map(|c| (stamp, c)).map_err(what)
}

/// Parses `NAME TOKEN` lines.
///
/// # Errors
///
/// A line with other than two fields, or a token given twice.
pub fn parse(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [name, token] = fields[..] else {
            return Err(format!("line {}: expected `NAME TOKEN`", n + 1));
        };
        if out.iter().any(|(_, t)| t == token) {
            return Err(format!("line {}: this token is given twice", n + 1));
        }
        out.push((name.to_owned(), token.to_owned()));
    }
    Ok(out)
}

/// A token bucket per client name: `rate` requests a second, bursts of
/// `rate`.
#[derive(Debug)]
pub struct RateLimiter {
    rate: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

impl RateLimiter {
    /// `rate` requests per second per client; 0 turns limiting off.
    pub fn new(rate: u32) -> RateLimiter {
        RateLimiter {
            rate: f64::from(rate),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request from `client`'s bucket.
    ///
    /// # Errors
    ///
    /// The wait until the next request would be accepted, when the bucket
    /// is empty.
    pub fn take(&self, client: &str) -> Result<(), Duration> {
        self.take_at(client, Instant::now())
    }

    fn take_at(&self, client: &str, now: Instant) -> Result<(), Duration> {
        if self.rate <= 0.0 {
            return Ok(());
        }
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let b = buckets.entry(client.to_owned()).or_insert(Bucket {
            tokens: self.rate,
            last: now,
        });
        let elapsed = now.saturating_duration_since(b.last).as_secs_f64();
        b.tokens = (b.tokens + elapsed * self.rate).min(self.rate);
        b.last = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - b.tokens) / self.rate))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_lines() {
        let ok = parse("# clients\n\nalice s3cret\n  bob   t0ken  \n").unwrap_or_default();
        assert_eq!(
            ok,
            vec![
                ("alice".to_owned(), "s3cret".to_owned()),
                ("bob".to_owned(), "t0ken".to_owned())
            ]
        );
        for bad in ["alice", "alice a b", "a x\nb x\n"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bucket_refills_at_the_rate() {
        let r = RateLimiter::new(2);
        let t0 = Instant::now();
        assert!(r.take_at("a", t0).is_ok());
        assert!(r.take_at("a", t0).is_ok());
        let wait = r.take_at("a", t0).err();
        assert_eq!(wait, Some(Duration::from_millis(500)));
        // Another client has a bucket of its own.
        assert!(r.take_at("b", t0).is_ok());
        assert!(r.take_at("a", t0 + Duration::from_millis(500)).is_ok());
        assert!(RateLimiter::new(0).take_at("a", t0).is_ok());
    }
}
