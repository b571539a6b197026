//! No leaks across reconnects: 200 server-side kills and reconnects leave the page's number of
//! live event listeners and pending timers where they were, and `close()` releases the rest.

use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

use crate::support::*;

#[wasm_bindgen(module = "/tests/browser/instrument.js")]
extern "C" {
    #[wasm_bindgen(js_name = installCounters)]
    pub(crate) fn install_counters();
    #[wasm_bindgen(js_name = liveListeners)]
    pub(crate) fn live_listeners() -> u32;
    #[wasm_bindgen(js_name = liveTimers)]
    pub(crate) fn live_timers() -> u32;
}

const CYCLES: usize = 200;

#[wasm_bindgen_test]
async fn two_hundred_reconnects_leave_listeners_and_timers_where_they_started() {
    install_counters();
    login("cycler").await;
    let before = (live_listeners(), live_timers());
    let ws = connect(r#""reconnect":{"baseDelayMs":0,"maxDelayMs":0,"jitter":false,"minUptimeMs":0}"#);
    let events = Recorder::attach(&ws);
    JsFuture::from(ws.ready()).await.unwrap();
    let connected = (live_listeners(), live_timers());
    assert!(connected.0 > before.0, "the counters see the SDK's listeners");
    for cycle in 1..=CYCLES {
        server_closes("cycler", 1001).await;
        events.wait_for_count("authenticated", cycle + 1, 5000.0).await;
    }
    assert_eq!((live_listeners(), live_timers()), connected, "after {CYCLES} reconnects");
    assert_eq!(events.count("reconnecting"), CYCLES);
    ws.close();
    assert_eq!((live_listeners(), live_timers()), before, "close() releases every listener and timer");
}
