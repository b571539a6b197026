//! The WebSocket endpoint: origin check before upgrading, connection caps, authentication by first
//! message within a deadline, re-authentication, rate and size limits, protocol pings that catch
//! dead peers, and the application messages.

use std::{net::IpAddr, sync::Arc, time::Duration};

use axum::{
    extract::{
        ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade},
        ConnectInfo, State,
    },
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use serde_json::{json, Value};
use tokio::{
    sync::mpsc,
    time::{Instant, MissedTickBehavior},
};

use crate::{
    chat,
    http::origin,
    rate_limit::RateLimit,
    state::{AppState, Connection, History, Outgoing},
};

/// Close codes of the protocol (PROTOCOL.md).
pub mod close {
    /// No `auth` in time.
    pub const AUTH_TIMEOUT: u16 = 4001;
    /// Authentication failed or required.
    pub const AUTH_FAILED: u16 = 4003;
    /// Too many connections from this IP or for this user.
    pub const TOO_MANY_CONNECTIONS: u16 = 4007;
    /// Rate limit exceeded.
    pub const RATE_LIMITED: u16 = 4008;
    /// Message too large.
    pub const MESSAGE_TOO_LARGE: u16 = 4009;
    /// Binary frames are not part of the protocol (RFC 6455 "unsupported data").
    pub const UNSUPPORTED_DATA: u16 = 1003;
}

/// `GET /ws`: refuses a foreign `Origin` with 403 before upgrading.
pub async fn upgrade(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
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
    // The library's own limit sits well above ours, so an oversized frame reaches `session` and
    // gets the protocol's 4009 instead of a bare transport error.
    let transport_limit = state.config.limits.max_message_bytes.saturating_mul(4).max(64 * 1024);
    upgrade
        .max_message_size(transport_limit)
        .max_frame_size(transport_limit)
        // The library preallocates a 128 KiB read buffer per connection by default: most of a
        // connection's memory, for messages that are at most 10 KiB. It grows when it must.
        .read_buffer_size(4 * 1024)
        .write_buffer_size(4 * 1024)
        .on_upgrade(move |socket| session(state, socket, peer.ip()))
}

/// What the connection does after an event.
enum Step {
    /// Send these frames and go on.
    Send(Vec<String>),
    /// Wait, then send this frame (the delayed-auth fault).
    SendLater(Duration, String),
    /// Send this frame, then close.
    SendThenClose(String, u16, &'static str),
    /// Close.
    Close(u16, &'static str),
}

/// One connection's state.
struct Session {
    id: u64,
    user: Option<String>,
    rate: RateLimit,
    awaiting_pong: bool,
}

async fn session(state: Arc<AppState>, mut socket: WebSocket, ip: IpAddr) {
    let id = state.connection_id();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let limits = state.config.limits;
    let over_ip_cap = {
        let mut shared = state.shared();
        let from_ip = shared.connections.values().filter(|c| c.ip == ip).count();
        shared.connections.insert(id, Connection { tx, user: None, ip });
        if state.config.test_controls {
            shared.history.insert(id, History::default());
        }
        from_ip >= limits.connections_per_ip
    };
    let mut conn = Session {
        id,
        user: None,
        rate: RateLimit::new(limits.messages_per_minute, Instant::now().into()),
        awaiting_pong: false,
    };
    let auth_deadline = tokio::time::sleep(state.config.auth_deadline);
    tokio::pin!(auth_deadline);
    let mut pings = tokio::time::interval_at(Instant::now() + limits.ping_interval, limits.ping_interval);
    pings.set_missed_tick_behavior(MissedTickBehavior::Delay);

    let close = loop {
        let step = if over_ip_cap {
            state.log(&format!("connection {id}: refused, too many connections from one address"));
            Step::Close(close::TOO_MANY_CONNECTIONS, "too many connections")
        } else {
            tokio::select! {
                incoming = socket.recv() => match incoming {
                    Some(Ok(Message::Text(text))) => conn.on_text(&state, text.as_str()),
                    Some(Ok(Message::Binary(_))) => Step::Close(close::UNSUPPORTED_DATA, "binary frames are not accepted"),
                    Some(Ok(Message::Pong(_))) => {
                        conn.awaiting_pong = false;
                        Step::Send(vec![])
                    }
                    // Protocol pings are answered by the library; closes end the loop next turn.
                    Some(Ok(_)) => Step::Send(vec![]),
                    Some(Err(_)) | None => break None,
                },
                outgoing = rx.recv() => match outgoing {
                    Some(Outgoing::Text(text)) => Step::Send(vec![text]),
                    Some(Outgoing::Close(code, reason)) => break Some((code, reason)),
                    None => break None,
                },
                () = &mut auth_deadline, if conn.user.is_none() => {
                    Step::Close(close::AUTH_TIMEOUT, "authentication timeout")
                }
                _ = pings.tick() => {
                    if conn.awaiting_pong {
                        state.log(&format!("connection {id}: no pong, terminated"));
                        break None;
                    }
                    conn.awaiting_pong = true;
                    if socket.send(Message::Ping(Default::default())).await.is_err() {
                        break None;
                    }
                    Step::Send(vec![])
                }
            }
        };
        // A silent (half-open) connection keeps reading but never answers. Faults exist only
        // with the test controls: without them, no lock is taken here on every event.
        let silent = state.config.test_controls
            && conn.user.as_ref().is_some_and(|u| state.shared().faults.get(u).is_some_and(|f| f.silent));
        match step {
            Step::Send(_) | Step::SendLater(..) if silent => {}
            Step::Send(frames) => {
                for frame in frames {
                    if socket.send(Message::Text(frame.into())).await.is_err() {
                        break;
                    }
                }
            }
            Step::SendLater(delay, frame) => {
                tokio::time::sleep(delay).await;
                let _ = socket.send(Message::Text(frame.into())).await;
            }
            Step::SendThenClose(frame, code, reason) => {
                let _ = socket.send(Message::Text(frame.into())).await;
                break Some((code, reason.to_owned()));
            }
            Step::Close(code, reason) => break Some((code, reason.to_owned())),
        }
    };
    if let Some((code, reason)) = close {
        state.log(&format!("closing connection {id} with {code}"));
        let _ = socket.send(Message::Close(Some(CloseFrame { code, reason: Utf8Bytes::from(reason) }))).await;
    }
    let mut shared = state.shared();
    shared.connections.remove(&id);
    shared.rooms.disconnect(id);
}

impl Session {
    fn on_text(&mut self, state: &AppState, text: &str) -> Step {
        let limits = state.config.limits;
        if text.len() > limits.max_message_bytes {
            state.log(&format!("connection {}: frame of {} bytes refused", self.id, text.len()));
            return Step::Close(close::MESSAGE_TOO_LARGE, "message too large");
        }
        if !self.rate.allow(Instant::now().into()) {
            state.log(&format!("connection {}: rate limit exceeded", self.id));
            return Step::SendThenClose(
                error_frame("rate_limited", "too many messages"),
                close::RATE_LIMITED,
                "rate limit exceeded",
            );
        }
        let Ok(frame) = serde_json::from_str::<Value>(text) else {
            return Step::Send(vec![error_frame("invalid_message", "frames must be JSON")]);
        };
        record(state, self.id, &frame);
        let kind = frame.get("type").and_then(Value::as_str).unwrap_or_default();
        let token = frame.get("token").and_then(Value::as_str);
        let Some(user) = self.user.clone() else {
            return if kind == "auth" {
                self.authenticate(state, token)
            } else {
                Step::SendThenClose(
                    json!({"type": "auth_response", "success": false, "error": "authentication required"})
                        .to_string(),
                    close::AUTH_FAILED,
                    "authentication required",
                )
            };
        };
        match kind {
            "reauth" => self.reauthenticate(state, &user, token),
            "ping" => Step::Send(vec![json!({"type": "pong"}).to_string()]),
            // Echoed verbatim, so tests can see exactly what arrived and in which order.
            "echo" => Step::Send(vec![text.to_owned()]),
            _ => match chat::parse(&frame)
                .and_then(|message| state.shared().rooms.apply(self.id, &user, message))
            {
                Ok(deliveries) => {
                    let mut mine = Vec::new();
                    let shared = state.shared();
                    for (target, text) in deliveries {
                        if target == self.id {
                            mine.push(text);
                        } else if let Some(connection) = shared.connections.get(&target) {
                            let _ = connection.tx.send(Outgoing::Text(text));
                        }
                    }
                    Step::Send(mine)
                }
                Err(refusal) => {
                    state.log(&format!("connection {}: refused {kind}: {}", self.id, refusal.detail));
                    Step::Send(vec![refusal.frame()])
                }
            },
        }
    }

    fn authenticate(&mut self, state: &AppState, token: Option<&str>) -> Step {
        let id = self.id;
        let Some(claims) = token.and_then(|t| state.tokens.verify(t)) else {
            return reject(state, id);
        };
        let mut shared = state.shared();
        // The audit names the user as soon as the token proves who it is, even if a fault then
        // rejects it, so tests can follow every attempt a user made.
        if let Some(history) = shared.history.get_mut(&id) {
            history.user = Some(claims.user_id.clone());
        }
        let mut delay = None;
        if let Some(faults) = shared.faults.get_mut(&claims.user_id) {
            if faults.drop_auth > 0 {
                faults.drop_auth -= 1;
                return Step::Send(vec![]);
            }
            if faults.reject_auth > 0 {
                faults.reject_auth -= 1;
                drop(shared);
                return reject(state, id);
            }
            if faults.delay_auth > 0 {
                faults.delay_auth -= 1;
                delay = Some(Duration::from_millis(faults.delay_auth_ms));
            }
        }
        let user_connections =
            shared.connections.values().filter(|c| c.user.as_deref() == Some(&claims.user_id)).count();
        if user_connections >= state.config.limits.connections_per_user {
            drop(shared);
            state.log(&format!("connection {id}: refused, too many connections for one user"));
            return Step::Close(close::TOO_MANY_CONNECTIONS, "too many connections");
        }
        if let Some(connection) = shared.connections.get_mut(&id) {
            connection.user = Some(claims.user_id.clone());
        }
        drop(shared);
        state.log(&format!("connection {id}: authenticated user={}", claims.user_id));
        let reply = json!({"type": "auth_response", "success": true, "userId": claims.user_id}).to_string();
        self.user = Some(claims.user_id);
        match delay {
            Some(delay) => Step::SendLater(delay, reply),
            None => Step::Send(vec![reply]),
        }
    }

    fn reauthenticate(&mut self, state: &AppState, user: &str, token: Option<&str>) -> Step {
        let same_user = token.and_then(|t| state.tokens.verify(t)).is_some_and(|c| c.user_id == user);
        if same_user {
            return Step::Send(vec![json!({"type": "reauth_response", "success": true}).to_string()]);
        }
        state.log(&format!("connection {}: reauth rejected", self.id));
        Step::SendThenClose(
            json!({"type": "reauth_response", "success": false, "error": "invalid token"}).to_string(),
            close::AUTH_FAILED,
            "re-authentication failed",
        )
    }
}

fn reject(state: &AppState, id: u64) -> Step {
    state.log(&format!("connection {id}: auth rejected"));
    Step::SendThenClose(
        json!({"type": "auth_response", "success": false, "error": "invalid token"}).to_string(),
        close::AUTH_FAILED,
        "authentication failed",
    )
}

/// A generic error for the client: a code and a fixed message, never internals.
fn error_frame(code: &str, message: &str) -> String {
    json!({"type": "error", "code": code, "message": message}).to_string()
}

/// Keeps the frame for the tests (only with `--test-controls`), with any token replaced: the
/// audit trail must not hold one.
fn record(state: &AppState, id: u64, frame: &Value) {
    if !state.config.test_controls {
        return;
    }
    let mut frame = frame.clone();
    if let Some(token) = frame.get_mut("token") {
        *token = Value::String("<redacted>".into());
    }
    if let Some(history) = state.shared().history.get_mut(&id) {
        history.frames.push(frame.to_string());
    }
    state.frame_recorded.notify_waiters();
}
