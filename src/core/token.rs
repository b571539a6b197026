//! The WebSocket token: held in memory only, zeroed when dropped, never printed.

use alloc::string::{String, ToString};
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

impl TokenError {
    /// [`TokenError::Unavailable`] with `why` as its text, for `map_err` in a `get_token` that
    /// calls something fallible: `fetch(..).await.map_err(TokenError::unavailable)?`. The text
    /// must not hold a token.
    pub fn unavailable(why: impl fmt::Display) -> Self {
        Self::Unavailable(why.to_string())
    }
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unauthorized => f.write_str("the user is not logged in"),
            Self::Unavailable(why) => write!(f, "no token to be had: {why}"),
            Self::Invalid(why) => write!(f, "not a usable token: {why}"),
        }
    }
}

impl core::error::Error for TokenError {}

/// What the session keeps of a token it sent, to tell whether a server quoted it back, in whole
/// or in part, in a text the app sees and may log (a rejection's reason, an error, a close reason,
/// a user id): 32-bit hashes of 16-byte stretches of the token, at most 32 of them. Not the token:
/// each hash stands for 2⁶⁴ and more stretches of a token's alphabet, and the token itself is still
/// zeroed as soon as its frame is built.
///
/// The stretches start every `step` bytes, `step` as small as 32 of them allow: a text that quotes
/// any `15 + step` bytes of the token holds a whole one, wherever the quote starts. That is 16
/// bytes for a token of up to 47 bytes, 31 up to 512 bytes (a JWT's signature is 43), 123 (a whole
/// close reason) up to 3,364 bytes. A token shorter than 16 bytes is not looked for: it could be an
/// ordinary word of the server's text (a test's user name, say).
#[derive(Default, PartialEq, Eq)]
pub(crate) struct Fingerprint {
    /// The stretches' hashes; 0 slots when no token of 16 bytes or more was sent, and slots beyond
    /// the last stretch repeat the first.
    hashes: [u32; STRETCHES],
}

/// The most stretches kept (128 bytes).
const STRETCHES: usize = 32;
/// A stretch's length: longer than the ordinary words of a server's text.
const STRETCH_LEN: usize = 16;
/// The multiplier of the stretches' polynomial hash: odd, so that it is invertible modulo 2⁶⁴, and
/// a window's hash rolls to the next one's in constant time (Rabin–Karp).
const BASE: u64 = 0x100_0000_01b3;
/// What the byte leaving a window weighs in its hash: `BASE` to the 16th power.
const LEAVING: u64 = {
    let mut power = 1u64;
    let mut i = 0;
    while i < STRETCH_LEN {
        power = power.wrapping_mul(BASE);
        i += 1;
    }
    power
};

impl Fingerprint {
    pub(crate) fn of(token: &Token) -> Self {
        let token = token.expose().as_bytes();
        let mut fingerprint = Self::default();
        let Some(last_start) = token.len().checked_sub(STRETCH_LEN) else { return fingerprint };
        let step = last_start.div_ceil(STRETCHES - 1).max(1);
        fingerprint.hashes = [short(hash(&token[..STRETCH_LEN])); STRETCHES];
        for (slot, start) in fingerprint.hashes.iter_mut().zip((0..=last_start).step_by(step)) {
            *slot = short(hash(&token[start..start + STRETCH_LEN]));
        }
        fingerprint
    }

    /// Whether `text` holds one of the token's stretches: each of its 16-byte windows, hashed by
    /// rolling the previous window's hash (one step per byte: a hostile server's text can be
    /// megabytes long).
    pub(crate) fn found_in(&self, text: &str) -> bool {
        let text = text.as_bytes();
        if *self == Self::default() || text.len() < STRETCH_LEN {
            return false;
        }
        let mut window = hash(&text[..STRETCH_LEN]);
        for end in STRETCH_LEN..=text.len() {
            if self.hashes.contains(&short(window)) {
                return true;
            }
            if let Some(&byte) = text.get(end) {
                window = window
                    .wrapping_mul(BASE)
                    .wrapping_add(u64::from(byte))
                    .wrapping_sub(LEAVING.wrapping_mul(u64::from(text[end - STRETCH_LEN])));
            }
        }
        false
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Not even the hashes: a guessable token could be checked against them.
        f.write_str("Fingerprint(<redacted>)")
    }
}

/// The polynomial hash `Σ byteᵢ·BASE^(n−1−i)` modulo 2⁶⁴ (no cryptographic claim is needed to
/// recognise a token; a collision only withholds a text).
fn hash(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0, |hash, &byte| hash.wrapping_mul(BASE).wrapping_add(u64::from(byte)))
}

/// The 32 bits kept of a hash: its high ones, which every byte of the window moves (its low ones
/// depend only on the bytes' low bits).
fn short(hash: u64) -> u32 {
    (hash >> 32) as u32
}
