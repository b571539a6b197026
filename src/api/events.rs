//! Delivering core events and errors to JavaScript (events.js builds the objects users see).

use alloc::string::String;

use js_sys::{Function, JsString, Promise};
use wasm_bindgen::prelude::*;

use crate::{
    browser::JsObject,
    core::{Event, SdkError, SendError, State},
};

#[wasm_bindgen(module = "/src/api/events.js")]
extern "C" {
    #[wasm_bindgen(js_name = createRegistry)]
    pub(crate) fn create_registry() -> JsValue;
    #[wasm_bindgen(catch)]
    pub(crate) fn subscribe(
        registry: &JsValue,
        kind: &JsValue,
        handler: &Function,
    ) -> Result<Function, JsValue>;
    #[wasm_bindgen(js_name = propertyHandler)]
    pub(crate) fn property_handler(registry: &JsValue, index: u32) -> JsValue;
    #[wasm_bindgen(js_name = setPropertyHandler)]
    pub(crate) fn set_property_handler(registry: &JsValue, index: u32, handler: JsValue);
    pub(crate) fn wait(registry: &JsValue) -> Promise;
    /// The JS function the driver hands application messages to (see `Driver::frame`).
    pub(crate) fn deliverer(registry: &JsValue) -> JsValue;
    pub(crate) fn receipt(registry: &JsValue, id: f64) -> Promise;
    #[wasm_bindgen(js_name = settleReceipts)]
    pub(crate) fn settle_receipts(registry: &JsValue, mode: u32, id: f64, error: JsValue);
    fn emit(registry: &JsValue, kind: u32, a: JsValue, b: JsValue, n: f64, m: f64);
    #[wasm_bindgen(js_name = sdkError)]
    pub(crate) fn sdk_error(code: &str, message: &str, server_code: Option<String>) -> JsValue;
    #[wasm_bindgen(js_name = sendError)]
    fn send_error(kind: u32, bytes: f64, limit: f64) -> JsValue;
    /// `JSON.stringify`, or `None` for what it cannot turn into a JSON text. (An `Option`, which
    /// the glue answers without another call into JS, unlike a check of the value's type.)
    pub(crate) fn stringify(data: &JsValue) -> Option<JsString>;
    /// The app's `subscriptions()` as an array of JSON texts, or `undefined` when it threw or
    /// gave what JSON cannot carry.
    pub(crate) fn collect(subscriptions: &Function) -> JsValue;
}

/// An `Error` with a string `code`, as every error of the SDK is.
pub(crate) fn to_js_error(error: &SdkError) -> JsValue {
    // A server `error` frame: `code` is always `server_error`, the server's own code is alongside.
    sdk_error(error.code.as_str(), &error.message, error.code.server_code().map(Into::into))
}

/// What `send()` throws.
pub(crate) fn to_js_send_error(error: SendError) -> JsValue {
    match error {
        SendError::QueueFull { limit } => send_error(0, 0.0, limit as f64),
        SendError::MessageTooLarge { bytes, limit } => send_error(1, bytes as f64, limit as f64),
        SendError::Closed => send_error(2, 0.0, 0.0),
    }
}

/// `send()` of something JSON cannot carry.
pub(crate) fn invalid_message() -> JsValue {
    sdk_error("invalid_message", "send() needs a JSON-serialisable value", None)
}

/// The error `ready()` rejects with once closed: the one that ended the session, if any.
pub(crate) fn closed_error(error: Option<SdkError>) -> JsValue {
    match error {
        Some(error) => to_js_error(&error),
        None => send_error(2, 0.0, 0.0),
    }
}

/// Delivers `event`; for the `closed` state, `final_error` is what pending `ready()`s and
/// receipts reject with.
pub(crate) fn deliver(
    registry: &JsValue,
    event: Event<JsObject>,
    final_error: impl FnOnce() -> Option<SdkError>,
) {
    let none = || JsValue::UNDEFINED;
    let (kind, a, b, n, m) = match event {
        Event::State(state) => {
            let closed = state == State::Closed;
            let error = if closed { final_error() } else { None };
            let ready_error = if closed { closed_error(error.clone()) } else { none() };
            emit(registry, 0, JsValue::from_str(state.as_str()), ready_error, 0.0, 0.0);
            if closed {
                let error = error.map_or_else(
                    || sdk_error("closed", "the connection closed before the server acknowledged it", None),
                    |error| to_js_error(&error),
                );
                settle_receipts(registry, 3, 0.0, error);
            }
            return;
        }
        Event::Authenticated { user_id, resumed } => (
            1,
            user_id.map_or(JsValue::NULL, |id| JsValue::from_str(&id)),
            none(),
            0.0,
            f64::from(u8::from(resumed)),
        ),
        Event::Message(message) => (2, message.0, none(), 0.0, 0.0),
        Event::Reconnecting { attempt, delay_ms } => (3, none(), none(), attempt.into(), delay_ms as f64),
        Event::Close { code, reason, will_reconnect } => {
            (4, JsValue::from_str(&reason), none(), code.into(), f64::from(u8::from(will_reconnect)))
        }
        Event::Error(error) => (5, to_js_error(&error), none(), 0.0, 0.0),
        Event::Resync => (6, none(), none(), 0.0, 0.0),
        Event::Delivered { through } => return settle_receipts(registry, 0, through as f64, none()),
        Event::Unconfirmed(id) => return settle_receipts(registry, 1, id as f64, none()),
        Event::Undeliverable(id) => return settle_receipts(registry, 2, id as f64, none()),
    };
    emit(registry, kind, a, b, n, m);
}
