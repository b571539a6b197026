//! The WebSocket URL as the browser parses it, checked by the core's rules, so that `connect`
//! refuses it with a typed error before the JavaScript class (whose options.js applies the same
//! rules, with the same messages) is made.

use js_sys::Reflect;
use wasm_bindgen::JsValue;

use crate::core::config::{self, ConfigError, UrlParts};

/// `url` resolved as the `WebSocket` constructor resolves it: against the document's base URL (a
/// `<base href>`; an about:srcdoc frame's parent), else (a worker) its `location`; its `http(s):`
/// made `ws(s):` (options.js's `pageUrl` does the same).
fn on_this_page(url: &str) -> Result<web_sys::Url, JsValue> {
    let global = js_sys::global();
    let field = |object: &JsValue, key: &str| Reflect::get(object, &JsValue::from_str(key)).ok();
    let base = field(&global, "document")
        .and_then(|document| field(&document, "baseURI"))
        .and_then(|base| base.as_string())
        .or_else(|| field(&global, "location").and_then(|location| field(&location, "href"))?.as_string())
        .ok_or(JsValue::NULL)?;
    let parsed = web_sys::Url::new_with_base(url, &base)?;
    match parsed.protocol().as_str() {
        "https:" => parsed.set_protocol("wss:"),
        "http:" => parsed.set_protocol("ws:"),
        _ => {}
    }
    Ok(parsed)
}

/// Parses `url` with the browser's `URL` and refuses what [`config::check_url`] refuses; returns
/// the normalised `href`, which the class is given. A URL without a scheme (`/ws`) is the page's,
/// as the WebSocket constructor and options.js take one: `wss:` on an https page, `ws:` on http.
pub(super) fn check_url(url: &str, allow_insecure: bool) -> Result<String, ConfigError> {
    let parsed = web_sys::Url::new(url)
        .or_else(|_| on_this_page(url))
        .map_err(|_| ConfigError::new("url", "is not a valid URL"))?;
    let (scheme, hostname) = (parsed.protocol(), parsed.hostname());
    let has_userinfo = !parsed.username().is_empty() || !parsed.password().is_empty();
    // Decoded by the browser's own `URLSearchParams`, as options.js reads them.
    let query_names: Vec<String> =
        parsed.search_params().keys().into_iter().filter_map(|name| name.ok()?.as_string()).collect();
    let href = parsed.href();
    let has_fragment = href.contains('#');
    config::check_url(
        UrlParts {
            scheme: &scheme,
            hostname: &hostname,
            has_userinfo,
            query_names: &query_names,
            has_fragment,
        },
        allow_insecure,
    )?;
    Ok(href)
}
