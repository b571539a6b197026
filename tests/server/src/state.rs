//! What the server shares between requests: sessions, live connections, fault settings, and the
//! audit trail the tests read.

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicU64, Ordering},
        Mutex, MutexGuard,
    },
};

use tokio::sync::{mpsc, Notify};

use crate::{config::ServerConfig, tokens::TokenIssuer};

/// An instruction to a connection's task.
#[derive(Debug, Clone)]
pub enum Outgoing {
    /// Send this text frame.
    Text(String),
    /// Close with this code and reason.
    Close(u16, String),
}

/// A live WebSocket connection, as the rest of the server sees it.
pub struct Connection {
    /// Its task's inbox.
    pub tx: mpsc::UnboundedSender<Outgoing>,
    /// The authenticated user, once there is one.
    pub user: Option<String>,
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
#[derive(Debug, Default, Clone, Copy)]
pub struct Faults {
    /// Answer the next N `auth` frames with a rejection.
    pub reject_auth: u32,
    /// Leave the next N `auth` frames unanswered (the client's auth timeout fires).
    pub drop_auth: u32,
    /// Send nothing at all on this user's connections (half-open: TCP up, no answers).
    pub silent: bool,
    /// Answer the next `token_failures` token requests with this status instead of a token.
    pub token_status: u16,
    /// How many token requests still get `token_status`.
    pub token_failures: u32,
}

/// Everything behind a lock, taken briefly and never across an await.
#[derive(Default)]
pub struct Shared {
    /// session id (cookie) → user.
    pub sessions: HashMap<String, String>,
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
}

impl AppState {
    /// State for `config`.
    pub fn new(config: ServerConfig) -> Self {
        let tokens = TokenIssuer::new(&config.jwt_secret, config.token_lifetime_secs);
        Self {
            config,
            tokens,
            shared: Mutex::new(Shared::default()),
            next_connection: AtomicU64::new(1),
            frame_recorded: Notify::new(),
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

    /// Whether `origin` may fetch tokens and open sockets.
    pub fn origin_allowed(&self, origin: &str) -> bool {
        self.config.allowed_origins.iter().any(|allowed| allowed == origin)
    }
}
