//! The WebSocket endpoint, spoken to with a real client. Covers: foreign or missing Origin refused
//! with 403 before the upgrade, auth as first frame, a bad token (4003 with a rejection first),
//! an app frame or a malformed frame before auth (4003), no auth in time (4001), reauth with the
//! same and another user, ping/pong, echo, and the audit trail holding no token.

mod common;

use std::time::Duration;

use common::{close_code, recv, send, TestServer, ORIGIN};
use futures_util::SinkExt;
use serde_json::json;
use tokio_tungstenite::tungstenite::{Error, Message};

#[tokio::test]
async fn a_foreign_or_missing_origin_is_refused_before_upgrading() {
    let server = TestServer::start().await;
    for origin in [Some("http://evil.test"), None] {
        match server.connect(origin).await {
            Err(Error::Http(response)) => assert_eq!(response.status(), 403),
            other => panic!("expected 403 for {origin:?}, got {:?}", other.map(|_| ())),
        }
    }
}

#[tokio::test]
async fn a_valid_token_as_first_frame_authenticates() {
    let server = TestServer::start().await;
    let mut socket = server.authenticated("alice").await;
    send(&mut socket, json!({"type": "echo", "n": 1})).await;
    assert_eq!(recv(&mut socket).await, json!({"type": "echo", "n": 1}));
}

#[tokio::test]
async fn a_bad_token_is_rejected_then_closed_4003() {
    let server = TestServer::start().await;
    let mut socket = server.connect(Some(ORIGIN)).await.unwrap();
    send(&mut socket, json!({"type": "auth", "token": "forged.token.value"})).await;
    let reply = recv(&mut socket).await;
    assert_eq!(reply["type"], "auth_response");
    assert_eq!(reply["success"], false);
    assert_eq!(close_code(&mut socket).await, 4003);
}

#[tokio::test]
async fn an_app_frame_before_auth_is_closed_4003() {
    let server = TestServer::start().await;
    let mut socket = server.connect(Some(ORIGIN)).await.unwrap();
    send(&mut socket, json!({"type": "chat"})).await;
    assert_eq!(recv(&mut socket).await["success"], false);
    assert_eq!(close_code(&mut socket).await, 4003);
}

/// `auth` must be the first frame: a first frame that is not JSON, or has no string `type`, is
/// not a chance to try again but a failed authentication, like any other non-auth first frame.
#[tokio::test]
async fn a_first_frame_that_is_not_json_or_has_no_type_is_closed_4003() {
    let server = TestServer::start().await;
    for first in ["not json", "[1,2]", r#"{"type":7}"#, r#"{"token":"t"}"#] {
        let mut socket = server.connect(Some(ORIGIN)).await.unwrap();
        socket.send(Message::text(first)).await.unwrap();
        assert_eq!(
            recv(&mut socket).await,
            json!({"type": "auth_response", "success": false, "error": "authentication required"}),
            "{first}"
        );
        assert_eq!(close_code(&mut socket).await, 4003, "{first}");
    }
}

#[tokio::test]
async fn no_auth_in_time_is_closed_4001() {
    let server = TestServer::start_with(|c| c.auth_deadline = Duration::from_millis(100)).await;
    let mut socket = server.connect(Some(ORIGIN)).await.unwrap();
    assert_eq!(close_code(&mut socket).await, 4001);
}

#[tokio::test]
async fn reauth_must_carry_the_same_user() {
    let server = TestServer::start().await;
    let mut socket = server.authenticated("alice").await;
    let fresh = server.token("alice").await;
    send(&mut socket, json!({"type": "reauth", "token": fresh})).await;
    assert_eq!(recv(&mut socket).await, json!({"type": "reauth_response", "success": true}));
    let other = server.token("bob").await;
    send(&mut socket, json!({"type": "reauth", "token": other})).await;
    assert_eq!(recv(&mut socket).await["success"], false);
    assert_eq!(close_code(&mut socket).await, 4003);
}

#[tokio::test]
async fn app_level_ping_is_answered_with_pong() {
    let server = TestServer::start().await;
    let mut socket = server.authenticated("alice").await;
    send(&mut socket, json!({"type": "ping"})).await;
    assert_eq!(recv(&mut socket).await, json!({"type": "pong"}));
}

#[tokio::test]
async fn the_audit_trail_records_frames_with_tokens_redacted() {
    let server = TestServer::start().await;
    let mut socket = server.authenticated("alice").await;
    send(&mut socket, json!({"type": "echo"})).await;
    recv(&mut socket).await;
    let audit = server.audit().await;
    let frames = &audit["connections"][0]["frames"];
    assert_eq!(frames[0], json!({"type": "auth", "token": "<redacted>"}).to_string());
    assert_eq!(audit["tokenInUri"], false);
    assert!(!audit.to_string().contains("eyJ"), "no JWT anywhere in the audit");
}

#[tokio::test]
async fn fault_controls_reject_the_next_auth_for_one_user() {
    let server = TestServer::start().await;
    server.post("/test/faults", json!({"user": "alice", "rejectAuth": 1})).await;
    let token = server.token("alice").await;
    let mut socket = server.connect(Some(ORIGIN)).await.unwrap();
    send(&mut socket, json!({"type": "auth", "token": token})).await;
    assert_eq!(recv(&mut socket).await["success"], false);
    assert_eq!(close_code(&mut socket).await, 4003);
    server.authenticated("alice").await;
}

#[tokio::test]
async fn fault_controls_are_absent_unless_enabled() {
    let server = TestServer::start_with(|c| c.test_controls = false).await;
    let response = server.http.get(server.url("/test/audit")).send().await.unwrap();
    assert_eq!(response.status(), 404);
}
