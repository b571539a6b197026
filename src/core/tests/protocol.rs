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
}

#[test]
fn control_frames_are_recognised() {
    let ok = json!({"type": "auth_response", "success": true, "userId": "alice"});
    assert_eq!(classify(ok), Ok(Inbound::AuthResponse(Verdict::Accepted { user_id: Some("alice".into()) })));
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
    let frame = OutboundFrame::auth(&token);
    assert!(frame.text().contains("tok-SECRET"));
    assert!(!format!("{frame:?}").contains("SECRET"));
    assert!(!format!("{:?}", OutboundFrame::reauth(&token)).contains("SECRET"));
    assert!(format!("{:?}", OutboundFrame::ping()).contains("ping"), "control frames without a token show");
}

proptest! {
    #[test]
    fn auth_frames_are_valid_json_carrying_the_exact_token(raw in "\\PC*|[\\x00-\\x7f]*") {
        prop_assume!(!raw.is_empty());
        let token = Token::new(raw.clone()).unwrap();
        let parsed: Value = serde_json::from_str(OutboundFrame::auth(&token).text()).unwrap();
        prop_assert_eq!(parsed, json!({"type": "auth", "token": raw}));
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
