//! The constructor's options: options.js checks their types and ranges and builds their compact
//! form; this fills the core's [`Config`] from it, whose `validate` checks how values relate.

use alloc::string::String;

use js_sys::{Array, Function};
use wasm_bindgen::prelude::*;

use super::events::sdk_error;
use crate::{
    browser::{JsText, TokenSource},
    core::{error::text, Config, Handover, Heartbeat},
};

#[wasm_bindgen(module = "/src/api/options.js")]
extern "C" {
    /// Throws the constructor's `invalid_options` / `insecure_url` errors itself.
    #[wasm_bindgen(js_name = readOptions, catch)]
    fn read_options(url: &str, options: &JsValue) -> Result<Array, JsValue>;
}

/// The constructor's arguments, checked.
pub(crate) struct Options {
    pub url: String,
    pub token_source: TokenSource,
    pub config: Config,
    /// The app's `subscriptions()`, called on each new session.
    pub subscriptions: Option<Function>,
    /// A tab leading a shared connection: its announcement hook and the last leader's state.
    pub share: Option<(Function, Option<Handover<JsText>>)>,
}

/// Reads and checks `new SecureWebSocket(url, options)`; the error is the one to throw.
pub(crate) fn read(url: &str, options: &JsValue) -> Result<Options, JsValue> {
    let parsed = read_options(url, options)?;
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
    let subscriptions = at(2).dyn_into::<Function>().ok();
    config.subscriptions = subscriptions.is_some();
    let config = config.validate().map_err(|error| {
        let message = text(&[error.option, ": ", &error.problem], &[]);
        sdk_error("invalid_options", &message, None)
    })?;
    let source = at(1);
    let token_source = match source.as_string() {
        Some(url) => TokenSource::Url(url),
        None => TokenSource::Callback(source.unchecked_into()),
    };
    let share = at(15).dyn_into::<Array>().ok().map(read_share);
    Ok(Options { url: at(0).as_string().unwrap_or_default(), token_source, config, subscriptions, share })
}

/// options.js's checked `[replicate, sessionId?, lastSeq, nextSeq, seqs, texts]`.
fn read_share(share: Array) -> (Function, Option<Handover<JsText>>) {
    let hook = share.get(0).unchecked_into::<Function>();
    let handover = share.get(1).as_string().map(|session_id| {
        let number = |value: JsValue| value.as_f64().unwrap_or_default() as u64;
        let (seqs, texts) = (share.get(4).unchecked_into::<Array>(), share.get(5).unchecked_into::<Array>());
        let log = seqs
            .iter()
            .zip(texts.iter())
            .map(|(seq, text)| (number(seq), JsText::new(text.unchecked_into())))
            .collect();
        Handover { session_id, last_in: number(share.get(2)), next_seq: number(share.get(3)), log }
    });
    (hook, handover)
}
