//! `SessionCore`: the connection lifecycle as a sans-IO state machine.
//!
//! ```text
//!            ┌──────────────────── close() / 401 / give up ───────────────────┐
//!            ▼                                                                │
//!  new ─► Connecting ──token + open──► Authenticating ──auth ok──► Authenticated ◄─┐
//!  (fetch token ∥ open socket)              │                         │   reauth ok│
//!            ▲                              │ fail/timeout            └────────────┘
//!            │                              ▼                         │ close/timeout
//!            └─────── backoff elapsed ── Reconnecting ◄───────────────┘
//! ```
//!
//! The driver feeds in what happened (`handle_*`, `send`, `close`) and then runs every
//! [`Action`] from [`SessionCore::poll_action`], and arranges to call
//! [`SessionCore::handle_timeout`] at [`SessionCore::poll_timeout`]. The driver promises that
//! after it runs [`Action::CloseSocket`] it reports nothing more about that socket.

use std::collections::VecDeque;

use super::{
    backoff::Backoff,
    close_code::{self, CloseAction},
    config::Config,
    error::{ErrorCode, SdkError, SendError},
    protocol::{FrameError, Inbound, OutboundFrame, Payload, Verdict},
    queue::SendQueue,
    token::{TokenError, TokenGrant},
    Millis,
};

/// The public state, as `ws.state` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Fetching a token and opening a socket.
    Connecting,
    /// `auth` sent; waiting for `auth_response`.
    Authenticating,
    /// The server confirmed; messages flow.
    Authenticated,
    /// Waiting out a backoff delay (or for the network) before the next attempt.
    Reconnecting,
    /// Finished for good: `close()`, a terminal failure, or attempts exhausted.
    Closed,
}

impl State {
    /// The string users see: `'connecting'`, `'authenticating'`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connecting => "connecting",
            Self::Authenticating => "authenticating",
            Self::Authenticated => "authenticated",
            Self::Reconnecting => "reconnecting",
            Self::Closed => "closed",
        }
    }
}

/// Something the driver must do. `P` is an application message's payload (see [`Payload`]).
#[derive(Debug, PartialEq)]
pub enum Action<M, P = String> {
    /// Get a fresh token; answer with [`SessionCore::handle_token`].
    FetchToken,
    /// Open a socket to the configured URL (no credential in it); report with `handle_open`,
    /// `handle_frame`, `handle_invalid_frame` and `handle_close`.
    OpenSocket,
    /// Send this protocol frame on the current socket.
    Send(OutboundFrame),
    /// Send this application message on the current socket.
    SendApp(P),
    /// Close the current socket with this code and reason, and forget it.
    CloseSocket {
        /// 1000 or a 4xxx code from [`close_code`].
        code: u16,
        /// A short human-readable reason.
        reason: &'static str,
    },
    /// Tell the user.
    Emit(Event<M>),
}

/// Something the user is told, as an event of the same name.
#[derive(Debug, Clone, PartialEq)]
pub enum Event<M> {
    /// `state`: the public state changed.
    State(State),
    /// `authenticated`: the server accepted the token.
    Authenticated {
        /// The `userId` the server confirmed.
        user_id: Option<String>,
    },
    /// `message`: an application message, as parsed.
    Message(M),
    /// `reconnecting`: the next attempt starts after `delay_ms`.
    Reconnecting {
        /// 1 for the first retry after a loss, counting up until authentication succeeds.
        attempt: u32,
        /// The delay chosen by the backoff.
        delay_ms: Millis,
    },
    /// `close`: a socket closed.
    Close {
        /// The close code (from the server, the browser, or the SDK).
        code: u16,
        /// The close reason.
        reason: String,
        /// Whether a reconnect will follow.
        will_reconnect: bool,
    },
    /// `error`: something went wrong; see the code.
    Error(SdkError),
}

/// Where the lifecycle stands, with the deadlines that belong to each step.
#[derive(Debug)]
enum Phase {
    /// Token fetch and socket open run in parallel; `auth` goes out when both are done.
    Connecting {
        deadline: Millis,
        grant: Option<TokenGrant>,
        refresh_at: Option<Millis>,
        open: bool,
    },
    Authenticating {
        deadline: Millis,
        refresh_at: Option<Millis>,
    },
    Authenticated(Live),
    Backoff {
        until: Millis,
    },
    /// The backoff elapsed while the browser was offline: wait for `online`.
    WaitingForNetwork,
    Closed,
}

impl Phase {
    fn has_socket(&self) -> bool {
        matches!(self, Self::Connecting { .. } | Self::Authenticating { .. } | Self::Authenticated(_))
    }
}

/// Timers of an authenticated connection.
#[derive(Debug)]
struct Live {
    /// When to start the next re-authentication.
    reauth_at: Option<Millis>,
    /// A re-authentication under way: token fetch and `reauth_response` must finish by then.
    reauth_deadline: Option<Millis>,
    /// When to send the next heartbeat ping.
    ping_at: Option<Millis>,
    /// The pong for the last ping must arrive by then.
    pong_deadline: Option<Millis>,
    /// When the token sent in the pending `reauth` should itself be refreshed.
    pending_refresh: Option<Millis>,
}

/// What follows the loss of a socket.
enum Next {
    /// Reconnect if attempts remain.
    Retry,
    /// End the session, telling the user why when it is an error.
    Stop(Option<SdkError>),
}

/// The connection lifecycle: tokens, authentication, re-authentication, heartbeat, the send
/// queue and reconnects. `M` is a parsed application message and `P` an outgoing one, both
/// opaque to the core but for `P`'s size.
#[derive(Debug)]
pub struct SessionCore<M, P = String> {
    config: Config,
    phase: Phase,
    queue: SendQueue<P>,
    backoff: Backoff,
    /// Reconnect attempts since the last successful authentication.
    attempts: u32,
    /// A token fetch is under way; any step that needs a token shares it.
    fetching_token: bool,
    online: bool,
    state: State,
    actions: VecDeque<Action<M, P>>,
}

impl<M, P: Payload> SessionCore<M, P> {
    /// Starts a session at `now`: the first actions are a token fetch and a socket open.
    /// `seed` drives the backoff jitter.
    pub fn new(config: Config, seed: u64, now: Millis) -> Self {
        let mut core = Self {
            queue: SendQueue::new(config.max_queued_messages),
            backoff: Backoff::new(config.reconnect, seed),
            config,
            phase: Phase::Closed,
            attempts: 0,
            fetching_token: false,
            online: true,
            state: State::Connecting,
            actions: VecDeque::new(),
        };
        core.connect(now);
        core
    }

    /// The public state.
    pub fn state(&self) -> State {
        self.state
    }

    /// How many messages wait for an authenticated connection.
    pub fn queued_count(&self) -> usize {
        self.queue.len()
    }

    /// When the next re-authentication starts, if one is scheduled (authenticated, and re-auth
    /// not disabled). For diagnostics panels: the time, never the token.
    pub fn next_reauth_at(&self) -> Option<Millis> {
        match &self.phase {
            Phase::Authenticated(live) => live.reauth_at,
            _ => None,
        }
    }

    /// The next thing the driver must do, oldest first.
    pub fn poll_action(&mut self) -> Option<Action<M, P>> {
        self.actions.pop_front()
    }

    /// When the driver must call [`Self::handle_timeout`] next, if ever.
    pub fn poll_timeout(&self) -> Option<Millis> {
        match &self.phase {
            Phase::Connecting { deadline, .. } | Phase::Authenticating { deadline, .. } => Some(*deadline),
            Phase::Backoff { until } => Some(*until),
            Phase::Authenticated(live) => {
                [live.reauth_at, live.reauth_deadline, live.ping_at, live.pong_deadline]
                    .into_iter()
                    .flatten()
                    .min()
            }
            Phase::WaitingForNetwork | Phase::Closed => None,
        }
    }

    /// The user's `send()`: goes out now when authenticated, else waits in the queue.
    pub fn send(&mut self, message: P) -> Result<(), SendError> {
        if self.state == State::Closed {
            return Err(SendError::Closed);
        }
        let (bytes, limit) = (message.byte_len(), self.config.max_message_bytes);
        if bytes > limit {
            return Err(SendError::MessageTooLarge { bytes, limit });
        }
        if let Phase::Authenticated(_) = self.phase {
            self.actions.push_back(Action::SendApp(message));
            Ok(())
        } else {
            self.queue.push(message)
        }
    }

    /// The user's `close()`: close 1000, no reconnect, nothing fires afterwards.
    pub fn close(&mut self, now: Millis) {
        if self.state == State::Closed {
            return;
        }
        // Actions already decided but not yet run would otherwise fire after `close()`. Sends
        // stay: they were accepted before the close, like a browser WebSocket's buffered data.
        self.actions.retain(|action| matches!(action, Action::Send(_) | Action::SendApp(_)));
        self.queue.clear();
        if self.phase.has_socket() {
            self.abort_socket(now, close_code::NORMAL, "closed by client", Next::Stop(None));
        } else {
            self.finish(None);
        }
    }

    /// The token source answered.
    pub fn handle_token(&mut self, now: Millis, result: Result<TokenGrant, TokenError>) {
        self.fetching_token = false;
        let grant = match result {
            Ok(grant) => grant,
            Err(TokenError::Unauthorized) => return self.unauthorized(now),
            Err(TokenError::Unavailable(why)) => return self.token_unavailable(now, &why),
            Err(TokenError::Invalid(why)) => return self.token_unavailable(now, why),
        };
        // Refresh at 80 % of the token's lifetime, so a re-auth completes before it expires.
        let refresh_at = grant.lifetime_ms.filter(|ms| *ms > 0).map(|ms| now + ms / 5 * 4);
        match &mut self.phase {
            Phase::Connecting { grant: slot @ None, refresh_at: slot_refresh, open, .. } => {
                let open = *open;
                *slot = Some(grant);
                *slot_refresh = refresh_at;
                if open {
                    self.send_auth(now);
                }
            }
            Phase::Authenticated(live) if live.reauth_deadline.is_some() => {
                live.pending_refresh = refresh_at;
                self.actions.push_back(Action::Send(OutboundFrame::reauth(&grant.token)));
            }
            // Nobody waits for it any more (the connection it was for is gone): it is dropped,
            // and so zeroed.
            _ => {}
        }
    }

    /// The socket opened.
    pub fn handle_open(&mut self, now: Millis) {
        if let Phase::Connecting { open: open @ false, grant, .. } = &mut self.phase {
            *open = true;
            if grant.is_some() {
                self.send_auth(now);
            }
        }
    }

    /// A well-formed frame arrived on the current socket.
    pub fn handle_frame(&mut self, now: Millis, frame: Inbound<M>) {
        if !self.phase.has_socket() {
            return;
        }
        match frame {
            Inbound::Ping => self.actions.push_back(Action::Send(OutboundFrame::pong())),
            Inbound::Pong => {
                if let (Phase::Authenticated(live), Some(heartbeat)) =
                    (&mut self.phase, self.config.heartbeat)
                {
                    live.pong_deadline = None;
                    live.ping_at = Some(now + heartbeat.interval_ms);
                }
            }
            Inbound::Error { code, message } => {
                self.emit(Event::Error(SdkError::new(ErrorCode::Server(code), message)));
            }
            Inbound::AuthResponse(verdict) => self.auth_response(now, verdict),
            Inbound::ReauthResponse(verdict) => self.reauth_response(now, verdict),
            Inbound::App(message) => {
                if let Phase::Authenticated(_) = self.phase {
                    self.emit(Event::Message(message));
                } else {
                    self.invalid_frame("application message before authentication");
                }
            }
        }
    }

    /// A frame arrived that could not be classified: reported, dropped, connection kept.
    pub fn handle_invalid_frame(&mut self, error: FrameError) {
        if self.phase.has_socket() {
            self.invalid_frame(&error.to_string());
        }
    }

    /// The current socket closed (by the server, the network, or a failed connect).
    pub fn handle_close(&mut self, now: Millis, code: u16, reason: String) {
        if !self.phase.has_socket() {
            return;
        }
        let next = match close_code::classify(code) {
            CloseAction::Reconnect => Next::Retry,
            CloseAction::Stop => Next::Stop(None),
        };
        self.socket_gone(now, code, reason, next);
    }

    /// The browser went offline or online. Offline pauses reconnecting; online resumes at once.
    pub fn handle_network(&mut self, now: Millis, online: bool) {
        self.online = online;
        if online && matches!(self.phase, Phase::Backoff { .. } | Phase::WaitingForNetwork) {
            self.connect(now);
        }
    }

    /// The time given by [`Self::poll_timeout`] (or later) has come.
    pub fn handle_timeout(&mut self, now: Millis) {
        let due = |at: Option<Millis>| at.is_some_and(|at| at <= now);
        match &mut self.phase {
            Phase::Connecting { deadline, .. } if *deadline <= now => {
                self.abort_socket(now, close_code::AUTH_TIMEOUT, "connect timeout", Next::Retry);
            }
            Phase::Authenticating { deadline, .. } if *deadline <= now => {
                self.abort_socket(now, close_code::AUTH_TIMEOUT, "authentication timeout", Next::Retry);
            }
            Phase::Backoff { until } if *until <= now => {
                if self.online {
                    self.connect(now);
                } else {
                    self.phase = Phase::WaitingForNetwork;
                }
            }
            Phase::Authenticated(live) => {
                if due(live.pong_deadline) {
                    self.abort_socket(now, close_code::HEARTBEAT_TIMEOUT, "heartbeat timeout", Next::Retry);
                } else if due(live.reauth_deadline) {
                    self.abort_socket(
                        now,
                        close_code::AUTH_TIMEOUT,
                        "re-authentication timeout",
                        Next::Retry,
                    );
                } else {
                    if due(live.ping_at) {
                        live.ping_at = None;
                        live.pong_deadline = self.config.heartbeat.map(|h| now + h.timeout_ms);
                        self.actions.push_back(Action::Send(OutboundFrame::ping()));
                    }
                    if due(live.reauth_at) {
                        live.reauth_at = None;
                        live.reauth_deadline = Some(now + self.config.reauth_timeout_ms);
                        self.request_token();
                    }
                }
            }
            _ => {}
        }
    }

    fn connect(&mut self, now: Millis) {
        self.phase = Phase::Connecting {
            deadline: now + self.config.auth_timeout_ms,
            grant: None,
            refresh_at: None,
            open: false,
        };
        self.request_token();
        self.actions.push_back(Action::OpenSocket);
        self.set_state(State::Connecting);
    }

    fn request_token(&mut self) {
        if !self.fetching_token {
            self.fetching_token = true;
            self.actions.push_back(Action::FetchToken);
        }
    }

    /// Both the token and the open socket are there: authenticate with the first message.
    fn send_auth(&mut self, now: Millis) {
        let Phase::Connecting { grant: Some(grant), refresh_at, .. } = &self.phase else {
            return;
        };
        self.actions.push_back(Action::Send(OutboundFrame::auth(&grant.token)));
        let refresh_at = *refresh_at;
        // Replacing the phase drops the grant: the token is zeroed as soon as it is sent.
        self.phase = Phase::Authenticating { deadline: now + self.config.auth_timeout_ms, refresh_at };
        self.set_state(State::Authenticating);
    }

    fn auth_response(&mut self, now: Millis, verdict: Verdict) {
        let Phase::Authenticating { refresh_at, .. } = self.phase else {
            return self.invalid_frame("unexpected auth_response");
        };
        match verdict {
            Verdict::Accepted { user_id } => {
                self.attempts = 0;
                // Queued sends leave before any event, so a handler that sends or closes cannot
                // overtake them.
                for message in self.queue.drain() {
                    self.actions.push_back(Action::SendApp(message));
                }
                self.phase = Phase::Authenticated(Live {
                    reauth_at: self.next_reauth(now, refresh_at),
                    reauth_deadline: None,
                    ping_at: self.config.heartbeat.map(|h| now + h.interval_ms),
                    pong_deadline: None,
                    pending_refresh: None,
                });
                self.set_state(State::Authenticated);
                self.emit(Event::Authenticated { user_id });
            }
            Verdict::Rejected { error } => {
                self.emit(Event::Error(SdkError::new(ErrorCode::AuthFailed, rejected("token", &error))));
                self.abort_socket(now, close_code::AUTH_FAILED, "authentication failed", Next::Retry);
            }
        }
    }

    fn reauth_response(&mut self, now: Millis, verdict: Verdict) {
        let Phase::Authenticated(live) = &mut self.phase else {
            return self.invalid_frame("unexpected reauth_response");
        };
        if live.reauth_deadline.is_none() {
            return self.invalid_frame("unexpected reauth_response");
        }
        match verdict {
            Verdict::Accepted { .. } => {
                live.reauth_deadline = None;
                let refresh_at = live.pending_refresh.take();
                let next = self.next_reauth(now, refresh_at);
                if let Phase::Authenticated(live) = &mut self.phase {
                    live.reauth_at = next;
                }
            }
            Verdict::Rejected { error } => {
                self.emit(Event::Error(SdkError::new(
                    ErrorCode::ReauthFailed,
                    rejected("fresh token", &error),
                )));
                self.abort_socket(now, close_code::AUTH_FAILED, "re-authentication failed", Next::Retry);
            }
        }
    }

    /// The earlier of the periodic re-auth and the refresh before the token expires.
    fn next_reauth(&self, now: Millis, refresh_at: Option<Millis>) -> Option<Millis> {
        let interval = self.config.reauth_interval_ms;
        let periodic = (interval > 0).then(|| now + interval);
        periodic.into_iter().chain(refresh_at).min()
    }

    fn unauthorized(&mut self, now: Millis) {
        if self.state == State::Closed {
            return;
        }
        let error = SdkError::new(
            ErrorCode::Unauthorized,
            "the token endpoint answered 401/403: the user is not logged in",
        );
        if self.phase.has_socket() {
            self.abort_socket(now, close_code::NORMAL, "not authorized", Next::Stop(Some(error)));
        } else {
            self.finish(Some(error));
        }
    }

    fn token_unavailable(&mut self, now: Millis, why: &str) {
        let message = format!("could not get a token: {why}");
        match &mut self.phase {
            Phase::Connecting { .. } => {
                self.emit(Event::Error(SdkError::new(ErrorCode::TokenUnavailable, message)));
                self.abort_socket(now, close_code::NORMAL, "token unavailable", Next::Retry);
            }
            Phase::Authenticated(live) if live.reauth_deadline.is_some() => {
                // The connection itself is fine: try the re-auth again shortly rather than
                // tearing down a working socket over a hiccup of the token endpoint.
                live.reauth_deadline = None;
                live.reauth_at = Some(now + self.config.reauth_timeout_ms);
                self.emit(Event::Error(SdkError::new(ErrorCode::TokenUnavailable, message)));
            }
            _ => {}
        }
    }

    fn invalid_frame(&mut self, why: &str) {
        self.emit(Event::Error(SdkError::new(ErrorCode::InvalidFrame, why)));
    }

    /// Closes the current socket from our side, then continues as if it had closed.
    fn abort_socket(&mut self, now: Millis, code: u16, reason: &'static str, next: Next) {
        self.actions.push_back(Action::CloseSocket { code, reason });
        self.socket_gone(now, code, reason.to_owned(), next);
    }

    /// The socket is gone, whoever closed it: one `close` event, then a reconnect or the end.
    fn socket_gone(&mut self, now: Millis, code: u16, reason: String, next: Next) {
        let retry = matches!(next, Next::Retry);
        let will_reconnect = retry && self.attempts < self.config.reconnect.max_attempts;
        // Leaving the socket phase first drops any token it held.
        self.phase = Phase::Closed;
        self.emit(Event::Close { code, reason, will_reconnect });
        match next {
            Next::Retry if will_reconnect => self.schedule_reconnect(now),
            Next::Retry => {
                let attempts = self.attempts;
                self.finish(Some(SdkError::new(
                    ErrorCode::ReconnectFailed,
                    format!("gave up after {attempts} reconnect attempts"),
                )));
            }
            Next::Stop(error) => self.finish(error),
        }
    }

    fn schedule_reconnect(&mut self, now: Millis) {
        let delay_ms = self.backoff.delay(self.attempts);
        self.attempts += 1;
        self.phase = Phase::Backoff { until: now + delay_ms };
        self.set_state(State::Reconnecting);
        self.emit(Event::Reconnecting { attempt: self.attempts, delay_ms });
    }

    /// Ends the session for good. Queued messages cannot be sent any more: an error says how
    /// many were discarded, so nothing disappears unannounced. (`close()` empties the queue
    /// itself first: the user asked for it, and `queuedCount` showed what was waiting.)
    fn finish(&mut self, error: Option<SdkError>) {
        let discarded = self.queue.len();
        self.queue.clear();
        self.phase = Phase::Closed;
        let error = match error {
            None if discarded > 0 => Some(SdkError::new(ErrorCode::Closed, "the connection ended")),
            error => error,
        };
        if let Some(mut error) = error {
            if discarded > 0 {
                error.message.push_str(&format!("; {discarded} queued messages were discarded"));
            }
            self.emit(Event::Error(error));
        }
        self.set_state(State::Closed);
    }

    fn set_state(&mut self, state: State) {
        if self.state != state {
            self.state = state;
            self.emit(Event::State(state));
        }
    }

    fn emit(&mut self, event: Event<M>) {
        self.actions.push_back(Action::Emit(event));
    }
}

fn rejected(what: &str, error: &str) -> String {
    if error.is_empty() {
        format!("the server rejected the {what}")
    } else {
        format!("the server rejected the {what}: {error}")
    }
}
