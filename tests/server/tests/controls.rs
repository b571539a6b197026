//! Fault controls (only with `--test-controls`): refusing upgrades, delaying auth responses,
//! restarting the listener, and the token endpoint answering a chosen status.

mod common;

use std::time::{Duration, Instant};

use common::{close_code, recv, send, TestServer, ORIGIN};
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
