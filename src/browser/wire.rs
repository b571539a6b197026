//! Writing to an open `WebSocket` (io.js does the DOM work): what `Session` does with the core's
//! `Send`, `SendApp` and `MeasureBuffered` actions itself, so that no frame (the token's above all)
//! becomes a value the JavaScript driver holds.

use js_sys::JsString;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/browser/io.js")]
extern "C" {
    /// A protocol frame, copied out of wasm memory only as the argument `WebSocket.send` needs.
    #[wasm_bindgen(js_name = sendText)]
    pub(crate) fn send_protocol(ws: &JsValue, text: &str);
    #[wasm_bindgen(js_name = sendApp)]
    fn send_app_text(ws: &JsValue, seq: f64, text: &JsString);
    /// `WebSocket.bufferedAmount`.
    #[wasm_bindgen(js_name = buffered)]
    pub(crate) fn buffered_amount(ws: &JsValue) -> u32;
}

/// Sends an application message, which stays a JS string all the way: wrapped in `msg` with its
/// number on a resumable session (`seq`), as it is otherwise; one call out per message. A socket
/// that is no longer open reports its close separately.
pub(crate) fn send_app(ws: &JsValue, seq: Option<u64>, text: &JsString) {
    send_app_text(ws, seq.map_or(-1.0, |seq| seq as f64), text);
}
