//! Helpers for the browser tests: talking to the test server, and waiting for SDK events without
//! sleeping (every wait is woken by an event and bounded by a deadline).

use std::{cell::RefCell, rc::Rc};

use js_sys::{Function, Promise, Reflect, JSON};
use secure_ws::{SecureWebSocket, SecureWebSocketOptions};
use wasm_bindgen::{prelude::*, JsCast};
use wasm_bindgen_futures::JsFuture;
use web_sys::{RequestCredentials, RequestInit, Response};

/// The test server's origin (`http://…` or `https://…`), set by each test target from the
/// environment at compile time (TOOLCHAIN: `option_env!`).
pub fn http(path: &str) -> String {
    format!("{}{path}", crate::SERVER_ORIGIN)
}

pub fn ws_url() -> String {
    format!("{}/ws", crate::SERVER_ORIGIN.replacen("http", "ws", 1))
}

/// The test server's per-run secret for `/test/*` (`scripts/env.sh` exports it), read at compile
/// time like the server's origin.
const TEST_CONTROLS_SECRET: &str = match option_env!("TEST_CONTROLS_SECRET") {
    Some(secret) => secret,
    None => "",
};

/// A request to the test server with the page's cookies, as the SDK's own fetch sends them; a
/// `/test/*` request carries the test-controls secret.
pub async fn request(method: &str, path: &str, body: Option<&str>) -> Response {
    let init = RequestInit::new();
    init.set_method(method);
    init.set_credentials(RequestCredentials::Include);
    let headers = web_sys::Headers::new().unwrap();
    if path.starts_with("/test/") {
        headers.set("x-test-controls", TEST_CONTROLS_SECRET).unwrap();
    }
    if let Some(body) = body {
        init.set_body(&JsValue::from_str(body));
        headers.set("content-type", "application/json").unwrap();
    }
    init.set_headers(&headers);
    let response = JsFuture::from(web_sys::window().unwrap().fetch_with_str_and_init(&http(path), &init))
        .await
        .expect("the test server answers");
    response.unchecked_into()
}

pub async fn json(response: Response) -> JsValue {
    JsFuture::from(response.json().unwrap()).await.unwrap()
}

/// Logs `user` in: the server sets the HttpOnly session cookie the token fetch relies on.
pub async fn login(user: &str) {
    let body = format!(r#"{{"username":"{user}","password":"{user}-pass"}}"#);
    let response = request("POST", "/api/login", Some(&body)).await;
    assert_eq!(response.status(), 200, "login as {user}");
}

/// What the server saw for `user`: `{ uris, tokenInUri, connections: [{ user, frames }] }`.
pub async fn audit(user: &str) -> JsValue {
    json(request("GET", &format!("/test/audit?user={user}"), None).await).await
}

pub async fn faults(user: &str, faults: &str) {
    let body = format!(r#"{{"user":"{user}",{faults}}}"#);
    assert_eq!(request("POST", "/test/faults", Some(&body)).await.status(), 204);
}

pub fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &JsValue::from_str(key)).unwrap()
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
                ws.on(kind, handler.as_ref().unchecked_ref()).unwrap();
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

/// Waits until the server has seen `count` frames of `kind` from `user` (a long-poll on the
/// server, so no sleeping here).
pub async fn server_saw(user: &str, kind: &str, count: u32) {
    let response = request("GET", &format!("/test/wait?user={user}&type={kind}&count={count}"), None).await;
    assert_eq!(response.status(), 200, "the server did not see {count} '{kind}' frames from {user}");
}

/// Closes every socket of `user` from the server side with `code`.
pub async fn server_closes(user: &str, code: u16) {
    let body = format!(r#"{{"user":"{user}","code":{code}}}"#);
    assert_eq!(request("POST", "/test/close", Some(&body)).await.status(), 200);
}

/// Sends raw text to every socket of `user`.
pub async fn server_sends(user: &str, text: &str) {
    let text = JSON::stringify(&JsValue::from_str(text)).unwrap().as_string().unwrap();
    let body = format!(r#"{{"user":"{user}","text":{text}}}"#);
    assert_eq!(request("POST", "/test/send", Some(&body)).await.status(), 200);
}

/// The frames each of `user`'s connections received, oldest connection first.
pub async fn frames_per_connection(user: &str) -> Vec<Vec<String>> {
    js_sys::Array::from(&get(&audit(user).await, "connections"))
        .iter()
        .map(|c| js_sys::Array::from(&get(&c, "frames")).iter().map(|f| f.as_string().unwrap()).collect())
        .collect()
}
