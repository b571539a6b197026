//! Where tokens come from: a credentialed `POST tokenUrl`, or the app's own `getToken` (io.js's
//! `fetchToken` does either, and answers with a code rather than text the wasm would carry).

use alloc::string::String;

use js_sys::Function;
use wasm_bindgen::prelude::*;

use super::socket::Handler;
use super::token_answer;
use crate::core::{TokenError, TokenGrant};

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
    #[wasm_bindgen(js_name = fetchToken, catch)]
    fn fetch_token(source: &JsValue, handler: &Handler) -> Result<Function, JsValue>;
}

/// A token request. Dropping it before its answer aborts it (the `signal` that `getToken` got
/// fires) and no answer comes after that; dropping it after its answer does nothing.
pub(crate) struct TokenRequest {
    abort: Function,
    _handler: Handler,
}

impl Drop for TokenRequest {
    fn drop(&mut self) {
        let _ = self.abort.call0(&JsValue::UNDEFINED);
    }
}

impl TokenSource {
    /// Asks for one fresh token; `on_answer` gets the outcome once, unless the request is dropped
    /// (aborted) first. It is never called before this returns.
    pub(crate) fn fetch(
        &self,
        on_answer: impl Fn(Result<TokenGrant, TokenError>) + 'static,
    ) -> Result<TokenRequest, TokenError> {
        let source = match self {
            Self::Url(url) => JsValue::from_str(url),
            Self::Callback(get_token) => get_token.into(),
        };
        let handler = Handler::new(move |kind: u32, value: JsValue, number: f64| {
            on_answer(token_answer(kind, value, number));
            0
        });
        let abort = fetch_token(&source, &handler)
            .map_err(|_| TokenError::Unavailable("could not start the request".into()))?;
        Ok(TokenRequest { abort, _handler: handler })
    }
}
