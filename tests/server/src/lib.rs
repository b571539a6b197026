//! The test server secure-ws is proven against, and a reference for what a backend must do:
//! an HttpOnly login cookie, a credentialed token endpoint with an exact-origin CORS allowlist,
//! and a WebSocket that refuses foreign origins and authenticates by first message.

pub mod chat;
pub mod config;
pub mod controls;
pub mod demo_faults;
pub mod frames;
pub mod http;
pub mod login_sessions;
pub mod login_throttle;
pub mod outbox;
pub mod rate_limit;
pub mod serve;
pub mod session_resume;
pub mod state;
pub mod tls;
pub mod tokens;
pub mod ws;

use std::{net::SocketAddr, sync::Arc};

use axum::http::{header, HeaderValue};
use axum::{
    extract::DefaultBodyLimit,
    middleware,
    routing::{get, post},
    Router,
};
use tower_http::{services::ServeDir, set_header::SetResponseHeaderLayer};

pub use config::ServerConfig;
use state::AppState;

/// The Content-Security-Policy of the pages the server serves: scripts and styles only from the
/// origin, WebAssembly compiled by the page itself (`'wasm-unsafe-eval'`), connections only back
/// to the origin (`'self'` covers its `ws:`/`wss:`), no plugins, no framing, no `<base>` tricks.
pub const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
    connect-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; \
    form-action 'self'";

/// Builds the application for `state`.
pub fn app(state: Arc<AppState>) -> Router {
    let mut router = Router::new()
        .route("/api/login", post(http::login))
        .route("/api/logout", post(http::logout))
        .route("/api/ws-token", post(http::ws_token))
        .route("/ws", get(ws::upgrade));
    if state.config.test_controls {
        router = router.merge(controls::routes(state.clone()));
    }
    if state.config.demo_faults {
        router = router.route("/api/demo/fault", post(demo_faults::fault));
    }
    if let Some(dir) = &state.config.static_dir {
        let page_headers = tower::ServiceBuilder::new()
            .layer(SetResponseHeaderLayer::overriding(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CSP),
            ))
            .layer(SetResponseHeaderLayer::overriding(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ))
            .layer(SetResponseHeaderLayer::overriding(
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ));
        router = router.fallback_service(page_headers.service(ServeDir::new(dir)));
    }
    router
        .layer(middleware::from_fn_with_state(state.clone(), http::read_body_in_time))
        .layer(DefaultBodyLimit::max(state.config.http.max_body_bytes))
        .layer(middleware::from_fn_with_state(state.clone(), http::audit_and_cors))
        .with_state(state)
}

/// Binds 127.0.0.1 and serves until the process ends. Reports the bound address through
/// `on_bound` first, so a caller that asked for port 0 learns the real one.
pub async fn serve(config: ServerConfig, on_bound: impl FnOnce(SocketAddr)) -> std::io::Result<()> {
    serve_state(Arc::new(AppState::new(config)), on_bound).await
}

/// [`serve`] with a state the caller keeps a handle to (tests read its log and audit).
pub async fn serve_state(state: Arc<AppState>, on_bound: impl FnOnce(SocketAddr)) -> std::io::Result<()> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", state.config.port))?;
    let addr = listener.local_addr()?;
    let transport = match &state.config.tls {
        Some(tls) => {
            let certificate = tls::certificate(tls)?;
            let acceptor = tls::acceptor(&certificate)?;
            state.set_certificate_pem(certificate.cert_pem);
            state.set_self_origin(format!("https://{addr}"));
            serve::Transport::Tls(acceptor)
        }
        None => {
            state.set_self_origin(format!("http://{addr}"));
            serve::Transport::Plain
        }
    };
    on_bound(addr);
    spawn_session_sweeper(&state);
    listener.set_nonblocking(true)?;
    let mut listener = Some(tokio::net::TcpListener::from_std(listener)?);
    let slots = Arc::new(tokio::sync::Semaphore::new(state.config.http.max_connections));
    loop {
        // After `/test/restart` the same port is bound again, as a restarted server would be.
        let listener = match listener.take() {
            Some(listener) => listener,
            None => tokio::net::TcpListener::bind(addr).await?,
        };
        let restart = {
            let state = state.clone();
            async move { state.restart.notified().await }
        };
        let app = app(state.clone());
        serve::serve_until(&state, listener, app, transport.clone(), slots.clone(), restart).await;
        state.log("listener restarted");
    }
}

/// Forgets resumable sessions whose replay window ran out, every second, for as long as the
/// server runs.
fn spawn_session_sweeper(state: &Arc<AppState>) {
    let weak = Arc::downgrade(state);
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(1));
        loop {
            every.tick().await;
            let Some(state) = weak.upgrade() else { return };
            state.sweep_sessions();
        }
    });
}
