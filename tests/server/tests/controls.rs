//! Fault controls (only with `--test-controls`, and only with the secret header): refusing
//! upgrades, delaying auth responses, restarting the listener, the token endpoint answering a
//! chosen status or never answering, closing right after auth, and dropping sockets abruptly.

mod common;

use std::time::{Duration, Instant};

use common::{close_code, drain, recv, send, wait_until, TestServer, ORIGIN};
use serde_json::json;
use tokio_tungstenite::tungstenite::Error;

#[tokio::test]
async fn the_next_upgrades_can_be_refused() {
    let server = TestServer::start().await;
    assert_eq!(server.post("/test/refuse-upgrades", json!({"count": 1})).await.status(), 204);
    match server.connect(Some(ORIGIN)).await {
        Err(Error::Http(response)) => assert_eq!(response.status(), 503),
        other => panic!("expected 503, got {:?}", other.map(|_| ())),
    }
    assert!(server.connect(Some(ORIGIN)).await.is_ok(), "only the next one");
}

#[tokio::test]
async fn auth_responses_can_be_delayed() {
    let server = TestServer::start().await;
    server.post("/test/faults", json!({"user": "alice", "delayAuth": 1, "delayAuthMs": 300})).await;
    let token = server.token("alice").await;
    let mut socket = server.connect(Some(ORIGIN)).await.unwrap();
    let sent = Instant::now();
    send(&mut socket, json!({"type": "auth", "token": token})).await;
    assert_eq!(recv(&mut socket).await["success"], true);
    assert!(sent.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn restarting_the_listener_closes_sockets_with_1012_and_serves_again_on_the_same_port() {
    let server = TestServer::start().await;
    let mut socket = server.authenticated("alice").await;
    assert_eq!(server.post("/test/restart", json!({})).await.status(), 204);
    assert_eq!(close_code(&mut socket).await, 1012);
    server.authenticated("alice").await;
}

#[tokio::test]
async fn the_token_endpoint_can_be_made_to_fail() {
    let server = TestServer::start().await;
    let (_, cookie) = server.login("alice", "alice-pass").await;
    server.post("/test/faults", json!({"user": "alice", "tokenStatus": 503, "tokenFailures": 2})).await;
    for expected in [503, 503, 200] {
        assert_eq!(server.token_response(Some(&cookie), Some(ORIGIN)).await.status(), expected);
    }
}

#[tokio::test]
async fn unknown_fault_fields_are_refused() {
    let server = TestServer::start().await;
    let response = server.post("/test/faults", json!({"user": "alice", "rejectAuht": 1})).await;
    assert_eq!(response.status(), 422);
}

#[tokio::test]
async fn test_controls_without_the_secret_answer_404_as_if_absent() {
    let server = TestServer::start().await;
    for secret in [None, Some("wrong-secret-of-the-same-size!")] {
        let mut request = server.http.post(server.url("/test/close")).json(&json!({"code": 1000}));
        if let Some(secret) = secret {
            request = request.header("x-test-controls", secret);
        }
        assert_eq!(request.send().await.unwrap().status(), 404, "{secret:?}");
        let audit = server.http.get(server.url("/test/audit")).send().await.unwrap();
        assert_eq!(audit.status(), 404);
    }
    assert_eq!(server.post("/test/close", json!({"code": 1000})).await.status(), 200, "with the secret");
}

#[tokio::test]
async fn a_foreign_page_cannot_get_the_secret_header_past_the_preflight() {
    let server = TestServer::start().await;
    let preflight = |origin: &'static str| {
        server
            .http
            .request(reqwest::Method::OPTIONS, server.url("/test/close"))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header("Access-Control-Request-Headers", "x-test-controls")
            .send()
    };
    let foreign = preflight("http://evil.test").await.unwrap();
    assert!(foreign.headers().get("access-control-allow-origin").is_none());
    assert!(foreign.headers().get("access-control-allow-headers").is_none());
    let allowed = preflight(ORIGIN).await.unwrap();
    let headers = allowed.headers()["access-control-allow-headers"].to_str().unwrap().to_owned();
    assert!(headers.contains("x-test-controls"), "{headers}");
}

#[tokio::test]
async fn drop_ends_sockets_mid_stream_without_a_close_frame() {
    let server = TestServer::start().await;
    let mut alice = server.authenticated("alice").await;
    let mut bob = server.authenticated("bob").await;
    send(&mut alice, json!({"type": "echo", "n": 1})).await;
    let response = server.post("/test/drop", json!({"user": "alice"})).await;
    assert_eq!(response.json::<serde_json::Value>().await.unwrap()["dropped"], 1);
    let (_, code) = drain(&mut alice).await;
    assert_eq!(code, None, "no close frame: the connection was cut");
    send(&mut bob, json!({"type": "echo", "still": "here"})).await;
    assert_eq!(recv(&mut bob).await["still"], "here", "only alice's sockets");
    assert!(server.state.log_lines().iter().any(|l| l.contains("dropped (fault control)")));
}

#[tokio::test]
async fn a_hanging_token_request_never_answers_and_ends_when_the_client_gives_up() {
    let server = TestServer::start().await;
    let (_, cookie) = server.login("alice", "alice-pass").await;
    server.post("/test/faults", json!({"user": "alice", "tokenHang": 1})).await;
    let hung = server
        .http
        .post(server.url("/api/ws-token"))
        .header("Cookie", &cookie)
        .header("Origin", ORIGIN)
        .timeout(Duration::from_millis(300))
        .send()
        .await;
    assert!(hung.unwrap_err().is_timeout(), "no answer");
    // The client gave up and closed its connection: the server lets go of the request too.
    wait_until(&server.state, |state| state.shared().hanging_token_requests == 0).await;
    assert_eq!(server.token_response(Some(&cookie), Some(ORIGIN)).await.status(), 200, "only the next one");
}

#[tokio::test]
async fn close_after_auth_accepts_then_closes_with_the_chosen_code() {
    let server = TestServer::start().await;
    server.post("/test/faults", json!({"user": "alice", "closeAfterAuth": 2})).await;
    for _ in 0..2 {
        let mut socket = server.authenticated("alice").await;
        assert_eq!(close_code(&mut socket).await, 1011, "a crashing server by default");
    }
    server
        .post("/test/faults", json!({"user": "alice", "closeAfterAuth": 1, "closeAfterAuthCode": 4008}))
        .await;
    let mut socket = server.authenticated("alice").await;
    assert_eq!(close_code(&mut socket).await, 4008);
    let mut socket = server.authenticated("alice").await;
    send(&mut socket, json!({"type": "echo", "n": 1})).await;
    assert_eq!(recv(&mut socket).await["n"], 1, "then auths stay up");
}
