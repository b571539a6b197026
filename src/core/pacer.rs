//! Pacing the messages a connection sends to stay inside the rate the server advertised: a
//! token bucket mirroring the server's, kept at 90 % of it so clock skew and rounding cannot tip
//! a burst over the limit (a 4008 would kill the connection and everything in flight with it).

use super::Millis;

/// Milli-messages: integer arithmetic with sub-message precision.
const MILLI: u64 = 1000;

/// A token bucket of application messages.
#[derive(Debug, Clone)]
pub struct Pacer {
    /// Milli-messages added per minute.
    per_minute_milli: u64,
    capacity: u64,
    tokens: u64,
    updated: Millis,
}

impl Pacer {
    /// A full bucket for a server that accepts `messages_per_minute` (and as many at once, as a
    /// fresh connection's bucket does).
    pub fn new(messages_per_minute: u32, now: Millis) -> Self {
        let per_minute_milli = milli_per_minute(messages_per_minute);
        let capacity = per_minute_milli.max(MILLI);
        Self { per_minute_milli, capacity, tokens: capacity, updated: now }
    }

    /// The bucket of the last connection when the server advertises the same rate again
    /// (refilled for the time since, as the server's is), else a new one.
    pub fn continued(previous: Option<Self>, messages_per_minute: u32, now: Millis) -> Self {
        match previous {
            Some(pacer) if pacer.per_minute_milli == milli_per_minute(messages_per_minute) => pacer,
            _ => Self::new(messages_per_minute, now),
        }
    }

    fn refill(&mut self, now: Millis) {
        let elapsed = now.saturating_sub(self.updated);
        let added = elapsed.saturating_mul(self.per_minute_milli) / 60_000;
        if added > 0 {
            self.tokens = self.tokens.saturating_add(added).min(self.capacity);
            // Only the time that produced whole milli-messages is consumed.
            self.updated += added * 60_000 / self.per_minute_milli.max(1);
        }
        if self.tokens == self.capacity {
            self.updated = now;
        }
    }

    /// Takes one message's worth if there is one.
    pub fn try_take(&mut self, now: Millis) -> bool {
        self.refill(now);
        if self.tokens >= MILLI {
            self.tokens -= MILLI;
            true
        } else {
            false
        }
    }

    /// When the next message may go (after a `try_take` that failed).
    pub fn next_at(&self, now: Millis) -> Millis {
        let missing = MILLI.saturating_sub(self.tokens);
        // Rounded up, and at least 1 ms ahead: a timer at `now` would find the bucket as empty.
        let wait = (missing * 60_000).div_ceil(self.per_minute_milli.max(1));
        self.updated.saturating_add(wait).max(now + 1)
    }
}

/// The bucket's rate for a server that accepts `messages_per_minute`: 90 % of it, in
/// milli-messages.
fn milli_per_minute(messages_per_minute: u32) -> u64 {
    u64::from(messages_per_minute) * MILLI * 9 / 10
}
