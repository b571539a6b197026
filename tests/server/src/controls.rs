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

use crate::state::{AppState, Outgoing};

/// The `/test` routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/test/audit", get(audit))
        .route("/test/faults", post(set_faults))
        .route("/test/close", post(close_sockets))
}

#[derive(Deserialize)]
struct UserQuery {
    user: Option<String>,
}

/// What the server saw: request URIs, whether any carried an issued token, and each connection's
/// frames (for `?user=`, only that user's connections, oldest first).
async fn audit(State(state): State<Arc<AppState>>, Query(query): Query<UserQuery>) -> Json<Value> {
    let shared = state.shared();
    let token_in_uri = shared.seen_uris.iter().any(|uri| {
        shared
            .issued_tokens
            .iter()
            .any(|t| uri.contains(t.as_str()))
    });
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
#[serde(rename_all = "camelCase")]
struct FaultRequest {
    user: String,
    #[serde(default)]
    reject_auth: u32,
    #[serde(default)]
    drop_auth: u32,
}

/// Sets the faults for one user's next authentications.
async fn set_faults(
    State(state): State<Arc<AppState>>,
    Json(request): Json<FaultRequest>,
) -> StatusCode {
    let faults = crate::state::Faults {
        reject_auth: request.reject_auth,
        drop_auth: request.drop_auth,
    };
    state.shared().faults.insert(request.user, faults);
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct CloseRequest {
    user: Option<String>,
    code: u16,
}

/// Closes every socket (or one user's) with the given code, as a server restart or kill would.
async fn close_sockets(
    State(state): State<Arc<AppState>>,
    Json(request): Json<CloseRequest>,
) -> Json<Value> {
    let shared = state.shared();
    let mut closed = 0;
    for connection in shared.connections.values() {
        if request.user.is_none() || connection.user == request.user {
            let _ = connection.tx.send(Outgoing::Close(
                request.code,
                "closed by test control".into(),
            ));
            closed += 1;
        }
    }
    Json(json!({ "closed": closed }))
}
