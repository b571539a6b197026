//! Helpers for the browser tests: talking to the test server, and waiting for SDK events without
//! sleeping (every wait is woken by an event and bounded by a deadline).

use std::{cell::RefCell, ops::Deref, rc::Rc};

use js_sys::{Function, Promise, JSON};
use secure_ws::SecureWebSocketOptions;
use wasm_bindgen::{prelude::*, JsCast};
use wasm_bindgen_futures::JsFuture;

#[path = "server.rs"]
mod server;
pub use server::*;

/// The npm package's class (src/api/secure-web-socket.js) as a JS app calls it. This test
/// binary's wasm is its wasm, handed over as the wasm's `Session` class ([`SecureWebSocket::new`]).
#[wasm_bindgen(module = "/src/api/secure-web-socket.js")]
extern "C" {
    /// The JS object an app holds.
    #[wasm_bindgen(js_name = SecureWebSocket)]
    pub type JsSecureWebSocket;
    #[wasm_bindgen(constructor, js_class = SecureWebSocket, catch)]
    fn new(url: &str, options: &JsValue) -> Result<JsSecureWebSocket, JsValue>;
    #[wasm_bindgen(js_name = useSession)]
    fn use_session(session: &JsValue);
    #[wasm_bindgen(method, catch)]
    pub fn send(this: &JsSecureWebSocket, data: &JsValue) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch, js_name = sendWithReceipt)]
    pub fn send_with_receipt(this: &JsSecureWebSocket, data: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(method)]
    pub fn close(this: &JsSecureWebSocket);
    #[wasm_bindgen(method)]
    pub fn free(this: &JsSecureWebSocket);
    #[wasm_bindgen(method)]
    pub fn ready(this: &JsSecureWebSocket) -> Promise;
    #[wasm_bindgen(method, catch)]
    pub fn on(this: &JsSecureWebSocket, kind: &JsValue, handler: &Function) -> Result<Function, JsValue>;
    #[wasm_bindgen(method, getter)]
    pub fn state(this: &JsSecureWebSocket) -> JsValue;
    #[wasm_bindgen(method, getter)]
    pub fn delivery(this: &JsSecureWebSocket) -> JsValue;
    #[wasm_bindgen(method, getter, js_name = queuedCount)]
    pub fn queued_count(this: &JsSecureWebSocket) -> u32;
    #[wasm_bindgen(method, getter, js_name = nextReauthInMs)]
    pub fn next_reauth_in_ms(this: &JsSecureWebSocket) -> JsValue;
    #[wasm_bindgen(method, setter = onMessage)]
    pub fn set_on_message(this: &JsSecureWebSocket, handler: JsValue);
}

// The modules the class imports by relative path: wasm-bindgen copies a module into this test's
// snippets only when an import names it (never called). Not the names and signatures that
// src/api/mod.rs declares for the library's own copy: the linker would see one symbol twice.
#[wasm_bindgen(module = "/src/api/driver.js")]
extern "C" {
    #[wasm_bindgen(js_name = Driver)]
    fn _driver(session: &JsValue, options: &JsValue, registry: &JsValue);
}
#[wasm_bindgen(module = "/src/api/codes.js")]
extern "C" {
    #[wasm_bindgen(js_name = STAGE)]
    fn _stage();
}
#[wasm_bindgen(module = "/src/api/events.js")]
extern "C" {
    #[wasm_bindgen(js_name = createRegistry)]
    fn _create_registry() -> JsValue;
}
#[wasm_bindgen(module = "/src/api/options.js")]
extern "C" {
    #[wasm_bindgen(js_name = readOptions)]
    fn _read_options(url: &str, options: &JsValue) -> JsValue;
}
#[wasm_bindgen(module = "/src/browser/io.js")]
extern "C" {
    #[wasm_bindgen(js_name = online)]
    fn _online() -> JsValue;
}

/// A test's handle on the JS class: dropping it calls `free()`, as dropping the wasm class did,
/// so a test that ends without `close()` leaves nothing running for the next ones.
pub struct SecureWebSocket(Option<JsSecureWebSocket>);

impl SecureWebSocket {
    /// `new SecureWebSocket(url, options)`; the first call hands the class the wasm's `Session`.
    pub fn new(url: &str, options: &JsValue) -> Result<SecureWebSocket, JsValue> {
        thread_local!(static READY: std::cell::Cell<bool> = const { std::cell::Cell::new(false) });
        if !READY.replace(true) {
            // The exported class, from an instance of it: no other handle reaches Rust.
            let session = JsValue::from(secure_ws::Session::new(&JsValue::UNDEFINED, true));
            use_session(&get(&session, "constructor"));
            get(&session, "free").unchecked_into::<Function>().call0(&session).unwrap();
        }
        JsSecureWebSocket::new(url, options).map(|ws| SecureWebSocket(Some(ws)))
    }
}

impl Deref for SecureWebSocket {
    type Target = JsSecureWebSocket;

    fn deref(&self) -> &JsSecureWebSocket {
        self.0.as_ref().expect("present until dropped or handed to JS")
    }
}

impl Drop for SecureWebSocket {
    fn drop(&mut self) {
        if let Some(ws) = self.0.take() {
            ws.free();
        }
    }
}

impl From<SecureWebSocket> for JsValue {
    /// Hands the object to JS, which then owns its lifetime (no `free()` on drop).
    fn from(mut ws: SecureWebSocket) -> JsValue {
        ws.0.take().expect("present until dropped or handed to JS").into()
    }
}

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
    pub fn attach(ws: &JsSecureWebSocket) -> Self {
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
