//! The WebSocket endpoint: origin check before upgrading, authentication by first message within
//! a deadline, re-authentication, and the application messages.

use std::sync::Arc;

use axum::{
    extract::{
        ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade},
        State,
    },
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use serde_json::{json, Value};
use tokio::{sync::mpsc, time::Instant};

use crate::{
    http::origin,
    log,
    state::{AppState, Connection, History, Outgoing},
};

/// Close codes of the protocol (PROTOCOL.md).
pub mod close {
    /// No `auth` in time.
    pub const AUTH_TIMEOUT: u16 = 4001;
    /// Authentication failed or required.
    pub const AUTH_FAILED: u16 = 4003;
}

/// `GET /ws`: refuses a foreign `Origin` with 403 before upgrading.
pub async fn upgrade(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    if !origin(&headers).is_some_and(|o| state.origin_allowed(o)) {
        log("refused upgrade: origin not allowed");
        return StatusCode::FORBIDDEN.into_response();
    }
    upgrade.on_upgrade(move |socket| session(state, socket))
}

async fn session(state: Arc<AppState>, mut socket: WebSocket) {
    let id = state.connection_id();
    let (tx, mut rx) = mpsc::unbounded_channel();
    {
        let mut shared = state.shared();
        shared.connections.insert(id, Connection { tx, user: None });
        shared.history.insert(id, History::default());
    }
    let mut user: Option<String> = None;
    let auth_deadline = tokio::time::sleep_until(Instant::now() + state.config.auth_deadline);
    tokio::pin!(auth_deadline);
    let close = loop {
        let step = tokio::select! {
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(text))) => on_frame(&state, id, &mut user, text.as_str()),
                Some(Ok(Message::Binary(_))) => Step::Close(close::AUTH_FAILED, "binary frames are not accepted"),
                Some(Ok(_)) => Step::Continue(vec![]),
                Some(Err(_)) | None => break None,
            },
            outgoing = rx.recv() => match outgoing {
                Some(Outgoing::Text(text)) => Step::Continue(vec![text]),
                Some(Outgoing::Close(code, reason)) => break Some((code, reason)),
                None => break None,
            },
            () = &mut auth_deadline, if user.is_none() => Step::Close(close::AUTH_TIMEOUT, "authentication timeout"),
        };
        let silent = user.as_ref().is_some_and(|u| state.shared().faults.get(u).is_some_and(|f| f.silent));
        match step {
            // A silent (half-open) connection keeps reading but never answers.
            Step::Continue(_) if silent => {}
            Step::Continue(replies) => {
                for reply in replies {
                    if socket.send(Message::Text(reply.into())).await.is_err() {
                        break;
                    }
                }
            }
            Step::Reply(reply, code, reason) => {
                let _ = socket.send(Message::Text(reply.into())).await;
                break Some((code, reason.to_owned()));
            }
            Step::Close(code, reason) => break Some((code, reason.to_owned())),
        }
    };
    if let Some((code, reason)) = close {
        log(&format!("closing connection {id} with {code}"));
        let frame = CloseFrame { code, reason: Utf8Bytes::from(reason) };
        let _ = socket.send(Message::Close(Some(frame))).await;
    }
    state.shared().connections.remove(&id);
}

/// What the connection does after a frame.
enum Step {
    /// Send these frames and go on.
    Continue(Vec<String>),
    /// Send this frame, then close.
    Reply(String, u16, &'static str),
    /// Close.
    Close(u16, &'static str),
}

fn on_frame(state: &AppState, id: u64, user: &mut Option<String>, text: &str) -> Step {
    let Ok(frame) = serde_json::from_str::<Value>(text) else {
        return Step::Continue(vec![error_frame("invalid_message", "frames must be JSON")]);
    };
    let kind = frame.get("type").and_then(Value::as_str).unwrap_or_default().to_owned();
    record(state, id, &frame);
    let token = frame.get("token").and_then(Value::as_str);
    match (kind.as_str(), user.as_ref()) {
        ("auth", None) => authenticate(state, id, user, token),
        (_, None) => Step::Reply(
            json!({"type": "auth_response", "success": false, "error": "authentication required"})
                .to_string(),
            close::AUTH_FAILED,
            "authentication required",
        ),
        ("reauth", Some(current)) => {
            let same_user = token.and_then(|t| state.tokens.verify(t)).is_some_and(|c| &c.user_id == current);
            if same_user {
                Step::Continue(vec![json!({"type": "reauth_response", "success": true}).to_string()])
            } else {
                log(&format!("connection {id}: reauth rejected"));
                Step::Reply(
                    json!({"type": "reauth_response", "success": false, "error": "invalid token"})
                        .to_string(),
                    close::AUTH_FAILED,
                    "re-authentication failed",
                )
            }
        }
        ("ping", Some(_)) => Step::Continue(vec![json!({"type": "pong"}).to_string()]),
        ("broadcast", Some(from)) => {
            let message = json!({"type": "broadcast", "from": from, "data": frame.get("data")}).to_string();
            for (other, connection) in state.shared().connections.iter() {
                if *other != id && connection.user.is_some() {
                    let _ = connection.tx.send(Outgoing::Text(message.clone()));
                }
            }
            Step::Continue(vec![])
        }
        // Anything else is echoed, so tests can see exactly what arrived.
        (_, Some(_)) => Step::Continue(vec![text.to_owned()]),
    }
}

fn authenticate(state: &AppState, id: u64, user: &mut Option<String>, token: Option<&str>) -> Step {
    let Some(claims) = token.and_then(|t| state.tokens.verify(t)) else {
        return reject(id);
    };
    let mut shared = state.shared();
    // The audit names the user as soon as the token proves who it is, even if a fault then
    // rejects it, so tests can follow every attempt a user made.
    if let Some(history) = shared.history.get_mut(&id) {
        history.user = Some(claims.user_id.clone());
    }
    if let Some(faults) = shared.faults.get_mut(&claims.user_id) {
        if faults.drop_auth > 0 {
            faults.drop_auth -= 1;
            return Step::Continue(vec![]);
        }
        if faults.reject_auth > 0 {
            faults.reject_auth -= 1;
            return reject(id);
        }
    }
    log(&format!("connection {id}: authenticated user={}", claims.user_id));
    if let Some(connection) = shared.connections.get_mut(&id) {
        connection.user = Some(claims.user_id.clone());
    }
    drop(shared);
    let reply = json!({"type": "auth_response", "success": true, "userId": claims.user_id});
    *user = Some(claims.user_id);
    Step::Continue(vec![reply.to_string()])
}

fn reject(id: u64) -> Step {
    log(&format!("connection {id}: auth rejected"));
    Step::Reply(
        json!({"type": "auth_response", "success": false, "error": "invalid token"}).to_string(),
        close::AUTH_FAILED,
        "authentication failed",
    )
}

/// A generic error for the client: a code and a fixed message, never internals.
fn error_frame(code: &str, message: &str) -> String {
    json!({"type": "error", "code": code, "message": message}).to_string()
}

/// Keeps the frame for the tests, with any token replaced: the audit trail must not hold one.
fn record(state: &AppState, id: u64, frame: &Value) {
    let mut frame = frame.clone();
    if let Some(token) = frame.get_mut("token") {
        *token = Value::String("<redacted>".into());
    }
    if let Some(history) = state.shared().history.get_mut(&id) {
        history.frames.push(frame.to_string());
    }
    state.frame_recorded.notify_waiters();
}
