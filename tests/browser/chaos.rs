//! Nothing lost (issue 10): two users exchange 1,000 numbered messages each way in a room while
//! the server drops their sockets abruptly every ~200 ms, restarts once (1012) and rejects one
//! authentication. Each side must receive every message of the other exactly once and in order,
//! and every receipt must resolve. Runs in Chrome and Firefox.

use js_sys::{Function, Object, Promise, Reflect, JSON};
use wasm_bindgen::{prelude::*, JsCast};
use wasm_bindgen_futures::{future_to_promise, JsFuture};
use wasm_bindgen_test::*;

use crate::support::*;

#[wasm_bindgen(module = "/tests/browser/page.js")]
extern "C" {
    #[wasm_bindgen(js_name = runChaos)]
    fn run_chaos(make_socket: &Function, control: &Function, count: u32, deadline_ms: u32) -> Promise;
}

const COUNT: u32 = 1000;

#[wasm_bindgen_test]
async fn two_users_lose_nothing_through_drops_a_restart_and_a_rejected_auth() {
    // In Firefox this runs with `network.websocket.delay-failed-reconnects` off (webdriver.json):
    // Firefox's own delay before reconnecting to a host after failures (200 ms, growing to a
    // minute) would otherwise outgrow a fault every ~200 ms, and the run would test Firefox's
    // throttle instead of the session's resumption.
    // Tokens for two users in one page: minted by the test control (one cookie jar cannot hold
    // two logins), through getToken.
    let make_socket = Closure::<dyn FnMut(String) -> JsValue>::new(|user: String| {
        let get_token = Closure::<dyn FnMut() -> Promise>::new(move || {
            let body = format!(r#"{{"user":"{user}"}}"#);
            future_to_promise(async move {
                let token = json(request("POST", "/test/token", Some(&body)).await).await;
                Ok(get(&token, "wsToken"))
            })
        });
        let options = JSON::parse(
            r#"{"maxQueuedMessages":3000,"reconnect":{"baseDelayMs":10,"maxDelayMs":200,"maxAttempts":1000,"minUptimeMs":0}}"#,
        )
        .unwrap();
        Reflect::set(&options, &"getToken".into(), get_token.as_ref()).unwrap();
        let join = JSON::parse(r#"[{"type":"join_room","room":"chaos"}]"#).unwrap();
        let subscriptions = Function::new_no_args("return this;").bind0(&join);
        Reflect::set(&options, &"subscriptions".into(), &subscriptions).unwrap();
        get_token.forget(); // lives as long as the test page
        JsValue::from(SecureWebSocket::new(&ws_url(), options.unchecked_ref()).unwrap())
    });
    let control = Closure::<dyn FnMut(String, JsValue) -> Promise>::new(|path: String, body: JsValue| {
        let body = JSON::stringify(&body).unwrap().as_string().unwrap();
        future_to_promise(async move {
            let status = request("POST", &path, Some(&body)).await.status();
            Ok(JsValue::from(status))
        })
    });
    let outcome = JsFuture::from(run_chaos(
        make_socket.as_ref().unchecked_ref(),
        control.as_ref().unchecked_ref(),
        COUNT,
        60_000,
    ))
    .await
    .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(get(&outcome, "restarted").as_bool(), Some(true));
    assert_eq!(get(&outcome, "rejected").as_bool(), Some(true));
    assert!(get(&outcome, "faults").as_f64().unwrap() >= 5.0, "the chaos ran through the traffic");
    let sides = js_sys::Array::from(&get(&outcome, "sides"));
    for (side, other) in [(0, "chaos-b"), (1, "chaos-a")] {
        let side: Object = sides.get(side).unchecked_into();
        let user = get(&side, "user").as_string().unwrap();
        let received: Vec<String> =
            js_sys::Array::from(&get(&side, "received")).iter().map(|m| m.as_string().unwrap()).collect();
        let expected: Vec<String> = (0..COUNT).map(|n| format!("{other}-{n}")).collect();
        // A resync would mean the server lost the session (its replay buffer overflowed): the run
        // then proves nothing about resumption, so it says so first.
        assert_eq!(get(&side, "resyncs").as_f64(), Some(0.0), "{user}: the server lost the session");
        assert!(
            received == expected,
            "{user} received {} messages, not each of {other}'s once in order: first differences {:?}",
            received.len(),
            received.iter().zip(&expected).filter(|(a, b)| a != b).take(3).collect::<Vec<_>>()
        );
        let rejected = js_sys::Array::from(&get(&side, "rejectedReceipts"));
        assert_eq!(rejected.length(), 0, "{user}: receipts rejected: {:?}", rejected.to_vec());
        assert_eq!(get(&side, "delivery").as_string().as_deref(), Some("exactly-once"));
        assert!(get(&side, "resumed").as_f64().unwrap() >= 1.0, "{user} resumed its session");
    }
}
