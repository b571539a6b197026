//! `secure-ws-load ADDR SERVER_PID [CONNECTIONS]`: the server load test of the benchmark.
//!
//! Logs in, opens CONNECTIONS (default 10,000) authenticated WebSockets and keeps them all
//! reading (which answers the server's protocol pings), measures the server's resident memory per
//! connection, then the round-trip latency of echoes at a fixed 1,000 messages/s, and checks that
//! every connection survived at least one full ping interval. Prints one JSON object.

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use futures_util::{stream, SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::{client::IntoClientRequest, Message};

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const ORIGIN_HEADER: &str = "Origin";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut args = std::env::args().skip(1);
    let addr = args.next().ok_or("usage: secure-ws-load ADDR SERVER_PID [CONNECTIONS]")?;
    let pid: u32 = args.next().ok_or("missing SERVER_PID")?.parse()?;
    let connections: usize = args.next().map(|n| n.parse()).transpose()?.unwrap_or(10_000);
    let ping_interval = Duration::from_millis(std::env::var("PING_INTERVAL_MS")?.parse()?);
    let origin = format!("http://{addr}");

    let http = reqwest::Client::new();
    let login = http
        .post(format!("{origin}/api/login"))
        .json(&json!({"username": "load", "password": "load-pass"}))
        .send()
        .await?;
    let cookie = login.headers()["set-cookie"].to_str()?.split(';').next().unwrap_or_default().to_owned();

    let rss_before = rss_kib(pid)?;
    let started = Instant::now();
    let open = Arc::new(AtomicUsize::new(0));
    // Opened 100 at a time: a burst of 10,000 handshakes would only measure the accept queue.
    let sockets: Vec<Socket> = stream::iter(0..connections)
        .map(|_| connect(&http, &origin, &addr, &cookie))
        .buffer_unordered(100)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()?;
    let connect_secs = started.elapsed().as_secs_f64();

    // Every connection keeps reading, so it answers pings, and reports when it ends.
    let mut latency_sockets = Vec::new();
    for (i, socket) in sockets.into_iter().enumerate() {
        if i < 50 {
            latency_sockets.push(socket);
            continue;
        }
        let open = open.clone();
        open.fetch_add(1, Ordering::Relaxed);
        tokio::spawn(async move {
            let mut socket = socket;
            while let Some(Ok(_)) = socket.next().await {}
            open.fetch_sub(1, Ordering::Relaxed);
        });
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_connected = rss_kib(pid)?;

    // 1,000 echoes at 1,000/s spread over 50 connections, each timed from send to echo.
    let mut tasks = Vec::new();
    for (i, mut socket) in latency_sockets.into_iter().enumerate() {
        tasks.push(tokio::spawn(async move {
            // Staggered so the 50 connections together send one message per millisecond.
            tokio::time::sleep(Duration::from_millis(i as u64)).await;
            let mut ticks = tokio::time::interval(Duration::from_millis(50));
            let mut samples = Vec::new();
            for n in 0..20 {
                ticks.tick().await;
                let sent = Instant::now();
                socket.send(Message::text(json!({"type": "echo", "n": n}).to_string())).await.ok()?;
                loop {
                    match socket.next().await? {
                        Ok(Message::Text(_)) => break,
                        Ok(_) => continue,
                        Err(_) => return None,
                    }
                }
                samples.push(sent.elapsed().as_secs_f64() * 1000.0);
            }
            Some((samples, socket))
        }));
    }
    let mut latencies = Vec::new();
    let mut survivors = Vec::new();
    for task in tasks {
        let (samples, socket) = task.await?.ok_or("a latency connection failed")?;
        latencies.extend(samples);
        survivors.push(socket);
    }
    latencies.sort_by(f64::total_cmp);
    let percentile = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];

    // Hold everything across two ping intervals: the server pings, the clients answer, and no
    // connection may be terminated.
    let held = ping_interval * 2 + Duration::from_millis(500);
    tokio::time::sleep(held).await;
    let still_open = open.load(Ordering::Relaxed) + survivors.len();
    let rss_held = rss_kib(pid)?;

    let result = json!({
        "connections": connections,
        "connect_secs": round(connect_secs),
        "connections_open_after_heartbeats": still_open,
        "held_ms": held.as_millis() as u64,
        "server_rss_before_kib": rss_before,
        "server_rss_connected_kib": rss_connected,
        "server_rss_after_heartbeats_kib": rss_held,
        "server_bytes_per_connection": ((rss_held.saturating_sub(rss_before)) * 1024) / connections as u64,
        "echo_messages": latencies.len(),
        "echo_rate_per_sec": 1000,
        "echo_p50_ms": round(percentile(0.50)),
        "echo_p99_ms": round(percentile(0.99)),
        "echo_max_ms": round(percentile(1.0)),
    });
    println!("{result}");
    if still_open != connections {
        return Err(format!("{} of {connections} connections were lost", connections - still_open).into());
    }
    Ok(())
}

async fn connect(http: &reqwest::Client, origin: &str, addr: &str, cookie: &str) -> Result<Socket, String> {
    let body: Value = http
        .post(format!("{origin}/api/ws-token"))
        .header("Cookie", cookie)
        .header(ORIGIN_HEADER, origin)
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    let mut request = format!("ws://{addr}/ws").into_client_request().map_err(|e| e.to_string())?;
    request.headers_mut().insert(ORIGIN_HEADER, origin.parse().map_err(|_| "bad origin")?);
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.map_err(|e| e.to_string())?;
    let auth = json!({"type": "auth", "token": body["wsToken"]}).to_string();
    socket.send(Message::text(auth)).await.map_err(|e| e.to_string())?;
    match socket.next().await {
        Some(Ok(Message::Text(reply))) if reply.contains(r#""success":true"#) => Ok(socket),
        other => Err(format!("authentication failed: {other:?}")),
    }
}

/// The server's resident set size, from /proc.
fn rss_kib(pid: u32) -> Result<u64, Box<dyn std::error::Error>> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).ok_or("no VmRSS")?;
    Ok(line.split_whitespace().nth(1).ok_or("bad VmRSS")?.parse()?)
}

fn round(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}
