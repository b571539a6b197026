//! io.js's `fetchToken` answer as the core takes it (`Session::handle_token`): the token stays a
//! wasm value from here on, zeroized when dropped.

use wasm_bindgen::JsValue;

use crate::core::{Token, TokenError, TokenGrant};

/// io.js's answer: 0 a token (`value`; `number` its `expiresIn` in seconds, NaN when absent),
/// 1 unauthorized, 2 unavailable (`value`: why), 3 invalid (`value`: which way).
pub(crate) fn token_answer(kind: u32, value: JsValue, number: f64) -> Result<TokenGrant, TokenError> {
    match kind {
        0 => Token::new(value.as_string().unwrap_or_default()).map(|token| TokenGrant {
            token,
            lifetime_ms: (!number.is_nan()).then_some((number * 1000.0) as u64),
        }),
        1 => Err(TokenError::Unauthorized),
        3 => Err(TokenError::Invalid(match value.as_f64() {
            Some(1.0) => "the response has no string wsToken",
            Some(2.0) => "getToken must return a string",
            _ => "the response is not JSON",
        })),
        _ => Err(TokenError::Unavailable(value.as_string().unwrap_or_default())),
    }
}
