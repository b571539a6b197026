//! The test server's HTTP API as the browser tests use it: log in, set faults, make the server
//! close or send, read its audit trail. Knows nothing of the SDK, so both faces' tests share it.

use js_sys::{Reflect, JSON};
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

/// A request to the test server with the page's cookies, as the SDK's own fetch sends them.
pub async fn request(method: &str, path: &str, body: Option<&str>) -> Response {
    let init = RequestInit::new();
    init.set_method(method);
    init.set_credentials(RequestCredentials::Include);
    if let Some(body) = body {
        init.set_body(&JsValue::from_str(body));
        let headers = web_sys::Headers::new().unwrap();
        headers.set("content-type", "application/json").unwrap();
        init.set_headers(&headers);
    }
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

/// The frames each of `user`'s connections received, oldest connection first, as the app sees
/// them: application messages unwrapped from a resumable session's `msg`, the `auth` frame without
/// its resume offer, and the session's `ack`s left out (protocol, not content).
pub async fn frames_per_connection(user: &str) -> Vec<Vec<String>> {
    js_sys::Array::from(&get(&audit(user).await, "connections"))
        .iter()
        .map(|c| js_sys::Array::from(&get(&c, "frames")).iter().filter_map(|f| as_the_app_sent_it(&f)).collect())
        .collect()
}

fn as_the_app_sent_it(frame: &JsValue) -> Option<String> {
    let parsed = JSON::parse(&frame.as_string()?).ok()?;
    let shown = match get(&parsed, "type").as_string()?.as_str() {
        "ack" => return None,
        "msg" => get(&parsed, "data"),
        "auth" => {
            Reflect::delete_property(parsed.unchecked_ref::<js_sys::Object>(), &"resume".into()).ok()?;
            parsed
        }
        _ => parsed,
    };
    JSON::stringify(&shown).ok()?.as_string()
}
