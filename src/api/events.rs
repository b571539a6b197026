//! Turning core events into JavaScript payloads and delivering them to listeners.

use js_sys::{Function, Object, Reflect};
use wasm_bindgen::prelude::*;

use crate::{
    browser::JsObject,
    core::{ErrorCode, Event, SdkError},
};

#[wasm_bindgen(module = "/src/api/events.js")]
extern "C" {
    #[wasm_bindgen(js_name = createRegistry)]
    pub(crate) fn create_registry() -> JsValue;
    pub(crate) fn subscribe(registry: &JsValue, kind: &str, handler: &Function) -> Function;
    pub(crate) fn dispatch(registry: &JsValue, kind: &str, payload: &JsValue, property_handler: &JsValue);
    #[wasm_bindgen(js_name = sdkError)]
    fn sdk_error(code: &str, message: &str) -> js_sys::Error;
}

/// The event names `on()` accepts.
pub(crate) const EVENT_TYPES: [&str; 6] =
    ["state", "authenticated", "message", "reconnecting", "close", "error"];

/// An `Error` with a string `code`, as every error of the SDK is.
pub(crate) fn to_js_error(error: &SdkError) -> JsValue {
    let js = sdk_error(error.code.as_str(), &error.message);
    if let Some(server_code) = error.code.server_code() {
        // A server `error` frame: `code` is always `server_error`, the server's own code is here.
        let _ = Reflect::set(&js, &JsValue::from_str("serverCode"), &JsValue::from_str(server_code));
    }
    js.into()
}

/// Shorthand for an error built from a code and a message.
pub(crate) fn js_error(code: ErrorCode, message: impl Into<String>) -> JsValue {
    to_js_error(&SdkError::new(code, message))
}

/// The event's name and its payload as JavaScript sees them.
pub(crate) fn to_js(event: Event<JsObject>) -> (&'static str, JsValue) {
    match event {
        Event::State(state) => ("state", state.as_str().into()),
        Event::Authenticated { user_id } => {
            ("authenticated", object(&[("userId", user_id.map_or(JsValue::NULL, Into::into))]))
        }
        Event::Message(message) => ("message", message.0),
        Event::Reconnecting { attempt, delay_ms } => {
            ("reconnecting", object(&[("attempt", attempt.into()), ("delayMs", (delay_ms as f64).into())]))
        }
        Event::Close { code, reason, will_reconnect } => (
            "close",
            object(&[
                ("code", code.into()),
                ("reason", reason.into()),
                ("willReconnect", will_reconnect.into()),
            ]),
        ),
        Event::Error(error) => ("error", to_js_error(&error)),
    }
}

fn object(fields: &[(&str, JsValue)]) -> JsValue {
    let object = Object::new();
    for (key, value) in fields {
        // Setting a data property on a fresh plain object cannot fail.
        let _ = Reflect::set(&object, &JsValue::from_str(key), value);
    }
    object.into()
}
