//! The lifecycle end to end, with the server's fault controls. Covers: the server kills the socket
//! → reconnect with backoff, queued sends delivered exactly once; an unanswered auth → 4001 then a
//! new token; a rejected token → 4003 then a new token; re-auth on the live connection; the
//! heartbeat detecting a silent (half-open) server; a malformed frame raising `invalid_frame`
//! while the connection lives on; handlers that throw, send or close re-entrantly; `online`
//! ending a backoff at once (the offline pause itself is proven on the virtual clock); a 5xx from
//! the token endpoint retried with backoff; `getToken` returning a promise, and throwing
//! `{ code: 'unauthorized' }` to end the session.

use std::rc::Rc;

use js_sys::JSON;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

use crate::support::*;

const WITHIN_MS: f64 = 5000.0;
/// Short real timeouts: the browser tests prove the wiring, the core tests prove the timing.
const FAST_RECONNECT: &str = r#""reconnect":{"baseDelayMs":20,"maxDelayMs":100,"jitter":false}"#;

fn message(n: u32) -> JsValue {
    JSON::parse(&format!(r#"{{"type":"echo","n":{n}}}"#)).unwrap()
}

fn has_code(code: &'static str) -> impl Fn(&JsValue) -> bool {
    move |e| get(e, "code").as_string().as_deref() == Some(code)
}

fn close_code(code: f64) -> impl Fn(&JsValue) -> bool {
    move |e| get(e, "code").as_f64() == Some(code)
}

#[wasm_bindgen_test]
async fn a_killed_socket_reconnects_and_delivers_what_was_queued_exactly_once() {
    login("healer").await;
    let ws = connect(FAST_RECONNECT);
    let events = Recorder::attach(&ws);
    JsFuture::from(ws.ready()).await.unwrap();
    server_closes("healer", 1001).await;
    let close = events.wait_for("close", |_| true, WITHIN_MS).await;
    assert_eq!(get(&close, "willReconnect").as_bool(), Some(true));
    ws.send(&message(1)).unwrap();
    assert_eq!(ws.queued_count(), 1, "sent during the outage: queued");
    events.wait_for("message", |m| get(m, "n").as_f64() == Some(1.0), WITHIN_MS).await;
    let reconnecting = events.wait_for("reconnecting", |_| true, WITHIN_MS).await;
    assert_eq!(get(&reconnecting, "attempt").as_f64(), Some(1.0));
    assert_eq!(get(&reconnecting, "delayMs").as_f64(), Some(20.0));
    let connections = frames_per_connection("healer").await;
    assert_eq!(connections.len(), 2);
    assert_eq!(connections[1], [r#"{"token":"<redacted>","type":"auth"}"#, r#"{"n":1,"type":"echo"}"#]);
    assert_eq!(events.count("message"), 1, "delivered exactly once");
    ws.close();
}

#[wasm_bindgen_test]
async fn an_unanswered_auth_times_out_with_4001_and_retries_with_a_new_token() {
    login("timeout").await;
    faults("timeout", r#""dropAuth":1"#).await;
    let ws = connect(&format!(r#""authTimeoutMs":300,{FAST_RECONNECT}"#));
    let events = Recorder::attach(&ws);
    events.wait_for("close", close_code(4001.0), WITHIN_MS).await;
    events.wait_for_count("authenticated", 1, WITHIN_MS).await;
    let audit = audit("timeout").await;
    assert_eq!(
        get(&audit, "tokensIssued").as_f64().map(|n| n >= 2.0),
        Some(true),
        "a fresh token per attempt"
    );
    ws.close();
}

#[wasm_bindgen_test]
async fn a_rejected_token_closes_4003_and_the_next_attempt_authenticates() {
    login("retrier").await;
    faults("retrier", r#""rejectAuth":1"#).await;
    let ws = connect(FAST_RECONNECT);
    let events = Recorder::attach(&ws);
    events.wait_for("close", close_code(4003.0), WITHIN_MS).await;
    events.wait_for("error", has_code("auth_failed"), WITHIN_MS).await;
    events.wait_for_count("authenticated", 1, WITHIN_MS).await;
    assert_eq!(frames_per_connection("retrier").await.len(), 2);
    ws.close();
}

#[wasm_bindgen_test]
async fn reauthenticates_on_the_live_connection() {
    login("reauther").await;
    let ws = connect(r#""reauthIntervalMs":100"#);
    let events = Recorder::attach(&ws);
    JsFuture::from(ws.ready()).await.unwrap();
    server_saw("reauther", "reauth", 2).await;
    ws.send(&message(5)).unwrap();
    events.wait_for("message", |m| get(m, "n").as_f64() == Some(5.0), WITHIN_MS).await;
    assert_eq!(frames_per_connection("reauther").await.len(), 1, "re-auth never reconnects");
    assert_eq!(events.count("close"), 0);
    assert_eq!(ws.state(), "authenticated");
    ws.close();
}

#[wasm_bindgen_test]
async fn the_heartbeat_detects_a_silent_server_and_reconnects() {
    login("hearty").await;
    let ws = connect(&format!(r#""heartbeat":{{"intervalMs":50,"timeoutMs":100}},{FAST_RECONNECT}"#));
    let events = Recorder::attach(&ws);
    JsFuture::from(ws.ready()).await.unwrap();
    server_saw("hearty", "ping", 1).await;
    faults("hearty", r#""silent":true"#).await;
    events.wait_for("close", close_code(4010.0), WITHIN_MS).await;
    faults("hearty", r#""silent":false"#).await;
    events.wait_for_count("authenticated", 2, WITHIN_MS).await;
    ws.close();
}

#[wasm_bindgen_test]
async fn a_malformed_frame_raises_invalid_frame_and_the_connection_lives_on() {
    login("garbled").await;
    let ws = connect("");
    let events = Recorder::attach(&ws);
    JsFuture::from(ws.ready()).await.unwrap();
    server_sends("garbled", "this is not json").await;
    server_sends("garbled", r#"{"no":"type"}"#).await;
    server_sends("garbled", "[1,2]").await;
    events.wait_for("error", has_code("invalid_frame"), WITHIN_MS).await;
    ws.send(&message(9)).unwrap();
    events.wait_for("message", |m| get(m, "n").as_f64() == Some(9.0), WITHIN_MS).await;
    let invalid = events.summary().iter().filter(|e| *e == "error:invalid_frame").count();
    assert_eq!(invalid, 3, "{:?}", events.summary());
    assert_eq!(ws.state(), "authenticated");
    assert_eq!(events.count("close"), 0);
    ws.close();
}

/// The page's `reportError` replaced until dropped, at the end of the test, so the tests after it
/// in the same page get the browser's own back. (A failing test traps, with no drop: the
/// replacement, which only records, then stays.)
struct ReportErrorReplaced(JsValue);

impl ReportErrorReplaced {
    fn with(replacement: &JsValue) -> Self {
        let original = js_sys::Reflect::get(&js_sys::global(), &"reportError".into()).unwrap();
        js_sys::Reflect::set(&js_sys::global(), &"reportError".into(), replacement).unwrap();
        Self(original)
    }
}

impl Drop for ReportErrorReplaced {
    fn drop(&mut self) {
        let _ = js_sys::Reflect::set(&js_sys::global(), &"reportError".into(), &self.0);
    }
}

#[wasm_bindgen_test]
async fn handlers_may_throw_send_and_close_reentrantly() {
    login("reentrant").await;
    // What a throwing handler's exception becomes: reported as an uncaught one would be
    // (`reportError`), neither swallowed nor stopping the other handlers. Recorded here instead.
    let reported = Rc::new(std::cell::RefCell::new(Vec::<String>::new()));
    let report = {
        let reported = reported.clone();
        Closure::<dyn FnMut(JsValue)>::new(move |error: JsValue| {
            reported.borrow_mut().push(format!("{error:?}"))
        })
    };
    let _restored = ReportErrorReplaced::with(report.as_ref());
    let ws = Rc::new(connect(""));
    let events = Recorder::attach(&ws);
    let thrower =
        Closure::<dyn FnMut(JsValue) -> Result<(), JsValue>>::new(|_| Err(JsValue::from_str("handler bug")));
    ws.on(&"authenticated".into(), thrower.as_ref().unchecked_ref()).unwrap();
    let sender = {
        let ws = ws.clone();
        Closure::<dyn FnMut(JsValue)>::new(move |_| ws.send(&message(1)).unwrap())
    };
    ws.on(&"authenticated".into(), sender.as_ref().unchecked_ref()).unwrap();
    let closer = {
        let ws = ws.clone();
        Closure::<dyn FnMut(JsValue)>::new(move |_| ws.close())
    };
    ws.on(&"message".into(), closer.as_ref().unchecked_ref()).unwrap();
    events.wait_for("message", |m| get(m, "n").as_f64() == Some(1.0), WITHIN_MS).await;
    assert_eq!(*reported.borrow(), [r#"JsValue("handler bug")"#], "the handler's exception, reported once");
    assert_eq!(ws.state(), "closed", "close() from inside a message handler");
    events.wait_for("state", |s| s.as_string().as_deref() == Some("closed"), WITHIN_MS).await;
    assert!(
        matches!(ws.send(&message(2)), Err(e) if get(&e, "code").as_string().as_deref() == Some("closed"))
    );
}

#[wasm_bindgen_test]
async fn online_ends_a_backoff_at_once() {
    login("roamer").await;
    // A backoff far longer than the test's deadline: only `online` can bring the socket back in time.
    let ws = connect(r#""reconnect":{"baseDelayMs":60000,"maxDelayMs":60000,"jitter":false}"#);
    let events = Recorder::attach(&ws);
    JsFuture::from(ws.ready()).await.unwrap();
    server_closes("roamer", 1001).await;
    let reconnecting = events.wait_for("reconnecting", |_| true, WITHIN_MS).await;
    assert_eq!(get(&reconnecting, "delayMs").as_f64(), Some(60000.0));
    JsFuture::from(crate::hardened::fire_online()).await.unwrap();
    events.wait_for_count("authenticated", 2, WITHIN_MS).await;
    ws.close();
}

#[wasm_bindgen_test]
async fn a_5xx_from_the_token_endpoint_is_retried_with_backoff() {
    login("flaky").await;
    faults("flaky", r#""tokenStatus":503,"tokenFailures":2"#).await;
    let ws = connect(FAST_RECONNECT);
    let events = Recorder::attach(&ws);
    JsFuture::from(ws.ready()).await.expect("authenticates once the endpoint recovers");
    let errors: Vec<_> = events.summary().into_iter().filter(|e| e.starts_with("error")).collect();
    assert_eq!(errors, ["error:token_unavailable", "error:token_unavailable"]);
    assert_eq!(events.count("reconnecting"), 2);
    ws.close();
}

/// `getToken` instead of `tokenUrl`: the app fetches the token its own way.
fn with_get_token(get_token: &js_sys::Function) -> SecureWebSocket {
    let options = js_sys::Object::new();
    js_sys::Reflect::set(&options, &"getToken".into(), get_token).unwrap();
    SecureWebSocket::new(&ws_url(), options.unchecked_ref()).unwrap()
}

#[wasm_bindgen_test]
async fn get_token_may_return_a_promise() {
    login("getter").await;
    let get_token = Closure::<dyn FnMut() -> js_sys::Promise>::new(|| {
        wasm_bindgen_futures::future_to_promise(async {
            let body = json(request("POST", "/api/ws-token", None).await).await;
            Ok(get(&body, "wsToken"))
        })
    });
    let ws = with_get_token(get_token.as_ref().unchecked_ref());
    let events = Recorder::attach(&ws);
    JsFuture::from(ws.ready()).await.unwrap();
    let authenticated = events.wait_for("authenticated", |_| true, WITHIN_MS).await;
    assert_eq!(get(&authenticated, "userId").as_string().as_deref(), Some("getter"));
    ws.close();
}

#[wasm_bindgen_test]
async fn get_token_throwing_unauthorized_ends_the_session() {
    let get_token = Closure::<dyn FnMut() -> Result<JsValue, JsValue>>::new(|| {
        Err(JSON::parse(r#"{"code":"unauthorized"}"#).unwrap())
    });
    let ws = with_get_token(get_token.as_ref().unchecked_ref());
    let events = Recorder::attach(&ws);
    let error = JsFuture::from(ws.ready()).await.expect_err("ready() rejects");
    assert_eq!(get(&error, "code").as_string().as_deref(), Some("unauthorized"));
    assert_eq!(events.count("reconnecting"), 0);
}
