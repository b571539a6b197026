//! Fan-out of the JavaScript class's events to the session's streams.
//!
//! The class calls [`Hub::deliver`] from its listeners. Nothing here runs app code synchronously:
//! events go into channels and are read when the app's task is polled, so an app can call `send`
//! or `close` from its event loop without re-entering the class.

use std::{
    cell::{Cell, RefCell},
    fmt,
    pin::Pin,
    task::{Context, Poll},
};

use futures_channel::mpsc;
use futures_core::{FusedStream, Stream};
use serde::de::DeserializeOwned;
use wasm_bindgen::JsValue;

use super::{event, Event};
use crate::core::State;

/// One subscriber: turns the class's event (its type's index in [`event::TYPES`], its payload)
/// into its own `Event<T>` and queues it; `false` once its stream was dropped, so it is pruned.
type Subscriber = Box<dyn Fn(usize, &JsValue) -> bool>;

/// What the session's streams wait on.
#[derive(Default)]
pub(super) struct Hub {
    subscribers: RefCell<Vec<Subscriber>>,
    closed: Cell<bool>,
}

impl Hub {
    /// Hands the class's event of type `event::TYPES[kind]` to every live subscriber.
    pub(super) fn deliver(&self, kind: usize, payload: &JsValue) {
        self.subscribers.borrow_mut().retain(|subscriber| subscriber(kind, payload));
        if kind == event::STATE
            && payload.as_string().is_some_and(|state| event::state(&state) == State::Closed)
        {
            self.closed.set(true);
            // Dropping the senders ends every stream once the app has read what is queued.
            self.subscribers.borrow_mut().clear();
        }
    }

    /// A new stream of the events from now on, deserializing messages into `T`.
    pub(super) fn subscribe<T: DeserializeOwned + 'static>(&self) -> Events<T> {
        let (sender, receiver) = mpsc::unbounded();
        // After the end, the sender is dropped here and the stream ends at once.
        if !self.closed.get() {
            self.subscribers.borrow_mut().push(Box::new(move |kind, payload| {
                // Checked first: no deserializing for a stream nobody reads any more.
                !sender.is_closed() && sender.unbounded_send(Event::from_js(kind, payload)).is_ok()
            }));
        }
        Events { receiver }
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
