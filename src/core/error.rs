//! Error codes users can branch on. Each surfaces in JavaScript as an `Error` with a string `code`.

use alloc::string::String;
use core::fmt;

use super::protocol::push_number;

/// The `code` of an `error` event or a thrown `Error`.
///
/// Codes are part of the public API: they are stable strings, documented in the README.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorCode {
    /// An option was missing, unknown or of the wrong type or range (thrown by the constructor).
    InvalidOptions,
    /// The URL is not `ws://`/`wss://`, carries credentials, or is `ws://` to a non-loopback host
    /// without `allowInsecure` (thrown by the constructor).
    InsecureUrl,
    /// The token endpoint answered 401/403. Terminal: the session ends `closed`.
    Unauthorized,
    /// The token could not be fetched (network error, 5xx, `getToken` threw). Retried.
    TokenUnavailable,
    /// The server rejected the token (`auth_response` with `success: false`). Retried.
    AuthFailed,
    /// The server rejected a re-authentication. The connection is replaced.
    ReauthFailed,
    /// Gave up after `reconnect.maxAttempts` consecutive failed attempts. Terminal.
    ReconnectFailed,
    /// A server frame was not JSON, not an object, or had no string `type`. Dropped; the
    /// connection stays up.
    InvalidFrame,
    /// `send()` while `maxQueuedMessages` are already waiting.
    QueueFull,
    /// `send()` of a message over `maxMessageBytes` once serialised.
    MessageTooLarge,
    /// `send()` of something `JSON.stringify` cannot turn into a JSON text.
    InvalidMessage,
    /// A method was called with an argument it cannot use (an unknown event type for `on()`).
    InvalidArgument,
    /// `send()` after `close()`, or `ready()` on a session that ended.
    Closed,
    /// A receipt that cannot resolve: the message went out on an at-most-once connection, where
    /// the server acknowledges nothing.
    Unconfirmed,
    /// An `error` frame from the server. Its code is `server_error`, whatever the server said, so
    /// a backend cannot emit one of the SDK's own codes (`unauthorized`, ...) by mistake or
    /// malice; the server's code travels alongside ([`ErrorCode::server_code`]).
    Server(String),
}

/// Every code's string, at its [`ErrorCode::index`]. The npm wasm hands JS the index, and
/// src/api/codes.js's `ERROR_CODES` holds the same list (a package test keeps them equal): no code
/// string in the npm wasm (issue 14).
const CODES: [&str; 15] = [
    "invalid_options",
    "insecure_url",
    "unauthorized",
    "token_unavailable",
    "auth_failed",
    "reauth_failed",
    "reconnect_failed",
    "invalid_frame",
    "queue_full",
    "message_too_large",
    "invalid_message",
    "invalid_argument",
    "closed",
    "unconfirmed",
    "server_error",
];

impl ErrorCode {
    /// The stable string users see as `error.code`.
    pub fn as_str(&self) -> &str {
        CODES[self.index() as usize]
    }

    /// The code's place in the list of codes (the string is [`Self::as_str`]).
    pub fn index(&self) -> u32 {
        match self {
            Self::InvalidOptions => 0,
            Self::InsecureUrl => 1,
            Self::Unauthorized => 2,
            Self::TokenUnavailable => 3,
            Self::AuthFailed => 4,
            Self::ReauthFailed => 5,
            Self::ReconnectFailed => 6,
            Self::InvalidFrame => 7,
            Self::QueueFull => 8,
            Self::MessageTooLarge => 9,
            Self::InvalidMessage => 10,
            Self::InvalidArgument => 11,
            Self::Closed => 12,
            Self::Unconfirmed => 13,
            Self::Server(_) => 14,
        }
    }

    /// For a server `error` frame, the server's own code (`rate_limited`, `not_in_room`, ...).
    pub fn server_code(&self) -> Option<&str> {
        match self {
            Self::Server(code) => Some(code),
            _ => None,
        }
    }
}

/// An error with a code and a human-readable message that never contains a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdkError {
    /// What users branch on.
    pub code: ErrorCode,
    /// What users read.
    pub message: String,
}

impl SdkError {
    /// Builds an error from a code and a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }
}

impl fmt::Display for SdkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.code.as_str())
    }
}

impl core::error::Error for SdkError {}

/// `parts` with `numbers` between them, without `format!` (see `protocol::push_number`), nor
/// `[..].concat()` (its overflow check keeps a panic message in the npm wasm).
pub(crate) fn text(parts: &[&str], numbers: &[usize]) -> String {
    let mut out = String::new();
    for (i, part) in parts.iter().enumerate() {
        out.push_str(part);
        if let Some(&number) = numbers.get(i) {
            push_number(&mut out, number as u64);
        }
    }
    out
}

/// Why `send()` refused a message. Nothing is ever dropped silently: each case throws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendError {
    /// The queue already holds `maxQueuedMessages`.
    QueueFull {
        /// The configured bound.
        limit: usize,
    },
    /// The serialised message is larger than `maxMessageBytes`.
    MessageTooLarge {
        /// Its size in UTF-8 bytes.
        bytes: usize,
        /// The configured bound.
        limit: usize,
    },
    /// The session was closed by `close()` or ended for good.
    Closed,
}

impl From<SendError> for SdkError {
    fn from(error: SendError) -> Self {
        match error {
            SendError::QueueFull { limit } => SdkError::new(
                ErrorCode::QueueFull,
                text(&["send queue is full (", " messages waiting)"], &[limit]),
            ),
            SendError::MessageTooLarge { bytes, limit } => SdkError::new(
                ErrorCode::MessageTooLarge,
                text(&["message is ", " bytes, over the limit of ", ""], &[bytes, limit]),
            ),
            SendError::Closed => SdkError::new(ErrorCode::Closed, "the connection is closed"),
        }
    }
}
