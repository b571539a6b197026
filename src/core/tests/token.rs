//! Tests of `core::token`.

use crate::core::token::*;

#[test]
fn debug_output_never_contains_the_token() {
    let token = Token::new("secret-token-value".into()).unwrap();
    let grant = TokenGrant { token: token.clone(), lifetime_ms: Some(60_000) };
    assert!(!format!("{token:?}").contains("secret"));
    assert!(!format!("{grant:?}").contains("secret"));
    assert!(!format!("{grant:#?}").contains("secret"));
}

#[test]
fn empty_token_is_refused() {
    assert_eq!(Token::new(String::new()), Err(TokenError::Invalid("the token is empty")));
}
