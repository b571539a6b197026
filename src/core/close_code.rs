//! What each WebSocket close code means for the session: the one place that decides whether to
//! reconnect. The table is documented in PROTOCOL.md; keep the two in step.

/// Normal closure.
pub const NORMAL: u16 = 1000;
/// The server went away (restart, deploy).
pub const GOING_AWAY: u16 = 1001;
/// Closed with no close frame: network loss, server crash, failed connect.
pub const ABNORMAL: u16 = 1006;
/// No `auth_response` (or `reauth_response`) in time.
pub const AUTH_TIMEOUT: u16 = 4001;
/// Authentication failed or required.
pub const AUTH_FAILED: u16 = 4003;
/// Client-side: the token could not be had for this attempt (network error, 5xx); a retry follows.
/// Never 1000, which means "finished" to the server and to the reader of a close event.
pub const TOKEN_UNAVAILABLE: u16 = 4004;
/// Too many connections for this IP or user.
pub const TOO_MANY_CONNECTIONS: u16 = 4007;
/// Rate limit exceeded.
pub const RATE_LIMITED: u16 = 4008;
/// A message was too large.
pub const MESSAGE_TOO_LARGE: u16 = 4009;
/// Client-side: no `pong` within `heartbeat.timeoutMs` (the connection is half-open).
pub const HEARTBEAT_TIMEOUT: u16 = 4010;

/// Server-side: a newer connection resumed this session, so this one is closed.
pub const SESSION_TAKEN_OVER: u16 = 4011;
/// Client-side: a numbered message skipped ahead (a hole in the stream); resuming fills it.
pub const SEQUENCE_GAP: u16 = 4012;
/// Client-side: the page was frozen or put in the back/forward cache; the SDK reconnects when it
/// is shown again. (Scripts may only send 1000 or 3000–4999, so not 1001.)
pub const PAGE_SUSPENDED: u16 = 4014;
/// Client-side: the tab that led a shared connection handed it to another tab, which resumes
/// the session (1000 would end the session on the server).
pub const HANDED_OVER: u16 = 4015;

/// What to do after a close the user did not ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseAction {
    /// Reconnect after the backoff delay, with a fresh token (every connect fetches one).
    Reconnect,
    /// The server ended the session on purpose: stay closed.
    Stop,
}

/// Classifies a close code. Only a deliberate `1000` from the server is terminal; everything else
/// (including auth failures, which a fresh token may cure, and rate limits, which the backoff
/// respects) reconnects, bounded by `reconnect.maxAttempts`.
pub fn classify(code: u16) -> CloseAction {
    match code {
        NORMAL => CloseAction::Stop,
        _ => CloseAction::Reconnect,
    }
}
