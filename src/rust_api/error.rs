//! The Rust face's error: one variant per code, with the same code strings the JavaScript class
//! puts in `Error.code`, so a Rust app and a JS app branch on the same names.

use std::fmt;

use js_sys::Reflect;
use wasm_bindgen::JsValue;

use crate::core::{ConfigError, ErrorCode};

/// What went wrong, from [`Builder::connect`](super::Builder::connect), [`send`](super::SecureWebSocket::send),
/// [`ready`](super::SecureWebSocket::ready), or in an [`Event::Error`](super::Event::Error).
///
/// [`code`](Self::code) is the stable string the JavaScript API uses; `Display` gives a message
/// for people followed by that code. No variant ever holds a token.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// `invalid_options`: an option is missing, or out of range, or two conflict. From `connect`.
    InvalidOptions(ConfigError),
    /// `insecure_url`: not `ws://`/`wss://`, a user name or credential in the URL, or `ws://` to a
    /// host other than loopback without `allow_insecure`. From `connect`.
    InsecureUrl(ConfigError),
    /// `unauthorized`: the token endpoint answered 401/403, or `get_token` returned
    /// [`TokenError::Unauthorized`](crate::core::TokenError::Unauthorized). Terminal: the session
    /// ends `Closed` without retrying.
    Unauthorized(String),
    /// `token_unavailable`: no token could be had (network, 5xx, `get_token` failed). Retried.
    TokenUnavailable(String),
    /// `auth_failed`: the server rejected the token (close 4003). Retried with a new token.
    AuthFailed(String),
    /// `reauth_failed`: the server rejected a re-authentication. The connection is replaced.
    ReauthFailed(String),
    /// `reconnect_failed`: `max_reconnect_attempts` consecutive failures. Terminal.
    ReconnectFailed(String),
    /// `invalid_frame`: a server frame was not JSON, not an object, or had no string `type`.
    /// Dropped; the connection stays up.
    InvalidFrame(String),
    /// `invalid_frame` too: an application message that did not deserialize into the app's
    /// message type, with serde's explanation (messages are read from the JS values the browser's
    /// `JSON.parse` made: an integer above 2⁵³ is a float there, and a map's keys are strings, so a
    /// `u64` past 2⁵³ or a map with integer keys does not deserialize). Dropped; the connection stays up. The message's
    /// own strings of 16 characters or more are elided from it (`…`): a server that echoes a
    /// token in a message cannot put it in an error text an app logs.
    Deserialize(String),
    /// `queue_full`: `send` while `max_queued_messages` are already waiting.
    QueueFull {
        /// The configured bound.
        limit: usize,
    },
    /// `message_too_large`: the serialised message is over `max_message_bytes` (UTF-8 bytes).
    MessageTooLarge {
        /// The message's size.
        bytes: usize,
        /// The configured bound.
        limit: usize,
    },
    /// `invalid_message`: `send` of a value that does not serialise to JSON, with serde's reason.
    InvalidMessage(String),
    /// `invalid_argument`: a method was called with an argument it cannot use.
    InvalidArgument(String),
    /// `closed`: `send` after `close()`, or `ready` on a session that ended without an error.
    Closed,
    /// `unconfirmed`: the message went out where no acknowledgement can come (at-most-once). The
    /// JavaScript class's `sendWithReceipt` code: no call of the Rust API answers it.
    Unconfirmed(String),
    /// An `error` frame from the server, with the server's own code and message.
    Server {
        /// The server's code (`not_in_room`, `rate_limited`, ...).
        code: String,
        /// The server's message.
        message: String,
    },
}

impl Error {
    /// The stable code, the same string as `error.code` in the JavaScript API.
    pub fn code(&self) -> &str {
        match self {
            Self::InvalidOptions(_) => ErrorCode::InvalidOptions.as_str(),
            Self::InsecureUrl(_) => ErrorCode::InsecureUrl.as_str(),
            Self::Unauthorized(_) => ErrorCode::Unauthorized.as_str(),
            Self::TokenUnavailable(_) => ErrorCode::TokenUnavailable.as_str(),
            Self::AuthFailed(_) => ErrorCode::AuthFailed.as_str(),
            Self::ReauthFailed(_) => ErrorCode::ReauthFailed.as_str(),
            Self::ReconnectFailed(_) => ErrorCode::ReconnectFailed.as_str(),
            Self::InvalidFrame(_) | Self::Deserialize(_) => ErrorCode::InvalidFrame.as_str(),
            Self::QueueFull { .. } => ErrorCode::QueueFull.as_str(),
            Self::MessageTooLarge { .. } => ErrorCode::MessageTooLarge.as_str(),
            Self::InvalidMessage(_) => ErrorCode::InvalidMessage.as_str(),
            Self::InvalidArgument(_) => ErrorCode::InvalidArgument.as_str(),
            Self::Closed => ErrorCode::Closed.as_str(),
            Self::Unconfirmed(_) => ErrorCode::Unconfirmed.as_str(),
            // Never the server's own code: a backend cannot pass for one of the SDK's errors.
            Self::Server { .. } => "server_error",
        }
    }

    /// For [`Error::Server`], the code of the server's `error` frame (`rate_limited`, ...).
    pub fn server_code(&self) -> Option<&str> {
        match self {
            Self::Server { code, .. } => Some(code),
            _ => None,
        }
    }

    /// Whether the session ended because of this error (`unauthorized`, `reconnect_failed`): no
    /// reconnect follows.
    pub fn is_terminal(&self) -> bool {
        matches!(self, Self::Unauthorized(_) | Self::ReconnectFailed(_))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidOptions(error) | Self::InsecureUrl(error) => write!(f, "{error}")?,
            Self::Unauthorized(message)
            | Self::TokenUnavailable(message)
            | Self::AuthFailed(message)
            | Self::ReauthFailed(message)
            | Self::ReconnectFailed(message)
            | Self::InvalidFrame(message)
            | Self::InvalidMessage(message)
            | Self::InvalidArgument(message)
            | Self::Unconfirmed(message)
            | Self::Server { message, .. } => f.write_str(message)?,
            Self::Deserialize(reason) => write!(f, "a message did not match the app's type: {reason}")?,
            Self::QueueFull { limit } => write!(f, "send queue is full ({limit} messages waiting)")?,
            Self::MessageTooLarge { bytes, limit } => {
                write!(f, "message is {bytes} bytes, over the limit of {limit}")?
            }
            Self::Closed => f.write_str("the connection is closed")?,
        }
        write!(f, " ({})", self.code())
    }
}

impl std::error::Error for Error {}

impl From<ConfigError> for Error {
    fn from(error: ConfigError) -> Self {
        if error.insecure {
            Self::InsecureUrl(error)
        } else {
            Self::InvalidOptions(error)
        }
    }
}

impl Error {
    /// What the JavaScript class threw or emitted: a `SecureWebSocketError` (its `code`,
    /// `message` and, for `server_error`, `serverCode`). Never fails: anything else thrown (a
    /// trap, a bug) is reported with its text as an `invalid_argument`.
    pub(super) fn from_js(error: &JsValue) -> Self {
        let field = |key: &str| Reflect::get(error, &JsValue::from_str(key)).ok().and_then(|v| v.as_string());
        let message = field("message").unwrap_or_default();
        // The class's sizes and bounds travel in its message only ("message is 16 bytes, over the
        // limit of 15"): read back in order rather than carried as fields the npm bundle would
        // ship for the Rust API alone.
        let mut numbers = message
            .split(|c: char| !c.is_ascii_digit())
            .filter(|digits| !digits.is_empty())
            .map(|digits| digits.parse().unwrap_or(usize::MAX));
        let mut number = || numbers.next().unwrap_or_default();
        match field("code").as_deref().unwrap_or_default() {
            "invalid_options" => Self::InvalidOptions(ConfigError::new("options", message)),
            "insecure_url" => {
                let problem = message.strip_prefix("url: ").unwrap_or(&message).to_owned();
                Self::InsecureUrl(ConfigError { option: "url", problem, insecure: true })
            }
            "unauthorized" => Self::Unauthorized(message),
            "token_unavailable" => Self::TokenUnavailable(message),
            "auth_failed" => Self::AuthFailed(message),
            "reauth_failed" => Self::ReauthFailed(message),
            "reconnect_failed" => Self::ReconnectFailed(message),
            "invalid_frame" => Self::InvalidFrame(message),
            "queue_full" => Self::QueueFull { limit: number() },
            "message_too_large" => {
                let bytes = number();
                Self::MessageTooLarge { bytes, limit: number() }
            }
            "invalid_message" => Self::InvalidMessage(message),
            "closed" => Self::Closed,
            "unconfirmed" => Self::Unconfirmed(message),
            "server_error" => Self::Server { code: field("serverCode").unwrap_or_default(), message },
            // `invalid_argument` ("the wasm is not instantiated"), or not the SDK's error at all.
            _ => Self::InvalidArgument(message),
        }
    }
}
