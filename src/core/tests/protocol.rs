//! Tests of `core::protocol`.

use proptest::prelude::*;
use serde_json::{json, Value};

use crate::core::{protocol::*, *};

/// The test stand-in for the browser's parsed object.
impl JsonFields for Value {
    fn string(&self, key: &str) -> Option<String> {
        self.get(key)?.as_str().map(str::to_owned)
    }
    fn boolean(&self, key: &str) -> Option<bool> {
        self.get(key)?.as_bool()
    }
    fn number(&self, key: &str) -> Option<f64> {
        self.get(key)?.as_f64()
    }
    fn object(&self, key: &str) -> Option<Self> {
        self.get(key).filter(|v| v.is_object()).cloned()
    }
}

#[test]
fn control_frames_are_recognised() {
    let ok = json!({"type": "auth_response", "success": true, "userId": "alice"});
    assert_eq!(
        classify(ok),
        Ok(Inbound::AuthResponse(Verdict::Accepted {
            user_id: Some("alice".into()),
            session: None,
            limits: ServerLimits::default(),
            ignored: None,
        }))
    );
    let no = json!({"type": "reauth_response", "success": false, "error": "expired"});
    assert_eq!(classify(no), Ok(Inbound::ReauthResponse(Verdict::Rejected { error: "expired".into() })));
    assert_eq!(classify(json!({"type": "pong"})), Ok(Inbound::Pong));
    let error = json!({"type": "error", "code": "rate_limited", "message": "slow down"});
    assert_eq!(
        classify(error),
        Ok(Inbound::Error { code: "rate_limited".into(), message: "slow down".into() })
    );
}

#[test]
fn resumable_session_frames_are_recognised() {
    let ok = json!({"type": "auth_response", "success": true, "userId": "alice",
        "session": {"id": "s9", "resumed": true, "lastSeq": 41},
        "limits": {"messagesPerMinute": 60, "maxMessageBytes": 10240}});
    let Ok(Inbound::AuthResponse(Verdict::Accepted { session, limits, .. })) = classify(ok) else { panic!() };
    assert_eq!(session, Some(SessionGrant { id: "s9".into(), resumed: true, last_seq: 41 }));
    assert_eq!(limits, ServerLimits { messages_per_minute: Some(60), max_message_bytes: Some(10240) });
    let msg = json!({"type": "msg", "seq": 3, "data": {"type": "chat"}});
    assert_eq!(classify(msg), Ok(Inbound::Sequenced { seq: 3, data: Some(json!({"type": "chat"})) }));
    assert_eq!(classify(json!({"type": "ack", "seq": 7})), Ok(Inbound::Ack { seq: 7 }));
}

#[test]
fn malformed_session_frames_are_errors_and_nonsense_limits_are_ignored() {
    for bad in [
        json!({"type": "msg", "seq": -1, "data": {"type": "x"}}),
        json!({"type": "msg", "seq": 1.5, "data": {"type": "x"}}),
        json!({"type": "msg", "seq": 1e300, "data": {"type": "x"}}),
        json!({"type": "ack"}),
        json!({"type": "ack", "seq": "1"}),
    ] {
        assert!(matches!(classify(bad.clone()), Err(FrameError::BadField(_))), "{bad}");
    }
    // A numbered message that is no application message keeps its number (so that it is counted
    // and acknowledged, not replayed into a gap on every resume) and has no data to deliver.
    for bad in [
        json!({"type": "msg", "seq": 1, "data": "text"}),
        json!({"type": "msg", "seq": 1, "data": {"no": "type"}}),
        json!({"type": "msg", "seq": 1, "data": {"type": "auth", "token": "tok-SECRET"}}),
    ] {
        assert_eq!(classify(bad.clone()), Ok(Inbound::Sequenced { seq: 1, data: None }), "{bad}");
    }
    // A malformed session grant is ignored, and said so: the authentication itself stands.
    for bad in [
        json!({"type": "auth_response", "success": true, "session": {"id": "", "resumed": true, "lastSeq": 0}}),
        json!({"type": "auth_response", "success": true, "session": {"id": "s", "lastSeq": 0}}),
        json!({"type": "auth_response", "success": true, "session": {"id": "s", "resumed": false, "lastSeq": "0"}}),
    ] {
        let Ok(Inbound::AuthResponse(Verdict::Accepted { session, ignored, .. })) = classify(bad.clone())
        else {
            panic!("{bad}")
        };
        assert_eq!((session, ignored.is_some()), (None, true), "{bad}");
    }
    let odd = json!({"type": "auth_response", "success": true, "limits": {"messagesPerMinute": 0, "maxMessageBytes": -5}});
    let Ok(Inbound::AuthResponse(Verdict::Accepted { limits, .. })) = classify(odd) else { panic!() };
    assert_eq!(limits, ServerLimits::default(), "a server cannot talk the SDK into never sending");
}

#[test]
fn client_frames_echoed_back_are_refused_not_delivered() {
    for echoed in [
        json!({"type": "auth", "token": "tok-SECRET", "resume": {"sessionId": null, "lastSeq": 0}}),
        json!({"type": "reauth", "token": "tok-SECRET"}),
    ] {
        assert_eq!(classify(echoed), Err(FrameError::ClientFrame));
    }
    assert!(!FrameError::ClientFrame.message().contains("SECRET"));
}

#[test]
fn anything_else_with_a_string_type_is_an_app_message() {
    let chat = json!({"type": "chat", "text": "hi"});
    assert_eq!(classify(chat.clone()), Ok(Inbound::App(chat)));
}

#[test]
fn malformed_frames_are_errors_not_panics() {
    assert_eq!(classify(json!({"kind": "chat"})), Err(FrameError::MissingType));
    assert_eq!(classify(json!({"type": 7})), Err(FrameError::MissingType));
    assert_eq!(classify(json!([1, 2])), Err(FrameError::MissingType));
    let bad = json!({"type": "auth_response", "success": "yes"});
    assert_eq!(classify(bad), Err(FrameError::BadField("success")));
}

#[test]
fn token_frames_hide_their_text_in_debug() {
    let token = Token::new("tok-SECRET".into()).unwrap();
    let frame = OutboundFrame::auth(&token, Some("s1"), 4);
    assert!(frame.text().contains("tok-SECRET"));
    assert!(!format!("{frame:?}").contains("SECRET"));
    assert!(!format!("{:?}", OutboundFrame::reauth(&token)).contains("SECRET"));
    assert!(format!("{:?}", OutboundFrame::ping()).contains("ping"), "control frames without a token show");
}

proptest! {
    #[test]
    fn auth_frames_are_valid_json_carrying_the_exact_token_and_resume_offer(
        raw in "\\PC*|[\\x00-\\x7f]*",
        session in proptest::option::of("\\PC*"),
        last_seq: u64,
    ) {
        prop_assume!(!raw.is_empty());
        let token = Token::new(raw.clone()).unwrap();
        let parsed: Value = serde_json::from_str(OutboundFrame::auth(&token, session.as_deref(), last_seq).text()).unwrap();
        prop_assert_eq!(parsed, json!({"type": "auth", "token": raw, "resume": {"sessionId": session, "lastSeq": last_seq}}));
    }

    #[test]
    fn ack_frames_carry_the_exact_number(seq: u64) {
        let parsed: Value = serde_json::from_str(OutboundFrame::ack(seq).text()).unwrap();
        prop_assert_eq!(parsed, json!({"type": "ack", "seq": seq}));
    }

    #[test]
    fn classify_never_panics(value in arbitrary_json()) {
        let _ = classify(value);
    }
}

/// Random JSON values, biased towards objects that look like protocol frames.
pub(crate) fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        prop_oneof![
            Just("auth_response".to_string()),
            Just("reauth_response".to_string()),
            Just("ping".to_string()),
            Just("pong".to_string()),
            Just("error".to_string()),
            "\\PC{0,8}",
        ]
        .prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        let key = prop_oneof![
            Just("type".to_string()),
            Just("success".to_string()),
            Just("userId".to_string()),
            Just("code".to_string()),
            "[a-z]{1,6}",
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(key, inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

#[test]
fn io_js_sorts_frames_into_the_same_types_in_the_same_order() {
    // The browser driver reads `type` in JS (src/browser/io.js) and hands over an index into
    // FrameType::ALL: the two lists must not drift apart.
    let io_js = include_str!("../../browser/io.js");
    let names = ["auth_response", "reauth_response", "ping", "pong", "msg", "ack", "error"];
    let list = names.iter().map(|name| format!("'{name}'")).collect::<Vec<_>>().join(", ");
    assert!(io_js.contains(&format!("const TYPES = [{list}];")), "io.js's TYPES is not {list}");
    for (i, name) in names.iter().enumerate() {
        assert_eq!(FrameType::of(name), FrameType::ALL[i], "{name}");
    }
    assert_eq!(FrameType::of("chat"), FrameType::App);
    // And the frames only a client sends, refused on both sides.
    assert!(
        io_js.contains("const CLIENT = ['auth', 'reauth'];"),
        "io.js's CLIENT drifted from is_client_frame"
    );
    assert!(is_client_frame("auth") && is_client_frame("reauth") && !is_client_frame("auth_response"));
    assert_eq!(FrameType::ALL.len(), names.len() + 1, "App comes last");
}

#[test]
fn a_frame_sorted_in_js_reads_as_classify_reads_it() {
    let frames = [
        json!({"type": "auth_response", "success": false, "error": "expired"}),
        json!({"type": "error", "code": "rate_limited", "message": "slow down"}),
        json!({"type": "ack", "seq": 4}),
        json!({"type": "ack", "seq": -1}),
        json!({"type": "chat", "text": "hi"}),
    ];
    for frame in frames {
        let kind = FrameType::of(frame["type"].as_str().unwrap());
        assert_eq!(classify_as(kind, frame.clone()), classify(frame));
    }
    // A `msg` frame: JS hands over `seq` (when a number) and `data` (when an object with a type).
    let data = json!({"type": "chat"});
    let msg = json!({"type": "msg", "seq": 7, "data": data});
    assert_eq!(sequenced(Some(7.0), Some(data.clone())), classify(msg));
    assert_eq!(sequenced(Some(1.5), Some(data.clone())), Err(FrameError::BadField("seq")));
    assert_eq!(sequenced(None, Some(data)), Err(FrameError::BadField("seq")));
    assert_eq!(
        sequenced::<Value>(Some(7.0), None),
        classify(json!({"type": "msg", "seq": 7, "data": {"n": 1}}))
    );
}

/// Each code's string is public API (README, "Error codes"), and the npm wasm hands JS its index
/// into the same list (src/api/codes.js's `ERROR_CODES`, held equal by a package test).
#[test]
fn error_codes_keep_their_strings_and_places() {
    let codes = [
        (ErrorCode::InvalidOptions, "invalid_options"),
        (ErrorCode::InsecureUrl, "insecure_url"),
        (ErrorCode::Unauthorized, "unauthorized"),
        (ErrorCode::TokenUnavailable, "token_unavailable"),
        (ErrorCode::AuthFailed, "auth_failed"),
        (ErrorCode::ReauthFailed, "reauth_failed"),
        (ErrorCode::ReconnectFailed, "reconnect_failed"),
        (ErrorCode::InvalidFrame, "invalid_frame"),
        (ErrorCode::QueueFull, "queue_full"),
        (ErrorCode::MessageTooLarge, "message_too_large"),
        (ErrorCode::InvalidMessage, "invalid_message"),
        (ErrorCode::InvalidArgument, "invalid_argument"),
        (ErrorCode::Closed, "closed"),
        (ErrorCode::Unconfirmed, "unconfirmed"),
        (ErrorCode::Server("rate_limited".into()), "server_error"),
    ];
    for (index, (code, name)) in codes.iter().enumerate() {
        assert_eq!(code.as_str(), *name);
        assert_eq!(code.index() as usize, index, "{name}");
    }
}
