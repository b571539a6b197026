//! The hardened lifecycle, wired into a real browser (the timing rules themselves are proven on
//! the core's virtual clock). Covers:
//! - a `getToken` that never settles: each attempt aborts the last request's signal and makes a
//!   fresh one, and the session authenticates once the source answers;
//! - a socket closed in the task that made it (React's StrictMode) never calls `getToken`;
//! - a server that accepts auth and drops the socket at once: the backoff grows and the session
//!   ends `reconnect_failed` after `maxAttempts`, instead of a reconnect storm;
//! - a page that loads offline spends nothing and connects on `online`;
//! - visibility and network changes check liveness at once: a half-open socket is found within
//!   `heartbeat.timeoutMs`, not at the next interval;
//! - `pagehide`/`pageshow` with `persisted`: a clean close (4014), then a reconnect;
//! - a token that claims an absurd lifetime does not spin the timer;
//! - a token-endpoint failure closes with 4004, never 1000;
//! - a server `error` frame is `server_error` with the server's code beside it, and `ready()`
//!   rejects only with the error that ended the session;
//! - `free()` from inside a handler, or on its own: no event afterwards, nothing left running; a
//!   pending `ready()` or receipt rejects `closed`.

use js_sys::{Function, Promise, JSON};
use wasm_bindgen::{prelude::*, JsCast};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

use crate::{
    leaks::{install_counters, live_listeners, live_timers},
    support::*,
};

const WITHIN_MS: f64 = 5000.0;

#[wasm_bindgen(module = "/tests/browser/page.js")]
extern "C" {
    #[wasm_bindgen(js_name = pretendOffline)]
    fn pretend_offline();
    #[wasm_bindgen(js_name = restoreOnline)]
    fn restore_online();
    #[wasm_bindgen(js_name = fireOnline)]
    pub(crate) fn fire_online() -> Promise;
    #[wasm_bindgen(js_name = firePageTransition)]
    fn fire_page_transition(kind: &str, persisted: bool) -> Promise;
    #[wasm_bindgen(js_name = fireVisible)]
    fn fire_visible() -> Promise;
    #[wasm_bindgen(js_name = countTimerCalls)]
    fn count_timer_calls();
    #[wasm_bindgen(js_name = timerCallCount)]
    fn timer_call_count() -> u32;
    #[wasm_bindgen(js_name = claimTokenLifetime)]
    fn claim_token_lifetime(seconds: f64) -> Function;
    #[wasm_bindgen(js_name = hangingGetToken)]
    fn hanging_get_token(hangs: u32, fetch_token: &Function) -> JsValue;
    #[wasm_bindgen(js_name = callLater)]
    fn call_later(object: &JsValue, method: &str) -> Promise;
    fn within(promise: &Promise, ms: f64) -> Promise;
    #[wasm_bindgen(js_name = quietPeriod)]
    fn quiet_period(ms: u32) -> Promise;
    #[wasm_bindgen(js_name = refuseSockets)]
    fn refuse_sockets();
    #[wasm_bindgen(js_name = allowSockets)]
    fn allow_sockets();
}

/// `getToken` that asks the test server's token endpoint with the page's cookie.
fn fetch_token() -> Closure<dyn FnMut() -> Promise> {
    Closure::new(|| {
        wasm_bindgen_futures::future_to_promise(async {
            let body = json(request("POST", "/api/ws-token", None).await).await;
            Ok(get(&body, "wsToken"))
        })
    })
}

fn with_options(extra: &str, get_token: &JsValue) -> SecureWebSocket {
    let options = JSON::parse(&format!("{{{extra}}}")).unwrap();
    js_sys::Reflect::set(&options, &"getToken".into(), get_token).unwrap();
    SecureWebSocket::new(&ws_url(), options.unchecked_ref()).unwrap()
}

#[wasm_bindgen_test]
async fn a_get_token_that_never_settles_is_abandoned_and_the_next_attempt_asks_again() {
    login("hanger").await;
    let fetch = fetch_token();
    let source = hanging_get_token(2, fetch.as_ref().unchecked_ref());
    let ws = with_options(
        r#""authTimeoutMs":150,"reconnect":{"baseDelayMs":10,"maxDelayMs":10,"jitter":false}"#,
        &get(&source, "getToken"),
    );
    let events = Recorder::attach(&ws);
    JsFuture::from(ws.ready()).await.expect("authenticates once getToken answers");
    let signals = js_sys::Array::from(&get(&source, "signals"));
    assert_eq!(signals.length(), 3, "one request per attempt");
    let aborted: Vec<_> = signals.iter().map(|s| get(&s, "aborted").as_bool().unwrap()).collect();
    assert_eq!(aborted, [true, true, false], "each timed-out request was aborted");
    assert_eq!(events.count("reconnecting"), 2);
    ws.close();
}

#[wasm_bindgen_test]
async fn a_socket_closed_in_the_task_that_made_it_never_calls_get_token() {
    // React's StrictMode mounts, unmounts and mounts again at once: the first socket must cost
    // the app's backend nothing, whether or not its getToken heeds the signal.
    let fetch = fetch_token();
    let source = hanging_get_token(0, fetch.as_ref().unchecked_ref());
    let ws = with_options("", &get(&source, "getToken"));
    ws.close();
    JsFuture::from(quiet_period(50)).await.unwrap();
    assert_eq!(js_sys::Array::from(&get(&source, "signals")).length(), 0, "getToken was not called");
    assert_eq!(ws.state(), "closed");
}

#[wasm_bindgen_test]
async fn a_server_that_drops_every_connection_right_after_auth_gets_a_growing_backoff() {
    login("flapper").await;
    let ws = connect(r#""reconnect":{"baseDelayMs":10,"maxDelayMs":1000,"maxAttempts":3,"jitter":false}"#);
    let events = Recorder::attach(&ws);
    // The server accepts, and the socket is dropped as soon as the SDK is told.
    for round in 1..=4 {
        events.wait_for_count("authenticated", round, WITHIN_MS).await;
        server_closes("flapper", 1011).await;
    }
    events.wait_for("error", has_code("reconnect_failed"), WITHIN_MS).await;
    let mut delays = vec![];
    for n in 1..=3 {
        delays.push(
            get(&events.wait_for_count("reconnecting", n, WITHIN_MS).await, "delayMs").as_f64().unwrap(),
        );
    }
    assert_eq!(delays, [10.0, 20.0, 40.0], "every early close is a failed attempt");
    assert_eq!(events.count("reconnecting"), 3, "bounded by maxAttempts: {:?}", events.summary());
    assert_eq!(ws.state(), "closed");
}

#[wasm_bindgen_test]
async fn a_page_that_loads_offline_waits_and_connects_on_online() {
    login("offline-start").await;
    pretend_offline();
    let fetch = fetch_token();
    let source = hanging_get_token(0, fetch.as_ref().unchecked_ref());
    let ws = with_options(r#""authTimeoutMs":100"#, &get(&source, "getToken"));
    let events = Recorder::attach(&ws);
    restore_online();
    assert_eq!(ws.state(), "connecting");
    JsFuture::from(quiet_period(300)).await.unwrap();
    assert_eq!(js_sys::Array::from(&get(&source, "signals")).length(), 0, "no token asked for offline");
    assert_eq!(events.count("close"), 0, "no attempt burnt offline: {:?}", events.summary());
    JsFuture::from(fire_online()).await.unwrap();
    JsFuture::from(ws.ready()).await.expect("connects on online");
    ws.close();
}

#[wasm_bindgen_test]
async fn becoming_visible_finds_a_half_open_socket_within_the_heartbeat_timeout() {
    login("sleeper").await;
    let ws = connect(
        r#""heartbeat":{"intervalMs":600000,"timeoutMs":200},"reconnect":{"baseDelayMs":10,"jitter":false}"#,
    );
    let events = Recorder::attach(&ws);
    JsFuture::from(ws.ready()).await.unwrap();
    faults("sleeper", r#""silent":true"#).await;
    JsFuture::from(fire_visible()).await.unwrap();
    events.wait_for("close", close_code(4010.0), 2000.0).await;
    ws.close();
}

#[wasm_bindgen_test]
async fn the_back_forward_cache_gets_a_clean_close_and_a_reconnect() {
    login("bfcache").await;
    let ws = connect(r#""reconnect":{"baseDelayMs":10,"jitter":false}"#);
    let events = Recorder::attach(&ws);
    JsFuture::from(ws.ready()).await.unwrap();
    JsFuture::from(fire_page_transition("pagehide", false)).await.unwrap();
    assert_eq!(events.count("close"), 0, "a page that is not cached keeps its socket until unload");
    JsFuture::from(fire_page_transition("pagehide", true)).await.unwrap();
    let close = events.wait_for("close", close_code(4014.0), WITHIN_MS).await;
    assert_eq!(get(&close, "willReconnect").as_bool(), Some(true));
    assert_eq!(ws.state(), "reconnecting");
    JsFuture::from(fire_page_transition("pageshow", true)).await.unwrap();
    events.wait_for_count("authenticated", 2, WITHIN_MS).await;
    ws.close();
}

#[wasm_bindgen_test]
async fn a_token_claiming_an_absurd_lifetime_does_not_spin_the_timer() {
    login("forever").await;
    let restore = claim_token_lifetime(1e12);
    let ws = connect(r#""reauthIntervalMs":0"#);
    JsFuture::from(ws.ready()).await.unwrap();
    restore.call0(&JsValue::UNDEFINED).unwrap();
    count_timer_calls();
    JsFuture::from(quiet_period(300)).await.unwrap();
    // The quiet period itself is one call; a spinning timer makes hundreds.
    assert!(timer_call_count() <= 3, "{} setTimeout calls in 300 ms", timer_call_count());
    assert!(ws.next_reauth_in_ms().as_f64().unwrap() > 1e6, "re-auth far away, not now");
    ws.close();
    assert!(ws.next_reauth_in_ms().is_null(), "none scheduled once closed: null, as documented");
}

#[wasm_bindgen_test]
async fn a_token_endpoint_failure_closes_4004_and_retries() {
    login("tokenless").await;
    faults("tokenless", r#""tokenStatus":503,"tokenFailures":1"#).await;
    let ws = connect(r#""reconnect":{"baseDelayMs":10,"jitter":false}"#);
    let events = Recorder::attach(&ws);
    JsFuture::from(ws.ready()).await.unwrap();
    let close = events.wait_for("close", |_| true, WITHIN_MS).await;
    assert_eq!(get(&close, "code").as_f64(), Some(4004.0), "a retry never closes with 1000");
    assert_eq!(get(&close, "willReconnect").as_bool(), Some(true));
    ws.close();
}

#[wasm_bindgen_test]
async fn server_errors_never_pass_for_the_sdks_own_and_ready_rejects_only_with_the_final_error() {
    login("impostor").await;
    let ws = connect("");
    let events = Recorder::attach(&ws);
    JsFuture::from(ws.ready()).await.unwrap();
    server_sends("impostor", r#"{"type":"error","code":"unauthorized","message":"from the backend"}"#).await;
    let error = events.wait_for("error", |_| true, WITHIN_MS).await;
    assert_eq!(get(&error, "code").as_string().as_deref(), Some("server_error"));
    assert_eq!(get(&error, "serverCode").as_string().as_deref(), Some("unauthorized"));
    assert_eq!(ws.state(), "authenticated", "a server error frame ends nothing");
    ws.close();
    let rejected = JsFuture::from(ws.ready()).await.expect_err("closed");
    assert_eq!(
        get(&rejected, "code").as_string().as_deref(),
        Some("closed"),
        "not the earlier, non-fatal error"
    );
}

#[wasm_bindgen_test]
async fn an_auth_frame_echoed_back_is_refused_and_its_token_never_reaches_the_app() {
    login("echoed").await;
    let ws = connect("");
    let events = Recorder::attach(&ws);
    JsFuture::from(ws.ready()).await.unwrap();
    server_sends(
        "echoed",
        r#"{"type":"auth","token":"echoed-SECRET","resume":{"sessionId":null,"lastSeq":0}}"#,
    )
    .await;
    server_sends("echoed", r#"{"type":"reauth","token":"echoed-SECRET"}"#).await;
    server_sends("echoed", r#"{"type":"chat","text":"after"}"#).await;
    events.wait_for("message", |m| get(m, "type").as_string().as_deref() == Some("chat"), WITHIN_MS).await;
    let errors = events.payloads("error");
    assert_eq!(errors.len(), 2, "{:?}", events.summary());
    for error in &errors {
        assert_eq!(get(error, "code").as_string().as_deref(), Some("invalid_frame"));
        assert!(!get(error, "message").as_string().unwrap().contains("SECRET"));
    }
    assert_eq!(events.count("message"), 1, "only the chat message is delivered");
    assert_eq!(ws.state(), "authenticated");
    ws.close();
}

#[wasm_bindgen_test]
async fn a_socket_refused_inside_the_constructor_is_reported_to_listeners_attached_after_it() {
    login("refused-at-once").await;
    refuse_sockets();
    let ws = connect(r#""reconnect":{"baseDelayMs":0,"jitter":false}"#);
    allow_sockets();
    // Attached once the constructor returned, as an app attaches them: the first attempt ended
    // inside the constructor, and its events still reach them.
    let events = Recorder::attach(&ws);
    let close = events.wait_for("close", |_| true, WITHIN_MS).await;
    assert_eq!(get(&close, "code").as_f64(), Some(1006.0));
    assert_eq!(get(&close, "willReconnect").as_bool(), Some(true));
    events.wait_for("reconnecting", |_| true, WITHIN_MS).await;
    events.wait_for("authenticated", |_| true, WITHIN_MS).await;
    ws.close();
}

#[wasm_bindgen_test]
async fn the_events_close_causes_reach_listeners_attached_right_after_it() {
    login("closed-then-listened").await;
    let ws = connect("");
    JsFuture::from(ws.ready()).await.unwrap();
    ws.close();
    assert_eq!(ws.state(), "closed", "at once");
    // Attached after close() returned: its events come in a microtask, as a WebSocket's do.
    let events = Recorder::attach(&ws);
    let close = events.wait_for("close", |_| true, WITHIN_MS).await;
    assert_eq!(get(&close, "code").as_f64(), Some(1000.0));
    assert_eq!(get(&close, "willReconnect").as_bool(), Some(false));
    events.wait_for("state", |s| s.as_string().as_deref() == Some("closed"), WITHIN_MS).await;
}

/// Calls `method` on the JS object, as an app would.
fn call(object: &JsValue, method: &str) -> Result<JsValue, JsValue> {
    get(object, method).unchecked_into::<Function>().call0(object)
}

#[wasm_bindgen_test]
async fn free_inside_a_handler_fired_by_close_is_safe_and_silences_everything() {
    install_counters();
    login("freer").await;
    let before = (live_listeners(), live_timers());
    let ws = connect("");
    JsFuture::from(ws.ready()).await.unwrap();
    let events = Recorder::attach(&ws);
    let object = JsValue::from(ws); // the JS object an app holds
    let freed = std::rc::Rc::new(std::cell::Cell::new(false));
    let (target, done) = (object.clone(), freed.clone());
    let on_close = Closure::<dyn FnMut(JsValue)>::new(move |_| {
        if !done.replace(true) {
            call(&target, "free").expect("free() inside a handler does not throw");
        }
    });
    get(&object, "on")
        .unchecked_into::<Function>()
        .call2(&object, &"close".into(), on_close.as_ref())
        .unwrap();
    // Listeners after the one that frees do not run, even for the event being dispatched.
    let later = Recorder::attach(object.unchecked_ref());
    JsFuture::from(call_later(&object, "close")).await.expect("close() returns normally");
    events.wait_for("close", |_| true, WITHIN_MS).await;
    assert!(freed.get(), "the close handler ran, and its free() did not throw");
    assert_eq!(later.summary(), Vec::<String>::new(), "no listener ran after the one that freed");
    let seen = events.summary();
    JsFuture::from(quiet_period(50)).await.unwrap();
    assert_eq!(events.summary(), seen, "no event after free()");
    assert!(!seen.iter().any(|e| e.starts_with("state")), "free() came before the state event: {seen:?}");
    assert_eq!((live_listeners(), live_timers()), before, "free() inside a handler released everything");
}

#[wasm_bindgen_test]
async fn free_rejects_a_pending_ready_and_receipt_without_calling_any_handler() {
    // A component unmounted while connecting: whoever awaits the socket hears that it is closed,
    // rather than waiting forever.
    let ws = connect("");
    let events = Recorder::attach(&ws);
    let ready = JsFuture::from(within(&ws.ready(), WITHIN_MS));
    let receipt = ws.send_with_receipt(&JSON::parse(r#"{"type":"echo"}"#).unwrap()).unwrap();
    let receipt = JsFuture::from(within(&receipt, WITHIN_MS));
    ws.free();
    let code = |error: JsValue| get(&error, "code").as_string();
    assert_eq!(code(ready.await.expect_err("ready() rejects")), Some("closed".into()));
    assert_eq!(code(receipt.await.expect_err("the receipt rejects")), Some("closed".into()));
    assert_eq!(events.summary(), Vec::<String>::new(), "no handler runs against a freed object");
}

#[wasm_bindgen_test]
async fn free_on_its_own_closes_without_calling_any_handler() {
    install_counters();
    login("dropper").await;
    let before = (live_listeners(), live_timers());
    let ws = connect("");
    JsFuture::from(ws.ready()).await.unwrap();
    let events = Recorder::attach(&ws);
    JsFuture::from(call_later(&JsValue::from(ws), "free")).await.unwrap();
    JsFuture::from(quiet_period(50)).await.unwrap();
    assert_eq!(events.summary(), Vec::<String>::new(), "no handler runs against a freed object");
    assert_eq!((live_listeners(), live_timers()), before, "free() released every listener and timer");
}

fn has_code(code: &'static str) -> impl Fn(&JsValue) -> bool {
    move |e| get(e, "code").as_string().as_deref() == Some(code)
}

fn close_code(code: f64) -> impl Fn(&JsValue) -> bool {
    move |e| get(e, "code").as_f64() == Some(code)
}
