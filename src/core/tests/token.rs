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
/// token that is always recognised.
fn promised_stretch(len: usize) -> usize {
    match len {
        0..16 => len,
        16..=512 => len.min(31),
        _ => 2 * len.div_ceil(32) - 1,
    }
}

/// A text that quotes any such stretch of the token is recognised, wherever the stretch starts,
/// for every token length from 1 to 700 bytes and some longer ones; and the fingerprint's `Debug`
/// shows nothing of it.
#[test]
fn a_quoted_stretch_of_the_token_is_recognised_wherever_it_starts() {
    for len in (1..=700).chain([1_000, 1_999, 2_000, 5_000]) {
        let token = token_of(len);
        let fingerprint = Fingerprint::of(&Token::new(token.clone()).unwrap());
        let stretch = promised_stretch(len);
        let text = format!("rejected: {token} (see logs)");
        let quoted = &text["rejected: ".len()..][..len];
        for start in 0..=len - stretch {
            let excerpt = &quoted[start..start + stretch];
            assert!(
                fingerprint.found_in(&format!("…{excerpt}…")),
                "{len}-byte token, the stretch at {start} missed"
            );
            assert!(fingerprint.found_in(excerpt), "{len}-byte token, the stretch at {start} alone missed");
        }
        assert!(fingerprint.found_in(&text));
        assert_eq!(format!("{fingerprint:?}"), "Fingerprint(<redacted>)");
    }
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
    assert!(!fingerprint.found_in(&token[40..55]), "15 bytes hold no whole 16-byte piece");
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
