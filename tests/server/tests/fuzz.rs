//! The server's frame handling under generated input, on the stable toolchain (proptest): any
//! text a client can send, arbitrary JSON, and frames shaped like the protocol's with hostile
//! field values, through `frames::classify`, `chat::parse` and a whole authenticated connection
//! (plain and resumable). Nothing may panic, and what the server queues in answer stays bounded.
//!
//! `cargo test` runs a quick slice (256 cases per property). A long run:
//! `FUZZ_CASES=1000000 cargo test -p secure-ws-test-server --release --test fuzz`.

use std::net::{IpAddr, Ipv4Addr};

use axum::extract::ws::Message;
use proptest::prelude::*;
use secure_ws_test_server::{
    chat,
    frames::{self, Inbound},
    state::AppState,
    ws::{ConnectionLogic, MSG_ENVELOPE_BYTES},
    ServerConfig,
};
use serde_json::{json, Map, Value};

fn cases() -> u32 {
    std::env::var("FUZZ_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(256)
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        ".{0,24}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(".{0,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

const TYPES: [&str; 14] = [
    "auth",
    "reauth",
    "ping",
    "pong",
    "ack",
    "msg",
    "echo",
    "join_room",
    "leave_room",
    "send_message",
    "delete_message",
    "error",
    "",
    "joined",
];
const FIELDS: [&str; 9] =
    ["token", "resume", "seq", "data", "room", "content", "messageId", "sessionId", "lastSeq"];

/// An object shaped like a protocol frame: a known type, known field names, hostile values.
fn shaped_frame() -> impl Strategy<Value = Value> {
    let field_value =
        prop_oneof![json_value(), (0u64..5).prop_map(Value::from), "[a-z0-9_-]{1,8}".prop_map(Value::from),];
    let shaped = (
        prop::sample::select(TYPES.to_vec()),
        prop::collection::btree_map(prop::sample::select(FIELDS.to_vec()), field_value, 0..4),
    )
        .prop_map(|(kind, fields)| {
            let mut object: Map<String, Value> = fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
            object.insert("type".into(), Value::from(kind));
            Value::Object(object)
        });
    // A `msg` wrapping another shaped frame, as a resumable client sends them.
    shaped.prop_flat_map(|inner| {
        let plain = Just(inner.clone());
        let wrapped =
            (0u64..6).prop_map(move |seq| json!({"type": "msg", "seq": seq, "data": inner.clone()}));
        prop_oneof![plain, wrapped]
    })
}

fn frame_text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,64}",
        json_value().prop_map(|v| v.to_string()),
        shaped_frame().prop_map(|v| v.to_string()),
        // Room traffic in sequence, so the rooms and deliveries are reached too.
        (1u64..6, "[a-z]{1,3}").prop_map(|(seq, room)| {
            json!({"type": "msg", "seq": seq, "data": {"type": "join_room", "room": room}}).to_string()
        }),
        (1u64..6, "[a-z]{1,3}", ".{0,12}").prop_map(|(seq, room, content)| {
            json!({"type": "msg", "seq": seq, "data": {"type": "send_message", "room": room, "content": content}})
                .to_string()
        }),
    ]
}

fn config() -> ServerConfig {
    let mut config = ServerConfig { test_controls: true, log_to_stderr: false, ..Default::default() };
    config.limits.messages_per_minute = 1_000_000;
    config.limits.control_frames_per_minute = 1_000_000;
    config.limits.outgoing_queue = 1_000_000;
    config
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn classifying_any_text_never_panics(text in frame_text()) {
        if let Ok(Inbound::App(value) | Inbound::Msg { data: Some(value), .. }) = frames::classify(&text) {
            let _ = chat::parse(&value);
        }
    }

    #[test]
    fn a_connection_fed_any_frames_never_panics_and_answers_within_bounds(
        resumable in any::<bool>(),
        texts in prop::collection::vec(frame_text(), 1..12),
    ) {
        let state = AppState::new(config());
        let now = tokio::time::Instant::now();
        let (mut logic, mut channels, _) = ConnectionLogic::register(&state, IpAddr::V4(Ipv4Addr::LOCALHOST), now);
        let token = {
            let mut shared = state.shared();
            let (_, handle) = shared.sessions.open("alice", std::time::Duration::from_secs(60), now.into());
            state.tokens.issue("alice", &handle)
        };
        let auth = if resumable {
            json!({"type": "auth", "token": token, "resume": {"sessionId": null, "lastSeq": 0}})
        } else {
            json!({"type": "auth", "token": token})
        };
        logic.on_text(&state, &auth.to_string(), now);
        let bound = state.config.limits.max_message_bytes + MSG_ENVELOPE_BYTES + 512;
        for text in texts {
            let actions = logic.on_text(&state, &text, now);
            prop_assert!(actions.len() <= 1);
            let mut queued = 0;
            while let Ok(message) = channels.outbox.try_recv() {
                queued += 1;
                if let Message::Text(reply) = message {
                    prop_assert!(reply.len() <= bound, "a reply of {} bytes", reply.len());
                    prop_assert!(serde_json::from_str::<Value>(reply.as_str()).is_ok(), "{reply}");
                }
            }
            prop_assert!(queued <= 2, "{queued} frames queued for one input");
            if logic.ack_due().is_some() {
                logic.send_ack(&state);
            }
        }
        logic.unregister(&state, now);
    }
}
