//! The HTTP side, spoken to over real HTTP. Covers: login cookie flags, wrong password, login and
//! logout from a foreign origin (403), token endpoint without cookie (401) and from a foreign or
//! missing origin (403), CORS echoing only allowed origins with credentials and never a wildcard,
//! and the token's shape and lifetime.

mod common;

use common::{TestServer, ORIGIN};
use serde_json::Value;

#[tokio::test]
async fn login_sets_an_httponly_samesite_strict_session_cookie() {
    let server = TestServer::start().await;
    let (set_cookie, _) = server.login("alice", "alice-pass").await;
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("SameSite=Strict"), "{set_cookie}");
}

#[tokio::test]
async fn a_wrong_password_is_refused() {
    let server = TestServer::start().await;
    let response = server
        .http
        .post(server.url("/api/login"))
        .json(&serde_json::json!({"username": "alice", "password": "nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert!(response.headers().get("set-cookie").is_none());
}

/// A foreign page must not log its visitor in (into an account it chose) nor out: login and logout
/// answer 403 to an `Origin` outside the allowlist, as the token endpoint does, and change nothing.
/// Without `Origin` (not a browser: browsers send it with every POST) they are served.
#[tokio::test]
async fn login_and_logout_refuse_a_foreign_origin() {
    let server = TestServer::start().await;
    let credentials = serde_json::json!({"username": "alice", "password": "alice-pass"});
    for origin in ["http://evil.test", "null"] {
        let response = server
            .http
            .post(server.url("/api/login"))
            .header("Origin", origin)
            .json(&credentials)
            .send()
            .await;
        let response = response.unwrap();
        assert_eq!(response.status(), 403, "{origin}");
        assert!(response.headers().get("set-cookie").is_none(), "{origin}");
    }
    let without = server.http.post(server.url("/api/login")).json(&credentials).send().await.unwrap();
    assert_eq!(without.status(), 200);
    let (_, cookie) = server.login("alice", "alice-pass").await;
    let logout = |origin: &'static str| {
        server.http.post(server.url("/api/logout")).header("Cookie", &cookie).header("Origin", origin).send()
    };
    assert_eq!(logout("http://evil.test").await.unwrap().status(), 403);
    assert_eq!(server.token_response(Some(&cookie), Some(ORIGIN)).await.status(), 200, "still logged in");
    assert_eq!(logout(ORIGIN).await.unwrap().status(), 204);
    assert_eq!(server.token_response(Some(&cookie), Some(ORIGIN)).await.status(), 401);
}

#[tokio::test]
async fn the_token_endpoint_needs_the_session_cookie() {
    let server = TestServer::start().await;
    assert_eq!(server.token_response(None, Some(ORIGIN)).await.status(), 401);
    assert_eq!(server.token_response(Some("sid=forged"), Some(ORIGIN)).await.status(), 401);
}

#[tokio::test]
async fn the_token_endpoint_needs_an_allowed_origin() {
    let server = TestServer::start().await;
    let (_, cookie) = server.login("alice", "alice-pass").await;
    assert_eq!(server.token_response(Some(&cookie), Some("http://evil.test")).await.status(), 403);
    assert_eq!(server.token_response(Some(&cookie), None).await.status(), 403);
}

#[tokio::test]
async fn the_token_is_a_short_lived_jwt_answered_without_caching() {
    let server = TestServer::start().await;
    let (_, cookie) = server.login("alice", "alice-pass").await;
    let response = server.token_response(Some(&cookie), Some(ORIGIN)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["expiresIn"], 60);
    assert_eq!(body["wsToken"].as_str().unwrap().split('.').count(), 3, "a JWT");
}

#[tokio::test]
async fn cors_echoes_only_allowed_origins_with_credentials() {
    let server = TestServer::start().await;
    let preflight = |origin: &'static str| {
        server
            .http
            .request(reqwest::Method::OPTIONS, server.url("/api/ws-token"))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .send()
    };
    let allowed = preflight(ORIGIN).await.unwrap();
    assert_eq!(allowed.headers()["access-control-allow-origin"], ORIGIN);
    assert_eq!(allowed.headers()["access-control-allow-credentials"], "true");
    let foreign = preflight("http://evil.test").await.unwrap();
    assert!(foreign.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn served_pages_carry_a_strict_content_security_policy() {
    let dir = std::env::temp_dir().join(format!("secure-ws-static-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), "<!doctype html><title>t</title>").unwrap();
    let server = TestServer::start_with(|c| c.static_dir = Some(dir.clone())).await;
    let response = server.http.get(server.url("/")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let csp = response.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("script-src 'self' 'wasm-unsafe-eval'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    std::fs::remove_dir_all(dir).unwrap();
}
