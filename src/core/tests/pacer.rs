//! The pacing bucket against a model of the server's: whatever the timing, the server's bucket
//! never runs dry (a 4008), and a message the pacer holds back is given a time to go.

use proptest::prelude::*;

use crate::core::pacer::Pacer;

/// The server's bucket, as the test server keeps it: `per_minute` at once, refilled continuously.
struct ServerBucket {
    per_minute: f64,
    tokens: f64,
    at: u64,
}

impl ServerBucket {
    fn new(per_minute: u32) -> Self {
        Self { per_minute: f64::from(per_minute), tokens: f64::from(per_minute), at: 0 }
    }

    /// Receives one message at `now`: false if it would trip the rate limit.
    fn receive(&mut self, now: u64) -> bool {
        self.tokens =
            (self.tokens + (now - self.at) as f64 * self.per_minute / 60_000.0).min(self.per_minute);
        self.at = now;
        self.tokens -= 1.0;
        self.tokens >= 0.0
    }
}

#[derive(Debug, Clone)]
enum Step {
    /// Time passes, in ms.
    Wait(u64),
    /// A message is offered.
    Send,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0..120_000_u64).prop_map(Step::Wait),
        1 => (0..50_u64).prop_map(Step::Wait),
        8 => Just(Step::Send),
    ]
}

proptest! {
    #[test]
    fn whatever_the_timing_the_server_bucket_never_runs_dry(
        per_minute in prop_oneof![1..200_u32, 6_000..20_000_u32],
        steps in prop::collection::vec(step(), 1..400),
    ) {
        let mut pacer = Pacer::new(per_minute, 0);
        let mut server = ServerBucket::new(per_minute);
        let mut now = 0;
        for step in steps {
            match step {
                Step::Wait(ms) => now += ms,
                Step::Send => {
                    if pacer.try_take(now) {
                        prop_assert!(server.receive(now), "4008 at {} ms", now);
                    } else {
                        // Held back: at the time the pacer names, it goes, and the server takes it.
                        let at = pacer.next_at(now);
                        prop_assert!(at > now);
                        now = at;
                        prop_assert!(pacer.try_take(now), "held back, and still at {} ms", now);
                        prop_assert!(server.receive(now), "4008 at {} ms", now);
                    }
                }
            }
        }
    }
}
