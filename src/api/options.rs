//! Reading `SecureWebSocketOptions` from a JavaScript object. Types are checked here; ranges and
//! relations in [`crate::core::config`], where they are tested natively.

use js_sys::{Function, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

use crate::{
    browser::{check_url, TokenSource},
    core::{
        config::{self, Config, ConfigError, Heartbeat},
        Millis,
    },
};

const OPTIONS: &[&str] = &[
    "tokenUrl",
    "getToken",
    "authTimeoutMs",
    "reauthIntervalMs",
    "reauthTimeoutMs",
    "reconnect",
    "maxQueuedMessages",
    "maxMessageBytes",
    "allowInsecure",
    "heartbeat",
    "subscriptions",
];
const RECONNECT: &[&str] = &["baseDelayMs", "maxDelayMs", "maxAttempts", "jitter", "minUptimeMs"];
const HEARTBEAT: &[&str] = &["intervalMs", "timeoutMs"];

/// The constructor's arguments, checked.
pub(crate) struct Options {
    pub url: String,
    pub token_source: TokenSource,
    pub config: Config,
    /// The app's `subscriptions()`, called on each new session.
    pub subscriptions: Option<Function>,
}

/// Reads and checks `new SecureWebSocket(url, options)`.
pub(crate) fn read(url: &str, options: &JsValue) -> Result<Options, ConfigError> {
    let options = plain_object(options, "options", OPTIONS)?;
    let token_source = match (string(&options, "tokenUrl")?, function(&options, "getToken")?) {
        (Some(url), None) => TokenSource::Url(url),
        (None, Some(get_token)) => TokenSource::Callback(get_token),
        _ => return Err(ConfigError::new("tokenUrl", "give exactly one of tokenUrl or getToken")),
    };
    let allow_insecure = boolean(&options, "allowInsecure")?.unwrap_or(false);
    let url = check_url(url, allow_insecure)?;

    let mut config = Config::default();
    set_duration(&options, "authTimeoutMs", "authTimeoutMs", &mut config.auth_timeout_ms)?;
    set_duration(&options, "reauthIntervalMs", "reauthIntervalMs", &mut config.reauth_interval_ms)?;
    set_duration(&options, "reauthTimeoutMs", "reauthTimeoutMs", &mut config.reauth_timeout_ms)?;
    set_count(&options, "maxQueuedMessages", "maxQueuedMessages", &mut config.max_queued_messages)?;
    set_count(&options, "maxMessageBytes", "maxMessageBytes", &mut config.max_message_bytes)?;
    if let Some(reconnect) = nested(&options, "reconnect", RECONNECT)? {
        let policy = &mut config.reconnect;
        set_duration(&reconnect, "baseDelayMs", "reconnect.baseDelayMs", &mut policy.base_delay_ms)?;
        set_duration(&reconnect, "maxDelayMs", "reconnect.maxDelayMs", &mut policy.max_delay_ms)?;
        set_count(&reconnect, "maxAttempts", "reconnect.maxAttempts", &mut policy.max_attempts)?;
        set_duration(&reconnect, "minUptimeMs", "reconnect.minUptimeMs", &mut policy.min_uptime_ms)?;
        if let Some(jitter) = boolean(&reconnect, "jitter")? {
            policy.jitter = jitter;
        }
    }
    if let Some(heartbeat) = nested(&options, "heartbeat", HEARTBEAT)? {
        let required = |key: &'static str, option: &'static str| {
            number(&heartbeat, key)?
                .ok_or_else(|| ConfigError::new(option, "is required"))
                .and_then(|v| config::duration(option, v))
        };
        config.heartbeat = Some(Heartbeat {
            interval_ms: required("intervalMs", "heartbeat.intervalMs")?,
            timeout_ms: required("timeoutMs", "heartbeat.timeoutMs")?,
        });
    }
    let subscriptions = function(&options, "subscriptions")?;
    config.subscriptions = subscriptions.is_some();
    Ok(Options { url, token_source, config: config.validate()?, subscriptions })
}

/// The object itself, refusing keys it does not know (a typo should not silently do nothing).
fn plain_object(value: &JsValue, option: &'static str, known: &[&str]) -> Result<Object, ConfigError> {
    if !value.is_object() || js_sys::Array::is_array(value) || value.is_function() {
        return Err(ConfigError::new(option, "must be an object"));
    }
    let object: Object = value.clone().unchecked_into();
    for key in Object::keys(&object).iter() {
        let key = key.as_string().unwrap_or_default();
        if !known.contains(&key.as_str()) {
            return Err(ConfigError::new(option, format!("unknown option '{key}'")));
        }
    }
    Ok(object)
}

fn nested(object: &Object, key: &'static str, known: &[&str]) -> Result<Option<Object>, ConfigError> {
    let value = get(object, key);
    if value.is_undefined() {
        return Ok(None);
    }
    plain_object(&value, key, known).map(Some)
}

fn get(object: &Object, key: &str) -> JsValue {
    Reflect::get(object, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn typed<T>(
    object: &Object,
    key: &str,
    option: &'static str,
    kind: &str,
    cast: impl Fn(&JsValue) -> Option<T>,
) -> Result<Option<T>, ConfigError> {
    let value = get(object, key);
    if value.is_undefined() {
        return Ok(None);
    }
    cast(&value).map(Some).ok_or_else(|| ConfigError::new(option, format!("must be {kind}")))
}

/// Overwrites `target` with the duration the user gave at `key`, if any. `option` is the name
/// errors use (`reconnect.baseDelayMs`).
fn set_duration(
    object: &Object,
    key: &str,
    option: &'static str,
    target: &mut Millis,
) -> Result<(), ConfigError> {
    if let Some(value) = typed(object, key, option, "a number", JsValue::as_f64)? {
        *target = config::duration(option, value)?;
    }
    Ok(())
}

/// Overwrites `target` with the count the user gave at `key`, if any.
fn set_count<T: TryFrom<u32>>(
    object: &Object,
    key: &str,
    option: &'static str,
    target: &mut T,
) -> Result<(), ConfigError> {
    if let Some(value) = typed(object, key, option, "a number", JsValue::as_f64)? {
        let count = config::count(option, value)?;
        *target = T::try_from(count).map_err(|_| ConfigError::new(option, "is too large"))?;
    }
    Ok(())
}

fn number(object: &Object, key: &'static str) -> Result<Option<f64>, ConfigError> {
    typed(object, key, key, "a number", JsValue::as_f64)
}

fn boolean(object: &Object, key: &'static str) -> Result<Option<bool>, ConfigError> {
    typed(object, key, key, "a boolean", JsValue::as_bool)
}

fn string(object: &Object, key: &'static str) -> Result<Option<String>, ConfigError> {
    typed(object, key, key, "a string", JsValue::as_string)
}

fn function(object: &Object, key: &'static str) -> Result<Option<Function>, ConfigError> {
    typed(object, key, key, "a function", |v| v.dyn_ref::<Function>().cloned())
}
