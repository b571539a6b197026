//! What the server shares between requests: sessions, live connections, fault settings, and the
//! audit trail the tests read.

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc, Mutex, MutexGuard, OnceLock,
    },
};

use axum::extract::ws::Message;
use tokio::sync::{mpsc, Notify};

use crate::{
    config::ServerConfig,
    login_sessions::LoginSessions,
    login_throttle::LoginThrottle,
    session_resume::ResumeStore,
    tokens::{SpentTokens, TokenIssuer},
};

/// An instruction to a connection's task that must not wait behind its outgoing frames.
#[derive(Debug, Clone)]
pub enum Control {
    /// Close with this code and reason (closing handshake included).
    Close(u16, String),
    /// Drop the connection without a close frame and reset the TCP connection (`/test/drop`).
    Abort,
    /// Stop reading the socket (true) or read again (false): the `stallReads` fault.
    StallReads(bool),
}

/// A live WebSocket connection, as the rest of the server sees it.
pub struct Connection {
    /// Frames waiting to be written, bounded (`OUTGOING_QUEUE`): see [`Connection::deliver`].
    pub outbox: mpsc::Sender<Message>,
    /// Closes and aborts, which overtake queued frames.
    pub control: mpsc::UnboundedSender<Control>,
    /// The authenticated user, once there is one.
    pub user: Option<String>,
    /// The login session whose token authenticated it (logout closes it).
    pub login_session: Option<String>,
    /// The peer's address, for the per-IP cap.
    pub ip: std::net::IpAddr,
    /// The `silent` fault: nothing is written (half-open: TCP up, no answers).
    pub silent: bool,
    /// A `pong` is queued and not yet taken by the writer: it answers every `ping` until then
    /// (the writer clears it), so pings cannot fill the queue however many come at once.
    pub pong_queued: Arc<AtomicBool>,
}

impl Connection {
    /// Queues a text frame. A peer so far behind that its queue is full is closed with
    /// [`crate::ws::close::TOO_SLOW`] instead of letting the queue grow.
    pub fn deliver(&self, text: String) {
        if self.silent {
            return;
        }
        if let Err(mpsc::error::TrySendError::Full(_)) = self.outbox.try_send(Message::Text(text.into())) {
            let _ = self.control.send(Control::Close(crate::ws::close::TOO_SLOW, "too slow".into()));
        }
    }

    /// Queues a `pong`, unless one is queued already: that one answers this `ping` too, since it
    /// is written after it was read.
    pub fn deliver_pong(&self) {
        if self.silent || self.pong_queued.swap(true, Ordering::SeqCst) {
            return;
        }
        self.deliver(crate::outbox::PONG.to_owned());
    }

    /// Asks the connection to close with `code`.
    pub fn close(&self, code: u16, reason: &str) {
        let _ = self.control.send(Control::Close(code, reason.into()));
    }
}

/// What one connection received, kept after it closes so tests can inspect it.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct History {
    /// The user it authenticated as, if it did.
    pub user: Option<String>,
    /// Every frame it received, in order, token fields redacted.
    pub frames: Vec<String>,
}

/// Fault injections for one user, set through `/test/faults`. Keyed by user so that tests
/// running side by side cannot consume each other's faults.
#[derive(Debug, Default, Clone, Copy, serde::Deserialize, serde::Serialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct Faults {
    /// Answer the next N `auth` frames with a rejection.
    pub reject_auth: u32,
    /// Leave the next N `auth` frames unanswered (the client's auth timeout fires).
    pub drop_auth: u32,
    /// Send nothing at all on this user's connections (half-open: TCP up, no answers).
    pub silent: bool,
    /// Stop reading this user's live connections (a server too busy to read): what the client
    /// sends piles up in the TCP buffers and then in the browser's `bufferedAmount`. Setting the
    /// faults again without it reads on.
    pub stall_reads: bool,
    /// Delay the next N `auth_response`s by `delay_auth_ms`.
    pub delay_auth: u32,
    /// How long a delayed `auth_response` waits.
    pub delay_auth_ms: u64,
    /// Answer the next `token_failures` token requests with this status instead of a token.
    pub token_status: u16,
    /// How many token requests still get `token_status`.
    pub token_failures: u32,
    /// Leave the next N token requests unanswered until the client gives up (bounded by
    /// [`crate::controls::TOKEN_HANG_LIMIT`]).
    pub token_hang: u32,
    /// Accept the next N `auth`s (a successful `auth_response`), then close at once with
    /// `close_after_auth_code`.
    pub close_after_auth: u32,
    /// The code of those closes; 0 means 1011 (internal error, a crashing server).
    pub close_after_auth_code: u16,
    /// Ignore `resume` offers, as a server that predates resumable sessions (what
    /// `RESUMABLE_SESSIONS=0` does for every user): this user's sends are at most once.
    pub ignore_resume: bool,
}

/// Everything behind a lock, taken briefly and never across an await.
#[derive(Default)]
pub struct Shared {
    /// Login sessions (the cookie), with their expiry.
    pub sessions: LoginSessions,
    /// Token ids already used, until the tokens expire: a token authenticates once.
    pub spent_tokens: SpentTokens,
    /// Failed logins per user and per address.
    pub login_throttle: LoginThrottle,
    /// Resumable sessions, attached or waiting for a resume.
    pub resume: ResumeStore,
    /// Token requests held open by the `tokenHang` fault right now.
    pub hanging_token_requests: usize,
    /// connection id → connection.
    pub connections: HashMap<u64, Connection>,
    /// Request URIs in arrival order (path and query), for the no-token-in-URL audit.
    pub seen_uris: Vec<String>,
    /// Every token issued, to audit URIs and logs against. Test servers only.
    pub issued_tokens: Vec<String>,
    /// connection id → what it received.
    pub history: HashMap<u64, History>,
    /// user → fault injections.
    pub faults: HashMap<String, Faults>,
    /// Refuse this many more upgrades with 503 (a fault control; upgrades carry no user yet).
    pub refuse_upgrades: u32,
    /// The chat rooms.
    pub rooms: crate::chat::Rooms,
    /// user → tokens minted (`TOKENS_PER_MINUTE`).
    pub token_minting: crate::rate_limit::PerUser,
    /// user → the application-message bucket its last connection ended with: a new connection
    /// starts from it (refilled for the time passed), so reconnecting gains no messages.
    pub app_rate_carry: crate::rate_limit::PerUser,
}

/// Application state.
pub struct AppState {
    /// The configuration it runs with.
    pub config: ServerConfig,
    /// Issues and verifies tokens.
    pub tokens: TokenIssuer,
    shared: Mutex<Shared>,
    next_connection: AtomicU64,
    /// Woken whenever a frame is recorded, for `/test/wait`.
    pub frame_recorded: Notify,
    /// Woken whenever a connection ends or a held token request is released (tests wait on it).
    pub connections_changed: Notify,
    /// Signalled by `/test/restart`: the listener closes and binds again.
    pub restart: Notify,
    /// `http://127.0.0.1:PORT` once bound: the server's own pages may always use the API.
    self_origin: OnceLock<String>,
    /// Every log line, when the configuration asks to keep them (tests read them back).
    log_lines: Mutex<Vec<String>>,
    /// The TLS certificate served, as PEM (tests trust it).
    certificate_pem: OnceLock<String>,
}

impl AppState {
    /// State for `config`.
    pub fn new(config: ServerConfig) -> Self {
        let tokens = TokenIssuer::new(&config.jwt_secret, config.token_lifetime_secs);
        let shared =
            Shared { rooms: crate::chat::Rooms::new(config.limits.rooms_per_client), ..Shared::default() };
        Self {
            config,
            tokens,
            shared: Mutex::new(shared),
            next_connection: AtomicU64::new(1),
            frame_recorded: Notify::new(),
            restart: Notify::new(),
            connections_changed: Notify::new(),
            self_origin: OnceLock::new(),
            log_lines: Mutex::new(Vec::new()),
            certificate_pem: OnceLock::new(),
        }
    }

    /// The shared state. A panic while it was held cannot leave it inconsistent in a way that
    /// matters to a test server, so a poisoned lock is simply taken over.
    pub fn shared(&self) -> MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A fresh connection id.
    pub fn connection_id(&self) -> u64 {
        self.next_connection.fetch_add(1, Ordering::Relaxed)
    }

    /// Whether `origin` may fetch tokens and open sockets: exactly one of the configured origins,
    /// or the server's own.
    pub fn origin_allowed(&self, origin: &str) -> bool {
        self.self_origin.get().is_some_and(|own| own == origin)
            || self.config.allowed_origins.iter().any(|allowed| allowed == origin)
    }

    /// Records the origin the server itself is reachable at, once bound.
    pub fn set_self_origin(&self, origin: String) {
        let _ = self.self_origin.set(origin);
    }

    /// Records the TLS certificate being served.
    pub fn set_certificate_pem(&self, pem: String) {
        let _ = self.certificate_pem.set(pem);
    }

    /// The TLS certificate being served, if any.
    pub fn certificate_pem(&self) -> Option<&str> {
        self.certificate_pem.get().map(String::as_str)
    }

    /// Consumes one "refuse the next upgrade" fault, if any is set.
    pub fn take_refused_upgrade(&self) -> bool {
        let mut shared = self.shared();
        let refuse = shared.refuse_upgrades > 0;
        shared.refuse_upgrades = shared.refuse_upgrades.saturating_sub(1);
        refuse
    }

    /// The server log: one line on stderr (and kept, when `capture_log` is set). Callers pass
    /// only what is safe to keep: user names, codes, ids. Never a token, cookie or password; text a
    /// client chose only through [`client_text`]. Control characters (and the Unicode line and
    /// paragraph separators) are escaped here whatever the caller passed, so nothing a client
    /// sends can end a line and forge the next.
    pub fn log(&self, line: &str) {
        let line = escape_controls(line);
        if self.config.log_to_stderr {
            eprintln!("[secure-ws-test-server] {line}");
        }
        if self.config.capture_log {
            self.log_lines.lock().unwrap_or_else(|p| p.into_inner()).push(line);
        }
    }

    /// Whether faults can be set at all (test controls or the demo's own faults): without them,
    /// no fault lookup is made on any event.
    pub fn faults_enabled(&self) -> bool {
        self.config.test_controls || self.config.demo_faults
    }

    /// Forgets resumable sessions detached for longer than the replay window, and their rooms: a
    /// batch at a time, so the lock is never held for long however many expire at once.
    pub fn sweep_sessions(&self) {
        let config = self.config.resume;
        loop {
            let mut shared = self.shared();
            let expired = shared.resume.expire(std::time::Instant::now(), &config, crate::ws::EXPIRE_BATCH);
            for member in &expired {
                shared.rooms.disconnect(*member);
            }
            drop(shared);
            if expired.len() < crate::ws::EXPIRE_BATCH {
                return;
            }
            std::thread::yield_now();
        }
    }

    /// The kept log lines.
    pub fn log_lines(&self) -> Vec<String> {
        self.log_lines.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// The longest piece of client-chosen text a log line quotes, in characters.
pub const CLIENT_TEXT_CHARS: usize = 64;

/// Client-chosen text for a log line: quoted, escaped, and cut to [`CLIENT_TEXT_CHARS`] (a `…`
/// says so), so it reads as data and cannot grow a line without bound.
pub fn client_text(text: &str) -> String {
    let mut cut: String = text.chars().take(CLIENT_TEXT_CHARS).collect();
    if cut.len() < text.len() {
        cut.push('…');
    }
    format!("{cut:?}")
}

/// `line` with every control character, U+2028 and U+2029 written as an escape (`\n`, `\u{2028}`).
fn escape_controls(line: &str) -> String {
    let mut escaped = String::with_capacity(line.len());
    for c in line.chars() {
        if c.is_control() || c == '\u{2028}' || c == '\u{2029}' {
            escaped.extend(c.escape_default());
        } else {
            escaped.push(c);
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_lines_cannot_hold_a_line_break_and_client_text_is_quoted_and_bounded() {
        assert_eq!(escape_controls("a\nb\r\u{1b}[2J\u{2028}c"), "a\\nb\\r\\u{1b}[2J\\u{2028}c");
        assert_eq!(client_text("x\ny"), "\"x\\ny\"");
        let long = client_text(&"é".repeat(100));
        assert_eq!(long.chars().count(), CLIENT_TEXT_CHARS + 3, "{long}");
    }
}
