//! The wire protocol (see PROTOCOL.md): classifying server frames and encoding client frames.
//!
//! Parsing JSON text is left to whoever calls [`classify`]: the browser driver uses the engine's
//! own `JSON.parse` (no JSON library in the wasm binary), the tests use `serde_json`. Both hand
//! over the parsed object through [`JsonFields`].

use std::fmt;

use zeroize::Zeroizing;

use super::token::Token;

/// Read access to the fields of a parsed JSON object.
pub trait JsonFields {
    /// The field's value if it is a JSON string.
    fn string(&self, key: &str) -> Option<String>;
    /// The field's value if it is a JSON boolean.
    fn boolean(&self, key: &str) -> Option<bool>;
}

/// The server's answer to `auth` or `reauth`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// `success: true`, with the `userId` when the server sent one as a string.
    Accepted {
        /// The authenticated user.
        user_id: Option<String>,
    },
    /// `success: false`, with the server's `error` text (empty when absent).
    Rejected {
        /// Why, in the server's words.
        error: String,
    },
}

/// A server frame, classified.
#[derive(Debug, Clone, PartialEq)]
pub enum Inbound<M> {
    /// `auth_response`.
    AuthResponse(Verdict),
    /// `reauth_response`.
    ReauthResponse(Verdict),
    /// `ping`: answered with `pong`.
    Ping,
    /// `pong`: answers our heartbeat.
    Pong,
    /// `error`: a generic error from the server.
    Error {
        /// The server's code (`rate_limited`, `permission_denied`, ...).
        code: String,
        /// The server's message.
        message: String,
    },
    /// Any other object with a string `type`: an application message, handed over as parsed.
    App(M),
}

/// Why a server frame was dropped. Reported as an `invalid_frame` error; never fatal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameError {
    /// A binary frame; the protocol is JSON text only.
    Binary,
    /// Text that is not JSON.
    NotJson,
    /// JSON, but not an object.
    NotAnObject,
    /// An object without a string `type`.
    MissingType,
    /// A control frame with a field of the wrong type (`success` not a boolean, ...).
    BadField(&'static str),
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Binary => f.write_str("binary frame; the protocol uses JSON text frames"),
            Self::NotJson => f.write_str("frame is not valid JSON"),
            Self::NotAnObject => f.write_str("frame is not a JSON object"),
            Self::MissingType => f.write_str("frame has no string \"type\""),
            Self::BadField(field) => write!(f, "control frame has a malformed \"{field}\""),
        }
    }
}

/// Sorts a parsed JSON object into the protocol's frames.
pub fn classify<M: JsonFields>(object: M) -> Result<Inbound<M>, FrameError> {
    let Some(kind) = object.string("type") else {
        return Err(FrameError::MissingType);
    };
    Ok(match kind.as_str() {
        "auth_response" => Inbound::AuthResponse(verdict(&object)?),
        "reauth_response" => Inbound::ReauthResponse(verdict(&object)?),
        "ping" => Inbound::Ping,
        "pong" => Inbound::Pong,
        "error" => Inbound::Error {
            code: object.string("code").ok_or(FrameError::BadField("code"))?,
            message: object.string("message").unwrap_or_default(),
        },
        _ => Inbound::App(object),
    })
}

fn verdict(object: &impl JsonFields) -> Result<Verdict, FrameError> {
    match object.boolean("success") {
        Some(true) => Ok(Verdict::Accepted { user_id: object.string("userId") }),
        Some(false) => Ok(Verdict::Rejected { error: object.string("error").unwrap_or_default() }),
        None => Err(FrameError::BadField("success")),
    }
}

/// An application message on its way out: the core needs only its size. The browser keeps the
/// JSON text as a JS string, so it never crosses into wasm memory and back (the copy and UTF-8
/// transcoding both ways were the SDK's main per-message cost in the throughput profile).
pub trait Payload {
    /// The size on the wire: UTF-8 bytes of the JSON text.
    fn byte_len(&self) -> usize;
}

impl Payload for String {
    fn byte_len(&self) -> usize {
        self.len()
    }
}

/// What an outbound frame is, which decides whether its text may be shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameKind {
    /// `{"type":"auth","token":…}`: carries a token.
    Auth,
    /// `{"type":"reauth","token":…}`: carries a token.
    Reauth,
    /// `{"type":"ping"}`.
    Ping,
    /// `{"type":"pong"}`.
    Pong,
}

/// A frame ready to go on the wire. Its text is wiped from memory when dropped, and its `Debug`
/// hides the text of frames that carry a token.
#[derive(Clone, PartialEq, Eq)]
pub struct OutboundFrame {
    kind: FrameKind,
    text: Zeroizing<String>,
}

impl OutboundFrame {
    /// `{"type":"auth","token":T}`.
    pub fn auth(token: &Token) -> Self {
        Self::with_token(FrameKind::Auth, "auth", token)
    }

    /// `{"type":"reauth","token":T}`.
    pub fn reauth(token: &Token) -> Self {
        Self::with_token(FrameKind::Reauth, "reauth", token)
    }

    /// `{"type":"ping"}`.
    pub fn ping() -> Self {
        Self { kind: FrameKind::Ping, text: Zeroizing::new(r#"{"type":"ping"}"#.into()) }
    }

    /// `{"type":"pong"}`.
    pub fn pong() -> Self {
        Self { kind: FrameKind::Pong, text: Zeroizing::new(r#"{"type":"pong"}"#.into()) }
    }

    fn with_token(kind: FrameKind, name: &str, token: &Token) -> Self {
        let mut text = String::with_capacity(token.expose().len() + 32);
        text.push_str(r#"{"type":""#);
        text.push_str(name);
        text.push_str(r#"","token":"#);
        push_json_string(&mut text, token.expose());
        text.push('}');
        Self { kind, text: Zeroizing::new(text) }
    }

    /// What the frame is.
    pub fn kind(&self) -> FrameKind {
        self.kind
    }

    /// The JSON text to put on the wire.
    pub fn text(&self) -> &str {
        &self.text
    }
}

impl fmt::Debug for OutboundFrame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown: &str = match self.kind {
            FrameKind::Auth | FrameKind::Reauth => "<redacted>",
            _ => &self.text,
        };
        f.debug_struct("OutboundFrame").field("kind", &self.kind).field("text", &shown).finish()
    }
}

/// Appends `value` as a JSON string literal (RFC 8259 §7). Written by hand so the wasm binary
/// carries no JSON library; tokens are opaque strings from the app's backend and must round-trip
/// exactly, whatever they contain.
fn push_json_string(out: &mut String, value: &str) {
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(HEX[(c as usize) >> 4] as char);
                out.push(HEX[(c as usize) & 0xf] as char);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}
