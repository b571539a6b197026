//! What a hostile or buggy server can do to the core: each test is a frame sequence a review
//! found to break a promise (no gap, no token surfaced, nothing dropped unsaid), and a fuzz of
//! random hostile frames on a resumable session.

use proptest::prelude::*;
use serde_json::json;

use super::resume::{app_frames, connect_resumable, events_of, granted, msg};
use super::session::{no_jitter, Harness};
use crate::core::{protocol::classify, session::*, token::Token, *};

fn reconnect(h: &mut Harness) {
    h.closed_by_peer(1006, String::new());
    h.drain();
    h.fire_next_timeout();
    h.connect_until_auth();
}

/// A numbered, unacknowledged message that the resumed server's (smaller) limit refuses is
/// dropped from the middle of the stream: the next one takes its number, or the server would see
/// a gap (4012) on every resume.
#[test]
fn a_resume_with_a_smaller_limit_leaves_no_gap_in_the_numbers() {
    let mut h = Harness::new(no_jitter());
    connect_resumable(&mut h, false, 0);
    let big = format!(r#"{{"type":"m","pad":"{}"}}"#, "x".repeat(200));
    h.send(msg(1)).unwrap();
    h.send(big).unwrap();
    h.send(msg(3)).unwrap();
    let first: Vec<_> = app_frames(&h.drain()).into_iter().map(|(s, _)| s).collect();
    assert_eq!(first, [Some(1), Some(2), Some(3)]);
    h.frame(json!({"type": "ack", "seq": 1}));
    reconnect(&mut h);
    // The server (redeployed with a smaller limit) resumes: it has message 1.
    granted(&mut h, true, 1, json!({"maxMessageBytes": 100}));
    let sent: Vec<_> = app_frames(&h.drain()).into_iter().map(|(s, _)| s).collect();
    assert_eq!(sent, [Some(2)], "after lastSeq 1 the server expects 2: a 3 is a gap (4012)");
}

/// A server that echoes frames back (a common test or relay bug) must not hand the client's own
/// `auth` (with its token) to the app as a `message`: auth/reauth are never surfaced.
#[test]
fn an_echoed_auth_frame_is_not_surfaced_as_a_message() {
    let mut h = Harness::new(no_jitter());
    connect_resumable(&mut h, false, 0);
    // Unquoted: inside a longer message, `Debug` escapes the quotes around it.
    let token = "token-1";
    for echoed in [
        json!({"type": "auth", "token": "token-1", "resume": {"sessionId": null, "lastSeq": 0}}),
        json!({"type": "reauth", "token": "token-1"}),
        json!({"type": "msg", "seq": 1, "data": {"type": "auth", "token": "token-1"}}),
    ] {
        match classify(echoed) {
            Ok(frame) => h.core.handle_frame(h.now, h.conn, frame),
            Err(error) => h.invalid(error),
        }
        let events = events_of(&h.drain());
        assert!(
            !events.iter().any(|e| matches!(e, Event::Message(_))),
            "surfaced with its token: {events:?}"
        );
        assert!(
            matches!(&events[..], [Event::Error(error)] if error.code.as_str() == "invalid_frame"),
            "{events:?}"
        );
        assert!(!format!("{events:?}").contains(token));
    }
    // The numbered one still counts: the next is delivered, not taken for a gap (4012).
    h.frame(json!({"type": "msg", "seq": 2, "data": {"type": "chat"}}));
    assert!(events_of(&h.drain()).iter().any(|e| matches!(e, Event::Message(_))));
    assert_eq!(h.core.state(), State::Authenticated);
}

/// A `msg` wraps application messages only: one whose `data` is a protocol frame (a server's
/// `auth_response` with a user id, say, or another `msg`) is reported and counted, never delivered.
#[test]
fn a_protocol_frame_inside_a_msg_is_not_surfaced_as_a_message() {
    let mut h = Harness::new(no_jitter());
    connect_resumable(&mut h, false, 0);
    let types = ["auth_response", "reauth_response", "ping", "pong", "msg", "ack", "error"];
    for (seq, kind) in (1..).zip(types) {
        let data = json!({"type": kind, "success": true, "userId": "mallory", "seq": 1, "code": "x"});
        h.frame(json!({"type": "msg", "seq": seq, "data": data}));
        let events = events_of(&h.drain());
        assert!(
            matches!(&events[..], [Event::Error(error)] if error.code.as_str() == "invalid_frame"),
            "{kind}: {events:?}"
        );
    }
    // Each counted: the next is delivered, not taken for a gap (4012).
    h.frame(json!({"type": "msg", "seq": types.len() + 1, "data": {"type": "chat"}}));
    assert!(events_of(&h.drain()).iter().any(|e| matches!(e, Event::Message(_))));
    assert_eq!(h.core.state(), State::Authenticated);
}

/// A JWT-shaped token (header, payload, signature) whose payload and signature differ wholly from
/// any other `n`'s, as two tokens of a real token endpoint do.
fn jwt(n: u64) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut state = n.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut random = |len: usize| -> String {
        (0..len)
            .map(|_| {
                state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                ALPHABET[(state >> 58) as usize] as char
            })
            .collect()
    };
    format!("eyJhbGciOiJIUzI1NiJ9.{}.{}", random(40), random(43))
}

/// A token grant for the harness.
fn grant(token: &str) -> Result<TokenGrant, TokenError> {
    Ok(TokenGrant { token: Token::new(token.to_owned()).unwrap(), lifetime_ms: None })
}

/// The `error` events among `actions`: the app's code, the server's own code, and the message.
fn error_events(actions: &[Action<serde_json::Value>]) -> Vec<(String, Option<String>, String)> {
    events_of(actions)
        .into_iter()
        .filter_map(|e| super::reported_error(&e))
        .map(|error| {
            (error.code.as_str().to_owned(), error.code.server_code().map(str::to_owned), error.message)
        })
        .collect()
}

/// A session authenticated with `first` whose periodic re-authentication has just sent `fresh`.
fn reauthenticating(first: &str, fresh: &str) -> Harness {
    let mut h = Harness::new(Config { reauth_interval_ms: 60_000, ..no_jitter() });
    h.drain();
    h.token_result(grant(first));
    h.open();
    h.auth_ok();
    h.fire_next_timeout();
    h.drain();
    h.token_result(grant(fresh));
    h
}

/// A token without its header: the header is alike for all tokens of an issuer (so any of them
/// matches it), while the payload and signature are this token's alone. Tests that tell two tokens
/// apart quote this.
fn own_part(token: &str) -> &str {
    token.split_once('.').unwrap().1
}

/// What of `token` a text holds: the token, its payload or its signature.
fn quotes(text: &str, token: &str) -> bool {
    token.split('.').skip(1).any(|part| text.contains(part))
}

/// A server that writes the token (or its signature, or its payload) into its rejection must not
/// hand it to the app through the `auth_failed` error, which apps log and report.
#[test]
fn a_rejection_that_quotes_the_token_is_passed_on_without_it() {
    let token = jwt(1);
    let signature = token.rsplit('.').next().unwrap().to_owned();
    let payload = token.split('.').nth(1).unwrap().to_owned();
    for reason in [
        format!("invalid token {token}"),
        format!("bad signature: {signature}"),
        format!("{payload} expired"),
    ] {
        let mut h = Harness::new(no_jitter());
        h.drain();
        h.token_result(grant(&token));
        h.open();
        h.drain();
        h.frame(json!({"type": "auth_response", "success": false, "error": reason}));
        let errors = error_events(&h.drain());
        assert_eq!(errors.len(), 1, "{errors:?}");
        let (code, _, message) = &errors[0];
        assert_eq!(code, "auth_failed");
        assert!(!quotes(message, &token), "the token reached the app: {message}");
        assert!(message.contains("withheld"), "{message}");
    }
}

/// The same for a re-authentication's rejection, which may quote the fresh token or the one it
/// replaces; a reason that quotes no token is passed on as it is.
#[test]
fn a_reauth_rejection_that_quotes_a_token_is_passed_on_without_it() {
    let (first, fresh) = (jwt(2), jwt(3));
    for quoted in [Some(&fresh), Some(&first), None] {
        let mut h = reauthenticating(&first, &fresh);
        h.drain();
        let reason = match quoted {
            Some(token) => format!("{} was revoked", own_part(token)),
            None => "token revoked".to_owned(),
        };
        h.frame(json!({"type": "reauth_response", "success": false, "error": reason}));
        let errors = error_events(&h.drain());
        assert_eq!(errors.len(), 1, "{errors:?}");
        let (code, _, message) = &errors[0];
        assert_eq!(code, "reauth_failed");
        assert!(!quotes(message, &first) && !quotes(message, &fresh), "the token reached the app: {message}");
        if quoted.is_none() {
            assert_eq!(message, "the server rejected the fresh token: token revoked");
        }
    }
}

/// Nor through an `error` frame's code or message, a close reason or the user id, the other texts
/// of the server's that the app sees (a close reason holds 123 bytes: a JWT's signature fits),
/// for the token of this connection and for the one a re-authentication replaced.
#[test]
fn an_error_close_reason_or_user_id_that_quotes_a_token_is_withheld() {
    let (first, fresh) = (jwt(4), jwt(5));
    let signature = |token: &str| token.rsplit('.').next().unwrap().to_owned();
    let mut h = Harness::new(Config { reauth_interval_ms: 60_000, ..no_jitter() });
    h.drain();
    h.token_result(grant(&first));
    h.open();
    h.frame(
        json!({"type": "auth_response", "success": true, "userId": format!("user {}", signature(&first))}),
    );
    let actions = h.drain();
    let user_ids: Vec<_> = events_of(&actions)
        .into_iter()
        .filter_map(|e| if let Event::Authenticated { user_id, .. } = e { Some(user_id) } else { None })
        .collect();
    assert_eq!(user_ids, [None], "a user id that quotes the token is none, not a made-up one");
    let errors = error_events(&actions);
    assert_eq!(errors.len(), 1, "and the app is told: {errors:?}");
    assert_eq!(errors[0].0, "invalid_frame");
    assert!(!quotes(&errors[0].2, &first));
    h.fire_next_timeout();
    h.drain();
    h.token_result(grant(&fresh));
    h.frame(json!({"type": "reauth_response", "success": true}));
    h.drain();
    for token in [&fresh, &first] {
        h.frame(json!({"type": "error", "code": "bad_request", "message": format!("not for {}", own_part(token))}));
        h.frame(json!({"type": "error", "code": signature(token), "message": "see the code"}));
    }
    h.frame(json!({"type": "error", "code": "room_full", "message": "room is full"}));
    let errors = error_events(&h.drain());
    assert_eq!(errors.len(), 5, "{errors:?}");
    for (_, server_code, message) in &errors[..4] {
        let code = server_code.as_deref().unwrap_or_default();
        assert!(
            !quotes(code, &first) && !quotes(code, &fresh),
            "the token reached the app as a code: {errors:?}"
        );
        assert!(
            !quotes(message, &first) && !quotes(message, &fresh),
            "the token reached the app: {errors:?}"
        );
    }
    let passed_on = (errors[4].1.as_deref(), errors[4].2.as_str());
    assert_eq!(
        passed_on,
        (Some("room_full"), "room is full"),
        "a text that quotes no token is passed on as it is"
    );
    h.closed_by_peer(4000, format!("expired: {}", signature(&first)));
    let reasons: Vec<_> = events_of(&h.drain())
        .into_iter()
        .filter_map(|e| if let Event::Close { reason, .. } = e { Some(reason) } else { None })
        .collect();
    assert_eq!(reasons.len(), 1);
    assert!(!quotes(&reasons[0], &first), "the replaced token reached the app: {reasons:?}");
}

/// A session id that quotes the token is no session id: it would be offered back in every `auth`
/// and announced to the other tabs of a shared connection. The grant is ignored (at most once),
/// and said so; the authentication stands.
#[test]
fn a_session_id_that_quotes_the_token_is_ignored() {
    let token = jwt(9);
    let mut h = Harness::new(no_jitter());
    h.drain();
    h.token_result(grant(&token));
    h.open();
    let id = format!("session-{}", own_part(&token));
    h.frame(json!({"type": "auth_response", "success": true,
        "session": {"id": id, "resumed": false, "lastSeq": 0}}));
    let errors = error_events(&h.drain());
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].0, "invalid_frame");
    assert!(!quotes(&errors[0].2, &token));
    assert_eq!((h.core.state(), h.core.delivery()), (State::Authenticated, Delivery::AtMostOnce));
    // Never offered back.
    h.closed_by_peer(1006, String::new());
    h.drain();
    h.fire_next_timeout();
    h.drain();
    h.give_token(None);
    h.open();
    let auth: Vec<String> = h
        .drain()
        .iter()
        .filter_map(|a| if let Action::Send(frame) = a { Some(frame.text().to_owned()) } else { None })
        .collect();
    assert_eq!(auth.len(), 1);
    assert!(
        auth[0].contains(r#""resume":{"sessionId":null"#),
        "offered back: {}",
        auth[0].replace(&token, "<token>")
    );
}

/// The two tokens kept across a reconnect: after A, a re-authentication with B and a reconnect
/// with C, a text that quotes B (the server may still close or report about it) is withheld; and a
/// reconnect that sends B again does not push out the token before it.
#[test]
fn the_last_two_tokens_sent_are_looked_for_across_reconnects() {
    let (a, b, c) = (jwt(6), jwt(7), jwt(8));
    for (reconnect_with, still_withheld) in [(&c, &b), (&b, &a)] {
        let mut h = reauthenticating(&a, &b);
        h.frame(json!({"type": "reauth_response", "success": true}));
        h.closed_by_peer(1006, String::new());
        h.drain();
        h.fire_next_timeout();
        h.drain();
        h.token_result(grant(reconnect_with));
        h.open();
        h.auth_ok();
        h.drain();
        for token in [reconnect_with, still_withheld] {
            h.frame(json!({"type": "error", "code": "bad_request", "message": format!("about {}", own_part(token))}));
        }
        let errors = error_events(&h.drain());
        assert_eq!(errors.len(), 2, "{errors:?}");
        for (_, _, message) in &errors {
            assert!(!quotes(message, reconnect_with) && !quotes(message, still_withheld), "{errors:?}");
        }
    }
}

/// A `reauth_response` that arrives before the `reauth` was sent (the token fetch still running)
/// answers nothing: taken as the answer, the fresh token would be dropped unsent, and with
/// `reauthIntervalMs: 0` no re-auth would ever be scheduled again.
#[test]
fn a_reauth_response_before_the_reauth_does_not_cancel_it() {
    let config = Config { reauth_interval_ms: 0, ..no_jitter() };
    let mut h = Harness::new(config);
    h.drain();
    h.give_token(Some(10_000));
    h.open();
    h.auth_ok();
    h.drain();
    assert_eq!(h.fire_next_timeout(), 8000);
    h.drain(); // fetch
    h.frame(json!({"type": "reauth_response", "success": true}));
    let early = events_of(&h.drain());
    h.give_token(Some(10_000));
    let sent: Vec<String> = h
        .drain()
        .iter()
        .filter_map(|a| if let Action::Send(f) = a { Some(f.text().to_owned()) } else { None })
        .collect();
    let reauth_sent = sent.iter().any(|t| t.starts_with(r#"{"type":"reauth""#));
    assert!(reauth_sent, "early answer {early:?}; fresh token dropped ({sent:?})");
    assert!(
        matches!(&early[..], [Event::Error(error)] if error.code.as_str() == "invalid_frame"),
        "the early answer is reported: {early:?}"
    );
}

/// A tiny advertised limit is obeyed, and said so: every queued message over it is refused with
/// `message_too_large` (sending it would only get the connection closed, 4009), and so is a
/// `send()` over it; the connection stays up.
#[test]
fn a_tiny_advertised_limit_refuses_each_message_aloud_and_the_connection_lives_on() {
    let mut h = Harness::new(no_jitter());
    for n in 0..3 {
        h.send(msg(n)).unwrap();
    }
    h.connect_until_auth();
    h.frame(json!({"type": "auth_response", "success": true, "limits": {"maxMessageBytes": 1}}));
    let actions = h.drain();
    let errors = events_of(&actions)
        .into_iter()
        .filter(|e| super::reported_error(e).is_some_and(|error| error.code.as_str() == "message_too_large"))
        .count();
    assert_eq!((errors, app_frames(&actions).len()), (3, 0));
    assert!(matches!(h.send(msg(9)), Err(SendError::MessageTooLarge { limit: 1, .. })));
    assert_eq!(h.core.state(), State::Authenticated);
}

/// An `ack` beyond anything sent is refused, not forwarded to the other tabs (js/share/replica.js
/// would confirm, and drop on a hand-over, the messages numbered later).
#[test]
fn an_ack_beyond_what_was_sent_is_refused_not_replicated() {
    let mut h = Harness::new(no_jitter());
    h.core.replicate(None);
    connect_resumable(&mut h, false, 0);
    h.send(msg(1)).unwrap();
    h.drain();
    h.frame(json!({"type": "ack", "seq": 1000}));
    let acked: Vec<u64> = h
        .drain()
        .iter()
        .filter_map(|a| if let Action::Replicate(Replication::Acked { seq }) = a { Some(*seq) } else { None })
        .collect();
    assert!(acked.iter().all(|s| *s <= 1), "replicated {acked:?} though only seq 1 was sent");
}

/// A resume whose lastSeq is below what the server already acknowledged (it lost state but says
/// `resumed: true`): the acknowledged messages are gone, and the app is told, as of a lost
/// session (`resync`).
#[test]
fn a_resume_below_an_earlier_ack_is_reported_as_a_lost_session() {
    let mut h = Harness::new(no_jitter());
    connect_resumable(&mut h, false, 0);
    for n in 1..=5 {
        h.send(msg(n)).unwrap();
    }
    h.drain();
    h.frame(json!({"type": "ack", "seq": 3}));
    h.drain();
    reconnect(&mut h);
    granted(&mut h, true, 1, json!({}));
    let actions = h.drain();
    let told = events_of(&actions).into_iter().any(|e| matches!(e, Event::Resync));
    assert!(told, "silent; sent again as {:?}", app_frames(&actions));
    let sent: Vec<_> = app_frames(&actions).into_iter().map(|(s, _)| s).collect();
    assert_eq!(sent, [Some(2), Some(3)], "what is still owed follows the server's lastSeq");
}

/// A resume that claims more than was ever sent (its lastSeq beyond the last number given): no
/// message is taken as delivered on its word, no receipt resolves; all of them go out again,
/// numbered after its lastSeq (where it expects the next: no gap), and the claim is reported. The
/// live `ack` path refuses the same claim (`an_ack_beyond_what_was_sent_is_refused_not_replicated`).
#[test]
fn a_resume_beyond_what_was_sent_confirms_nothing_and_loses_nothing() {
    let mut h = Harness::new(no_jitter());
    connect_resumable(&mut h, false, 0);
    let ids: Vec<_> = (1..=3).map(|n| h.core.send(h.now, msg(n), true).unwrap()).collect();
    h.drain();
    reconnect(&mut h);
    granted(&mut h, true, 1000, json!({}));
    let actions = h.drain();
    let events = events_of(&actions);
    assert!(
        !events.iter().any(|e| matches!(e, Event::Delivered { .. })),
        "confirmed on its word: {events:?}"
    );
    assert!(events
        .iter()
        .any(|e| super::reported_error(e).is_some_and(|e| e.code.as_str() == "invalid_frame")));
    let sent: Vec<_> = app_frames(&actions).into_iter().map(|(seq, _)| seq).collect();
    assert_eq!(sent, [Some(1001), Some(1002), Some(1003)], "sent again after its lastSeq");
    // Its acknowledgement of them confirms them, as any other.
    h.frame(json!({"type": "ack", "seq": 1003}));
    let delivered: Vec<_> = events_of(&h.drain())
        .into_iter()
        .filter_map(|e| if let Event::Delivered { through } = e { Some(through) } else { None })
        .collect();
    assert_eq!(delivered, [ids[2]]);
}

/// An `auth_response` that says success with a malformed `session` object authenticates (at
/// most once, the malformed part reported): dropped whole, the connection could never
/// authenticate (4001 on every attempt, then closed).
#[test]
fn a_malformed_session_grant_does_not_prevent_authentication() {
    let mut h = Harness::new(no_jitter());
    h.connect_until_auth();
    let frame = json!({"type": "auth_response", "success": true, "userId": "alice",
        "session": {"id": "s1", "resumed": false, "lastSeq": "0"}});
    match classify(frame) {
        Ok(f) => h.core.handle_frame(h.now, h.conn, f),
        Err(e) => h.invalid(e),
    }
    let events = events_of(&h.drain());
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::Error(error) if error.code.as_str() == "invalid_frame")));
    assert_eq!(h.core.delivery(), Delivery::AtMostOnce);
    h.advance(60_000);
    let closes: Vec<u16> = h
        .drain()
        .iter()
        .filter_map(|a| if let Action::CloseSocket { code, .. } = a { Some(*code) } else { None })
        .collect();
    assert_eq!(
        h.core.state(),
        State::Authenticated,
        "success:true, yet {:?} and closed {closes:?}",
        h.core.state()
    );
}

// ---- fuzz: random hostile frames on a resumable session ----

#[derive(Debug, Clone)]
enum In {
    Msg(u64),
    Ack(u64),
    Grant { resumed: bool, last_seq: u64, id: bool, max: Option<u64>, rate: Option<u64> },
    Reject,
    Reauth(bool),
    Send(usize),
    Close(u16),
    Advance(u32),
    Reconnect,
}

fn hostile() -> impl Strategy<Value = In> {
    let seq = prop_oneof![0u64..12, Just(9_007_199_254_740_992u64)];
    prop_oneof![
        4 => seq.clone().prop_map(In::Msg),
        3 => seq.clone().prop_map(In::Ack),
        2 => (any::<bool>(), seq, any::<bool>(), proptest::option::of(1u64..300), proptest::option::of(1u64..100))
            .prop_map(|(resumed, last_seq, id, max, rate)| In::Grant { resumed, last_seq, id, max, rate }),
        1 => Just(In::Reject),
        1 => any::<bool>().prop_map(In::Reauth),
        4 => (1usize..250).prop_map(In::Send),
        1 => prop_oneof![Just(1001u16), Just(1006), Just(4012)].prop_map(In::Close),
        3 => (0u32..5000).prop_map(In::Advance),
        2 => Just(In::Reconnect),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]
    #[test]
    fn fuzz_hostile_server_never_panics_and_numbers_stay_contiguous(inputs in proptest::collection::vec(hostile(), 1..60)) {
        let mut h = Harness::new(Config { max_message_bytes: 1000, ..no_jitter() });
        h.drain();
        // Expected next outgoing seq on the current connection, once a grant was seen.
        let mut expect: Option<u64> = None;
        let mut granted_last = 0u64;
        let (mut sent_hi, mut acked_hi) = (0u64, 0u64);
        for input in inputs {
            match input {
                In::Msg(seq) => h.frame(json!({"type": "msg", "seq": seq, "data": {"type": "x"}})),
                In::Ack(seq) => {
                    // Honest acks only: never beyond what was sent, never backwards.
                    let seq = seq.min(sent_hi).max(acked_hi);
                    acked_hi = seq;
                    h.frame(json!({"type": "ack", "seq": seq}))
                }
                In::Grant { resumed, last_seq, id, max, rate } => {
                    let mut limits = serde_json::Map::new();
                    if let Some(m) = max { limits.insert("maxMessageBytes".into(), m.into()); }
                    if let Some(r) = rate { limits.insert("messagesPerMinute".into(), r.into()); }
                    granted_last = last_seq;
                    h.frame(json!({"type": "auth_response", "success": true,
                        "session": {"id": if id {"s1"} else {"s2"}, "resumed": resumed, "lastSeq": last_seq},
                        "limits": limits}));
                }
                In::Reject => h.frame(json!({"type": "auth_response", "success": false})),
                In::Reauth(ok) => h.frame(json!({"type": "reauth_response", "success": ok})),
                In::Send(n) => { let _ = h.send(format!(r#"{{"type":"m","p":"{}"}}"#, "x".repeat(n))); }
                In::Close(code) => h.closed_by_peer(code, String::new()),
                In::Advance(ms) => h.advance(ms.into()),
                In::Reconnect => {
                    if h.core.state() == State::Reconnecting { h.advance(60_000); }
                    if h.core.state() == State::Connecting { h.drain(); h.give_token(None); h.open(); }
                }
            }
            let actions = h.drain();
            for e in events_of(&actions) {
                if let Event::Authenticated { resumed, .. } = e {
                    if !resumed { sent_hi = 0; acked_hi = 0; }
                    let honest = granted_last >= acked_hi && granted_last <= sent_hi;
                    expect = if !resumed { Some(1) } else if honest { Some(granted_last + 1) } else { None };
                }
            }
            for (seq, _) in app_frames(&actions) {
                if let Some(seq) = seq {
                    if let Some(e) = expect { prop_assert_eq!(seq, e, "gap or repeat on one connection"); }
                    expect = Some(seq + 1);
                    sent_hi = sent_hi.max(seq);
                }
            }
            if h.core.state() != State::Authenticated { expect = None; }
        }
    }
}

/// (Found by the fuzz above.) Everything was acknowledged, then a resume says `lastSeq: 0`: the
/// next send is numbered after the server's 0, not after the SDK's own counter (4), which that
/// server would take as a gap (4012).
#[test]
fn after_a_resume_to_lastseq_0_the_next_send_is_numbered_1() {
    let mut h = Harness::new(no_jitter());
    connect_resumable(&mut h, false, 0);
    for n in 1..=3 {
        h.send(msg(n)).unwrap();
    }
    h.drain();
    h.frame(json!({"type": "ack", "seq": 3}));
    reconnect(&mut h);
    granted(&mut h, true, 0, json!({}));
    h.drain();
    h.send(msg(4)).unwrap();
    let sent: Vec<_> = app_frames(&h.drain()).into_iter().map(|(s, _)| s).collect();
    assert_eq!(sent, [Some(1)], "the server said it has nothing");
}
