//! Fan-out of the driver's events to the session's streams and `ready()` futures.
//!
//! The driver calls [`Hub::deliver`] with no borrow of its own held. Nothing here runs app code
//! synchronously: events go into channels and are read when the app's task is polled, so an app
//! can call `send` or `close` from its event loop without re-entering the driver.

use std::{
    cell::{Cell, RefCell},
    fmt,
    pin::Pin,
    rc::Weak,
    task::{Context, Poll},
};

use futures_channel::{mpsc, oneshot};
use futures_core::{FusedStream, Stream};
use serde::de::DeserializeOwned;

use super::{Error, Event};
use crate::{
    browser::{Driver, JsObject},
    core::{self, State},
};

/// One subscriber: turns a core event into its own `Event<T>` and queues it; `false` once its
/// stream was dropped, so it is pruned.
type Subscriber = Box<dyn Fn(&core::Event<JsObject>) -> bool>;

/// What the session's streams and `ready()` futures wait on.
#[derive(Default)]
pub(super) struct Hub {
    subscribers: RefCell<Vec<Subscriber>>,
    /// `ready()` futures waiting for `Authenticated` (Ok) or `Closed` (Err).
    waiters: RefCell<Vec<oneshot::Sender<Result<(), Error>>>>,
    /// The driver, asked for the error that ended the session (the core's one source of truth):
    /// `ready()` reports it. Weak: the driver owns this hub through its event sink.
    pub(super) driver: RefCell<Weak<Driver>>,
    closed: Cell<bool>,
}

impl Hub {
    /// Hands `event` to every live subscriber; settles `ready()` futures on the way.
    pub(super) fn deliver(&self, event: core::Event<JsObject>) {
        if let core::Event::State(State::Authenticated) = &event {
            self.settle(Ok(()));
        }
        self.subscribers.borrow_mut().retain(|subscriber| subscriber(&event));
        if matches!(event, core::Event::State(State::Closed)) {
            self.closed.set(true);
            // Dropping the senders ends every stream once the app has read what is queued.
            self.subscribers.borrow_mut().clear();
            self.settle(Err(self.end_error()));
        }
    }

    /// A new stream of the events from now on, deserializing messages into `T`.
    pub(super) fn subscribe<T: DeserializeOwned + 'static>(&self) -> Events<T> {
        let (sender, receiver) = mpsc::unbounded();
        // After the end, the sender is dropped here and the stream ends at once.
        if !self.closed.get() {
            self.subscribers.borrow_mut().push(Box::new(move |event| {
                // Checked first: no deserializing for a stream nobody reads any more.
                !sender.is_closed()
                    && Event::from_core(event).is_none_or(|event| sender.unbounded_send(event).is_ok())
            }));
        }
        Events { receiver }
    }

    /// A channel that [`deliver`](Self::deliver) settles at the next `Authenticated` or `Closed`.
    pub(super) fn wait(&self) -> oneshot::Receiver<Result<(), Error>> {
        let (sender, receiver) = oneshot::channel();
        self.waiters.borrow_mut().push(sender);
        receiver
    }

    /// Why the session ended: the error that ended it, else `Closed` (an explicit `close()`).
    pub(super) fn end_error(&self) -> Error {
        let driver = self.driver.borrow().upgrade();
        driver.and_then(|driver| driver.final_error()).map_or(Error::Closed, Into::into)
    }

    fn settle(&self, outcome: Result<(), Error>) {
        let waiters = std::mem::take(&mut *self.waiters.borrow_mut());
        for waiter in waiters {
            // A dropped `ready()` future is not an error.
            let _ = waiter.send(outcome.clone());
        }
    }
}

/// The session's events as a [`Stream`], messages deserialized into `T`.
///
/// It ends (yields `None`) after the session is closed, once the events before the close are read.
/// Dropping it unsubscribes and leaves the session running. Events wait in an unbounded queue until
/// read: keep polling a stream you hold, or drop it.
#[must_use = "a stream does nothing unless polled; drop it to unsubscribe"]
pub struct Events<T> {
    receiver: mpsc::UnboundedReceiver<Event<T>>,
}

impl<T> Stream for Events<T> {
    type Item = Event<T>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event<T>>> {
        Pin::new(&mut self.receiver).poll_next(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.receiver.size_hint()
    }
}

impl<T> FusedStream for Events<T> {
    fn is_terminated(&self) -> bool {
        self.receiver.is_terminated()
    }
}

impl<T> fmt::Debug for Events<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Events").field("ended", &self.receiver.is_terminated()).finish_non_exhaustive()
    }
}
