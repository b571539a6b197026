//! The demo's fault buttons (`--demo-faults`): `POST /api/demo/fault {kind}`, for a logged-in user
//! and only on that user's own login session, so that anyone can watch the SDK heal without the
//! test controls (which can act on any user) being reachable from the demo.

use std::{sync::Arc, time::Instant};

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
    Json,
};
use serde::Deserialize;

use crate::{http, state::AppState};

/// What the caller wants to break.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields, tag = "kind")]
pub enum DemoFault {
    /// Close the caller's sockets with 1012 (service restart): the SDK reconnects.
    KillConnection,
    /// Refuse the next `auth` made with a token of the caller's session: the SDK retries.
    RejectNextAuth,
    /// Ignore the `resume` offer of the next `auth` made with a token of the caller's session, as
    /// a server without resumable sessions does: that connection is at most once (the bench
    /// compares it with exactly once without the test controls, which record every frame).
    IgnoreNextResume,
}

/// `POST /api/demo/fault`: needs the login cookie and an allowed `Origin`.
pub async fn fault(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Json(fault): Json<DemoFault>,
) -> StatusCode {
    if !http::origin(&headers).is_some_and(|o| state.origin_allowed(o)) {
        return StatusCode::FORBIDDEN;
    }
    let Some((user, handle)) = http::logged_in(&state, &headers) else {
        return StatusCode::UNAUTHORIZED;
    };
    let mut shared = state.shared();
    match fault {
        DemoFault::KillConnection => {
            for connection in shared.connections.values() {
                if connection.login_session.as_deref() == Some(&handle) {
                    connection.close(1012, "killed from the demo");
                }
            }
        }
        DemoFault::RejectNextAuth => {
            if let Some(session) = shared.sessions.by_handle(&handle, Instant::now()) {
                session.reject_next_auth = true;
            }
        }
        DemoFault::IgnoreNextResume => {
            if let Some(session) = shared.sessions.by_handle(&handle, Instant::now()) {
                session.ignore_next_resume = true;
            }
        }
    }
    drop(shared);
    state.log(&format!("demo fault user={user}"));
    StatusCode::NO_CONTENT
}
