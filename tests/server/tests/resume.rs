//! Resumable sessions (PROTOCOL.md, "Resumable sessions and advertised limits"), spoken to as the
//! SDK does: the session and limits in `auth_response`, numbered messages both ways, batched
//! cumulative acks, duplicates dropped, a resume that replays exactly the gap, room membership
//! that survives, a takeover (4011), and the refusals (`resumed: false`) that leak nothing:
//! another user's id, a guessed id, an expired window, a gap the buffer cannot fill, a normal close.

mod common;

use std::time::Duration;

use common::{drain, msg, next_msg, recv, send, Socket, TestServer, NEW};
use serde_json::json;
use tokio_tungstenite::tungstenite::protocol::{frame::coding::CloseCode, CloseFrame};

/// A resumable session of `user` that joined room `r`.
async fn in_room(server: &TestServer, user: &str) -> (Socket, String) {
    let (mut socket, reply) = server.resumable(user, NEW()).await;
    send(&mut socket, msg(1, json!({"type": "join_room", "room": "r"}))).await;
    assert_eq!(next_msg(&mut socket).await, (1, json!({"type": "joined", "room": "r"})));
    (socket, reply["session"]["id"].as_str().unwrap().to_owned())
}

async fn say(socket: &mut Socket, content: &str) {
    send(socket, json!({"type": "send_message", "room": "r", "content": content})).await;
    assert_eq!(recv(socket).await["content"], content);
}

#[tokio::test]
async fn a_session_and_the_limits_are_negotiated_in_auth() {
    let server = TestServer::start().await;
    let (_, reply) = server.resumable("alice", NEW()).await;
    let id = reply["session"]["id"].as_str().unwrap();
    assert!(id.len() >= 32 && id.chars().all(|c| c.is_ascii_hexdigit()), "≥ 128 random bits: {id}");
    assert_eq!(reply["session"]["resumed"], false);
    assert_eq!(reply["session"]["lastSeq"], 0);
    assert_eq!(reply["limits"], json!({"messagesPerMinute": 60, "maxMessageBytes": 10240}));
    // Without `resume`, the seed protocol exactly: `authenticated` checks the whole reply.
    server.authenticated("alice").await;
}

#[tokio::test]
async fn with_resumable_sessions_off_an_offer_is_ignored_as_by_an_older_server() {
    let server = TestServer::start_with(|c| c.resume.enabled = false).await;
    let (mut socket, reply) = server.resumable("alice", NEW()).await;
    assert_eq!(reply, json!({"type": "auth_response", "success": true, "userId": "alice"}));
    // Application messages travel unwrapped: nothing numbered, nothing acknowledged.
    send(&mut socket, json!({"type": "echo", "n": 1})).await;
    assert_eq!(recv(&mut socket).await, json!({"type": "echo", "n": 1}));
}

#[tokio::test]
async fn messages_are_numbered_and_acknowledged_in_batches() {
    let server = TestServer::start_with(|c| c.limits.messages_per_minute = 1000).await;
    let (mut socket, _) = server.resumable("alice", NEW()).await;
    for seq in 1..=40 {
        send(&mut socket, msg(seq, json!({"type": "echo", "n": seq}))).await;
    }
    let (mut acks, mut echoes) = (Vec::new(), Vec::new());
    while acks.last() != Some(&40) {
        let frame = recv(&mut socket).await;
        match frame["type"].as_str() {
            Some("ack") => acks.push(frame["seq"].as_u64().unwrap()),
            Some("msg") => {
                echoes.push((frame["seq"].as_u64().unwrap(), frame["data"]["n"].as_u64().unwrap()))
            }
            _ => panic!("{frame}"),
        }
    }
    assert_eq!(echoes, (1..=40).map(|n| (n, n)).collect::<Vec<_>>(), "in order, numbered from 1");
    assert!(acks.len() <= 3, "cumulative and batched (32 messages or 100 ms), not one per message: {acks:?}");
}

#[tokio::test]
async fn duplicates_are_dropped_but_acknowledged_and_a_gap_closes_4012() {
    let server = TestServer::start().await;
    let (mut socket, _) = server.resumable("alice", NEW()).await;
    send(&mut socket, msg(1, json!({"type": "echo", "n": 1}))).await;
    send(&mut socket, msg(1, json!({"type": "echo", "n": 1}))).await;
    send(&mut socket, msg(2, json!({"type": "echo", "n": 2}))).await;
    assert_eq!(next_msg(&mut socket).await, (1, json!({"type": "echo", "n": 1})));
    assert_eq!(
        next_msg(&mut socket).await,
        (2, json!({"type": "echo", "n": 2})),
        "the duplicate was dropped"
    );
    send(&mut socket, msg(1, json!({"type": "echo", "n": 1}))).await;
    assert_eq!(recv(&mut socket).await, json!({"type": "ack", "seq": 2}), "still acknowledged");
    send(&mut socket, msg(4, json!({"type": "echo", "n": 4}))).await;
    let (_, code) = drain(&mut socket).await;
    assert_eq!(code, Some(4012));
}

#[tokio::test]
async fn a_msg_without_an_application_message_is_refused_but_counted_and_the_session_lives_on() {
    // A client that numbered something that is no application message (null, a number, an object
    // without a `type`, a protocol frame's type): refused, yet its number was used, so the next
    // message is no gap and both are acknowledged.
    let server = TestServer::start().await;
    let (mut socket, _) = server.resumable("alice", NEW()).await;
    let refused = [json!(null), json!(42), json!({"no": "type"}), json!({"type": "ping"})];
    for (seq, data) in (1..).zip(refused.iter()) {
        send(&mut socket, msg(seq, data.clone())).await;
        let error = recv(&mut socket).await;
        assert_eq!(
            (error["type"].as_str(), error["code"].as_str()),
            (Some("error"), Some("invalid_message")),
            "{data}"
        );
    }
    send(&mut socket, msg(5, json!({"type": "echo", "n": 5}))).await;
    assert_eq!(
        next_msg(&mut socket).await,
        (1, json!({"type": "echo", "n": 5})),
        "no 4012: the session lives on"
    );
    assert_eq!(recv(&mut socket).await, json!({"type": "ack", "seq": 5}), "every number acknowledged");
}

#[tokio::test]
async fn a_resume_replays_the_gap_exactly_once_and_keeps_the_rooms() {
    let server = TestServer::start().await;
    let (mut alice, session) = in_room(&server, "alice").await;
    let mut bob = server.authenticated("bob").await;
    send(&mut bob, json!({"type": "join_room", "room": "r"})).await;
    recv(&mut bob).await;
    for content in ["one", "two"] {
        say(&mut bob, content).await;
    }
    assert_eq!(next_msg(&mut alice).await.1["content"], "one");
    assert_eq!(next_msg(&mut alice).await.1["content"], "two"); // seq 3
    server.post("/test/drop", json!({"user": "alice"})).await;
    assert_eq!(drain(&mut alice).await.1, None);
    // While alice is away, her session (not her socket) is in the room: these wait for her.
    for content in ["three", "four"] {
        say(&mut bob, content).await;
    }
    // Alice saw seq 2 ("one") in order; "two" was lost in flight with the socket.
    let (mut alice, reply) = server.resumable("alice", json!({"sessionId": session, "lastSeq": 2})).await;
    assert_eq!(reply["session"], json!({"id": session, "resumed": true, "lastSeq": 1}));
    let replayed = [next_msg(&mut alice).await, next_msg(&mut alice).await, next_msg(&mut alice).await];
    let contents: Vec<_> = replayed.iter().map(|(seq, data)| (*seq, data["content"].clone())).collect();
    assert_eq!(contents, [(3, json!("two")), (4, json!("three")), (5, json!("four"))]);
    // Nothing is replayed twice: the next frame is the reply to a new message, numbered on.
    send(&mut alice, msg(2, json!({"type": "echo", "after": "resume"}))).await;
    assert_eq!(next_msg(&mut alice).await, (6, json!({"type": "echo", "after": "resume"})));
    say(&mut bob, "five").await;
    assert_eq!(next_msg(&mut alice).await.1["content"], "five", "still in the room without re-joining");
}

#[tokio::test]
async fn a_resume_takes_the_session_from_the_older_connection_with_4011() {
    let server = TestServer::start().await;
    let (mut old, reply) = server.resumable("alice", NEW()).await;
    let session = reply["session"]["id"].clone();
    let (mut new, reply) = server.resumable("alice", json!({"sessionId": session, "lastSeq": 0})).await;
    assert_eq!(reply["session"]["resumed"], true);
    assert_eq!(drain(&mut old).await.1, Some(4011));
    send(&mut new, msg(1, json!({"type": "echo"}))).await;
    assert_eq!(next_msg(&mut new).await.0, 1);
}

#[tokio::test]
async fn another_users_token_or_a_guessed_id_cannot_resume_and_sees_nothing() {
    let server = TestServer::start().await;
    let (mut alice, session) = in_room(&server, "alice").await;
    let mut bob = server.authenticated("bob").await;
    send(&mut bob, json!({"type": "join_room", "room": "r"})).await;
    recv(&mut bob).await;
    server.post("/test/drop", json!({"user": "alice"})).await;
    drain(&mut alice).await;
    say(&mut bob, "for alice only").await;
    let guessed = "0".repeat(64);
    for (user, id) in [("bob", session.as_str()), ("alice", guessed.as_str())] {
        let (mut socket, reply) = server.resumable(user, json!({"sessionId": id, "lastSeq": 0})).await;
        assert_eq!(reply["session"]["resumed"], false, "{user}");
        assert_ne!(reply["session"]["id"], session, "{user}");
        send(&mut socket, msg(1, json!({"type": "echo", "probe": user}))).await;
        assert_eq!(
            next_msg(&mut socket).await,
            (1, json!({"type": "echo", "probe": user})),
            "nothing replayed"
        );
    }
    // The failed attempts left alice's session alone.
    let (mut alice, reply) = server.resumable("alice", json!({"sessionId": session, "lastSeq": 1})).await;
    assert_eq!(reply["session"]["resumed"], true);
    assert_eq!(next_msg(&mut alice).await.1["content"], "for alice only");
}

#[tokio::test]
async fn a_session_past_its_window_cannot_resume() {
    let server = TestServer::start_with(|c| c.resume.window = Duration::from_millis(200)).await;
    let (mut socket, reply) = server.resumable("alice", NEW()).await;
    server.post("/test/drop", json!({"user": "alice"})).await;
    drain(&mut socket).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (_, again) =
        server.resumable("alice", json!({"sessionId": reply["session"]["id"], "lastSeq": 0})).await;
    assert_eq!(again["session"]["resumed"], false);
}

#[tokio::test]
async fn a_gap_larger_than_the_buffer_cannot_resume() {
    let server = TestServer::start_with(|c| c.resume.buffer = 2).await;
    let (mut socket, reply) = server.resumable("alice", NEW()).await;
    for seq in 1..=4 {
        send(&mut socket, msg(seq, json!({"type": "echo", "n": seq}))).await;
        next_msg(&mut socket).await;
    }
    server.post("/test/drop", json!({"user": "alice"})).await;
    drain(&mut socket).await;
    let (_, again) =
        server.resumable("alice", json!({"sessionId": reply["session"]["id"], "lastSeq": 1})).await;
    assert_eq!(again["session"]["resumed"], false, "messages 2 and 3 are no longer kept");
}

#[tokio::test]
async fn a_normal_close_ends_the_session() {
    let server = TestServer::start().await;
    let (mut socket, reply) = server.resumable("alice", NEW()).await;
    let normal = CloseFrame { code: CloseCode::Normal, reason: "".into() };
    socket.close(Some(normal)).await.unwrap();
    drain(&mut socket).await;
    common::wait_until(&server.state, |state| state.shared().connections.is_empty()).await;
    let (_, again) =
        server.resumable("alice", json!({"sessionId": reply["session"]["id"], "lastSeq": 0})).await;
    assert_eq!(again["session"]["resumed"], false);
}

#[tokio::test]
async fn reauth_keeps_the_session() {
    let server = TestServer::start().await;
    let (mut socket, _) = server.resumable("alice", NEW()).await;
    send(&mut socket, msg(1, json!({"type": "echo"}))).await;
    assert_eq!(next_msg(&mut socket).await.0, 1);
    send(&mut socket, json!({"type": "reauth", "token": server.token("alice").await})).await;
    loop {
        let frame = recv(&mut socket).await;
        if frame["type"] == "reauth_response" {
            assert_eq!(frame["success"], true);
            break;
        }
    }
    send(&mut socket, msg(2, json!({"type": "echo"}))).await;
    assert_eq!(next_msg(&mut socket).await.0, 2, "numbering goes on");
}

#[tokio::test]
async fn the_rate_limit_counts_application_messages_only() {
    let server = TestServer::start_with(|c| c.limits.messages_per_minute = 5).await;
    let (mut socket, _) = server.resumable("alice", NEW()).await;
    for _ in 0..20 {
        send(&mut socket, json!({"type": "ack", "seq": 0})).await;
        send(&mut socket, json!({"type": "ping"})).await;
        assert_eq!(recv(&mut socket).await["type"], "pong");
    }
    for seq in 1..=5 {
        send(&mut socket, msg(seq, json!({"type": "echo", "n": seq}))).await;
        assert_eq!(next_msg(&mut socket).await.0, seq);
    }
    send(&mut socket, msg(6, json!({"type": "echo", "n": 6}))).await;
    let (frames, code) = drain(&mut socket).await;
    assert_eq!(code, Some(4008));
    assert!(frames.iter().any(|f| f["code"] == "rate_limited"));
}

#[tokio::test]
async fn a_message_at_the_advertised_size_fits_in_its_envelope() {
    let server = TestServer::start().await;
    let (mut socket, reply) = server.resumable("alice", NEW()).await;
    let max = reply["limits"]["maxMessageBytes"].as_u64().unwrap() as usize;
    let overhead = json!({"type": "echo", "pad": ""}).to_string().len();
    let data = json!({"type": "echo", "pad": "x".repeat(max - overhead)});
    send(&mut socket, msg(u64::MAX / 2, data.clone())).await;
    let (_, code) = drain(&mut socket).await;
    assert_eq!(code, Some(4012), "a gap, not 4009: the envelope does not count against the size");
}
