//! A peer that does not read: the server's outgoing queue per connection is bounded, a consumer
//! too far behind is closed 4013 (too slow), and the ping check still ends a connection whose
//! writes are blocked.

mod common;

use std::time::Duration;

use common::{wait_until, TestServer, ORIGIN};
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
