//! Per-connection rate limit: a token bucket refilled continuously, so a client may burst up to
//! its minute's allowance and then sustain the allowed rate, never more.

use std::time::{Duration, Instant};

/// A token bucket holding up to `per_minute` tokens, refilled at `per_minute` per minute.
#[derive(Debug)]
pub struct RateLimit {
    capacity: f64,
    tokens: f64,
    refill_per_sec: f64,
    last: Instant,
}

impl RateLimit {
    /// A full bucket at `now`.
    pub fn new(per_minute: u32, now: Instant) -> Self {
        let capacity = f64::from(per_minute);
        Self { capacity, tokens: capacity, refill_per_sec: capacity / 60.0, last: now }
    }

    /// Takes one token for a frame arriving at `now`; false when the allowance is used up.
    pub fn allow(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last);
        self.last = now;
        self.tokens = (self.tokens + elapsed.as_secs_f64() * self.refill_per_sec).min(self.capacity);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// How long to wait for one token at `per_minute`: for tests that must stay under the limit.
pub fn interval(per_minute: u32) -> Duration {
    Duration::from_secs_f64(60.0 / f64::from(per_minute.max(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_a_burst_of_the_allowance_then_refuses() {
        let start = Instant::now();
        let mut limit = RateLimit::new(60, start);
        assert!((0..60).all(|_| limit.allow(start)));
        assert!(!limit.allow(start), "the 61st frame within the same instant");
    }

    #[test]
    fn refills_at_the_allowed_rate() {
        let start = Instant::now();
        let mut limit = RateLimit::new(60, start);
        (0..60).for_each(|_| assert!(limit.allow(start)));
        assert!(!limit.allow(start + Duration::from_millis(500)));
        assert!(limit.allow(start + Duration::from_millis(1600)), "one token per second");
        assert!(!limit.allow(start + Duration::from_millis(1700)));
        assert!((0..60).all(|_| limit.allow(start + Duration::from_secs(600))), "refills up to the cap");
        assert!(!limit.allow(start + Duration::from_secs(600)));
    }
}
