//! Flow control (issue 10): the SDK never piles its queue into the browser's send buffer. A
//! flush stops while `bufferedAmount` is over the high-water mark and goes on as it drains, so
//! waiting messages stay in the SDK's outbox (counted, resendable) rather than in bytes the
//! browser would lose with the connection.

use js_sys::{Promise, JSON};
use secure_ws::core::BUFFERED_HIGH_WATER;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

use crate::support::*;

#[wasm_bindgen(module = "/tests/browser/page.js")]
extern "C" {
    #[wasm_bindgen(js_name = watchSends)]
    fn watch_sends();
    #[wasm_bindgen(js_name = sendsReach)]
    fn sends_reach(count: u32) -> Promise;
    #[wasm_bindgen(js_name = unwatchSends)]
    fn unwatch_sends() -> f64;
}

const COUNT: u32 = 3000;
/// Under the server's 10 KiB frame limit with the session's wrapping.
const PADDING: usize = 9000;

#[wasm_bindgen_test]
async fn a_server_that_stops_reading_fills_no_more_than_the_high_water_mark_and_loses_nothing() {
    login("stalled-reader").await;
    let ws = connect(r#""maxQueuedMessages":5000"#);
    let events = Recorder::attach(&ws);
    JsFuture::from(ws.ready()).await.expect("ready");
    assert_eq!(ws.delivery(), "exactly-once");
    faults("stalled-reader", r#""stallReads":true"#).await;
    watch_sends();
    let padding = "x".repeat(PADDING);
    let mut last = None;
    for n in 0..COUNT {
        let message = JSON::parse(&format!(r#"{{"type":"echo","n":{n},"pad":"{padding}"}}"#)).unwrap();
        last = Some(ws.send_with_receipt(&message).expect("queued, not refused"));
    }
    // 27 MB were accepted; the flush goes on only as TCP takes bytes from the browser (the
    // kernel's buffers fill while the server reads nothing). Once several high-water marks' worth
    // went out, the server reads again.
    JsFuture::from(sends_reach(100)).await.unwrap();
    faults("stalled-reader", r#""stallReads":false"#).await;
    JsFuture::from(last.unwrap()).await.expect("the last message's receipt resolves");
    events.wait_for("message", |m| get(m, "n").as_f64() == Some(f64::from(COUNT - 1)), 60_000.0).await;
    let most = unwatch_sends();
    let bound = f64::from(BUFFERED_HIGH_WATER) + 10_240.0;
    assert!(
        most <= bound,
        "the browser held {most} bytes unsent at a send; the mark is {BUFFERED_HIGH_WATER}"
    );
    let echoed: Vec<f64> = events.payloads("message").iter().filter_map(|m| get(m, "n").as_f64()).collect();
    let expected: Vec<f64> = (0..COUNT).map(f64::from).collect();
    assert!(echoed == expected, "every message once, in order: {} echoed", echoed.len());
    assert_eq!(ws.queued_count(), 0, "nothing owed");
    ws.close();
}
