//! Helpers for the browser tests: talking to the test server, and waiting for SDK events without
//! sleeping (every wait is woken by an event and bounded by a deadline).

use std::{cell::RefCell, rc::Rc};

use js_sys::{Function, Promise, JSON};
use secure_ws::{SecureWebSocket, SecureWebSocketOptions};
use wasm_bindgen::{prelude::*, JsCast};
use wasm_bindgen_futures::JsFuture;

#[path = "server.rs"]
mod server;
pub use server::*;

/// Builds options from JSON text, with `tokenUrl` pointing at the test server.
pub fn options(extra: &str) -> SecureWebSocketOptions {
    let separator = if extra.is_empty() { "" } else { "," };
    let text = format!(r#"{{"tokenUrl":"{}"{separator}{extra}}}"#, http("/api/ws-token"));
    JSON::parse(&text).unwrap().unchecked_into()
}

pub fn connect(extra: &str) -> SecureWebSocket {
    SecureWebSocket::new(&ws_url(), &options(extra)).expect("valid options")
}

/// Every event a socket emitted, in order, with a way to wait for one.
pub struct Recorder {
    log: Rc<RefCell<Vec<(String, JsValue)>>>,
    wake: Rc<RefCell<Option<Function>>>,
    _handlers: Vec<Closure<dyn FnMut(JsValue)>>,
}

const EVENTS: [&str; 6] = ["state", "authenticated", "message", "reconnecting", "close", "error"];

impl Recorder {
    pub fn attach(ws: &SecureWebSocket) -> Self {
        let log = Rc::new(RefCell::new(Vec::new()));
        let wake: Rc<RefCell<Option<Function>>> = Rc::new(RefCell::new(None));
        let handlers = EVENTS
            .iter()
            .map(|kind| {
                let (log, wake) = (log.clone(), wake.clone());
                let handler = Closure::<dyn FnMut(JsValue)>::new(move |payload| {
                    log.borrow_mut().push((kind.to_string(), payload));
                    if let Some(wake) = wake.borrow_mut().take() {
                        let _ = wake.call0(&JsValue::UNDEFINED);
                    }
                });
                ws.on(&JsValue::from_str(kind), handler.as_ref().unchecked_ref()).unwrap();
                handler
            })
            .collect();
        Self { log, wake, _handlers: handlers }
    }

    /// The events so far, as `kind` or `kind:payload` for strings and numbers.
    pub fn summary(&self) -> Vec<String> {
        self.log
            .borrow()
            .iter()
            .map(|(kind, payload)| match payload.as_string() {
                Some(text) => format!("{kind}:{text}"),
                None => match get_or_undefined(payload, "code").as_f64() {
                    Some(code) => format!("{kind}:{code}"),
                    None => match get_or_undefined(payload, "code").as_string() {
                        Some(code) => format!("{kind}:{code}"),
                        None => kind.clone(),
                    },
                },
            })
            .collect()
    }

    /// The payloads of every event of `kind` so far, in order.
    pub fn payloads(&self, kind: &str) -> Vec<JsValue> {
        self.log.borrow().iter().filter(|(k, _)| k == kind).map(|(_, p)| p.clone()).collect()
    }

    pub fn count(&self, kind: &str) -> usize {
        self.log.borrow().iter().filter(|(k, _)| k == kind).count()
    }

    /// The first event of `kind` whose payload satisfies `matches`, waiting up to `within_ms`.
    pub async fn wait_for(&self, kind: &str, matches: impl Fn(&JsValue) -> bool, within_ms: f64) -> JsValue {
        self.wait_until(&format!("a matching '{kind}' event"), within_ms, |log| {
            log.iter().find(|(k, p)| k == kind && matches(p)).map(|(_, p)| p.clone())
        })
        .await
    }

    /// Waits until `count` events of `kind` have been seen; returns the last of them.
    pub async fn wait_for_count(&self, kind: &str, count: usize, within_ms: f64) -> JsValue {
        self.wait_until(&format!("{count} '{kind}' events"), within_ms, |log| {
            log.iter().filter(|(k, _)| k == kind).nth(count - 1).map(|(_, p)| p.clone())
        })
        .await
    }

    /// Re-checks `found` on the event log after every new event, until it finds something or
    /// `within_ms` passes (then the test fails, listing what it saw).
    async fn wait_until(
        &self,
        what: &str,
        within_ms: f64,
        found: impl Fn(&[(String, JsValue)]) -> Option<JsValue>,
    ) -> JsValue {
        let deadline = js_sys::Date::now() + within_ms;
        loop {
            if let Some(payload) = found(&self.log.borrow()) {
                return payload;
            }
            let remaining = deadline - js_sys::Date::now();
            assert!(remaining > 0.0, "no {what} within {within_ms} ms; saw {:?}", self.summary());
            let wake = self.wake.clone();
            let woken = Promise::new(&mut |resolve, _| *wake.borrow_mut() = Some(resolve));
            let (deadline, timer) = delay(remaining);
            JsFuture::from(Promise::race(&js_sys::Array::of2(&woken, &deadline))).await.unwrap();
            web_sys::window().unwrap().clear_timeout_with_handle(timer);
        }
    }
}

fn get_or_undefined(target: &JsValue, key: &str) -> JsValue {
    if target.is_object() {
        get(target, key)
    } else {
        JsValue::UNDEFINED
    }
}

/// A promise that resolves after `ms`, with its timer: used only as the deadline of a wait, never
/// to wait for something to happen.
fn delay(ms: f64) -> (Promise, i32) {
    let mut timer = 0;
    let promise = Promise::new(&mut |resolve, _| {
        timer = web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms as i32)
            .unwrap();
    });
    (promise, timer)
}
