//! Frames as JS strings: server frames parsed by the engine's own `JSON.parse` and sorted by type
//! in JS (io.js), then read by the core; application messages kept as JS strings on their way
//! out. Neither is copied into wasm memory.

use alloc::string::String;

use js_sys::{JsString, Reflect};
use wasm_bindgen::prelude::*;

use crate::core::{protocol, FrameError, FrameType, Inbound, JsonFields, Payload};

#[wasm_bindgen(module = "/src/browser/text.js")]
extern "C" {
    #[wasm_bindgen(js_name = utf8Length)]
    fn utf8_length(text: &JsString) -> usize;
}

/// An application message's JSON text, with its size in UTF-8 bytes.
#[derive(Clone)]
pub(crate) struct JsText {
    pub(crate) text: JsString,
    bytes: usize,
}

impl JsText {
    /// Measures `text` (a string from `JSON.stringify`).
    pub(crate) fn new(text: JsString) -> Self {
        let bytes = utf8_length(&text);
        Self { text, bytes }
    }
}

impl Payload for JsText {
    fn byte_len(&self) -> usize {
        self.bytes
    }
}

impl core::fmt::Debug for JsText {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "JsText({} bytes)", self.bytes)
    }
}

/// A parsed JSON object, read through `Reflect`.
pub(crate) struct JsObject(pub(crate) JsValue);

impl JsonFields for JsObject {
    fn string(&self, key: &str) -> Option<String> {
        self.field(key)?.as_string()
    }

    fn boolean(&self, key: &str) -> Option<bool> {
        self.field(key)?.as_bool()
    }

    fn number(&self, key: &str) -> Option<f64> {
        self.field(key)?.as_f64()
    }

    fn object(&self, key: &str) -> Option<Self> {
        let value = self.field(key)?;
        (value.is_object() && !js_sys::Array::is_array(&value)).then_some(JsObject(value))
    }
}

impl JsObject {
    fn field(&self, key: &str) -> Option<JsValue> {
        Reflect::get(&self.0, &JsValue::from_str(key)).ok()
    }
}

/// A server frame as io.js's `openSocket` sorted it (its `handler(kind, value, number)`): `kind`
/// 2 a [`FrameError`] numbered by `number` (binary, not JSON, not an object, no string `type`, a
/// client frame, a protocol frame too long to read), or
/// 3 + a [`FrameType`] index with the parsed object in `value` (for `msg`, its `data`, and its
/// `seq` in `number`). Nothing here panics, whatever the server sent.
pub(crate) fn inbound(kind: u32, value: JsValue, number: f64) -> Result<Inbound<JsObject>, FrameError> {
    let object = (!value.is_undefined()).then_some(JsObject(value));
    match kind.checked_sub(3).and_then(|t| FrameType::ALL.get(t as usize)) {
        Some(FrameType::Msg) => protocol::sequenced((!number.is_nan()).then_some(number), object),
        Some(&kind) => protocol::classify_as(kind, object.ok_or(FrameError::NotAnObject)?),
        None => Err(match number as u32 {
            0 => FrameError::Binary,
            1 => FrameError::NotJson,
            2 => FrameError::NotAnObject,
            3 => FrameError::MissingType,
            4 => FrameError::ClientFrame,
            _ => FrameError::TooLarge,
        }),
    }
}
