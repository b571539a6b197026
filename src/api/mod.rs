//! The JavaScript surface: `SecureWebSocket`, as the README documents it. What can live in JS
//! does (options.js, events.js): the wasm keeps the state machine and its driver, and no text
//! that only JavaScript needs (issue 14).

mod events;
mod options;
mod typescript;

pub use typescript::SecureWebSocketOptions;

use alloc::{
    boxed::Box,
    rc::{Rc, Weak},
};
use core::cell::RefCell;

use js_sys::{Array, Function, Promise};
use wasm_bindgen::prelude::*;

use crate::{
    browser::{Driver, JsText, Subscriptions},
    core::{ErrorCode, SdkError, State},
};

/// An authenticated, self-healing WebSocket.
///
/// The token lives only in this object's WebAssembly memory. The constructor starts connecting at
/// once: a credentialed `POST tokenUrl` (or `getToken()`) for a short-lived token, a socket opened
/// with no credential in its URL, and `{"type":"auth","token":…}` as its first message. Sends wait
/// in a queue until the server confirms, then go out in order.
#[wasm_bindgen]
pub struct SecureWebSocket {
    driver: Rc<Driver>,
    /// events.js's registry: listeners, property handlers and pending `ready()` promises.
    registry: JsValue,
}

#[wasm_bindgen]
impl SecureWebSocket {
    /// Connects to `url` (`wss://`, or `ws://` to loopback) with `options`.
    ///
    /// @throws {Error} with `code` `'invalid_options'` or `'insecure_url'`.
    #[wasm_bindgen(constructor)]
    pub fn new(url: &str, options: &SecureWebSocketOptions) -> Result<SecureWebSocket, JsValue> {
        let options = options::read(url, options)?;
        let registry = events::create_registry();
        let sink_registry = registry.clone();
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
            Rc::new(move |event| {
                events::deliver(&sink_registry, event, || {
                    slot.borrow().upgrade().and_then(|driver| driver.final_error())
                })
            }),
            events::deliverer(&registry),
        );
        *driver_slot.borrow_mut() = Rc::downgrade(&driver);
        if let Some((hook, handover)) = options.share {
            driver.share(hook, handover);
        }
        Ok(SecureWebSocket { driver, registry })
    }

    /// Sends a JSON-serialisable value; queued until authenticated.
    ///
    /// @throws {Error} with `code` `'queue_full'`, `'message_too_large'`, `'invalid_message'` or `'closed'`.
    #[wasm_bindgen(skip_typescript)]
    pub fn send(&self, data: &JsValue) -> Result<(), JsValue> {
        self.driver.send(text(data)?, false).map(drop).map_err(events::to_js_send_error)
    }

    /// Sends like `send()` and returns a promise that resolves when the server acknowledged the
    /// message (a resumable session), or rejects when it cannot be known or done: `unconfirmed`
    /// on an at-most-once connection, or the error that ended the session.
    ///
    /// @throws {Error} synchronously, with the same codes as `send()`.
    #[wasm_bindgen(js_name = sendWithReceipt, skip_typescript)]
    pub fn send_with_receipt(&self, data: &JsValue) -> Result<Promise, JsValue> {
        let text = text(data)?;
        // Registered before the message goes out, under the id it will get: on an at-most-once
        // connection its fate is known within this very call.
        let id = self.driver.next_message_id() as f64;
        let promise = events::receipt(&self.registry, id);
        match self.driver.send(text, true) {
            Ok(_) => Ok(promise),
            Err(error) => {
                events::settle_receipts(&self.registry, 4, id, JsValue::UNDEFINED);
                Err(events::to_js_send_error(error))
            }
        }
    }

    /// `'at-most-once'` until a server grants a resumable session, then `'exactly-once'`.
    // A `JsValue` rather than a `String`, here and in `state`: no string copied back out of wasm
    // memory, nor the shim and glue that would do it (issue 14).
    #[wasm_bindgen(getter, skip_typescript)]
    pub fn delivery(&self) -> JsValue {
        JsValue::from_str(self.driver.delivery().as_str())
    }

    /// Closes with code 1000 and stops for good: no timer, fetch or reconnect fires afterwards.
    pub fn close(&self) {
        self.driver.close();
    }

    /// Internal to `shareAcrossTabs`: the id the next accepted send gets, as the replication hook
    /// names it.
    #[wasm_bindgen(getter, js_name = _nextId, skip_typescript)]
    pub fn next_id(&self) -> f64 {
        self.driver.next_message_id() as f64
    }

    /// Internal to `shareAcrossTabs`: closes for good like `close()`, but keeps the server's
    /// session (close 4015) for the tab that takes the connection over.
    #[wasm_bindgen(js_name = _handOver, skip_typescript)]
    pub fn hand_over(&self) {
        self.driver.hand_over();
    }

    /// Resolves when authenticated; rejects if the session ends `closed` first.
    #[wasm_bindgen(skip_typescript)]
    pub fn ready(&self) -> Promise {
        match self.driver.state() {
            State::Authenticated => Promise::resolve(&JsValue::UNDEFINED),
            State::Closed => Promise::reject(&events::closed_error(self.driver.final_error())),
            _ => events::wait(&self.registry),
        }
    }

    /// Subscribes to an event; returns the function that unsubscribes.
    // `kind` goes to events.js as it came (a `&str` would be copied in and out of wasm memory);
    // events.js refuses what is not one of its event types.
    #[wasm_bindgen(skip_typescript)]
    pub fn on(&self, kind: &JsValue, handler: &Function) -> Result<Function, JsValue> {
        events::subscribe(&self.registry, kind, handler)
    }

    /// `'connecting' | 'authenticating' | 'authenticated' | 'reconnecting' | 'closed'`.
    #[wasm_bindgen(getter, skip_typescript)]
    pub fn state(&self) -> JsValue {
        JsValue::from_str(self.driver.state().as_str())
    }

    /// How many sends wait for an authenticated connection.
    #[wasm_bindgen(getter, js_name = queuedCount)]
    pub fn queued_count(&self) -> usize {
        self.driver.queued_count()
    }

    /// Milliseconds until the next re-authentication on the live connection, or `null` when none
    /// is scheduled. For diagnostics: the timing, never the token.
    // A `JsValue` rather than an `Option<f64>`: no optional-number shim in the wasm (issue 14).
    #[wasm_bindgen(getter, js_name = nextReauthInMs, unchecked_return_type = "number | null")]
    pub fn next_reauth_in_ms(&self) -> JsValue {
        self.driver.next_reauth_in_ms().map_or(JsValue::NULL, |ms| JsValue::from_f64(ms as f64))
    }

    /// Called with `{ userId }` on every successful authentication.
    #[wasm_bindgen(getter = onAuthenticated, skip_typescript)]
    pub fn on_authenticated(&self) -> JsValue {
        events::property_handler(&self.registry, 0)
    }

    /// Sets the `onAuthenticated` handler (`null` removes it).
    #[wasm_bindgen(setter = onAuthenticated, skip_typescript)]
    pub fn set_on_authenticated(&self, handler: JsValue) {
        events::set_property_handler(&self.registry, 0, handler);
    }

    /// Called with each application message.
    #[wasm_bindgen(getter = onMessage, skip_typescript)]
    pub fn on_message(&self) -> JsValue {
        events::property_handler(&self.registry, 1)
    }

    /// Sets the `onMessage` handler (`null` removes it).
    #[wasm_bindgen(setter = onMessage, skip_typescript)]
    pub fn set_on_message(&self, handler: JsValue) {
        events::set_property_handler(&self.registry, 1, handler);
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

/// `send()`'s argument as JSON text, or the `invalid_message` error to throw.
fn text(data: &JsValue) -> Result<JsText, JsValue> {
    let text = events::stringify(data).ok_or_else(events::invalid_message)?;
    Ok(JsText::new(text))
}

/// Wraps the app's `subscriptions()` for the driver: called with no argument, it returns an
/// array (or a single value) of JSON-serialisable messages.
fn subscriptions(collect: Function) -> Subscriptions {
    Box::new(move || {
        let texts = events::collect(&collect);
        if texts.is_undefined() {
            return Err(SdkError::new(
                ErrorCode::InvalidMessage,
                "subscriptions() threw or returned something JSON cannot carry",
            ));
        }
        Ok(texts.unchecked_into::<Array>().iter().map(|text| JsText::new(text.unchecked_into())).collect())
    })
}
