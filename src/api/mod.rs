//! The JavaScript surface: `SecureWebSocket`, as the README documents it.

mod events;
mod options;
mod typescript;

pub use typescript::SecureWebSocketOptions;

use std::{
    cell::RefCell,
    rc::{Rc, Weak},
};

use js_sys::{Function, Promise, JSON};
use wasm_bindgen::prelude::*;

use crate::{
    browser::{Driver, JsText, Subscriptions},
    core::{ErrorCode, Event, SdkError, State},
};

/// The listeners and pending `ready()` promises: what the user attached to one socket.
struct Surface {
    registry: JsValue,
    on_authenticated: RefCell<JsValue>,
    on_message: RefCell<JsValue>,
    /// `ready()` promises waiting for `authenticated` (resolve) or `closed` (reject).
    waiters: RefCell<Vec<(Function, Function)>>,
    /// The error that ended the session, once it is closed: the only one `ready()` rejects with.
    final_error: RefCell<Option<SdkError>>,
}

impl Surface {
    fn deliver(&self, event: Event<crate::browser::JsObject>, driver: &Weak<Driver>) {
        if let Event::State(State::Authenticated) = event {
            self.settle(true);
        }
        let settle_closed = matches!(event, Event::State(State::Closed));
        if settle_closed {
            *self.final_error.borrow_mut() = driver.upgrade().and_then(|driver| driver.final_error());
        }
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
        let subscriptions = options.subscriptions.map(subscriptions);
        // The sink asks the driver for the error that ended the session; a weak reference, so the
        // two do not keep each other alive.
        let driver_slot: Rc<RefCell<Weak<Driver>>> = Rc::new(RefCell::new(Weak::new()));
        let slot = Rc::clone(&driver_slot);
        let driver = Driver::start(
            options.url,
            options.token_source,
            options.config,
            subscriptions,
            Rc::new(move |event| sink.deliver(event, &slot.borrow())),
        );
        *driver_slot.borrow_mut() = Rc::downgrade(&driver);
        Ok(SecureWebSocket { driver, surface })
    }

    /// Sends a JSON-serialisable value; queued until authenticated.
    ///
    /// @throws {Error} with `code` `'queue_full'`, `'message_too_large'`, `'invalid_message'` or `'closed'`.
    #[wasm_bindgen(skip_typescript)]
    pub fn send(&self, data: &JsValue) -> Result<(), JsValue> {
        let text = stringify(data).ok_or_else(|| {
            events::js_error(ErrorCode::InvalidMessage, "send() needs a JSON-serialisable value")
        })?;
        self.driver.send(text).map_err(|error| events::to_js_error(&error.into()))
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
            State::Closed => {
                *self.surface.final_error.borrow_mut() = self.driver.final_error();
                Promise::reject(&self.surface.closed_error())
            }
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
    /// The handlers are detached first: no event reaches an object that is being freed, even
    /// when `free()` is called from inside a handler.
    fn drop(&mut self) {
        self.driver.detach_sink();
        self.driver.close();
    }
}

/// Wraps the app's `subscriptions()` for the driver: called with no argument, it returns an
/// array (or a single value) of JSON-serialisable messages.
fn subscriptions(collect: Function) -> Subscriptions {
    Box::new(move || {
        let threw = || {
            SdkError::new(
                ErrorCode::InvalidMessage,
                "subscriptions() threw or returned something JSON cannot carry",
            )
        };
        let value = collect.call0(&JsValue::UNDEFINED).map_err(|_| threw())?;
        let items: Vec<JsValue> = if js_sys::Array::is_array(&value) {
            js_sys::Array::from(&value).iter().collect()
        } else if value.is_undefined() || value.is_null() {
            Vec::new()
        } else {
            vec![value]
        };
        items.iter().map(|item| stringify(item).ok_or_else(threw)).collect()
    })
}

/// `JSON.stringify`, or `None` for what it cannot turn into a JSON text (`undefined`, functions,
/// symbols, cycles, BigInts).
fn stringify(data: &JsValue) -> Option<JsText> {
    JSON::stringify(data).ok().filter(|text| text.is_string()).map(JsText::new)
}
