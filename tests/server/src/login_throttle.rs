//! Login throttling: after too many failed logins for one user name or from one address within a
//! window, every login attempt for it answers 429 with `Retry-After` until the window ends, the
//! right password included (otherwise guessing would simply go on).

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

/// Failures counted in fixed windows, per key (`user:NAME` or `ip:ADDR`).
#[derive(Debug, Default)]
pub struct LoginThrottle {
    windows: HashMap<String, Window>,
}

#[derive(Debug)]
struct Window {
    start: Instant,
    failures: u32,
}

/// Keys kept before expired windows are swept out: bounds memory under a spray of user names.
const SWEEP_ABOVE: usize = 4096;

impl LoginThrottle {
    /// How long `key` must wait, if it has used up `limit` failures in the current `window`.
    pub fn retry_after(&self, key: &str, limit: u32, window: Duration, now: Instant) -> Option<Duration> {
        let entry = self.windows.get(key)?;
        let ends = entry.start + window;
        (entry.failures >= limit && ends > now).then(|| ends - now)
    }

    /// Counts a failure for `key`.
    pub fn fail(&mut self, key: &str, window: Duration, now: Instant) {
        if self.windows.len() >= SWEEP_ABOVE {
            self.windows.retain(|_, w| w.start + window > now);
        }
        let entry = self.windows.entry(key.to_owned()).or_insert(Window { start: now, failures: 0 });
        if entry.start + window <= now {
            *entry = Window { start: now, failures: 0 };
        }
        entry.failures = entry.failures.saturating_add(1);
    }

    /// Forgets `key`'s failures (a successful login of that user).
    pub fn clear(&mut self, key: &str) {
        self.windows.remove(key);
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
}
