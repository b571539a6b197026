//! `--tls`: https and wss with a certificate generated at start. Covers: the session cookie gains
//! `Secure`, the token flow and an authenticated socket work over TLS, and plain http gets no
//! answer on the TLS port.

use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use secure_ws_test_server::{config::Tls, serve_state, state::AppState, ServerConfig};
use serde_json::{json, Value};
use tokio_tungstenite::{
    tungstenite::{client::IntoClientRequest, Message},
    Connector,
};

const ORIGIN: &str = "https://127.0.0.1:9999";

async fn start_tls() -> (std::net::SocketAddr, Arc<AppState>) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let config = ServerConfig {
        allowed_origins: vec![ORIGIN.into()],
        tls: Some(Tls::default()),
        ..Default::default()
    };
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
