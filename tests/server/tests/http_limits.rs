//! HTTP abuse an internet-facing gateway must survive, probed from outside: a request head over
//! the limit (431), a body over the limit (413), a client that never finishes its headers
//! (slowloris: disconnected), more connections than the global cap (closed at once), and login
//! guessing (429 with `Retry-After`, per user name and per address).

mod common;

use std::time::Duration;

use common::TestServer;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn a_request_head_over_the_limit_gets_431() {
    let server = TestServer::start().await;
    let response = server
        .http
        .post(server.url("/api/login"))
        .header("x-padding", "x".repeat(200 * 1024))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 431);
}

#[tokio::test]
async fn a_body_over_the_limit_gets_413() {
    let server = TestServer::start().await;
    let body = json!({"username": "alice", "password": "x".repeat(100 * 1024)});
    let response = server.http.post(server.url("/api/login")).json(&body).send().await.unwrap();
    assert_eq!(response.status(), 413);
}

/// Reads until the server closes the connection; the bytes it sent first, if any.
async fn until_closed(stream: &mut tokio::net::TcpStream) -> Vec<u8> {
    let mut received = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut received)).await;
    assert!(read.is_ok(), "the server closed the connection within 5 s");
    received
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_disconnected() {
    let server = TestServer::start_with(|c| c.http.header_read_timeout = Duration::from_millis(200)).await;
    let mut slow = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    slow.write_all(b"POST /api/login HTTP/1.1\r\nHost: x\r\nX-Slow: ").await.unwrap();
    let started = tokio::time::Instant::now();
    until_closed(&mut slow).await;
    assert!(started.elapsed() < Duration::from_secs(2), "dropped after the header-read timeout");
}

/// A login request whose head is complete and whose body (100 bytes announced) has one byte.
const BODY_CUT_SHORT: &[u8] =
    b"POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{";

#[tokio::test]
async fn a_client_that_never_finishes_its_body_gets_408_and_is_disconnected() {
    // Before: the header-read timeout ended with the head; a body that never came held the
    // connection (and one of the global cap's slots) for ever.
    let server = TestServer::start_with(|c| c.http.header_read_timeout = Duration::from_millis(200)).await;
    let mut slow = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    slow.write_all(BODY_CUT_SHORT).await.unwrap();
    let started = tokio::time::Instant::now();
    let answer = until_closed(&mut slow).await;
    assert!(answer.starts_with(b"HTTP/1.1 408 "), "{}", String::from_utf8_lossy(&answer));
    assert!(started.elapsed() < Duration::from_secs(2), "dropped after the timeout");
}

#[tokio::test]
async fn a_body_trickled_a_byte_at_a_time_gets_408_too() {
    // The bound is on the whole body, not on the pause between two of its bytes.
    let server = TestServer::start_with(|c| c.http.header_read_timeout = Duration::from_millis(300)).await;
    let slow = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let (mut reader, mut writer) = slow.into_split();
    writer.write_all(BODY_CUT_SHORT).await.unwrap();
    let trickle = tokio::spawn(async move {
        // The attack itself: one more byte every 50 ms, far less than the timeout apart.
        let mut every = tokio::time::interval(Duration::from_millis(50));
        for _ in 0..98 {
            every.tick().await;
            if writer.write_all(b" ").await.is_err() {
                return;
            }
        }
    });
    let mut received = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), reader.read_to_end(&mut received)).await;
    trickle.abort();
    assert!(read.is_ok(), "the server ended the connection within 5 s");
    assert!(received.starts_with(b"HTTP/1.1 408 "), "{}", String::from_utf8_lossy(&received));
}

#[tokio::test]
async fn connections_over_the_global_cap_are_closed_at_once() {
    let server = TestServer::start_with(|c| c.http.max_connections = 2).await;
    let _first = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let _second = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let mut third = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    third.write_all(b"GET /test/audit HTTP/1.1\r\nHost: x\r\n\r\n").await.ok();
    assert!(until_closed(&mut third).await.is_empty(), "closed before any answer");
    drop((_first, _second));
    // Once a slot is free again the server answers.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let login = server
            .http
            .post(server.url("/api/login"))
            .json(&json!({"username": "alice", "password": "alice-pass"}));
        match login.send().await {
            Ok(response) => break assert_eq!(response.status(), 200),
            Err(_) if tokio::time::Instant::now() < deadline => tokio::task::yield_now().await,
            Err(error) => panic!("no slot freed: {error}"),
        }
    }
}

#[tokio::test]
async fn a_client_that_stops_reading_its_responses_is_disconnected() {
    // Slow read: requests pipelined, answers never read. Before: once the socket buffers were
    // full the server waited on its write for ever (nothing times a write out), holding the
    // connection, its buffers and a slot of the global cap; here the only slot.
    let server = TestServer::start_with(|c| {
        c.http.max_connections = 1;
        c.limits.write_timeout = Duration::from_millis(300);
    })
    .await;
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(server.addr).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let pipelined = b"OPTIONS /api/ws-token HTTP/1.1\r\nHost: x\r\n\r\n".repeat(1000);
    let attack = tokio::spawn(async move {
        // Until the server stops reading (this write then waits) or drops the connection.
        while writer.write_all(&pipelined).await.is_ok() {}
    });
    // The first answer's first bytes: the slot is the attacker's. Nothing more is read.
    let mut first = [0; 12];
    reader.read_exact(&mut first).await.unwrap();
    assert_eq!(&first, b"HTTP/1.1 204");
    // The slot comes back once the server gives up on the stalled write.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let answered = loop {
        let login = server
            .http
            .post(server.url("/api/login"))
            .json(&json!({"username": "alice", "password": "alice-pass"}));
        match login.send().await {
            Ok(response) => break response.status(),
            Err(_) if tokio::time::Instant::now() < deadline => tokio::task::yield_now().await,
            Err(error) => panic!("the stalled connection kept the only slot: {error}"),
        }
    };
    attack.abort();
    assert_eq!(answered, 200);
}

async fn login_status(server: &TestServer, user: &str, password: &str) -> reqwest::Response {
    let body = json!({"username": user, "password": password});
    server.http.post(server.url("/api/login")).json(&body).send().await.unwrap()
}

#[tokio::test]
async fn repeated_wrong_passwords_for_a_user_get_429_with_retry_after() {
    let server = TestServer::start().await;
    for attempt in 0..5 {
        assert_eq!(login_status(&server, "alice", "guess").await.status(), 401, "attempt {attempt}");
    }
    for password in ["guess", "alice-pass"] {
        let response = login_status(&server, "alice", password).await;
        assert_eq!(response.status(), 429, "even the right password waits ({password})");
        let retry: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=60).contains(&retry), "{retry}");
    }
    assert_eq!(
        login_status(&server, "bob", "bob-pass").await.status(),
        200,
        "other users are not locked out"
    );
}

#[tokio::test]
async fn wrong_passwords_from_one_address_across_users_get_429() {
    let server = TestServer::start_with(|c| c.http.login_failures_per_ip = 3).await;
    for user in ["u1", "u2", "u3"] {
        assert_eq!(login_status(&server, user, "guess").await.status(), 401);
    }
    assert_eq!(login_status(&server, "u4", "guess").await.status(), 429);
}

#[tokio::test]
async fn the_throttle_window_ends() {
    let server = TestServer::start_with(|c| {
        c.http.login_failures_per_user = 1;
        c.http.login_window = Duration::from_millis(300);
    })
    .await;
    assert_eq!(login_status(&server, "alice", "guess").await.status(), 401);
    assert_eq!(login_status(&server, "alice", "alice-pass").await.status(), 429);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(login_status(&server, "alice", "alice-pass").await.status(), 200);
}
