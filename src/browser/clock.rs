//! The monotonic clock handed to the core.

use wasm_bindgen::prelude::*;

use crate::core::Millis;

#[wasm_bindgen]
extern "C" {
    // `performance` exists in windows and workers alike, unlike `window.performance`.
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
}

/// Milliseconds since the page started, never going backwards.
pub(crate) fn now() -> Millis {
    performance_now() as Millis
}
