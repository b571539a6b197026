//! Reconnect delays: `min(base · 2ⁿ, max)`, with full jitter drawn from a seeded generator.

use super::{config::ReconnectPolicy, Millis};

/// Computes the delay before each reconnect attempt.
#[derive(Debug)]
pub struct Backoff {
    policy: ReconnectPolicy,
    rng: fastrand::Rng,
}

impl Backoff {
    /// A backoff for `policy`; `seed` makes the jitter reproducible in tests.
    pub fn new(policy: ReconnectPolicy, seed: u64) -> Self {
        Self { policy, rng: fastrand::Rng::with_seed(seed) }
    }

    /// The ceiling for the `n`th consecutive failure (0-based): `min(base · 2ⁿ, max)`.
    pub fn ceiling(&self, n: u32) -> Millis {
        let factor = 1u64.checked_shl(n).unwrap_or(u64::MAX);
        self.policy.base_delay_ms.saturating_mul(factor).min(self.policy.max_delay_ms)
    }

    /// The delay to wait after the `n`th consecutive failure: the ceiling, or with jitter a
    /// uniform draw from `[0, ceiling]` ("full jitter", which spreads a fleet of clients that all
    /// lost the same server instead of having them retry in lockstep).
    pub fn delay(&mut self, n: u32) -> Millis {
        let ceiling = self.ceiling(n);
        if self.policy.jitter {
            self.rng.u64(0..=ceiling)
        } else {
            ceiling
        }
    }
}
