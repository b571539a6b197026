//! Rate limits: a token bucket refilled continuously, so a client may burst up to its minute's
//! allowance and then sustain the allowed rate, never more. Per connection (application and
//! control frames) and per user ([`PerUser`]: token minting, and the application bucket a user's
//! next connection starts from).

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

/// A token bucket holding up to `per_minute` tokens, refilled at `per_minute` per minute.
#[derive(Debug, Clone)]
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

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.last);
        self.last = self.last.max(now);
        self.tokens = (self.tokens + elapsed.as_secs_f64() * self.refill_per_sec).min(self.capacity);
    }

    /// How long until a token is there at `now` (zero if one is).
    pub fn wait(&mut self, now: Instant) -> Duration {
        self.refill(now);
        if self.tokens >= 1.0 {
            Duration::ZERO
        } else if self.refill_per_sec > 0.0 {
            Duration::from_secs_f64((1.0 - self.tokens) / self.refill_per_sec)
        } else {
            Duration::from_secs(60)
        }
    }

    /// Lowers this bucket to `other`'s level if that is lower, both refilled to `now`.
    pub fn at_most(&mut self, other: &RateLimit, now: Instant) {
        let mut other = other.clone();
        other.refill(now);
        self.refill(now);
        self.tokens = self.tokens.min(other.tokens);
    }

    fn is_full(&mut self, now: Instant) -> bool {
        self.refill(now);
        self.tokens >= self.capacity
    }

    /// Takes one token for a frame arriving at `now`; false when the allowance is used up.
    pub fn allow(&mut self, now: Instant) -> bool {
        self.refill(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Users kept before the full buckets are swept out: bounds memory under many user names.
const SWEEP_ABOVE: usize = 4096;

/// A bucket per user, kept past any one request or connection.
#[derive(Debug, Default)]
pub struct PerUser {
    buckets: HashMap<String, RateLimit>,
}

impl PerUser {
    /// `user`'s bucket, `fresh` if it has none.
    pub fn bucket(&mut self, user: &str, now: Instant, fresh: impl FnOnce() -> RateLimit) -> &mut RateLimit {
        if self.buckets.len() >= SWEEP_ABOVE && !self.buckets.contains_key(user) {
            // A full bucket is what a missing one means.
            self.buckets.retain(|_, bucket| !bucket.is_full(now));
        }
        self.buckets.entry(user.to_owned()).or_insert_with(fresh)
    }

    /// `user`'s bucket, if it has one.
    pub fn get(&self, user: &str) -> Option<&RateLimit> {
        self.buckets.get(user)
    }

    /// Keeps for `user` the lower of its bucket and `bucket`, as of `now`.
    pub fn keep_lower(&mut self, user: &str, bucket: &RateLimit, now: Instant) {
        self.bucket(user, now, || bucket.clone()).at_most(bucket, now);
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

    #[test]
    fn says_how_long_until_the_next_token_and_takes_the_lower_of_two_buckets() {
        let start = Instant::now();
        let mut drained = RateLimit::new(60, start);
        (0..60).for_each(|_| assert!(drained.allow(start)));
        assert_eq!(drained.wait(start), Duration::from_secs(1));
        assert_eq!(drained.wait(start + Duration::from_secs(2)), Duration::ZERO);
        let mut fresh = RateLimit::new(60, start);
        fresh.at_most(&drained, start + Duration::from_secs(3));
        assert!((0..3).all(|_| fresh.allow(start + Duration::from_secs(3))), "refilled for the time passed");
        assert!(!fresh.allow(start + Duration::from_secs(3)));
        assert_eq!(
            RateLimit::new(0, start).wait(start),
            Duration::from_secs(60),
            "a zero rate still answers"
        );
    }
}
