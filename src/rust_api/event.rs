//! The events of a session as a Rust enum, with application messages deserialized into the app's
//! own type straight from the object the browser's `JSON.parse` made (no second parse).

use std::time::Duration;

use serde::de::DeserializeOwned;

use super::Error;
use crate::{
    browser::JsObject,
    core::{self, State},
};

/// Something that happened to the session: the same events, in the same order, as the
/// JavaScript class's `on(type, handler)` delivers.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event<T> {
    /// `state`: the public state changed.
    State(State),
    /// `authenticated`: the server accepted the token (on every connection, after a reconnect too).
    Authenticated {
        /// The `userId` the server confirmed.
        user_id: Option<String>,
        /// Whether this connection resumed the previous session: nothing was lost in between.
        resumed: bool,
    },
    /// `resync`: a resumable session could not be resumed, so messages the server sent while this
    /// client was away may be lost: reload the app's state (re-join, re-fetch).
    Resync,
    /// `message`: an application message, deserialized into `T`.
    Message(T),
    /// `reconnecting`: the next attempt starts after `delay`.
    Reconnecting {
        /// 1 for the first retry after a loss, counting up until authentication succeeds.
        attempt: u32,
        /// The delay the backoff chose.
        delay: Duration,
    },
    /// `close`: a socket closed.
    Close {
        /// The close code (from the server, the browser, or the SDK).
        code: u16,
        /// The close reason.
        reason: String,
        /// Whether a reconnect follows. Rooms and subscriptions are per connection: re-join here.
        will_reconnect: bool,
    },
    /// `error`: see [`Error::code`]. A message that did not deserialize into `T` arrives here as
    /// [`Error::Deserialize`]; the connection stays up.
    Error(Error),
}

impl<T: DeserializeOwned> Event<T> {
    /// The core's event as this subscriber sees it. Never fails: a message that does not fit `T`
    /// becomes an error event.
    pub(super) fn from_core(event: &core::Event<JsObject>) -> Option<Self> {
        Some(match event {
            core::Event::State(state) => Self::State(*state),
            core::Event::Authenticated { user_id, resumed } => {
                Self::Authenticated { user_id: user_id.clone(), resumed: *resumed }
            }
            core::Event::Resync => Self::Resync,
            core::Event::Message(message) => match serde_wasm_bindgen::from_value(message.0.clone()) {
                Ok(message) => Self::Message(message),
                Err(error) => Self::Error(Error::Deserialize(error.to_string())),
            },
            core::Event::Reconnecting { attempt, delay_ms } => {
                Self::Reconnecting { attempt: *attempt, delay: Duration::from_millis(*delay_ms) }
            }
            core::Event::Close { code, reason, will_reconnect } => {
                Self::Close { code: *code, reason: reason.clone(), will_reconnect: *will_reconnect }
            }
            core::Event::Error(error) => Self::Error(error.clone().into()),
            // Receipts are not part of the Rust stream: `send` returns once accepted.
            core::Event::Delivered { .. } | core::Event::Unconfirmed(_) | core::Event::Undeliverable(_) => {
                return None
            }
        })
    }
}
