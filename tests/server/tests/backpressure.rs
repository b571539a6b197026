//! A peer that does not read: the server's outgoing queue per connection is bounded, a consumer
//! too far behind is closed 4013 (too slow), and the ping check still ends a connection whose
//! writes are blocked. A peer that reads is never closed 4013 for what its own frames ask: pings
//! in any number within the control allowance share one pending pong, frames answered with an
//! error count against the application allowance, and protocol (RFC 6455) pings count against
//! the control allowance.

mod common;

use std::time::Duration;

use common::{drain, recv, send, wait_until, TestServer, ORIGIN};
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio_tungstenite::tungstenite::{client::IntoClientRequest, Message};

/// An authenticated socket whose receive window is tiny, so what the server writes backs up on
/// the server's side as soon as the client stops reading.
async fn slow_reader(server: &TestServer, user: &str) -> common::Socket {
    let token = server.token(user).await;
    let tcp = tokio::net::TcpSocket::new_v4().unwrap();
    tcp.set_recv_buffer_size(4096).unwrap();
    let stream = tcp.connect(server.addr).await.unwrap();
    let mut request = format!("ws://{}/ws", server.addr).into_client_request().unwrap();
    request.headers_mut().insert("Origin", ORIGIN.parse().unwrap());
    let (mut socket, _) =
        tokio_tungstenite::client_async(request, tokio_tungstenite::MaybeTlsStream::Plain(stream))
            .await
            .unwrap();
    socket.send(Message::text(json!({"type": "auth", "token": token}).to_string())).await.unwrap();
    socket
}

/// Sends `count` echo frames of about 9 KB without reading a byte: several megabytes of replies
/// the server cannot write.
async fn flood_without_reading(socket: &mut common::Socket, count: usize) {
    let pad = "x".repeat(9000);
    for n in 0..count {
        let frame = json!({"type": "echo", "n": n, "pad": pad});
        if socket.send(Message::text(frame.to_string())).await.is_err() {
            return;
        }
    }
}

#[tokio::test]
async fn a_peer_that_stops_reading_is_closed_4013_too_slow() {
    let server = TestServer::start_with(|c| {
        c.limits.messages_per_minute = 1_000_000;
        c.limits.outgoing_queue = 8;
        c.limits.close_timeout = Duration::from_secs(10);
    })
    .await;
    let mut socket = slow_reader(&server, "alice").await;
    flood_without_reading(&mut socket, 900).await;
    let (frames, code) = common::drain(&mut socket).await;
    assert_eq!(code, Some(4013), "after {} frames", frames.len());
    assert!(frames.len() < 900, "the server stopped queueing");
    assert!(server.state.log_lines().iter().any(|l| l.contains("too slow")));
}

#[tokio::test]
async fn the_ping_check_ends_a_connection_whose_writes_are_blocked() {
    let server = TestServer::start_with(|c| {
        c.limits.messages_per_minute = 1_000_000;
        c.limits.outgoing_queue = 100_000;
        c.limits.ping_interval = Duration::from_millis(500);
    })
    .await;
    let mut socket = slow_reader(&server, "alice").await;
    flood_without_reading(&mut socket, 700).await;
    // The pings are stuck behind replies the peer does not read, so no pong comes back.
    wait_until(&server.state, |state| state.shared().connections.is_empty()).await;
    assert!(server.state.log_lines().iter().any(|l| l.contains("no pong, terminated")));
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(Ok(_)) = socket.next().await {}
    });
    assert!(ended.await.is_ok(), "the client sees the end");
}

/// The reviewer's 260 app-level pings in one write were closed 4013: each queued a pong, and the
/// queue (256) filled before the writer could drain it. One pending pong answers every ping read
/// before it is written, so any burst within the control allowance fits any queue.
#[tokio::test]
async fn a_burst_of_pings_in_one_write_never_closes_a_client_that_reads() {
    let server = TestServer::start_with(|c| c.limits.outgoing_queue = 8).await;
    let mut socket = server.authenticated("alice").await;
    for _ in 0..590 {
        socket.feed(Message::text(json!({"type": "ping"}).to_string())).await.unwrap();
    }
    socket.feed(Message::text(json!({"type": "echo", "last": true}).to_string())).await.unwrap();
    socket.flush().await.unwrap();
    let mut pongs = 0;
    loop {
        let frame = recv(&mut socket).await;
        if frame["type"] == "echo" {
            break;
        }
        assert_eq!(frame, json!({"type": "pong"}));
        pongs += 1;
    }
    assert!((1..=590).contains(&pongs), "{pongs} pongs: at least one, written after the pings");
    send(&mut socket, json!({"type": "ping"})).await;
    assert_eq!(recv(&mut socket).await, json!({"type": "pong"}), "still answered, one for one when spaced");
}

/// Frames answered with an error (here a second `auth`) count against the application allowance
/// (60, burst 60, within the queue's 256), so a burst of them ends in the rate limit, not in 4013.
#[tokio::test]
async fn a_burst_of_frames_answered_with_errors_ends_in_4008_not_4013() {
    let server = TestServer::start().await;
    let mut socket = server.authenticated("alice").await;
    for _ in 0..590 {
        socket.feed(Message::text(json!({"type": "auth", "token": "x"}).to_string())).await.unwrap();
    }
    socket.flush().await.unwrap();
    let (frames, code) = drain(&mut socket).await;
    assert_eq!(code, Some(4008), "after {} frames", frames.len());
    assert_eq!(frames.last().unwrap()["code"], "rate_limited");
    assert_eq!(frames.len(), 61, "60 errors, then the rate limit's");
}

/// RFC 6455 pings are answered by the WebSocket library, without the server's logic seeing them
/// as work: they count against the control-frame allowance like app-level pings (20,000 were all
/// answered).
#[tokio::test]
async fn protocol_pings_count_against_the_control_allowance() {
    let server = TestServer::start_with(|c| c.limits.control_frames_per_minute = 50).await;
    let mut socket = server.authenticated("alice").await;
    for n in 0..60u32 {
        socket.feed(Message::Ping(n.to_be_bytes().to_vec().into())).await.unwrap();
    }
    socket.flush().await.unwrap();
    let (frames, code) = drain(&mut socket).await;
    assert_eq!(code, Some(4008));
    assert_eq!(frames.last().unwrap()["code"], "rate_limited");
}
