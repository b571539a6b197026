//! What a ws token is worth: one use (auth or reauth), only while the login that minted it
//! lasts, and only until it expires, even on a live socket. Covers: a token used twice, a token
//! replayed as reauth, a token minted before logout, logout closing only that login's sockets,
//! a logout while an auth is under way, a socket whose token expires without reauth (4003) and
//! one kept alive by reauth, login sessions (cookies) that expire, and the bound on one user's.

mod common;

use std::time::Duration;

use common::{close_code, recv, send, TestServer, ORIGIN};
use serde_json::{json, Value};

async fn token_of(server: &TestServer, cookie: &str) -> String {
    let body: Value = server.token_response(Some(cookie), Some(ORIGIN)).await.json().await.unwrap();
    body["wsToken"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_token_authenticates_one_socket_only() {
    let server = TestServer::start().await;
    let token = server.token("alice").await;
    let mut first = server.connect(Some(ORIGIN)).await.unwrap();
    send(&mut first, json!({"type": "auth", "token": token})).await;
    assert_eq!(recv(&mut first).await["success"], true);
    let mut second = server.connect(Some(ORIGIN)).await.unwrap();
    send(&mut second, json!({"type": "auth", "token": token})).await;
    assert_eq!(recv(&mut second).await["success"], false);
    assert_eq!(close_code(&mut second).await, 4003);
}

#[tokio::test]
async fn a_token_spent_on_auth_cannot_be_replayed_as_reauth() {
    let server = TestServer::start().await;
    let token = server.token("alice").await;
    let mut socket = server.connect(Some(ORIGIN)).await.unwrap();
    send(&mut socket, json!({"type": "auth", "token": token})).await;
    assert_eq!(recv(&mut socket).await["success"], true);
    send(&mut socket, json!({"type": "reauth", "token": token})).await;
    assert_eq!(
        recv(&mut socket).await,
        json!({"type": "reauth_response", "success": false, "error": "invalid token"})
    );
    assert_eq!(close_code(&mut socket).await, 4003);
}

#[tokio::test]
async fn a_token_minted_before_logout_opens_no_socket() {
    let server = TestServer::start().await;
    let (_, cookie) = server.login("alice", "alice-pass").await;
    let token = token_of(&server, &cookie).await;
    let response =
        server.http.post(server.url("/api/logout")).header("Cookie", &cookie).send().await.unwrap();
    assert_eq!(response.status(), 204);
    let mut socket = server.connect(Some(ORIGIN)).await.unwrap();
    send(&mut socket, json!({"type": "auth", "token": token})).await;
    assert_eq!(recv(&mut socket).await["success"], false);
    assert_eq!(close_code(&mut socket).await, 4003);
}

#[tokio::test]
async fn logout_closes_the_sockets_of_that_login_only() {
    let server = TestServer::start().await;
    let (_, laptop) = server.login("alice", "alice-pass").await;
    let (_, phone) = server.login("alice", "alice-pass").await;
    let mut sockets = Vec::new();
    for cookie in [&laptop, &phone] {
        let mut socket = server.connect(Some(ORIGIN)).await.unwrap();
        send(&mut socket, json!({"type": "auth", "token": token_of(&server, cookie).await})).await;
        assert_eq!(recv(&mut socket).await["success"], true);
        sockets.push(socket);
    }
    server.http.post(server.url("/api/logout")).header("Cookie", &laptop).send().await.unwrap();
    assert_eq!(close_code(&mut sockets[0]).await, 1000);
    send(&mut sockets[1], json!({"type": "echo", "still": "here"})).await;
    assert_eq!(recv(&mut sockets[1]).await["still"], "here", "the other login's socket stays");
    assert_eq!(server.token_response(Some(&phone), Some(ORIGIN)).await.status(), 200);
}

#[tokio::test]
async fn a_logout_while_an_auth_is_under_way_leaves_no_socket_open() {
    // Before: the token's login session was checked (and the token spent), then the lock let go
    // before the connection was marked as that login's; a logout in between closed nothing, and
    // the auth then succeeded: a socket of a logged-out session, open until its token expired.
    // The delayed-auth fault widens that gap so the logout lands in it every time.
    let server = TestServer::start().await;
    let (_, cookie) = server.login("alice", "alice-pass").await;
    let token = token_of(&server, &cookie).await;
    server.post("/test/faults", json!({"user": "alice", "delayAuth": 1, "delayAuthMs": 1000})).await;
    let mut socket = server.connect(Some(ORIGIN)).await.unwrap();
    send(&mut socket, json!({"type": "auth", "token": token})).await;
    // The token is spent once its checks passed: the auth is then only waiting for the delay.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while server.state.shared().spent_tokens.is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "the auth was checked within 5 s");
        tokio::task::yield_now().await;
    }
    let logout = server.http.post(server.url("/api/logout")).header("Cookie", &cookie).send().await.unwrap();
    assert_eq!(logout.status(), 204);
    assert_eq!(
        recv(&mut socket).await,
        json!({"type": "auth_response", "success": false, "error": "invalid token"})
    );
    assert_eq!(close_code(&mut socket).await, 4003);
}

#[tokio::test]
async fn a_socket_whose_token_expires_without_reauth_is_closed_4003() {
    let server = TestServer::start_with(|c| {
        c.token_lifetime_secs = 1;
        c.limits.token_expiry_grace = Duration::from_millis(100);
    })
    .await;
    let mut socket = server.authenticated("alice").await;
    let started = tokio::time::Instant::now();
    assert_eq!(close_code(&mut socket).await, 4003);
    assert!(started.elapsed() <= Duration::from_millis(1500), "closed at expiry plus grace");
    assert!(server.state.log_lines().iter().any(|l| l.contains("token expired without reauth")));
}

#[tokio::test]
async fn a_reauth_before_expiry_keeps_the_socket_open() {
    let server = TestServer::start_with(|c| {
        c.token_lifetime_secs = 4;
        c.limits.token_expiry_grace = Duration::from_millis(200);
    })
    .await;
    let (_, cookie) = server.login("alice", "alice-pass").await;
    let first = token_of(&server, &cookie).await;
    let mut socket = server.connect(Some(ORIGIN)).await.unwrap();
    send(&mut socket, json!({"type": "auth", "token": first})).await;
    assert_eq!(recv(&mut socket).await["success"], true);
    // A token's expiry is the second it was issued in, truncated, plus its lifetime: the first
    // token expires up to a second before `first_expiry` (3 s after issue at the earliest, so
    // the reauth below has over a second to spare), and a token issued two seconds later expires
    // at least two whole seconds after it, well after the check at `first_expiry` + 400 ms.
    let first_expiry = tokio::time::Instant::now() + Duration::from_secs(4);
    tokio::time::sleep(Duration::from_millis(2050)).await;
    send(&mut socket, json!({"type": "reauth", "token": token_of(&server, &cookie).await})).await;
    assert_eq!(recv(&mut socket).await, json!({"type": "reauth_response", "success": true}));
    tokio::time::sleep_until(first_expiry + Duration::from_millis(400)).await;
    send(&mut socket, json!({"type": "echo", "after": "expiry of the first token"})).await;
    assert_eq!(recv(&mut socket).await["after"], "expiry of the first token");
}

#[tokio::test]
async fn a_user_holds_a_bounded_number_of_login_sessions_the_oldest_ends_first() {
    // Before: every successful login was kept for SESSION_TTL_SECS, however many: a user logging
    // in in a loop (thousands a second) grew the server's memory without bound.
    let server = TestServer::start_with(|c| c.http.max_login_sessions_per_user = 2).await;
    let mut cookies = Vec::new();
    for _ in 0..3 {
        cookies.push(server.login("alice", "alice-pass").await.1);
    }
    let (_, bobs) = server.login("bob", "bob-pass").await;
    assert_eq!(
        server.token_response(Some(&cookies[0]), Some(ORIGIN)).await.status(),
        401,
        "the oldest ended"
    );
    for cookie in [&cookies[1], &cookies[2], &bobs] {
        assert_eq!(server.token_response(Some(cookie), Some(ORIGIN)).await.status(), 200);
    }
    assert_eq!(server.state.shared().sessions.len(), 3, "two of alice's, one of bob's");
}

#[tokio::test]
async fn a_login_session_expires_and_its_cookie_says_so() {
    let server = TestServer::start_with(|c| c.http.session_ttl = Duration::from_millis(300)).await;
    let (set_cookie, cookie) = server.login("alice", "alice-pass").await;
    assert!(set_cookie.contains("Max-Age=1"), "the browser forgets it too: {set_cookie}");
    assert_eq!(server.token_response(Some(&cookie), Some(ORIGIN)).await.status(), 200);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(server.token_response(Some(&cookie), Some(ORIGIN)).await.status(), 401);
}
