//! The Rust surface: the same session as the JavaScript class, for Rust front-ends (Leptos, Yew,
//! Dioxus, plain `web-sys`), with typed messages through serde.
//!
//! One implementation, two faces: this module is a typed face over the JavaScript class itself
//! (src/api/secure-web-socket.js, with its driver in driver.js), which runs the
//! [`core`](crate::core) state machine, so tokens, queueing, re-authentication and backoff behave
//! exactly as the README documents. What differs is the shape:
//!
//! | JavaScript | Rust |
//! |---|---|
//! | `new SecureWebSocket(url, { tokenUrl })` | [`SecureWebSocket::builder`]`(url).token_url(..).connect::<T>()` |
//! | `send(data)` throws `Error.code` | [`send`](SecureWebSocket::send)`(&impl Serialize) -> Result<(), Error>` |
//! | `on('message', ...)`, `on('close', ...)`, ... | an [`Events<T>`] stream of [`Event<T>`] |
//! | `await ready()` | [`ready`](SecureWebSocket::ready)`().await` |
//! | `close()` / `free()` | [`close`](SecureWebSocket::close) / drop |
//!
//! Messages go out as `serde-wasm-bindgen` values that the class turns into JSON text with the
//! browser's `JSON.stringify`, and come in as the object the browser's `JSON.parse` already made,
//! deserialized into `T` without a second parse. A message that does not fit `T` is an [`Event::Error`] carrying
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
mod class;
mod error;
mod event;
mod events;
mod url;

use std::{fmt, future::Future, rc::Rc, time::Duration};

use js_sys::Object;
use serde::{de::DeserializeOwned, Serialize};
use wasm_bindgen::{closure::Closure, JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

pub use self::{builder::Builder, error::Error, event::Event, events::Events};
use self::{builder::Callbacks, class::Class, events::Hub};
pub use crate::core::{ConfigError, Delivery, State, TokenError};

/// An authenticated, self-healing WebSocket session, for Rust code.
///
/// Made by [`SecureWebSocket::builder`]; connecting starts at once. Sends wait in a queue until
/// the server confirms the token, then go out in order. Dropping it closes the connection and
/// releases everything it holds (socket, timer, listeners, token request, the `get_token`
/// function); its [`Events`] streams then end.
///
/// It is a handle for the app's UI code: keep it where the component that owns the connection
/// keeps its state (dropping it there, on unmount, closes), and read the events in one task. Code
/// that only sends (a callback, the event task, another component) takes a [`Sender`]: a clone of
/// the `SecureWebSocket` itself, in an `Rc` the event task holds, would keep the session alive, and
/// its stream would never end.
pub struct SecureWebSocket {
    class: Class,
    hub: Rc<Hub>,
    /// The class's listeners, which feed `hub`: they outlive the session's last events (see Drop).
    listeners: Vec<Closure<dyn Fn(JsValue)>>,
    callbacks: Callbacks,
}

impl SecureWebSocket {
    /// Starts configuring a session to `url` (`wss://`, or `ws://` to loopback; without a scheme,
    /// `/ws` say, the page's: `wss:` on an https page, `ws:` on an http one).
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

    /// Makes the JavaScript class with `options` (checked) and listens to every event a stream
    /// carries, right after its constructor as a JavaScript app does. The class delivers what its
    /// constructor caused (a socket the browser refuses at once, as for mixed content) in a
    /// microtask, so the streams see every event from the first.
    fn start<T: DeserializeOwned + 'static>(
        url: &str,
        options: &Object,
        callbacks: Callbacks,
    ) -> Result<(Self, Events<T>), Error> {
        let hub = Rc::new(Hub::default());
        let events = hub.subscribe();
        let class = Class::new(url, options).map_err(|error| Error::from_js(&error))?;
        let listeners = (0..event::TYPES.len())
            .map(|kind| {
                let hub = Rc::clone(&hub);
                let listener =
                    Closure::<dyn Fn(JsValue)>::new(move |payload: JsValue| hub.deliver(kind, &payload));
                class.listen(event::TYPES[kind], listener.as_ref().unchecked_ref());
                listener
            })
            .collect();
        Ok((Self { class, hub, listeners, callbacks }, events))
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
    /// [`Error::InvalidMessage`] when it is no application message (SPEC: a JSON object with a
    /// string `type`, one that names no protocol frame such as `ping` or `error`: a unit struct, a
    /// number or a struct without `type` is refused) or serde cannot turn it into JSON (a map with
    /// non-string keys, an integer beyond 2⁵³). Nothing is ever dropped silently.
    pub fn send<M: Serialize + ?Sized>(&self, message: &M) -> Result<(), Error> {
        send(&self.class, message)
    }

    /// A handle that sends on this session without keeping it alive (see [`Sender`]).
    pub fn sender(&self) -> Sender {
        Sender { class: self.class.clone() }
    }

    /// Completes when the session is authenticated (at once if it is).
    ///
    /// The future does not borrow the session, so it can be spawned.
    ///
    /// # Errors
    /// The error that ended the session if it ends first ([`Error::Unauthorized`],
    /// [`Error::ReconnectFailed`], ...), or [`Error::Closed`] after `close()` or a drop.
    pub fn ready(&self) -> impl Future<Output = Result<(), Error>> + 'static {
        // The class's `ready()` settles at the next `authenticated` or `closed`, dropped or not.
        let waiting =
            (self.state() != State::Authenticated).then(|| JsFuture::from(self.class.authenticated()));
        async move {
            match waiting {
                Some(waiting) => waiting.await.map(drop).map_err(|error| Error::from_js(&error)),
                None => Ok(()),
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
        self.class.close_session();
    }

    /// The current state.
    pub fn state(&self) -> State {
        event::state(&self.class.state_name())
    }

    /// What the connection promises: [`Delivery::ExactlyOnce`] once a server granted a resumable
    /// session, else [`Delivery::AtMostOnce`].
    pub fn delivery(&self) -> Delivery {
        if self.class.delivery_name() == Delivery::ExactlyOnce.as_str() {
            Delivery::ExactlyOnce
        } else {
            Delivery::AtMostOnce
        }
    }

    /// How many messages the session still owes the server: waiting to be sent, or sent and not
    /// yet acknowledged (in a resumable session).
    pub fn queued_count(&self) -> usize {
        self.class.queued() as usize
    }

    /// Time until the next re-authentication on the live connection, if one is scheduled: the
    /// timing, never the token.
    pub fn next_reauth_in(&self) -> Option<Duration> {
        // Whole, non-negative milliseconds from the class: the cast keeps them.
        self.class.next_reauth_ms().map(|ms| Duration::from_millis(ms as u64))
    }
}

fn send<M: Serialize + ?Sized>(class: &Class, message: &M) -> Result<(), Error> {
    class.send_value(&json_value(message)?).map_err(|error| Error::from_js(&error))
}

/// Sends on a session without keeping it alive, from [`SecureWebSocket::sender`]: clone it into
/// callbacks, the task that reads the events, or other components. Once the `SecureWebSocket` is
/// dropped or closed, [`Sender::send`] answers [`Error::Closed`].
///
/// ```no_run
/// # fn f(ws: &secure_ws::rust_api::SecureWebSocket) {
/// #[derive(serde::Serialize)]
/// struct Chat { r#type: &'static str, text: String }
///
/// let sender = ws.sender();
/// // A UI callback: it sends while the session lives, and fails with `Error::Closed` after.
/// let on_submit = move |text: String| sender.send(&Chat { r#type: "chat", text });
/// # let _ = on_submit;
/// # }
/// ```
///
/// Two `Sender`s are equal when they send on the same session, as the props of a Yew or Dioxus
/// component must be comparable. Like the session, it holds JavaScript values, so it is neither
/// `Send` nor `Sync`: where a framework asks for them (Leptos 0.8's `StoredValue::new`, context,
/// `Callback`), keep it in local storage (`StoredValue::new_local`, as examples/chat keeps the
/// session) or a `send_wrapper::SendWrapper`.
#[derive(Clone)]
pub struct Sender {
    class: Class,
}

impl PartialEq for Sender {
    fn eq(&self, other: &Self) -> bool {
        // The same JS object (`===`): one session.
        let (this, that): (&JsValue, &JsValue) = (self.class.as_ref(), other.class.as_ref());
        this == that
    }
}

impl Eq for Sender {}

impl Sender {
    /// Like [`SecureWebSocket::send`].
    ///
    /// # Errors
    /// Those of [`SecureWebSocket::send`]; [`Error::Closed`] once the session was dropped or closed.
    pub fn send<M: Serialize + ?Sized>(&self, message: &M) -> Result<(), Error> {
        send(&self.class, message)
    }
}

impl fmt::Debug for Sender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").finish_non_exhaustive()
    }
}

impl Drop for SecureWebSocket {
    /// Closes (close 1000, no reconnect): the class releases its socket, timer, page listeners and
    /// token request before `close()` returns, and delivers the events it causes in a microtask.
    /// The app's `get_token` and `subscriptions` go at once; the listeners, which must still
    /// receive those events to end the streams, go in a microtask after it, with the class.
    fn drop(&mut self) {
        self.class.close_session();
        drop(std::mem::take(&mut self.callbacks));
        let (class, listeners) = (self.class.clone(), std::mem::take(&mut self.listeners));
        class::after_queued_microtasks(move || {
            class.detach();
            drop(listeners);
        });
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

/// A value as the class sends it (as JSON text, with the browser's `JSON.stringify`). Maps become
/// objects and `None` becomes `null`, as serde_json would write them.
fn json_value<M: Serialize + ?Sized>(message: &M) -> Result<JsValue, Error> {
    message
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|error| Error::InvalidMessage(error.to_string()))
}
