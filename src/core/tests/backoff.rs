//! Tests of `core::backoff`.

use proptest::prelude::*;

use crate::core::{backoff::*, *};

fn policy(jitter: bool) -> ReconnectPolicy {
    ReconnectPolicy { base_delay_ms: 1000, max_delay_ms: 30_000, max_attempts: 5, jitter, min_uptime_ms: 0 }
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
