//! The SDK over `wss://` against the test server started with `--tls` (a self-signed certificate
//! the browsers are told to accept; see `webdriver.json`). Covers: token via `getToken`,
//! authentication and an echoed message over TLS.
#![cfg(target_arch = "wasm32")]

// Shared with the main browser tests; this target uses only part of it.
#[allow(dead_code)]
#[path = "../browser/support.rs"]
mod support;

use js_sys::JSON;
use support::*;
use wasm_bindgen::{prelude::*, JsCast};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// The TLS test server, from `scripts/test.sh`.
pub const SERVER_ORIGIN: &str = match option_env!("SECURE_WS_TLS_TEST_SERVER_ORIGIN") {
    Some(origin) => origin,
    None => "https://127.0.0.1:47413",
};

#[wasm_bindgen_test]
async fn authenticates_and_echoes_over_wss() {
    assert!(ws_url().starts_with("wss://"), "{}", ws_url());
    let get_token = Closure::<dyn FnMut() -> js_sys::Promise>::new(|| {
        wasm_bindgen_futures::future_to_promise(async {
            let body = json(request("POST", "/test/token", Some(r#"{"user":"tls-user"}"#)).await).await;
            Ok(get(&body, "wsToken"))
        })
    });
    let options = js_sys::Object::new();
    js_sys::Reflect::set(&options, &"getToken".into(), get_token.as_ref()).unwrap();
    let ws = SecureWebSocket::new(&ws_url(), options.unchecked_ref()).unwrap();
    let events = Recorder::attach(&ws);
    JsFuture::from(ws.ready()).await.expect("authenticated over wss");
    ws.send(&JSON::parse(r#"{"type":"echo","over":"tls"}"#).unwrap()).unwrap();
    let echoed =
        events.wait_for("message", |m| get(m, "over").as_string().as_deref() == Some("tls"), 5000.0).await;
    assert_eq!(get(&echoed, "type").as_string().as_deref(), Some("echo"));
    ws.close();
}
