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

#[cfg(test)]
mod tests {
    // The core is tested natively; a wasm build of the test targets skips these.
    #![cfg(not(target_arch = "wasm32"))]

    use proptest::prelude::*;

    use super::*;

    fn policy(jitter: bool) -> ReconnectPolicy {
        ReconnectPolicy { base_delay_ms: 1000, max_delay_ms: 30_000, max_attempts: 5, jitter }
    }

    #[test]
    fn without_jitter_delays_double_up_to_the_cap() {
        let mut backoff = Backoff::new(policy(false), 1);
        let delays: Vec<_> = (0..7).map(|n| backoff.delay(n)).collect();
        assert_eq!(delays, [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
    }

    #[test]
    fn huge_exponents_saturate_at_the_cap() {
        let backoff = Backoff::new(policy(false), 1);
        assert_eq!(backoff.ceiling(200), 30_000);
    }

    #[test]
    fn the_same_seed_gives_the_same_jitter() {
        let mut a = Backoff::new(policy(true), 42);
        let mut b = Backoff::new(policy(true), 42);
        assert_eq!(
            (0..10).map(|n| a.delay(n)).collect::<Vec<_>>(),
            (0..10).map(|n| b.delay(n)).collect::<Vec<_>>()
        );
    }

    proptest! {
        #[test]
        fn jittered_delays_stay_within_zero_and_the_ceiling(seed: u64, n in 0u32..40) {
            let mut backoff = Backoff::new(policy(true), seed);
            let delay = backoff.delay(n);
            prop_assert!(delay <= backoff.ceiling(n));
        }
    }
}
