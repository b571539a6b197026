//! What a client's text frame is, decided once, before any state is touched: the protocol's own
//! frames (auth, reauth, ping/pong, and the resumable-session `ack` and `msg`) or an application
//! message. Pure and total: any input gives an answer, never a panic (the fuzz tests hold it to
//! that).

use serde_json::Value;

/// A client's offer to resume (or open) a session, from `auth`.
#[derive(Debug, Clone, PartialEq)]
pub struct ResumeOffer {
    /// The session to resume; `None` opens a new one.
    pub session_id: Option<String>,
    /// The highest server sequence number the client received in order.
    pub last_seq: u64,
}

/// A client frame, classified.
#[derive(Debug, Clone, PartialEq)]
pub enum Inbound {
    /// `{"type":"auth","token":T,"resume"?:{…}}`.
    Auth {
        /// The token, if it is a string.
        token: Option<String>,
        /// Present when the client offers resumable sessions.
        resume: Option<ResumeOffer>,
    },
    /// `{"type":"reauth","token":T}`.
    Reauth {
        /// The token, if it is a string.
        token: Option<String>,
    },
    /// App-level `{"type":"ping"}`.
    Ping,
    /// App-level `{"type":"pong"}`.
    Pong,
    /// `{"type":"ack","seq":N}`: the client received every server message with seq ≤ N.
    Ack {
        /// N.
        seq: u64,
    },
    /// `{"type":"msg","seq":N,"data":{…}}`: application message N of the session.
    Msg {
        /// N.
        seq: u64,
        /// The application message; `None` when `data` is none (not an object with a string
        /// `type`, or one naming a protocol frame). Such a `msg` still counts: its number was
        /// used, and a session that skipped it would take the next for a gap (4012).
        data: Option<Value>,
    },
    /// Any other object with a string `type`.
    App(Value),
}

/// Why a frame is not one the server can act on. Each has a generic client-facing code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameError {
    /// Not JSON.
    NotJson,
    /// Not an object with a string `type`.
    NoType,
    /// An `ack` or `msg` without a whole-number `seq`.
    BadSequenced,
}

/// Frame types an application message may not have: inside `msg` they would smuggle a protocol
/// frame past the sequencing.
const PROTOCOL_TYPES: [&str; 6] = ["auth", "reauth", "ping", "pong", "ack", "msg"];

/// Parses and classifies a text frame.
pub fn classify(text: &str) -> Result<Inbound, FrameError> {
    let frame: Value = serde_json::from_str(text).map_err(|_| FrameError::NotJson)?;
    classify_value(frame)
}

/// Classifies a parsed frame.
pub fn classify_value(frame: Value) -> Result<Inbound, FrameError> {
    let kind = frame.get("type").and_then(Value::as_str).ok_or(FrameError::NoType)?;
    let token = || frame.get("token").and_then(Value::as_str).map(str::to_owned);
    let seq = || frame.get("seq").and_then(Value::as_u64).ok_or(FrameError::BadSequenced);
    Ok(match kind {
        "auth" => Inbound::Auth { token: token(), resume: frame.get("resume").map(resume_offer) },
        "reauth" => Inbound::Reauth { token: token() },
        "ping" => Inbound::Ping,
        "pong" => Inbound::Pong,
        "ack" => Inbound::Ack { seq: seq()? },
        "msg" => {
            let seq = seq()?;
            let data = frame.get("data").filter(|data| {
                data.get("type").and_then(Value::as_str).is_some_and(|kind| !PROTOCOL_TYPES.contains(&kind))
            });
            Inbound::Msg { seq, data: data.cloned() }
        }
        _ => Inbound::App(frame),
    })
}

/// A `resume` field as offered. A malformed one still asks for the extension: it opens a new
/// session rather than silently falling back to the seed protocol.
fn resume_offer(value: &Value) -> ResumeOffer {
    ResumeOffer {
        session_id: value.get("sessionId").and_then(Value::as_str).map(str::to_owned),
        last_seq: value.get("lastSeq").and_then(Value::as_u64).unwrap_or(0),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn protocol_frames_are_told_apart_from_application_messages() {
        assert_eq!(
            classify(r#"{"type":"auth","token":"t"}"#),
            Ok(Inbound::Auth { token: Some("t".into()), resume: None })
        );
        assert_eq!(
            classify(r#"{"type":"auth","token":"t","resume":{"sessionId":null,"lastSeq":0}}"#),
            Ok(Inbound::Auth {
                token: Some("t".into()),
                resume: Some(ResumeOffer { session_id: None, last_seq: 0 })
            })
        );
        assert_eq!(classify(r#"{"type":"ack","seq":3}"#), Ok(Inbound::Ack { seq: 3 }));
        assert_eq!(
            classify(r#"{"type":"msg","seq":1,"data":{"type":"echo"}}"#),
            Ok(Inbound::Msg { seq: 1, data: Some(json!({"type": "echo"})) })
        );
        assert_eq!(classify(r#"{"type":"echo"}"#), Ok(Inbound::App(json!({"type": "echo"}))));
    }

    #[test]
    fn malformed_frames_are_refused_not_guessed() {
        assert_eq!(classify("not json"), Err(FrameError::NotJson));
        assert_eq!(classify("[1]"), Err(FrameError::NoType));
        assert_eq!(classify(r#"{"type":7}"#), Err(FrameError::NoType));
        assert_eq!(classify(r#"{"type":"ack","seq":-1}"#), Err(FrameError::BadSequenced));
        assert_eq!(classify(r#"{"type":"msg","data":{"type":"echo"}}"#), Err(FrameError::BadSequenced));
        // Numbered, with no application message: it counts, and carries none.
        for data in [r#"{"type":"auth"}"#, r#""x""#, "null", r#"{"no":"type"}"#] {
            let text = format!(r#"{{"type":"msg","seq":1,"data":{data}}}"#);
            assert_eq!(classify(&text), Ok(Inbound::Msg { seq: 1, data: None }), "{text}");
        }
        assert_eq!(classify(r#"{"type":"msg","seq":1}"#), Ok(Inbound::Msg { seq: 1, data: None }));
    }
}
