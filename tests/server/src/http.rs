//! The HTTP side: login (throttled, constant-time), logout (revoking the session's tokens and
//! closing its sockets), the token endpoint, CORS and the request audit.

use std::{net::SocketAddr, sync::Arc, time::Instant};

use axum::{
    extract::{ConnectInfo, Request, State},
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
    Json,
};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::{rate_limit::RateLimit, state::AppState};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "sid";

/// `POST /api/login`'s body.
#[derive(Deserialize)]
pub struct Login {
    username: String,
    password: String,
}

/// Whether `given` is the password of a user whose password is `known`. Both are hashed first
/// and the hashes compared in constant time, so neither the content nor the length of the right
/// password, nor whether the user exists, shows in the time the answer takes.
pub fn password_matches(known: Option<&str>, given: &str) -> bool {
    let given = Sha256::digest(given.as_bytes());
    // An unknown user is compared against a value no password hashes to in practice.
    let expected = known.map(|p| Sha256::digest(p.as_bytes())).unwrap_or_default();
    bool::from(given.ct_eq(&expected)) && known.is_some()
}

/// `POST /api/login`: checks the password and sets the HttpOnly session cookie. Failed attempts
/// are counted per user name and per address; over the limit, 429 with `Retry-After`.
pub async fn login(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(login): Json<Login>,
) -> Response {
    if foreign_origin(&state, &headers) {
        state.log("refused login: origin not allowed");
        return origin_not_allowed();
    }
    let limits = state.config.http;
    let now = Instant::now();
    let (user_key, ip_key) = (format!("user:{}", login.username), format!("ip:{}", peer.ip()));
    let wait = {
        let shared = state.shared();
        let throttle = &shared.login_throttle;
        let by_user =
            throttle.retry_after(&user_key, limits.login_failures_per_user, limits.login_window, now);
        let by_ip = throttle.retry_after(&ip_key, limits.login_failures_per_ip, limits.login_window, now);
        by_user.max(by_ip)
    };
    if let Some(wait) = wait {
        state.log("login throttled");
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let retry_after = [(header::RETRY_AFTER, seconds.to_string())];
        return (StatusCode::TOO_MANY_REQUESTS, retry_after, Json(json!({"error": "too_many_attempts"})))
            .into_response();
    }
    let known = state.config.users.get(&login.username).map(String::as_str);
    if !password_matches(known, &login.password) {
        let mut shared = state.shared();
        shared.login_throttle.fail(&user_key, limits.login_window, now);
        shared.login_throttle.fail(&ip_key, limits.login_window, now);
        drop(shared);
        state.log("login failed");
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": "invalid_credentials"}))).into_response();
    }
    let (session, _) = {
        let mut shared = state.shared();
        shared.login_throttle.clear(&user_key);
        let opened = shared.sessions.open(&login.username, limits.session_ttl, now);
        // A bounded number per user, the oldest ending first: logging in in a loop holds nothing.
        shared.sessions.keep_newest(&login.username, limits.max_login_sessions_per_user);
        opened
    };
    state.log(&format!("login user={}", login.username));
    // Rounded up: a cookie with Max-Age=0 would be deleted at once.
    let max_age = limits.session_ttl.as_millis().div_ceil(1000) as u64;
    let cookie = session_cookie(&session, state.config.tls.is_some(), max_age);
    ([(header::SET_COOKIE, cookie)], Json(json!({"userId": login.username}))).into_response()
}

/// `POST /api/logout`: ends the session, revokes every token it minted (they carry its handle)
/// and closes the sockets those tokens authenticated.
pub async fn logout(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    if foreign_origin(&state, &headers) {
        state.log("refused logout: origin not allowed");
        return origin_not_allowed();
    }
    let mut shared = state.shared();
    if let Some(session) = session_id(&headers).and_then(|sid| shared.sessions.close(&sid)) {
        let of_session = |c: &&crate::state::Connection| c.login_session.as_deref() == Some(&session.handle);
        for connection in shared.connections.values().filter(of_session) {
            connection.close(1000, "logged out");
        }
        drop(shared);
        state.log(&format!("logout user={}", session.user));
    }
    let expired = format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
    ([(header::SET_COOKIE, expired)], StatusCode::NO_CONTENT).into_response()
}

/// The login session behind the request's cookie: (user, handle).
pub fn logged_in(state: &AppState, headers: &HeaderMap) -> Option<(String, String)> {
    let sid = session_id(headers)?;
    let mut shared = state.shared();
    let session = shared.sessions.by_cookie(&sid, Instant::now())?;
    Some((session.user.clone(), session.handle.clone()))
}

/// `POST /api/ws-token`: turns the session cookie into a short-lived, single-use WebSocket token.
/// Needs an allowed `Origin`, so another site cannot mint tokens with the user's cookie.
pub async fn ws_token(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    if !origin(&headers).is_some_and(|o| state.origin_allowed(o)) {
        return origin_not_allowed();
    }
    let Some((user, handle)) = logged_in(&state, &headers) else {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": "not_logged_in"}))).into_response();
    };
    if state.config.test_controls {
        if crate::controls::take_token_hang(&state, &user) {
            return crate::controls::hang_token_request(&state, &user).await;
        }
        if let Some(status) = injected_token_failure(&state, &user) {
            return (status, Json(json!({"error": "injected_failure"}))).into_response();
        }
    }
    // Every connection needs a token: minting is limited per user, so reconnecting in a loop is
    // bounded too.
    let wait = {
        let now = Instant::now();
        let per_minute = state.config.http.tokens_per_minute;
        let mut shared = state.shared();
        let bucket = shared.token_minting.bucket(&user, now, || RateLimit::new(per_minute, now));
        (!bucket.allow(now)).then(|| bucket.wait(now))
    };
    if let Some(wait) = wait {
        state.log(&format!("token refused: too many for user={user}"));
        let seconds = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
        let headers =
            [(header::RETRY_AFTER, seconds.to_string()), (header::CACHE_CONTROL, "no-store".into())];
        return (StatusCode::TOO_MANY_REQUESTS, headers, Json(json!({"error": "too_many_requests"})))
            .into_response();
    }
    let token = state.tokens.issue(&user, &handle);
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
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("content-type, x-test-controls"),
        );
    }
    response.headers_mut().insert(header::VARY, HeaderValue::from_static("Origin"));
    response
}

/// Reads the request body whole before the handler runs, within `HEADER_READ_TIMEOUT_MS` of the
/// head's end and at most `MAX_BODY_BYTES`: the header-read timeout alone ends with the head, so a
/// body announced and never sent (or trickled a byte at a time) would hold the connection, and a
/// slot of the global cap, for ever. Too slow → 408 and the connection closed; too big → 413.
pub async fn read_body_in_time(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    use axum::body::{Body, HttpBody};
    use futures_util::StreamExt;
    let limits = state.config.http;
    let (parts, body) = request.into_parts();
    let too_large =
        || (StatusCode::PAYLOAD_TOO_LARGE, Json(json!({"error": "body_too_large"}))).into_response();
    if body.size_hint().lower() > limits.max_body_bytes as u64 {
        return too_large();
    }
    let read = async {
        let (mut data, mut bytes) = (body.into_data_stream(), Vec::new());
        while let Some(chunk) = data.next().await {
            let chunk = chunk.map_err(|_| StatusCode::BAD_REQUEST)?;
            if bytes.len() + chunk.len() > limits.max_body_bytes {
                return Err(StatusCode::PAYLOAD_TOO_LARGE);
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    };
    match tokio::time::timeout(limits.header_read_timeout, read).await {
        Ok(Ok(bytes)) => next.run(Request::from_parts(parts, Body::from(bytes))).await,
        Ok(Err(StatusCode::PAYLOAD_TOO_LARGE)) => too_large(),
        Ok(Err(status)) => status.into_response(),
        Err(_) => {
            state.log("request body not received in time");
            let close = [(header::CONNECTION, "close")];
            (StatusCode::REQUEST_TIMEOUT, close, Json(json!({"error": "request_timeout"}))).into_response()
        }
    }
}

/// Whether the request carries an `Origin` that is not allowed (a cross-site page, `null` from a
/// sandboxed frame or a redirect, or a header that is not text). Login and logout refuse those with
/// the token endpoint's allowlist: a foreign page must not log a visitor in (into an account of
/// its choosing) or out. A request without `Origin` is served: browsers send one with every POST,
/// same-origin ones included, so such a request comes from a non-browser client, which has no
/// visitor's cookie to use and whose cookie reaches no browser. (The token endpoint, which turns
/// the cookie into a credential, requires the header.)
fn foreign_origin(state: &AppState, headers: &HeaderMap) -> bool {
    headers.get(header::ORIGIN).is_some_and(|value| !value.to_str().is_ok_and(|o| state.origin_allowed(o)))
}

fn origin_not_allowed() -> Response {
    (StatusCode::FORBIDDEN, Json(json!({"error": "origin_not_allowed"}))).into_response()
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

/// The session cookie: never readable by scripts, never sent cross-site, over TLS never sent
/// over plain http, and gone from the browser when the session expires on the server.
pub fn session_cookie(session: &str, tls: bool, max_age_secs: u64) -> String {
    let secure = if tls { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}={session}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age_secs}{secure}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_right_password_of_a_known_user_matches() {
        assert!(password_matches(Some("alice-pass"), "alice-pass"));
        assert!(!password_matches(Some("alice-pass"), "alice-pas"));
        assert!(!password_matches(Some("alice-pass"), ""));
        assert!(!password_matches(None, ""), "an unknown user never logs in");
        assert!(!password_matches(None, "anything"));
    }
}
