//! `--tls`: https and wss with a certificate generated at start. Covers: the session cookie gains
//! `Secure`, the token flow and an authenticated socket work over TLS, plain http gets no
//! answer on the TLS port, and the HTTP limits of the plain server hold over TLS too (the
//! header-read timeout from the end of the handshake, the global connection cap, HTTP/1.1 only).

use std::{sync::Arc, time::Duration};

use tokio::io::AsyncWriteExt;

use futures_util::{SinkExt, StreamExt};
use secure_ws_test_server::{config::Tls, serve_state, state::AppState, ServerConfig};
use serde_json::{json, Value};
use tokio_tungstenite::{
    tungstenite::{client::IntoClientRequest, Message},
    Connector,
};

const ORIGIN: &str = "https://127.0.0.1:9999";

async fn start_tls() -> (std::net::SocketAddr, Arc<AppState>) {
    start_tls_with(|_| {}).await
}

async fn start_tls_with(adjust: impl FnOnce(&mut ServerConfig)) -> (std::net::SocketAddr, Arc<AppState>) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut config = ServerConfig {
        allowed_origins: vec![ORIGIN.into()],
        tls: Some(Tls::default()),
        ..Default::default()
    };
    adjust(&mut config);
    let state = Arc::new(AppState::new(config));
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(serve_state(state.clone(), move |addr| {
        let _ = tx.send(addr);
    }));
    (rx.await.unwrap(), state)
}

fn trusting(state: &AppState) -> rustls::ClientConfig {
    let pem = state.certificate_pem().expect("a generated certificate");
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::pem::PemObject::pem_slice_iter(pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    rustls::ClientConfig::builder().with_root_certificates(roots).with_no_client_auth()
}

#[tokio::test]
async fn login_token_and_socket_work_over_tls_with_a_secure_cookie() {
    let (addr, state) = start_tls().await;
    let http = reqwest::Client::builder().tls_backend_preconfigured(trusting(&state)).build().unwrap();
    let login = http
        .post(format!("https://{addr}/api/login"))
        .json(&json!({"username": "alice", "password": "alice-pass"}))
        .send()
        .await
        .unwrap();
    let set_cookie = login.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(set_cookie.contains("; Secure"), "{set_cookie}");
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    let body: Value = http
        .post(format!("https://{addr}/api/ws-token"))
        .header("Cookie", cookie)
        .header("Origin", ORIGIN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    let mut request = format!("wss://{addr}/ws").into_client_request().unwrap();
    request.headers_mut().insert("Origin", ORIGIN.parse().unwrap());
    let connector = Connector::Rustls(Arc::new(trusting(&state)));
    let (mut socket, _) =
        tokio_tungstenite::connect_async_tls_with_config(request, None, false, Some(connector))
            .await
            .unwrap();
    socket.send(Message::text(json!({"type": "auth", "token": body["wsToken"]}).to_string())).await.unwrap();
    let Some(Ok(Message::Text(reply))) = socket.next().await else { panic!("no auth_response") };
    let reply: Value = serde_json::from_str(&reply).unwrap();
    assert_eq!(reply["success"], true);
}

#[tokio::test]
async fn plain_http_gets_no_answer_on_the_tls_port() {
    let (addr, _) = start_tls().await;
    let plain = reqwest::Client::new().post(format!("http://{addr}/api/login")).send().await;
    assert!(plain.is_err() || !plain.unwrap().status().is_success());
}

/// A TLS connection to the server, handshake done, offering `alpn`.
async fn tls_connect(
    addr: std::net::SocketAddr,
    state: &AppState,
    alpn: &[&[u8]],
) -> std::io::Result<tokio_rustls::client::TlsStream<tokio::net::TcpStream>> {
    let mut config = trusting(state);
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(addr).await?;
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
    connector.connect(name, tcp).await
}

/// Reads until the server ends the connection (within 5 s, else the test fails); what it sent.
async fn until_closed(stream: &mut (impl tokio::io::AsyncRead + Unpin)) -> Vec<u8> {
    use tokio::io::AsyncReadExt;
    let mut received = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut received)).await;
    assert!(read.is_ok(), "the server ended the connection within 5 s");
    received
}

#[tokio::test]
async fn a_tls_client_that_sends_nothing_after_the_handshake_is_disconnected() {
    // Before: the protocol detection after the handshake (HTTP/1 or HTTP/2?) waited for bytes
    // without any deadline, so a handshake and silence held a connection for ever.
    let (addr, state) = start_tls_with(|c| c.http.header_read_timeout = Duration::from_millis(200)).await;
    let mut silent = tls_connect(addr, &state, &[b"http/1.1"]).await.unwrap();
    let started = tokio::time::Instant::now();
    until_closed(&mut silent).await;
    assert!(started.elapsed() < Duration::from_secs(2), "dropped after the header-read timeout");
}

#[tokio::test]
async fn http2_is_neither_negotiated_nor_spoken_over_tls() {
    // HTTP/2 has none of the HTTP/1 limits configured (header-read timeout, idle connections).
    let (addr, state) = start_tls_with(|c| c.http.header_read_timeout = Duration::from_millis(200)).await;
    let offered = tls_connect(addr, &state, &[b"h2", b"http/1.1"]).await.unwrap();
    assert_eq!(offered.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
    // A client that speaks HTTP/2 anyway (prior knowledge) gets no HTTP/2 SETTINGS frame.
    let mut prior = tls_connect(addr, &state, &[]).await.unwrap();
    prior.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0").await.unwrap();
    let answer = until_closed(&mut prior).await;
    assert!(answer.is_empty() || answer.starts_with(b"HTTP/1.1 "), "{answer:?}");
}

#[tokio::test]
async fn connections_over_the_global_cap_are_closed_at_once_over_tls() {
    let (addr, state) = start_tls_with(|c| c.http.max_connections = 2).await;
    let first = tokio::net::TcpStream::connect(addr).await.unwrap();
    let second = tokio::net::TcpStream::connect(addr).await.unwrap();
    assert!(tls_connect(addr, &state, &[]).await.is_err(), "the third is closed before its handshake");
    drop((first, second));
    // Once a slot is free again the server answers.
    let http = reqwest::Client::builder().tls_backend_preconfigured(trusting(&state)).build().unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let login = http
            .post(format!("https://{addr}/api/login"))
            .json(&json!({"username": "alice", "password": "alice-pass"}));
        match login.send().await {
            Ok(response) => break assert_eq!(response.status(), 200),
            Err(_) if tokio::time::Instant::now() < deadline => tokio::task::yield_now().await,
            Err(error) => panic!("no slot freed: {error}"),
        }
    }
}
