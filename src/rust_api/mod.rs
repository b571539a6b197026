//! The Rust surface: the same session as the JavaScript class, for Rust front-ends (Leptos, Yew,
//! Dioxus, plain `web-sys`), with typed messages through serde.
//!
//! One implementation, two faces: this module and the JS class both run the [`core`](crate::core)
//! state machine through the same browser driver, so tokens, queueing, re-authentication and
//! backoff behave exactly as the README documents. What differs is the shape:
//!
//! | JavaScript | Rust |
//! |---|---|
//! | `new SecureWebSocket(url, { tokenUrl })` | [`SecureWebSocket::builder`]`(url).token_url(..).connect::<T>()` |
//! | `send(data)` throws `Error.code` | [`send`](SecureWebSocket::send)`(&impl Serialize) -> Result<(), Error>` |
//! | `on('message', ...)`, `on('close', ...)`, ... | an [`Events<T>`] stream of [`Event<T>`] |
//! | `await ready()` | [`ready`](SecureWebSocket::ready)`().await` |
//! | `close()` / `free()` | [`close`](SecureWebSocket::close) / drop |
//!
//! Messages go out as `serde-wasm-bindgen` values turned into JSON text by the browser, and come
//! in as the object the browser's `JSON.parse` already made, deserialized into `T` without a
//! second parse. A message that does not fit `T` is an [`Event::Error`] carrying
//! [`Error::Deserialize`], never a panic and never a dropped connection.
//!
//! ```no_run
//! use futures_util::StreamExt;
//! use secure_ws::rust_api::{Event, SecureWebSocket};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize)]
//! #[serde(tag = "type", rename_all = "snake_case")]
//! enum ToServer<'a> {
//!     JoinRoom { room: &'a str },
//!     SendMessage { room: &'a str, content: &'a str },
//! }
//!
//! #[derive(Debug, Deserialize)]
//! #[serde(tag = "type", rename_all = "snake_case")]
//! enum FromServer {
//!     Joined { room: String },
//!     Message { room: String, sender: String, content: String },
//!     #[serde(other)]
//!     Other,
//! }
//!
//! # fn show(_: &str, _: &str) {}
//! # async fn chat() -> Result<(), secure_ws::rust_api::Error> {
//! let (ws, mut events) = SecureWebSocket::builder("wss://api.example.com/ws")
//!     .token_url("/api/ws-token")
//!     .connect::<FromServer>()?;
//! ws.send(&ToServer::JoinRoom { room: "general" })?; // queued until authenticated
//! ws.ready().await?;
//! ws.send(&ToServer::SendMessage { room: "general", content: "hi" })?;
//! while let Some(event) = events.next().await {
//!     match event {
//!         Event::Message(FromServer::Message { sender, content, .. }) => show(&sender, &content),
//!         Event::Close { will_reconnect: true, .. } => ws.send(&ToServer::JoinRoom { room: "general" })?,
//!         Event::Error(error) => show("error", &error.to_string()),
//!         _ => {}
//!     }
//! }
//! # Ok(()) }
//! ```

mod builder;
mod error;
mod event;
mod events;

use std::{fmt, future::Future, rc::Rc, time::Duration};

use js_sys::JSON;
use serde::{de::DeserializeOwned, Serialize};

pub use self::{builder::Builder, error::Error, event::Event, events::Events};
use self::{builder::TokenCallback, events::Hub};
pub use crate::core::{ConfigError, State, TokenError};
use crate::{
    browser::{Driver, JsText, Subscriptions, TokenSource},
    core::Config,
};

/// An authenticated, self-healing WebSocket session, for Rust code.
///
/// Made by [`SecureWebSocket::builder`]; connecting starts at once. Sends wait in a queue until
/// the server confirms the token, then go out in order. Dropping it closes the connection and
/// releases everything it holds (socket, timer, listeners, token request, the `get_token`
/// function); its [`Events`] streams then end.
///
/// It is a handle for the app's UI code: share it with `Rc` (or a framework's local store) and
/// read the events in one task.
pub struct SecureWebSocket {
    driver: Rc<Driver>,
    hub: Rc<Hub>,
    /// The JS function the driver calls for `get_token`; declared after `driver`, so it is
    /// dropped after the session that calls it.
    _get_token: Option<TokenCallback>,
}

impl SecureWebSocket {
    /// Starts configuring a session to `url` (`wss://`, or `ws://` to loopback).
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// # #[derive(serde::Deserialize)] struct FromServer { r#type: String }
    /// # fn f() -> Result<(), secure_ws::rust_api::Error> {
    /// let (ws, events) = secure_ws::rust_api::SecureWebSocket::builder("wss://api.example.com/ws")
    ///     .token_url("/api/ws-token")
    ///     .reconnect_base_delay(Duration::from_millis(500))
    ///     .max_reconnect_attempts(10)
    ///     .connect::<FromServer>()?;
    /// # Ok(()) }
    /// ```
    pub fn builder(url: &str) -> Builder {
        Builder::new(url)
    }

    pub(super) fn start<T: DeserializeOwned + 'static>(
        url: String,
        token_source: TokenSource,
        config: Config,
        get_token: Option<TokenCallback>,
        subscriptions: Option<Subscriptions>,
    ) -> (Self, Events<T>) {
        let hub = Rc::new(Hub::default());
        // Subscribed before the driver starts: the stream sees the very first event.
        let events = hub.subscribe();
        let sink = Rc::clone(&hub);
        let driver = Driver::start(
            url,
            token_source,
            config,
            subscriptions,
            Rc::new(move |event| sink.deliver(event)),
            // Messages reach the Rust app through the sink, as every event does.
            wasm_bindgen::JsValue::UNDEFINED,
        );
        *hub.driver.borrow_mut() = Rc::downgrade(&driver);
        (Self { driver, hub, _get_token: get_token }, events)
    }

    /// Sends `message` as JSON; queued until authenticated, then sent in order.
    ///
    /// ```no_run
    /// # fn f(ws: &secure_ws::rust_api::SecureWebSocket) -> Result<(), secure_ws::rust_api::Error> {
    /// #[derive(serde::Serialize)]
    /// struct Echo { r#type: &'static str, n: u32 }
    /// ws.send(&Echo { r#type: "echo", n: 1 })?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::QueueFull`], [`Error::MessageTooLarge`], [`Error::Closed`], or
    /// [`Error::InvalidMessage`] when serde cannot turn it into JSON (a map with non-string keys,
    /// an integer beyond 2⁵³). Nothing is ever dropped silently.
    pub fn send<M: Serialize + ?Sized>(&self, message: &M) -> Result<(), Error> {
        self.driver.send(json_text(message)?, false)?;
        Ok(())
    }

    /// Completes when the session is authenticated (at once if it is).
    ///
    /// The future does not borrow the session, so it can be spawned.
    ///
    /// # Errors
    /// The error that ended the session if it ends first ([`Error::Unauthorized`],
    /// [`Error::ReconnectFailed`], ...), or [`Error::Closed`] after `close()` or a drop.
    pub fn ready(&self) -> impl Future<Output = Result<(), Error>> + 'static {
        let settled = match self.driver.state() {
            State::Authenticated => Some(Ok(())),
            State::Closed => Some(Err(self.hub.end_error())),
            _ => None,
        };
        let waiting = settled.is_none().then(|| self.hub.wait());
        async move {
            match (settled, waiting) {
                (Some(outcome), _) => outcome,
                // Canceled: the session was dropped while waiting.
                (None, Some(waiting)) => waiting.await.unwrap_or(Err(Error::Closed)),
                (None, None) => Err(Error::Closed),
            }
        }
    }

    /// Another stream of the session's events, from now on, with messages deserialized into `U`
    /// (another component can read them in its own type). Ends at once if the session has ended.
    pub fn events<U: DeserializeOwned + 'static>(&self) -> Events<U> {
        self.hub.subscribe()
    }

    /// Closes with code 1000 and stops for good: no timer, token request or reconnect fires
    /// afterwards; queued messages are discarded; the streams end.
    pub fn close(&self) {
        self.driver.close();
    }

    /// The current state.
    pub fn state(&self) -> State {
        self.driver.state()
    }

    /// What the connection promises: [`Delivery::ExactlyOnce`](crate::core::Delivery::ExactlyOnce) once a server granted a
    /// resumable session, else [`Delivery::AtMostOnce`](crate::core::Delivery::AtMostOnce).
    pub fn delivery(&self) -> crate::core::Delivery {
        self.driver.delivery()
    }

    /// How many messages the session still owes the server: waiting to be sent, or sent and not
    /// yet acknowledged (in a resumable session).
    pub fn queued_count(&self) -> usize {
        self.driver.queued_count()
    }

    /// Time until the next re-authentication on the live connection, if one is scheduled: the
    /// timing, never the token.
    pub fn next_reauth_in(&self) -> Option<Duration> {
        self.driver.next_reauth_in_ms().map(Duration::from_millis)
    }
}

impl Drop for SecureWebSocket {
    /// Closes first (close 1000, no reconnect); the driver then releases its socket, timer,
    /// listeners and token request as it is dropped.
    fn drop(&mut self) {
        self.driver.close();
    }
}

impl fmt::Debug for SecureWebSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecureWebSocket")
            .field("state", &self.state())
            .field("queued_count", &self.queued_count())
            .finish_non_exhaustive()
    }
}

/// A value's JSON text, as the driver sends it. Maps become objects and `None` becomes `null`, as
/// serde_json would write them.
pub(super) fn json_text<M: Serialize + ?Sized>(message: &M) -> Result<JsText, Error> {
    let value = message
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|error| Error::InvalidMessage(error.to_string()))?;
    let text = JSON::stringify(&value)
        .ok()
        .filter(|text| text.is_string())
        .ok_or_else(|| Error::InvalidMessage("the value has no JSON text".into()))?;
    Ok(JsText::new(text))
}
