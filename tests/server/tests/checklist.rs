//! The server-side security checklist, one test per line, each speaking real HTTP and WebSocket:
//! connection caps per IP and per user (4007), rate limit (error, then 4008), message size (4009),
//! protocol pings that terminate an unresponsive peer, typed message validation with generic
//! errors, author-only delete, logout closing the user's sockets, and a log with no secret in it.

mod common;

use std::time::Duration;

use common::{close_code, drain, recv, send, TestServer, ORIGIN};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn more_connections_from_one_address_than_allowed_are_closed_4007() {
    let server = TestServer::start_with(|c| c.limits.connections_per_ip = 2).await;
    let _first = server.connect(Some(ORIGIN)).await.unwrap();
    let _second = server.connect(Some(ORIGIN)).await.unwrap();
    let mut third = server.connect(Some(ORIGIN)).await.unwrap();
    assert_eq!(close_code(&mut third).await, 4007);
}

#[tokio::test]
async fn more_connections_for_one_user_than_allowed_are_closed_4007() {
    let server = TestServer::start_with(|c| c.limits.connections_per_user = 2).await;
    let _first = server.authenticated("alice").await;
    let _second = server.authenticated("alice").await;
    let token = server.token("alice").await;
    let mut third = server.connect(Some(ORIGIN)).await.unwrap();
    send(&mut third, json!({"type": "auth", "token": token})).await;
    assert_eq!(close_code(&mut third).await, 4007);
    server.authenticated("bob").await;
}

#[tokio::test]
async fn exceeding_the_rate_limit_gets_an_error_then_4008() {
    let server = TestServer::start_with(|c| c.limits.messages_per_minute = 5).await;
    // Application messages only: the auth frame is a control frame, with its own limit.
    let mut socket = server.authenticated("alice").await;
    for n in 0..5 {
        send(&mut socket, json!({"type": "echo", "n": n})).await;
        assert_eq!(recv(&mut socket).await["n"], n);
    }
    send(&mut socket, json!({"type": "echo", "n": 5})).await;
    assert_eq!(
        recv(&mut socket).await,
        json!({"type": "error", "code": "rate_limited", "message": "too many messages"})
    );
    assert_eq!(close_code(&mut socket).await, 4008);
}

/// The closing handshake: after its Close frame the server keeps reading until the client's
/// Close, so frames the client is still sending cannot turn the close into a reset (1006).
/// Repeated, so that a race would show.
#[tokio::test]
async fn a_flooding_client_always_reads_4008_never_a_reset() {
    let server = TestServer::start().await;
    for round in 0..25 {
        let socket = server.authenticated("alice").await;
        let (mut sink, mut stream) = socket.split();
        // The client floods on while the server closes, as a runaway client does.
        let flood = tokio::spawn(async move {
            for n in 0..200 {
                let frame = json!({"type": "echo", "n": n, "pad": "x".repeat(500)});
                if sink.send(Message::text(frame.to_string())).await.is_err() {
                    break;
                }
            }
        });
        let code = loop {
            match tokio::time::timeout(Duration::from_secs(10), stream.next()).await.expect("an end") {
                Some(Ok(Message::Close(frame))) => break frame.map(|f| u16::from(f.code)),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => break None,
            }
        };
        flood.abort();
        assert_eq!(code, Some(4008), "round {round}: the close code arrived, not a reset");
    }
}

#[tokio::test]
async fn a_client_flooding_control_frames_gets_4008_too() {
    let server = TestServer::start_with(|c| c.limits.control_frames_per_minute = 100).await;
    for round in 0..10 {
        let mut socket = server.authenticated("alice").await;
        for _ in 0..120 {
            if socket.send(Message::text(json!({"type": "ping"}).to_string())).await.is_err() {
                break;
            }
        }
        let (_, code) = drain(&mut socket).await;
        assert_eq!(code, Some(4008), "round {round}");
    }
}

#[tokio::test]
async fn a_frame_over_the_size_limit_is_closed_4009() {
    let server = TestServer::start().await;
    let mut socket = server.authenticated("alice").await;
    send(&mut socket, json!({"type": "echo", "pad": "x".repeat(10 * 1024)})).await;
    assert_eq!(close_code(&mut socket).await, 4009);
}

#[tokio::test]
async fn a_frame_at_the_size_limit_is_accepted() {
    let server = TestServer::start().await;
    let mut socket = server.authenticated("alice").await;
    let overhead = json!({"type": "echo", "pad": ""}).to_string().len();
    send(&mut socket, json!({"type": "echo", "pad": "x".repeat(10 * 1024 - overhead)})).await;
    assert_eq!(recv(&mut socket).await["type"], "echo");
}

#[tokio::test]
async fn a_peer_that_never_answers_pings_is_terminated() {
    let server = TestServer::start_with(|c| c.limits.ping_interval = Duration::from_millis(100)).await;
    let mut silent = server.authenticated("alice").await;
    // Not reading is what an unresponsive peer does: its pongs are never written. Two intervals
    // later the server has given up on it.
    tokio::time::sleep(Duration::from_millis(350)).await;
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(Ok(_)) = silent.next().await {}
    })
    .await;
    assert!(ended.is_ok(), "the server closed the connection");
    assert!(server.state.log_lines().iter().any(|l| l.contains("no pong, terminated")));
}

#[tokio::test]
async fn a_peer_that_answers_pings_stays_connected() {
    let server = TestServer::start_with(|c| c.limits.ping_interval = Duration::from_millis(50)).await;
    let mut socket = server.authenticated("alice").await;
    // Reading answers the server's pings (tungstenite replies as it reads).
    let deadline = tokio::time::Instant::now() + Duration::from_millis(300);
    while tokio::time::timeout_at(deadline, socket.next()).await.is_ok() {}
    send(&mut socket, json!({"type": "echo", "alive": true})).await;
    assert_eq!(recv(&mut socket).await["alive"], true);
}

async fn joined(server: &TestServer, user: &str, room: &str) -> common::Socket {
    let mut socket = server.authenticated(user).await;
    send(&mut socket, json!({"type": "join_room", "room": room})).await;
    assert_eq!(recv(&mut socket).await, json!({"type": "joined", "room": room}));
    socket
}

#[tokio::test]
async fn room_messages_are_broadcast_with_sender_and_timestamp() {
    let server = TestServer::start().await;
    let mut alice = joined(&server, "alice", "general").await;
    let mut bob = joined(&server, "bob", "general").await;
    send(&mut alice, json!({"type": "send_message", "room": "general", "content": "hello"})).await;
    for socket in [&mut alice, &mut bob] {
        let message = recv(socket).await;
        assert_eq!(message["type"], "message");
        assert_eq!(message["sender"], "alice");
        assert_eq!(message["content"], "hello");
        assert!(message["timestamp"].as_u64().unwrap() > 0);
    }
}

#[tokio::test]
async fn only_the_author_may_delete_and_others_get_permission_denied() {
    let server = TestServer::start().await;
    let mut alice = joined(&server, "alice", "r").await;
    let mut bob = joined(&server, "bob", "r").await;
    send(&mut alice, json!({"type": "send_message", "room": "r", "content": "mine"})).await;
    let id = recv(&mut alice).await["id"].clone();
    recv(&mut bob).await;
    send(&mut bob, json!({"type": "delete_message", "room": "r", "messageId": id})).await;
    let refusal = recv(&mut bob).await;
    assert_eq!(refusal["code"], "permission_denied");
    assert!(!refusal.to_string().contains("alice"), "no internals in the error: {refusal}");
    send(&mut alice, json!({"type": "delete_message", "room": "r", "messageId": id})).await;
    assert_eq!(recv(&mut bob).await, json!({"type": "message_deleted", "room": "r", "messageId": id}));
}

/// A message is deleted from the room it is in, and only there: "deleting" it from another room
/// would tell that room about it and leave it standing where it was.
#[tokio::test]
async fn a_message_cannot_be_deleted_from_a_room_it_is_not_in() {
    let server = TestServer::start().await;
    let mut alice = joined(&server, "alice", "roomA").await;
    send(&mut alice, json!({"type": "join_room", "room": "roomB"})).await;
    recv(&mut alice).await;
    let mut bob = joined(&server, "bob", "roomA").await;
    let mut watcher = joined(&server, "bob", "roomB").await;
    send(&mut alice, json!({"type": "send_message", "room": "roomA", "content": "in A"})).await;
    let id = recv(&mut alice).await["id"].clone();
    assert_eq!(recv(&mut bob).await["id"], id);
    send(&mut alice, json!({"type": "delete_message", "room": "roomB", "messageId": id})).await;
    assert_eq!(recv(&mut alice).await["code"], "not_found");
    // roomB heard nothing of it: its next frame is the next message said there.
    send(&mut alice, json!({"type": "send_message", "room": "roomB", "content": "in B"})).await;
    assert_eq!(recv(&mut watcher).await["content"], "in B");
    // In its own room it is still there, and deleted for roomA's members.
    send(&mut alice, json!({"type": "delete_message", "room": "roomA", "messageId": id})).await;
    assert_eq!(recv(&mut bob).await, json!({"type": "message_deleted", "room": "roomA", "messageId": id}));
}

#[tokio::test]
async fn invalid_messages_get_a_generic_error_and_the_detail_goes_to_the_log() {
    let server = TestServer::start().await;
    let mut socket = joined(&server, "alice", "r").await;
    let too_long = "x".repeat(1001);
    for bad in [
        json!({"type": "send_message", "room": "r", "content": too_long}),
        json!({"type": "send_message", "room": "r", "content": "hi", "admin": true}),
        json!({"type": "teleport"}),
    ] {
        send(&mut socket, bad).await;
        let error = recv(&mut socket).await;
        assert_eq!(
            error,
            json!({"type": "error", "code": "invalid_message", "message": "the message does not match the schema"})
        );
    }
    assert!(server.state.log_lines().iter().any(|l| l.contains("unknown field")), "the detail is logged");
    send(&mut socket, json!({"type": "send_message", "room": "r", "content": "still here"})).await;
    assert_eq!(recv(&mut socket).await["content"], "still here");
}

/// Text a client chose is data in the log, never structure: a `type`, a field name or an id with a
/// line break cannot end the log line and forge the next one ("login user=admin").
#[tokio::test]
async fn client_text_cannot_forge_a_log_line() {
    let server = TestServer::start().await;
    let mut socket = joined(&server, "alice", "r").await;
    let forged = "x\n[secure-ws-test-server] login user=admin\r\nissued ws token user=admin\u{2028}y";
    for frame in [
        json!({"type": forged}),
        json!({"type": "send_message", "room": "r", "content": "hi", forged: 1}),
        json!({"type": "delete_message", "room": "r", "messageId": forged}),
    ] {
        send(&mut socket, frame).await;
        assert_eq!(recv(&mut socket).await["type"], "error");
    }
    let lines = server.state.log_lines();
    assert!(lines.iter().all(|l| !l.contains(['\n', '\r', '\u{2028}'])), "{lines:#?}");
    assert!(!lines
        .iter()
        .any(|l| l.starts_with("login user=admin") || l.starts_with("issued ws token user=admin")));
    let escaped = r"x\n[secure-ws-test-server] login user=admin\r\n";
    assert!(lines.iter().any(|l| l.contains(escaped)), "kept, escaped and quoted: {lines:#?}");
}

#[tokio::test]
async fn logout_ends_the_session_and_closes_the_users_sockets() {
    let server = TestServer::start().await;
    let (_, cookie) = server.login("alice", "alice-pass").await;
    let token: Value = server.token_response(Some(&cookie), Some(ORIGIN)).await.json().await.unwrap();
    let mut socket = server.connect(Some(ORIGIN)).await.unwrap();
    send(&mut socket, json!({"type": "auth", "token": token["wsToken"]})).await;
    recv(&mut socket).await;
    let mut bystander = server.authenticated("bob").await;
    let response =
        server.http.post(server.url("/api/logout")).header("Cookie", &cookie).send().await.unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(close_code(&mut socket).await, 1000);
    assert_eq!(server.token_response(Some(&cookie), Some(ORIGIN)).await.status(), 401);
    send(&mut bystander, json!({"type": "echo", "still": "here"})).await;
    assert_eq!(recv(&mut bystander).await["still"], "here");
}

#[tokio::test]
async fn the_log_never_holds_a_token_cookie_or_password() {
    let server = TestServer::start().await;
    let (_, cookie) = server.login("alice", "alice-pass").await;
    let mut socket = server.authenticated("alice").await;
    let fresh = server.token("alice").await;
    send(&mut socket, json!({"type": "reauth", "token": fresh})).await;
    recv(&mut socket).await;
    let mut forged = server.connect(Some(ORIGIN)).await.unwrap();
    send(&mut forged, json!({"type": "auth", "token": "eyJforged.eyJtoken.sig"})).await;
    recv(&mut forged).await;
    // A replayed token, a wrong password and a resumable session take their own log paths.
    let mut replayed = server.connect(Some(ORIGIN)).await.unwrap();
    send(&mut replayed, json!({"type": "auth", "token": fresh})).await;
    assert_eq!(recv(&mut replayed).await["success"], false);
    let wrong = json!({"username": "alice", "password": "alice-pass-wrong"});
    server.http.post(server.url("/api/login")).json(&wrong).send().await.unwrap();
    let (_, reply) = server.resumable("alice", json!({"sessionId": null, "lastSeq": 0})).await;
    let session_id = reply["session"]["id"].as_str().unwrap().to_owned();
    let response =
        server.http.post(server.url("/api/logout")).header("Cookie", &cookie).send().await.unwrap();
    assert_eq!(response.status(), 204);
    let log = server.state.log_lines().join("\n");
    assert!(log.contains("authenticated user=alice"), "the log is captured: {log}");
    let session = cookie.split('=').nth(1).unwrap();
    assert!(log.contains("token already used"), "{log}");
    for secret in [fresh.as_str(), "eyJ", session, "alice-pass", session_id.as_str()] {
        assert!(!log.contains(secret), "the log holds a secret ({secret}):\n{log}");
    }
}
