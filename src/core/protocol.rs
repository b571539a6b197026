//! The wire protocol (see PROTOCOL.md): classifying server frames and encoding client frames.
//!
//! Parsing JSON text is left to whoever calls [`classify`]: the browser driver uses the engine's
//! own `JSON.parse` (no JSON library in the wasm binary), the tests use `serde_json`. Both hand
//! over the parsed object through [`JsonFields`].

use alloc::string::String;
use core::fmt;

use zeroize::Zeroizing;

use super::token::Token;

/// Read access to the fields of a parsed JSON object.
pub trait JsonFields: Sized {
    /// The field's value if it is a JSON string.
    fn string(&self, key: &str) -> Option<String>;
    /// The field's value if it is a JSON boolean.
    fn boolean(&self, key: &str) -> Option<bool>;
    /// The field's value if it is a JSON number.
    fn number(&self, key: &str) -> Option<f64>;
    /// The field's value if it is a JSON object (not an array).
    fn object(&self, key: &str) -> Option<Self>;
}

/// What the server granted in `auth_response.session` (resumable sessions, PROTOCOL.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionGrant {
    /// The session's id, offered back on the next connection.
    pub id: String,
    /// Whether the offered session was found and its gap can be filled.
    pub resumed: bool,
    /// The highest client sequence number the server has received.
    pub last_seq: u64,
}

/// The limits a server advertised in `auth_response.limits`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ServerLimits {
    /// Application messages per minute it accepts from one connection.
    pub messages_per_minute: Option<u32>,
    /// The largest frame it accepts, in bytes.
    pub max_message_bytes: Option<usize>,
}

/// The server's answer to `auth` or `reauth`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// `success: true`, with the `userId` when the server sent one as a string.
    Accepted {
        /// The authenticated user.
        user_id: Option<String>,
        /// The resumable session, when the server supports them (never on `reauth_response`).
        session: Option<SessionGrant>,
        /// The limits the server advertised.
        limits: ServerLimits,
        /// Why the `session` part was ignored: it was there but malformed (reported as
        /// `invalid_frame`; the authentication stands, at most once).
        ignored: Option<FrameError>,
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
    /// `msg`: application message `seq` of a resumable session.
    Sequenced {
        /// Its sequence number in the server → client direction.
        seq: u64,
        /// The application message, as parsed; `None` when `data` is none (not an object with
        /// a string `type`, or a protocol frame: a client's, or a server's such as an
        /// `auth_response` or another `msg`): the number still counts, the message is refused.
        data: Option<M>,
    },
    /// `ack`: the server has received every client message with a sequence number up to `seq`.
    Ack {
        /// The cumulative acknowledgement.
        seq: u64,
    },
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
    /// A frame only a client sends (`auth`, `reauth`): a server or proxy that echoes them back
    /// would hand the app its own token.
    ClientFrame,
    /// A protocol frame (not an application message) over 65,536 characters, refused unread: its
    /// strings would be copied into the wasm's memory, which never shrinks (io.js).
    TooLarge,
}

impl FrameError {
    /// What users read in the `invalid_frame` error.
    pub fn message(&self) -> String {
        match self {
            Self::Binary => "binary frame; the protocol uses JSON text frames".into(),
            Self::NotJson => "frame is not valid JSON".into(),
            Self::NotAnObject => "frame is not a JSON object".into(),
            Self::MissingType => "frame has no string \"type\"".into(),
            Self::ClientFrame => "a client frame (auth, reauth) came back: not delivered".into(),
            Self::TooLarge => "a protocol frame over 65,536 characters: not read".into(),
            Self::BadField(field) => {
                super::error::text(&["control frame has a malformed \"", field, "\""], &[])
            }
        }
    }
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

/// A server frame's `type`, as far as the protocol tells types apart. The browser driver reads it
/// in JS (io.js keeps the same list, in this order), so that a frame crosses into the wasm once,
/// already sorted, and an application message's `type` is never copied into wasm memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameType {
    /// `auth_response`.
    AuthResponse,
    /// `reauth_response`.
    ReauthResponse,
    /// `ping`.
    Ping,
    /// `pong`.
    Pong,
    /// `msg`.
    Msg,
    /// `ack`.
    Ack,
    /// `error`.
    Error,
    /// Any other `type`: an application message.
    App,
}

impl FrameType {
    /// Every type, in io.js's order: the driver's frame kind is an index into this.
    pub const ALL: [FrameType; 8] = [
        Self::AuthResponse,
        Self::ReauthResponse,
        Self::Ping,
        Self::Pong,
        Self::Msg,
        Self::Ack,
        Self::Error,
        Self::App,
    ];

    /// The type of a frame whose `type` field is `name`.
    pub fn of(name: &str) -> Self {
        match name {
            "auth_response" => Self::AuthResponse,
            "reauth_response" => Self::ReauthResponse,
            "ping" => Self::Ping,
            "pong" => Self::Pong,
            "msg" => Self::Msg,
            "ack" => Self::Ack,
            "error" => Self::Error,
            _ => Self::App,
        }
    }
}

/// Sorts a parsed JSON object into the protocol's frames.
pub fn classify<M: JsonFields>(object: M) -> Result<Inbound<M>, FrameError> {
    let Some(kind) = object.string("type") else {
        return Err(FrameError::MissingType);
    };
    if is_client_frame(&kind) {
        return Err(FrameError::ClientFrame);
    }
    match FrameType::of(&kind) {
        FrameType::Msg => {
            // Only an application message is wrapped: never a protocol frame, a client's or the
            // server's (io.js refuses the same).
            let data = object.object("data").filter(|data| {
                data.string("type")
                    .is_some_and(|t| FrameType::of(&t) == FrameType::App && !is_client_frame(&t))
            });
            sequenced(object.number("seq"), data)
        }
        kind => classify_as(kind, object),
    }
}

/// Reads a frame whose type is known to be `kind` (not [`FrameType::Msg`]: see [`sequenced`]).
pub fn classify_as<M: JsonFields>(kind: FrameType, object: M) -> Result<Inbound<M>, FrameError> {
    Ok(match kind {
        FrameType::AuthResponse => Inbound::AuthResponse(verdict(&object)?),
        FrameType::ReauthResponse => Inbound::ReauthResponse(verdict(&object)?),
        FrameType::Ping => Inbound::Ping,
        FrameType::Pong => Inbound::Pong,
        FrameType::Msg => return Err(FrameError::BadField("data")),
        FrameType::Ack => Inbound::Ack { seq: sequence_number(&object, "seq")? },
        FrameType::Error => Inbound::Error {
            code: object.string("code").ok_or(FrameError::BadField("code"))?,
            message: object.string("message").unwrap_or_default(),
        },
        FrameType::App => Inbound::App(object),
    })
}

/// Whether `type` names a frame only a client sends: never delivered as a message (io.js keeps
/// the same two names).
pub fn is_client_frame(kind: &str) -> bool {
    matches!(kind, "auth" | "reauth")
}

/// A `msg` frame from its `seq` (when a number) and its `data` (when an application message: an
/// object with a string `type` that names no protocol frame).
pub fn sequenced<M>(seq: Option<f64>, data: Option<M>) -> Result<Inbound<M>, FrameError> {
    let seq = seq.and_then(whole_sequence_number).ok_or(FrameError::BadField("seq"))?;
    Ok(Inbound::Sequenced { seq, data })
}

/// A sequence number: a whole number from 0 to 2⁵³ (what a JSON number carries exactly).
fn sequence_number(object: &impl JsonFields, key: &'static str) -> Result<u64, FrameError> {
    object.number(key).and_then(whole_sequence_number).ok_or(FrameError::BadField(key))
}

fn whole_sequence_number(value: f64) -> Option<u64> {
    ((0.0..=9_007_199_254_740_992.0).contains(&value) && is_whole(value)).then_some(value as u64)
}

/// Whether a finite `value` from 0 to 2⁶⁴ has no fractional part (`f64::fract` is `std`'s, and the
/// npm build has only `core`: src/lib.rs).
pub(crate) fn is_whole(value: f64) -> bool {
    value as u64 as f64 == value
}

fn session_grant(object: &impl JsonFields) -> Result<Option<SessionGrant>, FrameError> {
    let Some(session) = object.object("session") else { return Ok(None) };
    let id = session.string("id").filter(|id| !id.is_empty()).ok_or(FrameError::BadField("session.id"))?;
    let resumed = session.boolean("resumed").ok_or(FrameError::BadField("session.resumed"))?;
    let last_seq =
        sequence_number(&session, "lastSeq").map_err(|_| FrameError::BadField("session.lastSeq"))?;
    Ok(Some(SessionGrant { id, resumed, last_seq }))
}

/// Advertised limits; a value that makes no sense (0, negative, not a number) is ignored rather
/// than obeyed. A tiny one is obeyed: a message over it would only get the connection closed
/// (4009), so each is refused with `message_too_large` instead, never dropped unsaid.
fn server_limits(object: &impl JsonFields) -> ServerLimits {
    let Some(limits) = object.object("limits") else { return ServerLimits::default() };
    let positive = |key| limits.number(key).filter(|v| v.is_finite() && *v >= 1.0);
    ServerLimits {
        messages_per_minute: positive("messagesPerMinute").map(|v| v.min(f64::from(u32::MAX)) as u32),
        max_message_bytes: positive("maxMessageBytes").map(|v| v.min(u32::MAX as f64) as usize),
    }
}

fn verdict(object: &impl JsonFields) -> Result<Verdict, FrameError> {
    match object.boolean("success") {
        Some(true) => {
            let (session, ignored) = match session_grant(object) {
                Ok(session) => (session, None),
                Err(error) => (None, Some(error)),
            };
            Ok(Verdict::Accepted {
                user_id: object.string("userId"),
                session,
                limits: server_limits(object),
                ignored,
            })
        }
        Some(false) => Ok(Verdict::Rejected { error: object.string("error").unwrap_or_default() }),
        None => Err(FrameError::BadField("success")),
    }
}

/// An application message on its way out: the core needs only its size. The browser keeps the
/// JSON text as a JS string, so it never crosses into wasm memory and back (the copy and UTF-8
/// transcoding both ways were the SDK's main per-message cost in the throughput profile).
pub trait Payload: Clone {
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
    /// `{"type":"ack","seq":N}`.
    Ack,
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
    /// `{"type":"auth","token":T,"resume":{"sessionId":S|null,"lastSeq":L}}`: authenticates, and
    /// offers to resume session `S` (or to open one) having received server messages up to `L`.
    pub fn auth(token: &Token, session: Option<&str>, last_seq: u64) -> Self {
        // `,"resume":{"sessionId":` and `,"lastSeq":` and `}}`, the id or `null`, any u64.
        let resume = 23 + 11 + 2 + session.map_or(4, json_string_len) + 20;
        let mut frame = Self::with_token(FrameKind::Auth, "auth", token, resume);
        let text = &mut *frame.text;
        text.pop(); // the closing brace
        text.push_str(r#","resume":{"sessionId":"#);
        match session {
            Some(id) => push_json_string(text, id),
            None => text.push_str("null"),
        }
        text.push_str(r#","lastSeq":"#);
        push_number(text, last_seq);
        text.push_str("}}");
        frame
    }

    /// `{"type":"reauth","token":T}`.
    pub fn reauth(token: &Token) -> Self {
        Self::with_token(FrameKind::Reauth, "reauth", token, 0)
    }

    /// `{"type":"ack","seq":N}`.
    pub fn ack(seq: u64) -> Self {
        // One allocation, room for any u64: the ack is the hot path's only one (tests/core_hot_path.rs).
        let mut text = String::with_capacity(40);
        text.push_str(r#"{"type":"ack","seq":"#);
        push_number(&mut text, seq);
        text.push('}');
        Self { kind: FrameKind::Ack, text: Zeroizing::new(text) }
    }

    /// `{"type":"ping"}`.
    pub fn ping() -> Self {
        Self { kind: FrameKind::Ping, text: Zeroizing::new(r#"{"type":"ping"}"#.into()) }
    }

    /// `{"type":"pong"}`.
    pub fn pong() -> Self {
        Self { kind: FrameKind::Pong, text: Zeroizing::new(r#"{"type":"pong"}"#.into()) }
    }

    /// `{"type":"<name>","token":T}` in one allocation with room for `more` bytes after it, so
    /// that the text never moves: a buffer left behind by a move would keep the token in freed
    /// memory, where no zeroing reaches (only the final buffer is zeroed when dropped).
    fn with_token(kind: FrameKind, name: &str, token: &Token, more: usize) -> Self {
        // `{"type":"` `","token":` `}` around the name and the token's JSON string.
        let exact = 9 + name.len() + 10 + json_string_len(token.expose()) + 1;
        let mut text = String::with_capacity(exact + more);
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

/// Appends a whole number in decimal, without the formatting machinery (messages and frames are
/// built with this and `error::text`: `format!` would link `core::fmt` into the npm wasm).
pub(crate) fn push_number(out: &mut String, value: u64) {
    // Recursive (at most 20 deep) rather than through a digit buffer, whose indexing kept a
    // bounds-check panic in the npm wasm.
    if value >= 10 {
        push_number(out, value / 10);
    }
    out.push(char::from(b'0' + (value % 10) as u8));
}

/// The length of `value` as [`push_json_string`] writes it, quotes included.
fn json_string_len(value: &str) -> usize {
    value.chars().map(|c| JsonChar::of(c).len()).sum::<usize>() + 2
}

/// How a JSON string holds a character (RFC 8259 §7): the one rule both [`push_json_string`] and
/// [`json_string_len`] follow, so a frame's size is known before it is written.
enum JsonChar {
    /// As it is.
    Plain(char),
    /// A two-character escape: `\"`, `\\`, `\n`, `\r`, `\t`.
    Short(&'static str),
    /// Another control character, as `\u00XX`.
    Control(u8),
}

impl JsonChar {
    // Inlined into both callers: each keeps only what it needs of the match (measured: 52 B of
    // gzip fewer than a call).
    #[inline(always)]
    fn of(c: char) -> Self {
        match c {
            '"' => Self::Short("\\\""),
            '\\' => Self::Short("\\\\"),
            '\n' => Self::Short("\\n"),
            '\r' => Self::Short("\\r"),
            '\t' => Self::Short("\\t"),
            c if (c as u32) < 0x20 => Self::Control(c as u8),
            c => Self::Plain(c),
        }
    }

    fn len(&self) -> usize {
        match self {
            Self::Plain(c) => c.len_utf8(),
            Self::Short(escape) => escape.len(),
            Self::Control(_) => 6,
        }
    }
}

/// Appends `value` as a JSON string literal (RFC 8259 §7). Written by hand so the wasm binary
/// carries no JSON library; tokens are opaque strings from the app's backend and must round-trip
/// exactly, whatever they contain.
fn push_json_string(out: &mut String, value: &str) {
    out.push('"');
    for c in value.chars() {
        match JsonChar::of(c) {
            JsonChar::Plain(c) => out.push(c),
            JsonChar::Short(escape) => out.push_str(escape),
            JsonChar::Control(byte) => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(HEX[usize::from(byte >> 4)] as char);
                out.push(HEX[usize::from(byte & 0xf)] as char);
            }
        }
    }
    out.push('"');
}
