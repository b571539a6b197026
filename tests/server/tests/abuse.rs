//! What one user can make the server hold or do, bounded. A backend must not let one
//! authenticated user turn resumable sessions, rooms, reconnects or its own control frames into
//! memory, CPU under the global lock, or a close of its own connection:
//! - detached sessions per user are bounded (the oldest goes; its resume answers `resumed: false`);
//! - rooms per client are bounded, and leaving them costs the client's own rooms, not every room;
//! - a session's replay buffer is bounded in bytes as well as count; a session that would have to
//!   drop a message its client never had is lost (`resumed: false`), never silently truncated;
//! - a replay longer than the outgoing queue is written as the client reads, not closed 4013;
//! - tokens are minted at a bounded rate per user (429 with `Retry-After`), and a new connection
//!   continues its user's last application-message bucket: reconnecting gains no messages.

mod common;

use std::time::{Duration, Instant};

use common::{close_code, drain, msg, next_msg, recv, send, wait_until, Socket, TestServer, NEW, ORIGIN};
use secure_ws_test_server::chat::{self, Rooms};
use serde_json::{json, Value};

/// A resumable session of `user` in room `room`; returns the socket and the session id.
async fn session_in(server: &TestServer, user: &str, room: &str) -> (Socket, String) {
    let (mut socket, reply) = server.resumable(user, NEW()).await;
    send(&mut socket, msg(1, json!({"type": "join_room", "room": room}))).await;
    assert_eq!(next_msg(&mut socket).await, (1, json!({"type": "joined", "room": room})));
    (socket, reply["session"]["id"].as_str().unwrap().to_owned())
}

/// Ends the connection without a Close frame (a lost network): the session stays resumable.
async fn lose(server: &TestServer, user: &str, mut socket: Socket) {
    server.post("/test/drop", json!({"user": user})).await;
    assert_eq!(drain(&mut socket).await.1, None);
    wait_until(&server.state, |state| {
        state.shared().connections.values().all(|c| c.user.as_deref() != Some(user))
    })
    .await;
}

async fn resume(server: &TestServer, user: &str, session: &str, last_seq: u64) -> (Socket, Value) {
    server.resumable(user, json!({"sessionId": session, "lastSeq": last_seq})).await
}

#[tokio::test]
async fn one_user_holds_at_most_the_allowed_detached_sessions_and_the_oldest_is_lost() {
    let server = TestServer::start_with(|c| c.resume.detached_per_user = 3).await;
    let mut sessions = Vec::new();
    for n in 0..6 {
        let (socket, session) = session_in(&server, "bob", &format!("room{n}")).await;
        lose(&server, "bob", socket).await;
        sessions.push(session);
    }
    {
        let shared = server.state.shared();
        assert_eq!(shared.resume.detached_of("bob"), 3);
        assert_eq!(shared.resume.len(), 3, "the evicted sessions are gone, not just detached");
        assert_eq!(shared.rooms.len(), 3, "and out of their rooms");
    }
    let (_, oldest) = resume(&server, "bob", &sessions[0], 1).await;
    assert_eq!(oldest["session"]["resumed"], false, "evicted: a lost session, as PROTOCOL.md says");
    let (_, newest) = resume(&server, "bob", &sessions[5], 1).await;
    assert_eq!(newest["session"]["resumed"], true);
}

#[tokio::test]
async fn joining_more_rooms_than_allowed_is_refused() {
    let server = TestServer::start_with(|c| c.limits.rooms_per_client = 3).await;
    let mut socket = server.authenticated("bob").await;
    for room in ["a", "b", "c", "a"] {
        send(&mut socket, json!({"type": "join_room", "room": room})).await;
        assert_eq!(recv(&mut socket).await, json!({"type": "joined", "room": room}));
    }
    send(&mut socket, json!({"type": "join_room", "room": "d"})).await;
    assert_eq!(recv(&mut socket).await["code"], "too_many_rooms");
    send(&mut socket, json!({"type": "leave_room", "room": "a"})).await;
    recv(&mut socket).await;
    send(&mut socket, json!({"type": "join_room", "room": "d"})).await;
    assert_eq!(recv(&mut socket).await, json!({"type": "joined", "room": "d"}));
}

/// The reviewer's freeze: 1,700 sessions × 60 rooms, and every disconnect walked every room on
/// the server. Leaving must cost the member's own rooms: here 1,000 one-room members leave while
/// 50,000 rooms exist (the old walk: 50 million room names copied, many seconds).
#[test]
fn a_disconnect_costs_the_members_own_rooms_not_every_room_on_the_server() {
    let mut rooms = Rooms::new(100);
    let join = |room: String| chat::parse(&json!({"type": "join_room", "room": room})).unwrap();
    for member in 0..500 {
        for n in 0..100 {
            rooms.apply(member, "bob", join(format!("m{member}-{n}"))).unwrap();
        }
    }
    assert_eq!(rooms.len(), 50_000);
    let started = Instant::now();
    for member in 1_000..2_000 {
        rooms.apply(member, "alice", join("lobby".into())).unwrap();
        rooms.disconnect(member);
    }
    let took = started.elapsed();
    assert_eq!(rooms.len(), 50_000);
    assert!(took < Duration::from_millis(500), "1,000 one-room disconnects took {took:?}");
}

#[tokio::test]
async fn a_session_whose_replay_would_exceed_its_byte_bound_is_lost_not_truncated() {
    let server = TestServer::start_with(|c| {
        c.resume.buffer_bytes = 4096;
        c.limits.messages_per_minute = 1000;
    })
    .await;
    let mut alice = server.authenticated("alice").await;
    send(&mut alice, json!({"type": "join_room", "room": "r"})).await;
    recv(&mut alice).await;
    let say =
        |n: usize| json!({"type": "send_message", "room": "r", "content": format!("{n}{}", "x".repeat(900))});

    // Within the bound: every message waits for the resume.
    let (bob, session) = session_in(&server, "bob", "r").await;
    lose(&server, "bob", bob).await;
    for n in 0..3 {
        send(&mut alice, say(n)).await;
        recv(&mut alice).await;
    }
    assert!(server.state.shared().resume.held_bytes() <= 4096);
    let (mut bob, reply) = resume(&server, "bob", &session, 1).await;
    assert_eq!(reply["session"]["resumed"], true);
    for n in 0..3 {
        assert!(next_msg(&mut bob).await.1["content"].as_str().unwrap().starts_with(&n.to_string()));
    }

    // Past it: the session is dropped at once (memory freed, rooms left), and the resume says so.
    lose(&server, "bob", bob).await;
    for n in 3..8 {
        send(&mut alice, say(n)).await;
        recv(&mut alice).await;
    }
    assert!(server.state.shared().resume.is_empty(), "the session was discarded when it overflowed");
    let (_, reply) = resume(&server, "bob", &session, 4).await;
    assert_eq!(reply["session"]["resumed"], false);
}

#[tokio::test]
async fn a_replay_longer_than_the_outgoing_queue_arrives_whole_without_4013() {
    let server = TestServer::start_with(|c| {
        c.limits.outgoing_queue = 8;
        c.limits.messages_per_minute = 1000;
    })
    .await;
    let (bob, session) = session_in(&server, "bob", "r").await;
    lose(&server, "bob", bob).await;
    let mut alice = server.authenticated("alice").await;
    send(&mut alice, json!({"type": "join_room", "room": "r"})).await;
    recv(&mut alice).await;
    for n in 0..40 {
        send(&mut alice, json!({"type": "send_message", "room": "r", "content": n.to_string()})).await;
        recv(&mut alice).await;
    }
    let (mut bob, reply) = resume(&server, "bob", &session, 1).await;
    assert_eq!(reply["session"]["resumed"], true);
    // New messages while the replay is under way come after it, numbered on.
    send(&mut alice, json!({"type": "send_message", "room": "r", "content": "after"})).await;
    for n in 0..40u64 {
        let (seq, data) = next_msg(&mut bob).await;
        assert_eq!((seq, data["content"].clone()), (n + 2, json!(n.to_string())));
    }
    let (seq, data) = next_msg(&mut bob).await;
    assert_eq!((seq, data["content"].clone()), (42, json!("after")), "after the replay, numbered on");
}

#[tokio::test]
async fn a_user_mints_at_most_the_allowed_tokens_then_gets_429_with_retry_after() {
    let server = TestServer::start_with(|c| c.http.tokens_per_minute = 3).await;
    let (_, cookie) = server.login("bob", "bob-pass").await;
    for _ in 0..3 {
        assert_eq!(server.token_response(Some(&cookie), Some(ORIGIN)).await.status(), 200);
    }
    let refused = server.token_response(Some(&cookie), Some(ORIGIN)).await;
    assert_eq!(refused.status(), 429);
    assert_eq!(refused.headers()["cache-control"], "no-store");
    let retry_after: u64 = refused.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=20).contains(&retry_after), "3 a minute: the next in at most 20 s, not {retry_after}");
    assert!(!refused.text().await.unwrap().contains("wsToken"));
    // Per user, not per login: a new login of bob's does not reset it, and alice is not affected.
    let (_, again) = server.login("bob", "bob-pass").await;
    assert_eq!(server.token_response(Some(&again), Some(ORIGIN)).await.status(), 429);
    server.token("alice").await;
}

#[tokio::test]
async fn reconnecting_does_not_refill_the_application_rate_limit() {
    let server = TestServer::start_with(|c| c.limits.messages_per_minute = 5).await;
    let mut first = server.authenticated("bob").await;
    for n in 0..5 {
        send(&mut first, json!({"type": "echo", "n": n})).await;
        assert_eq!(recv(&mut first).await["n"], n);
    }
    first.close(None).await.unwrap();
    drain(&mut first).await;
    wait_until(&server.state, |state| state.shared().connections.is_empty()).await;
    // The new connection starts where the last one left off (refilled for the few milliseconds
    // passed: 5 a minute is one every 12 s), not with a full bucket.
    let mut second = server.authenticated("bob").await;
    send(&mut second, json!({"type": "echo", "n": 5})).await;
    assert_eq!(recv(&mut second).await["code"], "rate_limited");
    assert_eq!(close_code(&mut second).await, 4008);
    // Another user's allowance is their own.
    let mut alice = server.authenticated("alice").await;
    send(&mut alice, json!({"type": "echo", "n": 0})).await;
    assert_eq!(recv(&mut alice).await["n"], 0);
}
