//! The HTTP side: login, logout, the token endpoint, CORS and the request audit.

use std::sync::Arc;

use axum::{
    extract::{Request, State},
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
    Json,
};
use serde::Deserialize;
use serde_json::json;

use crate::state::{AppState, Outgoing};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "sid";

#[derive(Deserialize)]
pub struct Login {
    username: String,
    password: String,
}

/// `POST /api/login`: checks the password and sets the HttpOnly session cookie.
pub async fn login(State(state): State<Arc<AppState>>, Json(login): Json<Login>) -> Response {
    let known = state.config.users.get(&login.username);
    if known.is_none_or(|password| *password != login.password) {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": "invalid_credentials"}))).into_response();
    }
    let session = uuid::Uuid::new_v4().to_string();
    state.shared().sessions.insert(session.clone(), login.username.clone());
    state.log(&format!("login user={}", login.username));
    let cookie = session_cookie(&session, state.config.tls.is_some());
    ([(header::SET_COOKIE, cookie)], Json(json!({"userId": login.username}))).into_response()
}

/// `POST /api/logout`: ends the session and closes that user's sockets.
pub async fn logout(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let mut shared = state.shared();
    if let Some(user) = session_id(&headers).and_then(|sid| shared.sessions.remove(&sid)) {
        for connection in shared.connections.values().filter(|c| c.user.as_deref() == Some(&user)) {
            let _ = connection.tx.send(Outgoing::Close(1000, "logged out".into()));
        }
    }
    let expired = format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
    ([(header::SET_COOKIE, expired)], StatusCode::NO_CONTENT).into_response()
}

/// `POST /api/ws-token`: turns the session cookie into a short-lived WebSocket token.
/// Needs an allowed `Origin`, so another site cannot mint tokens with the user's cookie.
pub async fn ws_token(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    if !origin(&headers).is_some_and(|o| state.origin_allowed(o)) {
        return (StatusCode::FORBIDDEN, Json(json!({"error": "origin_not_allowed"}))).into_response();
    }
    let user = session_id(&headers).and_then(|sid| state.shared().sessions.get(&sid).cloned());
    let Some(user) = user else {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": "not_logged_in"}))).into_response();
    };
    if let Some(status) = injected_token_failure(&state, &user) {
        return (status, Json(json!({"error": "injected_failure"}))).into_response();
    }
    let token = state.tokens.issue(&user);
    if state.config.test_controls {
        state.shared().issued_tokens.push(token.clone());
    }
    state.log(&format!("issued ws token user={user}"));
    let no_store = [(header::CACHE_CONTROL, "no-store")];
    (no_store, Json(json!({"wsToken": token, "expiresIn": state.tokens.lifetime_secs()}))).into_response()
}

/// Records every request URI (the no-token-in-URL audit, with `--test-controls`), and answers CORS for allowed origins
/// only: the exact origin echoed with credentials, never a wildcard.
pub async fn audit_and_cors(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    if state.config.test_controls {
        state.shared().seen_uris.push(request.uri().to_string());
    }
    let allowed = origin(request.headers()).filter(|o| state.origin_allowed(o)).map(str::to_owned);
    let mut response = if request.method() == Method::OPTIONS {
        StatusCode::NO_CONTENT.into_response()
    } else {
        next.run(request).await
    };
    if let Some(origin) = allowed.and_then(|o| HeaderValue::from_str(&o).ok()) {
        let headers = response.headers_mut();
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(header::ACCESS_CONTROL_ALLOW_CREDENTIALS, HeaderValue::from_static("true"));
        headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST"));
        headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("content-type"));
    }
    response.headers_mut().insert(header::VARY, HeaderValue::from_static("Origin"));
    response
}

/// The request's `Origin`, if any.
pub fn origin(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::ORIGIN)?.to_str().ok()
}

fn session_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(SESSION_COOKIE)?.strip_prefix('='))
        .map(str::to_owned)
}

/// A token-endpoint failure set through `/test/faults`, consumed one request at a time.
fn injected_token_failure(state: &AppState, user: &str) -> Option<StatusCode> {
    let mut shared = state.shared();
    let faults = shared.faults.get_mut(user).filter(|f| f.token_failures > 0)?;
    faults.token_failures -= 1;
    StatusCode::from_u16(faults.token_status).ok()
}

/// The session cookie: never readable by scripts, never sent cross-site, and over TLS never sent
/// over plain http.
pub fn session_cookie(session: &str, tls: bool) -> String {
    let secure = if tls { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}={session}; HttpOnly; SameSite=Strict; Path=/{secure}")
}
