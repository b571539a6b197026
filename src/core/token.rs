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

/// What the session keeps of the last token it sent, to tell whether a server quoted it back, in
/// whole or in part, in a text the app sees and may log (a rejection's reason, an error, a close
/// reason): the hashes of the token's consecutive pieces. Not the token: a 64-bit hash of a piece
/// of a high-entropy secret cannot be turned back into it, and the token itself is still zeroed as
/// soon as its frame is built.
///
/// A text that quotes any stretch of the token one byte short of twice a piece's length (31 bytes
/// for tokens up to 512 bytes: a JWT's signature, a token cut short in a close reason) holds a
/// whole piece, wherever the stretch starts.
#[derive(Default)]
pub(crate) struct Fingerprint {
    /// The pieces' length: 16 bytes, more for a long token (every piece has a slot), or the whole
    /// token when shorter; 0 before any token was sent.
    piece: usize,
    /// The hashes of the pieces (a last stretch shorter than a piece has none: a quoted stretch
    /// long enough to hold it whole holds the piece before it).
    hashes: [u64; PIECES],
}

/// Slots for the pieces' hashes (256 bytes).
const PIECES: usize = 32;
/// The shortest piece: longer than the ordinary words of a server's text.
const MIN_PIECE_LEN: usize = 16;

impl Fingerprint {
    pub(crate) fn of(token: &Token) -> Self {
        let token = token.expose().as_bytes();
        let piece = token.len().div_ceil(PIECES).max(MIN_PIECE_LEN).min(token.len());
        let mut hashes = [0; PIECES];
        for (slot, part) in hashes.iter_mut().zip(token.chunks_exact(piece)) {
            *slot = fnv1a(part);
        }
        Self { piece, hashes }
    }

    /// Whether `text` holds one of the token's pieces. (Each of the text's windows is hashed, but
    /// this only runs on a server's error or close text, which is rare.)
    pub(crate) fn found_in(&self, text: &str) -> bool {
        self.piece > 0
            && text.as_bytes().windows(self.piece).any(|window| self.hashes.contains(&fnv1a(window)))
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Not even the hashes: a guessable token could be checked against them.
        f.write_str("Fingerprint(<redacted>)")
    }
}

/// FNV-1a, 64 bits: a plain, fast hash (no cryptographic claim needed to recognise a token).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(0xcbf2_9ce4_8422_2325, |hash, &byte| (hash ^ u64::from(byte)).wrapping_mul(0x100_0000_01b3))
}
