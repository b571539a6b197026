//! Fault controls under `/test/*`, mounted only with `--test-controls`. They let tests break the
//! server on purpose and read what it saw; a production backend has nothing like them.

use std::sync::Arc;

use axum::{
    extract::{Query, State},
    http::StatusCode,
    routing::{get, post},
    Json, Router,
};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::state::{AppState, Faults, Outgoing};

/// The `/test` routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/test/audit", get(audit))
        .route("/test/faults", post(set_faults))
        .route("/test/close", post(close_sockets))
        .route("/test/send", post(send_raw))
        .route("/test/wait", get(wait_for_frames))
        .route("/test/refuse-upgrades", post(refuse_upgrades))
        .route("/test/restart", post(restart))
        .route("/test/token", post(mint_token))
}

#[derive(Deserialize)]
struct UserQuery {
    user: Option<String>,
}

/// What the server saw: request URIs, whether any carried an issued token, and each connection's
/// frames (for `?user=`, only that user's connections, oldest first).
async fn audit(State(state): State<Arc<AppState>>, Query(query): Query<UserQuery>) -> Json<Value> {
    let shared = state.shared();
    let token_in_uri =
        shared.seen_uris.iter().any(|uri| shared.issued_tokens.iter().any(|t| uri.contains(t.as_str())));
    let mut ids: Vec<_> = shared
        .history
        .iter()
        .filter(|(_, h)| query.user.is_none() || h.user == query.user)
        .map(|(id, _)| *id)
        .collect();
    ids.sort_unstable();
    let connections: Vec<_> = ids.iter().map(|id| &shared.history[id]).collect();
    Json(json!({
        "uris": shared.seen_uris,
        "tokenInUri": token_in_uri,
        "tokensIssued": shared.issued_tokens.len(),
        "connections": connections,
        "live": shared.connections.len(),
    }))
}

#[derive(Deserialize)]
struct FaultRequest {
    user: String,
    #[serde(flatten)]
    faults: Faults,
    /// Whatever `Faults` did not claim: serde's `deny_unknown_fields` does not work through
    /// `flatten`, and a misspelt fault must not be silently ignored.
    #[serde(flatten)]
    unknown: std::collections::HashMap<String, Value>,
}

/// Sets the faults for one user's next token requests and authentications (replacing any before).
async fn set_faults(State(state): State<Arc<AppState>>, Json(request): Json<FaultRequest>) -> StatusCode {
    if !request.unknown.is_empty() {
        return StatusCode::UNPROCESSABLE_ENTITY;
    }
    state.shared().faults.insert(request.user, request.faults);
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct CountRequest {
    count: u32,
}

/// Refuses the next `count` upgrades with 503, as an overloaded or restarting server would.
async fn refuse_upgrades(
    State(state): State<Arc<AppState>>,
    Json(request): Json<CountRequest>,
) -> StatusCode {
    state.shared().refuse_upgrades = request.count;
    StatusCode::NO_CONTENT
}

/// Restarts the listener: every socket is closed with 1012 (service restart), the port is bound
/// again, and what sessions, rooms and audit the server had are kept, like a redeploy behind a
/// sticky session store.
async fn restart(State(state): State<Arc<AppState>>) -> StatusCode {
    for connection in state.shared().connections.values() {
        let _ = connection.tx.send(Outgoing::Close(1012, "service restart".into()));
    }
    state.restart.notify_one();
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct CloseRequest {
    user: Option<String>,
    code: u16,
}

/// Closes every socket (or one user's) with the given code, as a server restart or kill would.
async fn close_sockets(State(state): State<Arc<AppState>>, Json(request): Json<CloseRequest>) -> Json<Value> {
    let shared = state.shared();
    let mut closed = 0;
    for connection in shared.connections.values() {
        if request.user.is_none() || connection.user == request.user {
            let _ = connection.tx.send(Outgoing::Close(request.code, "closed by test control".into()));
            closed += 1;
        }
    }
    Json(json!({ "closed": closed }))
}

#[derive(Deserialize)]
struct SendRequest {
    user: String,
    text: String,
}

/// Sends `text` verbatim to every connection of `user`: how tests deliver malformed frames.
async fn send_raw(State(state): State<Arc<AppState>>, Json(request): Json<SendRequest>) -> Json<Value> {
    let shared = state.shared();
    let mut sent = 0;
    for connection in shared.connections.values().filter(|c| c.user.as_deref() == Some(request.user.as_str()))
    {
        let _ = connection.tx.send(Outgoing::Text(request.text.clone()));
        sent += 1;
    }
    Json(json!({ "sent": sent }))
}

#[derive(Deserialize)]
struct WaitQuery {
    user: String,
    #[serde(rename = "type")]
    kind: String,
    count: Option<usize>,
}

/// Answers once `user`'s connections together received `count` (default 1) frames of `type`, or
/// with 408 after 5 s: tests wait on what the server saw without sleeping or polling.
async fn wait_for_frames(
    State(state): State<Arc<AppState>>,
    Query(query): Query<WaitQuery>,
) -> (StatusCode, Json<Value>) {
    let wanted = query.count.unwrap_or(1);
    let pattern = format!(r#""type":"{}""#, query.kind);
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        // Registered before looking, so a frame recorded in between still wakes us.
        let notified = state.frame_recorded.notified();
        let seen = state
            .shared()
            .history
            .values()
            .filter(|h| h.user.as_deref() == Some(query.user.as_str()))
            .flat_map(|h| h.frames.iter())
            .filter(|f| f.contains(&pattern))
            .count();
        if seen >= wanted {
            return (StatusCode::OK, Json(json!({ "seen": seen })));
        }
        if tokio::time::timeout_at(deadline, notified).await.is_err() {
            return (StatusCode::REQUEST_TIMEOUT, Json(json!({ "seen": seen })));
        }
    }
}

#[derive(Deserialize)]
struct TokenRequest {
    user: String,
}

/// Mints a token for `user` without a login, for tests where the browser cannot carry the session
/// cookie (an http test page calling an https API is cross-site for `SameSite=Strict`).
async fn mint_token(State(state): State<Arc<AppState>>, Json(request): Json<TokenRequest>) -> Json<Value> {
    let token = state.tokens.issue(&request.user);
    state.shared().issued_tokens.push(token.clone());
    Json(json!({ "wsToken": token, "expiresIn": state.tokens.lifetime_secs() }))
}
