//! Where tokens come from: a credentialed `POST tokenUrl`, or the app's own `getToken`.

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::{prelude::wasm_bindgen, JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, RequestCredentials, RequestInit, Response};

use crate::core::{Token, TokenError, TokenGrant};

/// The user's choice of token source.
#[derive(Clone)]
pub(crate) enum TokenSource {
    /// `POST` with `credentials: 'include'`: the backend knows the user by its HttpOnly cookie.
    Url(String),
    /// The app's `getToken({ signal })`, returning a string or a promise of one.
    Callback(Function),
}

impl TokenSource {
    /// Gets one fresh token. When `signal` aborts (the attempt it was for timed out, or the
    /// session closed) the request is cancelled and this returns at once.
    pub(crate) async fn fetch(&self, signal: &AbortSignal) -> Result<TokenGrant, TokenError> {
        match self {
            Self::Url(url) => fetch_token(url, signal).await,
            Self::Callback(get_token) => call_get_token(get_token, signal).await,
        }
    }
}

#[wasm_bindgen(module = "/src/browser/get_token.js")]
extern "C" {
    #[wasm_bindgen(js_name = callGetToken)]
    fn call_get_token_abortable(get_token: &Function, signal: &AbortSignal) -> Promise;
}

#[wasm_bindgen]
extern "C" {
    // The global `fetch`, the same in windows and workers.
    #[wasm_bindgen(js_name = fetch)]
    fn global_fetch(url: &str, init: &RequestInit) -> Promise;
}

async fn fetch_token(url: &str, signal: &AbortSignal) -> Result<TokenGrant, TokenError> {
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_credentials(RequestCredentials::Include);
    init.set_signal(Some(signal));
    let response = JsFuture::from(global_fetch(url, &init))
        .await
        .map_err(|_| TokenError::Unavailable("network error".into()))?;
    let response: Response = response.unchecked_into();
    match response.status() {
        401 | 403 => return Err(TokenError::Unauthorized),
        200..=299 => {}
        status => return Err(TokenError::Unavailable(format!("HTTP {status}"))),
    }
    let body = response.json().map_err(|_| TokenError::Invalid("the response is not JSON"))?;
    let body = JsFuture::from(body).await.map_err(|_| TokenError::Invalid("the response is not JSON"))?;
    let token =
        get(&body, "wsToken").as_string().ok_or(TokenError::Invalid("the response has no string wsToken"))?;
    let lifetime_ms =
        get(&body, "expiresIn").as_f64().filter(|s| s.is_finite() && *s > 0.0).map(|s| (s * 1000.0) as u64);
    Ok(TokenGrant { token: Token::new(token)?, lifetime_ms })
}

async fn call_get_token(get_token: &Function, signal: &AbortSignal) -> Result<TokenGrant, TokenError> {
    let outcome = JsFuture::from(call_get_token_abortable(get_token, signal)).await;
    let value = outcome.map_err(|error| {
        // An app can end the session the same way a 401 does by throwing { code: 'unauthorized' }.
        if get(&error, "code").as_string().as_deref() == Some("unauthorized") {
            TokenError::Unauthorized
        } else {
            // The thrown value is not echoed: it is the app's, and could hold anything.
            TokenError::Unavailable("getToken threw or rejected".into())
        }
    })?;
    let token = value.as_string().ok_or(TokenError::Invalid("getToken must return a string"))?;
    Ok(TokenGrant { token: Token::new(token)?, lifetime_ms: None })
}

fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}
