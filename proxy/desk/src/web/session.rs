//! Staff sessions and CSRF tokens, in memory only.
//!
//! A session token is 32 random bytes (base64url in the cookie); the store
//! keys sessions by SHA-256 of the token, so neither a lookup's timing nor
//! a memory dump gives the token itself. Each session has its own CSRF
//! token, compared in constant time.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "hw_session";
/// Name of the cookie carrying the login form's CSRF token (before a session exists).
pub const LOGIN_CSRF_COOKIE: &str = "hw_login";

/// 32 random bytes as base64url (43 characters); `None` without OS randomness.
pub fn random_token() -> Option<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).ok()?;
    Some(URL_SAFE_NO_PAD.encode(bytes))
}

/// Whether `given` equals `expected`, compared in constant time (for equal lengths).
pub fn tokens_match(expected: &str, given: &str) -> bool {
    !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
}

/// One logged-in person.
#[derive(Clone)]
pub struct Session<U> {
    /// Who is logged in.
    pub user: U,
    /// The token every form of this session must carry.
    pub csrf: String,
    expires: Instant,
}

/// All sessions of this process, with a fixed lifetime each.
pub struct SessionStore<U> {
    lifetime: Duration,
    sessions: Mutex<HashMap<[u8; 32], Session<U>>>,
}

fn key(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl<U: Clone> SessionStore<U> {
    /// An empty store whose sessions last `lifetime`.
    pub fn new(lifetime: Duration) -> Self {
        SessionStore {
            lifetime,
            sessions: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], Session<U>>> {
        match self.sessions.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Starts a session for `user`: returns the cookie token and the session.
    pub fn create(&self, user: U) -> Option<(String, Session<U>)> {
        let token = random_token()?;
        let session = Session {
            user,
            csrf: random_token()?,
            expires: Instant::now() + self.lifetime,
        };
        let mut sessions = self.lock();
        let now = Instant::now();
        sessions.retain(|_, s| s.expires > now);
        sessions.insert(key(&token), session.clone());
        Some((token, session))
    }

    /// The live session for `token`; expired sessions are dropped.
    pub fn get(&self, token: &str) -> Option<Session<U>> {
        let k = key(token);
        let mut sessions = self.lock();
        match sessions.get(&k) {
            Some(s) if s.expires > Instant::now() => Some(s.clone()),
            Some(_) => {
                sessions.remove(&k);
                None
            }
            None => None,
        }
    }

    /// Ends the session for `token` (logout).
    pub fn remove(&self, token: &str) {
        self.lock().remove(&key(token));
    }

    /// Seconds a new session lasts (for the cookie's `Max-Age`).
    pub fn lifetime_secs(&self) -> u64 {
        self.lifetime.as_secs()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_long() {
        let (Some(a), Some(b)) = (random_token(), random_token()) else {
            panic!("no randomness")
        };
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
    }

    #[test]
    fn sessions_expire_and_end() {
        let store = SessionStore::new(Duration::from_secs(60));
        let Some((token, s)) = store.create("alice".to_string()) else {
            panic!("no randomness")
        };
        assert_eq!(store.get(&token).map(|s| s.user), Some("alice".to_string()));
        assert!(store.get("other").is_none());
        assert!(tokens_match(&s.csrf, &s.csrf));
        assert!(!tokens_match(&s.csrf, ""));
        assert!(!tokens_match("", ""));
        store.remove(&token);
        assert!(store.get(&token).is_none());

        let short = SessionStore::new(Duration::ZERO);
        let Some((token, _)) = short.create(1u8) else {
            panic!("no randomness")
        };
        assert!(short.get(&token).is_none(), "expired at once");
    }
}
