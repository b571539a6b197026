//! Fault controls under `/test/*`, mounted only with `--test-controls`, and answering only requests
//! that carry the per-process secret in `x-test-controls` (anything else gets 404, as if they were
//! not mounted). A custom header cannot be sent cross-site without a CORS preflight, which the
//! server answers only for allowed origins. They let tests break the server on purpose and read
//! what it saw; a production backend has nothing like them.

use std::{sync::Arc, time::Duration};

use axum::{
    extract::{Query, Request, State},
    http::StatusCode,
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use serde::Deserialize;
use serde_json::{json, Value};
use subtle::ConstantTimeEq;

use crate::state::{AppState, Control, Faults};

/// The header that carries the test-controls secret.
pub const SECRET_HEADER: &str = "x-test-controls";

/// The longest a `tokenHang` request is held when the client never gives up.
pub const TOKEN_HANG_LIMIT: Duration = Duration::from_secs(60);

/// The `/test` routes, behind the secret.
pub fn routes(state: Arc<AppState>) -> Router<Arc<AppState>> {
    Router::new()
        .route("/test/audit", get(audit))
        .route("/test/faults", post(set_faults))
        .route("/test/close", post(close_sockets))
        .route("/test/send", post(send_raw))
        .route("/test/wait", get(wait_for_frames))
        .route("/test/refuse-upgrades", post(refuse_upgrades))
        .route("/test/restart", post(restart))
        .route("/test/token", post(mint_token))
        .route("/test/drop", post(drop_sockets))
        .route_layer(middleware::from_fn_with_state(state, require_secret))
}

/// 404 unless the request carries the secret (compared in constant time).
async fn require_secret(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let given = request.headers().get(SECRET_HEADER).map(|v| v.as_bytes()).unwrap_or_default();
    let expected = state.config.test_controls_secret.as_deref().unwrap_or_default().as_bytes();
    if expected.is_empty() || !bool::from(given.ct_eq(expected)) {
        return StatusCode::NOT_FOUND.into_response();
    }
    next.run(request).await
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
        // With `?user=`, that user's live connections only (tests that share a server see theirs).
        "live": shared
            .connections
            .values()
            .filter(|c| query.user.is_none() || c.user == query.user)
            .count(),
        "hangingTokenRequests": shared.hanging_token_requests,
        "resumableSessions": shared.resume.len(),
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
    let mut shared = state.shared();
    for connection in shared.connections.values_mut() {
        if connection.user.as_deref() == Some(request.user.as_str()) {
            connection.silent = request.faults.silent;
            let _ = connection.control.send(Control::StallReads(request.faults.stall_reads));
        }
    }
    shared.faults.insert(request.user, request.faults);
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
        connection.close(1012, "service restart");
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
            connection.close(request.code, "closed by test control");
            closed += 1;
        }
    }
    Json(json!({ "closed": closed }))
}

#[derive(Deserialize)]
struct DropRequest {
    user: Option<String>,
}

/// Drops every socket (or one user's) abruptly: no close frame, and the TCP connection reset, as
/// a pulled cable or a crashed proxy looks to the client. Their resumable sessions stay.
async fn drop_sockets(State(state): State<Arc<AppState>>, Json(request): Json<DropRequest>) -> Json<Value> {
    let shared = state.shared();
    let mut dropped = 0;
    for connection in shared.connections.values() {
        if request.user.is_none() || connection.user == request.user {
            let _ = connection.control.send(Control::Abort);
            dropped += 1;
        }
    }
    Json(json!({ "dropped": dropped }))
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
        connection.deliver(request.text.clone());
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
    let mut shared = state.shared();
    // A login session without a cookie, so the token follows the same rules as any other.
    let ttl = state.config.http.session_ttl;
    let (_, handle) = shared.sessions.open(&request.user, ttl, std::time::Instant::now());
    let token = state.tokens.issue(&request.user, &handle);
    shared.issued_tokens.push(token.clone());
    drop(shared);
    Json(json!({ "wsToken": token, "expiresIn": state.tokens.lifetime_secs() }))
}

/// Consumes one `tokenHang` fault of `user`, if set.
pub fn take_token_hang(state: &AppState, user: &str) -> bool {
    let mut shared = state.shared();
    let Some(faults) = shared.faults.get_mut(user).filter(|f| f.token_hang > 0) else { return false };
    faults.token_hang -= 1;
    true
}

/// Holds a token request open without answering: until the client gives up (hyper then drops
/// this future with the connection) or [`TOKEN_HANG_LIMIT`], whichever comes first. The count of
/// requests held is in the audit (`hangingTokenRequests`), so tests can see none leaks.
pub async fn hang_token_request(state: &Arc<AppState>, user: &str) -> Response {
    struct Held(Arc<AppState>);
    impl Drop for Held {
        fn drop(&mut self) {
            let mut shared = self.0.shared();
            shared.hanging_token_requests = shared.hanging_token_requests.saturating_sub(1);
            drop(shared);
            self.0.connections_changed.notify_waiters();
        }
    }
    state.shared().hanging_token_requests += 1;
    let _held = Held(state.clone());
    state.log(&format!("token request held (fault control) user={user}"));
    tokio::time::sleep(TOKEN_HANG_LIMIT).await;
    (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"error": "injected_hang"}))).into_response()
}
