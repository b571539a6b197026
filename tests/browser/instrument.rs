//! The page-wide counters of live event listeners and pending timers (instrument.js), for the
//! tests that prove nothing leaks.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/tests/browser/page.js")]
extern "C" {
    #[wasm_bindgen(js_name = installCounters)]
    pub fn install_counters();
    #[wasm_bindgen(js_name = liveListeners)]
    pub fn live_listeners() -> u32;
    #[wasm_bindgen(js_name = liveTimers)]
    pub fn live_timers() -> u32;
}
