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

/// What the session keeps of a token it sent, to tell whether a server quoted it back, in whole
/// or in part, in a text the app sees and may log (a rejection's reason, an error, a close reason,
/// a user id): the hashes of the token's consecutive pieces. Not the token: a 64-bit hash of a
/// piece of a high-entropy secret cannot be turned back into it, and the token itself is still
/// zeroed as soon as its frame is built.
///
/// A text that quotes any stretch of the token one byte short of twice a piece's length holds a
/// whole piece, wherever the stretch starts: 31 bytes for a token of 16 to 512 bytes (a JWT's
/// signature, a token cut short in a 123-byte close reason), `2·⌈len/32⌉ − 1` bytes for a longer
/// one, and the whole token for a shorter one.
#[derive(Default)]
pub(crate) struct Fingerprint {
    /// The pieces' length: 16 bytes, more for a long token (every piece has a slot), or the whole
    /// token when shorter; 0 before any token was sent.
    piece: usize,
    /// The hashes of the pieces; slots beyond them repeat the first. (A last stretch shorter than
    /// a piece has none: a quoted stretch long enough to hold it whole holds the piece before it.)
    hashes: [u64; PIECES],
}

/// Slots for the pieces' hashes (256 bytes).
const PIECES: usize = 32;
/// The shortest piece: longer than the ordinary words of a server's text.
const MIN_PIECE_LEN: usize = 16;
/// The multiplier of the pieces' polynomial hash: odd, so that it is invertible modulo 2⁶⁴, and a
/// window's hash rolls to the next one's in constant time (Rabin–Karp).
const BASE: u64 = 0x100_0000_01b3;

impl Fingerprint {
    pub(crate) fn of(token: &Token) -> Self {
        let token = token.expose().as_bytes();
        let piece = token.len().div_ceil(PIECES).max(MIN_PIECE_LEN).min(token.len());
        let mut hashes = [hash(&token[..piece]); PIECES];
        for (slot, part) in hashes.iter_mut().zip(token.chunks_exact(piece)) {
            *slot = hash(part);
        }
        Self { piece, hashes }
    }

    /// Whether `text` holds one of the token's pieces: each of its windows of a piece's length,
    /// hashed by rolling the previous window's hash, so linear in the text's length (a hostile
    /// server's text can be megabytes long).
    pub(crate) fn found_in(&self, text: &str) -> bool {
        let (text, piece) = (text.as_bytes(), self.piece);
        if piece == 0 || text.len() < piece {
            return false;
        }
        // What the byte leaving a window weighs in its hash: BASE to the piece's length.
        let leaving = (0..piece).fold(1u64, |power, _| power.wrapping_mul(BASE));
        let mut window = hash(&text[..piece]);
        for end in piece..=text.len() {
            if self.hashes.contains(&window) {
                return true;
            }
            if let Some(&byte) = text.get(end) {
                window = window
                    .wrapping_mul(BASE)
                    .wrapping_add(u64::from(byte))
                    .wrapping_sub(leaving.wrapping_mul(u64::from(text[end - piece])));
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
