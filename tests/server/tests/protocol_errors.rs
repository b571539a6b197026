//! Frames that break RFC 6455 itself, sent from a raw TCP socket (a WebSocket library would refuse
//! to send them): the server answers each with a Close frame carrying the right code, while the
//! socket can still carry one, instead of dropping the TCP connection without a word. A client
//! then learns why (and a browser SDK sees a code, not 1006).
//! - a text frame that is not UTF-8 → 1007;
//! - an unmasked frame, reserved bits, an unknown opcode, a control frame over 125 bytes, a
//!   continuation with nothing to continue → 1002;
//! - a frame or message over the transport's own cap (64 KiB, above the 10 KiB limit) → 4009, as
//!   any message over the limit.

mod common;

use std::time::Duration;

use common::{TestServer, ORIGIN};
use serde_json::{json, Value};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

const TEXT: u8 = 1;
const CONTINUATION: u8 = 0;
const PING: u8 = 9;
const CLOSE: u8 = 8;

/// A client frame: FIN set unless `more`, reserved bits `rsv` (0–7), masked unless `unmasked`.
fn frame(opcode: u8, payload: &[u8], more: bool, rsv: u8, unmasked: bool) -> Vec<u8> {
    let mut out = vec![(if more { 0 } else { 0x80 }) | (rsv << 4) | opcode];
    let mask_bit = if unmasked { 0 } else { 0x80 };
    match payload.len() {
        n if n < 126 => out.push(mask_bit | n as u8),
        n if n < 65536 => {
            out.push(mask_bit | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(mask_bit | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    if unmasked {
        out.extend_from_slice(payload);
    } else {
        let key = [0x37, 0xfa, 0x21, 0x3d];
        out.extend_from_slice(&key);
        out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    }
    out
}

fn text(payload: &[u8]) -> Vec<u8> {
    frame(TEXT, payload, false, 0, false)
}

/// The next server frame: (opcode, payload); `None` at the end of the stream.
async fn read_frame(stream: &mut TcpStream) -> Option<(u8, Vec<u8>)> {
    let mut head = [0u8; 2];
    stream.read_exact(&mut head).await.ok()?;
    let len = match head[1] & 0x7f {
        126 => {
            let mut n = [0u8; 2];
            stream.read_exact(&mut n).await.ok()?;
            u64::from(u16::from_be_bytes(n))
        }
        127 => {
            let mut n = [0u8; 8];
            stream.read_exact(&mut n).await.ok()?;
            u64::from_be_bytes(n)
        }
        n => u64::from(n),
    };
    let mut payload = vec![0; len as usize];
    stream.read_exact(&mut payload).await.ok()?;
    Some((head[0] & 0x0f, payload))
}

/// Upgrades a raw TCP connection and authenticates it as `user`.
async fn authenticated(server: &TestServer, user: &str) -> TcpStream {
    let token = server.token(user).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let request = format!(
        "GET /ws HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nOrigin: {ORIGIN}\r\n\r\n",
        server.addr
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        head.push(stream.read_u8().await.unwrap());
    }
    assert!(head.starts_with(b"HTTP/1.1 101"), "{}", String::from_utf8_lossy(&head));
    let auth = json!({"type": "auth", "token": token}).to_string();
    stream.write_all(&text(auth.as_bytes())).await.unwrap();
    let (opcode, reply) = read_frame(&mut stream).await.unwrap();
    assert_eq!(opcode, TEXT);
    assert_eq!(serde_json::from_slice::<Value>(&reply).unwrap()["success"], true);
    stream
}

/// Sends `bytes` on an authenticated connection and returns the code of the Close frame that
/// answers, or `None` if the connection ended without one.
async fn close_code_after(bytes: &[u8]) -> Option<u16> {
    let server = TestServer::start().await;
    let mut stream = authenticated(&server, "alice").await;
    stream.write_all(bytes).await.unwrap();
    tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match read_frame(&mut stream).await? {
                (CLOSE, payload) if payload.len() >= 2 => {
                    return Some(u16::from_be_bytes([payload[0], payload[1]]))
                }
                (CLOSE, _) => return Some(1005),
                _ => continue,
            }
        }
    })
    .await
    .expect("an answer within 5 s")
}

#[tokio::test]
async fn a_text_frame_that_is_not_utf8_is_closed_1007() {
    assert_eq!(close_code_after(&text(&[b'{', 0xff, 0xfe, b'}'])).await, Some(1007));
}

#[tokio::test]
async fn protocol_violations_are_closed_1002() {
    let cases = [
        ("unmasked frame", frame(TEXT, br#"{"type":"ping"}"#, false, 0, true)),
        ("reserved bit", frame(TEXT, br#"{"type":"ping"}"#, false, 4, false)),
        ("unknown opcode", frame(3, b"x", false, 0, false)),
        ("control frame over 125 bytes", frame(PING, &[0; 200], false, 0, false)),
        ("continuation of nothing", frame(CONTINUATION, b"x", false, 0, false)),
    ];
    for (case, bytes) in cases {
        assert_eq!(close_code_after(&bytes).await, Some(1002), "{case}");
    }
}

#[tokio::test]
async fn a_frame_or_message_over_the_transport_cap_is_closed_4009_like_any_too_large_message() {
    let big = json!({"type": "echo", "pad": "x".repeat(70_000)}).to_string();
    assert_eq!(close_code_after(&text(big.as_bytes())).await, Some(4009), "a 70 KB frame");
    let mut huge_header = vec![0x81, 0xff];
    huge_header.extend_from_slice(&(1u64 << 62).to_be_bytes());
    huge_header.extend_from_slice(&[1, 2, 3, 4]);
    assert_eq!(close_code_after(&huge_header).await, Some(4009), "a header claiming 2^62 bytes");
    let fragments: Vec<u8> = (0..20)
        .flat_map(|n| frame(if n == 0 { TEXT } else { CONTINUATION }, &[b'x'; 4000], n < 19, 0, false))
        .collect();
    assert_eq!(close_code_after(&fragments).await, Some(4009), "80 KB in 4 KB fragments");
}
