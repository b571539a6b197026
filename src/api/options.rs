//! The constructor's options: options.js checks their types, ranges and how they relate (as
//! [`Config::validate`] does for the Rust API's builder), and the driver hands their numbers over
//! as one JS array of numbers, read here in place; this fills the core's [`Config`] from it.

use wasm_bindgen::prelude::*;

use crate::core::{Config, Heartbeat};

/// The core's configuration from `numbers`, in the order of options.js's `NUMBERS` (NaN: the
/// default; `jitter` as 0 or 1), then 1 when the app gave `subscriptions`. Unchecked here: options.js
/// refused what `Config::validate` would (issue 14: its checks and words were ~0.3 KB of gzip in
/// the wasm, where the JS already had the options' names).
pub(crate) fn config(numbers: &JsValue) -> Config {
    // Read in place through `Reflect.get`, which the frames' fields use too: copying the array
    // into wasm memory took glue of its own.
    const SLOTS: [&str; 13] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"];
    let at = |i: usize| {
        let slot = JsValue::from_str(SLOTS.get(i)?);
        js_sys::Reflect::get(numbers, &slot).ok()?.as_f64().filter(|n| !n.is_nan())
    };
    let mut config = Config::default();
    let set = |i: usize, target: &mut u64| {
        if let Some(value) = at(i) {
            *target = value as u64;
        }
    };
    set(0, &mut config.auth_timeout_ms);
    set(1, &mut config.reauth_interval_ms);
    set(2, &mut config.reauth_timeout_ms);
    let policy = &mut config.reconnect;
    set(5, &mut policy.base_delay_ms);
    set(6, &mut policy.max_delay_ms);
    set(8, &mut policy.min_uptime_ms);
    // Counts are at most u32::MAX (options.js), so these casts keep every value.
    if let Some(value) = at(7) {
        policy.max_attempts = value as u32;
    }
    if let Some(jitter) = at(9) {
        policy.jitter = jitter != 0.0;
    }
    if let Some(value) = at(3) {
        config.max_queued_messages = value as usize;
    }
    if let Some(value) = at(4) {
        config.max_message_bytes = value as usize;
    }
    if let (Some(interval), Some(timeout)) = (at(10), at(11)) {
        config.heartbeat = Some(Heartbeat { interval_ms: interval as u64, timeout_ms: timeout as u64 });
    }
    config.subscriptions = at(12).is_some_and(|n| n != 0.0);
    config
}
