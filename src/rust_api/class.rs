//! The npm package's JavaScript class (src/api/secure-web-socket.js) as the Rust API calls it:
//! the one driver of the core for both faces. This binary's wasm is its wasm: the class is handed
//! the exported `Session` class once, before the first construction.

use std::cell::Cell;

use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::{prelude::*, JsCast};

use crate::api::Session;

// The Rust names and types here differ from those of tests/browser/support.rs, which binds the
// same class in a test binary that links this crate too: wasm-bindgen names an import's shim by
// its module and Rust signature, and one shim declared twice would be one symbol defined twice.
#[wasm_bindgen(module = "/src/api/secure-web-socket.js")]
extern "C" {
    /// A `SecureWebSocket` of the JavaScript API.
    #[wasm_bindgen(js_name = SecureWebSocket)]
    #[derive(Clone)]
    pub(super) type Class;
    /// `new SecureWebSocket(url, options)`: throws the constructor's `invalid_options` or
    /// `insecure_url` error.
    #[wasm_bindgen(constructor, js_class = SecureWebSocket, catch)]
    fn construct(url: &str, options: &Object) -> Result<Class, JsValue>;
    #[wasm_bindgen(js_name = useSession)]
    fn hand_session_class(class: &JsValue);
    /// `send(data)`: throws `queue_full`, `message_too_large`, `invalid_message` or `closed`.
    #[wasm_bindgen(method, catch, js_name = send)]
    pub(super) fn send_value(this: &Class, data: &JsValue) -> Result<(), JsValue>;
    #[wasm_bindgen(method, js_name = close)]
    pub(super) fn close_session(this: &Class);
    /// Detaches every listener, then closes.
    #[wasm_bindgen(method, js_name = free)]
    pub(super) fn detach(this: &Class);
    #[wasm_bindgen(method, js_name = ready)]
    pub(super) fn authenticated(this: &Class) -> Promise;
    /// `on(type, handler)`; the unsubscribe function it returns is not needed: `free()` detaches.
    #[wasm_bindgen(method, js_name = on)]
    pub(super) fn listen(this: &Class, kind: &str, handler: &Function);
    #[wasm_bindgen(method, getter, js_name = state)]
    pub(super) fn state_name(this: &Class) -> String;
    #[wasm_bindgen(method, getter, js_name = delivery)]
    pub(super) fn delivery_name(this: &Class) -> String;
    #[wasm_bindgen(method, getter, js_name = queuedCount)]
    pub(super) fn queued(this: &Class) -> u32;
    #[wasm_bindgen(method, getter, js_name = nextReauthInMs)]
    pub(super) fn next_reauth_ms(this: &Class) -> Option<f64>;
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = queueMicrotask)]
    fn queue_microtask(callback: &Function);
}

impl Class {
    /// `new SecureWebSocket(url, options)`, the class first handed this wasm's `Session`.
    pub(super) fn new(url: &str, options: &Object) -> Result<Class, JsValue> {
        thread_local!(static HANDED: Cell<bool> = const { Cell::new(false) });
        if !HANDED.replace(true) {
            hand_session();
        }
        Class::construct(url, options)
    }
}

/// Hands the class the exported `Session` class, read from an instance of it: no other handle on
/// an exported class reaches Rust. Should reading it fail, the constructor says the wasm is not
/// ready.
fn hand_session() {
    let session = JsValue::from(Session::new(&JsValue::UNDEFINED, true));
    if let Ok(class) = Reflect::get(&session, &JsValue::from_str("constructor")) {
        hand_session_class(&class);
    }
    if let Some(free) =
        Reflect::get(&session, &JsValue::from_str("free")).ok().and_then(|f| f.dyn_into::<Function>().ok())
    {
        let _ = free.call0(&session);
    }
}

/// Runs `task` in a microtask queued now, so after those already queued.
pub(super) fn after_queued_microtasks(task: impl FnOnce() + 'static) {
    // Freed by wasm-bindgen once called, and a queued microtask is always called.
    queue_microtask(Closure::once_into_js(task).unchecked_ref());
}
