//! Where tokens come from: a credentialed `POST tokenUrl`, or the app's own `getToken` (io.js's
//! `fetchToken` does either, and answers with a code rather than text the wasm would carry).

use js_sys::{Array, Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::AbortSignal;

use crate::core::{Token, TokenError, TokenGrant};

/// The user's choice of token source.
#[derive(Clone)]
pub(crate) enum TokenSource {
    /// `POST` with `credentials: 'include'`: the backend knows the user by its HttpOnly cookie.
    Url(String),
    /// The app's `getToken({ signal })`, returning a string or a promise of one.
    Callback(Function),
}

#[wasm_bindgen(module = "/src/browser/io.js")]
extern "C" {
    #[wasm_bindgen(js_name = fetchToken)]
    fn fetch_token(source: &JsValue, signal: &AbortSignal) -> Promise;
}

impl TokenSource {
    /// Gets one fresh token. When `signal` aborts (the attempt it was for timed out, or the
    /// session closed) the request is cancelled and this returns at once.
    pub(crate) async fn fetch(&self, signal: &AbortSignal) -> Result<TokenGrant, TokenError> {
        let source = match self {
            Self::Url(url) => JsValue::from_str(url),
            Self::Callback(get_token) => get_token.into(),
        };
        let Ok(answer) = JsFuture::from(fetch_token(&source, signal)).await else {
            return Err(TokenError::Unavailable("getToken threw or rejected".into()));
        };
        let answer: Array = answer.unchecked_into();
        let (value, number) = (answer.get(1), answer.get(2));
        match answer.get(0).as_f64() {
            Some(0.0) => Ok(TokenGrant {
                token: Token::new(value.as_string().unwrap_or_default())?,
                lifetime_ms: number.as_f64().map(|seconds| (seconds * 1000.0) as u64),
            }),
            Some(1.0) => Err(TokenError::Unauthorized),
            Some(3.0) => Err(TokenError::Invalid(match value.as_f64() {
                Some(1.0) => "the response has no string wsToken",
                Some(2.0) => "getToken must return a string",
                _ => "the response is not JSON",
            })),
            _ => Err(TokenError::Unavailable(value.as_string().unwrap_or_default())),
        }
    }
}
