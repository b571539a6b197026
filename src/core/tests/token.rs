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

/// Tokens of many lengths, random-looking bytes (base64url), each distinct.
fn tokens() -> impl Iterator<Item = String> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    [1, 7, 15, 16, 17, 31, 40, 88, 200, 512, 513, 1200, 5000].into_iter().map(|len| {
        let mut state = (len as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        (0..len)
            .map(|_| {
                state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                ALPHABET[(state >> 58) as usize] as char
            })
            .collect()
    })
}

/// What the fingerprint promises: a text that quotes any stretch of the token one byte short of
/// twice a piece's length (31 bytes for tokens up to 512 bytes; the whole token when shorter) is
/// recognised,
/// wherever the stretch starts; and the fingerprint's `Debug` shows nothing of it.
#[test]
fn a_quoted_stretch_of_the_token_is_recognised_wherever_it_starts() {
    for token in tokens() {
        let fingerprint = Fingerprint::of(&Token::new(token.clone()).unwrap());
        let stretch = token.len().min((2 * token.len().div_ceil(32).max(16)) - 1);
        for start in 0..=token.len() - stretch {
            let text = format!("rejected: {} (see logs)", &token[start..start + stretch]);
            assert!(fingerprint.found_in(&text), "{}-byte token, stretch at {start} missed", token.len());
        }
        assert_eq!(format!("{fingerprint:?}"), "Fingerprint(<redacted>)");
    }
}

/// And what it does not catch: text that quotes no piece of the token, whatever else it says.
#[test]
fn a_text_without_the_token_is_not_taken_for_it() {
    let fingerprint = Fingerprint::of(
        &Token::new("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl".into()).unwrap(),
    );
    for text in ["", "invalid token", "token expired at 2026-11-24T22:00:00Z", "rate limited: retry in 30 s"]
    {
        assert!(!fingerprint.found_in(text), "{text}");
    }
    assert!(!Fingerprint::default().found_in("anything at all"), "no token sent yet: nothing to withhold");
}
