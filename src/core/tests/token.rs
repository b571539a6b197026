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

/// A token of `len` random-looking bytes (base64url), distinct per length.
fn token_of(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut state = (len as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (0..len)
        .map(|_| {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            ALPHABET[(state >> 58) as usize] as char
        })
        .collect()
}

/// The promise (README, "Security"), written out: the length of a quoted stretch of a `len`-byte
/// token that is always recognised, or none for a token too short to be looked for.
fn promised_stretch(len: usize) -> Option<usize> {
    let step = len.checked_sub(16)?.div_ceil(31).max(1);
    Some(15 + step)
}

/// The promise's figures as the README gives them.
#[test]
fn the_promise_in_figures() {
    assert_eq!(promised_stretch(15), None);
    assert_eq!([16, 47].map(promised_stretch), [Some(16); 2]);
    assert_eq!([48, 512].map(promised_stretch), [Some(17), Some(31)]);
    assert_eq!(promised_stretch(3_364), Some(123), "a whole close reason");
    assert_eq!(promised_stretch(3_365), Some(124));
}

/// A text that quotes any such stretch of the token is recognised, wherever the stretch starts,
/// for every token length from 16 to 700 bytes and some longer ones, a stretch one byte shorter is
/// not always (the promise is the least that holds); and the fingerprint's `Debug` shows nothing.
#[test]
fn a_quoted_stretch_of_the_token_is_recognised_wherever_it_starts() {
    for len in (16..=700).chain([1_000, 3_364, 5_000]) {
        let token = token_of(len);
        let fingerprint = Fingerprint::of(&Token::new(token.clone()).unwrap());
        let stretch = promised_stretch(len).unwrap();
        for start in 0..=len - stretch {
            let excerpt = &token[start..start + stretch];
            assert!(
                fingerprint.found_in(&format!("…{excerpt}…")),
                "{len}-byte token, the stretch at {start} missed"
            );
            assert!(fingerprint.found_in(excerpt), "{len}-byte token, the stretch at {start} alone missed");
        }
        if stretch > 16 {
            let missed = (0..=len - stretch + 1)
                .any(|start| !fingerprint.found_in(&token[start..start + stretch - 1]));
            assert!(
                missed,
                "{len}-byte token: every {}-byte stretch is found, the promise could be more",
                stretch - 1
            );
        }
        assert!(fingerprint.found_in(&format!("rejected: {token} (see logs)")));
        assert_eq!(format!("{fingerprint:?}"), "Fingerprint(<redacted>)");
    }
}

/// A token shorter than 16 bytes is not looked for: it could be an ordinary word (a test's user
/// name as its token, say), and withholding every text that holds it would hide honest ones.
#[test]
fn a_token_shorter_than_a_stretch_withholds_nothing() {
    let fingerprint = Fingerprint::of(&Token::new("alice".into()).unwrap());
    assert!(!fingerprint.found_in("alice"));
    assert!(!fingerprint.found_in("user alice is rate limited"));
}

/// And what it does not catch: text that quotes no stretch of the token, whatever else it says;
/// a shorter stretch of it (shown for the record); and anything before a token was sent.
#[test]
fn a_text_without_the_token_is_not_taken_for_it() {
    let token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg";
    let fingerprint = Fingerprint::of(&Token::new(token.into()).unwrap());
    for text in [
        "",
        "invalid token",
        "token expired at 2026-11-24T22:00:00Z",
        "rate limited: retry in 30 s",
        &"\0".repeat(64),
    ] {
        assert!(!fingerprint.found_in(text), "{text}");
    }
    assert!(!fingerprint.found_in(&token[40..55]), "15 bytes hold no whole 16-byte stretch");
    assert!(!Fingerprint::default().found_in("anything at all"), "no token sent yet: nothing to withhold");
}

/// A stretch of the token at the end of a megabyte of a hostile server's text is found: the rolling
/// hash, one step per byte, stays exact over a long scan.
#[test]
fn a_long_text_is_scanned_once() {
    let token = token_of(5_000);
    let fingerprint = Fingerprint::of(&Token::new(token.clone()).unwrap());
    let mut text = "x".repeat(1 << 20);
    assert!(!fingerprint.found_in(&text));
    text.push_str(&token[4_000..4_400]);
    assert!(fingerprint.found_in(&text));
}

#[test]
fn token_and_config_errors_are_standard_errors_a_get_token_can_use_with_question_marks() {
    fn boxed(
        error: impl std::error::Error + Send + Sync + 'static,
    ) -> Box<dyn std::error::Error + Send + Sync> {
        Box::new(error)
    }
    let io = std::io::Error::new(std::io::ErrorKind::TimedOut, "the endpoint timed out");
    let error = TokenError::unavailable(io);
    assert_eq!(error, TokenError::Unavailable("the endpoint timed out".into()));
    assert_eq!(boxed(error).to_string(), "no token to be had: the endpoint timed out");
    assert_eq!(TokenError::Unauthorized.to_string(), "the user is not logged in");
    let config = crate::core::ConfigError::new("authTimeoutMs", "must be greater than 0");
    assert_eq!(boxed(config).to_string(), "authTimeoutMs: must be greater than 0");
}
