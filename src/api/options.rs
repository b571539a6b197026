//! The constructor's options: options.js checks their types and ranges and builds their compact
//! form; this fills the core's [`Config`] from it, whose `validate` checks how values relate.

use js_sys::Array;
use wasm_bindgen::prelude::*;

use crate::{
    browser::JsText,
    core::{error::text, Config, Handover, Heartbeat},
};

/// The core's configuration from options.js's `readOptions` answer; the error is the message of
/// the `invalid_options` error to throw.
pub(crate) fn config(parsed: &Array) -> Result<Config, JsValue> {
    let at = |i: u32| parsed.get(i);
    let mut config = Config::default();
    // Slots as options.js's NUMBERS lists them; `undefined` keeps the default.
    let set = |i: u32, target: &mut u64| {
        if let Some(value) = at(i).as_f64() {
            *target = value as u64;
        }
    };
    set(3, &mut config.auth_timeout_ms);
    set(4, &mut config.reauth_interval_ms);
    set(5, &mut config.reauth_timeout_ms);
    let policy = &mut config.reconnect;
    set(8, &mut policy.base_delay_ms);
    set(9, &mut policy.max_delay_ms);
    set(11, &mut policy.min_uptime_ms);
    // Counts are at most u32::MAX (options.js), so these casts keep every value.
    if let Some(value) = at(10).as_f64() {
        policy.max_attempts = value as u32;
    }
    if let Some(jitter) = at(12).as_bool() {
        policy.jitter = jitter;
    }
    if let Some(value) = at(6).as_f64() {
        config.max_queued_messages = value as usize;
    }
    if let Some(value) = at(7).as_f64() {
        config.max_message_bytes = value as usize;
    }
    if let (Some(interval), Some(timeout)) = (at(13).as_f64(), at(14).as_f64()) {
        config.heartbeat = Some(Heartbeat { interval_ms: interval as u64, timeout_ms: timeout as u64 });
    }
    config.subscriptions = at(2).is_function();
    config.validate().map_err(|error| JsValue::from_str(&text(&[error.option, ": ", &error.problem], &[])))
}

/// options.js's checked `[replicate, sessionId?, lastSeq, nextSeq, seqs, texts]`: the last
/// leader's state to resume, if it names a session.
pub(crate) fn handover(share: &Array) -> Option<Handover<JsText>> {
    let session_id = share.get(1).as_string()?;
    let number = |value: JsValue| value.as_f64().unwrap_or_default() as u64;
    let (seqs, texts) = (share.get(4).unchecked_into::<Array>(), share.get(5).unchecked_into::<Array>());
    let log = seqs
        .iter()
        .zip(texts.iter())
        .map(|(seq, text)| (number(seq), JsText::new(text.unchecked_into())))
        .collect();
    Some(Handover { session_id, last_in: number(share.get(2)), next_seq: number(share.get(3)), log })
}
