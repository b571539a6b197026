//! The WebSocket endpoint: origin check before upgrading, connection caps, authentication by first
//! message within a deadline with single-use tokens, re-authentication and token expiry on live
//! sockets, rate and size limits, backpressure, protocol pings that catch dead peers, the closing
//! handshake, and the application messages (sequenced and resumable when the client asks).

use std::{
    net::IpAddr,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};

use axum::{
    extract::{
        ws::{Message, WebSocket, WebSocketUpgrade},
        ConnectInfo, State,
    },
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Extension,
};
use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio::{
    sync::mpsc,
    time::{Instant, MissedTickBehavior},
};

use crate::{
    chat,
    frames::{self, FrameError, Inbound, ResumeOffer},
    http::origin,
    outbox::{close_frame, spawn_writer},
    rate_limit::RateLimit,
    session_resume::{Delivered, Resumed},
    state::{client_text, AppState, Connection, Control, History, Shared},
    tokens::{now_secs, Claims},
};

/// Close codes of the protocol (PROTOCOL.md).
pub mod close {
    /// Normal closure.
    pub const NORMAL: u16 = 1000;
    /// A WebSocket protocol violation (RFC 6455: unmasked frame, reserved bits, unknown opcode,
    /// oversized or fragmented control frame, stray continuation).
    pub const PROTOCOL_ERROR: u16 = 1002;
    /// Binary frames are not part of the protocol (RFC 6455 "unsupported data").
    pub const UNSUPPORTED_DATA: u16 = 1003;
    /// A text frame that is not UTF-8 (RFC 6455 "invalid frame payload data").
    pub const INVALID_PAYLOAD: u16 = 1007;
    /// Internal error (the `closeAfterAuth` fault's default: a crashing server).
    pub const INTERNAL_ERROR: u16 = 1011;
    /// No `auth` in time.
    pub const AUTH_TIMEOUT: u16 = 4001;
    /// Authentication failed or required, or the token expired without a `reauth`.
    pub const AUTH_FAILED: u16 = 4003;
    /// Too many connections from this IP or for this user.
    pub const TOO_MANY_CONNECTIONS: u16 = 4007;
    /// Rate limit exceeded.
    pub const RATE_LIMITED: u16 = 4008;
    /// Message too large.
    pub const MESSAGE_TOO_LARGE: u16 = 4009;
    /// The session was resumed on another connection.
    pub const SESSION_TAKEN_OVER: u16 = 4011;
    /// A `msg` skipped a sequence number (the client resumes, which fills the gap).
    pub const SEQUENCE_GAP: u16 = 4012;
    /// The peer reads too slowly: its outgoing queue is full.
    pub const TOO_SLOW: u16 = 4013;
}

/// What a `msg` envelope may add to an application message's size: `maxMessageBytes` bounds the
/// message, not the envelope around it.
pub const MSG_ENVELOPE_BYTES: usize = 64;
/// Expired sessions forgotten under one hold of the lock (the sweeper takes the rest in turns).
pub const EXPIRE_BATCH: usize = 64;
/// Acknowledge after this many unacknowledged client messages…
pub const ACK_EVERY: u32 = 32;
/// …or this long after the first one, whichever comes first (PROTOCOL.md).
pub const ACK_DELAY: Duration = Duration::from_millis(100);

/// Set when `/test/drop` aborts a connection: the TCP stream then resets instead of closing
/// (see `serve::TrackedStream`).
#[derive(Clone, Default)]
pub struct AbortFlag(pub Arc<AtomicBool>);

/// `GET /ws`: refuses a foreign `Origin` with 403 before upgrading.
pub async fn upgrade(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    abort: Option<Extension<AbortFlag>>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    if !origin(&headers).is_some_and(|o| state.origin_allowed(o)) {
        state.log("refused upgrade: origin not allowed");
        return StatusCode::FORBIDDEN.into_response();
    }
    if state.take_refused_upgrade() {
        state.log("refused upgrade: fault control");
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    // The library's own limit sits well above ours, so an oversized frame reaches `on_text` and
    // gets the protocol's 4009 instead of a bare transport error.
    let transport_limit = state.config.limits.max_message_bytes.saturating_mul(4).max(64 * 1024);
    let abort = abort.map(|Extension(flag)| flag).unwrap_or_default();
    upgrade
        .max_message_size(transport_limit)
        .max_frame_size(transport_limit)
        // The library preallocates a 128 KiB read buffer per connection by default: most of a
        // connection's memory, for messages that are at most 10 KiB. It grows when it must.
        .read_buffer_size(4 * 1024)
        .write_buffer_size(4 * 1024)
        .on_upgrade(move |socket| run(state, socket, peer.ip(), abort))
}

/// What the connection's task must do besides the frames already queued by the logic.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Close with this code and reason (after the frames queued before it).
    Close(u16, String),
    /// Wait this long, then call [`ConnectionLogic::finish_auth`] (the delayed-auth fault).
    FinishAuthAfter(Duration),
}

/// A connection's channels, as its task holds them.
pub struct Channels {
    /// Frames to write, in order.
    pub outbox: mpsc::Receiver<Message>,
    /// The task's own way into the outbox (pings and closes).
    pub outbox_sender: mpsc::Sender<Message>,
    /// Closes and aborts.
    pub control: mpsc::UnboundedReceiver<Control>,
    /// Set while a `pong` waits in the outbox (the writer clears it).
    pub pong_queued: Arc<AtomicBool>,
}

/// An authentication that passed its checks and waits for the delay fault to run out.
struct PendingAuth {
    claims: Claims,
    resume: Option<ResumeOffer>,
    close_after: Option<u16>,
}

/// One connection's protocol state, without any socket: the task feeds it frames and deadlines,
/// and it queues replies on the connection's outbox (under the shared lock, so that replies,
/// replays and other connections' deliveries keep one order). Tests drive it directly.
pub struct ConnectionLogic {
    id: u64,
    user: Option<String>,
    app_rate: RateLimit,
    control_rate: RateLimit,
    /// When the current token (plus grace) runs out without a `reauth`.
    token_deadline: Option<Instant>,
    /// The resumable session, when the client negotiated one.
    session: Option<String>,
    /// Room identity: the session's when there is one, else the connection's id.
    member: u64,
    unacked_in: u32,
    ack_due: Option<Instant>,
    pending_auth: Option<PendingAuth>,
    /// The client closed with 1000: its session ends too.
    closed_normally: bool,
    /// A resume left messages to write (more than the outgoing queue had room for): the
    /// connection's task writes them as the queue drains, before anything newer of the session.
    replaying: bool,
}

impl ConnectionLogic {
    /// Registers a new connection from `ip`. Returns its logic, its channels, and whether it is
    /// over the per-address cap (then it must be closed 4007 at once).
    pub fn register(state: &AppState, ip: IpAddr, now: Instant) -> (Self, Channels, bool) {
        let id = state.connection_id();
        let limits = state.config.limits;
        let (outbox_tx, outbox) = mpsc::channel(limits.outgoing_queue.max(1));
        let (control_tx, control) = mpsc::unbounded_channel();
        let pong_queued = Arc::new(AtomicBool::new(false));
        let over_ip_cap = {
            let mut shared = state.shared();
            let from_ip = shared.connections.values().filter(|c| c.ip == ip).count();
            let connection = Connection {
                outbox: outbox_tx.clone(),
                control: control_tx,
                user: None,
                login_session: None,
                ip,
                silent: false,
                pong_queued: pong_queued.clone(),
            };
            shared.connections.insert(id, connection);
            if state.config.test_controls {
                shared.history.insert(id, History::default());
            }
            from_ip >= limits.connections_per_ip
        };
        let logic = Self {
            id,
            user: None,
            app_rate: RateLimit::new(limits.messages_per_minute, now.into()),
            control_rate: RateLimit::new(limits.control_frames_per_minute, now.into()),
            token_deadline: None,
            session: None,
            member: id,
            unacked_in: 0,
            ack_due: None,
            pending_auth: None,
            closed_normally: false,
            replaying: false,
        };
        (logic, Channels { outbox, outbox_sender: outbox_tx, control, pong_queued }, over_ip_cap)
    }

    /// The connection's id.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Handles one text frame from the client.
    pub fn on_text(&mut self, state: &AppState, text: &str, now: Instant) -> Vec<Action> {
        let limits = state.config.limits;
        let allowance = if self.session.is_some() { MSG_ENVELOPE_BYTES } else { 0 };
        if text.len() > limits.max_message_bytes + allowance {
            state.log(&format!("connection {}: frame of {} bytes refused", self.id, text.len()));
            return vec![Action::Close(close::MESSAGE_TOO_LARGE, "message too large".into())];
        }
        let frame = match frames::classify(text) {
            Ok(frame) => frame,
            // `auth` must be the first frame: anything else, well-formed or not, closes 4003.
            Err(_) if self.user.is_none() && self.pending_auth.is_none() => {
                return self.authentication_required(state);
            }
            Err(_) if self.user.is_none() => return vec![],
            Err(error) => {
                if !self.app_rate.allow(now.into()) {
                    return self.rate_limited(state);
                }
                let message = match error {
                    FrameError::NotJson => "frames must be JSON",
                    FrameError::NoType => "frames must be objects with a string type",
                    FrameError::BadSequenced => {
                        "ack and msg need a whole-number seq and an application message"
                    }
                };
                record(state, self.id, text);
                self.emit(&state.shared(), error_frame("invalid_message", message));
                return vec![];
            }
        };
        record(state, self.id, text);
        // A second `auth` is a client error answered with an `error` frame, like an invalid frame:
        // it counts as an application message, so a burst of them cannot fill the outgoing queue.
        let is_app = matches!(frame, Inbound::Msg { .. } | Inbound::App(_))
            || (self.user.is_some() && matches!(frame, Inbound::Auth { .. }));
        let allowed =
            if is_app { self.app_rate.allow(now.into()) } else { self.control_rate.allow(now.into()) };
        if !allowed {
            return self.rate_limited(state);
        }
        let Some(user) = self.user.clone() else {
            return match frame {
                Inbound::Auth { token, resume } if self.pending_auth.is_none() => {
                    self.authenticate(state, token.as_deref(), resume, now)
                }
                // Frames that arrive while a delayed auth is pending are dropped: the client
                // must not send before `auth_response`.
                _ if self.pending_auth.is_some() => vec![],
                _ => self.authentication_required(state),
            };
        };
        match frame {
            Inbound::Reauth { token } => self.reauthenticate(state, &user, token.as_deref(), now),
            Inbound::Ping => {
                if let Some(connection) = state.shared().connections.get(&self.id) {
                    connection.deliver_pong();
                }
                vec![]
            }
            Inbound::Pong => vec![],
            Inbound::Ack { seq } => {
                let mut shared = state.shared();
                if let Some(session) = self.attached_session(&mut shared) {
                    session.ack(seq);
                }
                vec![]
            }
            Inbound::Msg { seq, data } => self.on_msg(state, &user, seq, data, now),
            Inbound::App(value) => self.on_app(state, &user, value, Some(text), now),
            // A second `auth` on an authenticated connection is not an application message.
            Inbound::Auth { .. } => {
                self.emit(&state.shared(), error_frame("invalid_message", "already authenticated"));
                vec![]
            }
        }
    }

    /// A protocol-level (RFC 6455) ping or pong from the client: a control frame like an app-level
    /// `ping`, counted against the same allowance (the library answers pings itself).
    pub fn on_transport_control(&mut self, state: &AppState, now: Instant) -> Vec<Action> {
        if self.control_rate.allow(now.into()) {
            vec![]
        } else {
            self.rate_limited(state)
        }
    }

    /// The answer to a first frame that is not `auth`: a rejection, then 4003.
    fn authentication_required(&self, state: &AppState) -> Vec<Action> {
        let reply = json!({"type": "auth_response", "success": false, "error": "authentication required"});
        self.emit(&state.shared(), reply.to_string());
        vec![Action::Close(close::AUTH_FAILED, "authentication required".into())]
    }

    fn rate_limited(&self, state: &AppState) -> Vec<Action> {
        state.log(&format!("connection {}: rate limit exceeded", self.id));
        self.emit(&state.shared(), error_frame("rate_limited", "too many messages"));
        vec![Action::Close(close::RATE_LIMITED, "rate limit exceeded".into())]
    }

    /// A sequenced application message of the session.
    fn on_msg(
        &mut self,
        state: &AppState,
        user: &str,
        seq: u64,
        data: Option<Value>,
        now: Instant,
    ) -> Vec<Action> {
        let fresh = {
            let mut shared = state.shared();
            let Some(session) = self.attached_session(&mut shared) else {
                // Not negotiated, or the session moved to another connection (which now owns it).
                self.emit(&shared, error_frame("invalid_message", "no session on this connection"));
                return vec![];
            };
            if seq > session.received + 1 {
                let expected = session.received + 1;
                drop(shared);
                state.log(&format!("connection {}: msg seq {seq} skips ahead of {expected}", self.id));
                return vec![Action::Close(close::SEQUENCE_GAP, "sequence gap".into())];
            }
            let fresh = seq == session.received + 1;
            if fresh {
                session.received = seq;
            }
            fresh
        };
        // A duplicate (a resend after a resume) is dropped, but acknowledged again so the client
        // stops resending it.
        let actions = match data {
            Some(data) if fresh => self.on_app(state, user, data, None, now),
            // Numbered but no application message: counted (and acknowledged) all the same, so
            // the session lives on; the client hears why nothing came of it.
            None if fresh => {
                let message = "msg data must be an object with a string type that names no protocol frame";
                self.emit(&state.shared(), error_frame("invalid_message", message));
                vec![]
            }
            _ => vec![],
        };
        self.unacked_in += 1;
        if self.unacked_in >= ACK_EVERY {
            self.send_ack(state);
        } else if self.ack_due.is_none() {
            self.ack_due = Some(now + ACK_DELAY);
        }
        actions
    }

    /// When the batched acknowledgement is due, if one is pending.
    pub fn ack_due(&self) -> Option<Instant> {
        self.ack_due
    }

    /// Sends the pending cumulative acknowledgement.
    pub fn send_ack(&mut self, state: &AppState) {
        self.unacked_in = 0;
        self.ack_due = None;
        let mut shared = state.shared();
        let Some(received) = self.attached_session(&mut shared).map(|s| s.received) else { return };
        self.emit(&shared, json!({"type": "ack", "seq": received}).to_string());
    }

    /// An application message, sequenced or not. `raw` is the frame as sent (echo repeats it
    /// verbatim, so tests see exactly what arrived).
    fn on_app(
        &mut self,
        state: &AppState,
        user: &str,
        value: Value,
        raw: Option<&str>,
        now: Instant,
    ) -> Vec<Action> {
        let kind = value.get("type").and_then(Value::as_str).unwrap_or_default().to_owned();
        if kind == "echo" {
            let text = raw.map(str::to_owned).unwrap_or_else(|| value.to_string());
            let mut shared = state.shared();
            route(state, &mut shared, self.member, &text, now);
            return vec![];
        }
        let mut shared = state.shared();
        match chat::parse(&value).and_then(|message| shared.rooms.apply(self.member, user, message)) {
            Ok(deliveries) => {
                for (target, text) in deliveries {
                    route(state, &mut shared, target, &text, now);
                }
            }
            Err(refusal) => {
                self.emit(&shared, refusal.frame());
                drop(shared);
                let (kind, detail) = (client_text(&kind), client_text(&refusal.detail));
                state.log(&format!("connection {}: refused {kind}: {detail}", self.id));
            }
        }
        vec![]
    }

    /// The session this connection negotiated, if it is still attached here.
    fn attached_session<'a>(
        &self,
        shared: &'a mut Shared,
    ) -> Option<&'a mut crate::session_resume::ResumeSession> {
        let id = self.session.as_deref()?;
        shared.resume.get_mut(id).filter(|s| s.attached == Some(self.id))
    }

    /// Whether a replay waits to be written ([`ConnectionLogic::write_replay`]).
    pub fn replaying(&self) -> bool {
        self.replaying
    }

    /// Writes the next replayed message with `permit` (a place in the outgoing queue), then as
    /// many more as the queue has room for.
    pub fn write_replay(&mut self, state: &AppState, permit: mpsc::Permit<'_, Message>) {
        let mut shared = state.shared();
        let silent = shared.connections.get(&self.id).is_none_or(|c| c.silent);
        match self.attached_session(&mut shared).and_then(|s| s.next_to_write()) {
            Some(frame) if !silent => permit.send(Message::Text(frame.into())),
            Some(_) => {}
            None => {
                self.replaying = false;
                return;
            }
        }
        self.flush_replay(&mut shared);
    }

    /// Queues replayed messages while the outgoing queue has room; clears `replaying` once none
    /// is left. Never closes 4013: the replay waits in the session, bounded there.
    fn flush_replay(&mut self, shared: &mut Shared) {
        if !self.replaying {
            return;
        }
        let id = self.id;
        let Shared { connections, resume, .. } = shared;
        let Some(session) = self.session.as_deref().and_then(|s| resume.get_mut(s)) else {
            self.replaying = false;
            return;
        };
        let Some(connection) = connections.get(&id).filter(|_| session.attached == Some(id)) else {
            self.replaying = false;
            return;
        };
        while session.backlog() {
            if connection.silent {
                while session.next_to_write().is_some() {}
                break;
            }
            let Ok(permit) = connection.outbox.try_reserve() else { return };
            match session.next_to_write() {
                Some(frame) => permit.send(Message::Text(frame.into())),
                None => break,
            }
        }
        self.replaying = false;
    }

    /// Queues a protocol frame for this connection (unsequenced).
    fn emit(&self, shared: &Shared, text: String) {
        if let Some(connection) = shared.connections.get(&self.id) {
            connection.deliver(text);
        }
    }

    fn authenticate(
        &mut self,
        state: &AppState,
        token: Option<&str>,
        resume: Option<ResumeOffer>,
        now: Instant,
    ) -> Vec<Action> {
        let id = self.id;
        let Some(claims) = token.and_then(|t| state.tokens.verify(t)) else {
            return self.reject(state, "invalid token");
        };
        let mut shared = state.shared();
        // The audit names the user as soon as the token proves who it is, even if a check then
        // rejects it, so tests can follow every attempt a user made.
        if let Some(history) = shared.history.get_mut(&id) {
            history.user = Some(claims.user_id.clone());
        }
        // A token is good for one use, and only while the login that minted it lasts.
        let Some(login) = shared.sessions.by_handle(&claims.sess, now.into()) else {
            drop(shared);
            return self.reject(state, "login session ended");
        };
        let reject_demo = std::mem::take(&mut login.reject_next_auth);
        if !shared.spent_tokens.spend(&claims, now_secs()) {
            drop(shared);
            return self.reject(state, "token already used");
        }
        if reject_demo {
            drop(shared);
            return self.reject(state, "demo fault");
        }
        // Taken by an authentication that succeeds, not by one refused above.
        let ignore_resume_demo = shared
            .sessions
            .by_handle(&claims.sess, now.into())
            .is_some_and(|login| std::mem::take(&mut login.ignore_next_resume));
        let mut delay = None;
        let mut close_after = None;
        let mut resume = resume.filter(|_| !ignore_resume_demo);
        if state.faults_enabled() {
            if let Some(faults) = shared.faults.get_mut(&claims.user_id) {
                if faults.drop_auth > 0 {
                    faults.drop_auth -= 1;
                    return vec![];
                }
                if faults.reject_auth > 0 {
                    faults.reject_auth -= 1;
                    drop(shared);
                    return self.reject(state, "fault control");
                }
                if faults.delay_auth > 0 {
                    faults.delay_auth -= 1;
                    delay = Some(Duration::from_millis(faults.delay_auth_ms));
                }
                if faults.ignore_resume {
                    resume = None;
                }
                if faults.close_after_auth > 0 {
                    faults.close_after_auth -= 1;
                    close_after = Some(match faults.close_after_auth_code {
                        0 => close::INTERNAL_ERROR,
                        code => code,
                    });
                }
            }
        }
        drop(shared);
        self.pending_auth = Some(PendingAuth { claims, resume, close_after });
        match delay {
            Some(delay) => vec![Action::FinishAuthAfter(delay)],
            None => self.finish_auth(state, Instant::now()),
        }
    }

    /// Completes an authentication that passed its checks: the user cap, the session (new or
    /// resumed), `auth_response` and the replay, all queued under one lock so nothing delivered
    /// to the session can overtake them.
    pub fn finish_auth(&mut self, state: &AppState, now: Instant) -> Vec<Action> {
        let Some(PendingAuth { claims, resume, close_after }) = self.pending_auth.take() else {
            return vec![];
        };
        let id = self.id;
        let user = claims.user_id.clone();
        let mut shared = state.shared();
        // Checked again under the lock that marks the connection as the login's: a logout since
        // `authenticate` (which let the lock go) found no connection of that login to close.
        if shared.sessions.by_handle(&claims.sess, now.into()).is_none() {
            drop(shared);
            return self.reject(state, "login session ended");
        }
        let user_connections =
            shared.connections.values().filter(|c| c.user.as_deref() == Some(&user)).count();
        if user_connections >= state.config.limits.connections_per_user {
            drop(shared);
            state.log(&format!("connection {id}: refused, too many connections for one user"));
            return vec![Action::Close(close::TOO_MANY_CONNECTIONS, "too many connections".into())];
        }
        let silent = state.faults_enabled() && shared.faults.get(&user).is_some_and(|f| f.silent);
        if let Some(connection) = shared.connections.get_mut(&id) {
            connection.user = Some(user.clone());
            connection.login_session = Some(claims.sess.clone());
            connection.silent = silent;
        }
        // Reconnecting gains nothing: the connection continues the user's last application bucket.
        if let Some(last) = shared.app_rate_carry.get(&user) {
            self.app_rate.at_most(last, now.into());
        }
        self.user = Some(user.clone());
        self.token_deadline = Some(token_deadline(&claims, state.config.limits.token_expiry_grace, now));
        let mut reply = json!({"type": "auth_response", "success": true, "userId": user});
        let mut taken_from = None;
        if let Some(offer) = resume.filter(|_| state.config.resume.enabled) {
            let config = state.config.resume;
            for member in shared.resume.expire(now.into(), &config, EXPIRE_BATCH) {
                shared.rooms.disconnect(member);
            }
            let mut resumed = None;
            if let Some(session_id) = &offer.session_id {
                let (outcome, discarded) =
                    shared.resume.resume(session_id, &user, offer.last_seq, id, now.into(), &config);
                if let Some(member) = discarded {
                    shared.rooms.disconnect(member);
                }
                if let Resumed::Yes { previous, received } = outcome {
                    taken_from = previous;
                    let member = shared.resume.get_mut(session_id).map(|s| s.member).unwrap_or(id);
                    resumed = Some((session_id.clone(), member, received));
                }
            }
            let (session_id, member, received, was_resumed) = match resumed {
                Some((session_id, member, received)) => (session_id, member, received, true),
                None => {
                    let member = state.connection_id();
                    (shared.resume.open(&user, member, id), member, 0, false)
                }
            };
            reply["session"] = json!({"id": session_id, "resumed": was_resumed, "lastSeq": received});
            reply["limits"] = json!({
                "messagesPerMinute": state.config.limits.messages_per_minute,
                "maxMessageBytes": state.config.limits.max_message_bytes,
            });
            self.session = Some(session_id);
            self.member = member;
        }
        self.emit(&shared, reply.to_string());
        // The replay (what follows the client's lastSeq), as much as the queue takes now; the rest
        // as it drains (`write_replay`).
        self.replaying = true;
        self.flush_replay(&mut shared);
        if let Some(previous) = taken_from.and_then(|c| shared.connections.get(&c)) {
            previous.close(close::SESSION_TAKEN_OVER, "session taken over");
        }
        drop(shared);
        let resumed = if taken_from.is_some() || self.session.is_some() { " (session)" } else { "" };
        state.log(&format!("connection {id}: authenticated user={user}{resumed}"));
        match close_after {
            Some(code) => vec![Action::Close(code, "closed after auth (fault control)".into())],
            None => vec![],
        }
    }

    fn reauthenticate(
        &mut self,
        state: &AppState,
        user: &str,
        token: Option<&str>,
        now: Instant,
    ) -> Vec<Action> {
        let claims = token.and_then(|t| state.tokens.verify(t)).filter(|c| c.user_id == user);
        // One hold of the lock from the login session's check to the connection's new
        // `login_session`, so a logout cannot fall in between and miss this socket.
        let mut shared = state.shared();
        let accepted = claims.filter(|claims| {
            shared.sessions.by_handle(&claims.sess, now.into()).is_some()
                && shared.spent_tokens.spend(claims, now_secs())
        });
        if let Some(claims) = accepted {
            self.token_deadline = Some(token_deadline(&claims, state.config.limits.token_expiry_grace, now));
            if let Some(connection) = shared.connections.get_mut(&self.id) {
                connection.login_session = Some(claims.sess);
            }
            self.emit(&shared, json!({"type": "reauth_response", "success": true}).to_string());
            return vec![];
        }
        self.emit(
            &shared,
            json!({"type": "reauth_response", "success": false, "error": "invalid token"}).to_string(),
        );
        drop(shared);
        state.log(&format!("connection {}: reauth rejected", self.id));
        vec![Action::Close(close::AUTH_FAILED, "re-authentication failed".into())]
    }

    fn reject(&self, state: &AppState, why: &str) -> Vec<Action> {
        state.log(&format!("connection {}: auth rejected ({why})", self.id));
        let reply = json!({"type": "auth_response", "success": false, "error": "invalid token"});
        self.emit(&state.shared(), reply.to_string());
        vec![Action::Close(close::AUTH_FAILED, "authentication failed".into())]
    }

    /// When the token runs out (grace included) without a `reauth`.
    pub fn token_deadline(&self) -> Option<Instant> {
        self.token_deadline
    }

    /// Whether the connection has authenticated.
    pub fn is_authenticated(&self) -> bool {
        self.user.is_some()
    }

    /// The client sent a Close frame with `code`.
    pub fn on_client_close(&mut self, code: Option<u16>) {
        self.closed_normally = code == Some(close::NORMAL);
    }

    /// Forgets the connection: its rooms (or its session's, when the client closed normally),
    /// and otherwise detaches its session, which then waits for a resume.
    pub fn unregister(&self, state: &AppState, now: Instant) {
        let mut shared = state.shared();
        shared.connections.remove(&self.id);
        if let Some(user) = &self.user {
            shared.app_rate_carry.keep_lower(user, &self.app_rate, now.into());
        }
        match &self.session {
            Some(session) if self.closed_normally && shared.resume.is_attached_to(session, self.id) => {
                if let Some(member) = shared.resume.discard(session) {
                    shared.rooms.disconnect(member);
                }
            }
            Some(session) => {
                let config = state.config.resume;
                for member in shared.resume.detach(session, self.id, now.into(), &config) {
                    shared.rooms.disconnect(member);
                }
            }
            None => shared.rooms.disconnect(self.id),
        }
        drop(shared);
        state.connections_changed.notify_waiters();
    }
}

/// Delivers an application message `text` to room member `target`: numbered and kept for replay
/// when the member is a session (and written if it is attached), written directly otherwise.
pub fn route(state: &AppState, shared: &mut Shared, target: u64, text: &str, now: Instant) {
    let config = state.config.resume;
    let (connection, frame) = match shared.resume.deliver(target, text, now.into(), &config) {
        Delivered::NotASession => (target, text.to_owned()),
        Delivered::Write { connection, frame } => (connection, frame),
        Delivered::Kept => return,
        Delivered::Lost { member, connection } => {
            // Its replay buffer could not hold what its client has not had: the session is gone,
            // and a resume will say so (`resumed: false`) instead of skipping messages.
            shared.rooms.disconnect(member);
            if let Some(connection) = connection.and_then(|c| shared.connections.get(&c)) {
                connection.close(close::TOO_SLOW, "too slow");
            }
            return;
        }
    };
    if let Some(connection) = shared.connections.get(&connection) {
        connection.deliver(frame);
    }
}

fn token_deadline(claims: &Claims, grace: Duration, now: Instant) -> Instant {
    let left = Duration::from_secs(claims.exp.saturating_sub(now_secs()));
    now + left + grace
}

async fn run(state: Arc<AppState>, socket: WebSocket, ip: IpAddr, abort: AbortFlag) {
    let limits = state.config.limits;
    let (mut logic, channels, over_ip_cap) = ConnectionLogic::register(&state, ip, Instant::now());
    let id = logic.id();
    let Channels { outbox: outbox_rx, outbox_sender: outbox, control: mut control_rx, pong_queued } =
        channels;
    let (sink, mut stream) = socket.split();
    let (urgent_tx, urgent_rx) = mpsc::channel(1);
    let mut writer = spawn_writer(sink, outbox_rx, urgent_rx, pong_queued, limits.write_timeout);
    let auth_deadline = tokio::time::sleep(state.config.auth_deadline);
    tokio::pin!(auth_deadline);
    let mut pings = tokio::time::interval_at(Instant::now() + limits.ping_interval, limits.ping_interval);
    pings.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut awaiting_pong = false;
    let far = || Instant::now() + Duration::from_secs(86_400);
    // The `stallReads` fault: the stream is not polled, so the peer's frames wait in TCP buffers.
    let mut stalled = false;

    // How the connection ends: closed by us with a code, or gone (dead peer, abort).
    enum End {
        Close(u16),
        Gone,
        PeerClosed,
    }
    let end = if over_ip_cap {
        state.log(&format!("connection {id}: refused, too many connections from one address"));
        End::Close(close::TOO_MANY_CONNECTIONS)
    } else {
        'events: loop {
            let token_deadline = logic.token_deadline().unwrap_or_else(far);
            let ack_due = logic.ack_due().unwrap_or_else(far);
            let actions = tokio::select! {
                incoming = stream.next(), if !stalled => match incoming {
                    Some(Ok(Message::Text(text))) => logic.on_text(&state, text.as_str(), Instant::now()),
                    Some(Ok(Message::Binary(_))) => {
                        vec![Action::Close(close::UNSUPPORTED_DATA, "binary frames are not accepted".into())]
                    }
                    Some(Ok(Message::Pong(_))) => {
                        awaiting_pong = false;
                        logic.on_transport_control(&state, Instant::now())
                    }
                    Some(Ok(Message::Close(frame))) => {
                        logic.on_client_close(frame.map(|f| f.code));
                        break 'events End::PeerClosed;
                    }
                    // Protocol pings are answered by the library; they count as control frames.
                    Some(Ok(Message::Ping(_))) => logic.on_transport_control(&state, Instant::now()),
                    Some(Err(error)) => match close_for_read_error(error) {
                        Some((code, reason)) => {
                            state.log(&format!("connection {id}: {reason}"));
                            vec![Action::Close(code, reason.into())]
                        }
                        None => break 'events End::Gone,
                    },
                    None => break 'events End::Gone,
                },
                control = control_rx.recv() => match control {
                    Some(Control::Close(code, reason)) if code == close::TOO_SLOW => {
                        state.log(&format!("connection {id}: too slow, closing {code}"));
                        let _ = urgent_tx.try_send(close_frame(code, &reason));
                        break 'events End::Close(code);
                    }
                    Some(Control::Close(code, reason)) => vec![Action::Close(code, reason)],
                    Some(Control::StallReads(stall)) => {
                        stalled = stall;
                        vec![]
                    }
                    Some(Control::Abort) => {
                        abort.0.store(true, Ordering::SeqCst);
                        state.log(&format!("connection {id}: dropped (fault control)"));
                        break 'events End::Gone;
                    }
                    None => break 'events End::Gone,
                },
                () = &mut auth_deadline, if !logic.is_authenticated() => {
                    vec![Action::Close(close::AUTH_TIMEOUT, "authentication timeout".into())]
                }
                () = tokio::time::sleep_until(token_deadline), if logic.token_deadline().is_some() => {
                    state.log(&format!("connection {id}: token expired without reauth"));
                    vec![Action::Close(close::AUTH_FAILED, "token expired".into())]
                }
                () = tokio::time::sleep_until(ack_due), if logic.ack_due().is_some() => {
                    logic.send_ack(&state);
                    vec![]
                }
                permit = outbox.reserve(), if logic.replaying() => match permit {
                    Ok(permit) => {
                        logic.write_replay(&state, permit);
                        vec![]
                    }
                    Err(_) => break 'events End::Gone,
                },
                _ = pings.tick() => {
                    if awaiting_pong {
                        state.log(&format!("connection {id}: no pong, terminated"));
                        break 'events End::Gone;
                    }
                    awaiting_pong = true;
                    if let Err(mpsc::error::TrySendError::Full(_)) = outbox.try_send(Message::Ping(Default::default())) {
                        let _ = urgent_tx.try_send(close_frame(close::TOO_SLOW, "too slow"));
                        break 'events End::Close(close::TOO_SLOW);
                    }
                    vec![]
                }
                _ = &mut writer => break 'events End::Gone,
            };
            for action in actions {
                match action {
                    Action::Close(code, reason) => {
                        // After the frames already queued (an error frame explains the close);
                        // ahead of them when the queue is full.
                        if outbox.try_send(Message::Close(Some(close_frame(code, &reason)))).is_err() {
                            let _ = urgent_tx.try_send(close_frame(code, &reason));
                        }
                        break 'events End::Close(code);
                    }
                    Action::FinishAuthAfter(delay) => {
                        tokio::time::sleep(delay).await;
                        for action in logic.finish_auth(&state, Instant::now()) {
                            if let Action::Close(code, reason) = action {
                                let _ = outbox.try_send(Message::Close(Some(close_frame(code, &reason))));
                                break 'events End::Close(code);
                            }
                        }
                    }
                }
            }
        }
    };
    match end {
        End::Close(code) => {
            if over_ip_cap {
                let _ = outbox.try_send(Message::Close(Some(close_frame(code, "too many connections"))));
            }
            state.log(&format!("closing connection {id} with {code}"));
            // RFC 6455 closing handshake: keep reading (and discarding) until the peer's Close
            // or a timeout, so the peer reads our Close frame instead of a reset.
            let _ = tokio::time::timeout(limits.close_timeout, async {
                while let Some(Ok(message)) = stream.next().await {
                    if matches!(message, Message::Close(_)) {
                        break;
                    }
                }
            })
            .await;
            // Let the writer finish the Close it may still be writing, within the same bound.
            let _ = tokio::time::timeout(limits.close_timeout, &mut writer).await;
        }
        End::PeerClosed => {
            // The library queued the reply to the peer's Close; reading on flushes it, and the
            // peer then closes the TCP connection.
            let _ = tokio::time::timeout(limits.close_timeout, async {
                while let Some(Ok(_)) = stream.next().await {}
            })
            .await;
        }
        End::Gone => {}
    }
    writer.abort();
    logic.unregister(&state, Instant::now());
}

/// The Close a read error calls for, when the socket can still carry one: a text frame that is not
/// UTF-8 → 1007; a protocol violation → 1002; a frame or message over the transport's own cap
/// (which sits above `MAX_MESSAGE_BYTES`) → 4009, as for any message over the limit. `None` when
/// the connection is gone (an I/O error, a reset, a close already done): there is nobody to tell.
fn close_for_read_error(error: axum::Error) -> Option<(u16, &'static str)> {
    use axum_tungstenite::error::{CapacityError, Error, ProtocolError};
    let error = error.into_inner().downcast::<Error>().ok()?;
    match *error {
        Error::Utf8(_) => Some((close::INVALID_PAYLOAD, "invalid UTF-8")),
        Error::Capacity(CapacityError::MessageTooLong { .. }) => {
            Some((close::MESSAGE_TOO_LARGE, "message too large"))
        }
        Error::Protocol(
            ProtocolError::ResetWithoutClosingHandshake
            | ProtocolError::ReceivedAfterClosing
            | ProtocolError::SendAfterClosing,
        ) => None,
        Error::Protocol(_) => Some((close::PROTOCOL_ERROR, "protocol error")),
        _ => None,
    }
}

/// A generic error for the client: a code and a fixed message, never internals.
fn error_frame(code: &str, message: &str) -> String {
    json!({"type": "error", "code": code, "message": message}).to_string()
}

/// Keeps the frame for the tests (only with `--test-controls`), with any token replaced: the
/// audit trail must not hold one.
fn record(state: &AppState, id: u64, text: &str) {
    if !state.config.test_controls {
        return;
    }
    let Ok(mut frame) = serde_json::from_str::<Value>(text) else { return };
    if let Some(token) = frame.get_mut("token") {
        *token = Value::String("<redacted>".into());
    }
    if let Some(history) = state.shared().history.get_mut(&id) {
        history.frames.push(frame.to_string());
    }
    state.frame_recorded.notify_waiters();
}
