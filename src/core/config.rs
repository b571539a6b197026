//! Validated options: the Rust API's builder reads and checks them here, natively tested. The npm
//! class checks the same rules in src/api/options.js (issue 14: no option checking or its text in
//! the npm wasm), with the same words; tests/package/options.test.mjs holds `Config::validate`'s
//! relations and the defaults they read equal to it.

use alloc::{format, string::String};
use core::fmt;

use super::Millis;

/// Reconnect policy: exponential backoff with optional full jitter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReconnectPolicy {
    /// Delay before the first retry (`reconnect.baseDelayMs`, default 1000).
    pub base_delay_ms: Millis,
    /// Upper bound of any delay (`reconnect.maxDelayMs`, default 30000).
    pub max_delay_ms: Millis,
    /// Consecutive failed attempts before giving up (`reconnect.maxAttempts`, default 5).
    pub max_attempts: u32,
    /// Draw each delay uniformly from `[0, delay]` (`reconnect.jitter`, default true).
    pub jitter: bool,
    /// How long a connection must stay authenticated before the attempt count starts again
    /// (`reconnect.minUptimeMs`, default 5000). A server that accepts and then drops every
    /// connection at once is a failing server, not a healed one: its closes are failed attempts.
    pub min_uptime_ms: Millis,
}

impl Default for ReconnectPolicy {
    fn default() -> Self {
        Self { base_delay_ms: 1000, max_delay_ms: 30_000, max_attempts: 5, jitter: true, min_uptime_ms: 5000 }
    }
}

/// App-level liveness check (`heartbeat`), off by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Heartbeat {
    /// Time between a pong (or authentication) and the next ping.
    pub interval_ms: Millis,
    /// How long to wait for the pong before declaring the connection dead.
    pub timeout_ms: Millis,
}

/// Everything the core needs to know about the user's options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `authTimeoutMs`: also bounds each connect step (token fetch, socket open).
    pub auth_timeout_ms: Millis,
    /// `reauthIntervalMs`; 0 disables the periodic re-auth (expiry-driven re-auth stays on).
    pub reauth_interval_ms: Millis,
    /// `reauthTimeoutMs`.
    pub reauth_timeout_ms: Millis,
    /// `reconnect`.
    pub reconnect: ReconnectPolicy,
    /// `maxQueuedMessages`.
    pub max_queued_messages: usize,
    /// `maxMessageBytes`.
    pub max_message_bytes: usize,
    /// `heartbeat`.
    pub heartbeat: Option<Heartbeat>,
    /// Whether the app gave `subscriptions`: messages sent first on every new session, before
    /// anything queued (see [`crate::core::Action::CollectSubscriptions`]).
    pub subscriptions: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            auth_timeout_ms: 5000,
            reauth_interval_ms: 840_000,
            reauth_timeout_ms: 5000,
            reconnect: ReconnectPolicy::default(),
            max_queued_messages: 1000,
            max_message_bytes: 10_240,
            heartbeat: None,
            subscriptions: false,
        }
    }
}

/// The longest duration an option accepts: about 24.8 days, the most `setTimeout` can wait.
pub const MAX_DURATION_MS: Millis = i32::MAX as Millis;

impl Config {
    /// Checks how values relate to each other, after each was read with [`duration`] / [`count`].
    pub fn validate(self) -> Result<Self, ConfigError> {
        if self.auth_timeout_ms == 0 {
            return Err(ConfigError::new("authTimeoutMs", "must be greater than 0"));
        }
        if self.reauth_timeout_ms == 0 {
            return Err(ConfigError::new("reauthTimeoutMs", "must be greater than 0"));
        }
        if self.reconnect.base_delay_ms > self.reconnect.max_delay_ms {
            return Err(ConfigError::new(
                "reconnect.baseDelayMs",
                "must not be greater than reconnect.maxDelayMs",
            ));
        }
        if self.max_queued_messages == 0 {
            return Err(ConfigError::new("maxQueuedMessages", "must be at least 1"));
        }
        if self.max_message_bytes == 0 {
            return Err(ConfigError::new("maxMessageBytes", "must be at least 1"));
        }
        if let Some(heartbeat) = self.heartbeat {
            if heartbeat.interval_ms == 0 || heartbeat.timeout_ms == 0 {
                return Err(ConfigError::new("heartbeat", "intervalMs and timeoutMs must be > 0"));
            }
        }
        Ok(self)
    }
}

/// Reads a duration option: a whole number of milliseconds in `0..=MAX_DURATION_MS`.
pub fn duration(option: &'static str, value: f64) -> Result<Millis, ConfigError> {
    whole_number(option, value, MAX_DURATION_MS)
}

/// Reads a count option: a whole number in `0..=u32::MAX`.
pub fn count(option: &'static str, value: f64) -> Result<u32, ConfigError> {
    whole_number(option, value, u64::from(u32::MAX)).map(|v| v as u32)
}

/// `max` is an integer, and the message formats it as one: formatting an `f64` would link the
/// float printer, 17 KB of the wasm binary for one error message (measured with twiggy).
fn whole_number(option: &'static str, value: f64, max: u64) -> Result<u64, ConfigError> {
    // Neither NaN nor an infinity is in the range.
    if !((0.0..=max as f64).contains(&value) && super::protocol::is_whole(value)) {
        return Err(ConfigError::new(option, format!("must be a whole number from 0 to {max}")));
    }
    Ok(value as u64)
}

/// Query parameters that would put a credential in the URL; the SDK refuses to open such URLs.
pub(crate) const CREDENTIAL_PARAMS: &[&str] = &[
    "token",
    "access_token",
    "access-token",
    "auth_token",
    "id_token",
    "refresh_token",
    "session_token",
    "jwt",
    "authorization",
    "auth",
    "bearer",
    "api_key",
    "apikey",
    "password",
    "passwd",
    "secret",
    "client_secret",
    // Presigned and shared-access URLs (AWS, Azure): a signature is a credential.
    "signature",
    "sig",
    "x-amz-security-token",
    "x-amz-signature",
    "x-amz-credential",
];

/// The hosts plain `ws://` may go to without `allow_insecure`, as `URL.hostname` writes them.
pub(crate) const LOOPBACK_HOSTS: &[&str] = &["127.0.0.1", "[::1]", "localhost"];

/// The parts of the WebSocket URL the SDK checks, as the browser's `URL` parser split them.
#[derive(Debug, Clone, Copy)]
pub struct UrlParts<'a> {
    /// `ws:` or `wss:` (with the colon, as `URL.protocol` gives it).
    pub scheme: &'a str,
    /// `URL.hostname`: `127.0.0.1`, `[::1]`, `example.com`.
    pub hostname: &'a str,
    /// Whether `URL.username` or `URL.password` is set.
    pub has_userinfo: bool,
    /// The query's parameter names, as `URL.searchParams` decodes them (as a server reads them:
    /// `?%74oken=` is `token`).
    pub query_names: &'a [String],
    /// Whether the URL has a fragment (`#` in `URL.href`, even with nothing after it).
    pub has_fragment: bool,
}

/// Refuses URLs that would leak or expose a credential: anything but `ws:`/`wss:`, user-info,
/// a credential-like query parameter, or plain `ws:` to a host other than loopback; and a URL
/// with a fragment, which a WebSocket URL cannot have (browsers refuse or drop it).
pub fn check_url(url: UrlParts<'_>, allow_insecure: bool) -> Result<(), ConfigError> {
    if url.scheme != "ws:" && url.scheme != "wss:" {
        return Err(ConfigError::insecure("the URL must start with ws:// or wss://"));
    }
    if url.has_userinfo {
        return Err(ConfigError::insecure("the URL must not contain a user name or password"));
    }
    if url.has_fragment {
        return Err(ConfigError::new("url", "must not have a fragment (#…): a WebSocket URL has none"));
    }
    for name in url.query_names {
        // Lowercased as JS's toLowerCase does (options.js): both faces refuse the same names.
        if CREDENTIAL_PARAMS.contains(&name.to_lowercase().as_str()) {
            return Err(ConfigError::insecure(
                "the URL must not carry a credential; the SDK sends the token in the first message",
            ));
        }
    }
    let loopback = LOOPBACK_HOSTS.contains(&url.hostname);
    if url.scheme == "ws:" && !loopback && !allow_insecure {
        return Err(ConfigError::insecure(
            "ws:// is only allowed to 127.0.0.1, [::1] or localhost; use wss:// or set allowInsecure",
        ));
    }
    Ok(())
}

/// An option the constructor refuses, with which one and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The option's name as users write it (`reconnect.maxDelayMs`), or `url`.
    pub option: &'static str,
    /// What is wrong with it.
    pub problem: String,
    /// True when the URL was refused for security reasons (`insecure_url`).
    pub insecure: bool,
}

impl ConfigError {
    /// An option that is missing, unknown, or of the wrong type or range.
    pub fn new(option: &'static str, problem: impl Into<String>) -> Self {
        Self { option, problem: problem.into(), insecure: false }
    }

    fn insecure(problem: &str) -> Self {
        Self { option: "url", problem: problem.into(), insecure: true }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.option, self.problem)
    }
}

impl core::error::Error for ConfigError {}
