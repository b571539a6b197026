//! Starts a server in-process on a free port and talks to it as a browser would.

#![allow(dead_code)]

use std::{net::SocketAddr, time::Duration};

use futures_util::{SinkExt, StreamExt};
use std::sync::Arc;

use secure_ws_test_server::{serve_state, state::AppState, ServerConfig};
use serde_json::{json, Value};
use tokio_tungstenite::{
    tungstenite::{client::IntoClientRequest, protocol::frame::coding::CloseCode, Message},
    MaybeTlsStream, WebSocketStream,
};

/// The origin the tests' "page" is served from.
pub const ORIGIN: &str = "http://127.0.0.1:9999";

/// The test-controls secret of the servers the tests start.
pub const CONTROLS_SECRET: &str = "secret-for-the-server-tests";

pub type Socket = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

pub struct TestServer {
    pub addr: SocketAddr,
    pub http: reqwest::Client,
    pub state: Arc<AppState>,
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(adjust: impl FnOnce(&mut ServerConfig)) -> Self {
        // reqwest is built without a default crypto provider (ring instead of aws-lc-rs, which
        // needs cmake); every client, even a plain-http one, wants one installed.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut config = ServerConfig {
            allowed_origins: vec![ORIGIN.into()],
            test_controls: true,
            test_controls_secret: Some(CONTROLS_SECRET.into()),
            capture_log: true,
            ..Default::default()
        };
        adjust(&mut config);
        let state = Arc::new(AppState::new(config));
        let (tx, rx) = tokio::sync::oneshot::channel();
        tokio::spawn(serve_state(state.clone(), move |addr| {
            let _ = tx.send(addr);
        }));
        let addr = rx.await.expect("server bound");
        Self { addr, http: reqwest::Client::new(), state }
    }

    /// POSTs `body` to a test control (with the secret).
    pub async fn post(&self, path: &str, body: Value) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .header("x-test-controls", CONTROLS_SECRET)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Logs in and returns the `Set-Cookie` header and the `name=value` cookie pair.
    pub async fn login(&self, user: &str, password: &str) -> (String, String) {
        let response = self
            .http
            .post(self.url("/api/login"))
            .header("Origin", ORIGIN)
            .json(&json!({"username": user, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "login as {user}");
        let set_cookie = response.headers()["set-cookie"].to_str().unwrap().to_owned();
        let pair = set_cookie.split(';').next().unwrap().to_owned();
        (set_cookie, pair)
    }

    pub async fn token_response(&self, cookie: Option<&str>, origin: Option<&str>) -> reqwest::Response {
        let mut request = self.http.post(self.url("/api/ws-token"));
        if let Some(cookie) = cookie {
            request = request.header("Cookie", cookie);
        }
        if let Some(origin) = origin {
            request = request.header("Origin", origin);
        }
        request.send().await.unwrap()
    }

    pub async fn token(&self, user: &str) -> String {
        let (_, cookie) = self.login(user, &format!("{user}-pass")).await;
        let body: Value = self.token_response(Some(&cookie), Some(ORIGIN)).await.json().await.unwrap();
        body["wsToken"].as_str().unwrap().to_owned()
    }

    pub async fn connect(
        &self,
        origin: Option<&str>,
    ) -> Result<Socket, tokio_tungstenite::tungstenite::Error> {
        let mut request = format!("ws://{}/ws", self.addr).into_client_request().unwrap();
        if let Some(origin) = origin {
            request.headers_mut().insert("Origin", origin.parse().unwrap());
        }
        tokio_tungstenite::connect_async(request).await.map(|(socket, _)| socket)
    }

    /// Connects and authenticates as `user`.
    pub async fn authenticated(&self, user: &str) -> Socket {
        let token = self.token(user).await;
        let mut socket = self.connect(Some(ORIGIN)).await.unwrap();
        send(&mut socket, json!({"type": "auth", "token": token})).await;
        let reply = recv(&mut socket).await;
        assert_eq!(reply, json!({"type": "auth_response", "success": true, "userId": user}));
        socket
    }

    pub async fn audit(&self) -> Value {
        let request = self.http.get(self.url("/test/audit")).header("x-test-controls", CONTROLS_SECRET);
        request.send().await.unwrap().json().await.unwrap()
    }

    /// Opens a socket, offers a resumable session (`resume`), and returns the socket and the
    /// `auth_response`.
    pub async fn resumable(&self, user: &str, resume: Value) -> (Socket, Value) {
        let token = self.token(user).await;
        let mut socket = self.connect(Some(ORIGIN)).await.unwrap();
        send(&mut socket, json!({"type": "auth", "token": token, "resume": resume})).await;
        let reply = recv(&mut socket).await;
        assert_eq!(reply["success"], true, "{reply}");
        (socket, reply)
    }
}

pub async fn send(socket: &mut Socket, frame: Value) {
    socket.send(Message::text(frame.to_string())).await.unwrap();
}

/// The next text frame as JSON, within a bound so a broken server fails the test instead of
/// hanging it.
pub async fn recv(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(5), socket.next())
            .await
            .expect("a frame within 5 s")
            .expect("the socket is open")
            .expect("a valid frame");
        match message {
            Message::Text(text) => return serde_json::from_str(&text).unwrap(),
            Message::Close(frame) => panic!("closed: {frame:?}"),
            _ => {}
        }
    }
}

/// Reads until the close frame and returns its code.
pub async fn close_code(socket: &mut Socket) -> u16 {
    loop {
        let message =
            tokio::time::timeout(Duration::from_secs(5), socket.next()).await.expect("a close within 5 s");
        match message {
            Some(Ok(Message::Close(Some(frame)))) => return u16::from(frame.code),
            Some(Ok(Message::Close(None))) => return u16::from(CloseCode::Status),
            Some(Ok(_)) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    }
}

/// Waits (woken by the server, bounded by 5 s) until `done` holds for the server's state: how
/// tests wait for a connection to end or a held request to be released without sleeping.
pub async fn wait_until(state: &AppState, done: impl Fn(&AppState) -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let notified = state.connections_changed.notified();
        tokio::pin!(notified);
        // Registered before looking, so a change in between still wakes us.
        notified.as_mut().enable();
        if done(state) {
            return;
        }
        tokio::time::timeout_at(deadline, notified).await.expect("the server reached the state within 5 s");
    }
}

/// Every frame until the connection ends: the text frames (as JSON) and the close code, if a
/// Close frame came (`None` when the connection ended without one).
pub async fn drain(socket: &mut Socket) -> (Vec<Value>, Option<u16>) {
    let mut frames = Vec::new();
    loop {
        let message =
            tokio::time::timeout(Duration::from_secs(10), socket.next()).await.expect("an end within 10 s");
        match message {
            Some(Ok(Message::Text(text))) => frames.push(serde_json::from_str(&text).unwrap()),
            Some(Ok(Message::Close(frame))) => {
                return (frames, Some(frame.map_or(1005, |f| u16::from(f.code))))
            }
            Some(Ok(_)) => {}
            Some(Err(_)) | None => return (frames, None),
        }
    }
}

/// The resume offer of a client that has no session yet.
pub const NEW: fn() -> Value = || json!({"sessionId": null, "lastSeq": 0});

/// A numbered application message of a resumable session.
pub fn msg(seq: u64, data: Value) -> Value {
    json!({"type": "msg", "seq": seq, "data": data})
}

/// The next `msg` frame's seq and data, skipping acks.
pub async fn next_msg(socket: &mut Socket) -> (u64, Value) {
    loop {
        let frame = recv(socket).await;
        if frame["type"] == "msg" {
            return (frame["seq"].as_u64().unwrap(), frame["data"].clone());
        }
        assert_eq!(frame["type"], "ack", "only msg and ack frames here: {frame}");
    }
}
