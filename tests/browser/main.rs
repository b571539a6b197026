//! Browser tests: the real SDK in headless Chrome and Firefox against the test server
//! (`scripts/test.sh` starts it with one user per test, so tests cannot disturb each other).
//!
//! Covers:
//! - a session authenticates through `tokenUrl` (credentialed fetch, HttpOnly cookie) and
//!   receives an echoed message via `on('message')` and `onMessage`;
//! - frames sent before authentication reach the server only after `auth`, in order;
//! - against a server without resumable sessions: `at-most-once`, unwrapped, receipts `unconfirmed`;
//! - no URL the browser requested carried the token, and the socket URL has no query;
//! - a rejected token ends in a 4003 close, never in `authenticated`;
//! - without a login, the token endpoint's 401 ends in `closed` / `unauthorized`;
//! - bad options and insecure URLs throw named errors at construction;
//! - `send()` measures UTF-8 bytes exactly and refuses what JSON cannot carry.
#![cfg(target_arch = "wasm32")]

mod backpressure;
mod chaos;
mod hardened;
mod leaks;
mod lifecycle;
mod support;

use std::{cell::Cell, rc::Rc};

use js_sys::JSON;
use support::*;
use wasm_bindgen::{prelude::*, JsCast};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// The test server, from `scripts/test.sh` (`scripts/env.sh` has the default).
pub const SERVER_ORIGIN: &str = match option_env!("SECURE_WS_TEST_SERVER_ORIGIN") {
    Some(origin) => origin,
    None => "http://127.0.0.1:47411",
};

/// Generous for a loaded CI machine; a healthy run takes a few milliseconds.
const WITHIN_MS: f64 = 5000.0;

fn message(kind: &str, n: u32) -> JsValue {
    JSON::parse(&format!(r#"{{"type":"{kind}","n":{n}}}"#)).unwrap()
}

fn is_n(n: u32) -> impl Fn(&JsValue) -> bool {
    move |payload| get(payload, "n").as_f64() == Some(n as f64)
}

#[wasm_bindgen_test]
async fn authenticates_and_receives_a_message() {
    login("walker").await;
    let ws = connect("");
    let events = Recorder::attach(&ws);
    let property_calls = Rc::new(Cell::new(0));
    let counter = property_calls.clone();
    let on_message = Closure::<dyn FnMut(JsValue)>::new(move |_| counter.set(counter.get() + 1));
    ws.set_on_message(on_message.as_ref().clone());
    JsFuture::from(ws.ready()).await.expect("ready() resolves");
    assert_eq!(ws.state(), "authenticated");
    let authenticated = events.wait_for("authenticated", |_| true, WITHIN_MS).await;
    assert_eq!(get(&authenticated, "userId").as_string().as_deref(), Some("walker"));

    ws.send(&message("echo", 7)).unwrap();
    events.wait_for("message", is_n(7), WITHIN_MS).await;
    assert_eq!(property_calls.get(), 1, "onMessage is called too");
    assert_eq!(events.count("message"), 1, "auth frames are never surfaced as messages");
    ws.close();
    assert_eq!(ws.state(), "closed");
}

#[wasm_bindgen_test]
async fn against_a_server_without_resumable_sessions_sends_are_at_most_once_and_receipts_say_so() {
    login("oldserver").await;
    faults("oldserver", r#""ignoreResume":true"#).await;
    let ws = connect("");
    let events = Recorder::attach(&ws);
    let receipt = ws.send_with_receipt(&message("echo", 1)).unwrap();
    events.wait_for("message", is_n(1), WITHIN_MS).await;
    assert_eq!(ws.delivery(), "at-most-once");
    let error = JsFuture::from(receipt).await.expect_err("nothing will acknowledge it");
    assert_eq!(get(&error, "code").as_string().as_deref(), Some("unconfirmed"));
    assert_eq!(ws.queued_count(), 0, "a message sent at most once is not owed");
    let connection = get(&get(&audit("oldserver").await, "connections"), "0");
    let frames = js_sys::Array::from(&get(&connection, "frames"));
    let sent = JSON::parse(&frames.get(1).as_string().unwrap()).unwrap();
    assert_eq!(
        get(&sent, "type").as_string().as_deref(),
        Some("echo"),
        "sent unwrapped, not as a numbered msg"
    );
    ws.close();
}

#[wasm_bindgen_test]
async fn frames_sent_before_authentication_arrive_after_auth_in_order() {
    login("queuer").await;
    let ws = connect("");
    let events = Recorder::attach(&ws);
    let receipts: Vec<_> = (0..3).map(|n| ws.send_with_receipt(&message("echo", n)).unwrap()).collect();
    assert_eq!(ws.queued_count(), 3, "nothing leaves before auth_response");
    events.wait_for("message", is_n(2), WITHIN_MS).await;
    for receipt in receipts {
        JsFuture::from(receipt).await.expect("the server acknowledged it");
    }
    assert_eq!(ws.queued_count(), 0, "nothing owed once acknowledged");
    let connections = frames_per_connection("queuer").await;
    assert_eq!(connections.len(), 1);
    assert_eq!(
        connections[0],
        [
            r#"{"token":"<redacted>","type":"auth"}"#,
            r#"{"n":0,"type":"echo"}"#,
            r#"{"n":1,"type":"echo"}"#,
            r#"{"n":2,"type":"echo"}"#,
        ]
    );
    ws.close();
}

#[wasm_bindgen_test]
async fn a_refused_send_with_receipt_throws_and_leaves_the_queue_as_it_was() {
    // Before any answer from the server: the sends are checked and queued synchronously.
    let ws = connect(r#""maxQueuedMessages":2"#);
    let accepted: Vec<_> = (0..2).map(|n| ws.send_with_receipt(&message("echo", n)).unwrap()).collect();
    let refused = ws.send_with_receipt(&message("echo", 2)).expect_err("the queue is full");
    assert_eq!(get(&refused, "code").as_string().as_deref(), Some("queue_full"));
    assert_eq!(ws.queued_count(), 2, "the refused send took no place");
    ws.close();
    for receipt in accepted {
        let error = JsFuture::from(receipt).await.expect_err("closed before any acknowledgement");
        assert_eq!(get(&error, "code").as_string().as_deref(), Some("closed"));
    }
}

#[wasm_bindgen_test]
async fn subscriptions_that_throw_while_being_read_are_an_error_and_the_session_goes_on() {
    // A revoked Proxy throws from Array.isArray: the read of the answer, not just the call, can
    // throw. The error is reported and the session authenticates and works without the set-up.
    login("subscriber").await;
    let options = options("");
    let revoked =
        js_sys::Function::new_no_args("const p = Proxy.revocable([], {}); p.revoke(); return p.proxy;");
    js_sys::Reflect::set(&options, &"subscriptions".into(), &revoked).unwrap();
    let ws = SecureWebSocket::new(&ws_url(), &options).expect("valid options");
    let events = Recorder::attach(&ws);
    let error = events.wait_for("error", |_| true, WITHIN_MS).await;
    assert_eq!(get(&error, "code").as_string().as_deref(), Some("invalid_message"));
    JsFuture::from(ws.ready()).await.expect("authenticated all the same");
    ws.send(&message("echo", 5)).unwrap();
    events.wait_for("message", is_n(5), WITHIN_MS).await;
    ws.close();
}

#[wasm_bindgen_test]
async fn no_url_carries_the_token() {
    login("auditor").await;
    let ws = connect("");
    JsFuture::from(ws.ready()).await.unwrap();
    ws.close();
    let audit = audit("auditor").await;
    assert_eq!(get(&audit, "tokenInUri").as_bool(), Some(false));
    let uris: Vec<String> =
        js_sys::Array::from(&get(&audit, "uris")).iter().map(|u| u.as_string().unwrap()).collect();
    assert!(uris.iter().any(|u| u == "/ws"), "the socket URL is clean: {uris:?}");
    assert!(uris.iter().all(|u| !u.contains("eyJ") && !u.contains("token=")), "{uris:?}");
}

#[wasm_bindgen_test]
async fn a_rejected_token_ends_in_4003_not_authenticated() {
    login("rejected").await;
    faults("rejected", r#""rejectAuth":1"#).await;
    let ws = connect(r#""reconnect":{"maxAttempts":0}"#);
    let events = Recorder::attach(&ws);
    let close = events.wait_for("close", |_| true, WITHIN_MS).await;
    assert_eq!(get(&close, "code").as_f64(), Some(4003.0));
    assert_eq!(events.count("authenticated"), 0, "{:?}", events.summary());
    events
        .wait_for("error", |e| get(e, "code").as_string().as_deref() == Some("auth_failed"), WITHIN_MS)
        .await;
    assert_eq!(ws.state(), "closed");
    let rejection = JsFuture::from(ws.ready()).await.expect_err("ready() rejects once closed");
    assert!(get(&rejection, "code").is_string());
}

#[wasm_bindgen_test]
async fn a_401_from_the_token_endpoint_ends_closed_unauthorized() {
    assert_eq!(request("POST", "/api/logout", None).await.status(), 204);
    let ws = connect("");
    let events = Recorder::attach(&ws);
    let ready = JsFuture::from(ws.ready()).await.expect_err("ready() rejects");
    assert_eq!(get(&ready, "code").as_string().as_deref(), Some("unauthorized"));
    assert_eq!(ws.state(), "closed");
    assert_eq!(events.count("reconnecting"), 0, "no retry after a 401: {:?}", events.summary());
}

#[wasm_bindgen_test]
fn bad_options_throw_named_errors_at_construction() {
    let code = |url: &str, options: &str| {
        let options: JsValue = JSON::parse(options).unwrap();
        let error = SecureWebSocket::new(url, options.unchecked_ref()).err().expect("refused");
        assert!(error.is_instance_of::<js_sys::Error>());
        get(&error, "code").as_string().unwrap()
    };
    let token_url = r#"{"tokenUrl":"/t"}"#;
    assert_eq!(code(&ws_url(), r#"{"tokenUrl":"/t","bogus":1}"#), "invalid_options");
    assert_eq!(code(&ws_url(), r#"{"tokenUrl":"/t","authTimeoutMs":"5"}"#), "invalid_options");
    assert_eq!(code(&ws_url(), r#"{"tokenUrl":"/t","reconnect":{"maxAttempts":-1}}"#), "invalid_options");
    assert_eq!(code(&ws_url(), "{}"), "invalid_options");
    // Values of the right type that do not fit together: refused by the core's own check.
    let message = |options: &str| {
        let options: JsValue = JSON::parse(options).unwrap();
        let error = SecureWebSocket::new(&ws_url(), options.unchecked_ref()).err().expect("refused");
        assert_eq!(get(&error, "code").as_string().as_deref(), Some("invalid_options"));
        get(&error, "message").as_string().unwrap()
    };
    let relation = message(r#"{"tokenUrl":"/t","reconnect":{"baseDelayMs":10,"maxDelayMs":5}}"#);
    assert!(relation.contains("reconnect.baseDelayMs"), "{relation}");
    assert!(message(r#"{"tokenUrl":"/t","authTimeoutMs":0}"#).contains("authTimeoutMs"));
    assert_eq!(code("ws://example.com/ws", token_url), "insecure_url");
    assert_eq!(code(&format!("{}?token=abc", ws_url()), token_url), "insecure_url");
    assert_eq!(code(&format!("{}?room=1&id_token=abc", ws_url()), token_url), "insecure_url");
    assert_eq!(code(&format!("{}?apiKey=abc", ws_url()), token_url), "insecure_url", "in any case");
    assert_eq!(
        code(&format!("{}?%74oken=abc", ws_url()), token_url),
        "insecure_url",
        "read as a server reads it"
    );
    assert_eq!(code("https://example.com/ws", token_url), "insecure_url");
    // A WebSocket URL has no fragment: refused here, not a session that can never connect.
    assert_eq!(code(&format!("{}#part", ws_url()), token_url), "invalid_options");
    // Only the options' own properties count: a polluted `Object.prototype` (a bug elsewhere in
    // the app, or a JSON merge of attacker input) cannot switch on cleartext to any host.
    let prototype = js_sys::Reflect::get_prototype_of(&js_sys::Object::new()).unwrap();
    let allow_insecure = JsValue::from_str("allowInsecure");
    js_sys::Reflect::set(&prototype, &allow_insecure, &JsValue::TRUE).unwrap();
    let polluted =
        SecureWebSocket::new("ws://example.com/ws", JSON::parse(token_url).unwrap().unchecked_ref());
    js_sys::Reflect::delete_property(&prototype, &allow_insecure).unwrap();
    let error = polluted.err().expect("an inherited allowInsecure is not read");
    assert_eq!(get(&error, "code").as_string().as_deref(), Some("insecure_url"));
}

#[wasm_bindgen_test]
fn send_measures_utf8_bytes_and_refuses_what_json_cannot_carry() {
    // Sends before authentication are checked at once and queued: no server round trip needed.
    let ws = connect(r#""maxMessageBytes":15"#);
    let code = |value: JsValue| ws.send(&value).err().map(|e| get(&e, "code").as_string().unwrap());
    let json = |text: &str| JSON::parse(text).unwrap();
    // `{"type":"` is 9 bytes and `"}` 2: each case sits on one side of 15 bytes.
    assert_eq!(code(json(r#"{"type":"abcde"}"#)), Some("message_too_large".into()), "16 ASCII bytes");
    assert_eq!(code(json(r#"{"type":"abcd"}"#)), None, "15 ASCII bytes: exactly the limit");
    assert_eq!(
        code(json(r#"{"type":"ééé"}"#)),
        Some("message_too_large".into()),
        "14 UTF-16 units, but 17 bytes"
    );
    assert_eq!(code(json(r#"{"type":"😀"}"#)), None, "a surrogate pair is 4 bytes, not 6: 15 in all");
    assert_eq!(code(json(r#"{"type":"a😀"}"#)), Some("message_too_large".into()), "16 bytes");
    assert_eq!(code(JsValue::UNDEFINED), Some("invalid_message".into()));
    let cyclic = js_sys::Object::new();
    js_sys::Reflect::set(&cyclic, &"self".into(), &cyclic).unwrap();
    assert_eq!(code(cyclic.into()), Some("invalid_message".into()));
    assert_eq!(ws.queued_count(), 2, "only the two that fit were queued");
    ws.close();
}
