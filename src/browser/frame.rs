//! Server frames: JSON text parsed by the engine's own `JSON.parse`, then classified by the core.

use js_sys::{Reflect, JSON};
use wasm_bindgen::JsValue;

use crate::core::{protocol, FrameError, Inbound, JsonFields};

/// A parsed JSON object, read through `Reflect`.
pub(crate) struct JsObject(pub(crate) JsValue);

impl JsonFields for JsObject {
    fn string(&self, key: &str) -> Option<String> {
        Reflect::get(&self.0, &JsValue::from_str(key)).ok()?.as_string()
    }

    fn boolean(&self, key: &str) -> Option<bool> {
        Reflect::get(&self.0, &JsValue::from_str(key)).ok()?.as_bool()
    }
}

/// Parses a `message` event's data. Binary frames and anything that is not a JSON object with a
/// string `type` are errors, never panics.
pub(crate) fn parse(data: &JsValue) -> Result<Inbound<JsObject>, FrameError> {
    let text = data.as_string().ok_or(FrameError::Binary)?;
    let value = JSON::parse(&text).map_err(|_| FrameError::NotJson)?;
    if !value.is_object() || js_sys::Array::is_array(&value) {
        return Err(FrameError::NotAnObject);
    }
    protocol::classify(JsObject(value))
}
