//! The test server secure-ws is proven against, and a reference for what a backend must do:
//! an HttpOnly login cookie, a credentialed token endpoint with an exact-origin CORS allowlist,
//! and a WebSocket that refuses foreign origins and authenticates by first message.

pub mod chat;
pub mod config;
pub mod controls;
pub mod http;
pub mod rate_limit;
pub mod state;
pub mod tokens;
pub mod ws;

use std::{net::SocketAddr, sync::Arc};

use axum::{
    middleware,
    routing::{get, post},
    Router,
};
use tower_http::services::ServeDir;

pub use config::ServerConfig;
use state::AppState;

/// The server log: one line on stderr. Callers pass only what is safe to keep (user names,
/// codes, ids): never a token, a cookie or a password.
pub fn log(line: &str) {
    eprintln!("[secure-ws-test-server] {line}");
}

/// Builds the application for `state`.
pub fn app(state: Arc<AppState>) -> Router {
    let mut router = Router::new()
        .route("/api/login", post(http::login))
        .route("/api/logout", post(http::logout))
        .route("/api/ws-token", post(http::ws_token))
        .route("/ws", get(ws::upgrade));
    if state.config.test_controls {
        router = router.merge(controls::routes());
    }
    if let Some(dir) = &state.config.static_dir {
        router = router.fallback_service(ServeDir::new(dir));
    }
    router.layer(middleware::from_fn_with_state(state.clone(), http::audit_and_cors)).with_state(state)
}

/// Binds 127.0.0.1 and serves until the process ends. Returns the bound address first through
/// `on_bound`, so a caller that asked for port 0 learns the real one.
pub async fn serve(mut config: ServerConfig, on_bound: impl FnOnce(SocketAddr)) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", config.port)).await?;
    let addr = listener.local_addr()?;
    // The server's own origin is always allowed: the demo it serves fetches tokens from it.
    config.allowed_origins.push(format!("http://{addr}"));
    on_bound(addr);
    let state = Arc::new(AppState::new(config));
    axum::serve(listener, app(state).into_make_service_with_connect_info::<SocketAddr>()).await
}
