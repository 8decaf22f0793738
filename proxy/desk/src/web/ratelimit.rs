//! Intake rate limiting per client without storing the client's address.
//!
//! Each client IP is reduced to SHA-256(salt ‖ ip), where the salt is 32
//! random bytes drawn when the process starts and never written anywhere;
//! only those hashes and a counter per one-minute window are kept, in
//! memory. After a restart the hashes can no longer be linked to anything.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

/// Length of the counting window.
const WINDOW: Duration = Duration::from_secs(60);
/// Above this many tracked clients, expired windows are swept on insert.
const SWEEP_ABOVE: usize = 4096;

/// Fixed-window counter per salted client hash.
pub struct RateLimiter {
    salt: [u8; 32],
    per_minute: u32,
    windows: Mutex<HashMap<[u8; 32], (Instant, u32)>>,
}

impl RateLimiter {
    /// A limiter allowing `per_minute` requests per client and minute
    /// (0 disables the limit). Fails only if the OS has no randomness.
    pub fn new(per_minute: u32) -> Result<Self, getrandom::Error> {
        let mut salt = [0u8; 32];
        getrandom::fill(&mut salt)?;
        Ok(RateLimiter {
            salt,
            per_minute,
            windows: Mutex::new(HashMap::new()),
        })
    }

    /// The salted hash that stands in for `ip`.
    fn key(&self, ip: IpAddr) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(self.salt);
        match ip {
            IpAddr::V4(v4) => h.update(v4.octets()),
            IpAddr::V6(v6) => h.update(v6.octets()),
        }
        h.finalize().into()
    }

    /// Counts one request from `ip`; `false` when it exceeds the limit.
    pub fn allow(&self, ip: IpAddr) -> bool {
        self.allow_at(ip, Instant::now())
    }

    fn allow_at(&self, ip: IpAddr, now: Instant) -> bool {
        if self.per_minute == 0 {
            return true;
        }
        let key = self.key(ip);
        let mut windows = match self.windows.lock() {
            Ok(w) => w,
            Err(poisoned) => poisoned.into_inner(),
        };
        if windows.len() > SWEEP_ABOVE {
            windows.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let entry = windows.entry(key).or_insert((now, 0));
        if now.duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        if entry.1 >= self.per_minute {
            return false;
        }
        entry.1 += 1;
        true
    }

    /// How many clients are tracked right now (for tests and metrics).
    pub fn tracked(&self) -> usize {
        self.windows.lock().map_or(0, |w| w.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn limits_per_client_and_window() {
        let rl = RateLimiter::new(3).map_err(|e| e.to_string());
        let Ok(rl) = rl else { panic!("no randomness") };
        let a = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
        let b = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2));
        let t0 = Instant::now();
        assert!(rl.allow_at(a, t0));
        assert!(rl.allow_at(a, t0));
        assert!(rl.allow_at(a, t0));
        assert!(!rl.allow_at(a, t0));
        assert!(rl.allow_at(b, t0), "another client has its own window");
        assert!(rl.allow_at(a, t0 + WINDOW), "a new window starts afresh");
        assert_eq!(rl.tracked(), 2);
    }

    #[test]
    fn the_key_is_salted() {
        let (Ok(x), Ok(y)) = (RateLimiter::new(1), RateLimiter::new(1)) else {
            panic!("no randomness")
        };
        let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
        assert_ne!(x.key(ip), y.key(ip));
        let plain: [u8; 32] = Sha256::digest([127u8, 0, 0, 1]).into();
        assert_ne!(x.key(ip), plain);
    }
}
