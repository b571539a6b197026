//! No leaks across reconnects: 200 server-side kills and reconnects leave the page's number of
//! live event listeners and pending timers where they were, and `close()` releases the rest.

use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

use crate::support::*;

#[path = "instrument.rs"]
mod instrument;
pub(crate) use instrument::{install_counters, live_listeners, live_timers};

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
