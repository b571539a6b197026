//! The events of a session as a Rust enum, made from the JavaScript class's events, with
//! application messages deserialized into the app's own type straight from the object the
//! browser's `JSON.parse` made (no second parse).

use std::time::Duration;

use js_sys::Reflect;
use serde::de::DeserializeOwned;
use wasm_bindgen::{JsCast, JsValue};

use super::Error;
use crate::core::State;

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

/// The JavaScript class's event types a stream carries, by the index [`Event::from_js`] takes.
pub(super) const TYPES: [&str; 7] =
    ["state", "authenticated", "message", "reconnecting", "close", "error", "resync"];
/// `state`'s index in [`TYPES`].
pub(super) const STATE: usize = 0;

impl<T: DeserializeOwned> Event<T> {
    /// The JS class's event of type `TYPES[kind]`, with the payload its listeners get, as this
    /// subscriber sees it. Never fails: a message that does not fit `T` becomes an error event.
    pub(super) fn from_js(kind: usize, payload: &JsValue) -> Self {
        let field = |key: &str| Reflect::get(payload, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED);
        // The class's payloads hold whole numbers in range: the casts keep them.
        let number = |key: &str| field(key).as_f64().unwrap_or_default();
        match kind {
            STATE => Self::State(state(&payload.as_string().unwrap_or_default())),
            1 => Self::Authenticated {
                user_id: field("userId").as_string(),
                resumed: field("resumed").is_truthy(),
            },
            2 => match serde_wasm_bindgen::from_value(payload.clone()) {
                Ok(message) => Self::Message(message),
                Err(error) => {
                    Self::Error(Error::Deserialize(without_long_strings(error.to_string(), payload)))
                }
            },
            3 => Self::Reconnecting {
                attempt: number("attempt") as u32,
                delay: Duration::from_millis(number("delayMs") as u64),
            },
            4 => Self::Close {
                code: number("code") as u16,
                reason: field("reason").as_string().unwrap_or_default(),
                will_reconnect: field("willReconnect").is_truthy(),
            },
            5 => Self::Error(Error::from_js(payload)),
            _ => Self::Resync,
        }
    }
}

/// The [`State`] the class names `name` (its `state` getter and event).
pub(super) fn state(name: &str) -> State {
    const ALL: [State; 5] =
        [State::Connecting, State::Authenticating, State::Authenticated, State::Reconnecting, State::Closed];
    // The class names no other; a name it might add later reads as the end, where nothing is sent.
    ALL.into_iter().find(|state| state.as_str() == name).unwrap_or(State::Closed)
}

/// serde's explanation with every string of the message itself (its values and keys) that is 16
/// characters or longer replaced by `…`, wherever it appears, as written or as Rust's `Debug`
/// escapes it: serde quotes them (`invalid type: string "…"` escaped, ``unknown variant `…` ``
/// as is), and a server chooses them, so a server that echoes a token in a message could
/// otherwise put it in an error text an app logs (the core looks for a token's quotes from 16
/// bytes on too). Shorter ones, a typo'd `type` say, stay, to be read. A string longer than the
/// explanation cannot be in it, and is never copied into wasm memory.
fn without_long_strings(mut reason: String, message: &JsValue) -> String {
    let mut found = Vec::new();
    // Walked with a list, not recursion: a message nested thousands deep must not exhaust the stack.
    let mut pending = vec![message.clone()];
    while let Some(value) = pending.pop() {
        if let Some(text) = value.dyn_ref::<js_sys::JsString>() {
            // UTF-16 units: never more than the UTF-8 bytes the text takes in the explanation.
            let units = text.length() as usize;
            if (16..=reason.len()).contains(&units) {
                found.extend(text.as_string());
            }
        } else if value.is_object() {
            for entry in js_sys::Object::entries(value.unchecked_ref()).iter() {
                let pair: js_sys::Array = entry.unchecked_into();
                pending.extend([pair.get(0), pair.get(1)]);
            }
        }
    }
    // Longest first: a string that holds another is replaced whole.
    found.sort_by_key(|text| core::cmp::Reverse(text.len()));
    for text in found {
        let escaped = format!("{text:?}");
        reason = reason.replace(&escaped[1..escaped.len() - 1], "…").replace(&text, "…");
    }
    reason
}
