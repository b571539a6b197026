//! Waiting for the Rust API's events without sleeping: every wait is woken by the stream and
//! bounded by a deadline, and a failed wait lists what it saw.

use std::{fmt::Debug, future::Future, pin::pin};

use futures_channel::oneshot;
use futures_util::{
    future::{self, Either},
    StreamExt,
};
use gloo_timers::callback::Timeout;
use secure_ws::rust_api::{Event, Events};

/// Generous for a loaded CI machine; a healthy run takes a few milliseconds.
pub const WITHIN_MS: u32 = 5000;

/// A timer that only bounds a wait; dropping it clears the timer.
struct Deadline {
    _timer: Timeout,
    expired: oneshot::Receiver<()>,
}

impl Deadline {
    fn start() -> Self {
        let (expire, expired) = oneshot::channel();
        Self {
            _timer: Timeout::new(WITHIN_MS, move || {
                let _ = expire.send(());
            }),
            expired,
        }
    }

    /// The stream's next item (`None` when it ended), or `Err` once the deadline passed.
    async fn next<T>(&mut self, events: &mut Events<T>) -> Result<Option<Event<T>>, ()> {
        match future::select(events.next(), &mut self.expired).await {
            Either::Left((item, _)) => Ok(item),
            Either::Right(_) => Err(()),
        }
    }
}

/// `future`'s output; fails the test if it does not come within `WITHIN_MS`.
pub async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    let deadline = Deadline::start();
    match future::select(pin!(future), deadline.expired).await {
        Either::Left((output, _)) => output,
        Either::Right(_) => panic!("no {what} within {WITHIN_MS} ms"),
    }
}

/// Reads `events` until one satisfies `matches` and returns it, with everything read before it.
/// Fails the test if the stream ends, or nothing matches within `WITHIN_MS`.
pub async fn next_matching<T: Debug>(
    events: &mut Events<T>,
    what: &str,
    matches: impl Fn(&Event<T>) -> bool,
) -> (Event<T>, Vec<Event<T>>) {
    let mut deadline = Deadline::start();
    let mut seen = Vec::new();
    loop {
        match deadline.next(events).await {
            Ok(Some(event)) if matches(&event) => return (event, seen),
            Ok(Some(event)) => seen.push(event),
            Ok(None) => panic!("the stream ended before {what}; saw {seen:?}"),
            Err(()) => panic!("no {what} within {WITHIN_MS} ms; saw {seen:?}"),
        }
    }
}

/// Reads `events` to its end, which must come within `WITHIN_MS`; returns what was left in it.
pub async fn rest<T: Debug>(events: &mut Events<T>) -> Vec<Event<T>> {
    let mut deadline = Deadline::start();
    let mut seen = Vec::new();
    loop {
        match deadline.next(events).await {
            Ok(Some(event)) => seen.push(event),
            Ok(None) => return seen,
            Err(()) => panic!("the stream did not end within {WITHIN_MS} ms; saw {seen:?}"),
        }
    }
}
