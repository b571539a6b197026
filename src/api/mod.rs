//! The JavaScript surface: `SecureWebSocket`, as the README documents it.

mod events;
mod options;
mod typescript;

pub use typescript::SecureWebSocketOptions;

use std::{cell::RefCell, rc::Rc};

use js_sys::{Function, Promise, JSON};
use wasm_bindgen::prelude::*;

use crate::{
    browser::{Driver, JsText},
    core::{ErrorCode, Event, SdkError, State},
};

/// The listeners and pending `ready()` promises: what the user attached to one socket.
struct Surface {
    registry: JsValue,
    on_authenticated: RefCell<JsValue>,
    on_message: RefCell<JsValue>,
    /// `ready()` promises waiting for `authenticated` (resolve) or `closed` (reject).
    waiters: RefCell<Vec<(Function, Function)>>,
    /// The error that ended the session, for a `ready()` asked after the end.
    final_error: RefCell<Option<SdkError>>,
}

impl Surface {
    fn deliver(&self, event: Event<crate::browser::JsObject>) {
        match &event {
            Event::Error(error) => *self.final_error.borrow_mut() = Some(error.clone()),
            Event::State(State::Authenticated) => self.settle(true),
            _ => {}
        }
        let settle_closed = matches!(event, Event::State(State::Closed));
        let (kind, payload) = events::to_js(event);
        // Cloned out so a handler that replaces the property handler does not meet a borrow.
        let property = match kind {
            "authenticated" => self.on_authenticated.borrow().clone(),
            "message" => self.on_message.borrow().clone(),
            _ => JsValue::UNDEFINED,
        };
        events::dispatch(&self.registry, kind, &payload, &property);
        if settle_closed {
            self.settle(false);
        }
    }

    fn settle(&self, authenticated: bool) {
        let waiters = std::mem::take(&mut *self.waiters.borrow_mut());
        for (resolve, reject) in waiters {
            let _ = if authenticated {
                resolve.call0(&JsValue::UNDEFINED)
            } else {
                reject.call1(&JsValue::UNDEFINED, &self.closed_error())
            };
        }
    }

    fn closed_error(&self) -> JsValue {
        match &*self.final_error.borrow() {
            Some(error) => events::to_js_error(error),
            None => events::js_error(ErrorCode::Closed, "the connection is closed"),
        }
    }
}

/// An authenticated, self-healing WebSocket.
///
/// The token lives only in this object's WebAssembly memory. The constructor starts connecting at
/// once: a credentialed `POST tokenUrl` (or `getToken()`) for a short-lived token, a socket opened
/// with no credential in its URL, and `{"type":"auth","token":…}` as its first message. Sends wait
/// in a queue until the server confirms, then go out in order.
#[wasm_bindgen]
pub struct SecureWebSocket {
    driver: Rc<Driver>,
    surface: Rc<Surface>,
}

#[wasm_bindgen]
impl SecureWebSocket {
    /// Connects to `url` (`wss://`, or `ws://` to loopback) with `options`.
    ///
    /// @throws {Error} with `code` `'invalid_options'` or `'insecure_url'`.
    #[wasm_bindgen(constructor)]
    pub fn new(url: &str, options: &SecureWebSocketOptions) -> Result<SecureWebSocket, JsValue> {
        let options = options::read(url, options).map_err(|error| {
            let code = if error.insecure { ErrorCode::InsecureUrl } else { ErrorCode::InvalidOptions };
            events::js_error(code, error.to_string())
        })?;
        let surface = Rc::new(Surface {
            registry: events::create_registry(),
            on_authenticated: RefCell::new(JsValue::UNDEFINED),
            on_message: RefCell::new(JsValue::UNDEFINED),
            waiters: RefCell::new(Vec::new()),
            final_error: RefCell::new(None),
        });
        let sink = Rc::clone(&surface);
        let driver = Driver::start(
            options.url,
            options.token_source,
            options.config,
            Box::new(move |event| sink.deliver(event)),
        );
        Ok(SecureWebSocket { driver, surface })
    }

    /// Sends a JSON-serialisable value; queued until authenticated.
    ///
    /// @throws {Error} with `code` `'queue_full'`, `'message_too_large'`, `'invalid_message'` or `'closed'`.
    #[wasm_bindgen(skip_typescript)]
    pub fn send(&self, data: &JsValue) -> Result<(), JsValue> {
        // `undefined`, functions and symbols stringify to `undefined`; cycles and BigInts throw.
        let text = JSON::stringify(data).ok().filter(|text| text.is_string()).ok_or_else(|| {
            events::js_error(ErrorCode::InvalidMessage, "send() needs a JSON-serialisable value")
        })?;
        self.driver.send(JsText::new(text)).map_err(|error| events::to_js_error(&error.into()))
    }

    /// Closes with code 1000 and stops for good: no timer, fetch or reconnect fires afterwards.
    pub fn close(&self) {
        self.driver.close();
    }

    /// Resolves when authenticated; rejects if the session ends `closed` first.
    #[wasm_bindgen(skip_typescript)]
    pub fn ready(&self) -> Promise {
        match self.driver.state() {
            State::Authenticated => Promise::resolve(&JsValue::UNDEFINED),
            State::Closed => Promise::reject(&self.surface.closed_error()),
            _ => {
                let waiters = &self.surface.waiters;
                Promise::new(&mut |resolve, reject| waiters.borrow_mut().push((resolve, reject)))
            }
        }
    }

    /// Subscribes to an event; returns the function that unsubscribes.
    #[wasm_bindgen(skip_typescript)]
    pub fn on(&self, kind: &str, handler: &Function) -> Result<Function, JsValue> {
        if !events::EVENT_TYPES.contains(&kind) {
            return Err(events::js_error(ErrorCode::InvalidArgument, format!("unknown event type '{kind}'")));
        }
        Ok(events::subscribe(&self.surface.registry, kind, handler))
    }

    /// `'connecting' | 'authenticating' | 'authenticated' | 'reconnecting' | 'closed'`.
    #[wasm_bindgen(getter, skip_typescript)]
    pub fn state(&self) -> String {
        self.driver.state().as_str().into()
    }

    /// How many sends wait for an authenticated connection.
    #[wasm_bindgen(getter, js_name = queuedCount)]
    pub fn queued_count(&self) -> usize {
        self.driver.queued_count()
    }

    /// Milliseconds until the next re-authentication on the live connection, or `null` when none
    /// is scheduled. For diagnostics: the timing, never the token.
    #[wasm_bindgen(getter, js_name = nextReauthInMs)]
    pub fn next_reauth_in_ms(&self) -> Option<f64> {
        self.driver.next_reauth_in_ms().map(|ms| ms as f64)
    }

    /// Called with `{ userId }` on every successful authentication.
    #[wasm_bindgen(getter = onAuthenticated, skip_typescript)]
    pub fn on_authenticated(&self) -> JsValue {
        self.surface.on_authenticated.borrow().clone()
    }

    /// Sets the `onAuthenticated` handler (`null` removes it).
    #[wasm_bindgen(setter = onAuthenticated, skip_typescript)]
    pub fn set_on_authenticated(&self, handler: JsValue) {
        *self.surface.on_authenticated.borrow_mut() = handler;
    }

    /// Called with each application message.
    #[wasm_bindgen(getter = onMessage, skip_typescript)]
    pub fn on_message(&self) -> JsValue {
        self.surface.on_message.borrow().clone()
    }

    /// Sets the `onMessage` handler (`null` removes it).
    #[wasm_bindgen(setter = onMessage, skip_typescript)]
    pub fn set_on_message(&self, handler: JsValue) {
        *self.surface.on_message.borrow_mut() = handler;
    }
}

impl Drop for SecureWebSocket {
    /// `free()` (or `using`) closes the connection: a dropped socket must not reconnect forever.
    fn drop(&mut self) {
        self.driver.close();
    }
}
