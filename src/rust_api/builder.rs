//! The options of the JavaScript class as a Rust builder, validated into the same
//! [`core::Config`](crate::core::Config) by the same checks, then handed to the class as the
//! options object a JavaScript app would write.

use std::{
    fmt,
    future::{self, Future},
    pin::Pin,
    rc::Rc,
    task::Poll,
    time::Duration,
};

use js_sys::{Array, Object, Promise, Reflect};
use serde::{de::DeserializeOwned, Serialize};
use wasm_bindgen::{closure::Closure, JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, AddEventListenerOptions};

use super::{json_value, url::check_url, Error, Events, SecureWebSocket};
use crate::core::{
    config::{self, Config, ConfigError, Heartbeat},
    Millis, TokenError,
};

/// The app's token function, boxed.
type GetToken = Rc<dyn Fn() -> Pin<Box<dyn Future<Output = Result<String, TokenError>>>>>;

/// Where the session gets its tokens.
#[derive(Clone)]
enum Tokens {
    Url(String),
    Function(GetToken),
}

/// The app's `subscriptions`, already turning its messages into the values the class sends.
type CollectSubscriptions = Rc<dyn Fn() -> Result<Array, Error>>;

/// The JS functions the class calls for the app's `get_token` and `subscriptions`: owned by the
/// session, and dropped with it (see its `Drop`).
#[derive(Default)]
pub(super) struct Callbacks {
    get_token: Option<Closure<dyn FnMut(JsValue) -> Promise>>,
    subscriptions: Option<Closure<dyn Fn() -> Result<Array, JsValue>>>,
}

/// Options for a [`SecureWebSocket`], from [`SecureWebSocket::builder`].
///
/// Every option of the JavaScript class but `shareAcrossTabs` (the Rust API shares no socket
/// across tabs), with the same defaults, checked by [`connect`](Self::connect) with the same rules
/// and error codes. A setter given a bad value makes `connect` fail, even if a later call of the
/// same setter gives a good one. Durations are
/// [`Duration`]s and are counted in whole milliseconds.
#[derive(Clone)]
#[must_use = "a builder does nothing until `connect` is called"]
pub struct Builder {
    url: String,
    tokens: Option<Tokens>,
    config: Config,
    allow_insecure: bool,
    subscriptions: Option<CollectSubscriptions>,
    /// The first bad value a setter saw, reported by `connect` (setters return `Self` to chain).
    error: Option<ConfigError>,
}

impl Builder {
    pub(super) fn new(url: &str) -> Self {
        Self {
            url: url.to_owned(),
            tokens: None,
            config: Config::default(),
            allow_insecure: false,
            subscriptions: None,
            error: None,
        }
    }

    /// `tokenUrl`: tokens come from a credentialed `POST` to this URL (relative to the page, or
    /// absolute), answering `{"wsToken": T, "expiresIn": SECONDS}`; 401/403 ends the session with
    /// [`Error::Unauthorized`]. Give this or [`get_token`](Self::get_token), not both. `connect`
    /// refuses one that is empty or not `http(s):` ([`Error::InvalidOptions`]), and one with a user
    /// name or password, or plain `http:` to a host other than loopback without
    /// [`allow_insecure`](Self::allow_insecure) ([`Error::InsecureUrl`]): its answer carries the token.
    pub fn token_url(self, url: impl Into<String>) -> Self {
        self.tokens(Tokens::Url(url.into()))
    }

    /// `getToken`: tokens come from this async function, called for every connection and
    /// re-authentication. Return [`TokenError::Unauthorized`] to end the session (like a 401);
    /// any other error is retried with backoff ([`TokenError::unavailable`] turns any error into
    /// one: `call().await.map_err(TokenError::unavailable)?`). Give this or
    /// [`token_url`](Self::token_url).
    ///
    /// The function is dropped with the session. Return an error rather than panic: on wasm a
    /// panic is a trap, which the session can only take for a request that never answers (it
    /// gives up after `auth_timeout` and asks again), and whatever the panicked future held is
    /// never dropped.
    pub fn get_token<F, Fut>(self, get_token: F) -> Self
    where
        F: Fn() -> Fut + 'static,
        Fut: Future<Output = Result<String, TokenError>> + 'static,
    {
        self.tokens(Tokens::Function(Rc::new(move || Box::pin(get_token()))))
    }

    fn tokens(mut self, tokens: Tokens) -> Self {
        if self.tokens.replace(tokens).is_some() {
            self.error.get_or_insert(ConfigError::new("tokenUrl", EXACTLY_ONE_SOURCE));
        }
        self
    }

    /// `authTimeoutMs` (default 5 s): no `auth_response` this long after `auth` closes with 4001
    /// and reconnects. Also bounds the token fetch and the socket open.
    pub fn auth_timeout(self, timeout: Duration) -> Self {
        self.duration("authTimeoutMs", timeout, |c| &mut c.auth_timeout_ms)
    }

    /// `reauthIntervalMs` (default 14 min): periodic re-authentication on the live connection;
    /// [`Duration::ZERO`] disables it (re-auth before the token's `expiresIn` stays on).
    pub fn reauth_interval(self, interval: Duration) -> Self {
        self.duration("reauthIntervalMs", interval, |c| &mut c.reauth_interval_ms)
    }

    /// `reauthTimeoutMs` (default 5 s): a re-authentication must finish within this, else the
    /// connection is replaced.
    pub fn reauth_timeout(self, timeout: Duration) -> Self {
        self.duration("reauthTimeoutMs", timeout, |c| &mut c.reauth_timeout_ms)
    }

    /// `reconnect.baseDelayMs` (default 1 s): the delay for attempt n is `min(base·2ⁿ, max)`.
    pub fn reconnect_base_delay(self, delay: Duration) -> Self {
        self.duration("reconnect.baseDelayMs", delay, |c| &mut c.reconnect.base_delay_ms)
    }

    /// `reconnect.maxDelayMs` (default 30 s): the upper bound of any reconnect delay.
    pub fn reconnect_max_delay(self, delay: Duration) -> Self {
        self.duration("reconnect.maxDelayMs", delay, |c| &mut c.reconnect.max_delay_ms)
    }

    /// `reconnect.minUptimeMs` (default 5 s): how long a connection must stay authenticated before
    /// the attempt count starts again. A server that accepts and then drops every connection at
    /// once gets a growing backoff and, after `max_reconnect_attempts`, the end of the session.
    pub fn reconnect_min_uptime(self, uptime: Duration) -> Self {
        self.duration("reconnect.minUptimeMs", uptime, |c| &mut c.reconnect.min_uptime_ms)
    }

    /// `subscriptions`: the messages that set up a new session (join rooms, re-subscribe),
    /// asked for on every authentication that starts one and sent before anything queued. A
    /// message that does not serialize is reported as an [`Error::InvalidMessage`] event.
    pub fn subscriptions<M, F>(mut self, subscriptions: F) -> Self
    where
        M: Serialize,
        F: Fn() -> Vec<M> + 'static,
    {
        self.config.subscriptions = true;
        self.subscriptions = Some(Rc::new(move || subscriptions().iter().map(json_value).collect()));
        self
    }

    /// `reconnect.maxAttempts` (default 5): consecutive failed attempts before the session ends
    /// with [`Error::ReconnectFailed`].
    pub fn max_reconnect_attempts(mut self, attempts: u32) -> Self {
        self.config.reconnect.max_attempts = attempts;
        self
    }

    /// `reconnect.jitter` (default true): draw each delay uniformly from `[0, delay]`.
    pub fn reconnect_jitter(mut self, jitter: bool) -> Self {
        self.config.reconnect.jitter = jitter;
        self
    }

    /// `maxQueuedMessages` (default 1000): beyond it `send` returns [`Error::QueueFull`].
    pub fn max_queued_messages(mut self, count: usize) -> Self {
        self.config.max_queued_messages = count;
        self
    }

    /// `maxMessageBytes` (default 10240): UTF-8 bytes of the JSON text; a larger `send` returns
    /// [`Error::MessageTooLarge`].
    pub fn max_message_bytes(mut self, bytes: usize) -> Self {
        self.config.max_message_bytes = bytes;
        self
    }

    /// `allowInsecure` (default false): allow plain `ws://` to hosts other than loopback.
    pub fn allow_insecure(mut self, allow: bool) -> Self {
        self.allow_insecure = allow;
        self
    }

    /// `heartbeat` (default off): `{"type":"ping"}` every `interval`; no `pong` within `timeout`
    /// closes with 4010 and reconnects (a half-open connection).
    pub fn heartbeat(mut self, interval: Duration, timeout: Duration) -> Self {
        let heartbeat = millis("heartbeat.intervalMs", interval).and_then(|interval_ms| {
            Ok(Heartbeat { interval_ms, timeout_ms: millis("heartbeat.timeoutMs", timeout)? })
        });
        match heartbeat {
            Ok(heartbeat) => self.config.heartbeat = Some(heartbeat),
            Err(error) => self.fail(error),
        }
        self
    }

    /// Sets a duration option, or records why it cannot be one.
    fn duration(
        mut self,
        option: &'static str,
        value: Duration,
        field: fn(&mut Config) -> &mut Millis,
    ) -> Self {
        match millis(option, value) {
            Ok(ms) => *field(&mut self.config) = ms,
            Err(error) => self.fail(error),
        }
        self
    }

    fn fail(&mut self, error: ConfigError) {
        self.error.get_or_insert(error);
    }

    /// Checks the options and starts connecting at once; returns the session and a stream of its
    /// events from the very first one, with messages deserialized into `T`.
    ///
    /// # Errors
    /// [`Error::InvalidOptions`] or [`Error::InsecureUrl`], as the JavaScript constructor throws.
    pub fn connect<T: DeserializeOwned + 'static>(self) -> Result<(SecureWebSocket, Events<T>), Error> {
        if let Some(error) = self.error {
            return Err(error.into());
        }
        let tokens = self.tokens.ok_or_else(|| ConfigError::new("tokenUrl", EXACTLY_ONE_SOURCE))?;
        let url = check_url(&self.url, self.allow_insecure)?;
        let config = self.config.validate()?;
        let options = Object::new();
        let mut callbacks = Callbacks::default();
        match tokens {
            Tokens::Url(token_url) => set(&options, "tokenUrl", token_url),
            Tokens::Function(get_token) => {
                let callback = callbacks.get_token.insert(token_callback(get_token));
                set(&options, "getToken", callback.as_ref().clone());
            }
        }
        if let Some(collect) = self.subscriptions {
            // What it throws, the class reports as an `invalid_message` error event.
            let callback = Closure::new(move || collect().map_err(|error| JsValue::from(error.to_string())));
            set(&options, "subscriptions", callbacks.subscriptions.insert(callback).as_ref().clone());
        }
        set_numbers(&options, &config, self.allow_insecure);
        SecureWebSocket::start(&url, &options, callbacks)
    }
}

const EXACTLY_ONE_SOURCE: &str = "give exactly one of token_url or get_token";

/// A duration in whole milliseconds, within the range the JS class accepts.
fn millis(option: &'static str, value: Duration) -> Result<Millis, ConfigError> {
    // Through the core's own check, so both faces refuse the same values with the same message.
    config::duration(option, value.as_millis() as f64)
}

/// The validated `config` as the JS class's options (every one given, so the class's defaults,
/// which are the same, never stand in for the builder's).
fn set_numbers(options: &Object, config: &Config, allow_insecure: bool) {
    // Every value was checked in range for the class: the casts keep them.
    set(options, "authTimeoutMs", config.auth_timeout_ms as f64);
    set(options, "reauthIntervalMs", config.reauth_interval_ms as f64);
    set(options, "reauthTimeoutMs", config.reauth_timeout_ms as f64);
    set(options, "maxQueuedMessages", config.max_queued_messages as f64);
    set(options, "maxMessageBytes", config.max_message_bytes as f64);
    set(options, "allowInsecure", allow_insecure);
    let policy = &config.reconnect;
    let reconnect = Object::new();
    set(&reconnect, "baseDelayMs", policy.base_delay_ms as f64);
    set(&reconnect, "maxDelayMs", policy.max_delay_ms as f64);
    set(&reconnect, "maxAttempts", policy.max_attempts);
    set(&reconnect, "jitter", policy.jitter);
    set(&reconnect, "minUptimeMs", policy.min_uptime_ms as f64);
    set(options, "reconnect", reconnect);
    if let Some(heartbeat) = config.heartbeat {
        let object = Object::new();
        set(&object, "intervalMs", heartbeat.interval_ms as f64);
        set(&object, "timeoutMs", heartbeat.timeout_ms as f64);
        set(options, "heartbeat", object);
    }
}

/// Sets a data property on a fresh plain object: cannot fail.
fn set(target: &Object, key: &str, value: impl Into<JsValue>) {
    let _ = Reflect::set(target, &JsValue::from_str(key), &value.into());
}

/// Wraps the app's token function in the shape of the class's `getToken`: one implementation of
/// token handling (requests, aborts, timeouts) for both faces. When the class gives a request up
/// (`close()`, its token timeout), it aborts the `signal` it passed: the app's future is dropped
/// then, and with it whatever it holds (a request in flight, say), rather than kept until it ends
/// on its own, which it may never do.
fn token_callback(get_token: GetToken) -> Closure<dyn FnMut(JsValue) -> Promise> {
    Closure::new(move |context: JsValue| {
        let token = get_token();
        let signal =
            Reflect::get(&context, &JsValue::from_str("signal")).ok().and_then(|s| s.dyn_into().ok());
        wasm_bindgen_futures::future_to_promise(async move {
            let answer = match signal {
                Some(signal) => unless_aborted(token, &signal).await,
                None => Some(token.await),
            };
            match answer {
                Some(Ok(token)) => Ok(JsValue::from(token)),
                // The class reads `{ code: 'unauthorized' }` as the end of the session.
                Some(Err(TokenError::Unauthorized)) => Err(unauthorized()),
                // The class reports any other failure as `token_unavailable`, without echoing it;
                // after an abort it reads no answer at all.
                Some(Err(_)) | None => Err(JsValue::UNDEFINED),
            }
        })
    })
}

/// `token`'s output, or `None` (and `token` dropped) as soon as `signal` aborts.
async fn unless_aborted<T>(mut token: Pin<Box<dyn Future<Output = T>>>, signal: &AbortSignal) -> Option<T> {
    // A promise resolved by the abort, or by us once the token came: it always settles, so the
    // `JsFuture` on it never leaves its callbacks behind in the wasm's memory.
    let mut settle = None;
    let aborted = Promise::new(&mut |resolve, _reject| {
        if signal.aborted() {
            let _ = resolve.call0(&JsValue::UNDEFINED);
        } else {
            let once = AddEventListenerOptions::new();
            once.set_once(true);
            let _ = signal
                .add_event_listener_with_callback_and_add_event_listener_options("abort", &resolve, &once);
        }
        settle = Some(resolve);
    });
    let mut aborted = JsFuture::from(aborted);
    // The signal itself first: the promise tells only a microtask after the abort.
    let answer = future::poll_fn(|cx| match Pin::new(&mut aborted).poll(cx) {
        Poll::Ready(_) => Poll::Ready(None),
        Poll::Pending if signal.aborted() => Poll::Ready(None),
        Poll::Pending => token.as_mut().poll(cx).map(Some),
    })
    .await;
    if let Some(settle) = settle {
        let _ = signal.remove_event_listener_with_callback("abort", &settle);
        let _ = settle.call0(&JsValue::UNDEFINED);
    }
    answer
}

fn unauthorized() -> JsValue {
    let error = Object::new();
    set(&error, "code", "unauthorized");
    error.into()
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tokens = match &self.tokens {
            Some(Tokens::Url(url)) => format!("token_url({url:?})"),
            Some(Tokens::Function(_)) => "get_token(<function>)".to_owned(),
            None => "none".to_owned(),
        };
        f.debug_struct("Builder")
            .field("url", &self.url)
            .field("tokens", &tokens)
            .field("config", &self.config)
            .field("allow_insecure", &self.allow_insecure)
            .finish_non_exhaustive()
    }
}
