//! Login throttling: after too many failed logins for one user name or from one address within a
//! window, every login attempt for it answers 429 with `Retry-After` until the window ends, the
//! right password included (otherwise guessing would simply go on).

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use sha2::{Digest, Sha256};

/// Failures counted in fixed windows, per key (`user:NAME` or `ip:ADDR`), each kept as its SHA-256
/// digest: a user name is the client's choice (up to the body limit), and 32 bytes a key bound
/// what a spray of long names can make the server hold.
#[derive(Debug, Default)]
pub struct LoginThrottle {
    windows: HashMap<[u8; 32], Window>,
    /// How many keys trigger the next sweep of expired windows: twice what the last sweep kept, so
    /// that a spray of names within one window costs amortised O(1) a failure, not a pass over
    /// every key each time.
    sweep_at: usize,
}

#[derive(Debug)]
struct Window {
    start: Instant,
    failures: u32,
}

/// Keys kept before expired windows are first swept out.
const SWEEP_ABOVE: usize = 4096;

fn digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

impl LoginThrottle {
    /// How long `key` must wait, if it has used up `limit` failures in the current `window`.
    pub fn retry_after(&self, key: &str, limit: u32, window: Duration, now: Instant) -> Option<Duration> {
        let entry = self.windows.get(&digest(key))?;
        let ends = entry.start + window;
        (entry.failures >= limit && ends > now).then(|| ends - now)
    }

    /// Counts a failure for `key`.
    pub fn fail(&mut self, key: &str, window: Duration, now: Instant) {
        if self.windows.len() >= self.sweep_at.max(SWEEP_ABOVE) {
            self.windows.retain(|_, w| w.start + window > now);
            self.sweep_at = self.windows.len().saturating_mul(2);
        }
        let entry = self.windows.entry(digest(key)).or_insert(Window { start: now, failures: 0 });
        if entry.start + window <= now {
            *entry = Window { start: now, failures: 0 };
        }
        entry.failures = entry.failures.saturating_add(1);
    }

    /// Forgets `key`'s failures (a successful login of that user).
    pub fn clear(&mut self, key: &str) {
        self.windows.remove(&digest(key));
    }

    /// How many keys are held.
    #[cfg(test)]
    fn keys_held(&self) -> usize {
        self.windows.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_holds_until_the_window_ends() {
        let mut throttle = LoginThrottle::default();
        let (start, window) = (Instant::now(), Duration::from_secs(60));
        for _ in 0..3 {
            assert!(throttle.retry_after("user:a", 3, window, start).is_none());
            throttle.fail("user:a", window, start);
        }
        let wait = throttle.retry_after("user:a", 3, window, start + Duration::from_secs(10)).unwrap();
        assert_eq!(wait, Duration::from_secs(50));
        assert!(throttle.retry_after("user:b", 3, window, start).is_none(), "per key");
        assert!(throttle.retry_after("user:a", 3, window, start + window).is_none());
    }

    #[test]
    fn a_spray_of_long_names_is_swept_out_once_its_windows_expire() {
        let mut throttle = LoginThrottle::default();
        let (start, window) = (Instant::now(), Duration::from_secs(60));
        let long = "x".repeat(16 * 1024);
        for n in 0..SWEEP_ABOVE {
            throttle.fail(&format!("user:{long}{n}"), window, start);
        }
        assert_eq!(throttle.keys_held(), SWEEP_ABOVE);
        assert!(throttle.retry_after(&format!("user:{long}0"), 1, window, start).is_some(), "counted");
        // A window later, the next failure sweeps the expired ones out.
        throttle.fail("user:late", window, start + window);
        assert_eq!(throttle.keys_held(), 1);
        assert!(throttle.retry_after(&format!("user:{long}0"), 1, window, start).is_none(), "swept");
    }
}
