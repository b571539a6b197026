//! The WebSocket token: held in memory only, zeroed when dropped, never printed.

use alloc::string::String;
use core::fmt;

use zeroize::Zeroizing;

use super::Millis;

/// A short-lived WebSocket token.
///
/// The bytes are wiped from memory when the value is dropped, and `Debug` never shows them, so a
/// token cannot leak through a log line, a panic message or an error that formats its context.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(Zeroizing<String>);

impl Token {
    /// Wraps a token string. An empty token is refused, because sending one can only fail.
    pub fn new(value: String) -> Result<Self, TokenError> {
        if value.is_empty() {
            return Err(TokenError::Invalid("the token is empty"));
        }
        Ok(Self(Zeroizing::new(value)))
    }

    /// The token's text, for building an `auth` or `reauth` frame.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// A token as the token source handed it over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenGrant {
    /// The token itself.
    pub token: Token,
    /// Its lifetime in milliseconds, when the token endpoint said (`expiresIn` in seconds).
    pub lifetime_ms: Option<Millis>,
}

/// Why no token could be had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenError {
    /// The token endpoint answered 401 or 403: the user is not logged in. Terminal: retrying
    /// cannot help and would only hammer the backend.
    Unauthorized,
    /// A network error, a 5xx or a `getToken` that threw: worth retrying with backoff.
    /// The text describes the failure and never contains a token.
    Unavailable(String),
    /// The endpoint answered, but not with a usable token.
    Invalid(&'static str),
}
