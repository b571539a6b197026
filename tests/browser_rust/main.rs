//! Browser tests of the Rust API (`secure_ws::rust_api`), in headless Chrome and Firefox against
//! the test server, built WITHOUT the `js` feature: a Rust app's view of the crate.
//!
//! Covers:
//! - typed messages round trip through the server's `echo` (serde out, serde in, no second parse),
//!   and go on the wire as the JSON serde_json would write;
//! - a frame that does not deserialize into the app's type is an `Error::Deserialize` event (code
//!   `invalid_frame`) and the connection stays up; a frame that is not JSON is `InvalidFrame`;
//! - a server-side close reconnects with the configured backoff, and what was sent during the
//!   outage arrives once, on the new connection;
//! - `close()` ends the session: `send` and `ready` return `Error::Closed`, the streams end;
//! - dropping the session releases its listeners, timers and `get_token` function, and the
//!   server sees the connection go;
//! - a Rust `get_token` that returns `Unauthorized` ends the session without a retry; one whose
//!   future is still pending when the session closes is dropped then, not kept;
//! - options are checked like the JS class's, with the same codes; `send` errors are `Result`s;
//! - no `Debug` output of the API's values holds the token.
#![cfg(target_arch = "wasm32")]

#[path = "../browser/instrument.rs"]
mod instrument;
#[allow(dead_code)]
#[path = "../browser/server.rs"]
mod server;
mod support;

use std::{cell::RefCell, collections::BTreeMap, rc::Rc, time::Duration};

use instrument::*;
use secure_ws::rust_api::{Builder, Error, Event, SecureWebSocket, State, TokenError};
use serde::{Deserialize, Serialize};
use server::*;
use support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// The test server, from `scripts/test.sh` (`scripts/env.sh` has the default).
pub const SERVER_ORIGIN: &str = match option_env!("SECURE_WS_TEST_SERVER_ORIGIN") {
    Some(origin) => origin,
    None => "http://127.0.0.1:47411",
};

/// What the app sends: the server's `echo` returns it as it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Echo {
    n: u32,
    text: String,
    tags: Vec<String>,
    note: Option<String>,
    scores: BTreeMap<String, i32>,
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ToServer<'a> {
    Echo(&'a Echo),
}

/// What the app expects back.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum FromServer {
    Echo(Echo),
}

fn echo(n: u32) -> Echo {
    Echo {
        n,
        text: "héllo 😀".into(),
        tags: vec!["a".into(), "b".into()],
        note: None,
        scores: BTreeMap::from([("x".into(), -1)]),
    }
}

fn builder(extra: impl FnOnce(Builder) -> Builder) -> Builder {
    extra(SecureWebSocket::builder(&ws_url()).token_url(http("/api/ws-token")))
}

fn connect(
    extra: impl FnOnce(Builder) -> Builder,
) -> (SecureWebSocket, secure_ws::rust_api::Events<FromServer>) {
    builder(extra).connect().expect("valid options")
}

fn is_echo(n: u32) -> impl Fn(&Event<FromServer>) -> bool {
    move |event| matches!(event, Event::Message(FromServer::Echo(echo)) if echo.n == n)
}

/// A token for `user` from the server's test endpoint, as an app's own backend call would get it.
async fn mint(user: &str) -> Result<String, TokenError> {
    let body = json(request("POST", "/test/token", Some(&format!(r#"{{"user":"{user}"}}"#))).await).await;
    get(&body, "wsToken").as_string().ok_or(TokenError::Unavailable("no wsToken".into()))
}

/// Closes every socket of `user` from the server side; returns how many it still had.
async fn server_closes_counting(user: &str) -> u32 {
    let body = format!(r#"{{"user":"{user}","code":1000}}"#);
    get(&json(request("POST", "/test/close", Some(&body)).await).await, "closed").as_f64().unwrap() as u32
}

#[wasm_bindgen_test]
async fn typed_messages_round_trip_through_the_server() {
    login("rust-echo").await;
    let (ws, mut events) = connect(|b| b);
    ws.ready().await.expect("authenticated");
    assert_eq!(ws.state(), State::Authenticated);
    let sent = echo(7);
    ws.send(&ToServer::Echo(&sent)).unwrap();
    let (received, before) = next_matching(&mut events, "the echo", is_echo(7)).await;
    assert_eq!(received, Event::Message(FromServer::Echo(sent)));
    assert!(
        before.contains(&Event::Authenticated { user_id: Some("rust-echo".into()), resumed: false }),
        "{before:?}"
    );
    assert!(!before.iter().any(|e| matches!(e, Event::Message(_))), "auth frames are not messages");
    // On the wire as serde_json would write it: `None` is null, a map an object.
    let connections = frames_per_connection("rust-echo").await;
    assert_eq!(
        connections[0][1],
        r#"{"n":7,"note":null,"scores":{"x":-1},"tags":["a","b"],"text":"héllo 😀","type":"echo"}"#
    );
}

#[wasm_bindgen_test]
async fn a_frame_that_does_not_fit_the_type_is_an_error_event_and_the_connection_stays_up() {
    login("rust-misfit").await;
    let (ws, mut events) = connect(|b| b);
    ws.ready().await.unwrap();
    server_sends("rust-misfit", r#"{"type":"echo","n":"seven"}"#).await;
    let (error, _) =
        next_matching(&mut events, "a deserialize error", |e| matches!(e, Event::Error(_))).await;
    let Event::Error(error) = error else { unreachable!() };
    assert_eq!(error.code(), "invalid_frame");
    let Error::Deserialize(reason) = &error else { panic!("{error:?}") };
    assert!(reason.contains("seven") || reason.contains("u32"), "serde's reason: {reason}");

    server_sends("rust-misfit", r#"{"type":"surprise"}"#).await;
    let (error, _) = next_matching(&mut events, "an unknown variant", |e| matches!(e, Event::Error(_))).await;
    assert!(
        matches!(&error, Event::Error(Error::Deserialize(reason)) if reason.contains("surprise")),
        "{error:?}"
    );

    // A long string of the message (a token, echoed) is never in the error text; short ones are.
    let token = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXRva2Vu";
    server_sends("rust-misfit", &format!(r#"{{"type":"echo","n":"{token}"}}"#)).await;
    server_sends("rust-misfit", &format!(r#"{{"type":"{token}"}}"#)).await;
    for _ in 0..2 {
        let (error, _) =
            next_matching(&mut events, "a misfit quoting a token", |e| matches!(e, Event::Error(_))).await;
        let Event::Error(error) = error else { unreachable!() };
        let Error::Deserialize(reason) = &error else { panic!("{error:?}") };
        assert!(!format!("{error} {error:?}").contains(&token[..16]), "{reason}");
        assert!(reason.contains('…'), "{reason}");
    }

    // One that serde writes escaped (quotes, a backslash, a line break: its `Debug` form) is elided too.
    server_sends("rust-misfit", r#"{"type":"echo","n":"sk_live_\"quoted\"\\back\nline_4f8a9b2c1d"}"#).await;
    let (error, _) =
        next_matching(&mut events, "a misfit quoting an escaped token", |e| matches!(e, Event::Error(_)))
            .await;
    assert!(!format!("{error:?}").contains("4f8a9b2c1d"), "{error:?}");

    server_sends("rust-misfit", "not json").await;
    let (error, _) = next_matching(&mut events, "an invalid frame", |e| matches!(e, Event::Error(_))).await;
    assert!(matches!(error, Event::Error(Error::InvalidFrame(_))), "{error:?}");

    ws.send(&ToServer::Echo(&echo(2))).unwrap();
    let (_, between) = next_matching(&mut events, "the echo after the misfits", is_echo(2)).await;
    assert!(
        !between.iter().any(|e| matches!(e, Event::Close { .. })),
        "the connection stayed up: {between:?}"
    );
    assert_eq!(ws.state(), State::Authenticated);
    assert_eq!(frames_per_connection("rust-misfit").await.len(), 1);
}

#[wasm_bindgen_test]
async fn a_server_side_close_reconnects_and_delivers_what_was_sent_meanwhile() {
    login("rust-healer").await;
    let (ws, mut events) = connect(|b| {
        b.reconnect_base_delay(Duration::from_millis(20))
            .reconnect_max_delay(Duration::from_millis(100))
            .reconnect_jitter(false)
    });
    ws.ready().await.unwrap();
    server_closes("rust-healer", 1001).await;
    let (close, _) = next_matching(&mut events, "the close", |e| matches!(e, Event::Close { .. })).await;
    assert!(matches!(close, Event::Close { code: 1001, will_reconnect: true, .. }), "{close:?}");
    ws.send(&ToServer::Echo(&echo(1))).unwrap();
    assert_eq!(ws.queued_count(), 1, "sent during the outage: queued");

    let (_, meanwhile) = next_matching(&mut events, "the queued echo", is_echo(1)).await;
    let reconnecting = Event::Reconnecting { attempt: 1, delay: Duration::from_millis(20) };
    let at = |wanted: &Event<FromServer>| meanwhile.iter().position(|e| e == wanted);
    // A server with resumable sessions resumes; one without authenticates a new connection.
    let reconnected = meanwhile
        .iter()
        .position(|e| matches!(e, Event::Authenticated { user_id: Some(user), .. } if user == "rust-healer"));
    assert!(at(&reconnecting) < reconnected && reconnected.is_some(), "{meanwhile:?}");
    // (`queued_count` still counts the echo until the server's batched ack: it is owed till then.)
    let connections = frames_per_connection("rust-healer").await;
    assert_eq!(connections.len(), 2);
    assert_eq!(connections[1].len(), 2, "auth, then the queued echo once: {:?}", connections[1]);
    assert!(connections[1][1].contains(r#""n":1"#), "{:?}", connections[1]);
}

#[wasm_bindgen_test]
async fn close_ends_the_session_its_sends_and_its_streams() {
    login("rust-closer").await;
    let (ws, mut events) = connect(|b| b);
    ws.ready().await.unwrap();
    ws.close();
    assert_eq!(ws.state(), State::Closed);
    let refused = ws.send(&ToServer::Echo(&echo(1))).unwrap_err();
    assert_eq!(refused.code(), "closed");
    assert_eq!(refused, Error::Closed);
    assert_eq!(ws.ready().await, Err(Error::Closed));

    let rest = rest(&mut events).await;
    assert!(
        rest.iter().any(|e| matches!(e, Event::Close { code: 1000, will_reconnect: false, .. })),
        "{rest:?}"
    );
    assert_eq!(rest.last(), Some(&Event::State(State::Closed)));
    assert!(!rest.iter().any(|e| matches!(e, Event::Reconnecting { .. })), "{rest:?}");
    let mut late = ws.events::<FromServer>();
    assert_eq!(support::rest(&mut late).await, [], "a stream asked for after the end ends at once");
}

/// A `Sender` sends on the session while it lives and does not keep it alive: the event task can
/// hold one, and the session still ends (and its stream with it) when the `SecureWebSocket` is
/// dropped; a send after that is `Closed`, never dropped silently.
#[wasm_bindgen_test]
async fn a_sender_sends_while_the_session_lives_and_keeps_it_not_alive() {
    login("rust-sender").await;
    let (ws, mut events) = connect(|b| b);
    ws.ready().await.unwrap();
    let sender = ws.sender();
    let kept = sender.clone();
    // Equal when they send on the same session (as a component's props are compared).
    let (other, _) = connect(|b| b);
    assert!(sender == ws.sender() && sender != other.sender());
    drop(other);
    sender.send(&ToServer::Echo(&echo(3))).unwrap();
    next_matching(&mut events, "the echo sent through the sender", is_echo(3)).await;
    assert_eq!(format!("{:?} {}", ws.state(), ws.state()), "Authenticated authenticated");
    drop(ws);
    let rest = rest(&mut events).await;
    assert_eq!(
        rest.last(),
        Some(&Event::State(State::Closed)),
        "the stream ends though a sender lives: {rest:?}"
    );
    assert_eq!(kept.send(&ToServer::Echo(&echo(4))), Err(Error::Closed));
}

#[wasm_bindgen(module = "/tests/browser/page.js")]
extern "C" {
    #[wasm_bindgen(js_name = refuseSockets)]
    fn refuse_sockets();
    #[wasm_bindgen(js_name = allowSockets)]
    fn allow_sockets();
}

#[wasm_bindgen_test]
async fn a_socket_refused_inside_connect_is_in_the_stream_and_one_that_ends_there_ends_it() {
    login("rust-refused").await;
    refuse_sockets();
    let healing = connect(|b| b.reconnect_base_delay(Duration::ZERO).reconnect_jitter(false));
    let ending = connect(|b| b.max_reconnect_attempts(0));
    allow_sockets();
    let (ws, mut events) = healing;
    let (close, _) = next_matching(&mut events, "the close", |e| matches!(e, Event::Close { .. })).await;
    assert!(matches!(close, Event::Close { code: 1006, will_reconnect: true, .. }), "{close:?}");
    next_matching(&mut events, "the reconnection", |e| matches!(e, Event::Authenticated { .. })).await;
    ws.close();
    // A session whose only attempt failed inside `connect`: its stream still says so, and ends.
    let (ws, mut events) = ending;
    let rest = rest(&mut events).await;
    assert!(rest.iter().any(|e| matches!(e, Event::Error(Error::ReconnectFailed(_)))), "{rest:?}");
    assert_eq!(rest.last(), Some(&Event::State(State::Closed)), "{rest:?}");
    assert!(matches!(ws.ready().await, Err(Error::ReconnectFailed(_))));
}

#[wasm_bindgen_test]
async fn dropping_the_socket_releases_everything_it_holds() {
    install_counters();
    let before = (live_listeners(), live_timers());
    let marker = Rc::new(());
    let held = Rc::clone(&marker);
    let (ws, mut events) = SecureWebSocket::builder(&ws_url())
        .get_token(move || {
            let _held = &held;
            mint("rust-dropper")
        })
        .connect::<FromServer>()
        .unwrap();
    ws.ready().await.expect("authenticated through the Rust get_token");
    assert!(live_listeners() > before.0, "the counters see the session's listeners");
    assert_eq!(Rc::strong_count(&marker), 2, "the session holds get_token");

    drop(ws);
    assert_eq!((live_listeners(), live_timers()), before, "listeners and timers released");
    assert_eq!(Rc::strong_count(&marker), 1, "the get_token function released");
    let rest = rest(&mut events).await;
    assert_eq!(rest.last(), Some(&Event::State(State::Closed)), "the stream ends after the close: {rest:?}");
    // The server sees the socket go: no connection of this user is left for it to close. Each
    // check is a round trip to the server; the deadline bounds them.
    let deadline = js_sys::Date::now() + f64::from(WITHIN_MS);
    while server_closes_counting("rust-dropper").await > 0 {
        assert!(js_sys::Date::now() < deadline, "the server still holds the dropped socket");
    }
}

#[wasm_bindgen_test]
async fn a_rust_get_token_that_says_unauthorized_ends_the_session_without_retrying() {
    let calls = Rc::new(RefCell::new(0));
    let counter = Rc::clone(&calls);
    let (ws, mut events) = SecureWebSocket::builder(&ws_url())
        .get_token(move || {
            *counter.borrow_mut() += 1;
            async { Err(TokenError::Unauthorized) }
        })
        .connect::<FromServer>()
        .unwrap();
    let error = ws.ready().await.unwrap_err();
    assert!(matches!(error, Error::Unauthorized(_)), "{error:?}");
    assert_eq!(error.code(), "unauthorized");
    assert!(error.is_terminal());
    assert_eq!(ws.state(), State::Closed);
    let rest = rest(&mut events).await;
    assert!(!rest.iter().any(|e| matches!(e, Event::Reconnecting { .. })), "no retry: {rest:?}");
    assert_eq!(*calls.borrow(), 1);
}

/// Says on its channel when it is dropped.
struct DropSignal(Option<futures_channel::oneshot::Sender<()>>);

impl Drop for DropSignal {
    fn drop(&mut self) {
        if let Some(dropped) = self.0.take() {
            let _ = dropped.send(());
        }
    }
}

#[wasm_bindgen_test]
async fn a_get_token_future_still_pending_at_close_is_dropped_with_what_it_holds() {
    let (called_tx, called) = futures_channel::oneshot::channel();
    let (dropped_tx, dropped) = futures_channel::oneshot::channel();
    let first_call = RefCell::new(Some((called_tx, DropSignal(Some(dropped_tx)))));
    let (ws, _events) = SecureWebSocket::builder(&ws_url())
        .get_token(move || {
            // A token request that never ends (a stalled backend call, say), holding the guard.
            let held = first_call.borrow_mut().take().map(|(called, guard)| {
                let _ = called.send(());
                guard
            });
            async move {
                let _held = held;
                std::future::pending::<Result<String, TokenError>>().await
            }
        })
        .connect::<FromServer>()
        .unwrap();
    within("call of get_token", called).await.expect("get_token was called");
    ws.close();
    within("drop of the pending get_token future", dropped).await.expect("dropped, not leaked");
}

#[wasm_bindgen_test]
fn options_are_checked_like_the_js_class_with_the_same_codes() {
    let refused = |builder: Builder| builder.connect::<FromServer>().expect_err("refused");
    let base = || SecureWebSocket::builder(&ws_url());
    let insecure = refused(SecureWebSocket::builder("ws://example.com/ws").token_url("/t"));
    assert_eq!(insecure.code(), "insecure_url");
    assert!(insecure.to_string().ends_with("(insecure_url)"), "{insecure}");
    // URLs refused as the JS class refuses them (`?%74oken=` is `token`, read as a server reads it).
    let url = ws_url();
    for (refused_url, code) in [
        (format!("{url}?ID_TOKEN=abc"), "insecure_url"),
        (format!("{url}?token=abc"), "insecure_url"),
        ("https://example.com/ws".to_owned(), "insecure_url"),
        (format!("{url}?%74oken=abc"), "insecure_url"),
        (format!("{url}#part"), "invalid_options"),
        // Without a scheme, the page's (this test page is http on loopback: ws), same rules.
        ("/ws?token=abc".to_owned(), "insecure_url"),
        ("//example.com/ws".to_owned(), "insecure_url"),
    ] {
        assert_eq!(
            refused(SecureWebSocket::builder(&refused_url).token_url("/t")).code(),
            code,
            "{refused_url}"
        );
    }
    // And one that passes them is taken (`ws://127.0.0.1:…/ws`, this page's), not refused as relative.
    let relative = SecureWebSocket::builder("/ws").token_url("/t").connect::<FromServer>();
    assert!(relative.is_ok(), "{:?}", relative.map(drop));
    assert_eq!(refused(base()).code(), "invalid_options", "no token source");
    let both = refused(base().token_url("/t").get_token(|| async { Ok("t".to_owned()) }));
    assert_eq!(both.code(), "invalid_options");
    let delays = refused(
        base()
            .token_url("/t")
            .reconnect_base_delay(Duration::from_secs(2))
            .reconnect_max_delay(Duration::from_secs(1)),
    );
    assert_eq!(
        delays.to_string(),
        "reconnect.baseDelayMs: must not be greater than reconnect.maxDelayMs (invalid_options)"
    );
    let too_long = refused(base().token_url("/t").auth_timeout(Duration::from_secs(30 * 24 * 3600)));
    assert!(matches!(&too_long, Error::InvalidOptions(e) if e.option == "authTimeoutMs"), "{too_long:?}");
    assert_eq!(refused(base().token_url("/t").max_queued_messages(0)).code(), "invalid_options");
    // The token URL as the class checks it: one fetch can use, never the token in the clear.
    for (token_url, code) in [
        ("", "invalid_options"),
        ("javascript:void 0", "invalid_options"),
        ("https://user:secret@example.com/t", "insecure_url"),
        ("http://example.com/t", "insecure_url"),
    ] {
        assert_eq!(refused(base().token_url(token_url)).code(), code, "{token_url:?}");
    }
    // The driver never starts for refused options, so a valid builder after them still connects.
    let (ws, _events) = base().token_url("/t").connect::<FromServer>().expect("valid");
    ws.close();
}

#[wasm_bindgen_test]
fn send_refuses_with_results_carrying_the_js_codes() {
    // Checked at once and queued before authentication: no server round trip needed.
    let (ws, _events) = connect(|b| b.max_message_bytes(15).max_queued_messages(2));
    #[derive(Serialize)]
    struct Msg<'a> {
        r#type: &'a str,
    }
    // `{"type":"` is 9 bytes and `"}` 2: each case sits on one side of 15 bytes.
    assert_eq!(ws.send(&Msg { r#type: "abcde" }), Err(Error::MessageTooLarge { bytes: 16, limit: 15 }));
    assert_eq!(ws.send(&Msg { r#type: "ééé" }).unwrap_err().code(), "message_too_large");
    assert_eq!(ws.send(&Msg { r#type: "abcd" }), Ok(()), "exactly the limit");
    let unrepresentable = ws.send(&u64::MAX).unwrap_err();
    assert!(matches!(unrepresentable, Error::InvalidMessage(_)), "{unrepresentable:?}");
    // No application message (SPEC: an object with a string `type`, naming no protocol frame):
    // refused at once, never queued (an exactly-once session would resend it after every reconnect).
    #[derive(Serialize)]
    struct Untyped {
        n: u8,
    }
    for refused in [ws.send(&()), ws.send(&7), ws.send(&Untyped { n: 1 }), ws.send(&Msg { r#type: "ping" })] {
        assert!(matches!(&refused, Err(Error::InvalidMessage(_))), "{refused:?}");
    }
    assert_eq!(ws.send(&Msg { r#type: "😀" }), Ok(()), "a surrogate pair is 4 bytes: 15 in all");
    let full = ws.send(&Msg { r#type: "a" }).unwrap_err();
    assert_eq!(full.code(), "queue_full");
    assert_eq!(full, Error::QueueFull { limit: 2 });
    assert_eq!(ws.queued_count(), 2);
}

#[wasm_bindgen_test]
async fn no_debug_output_of_the_api_holds_the_token() {
    let token = Rc::new(RefCell::new(String::new()));
    let seen = Rc::clone(&token);
    let builder = SecureWebSocket::builder(&ws_url()).get_token(move || {
        let seen = Rc::clone(&seen);
        async move {
            let token = mint("rust-secret").await?;
            *seen.borrow_mut() = token.clone();
            Ok(token)
        }
    });
    let (ws, mut events) = builder.clone().connect::<FromServer>().unwrap();
    ws.ready().await.unwrap();
    ws.send(&ToServer::Echo(&echo(3))).unwrap();
    let (message, before) = next_matching(&mut events, "the echo", is_echo(3)).await;
    let token = token.borrow().clone();
    assert!(token.len() > 20, "the test saw the token");
    let printed = format!("{builder:?} {ws:?} {events:?} {message:?} {before:?}");
    assert!(!printed.contains(&token), "{printed}");
    assert!(printed.contains("get_token(<function>)"), "{printed}");
}
