//! Property test: random sequences of everything the outside world can do to a session, checking
//! the invariants that matter for safety after every step.
//!
//! - no application frame goes out on a connection before that connection authenticated;
//! - accepted sends leave in order and at most once, and none is lost without being reported;
//! - after `close()` no action of any kind comes out, whatever happens next;
//! - every backoff delay is within `[0, min(base·2ⁿ, max)]`;
//! - a token appears only in `auth` / `reauth` frames: never in another frame, event or `Debug`;
//! - timeouts at one instant always settle, so a driver's timer can never spin.

use proptest::prelude::*;
use serde_json::{json, Value};

use super::session::no_jitter;
use crate::core::{
    protocol::{classify, FrameKind},
    token::Token,
    Heartbeat, ReconnectPolicy,
};
use crate::core::{session::*, *};

#[derive(Debug, Clone)]
enum Input {
    Token { lifetime_s: Option<u8> },
    TokenUnauthorized,
    TokenUnavailable,
    Open,
    AuthResponse(bool),
    ReauthResponse(bool),
    Pong,
    Ping,
    AppMessage,
    ErrorFrame,
    InvalidFrame,
    ServerClose(u16),
    Advance(u32),
    Send,
    Close,
    Network(bool),
}

fn input() -> impl Strategy<Value = Input> {
    prop_oneof![
        3 => proptest::option::of(1u8..120).prop_map(|lifetime_s| Input::Token { lifetime_s }),
        1 => Just(Input::TokenUnauthorized),
        1 => Just(Input::TokenUnavailable),
        3 => Just(Input::Open),
        3 => any::<bool>().prop_map(Input::AuthResponse),
        1 => any::<bool>().prop_map(Input::ReauthResponse),
        1 => Just(Input::Pong),
        1 => Just(Input::Ping),
        2 => Just(Input::AppMessage),
        1 => Just(Input::ErrorFrame),
        1 => Just(Input::InvalidFrame),
        2 => prop_oneof![Just(1000u16), Just(1001), Just(1006), Just(4001), Just(4003), Just(4008)]
            .prop_map(Input::ServerClose),
        4 => (0u32..40_000).prop_map(Input::Advance),
        4 => Just(Input::Send),
        1 => Just(Input::Close),
        1 => any::<bool>().prop_map(Input::Network),
    ]
}

fn config() -> impl Strategy<Value = Config> {
    (any::<bool>(), 0u32..4, any::<bool>(), 1usize..6).prop_map(|(jitter, max_attempts, heartbeat, queue)| {
        let mut config = no_jitter();
        config.reconnect.jitter = jitter;
        config.reconnect.max_attempts = max_attempts;
        config.reauth_interval_ms = 30_000;
        config.max_queued_messages = queue;
        config.heartbeat = heartbeat.then_some(Heartbeat { interval_ms: 10_000, timeout_ms: 3000 });
        config
    })
}

/// What the checker knows from watching the actions go by.
#[derive(Default)]
struct Observer {
    /// An `auth` frame went out on the current connection.
    auth_sent: bool,
    /// An `auth_response` success was delivered after that `auth`.
    confirmed: bool,
    /// Sequence numbers of app frames sent so far, in order.
    sent: Vec<u64>,
    /// Sends the core accepted.
    accepted: u64,
    /// Queued messages the final error said were discarded.
    discarded: u64,
    user_closed: bool,
    tokens: Vec<String>,
}

impl Observer {
    fn check(&mut self, action: &Action<Value>, policy: &ReconnectPolicy) -> Result<(), TestCaseError> {
        let shown = format!("{action:?}");
        for token in &self.tokens {
            prop_assert!(!shown.contains(token.as_str()), "a token in Debug output: {shown}");
        }
        match action {
            Action::OpenSocket | Action::CloseSocket { .. } | Action::Emit(Event::Close { .. }) => {
                (self.auth_sent, self.confirmed) = (false, false);
            }
            Action::Emit(Event::Reconnecting { attempt, delay_ms }) => {
                let ceiling =
                    policy.base_delay_ms.saturating_mul(1 << (attempt - 1).min(40)).min(policy.max_delay_ms);
                prop_assert!(*delay_ms <= ceiling, "delay {delay_ms} over {ceiling} for attempt {attempt}");
            }
            Action::Emit(Event::Error(error)) => {
                if let Some(count) = error.message.split("; ").nth(1).and_then(|s| s.split(' ').next()) {
                    self.discarded += count.parse::<u64>().unwrap_or(0);
                }
            }
            Action::Send(frame) => {
                self.auth_sent |= frame.kind() == FrameKind::Auth;
                let is_token_frame = matches!(frame.kind(), FrameKind::Auth | FrameKind::Reauth);
                for token in &self.tokens {
                    prop_assert!(
                        is_token_frame || !frame.text().contains(token.as_str()),
                        "token outside auth: {frame:?}"
                    );
                }
            }
            Action::SendApp(text) => {
                prop_assert!(self.confirmed, "app frame before auth_response success: {text}");
                let value: Value = serde_json::from_str(text).unwrap();
                let seq = value["seq"].as_u64().unwrap();
                if let Some(last) = self.sent.last() {
                    prop_assert!(seq > *last, "out of order or repeated: {seq} after {last}");
                }
                self.sent.push(seq);
            }
            _ => {}
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn session_invariants_hold_for_any_event_sequence(config in config(), seed: u64, inputs in prop::collection::vec(input(), 1..80)) {
        let policy = config.reconnect;
        let mut core: SessionCore<Value> = SessionCore::new(config, seed, 0);
        let mut now: Millis = 0;
        let mut observer = Observer::default();
        let mut next_token = 0;
        let mut next_seq = 0;

        for input in inputs {
            match input {
                Input::Token { lifetime_s } => {
                    next_token += 1;
                    let token = format!("tok{next_token}-SECRET");
                    observer.tokens.push(token.clone());
                    let grant = TokenGrant { token: Token::new(token).unwrap(), lifetime_ms: lifetime_s.map(|s| u64::from(s) * 1000) };
                    core.handle_token(now, Ok(grant));
                }
                Input::TokenUnauthorized => core.handle_token(now, Err(TokenError::Unauthorized)),
                Input::TokenUnavailable => core.handle_token(now, Err(TokenError::Unavailable("503".into()))),
                Input::Open => core.handle_open(now),
                Input::AuthResponse(success) => {
                    // What the invariant is measured against: the server's confirmation of the
                    // `auth` this connection sent.
                    observer.confirmed |= success && observer.auth_sent;
                    core.handle_frame(now, classify(json!({"type": "auth_response", "success": success, "userId": "u"})).unwrap());
                }
                Input::ReauthResponse(success) => core.handle_frame(now, classify(json!({"type": "reauth_response", "success": success})).unwrap()),
                Input::Pong => core.handle_frame(now, Inbound::Pong),
                Input::Ping => core.handle_frame(now, Inbound::Ping),
                Input::AppMessage => core.handle_frame(now, Inbound::App(json!({"type": "chat"}))),
                Input::ErrorFrame => core.handle_frame(now, Inbound::Error { code: "x".into(), message: "y".into() }),
                Input::InvalidFrame => core.handle_invalid_frame(FrameError::NotJson),
                Input::ServerClose(code) => core.handle_close(now, code, String::new()),
                Input::Advance(ms) => {
                    let end = now + u64::from(ms);
                    // Firings at one instant (a 0 ms jittered backoff is legal) must settle:
                    // a driver's timer loop can never spin.
                    let mut firings_at_this_instant = 0;
                    while let Some(at) = core.poll_timeout().filter(|at| *at <= end) {
                        firings_at_this_instant = if at <= now { firings_at_this_instant + 1 } else { 0 };
                        prop_assert!(firings_at_this_instant < 5, "timeouts at {now} do not settle: the driver would spin");
                        now = now.max(at);
                        core.handle_timeout(now);
                        while let Some(action) = core.poll_action() {
                            observer.check(&action, &policy)?;
                            prop_assert!(!observer.user_closed, "action after close(): {action:?}");
                        }
                    }
                    now = end;
                }
                Input::Send => {
                    next_seq += 1;
                    if core.send(format!(r#"{{"type":"m","seq":{next_seq}}}"#)).is_ok() {
                        observer.accepted += 1;
                    }
                }
                Input::Close => {
                    let was_closed = core.state() == State::Closed;
                    // close() discards the queue by design (documented); queuedCount showed it.
                    observer.discarded += core.queued_count() as u64;
                    core.close(now);
                    while let Some(action) = core.poll_action() {
                        observer.check(&action, &policy)?;
                        prop_assert!(!was_closed || !observer.user_closed, "close() on a closed session acted: {action:?}");
                    }
                    observer.user_closed = true;
                    continue;
                }
                Input::Network(online) => core.handle_network(now, online),
            }
            while let Some(action) = core.poll_action() {
                observer.check(&action, &policy)?;
                prop_assert!(!observer.user_closed, "action after close(): {action:?}");
            }
            prop_assert!(!format!("{core:?}").contains("SECRET"), "a token in the core's Debug output");
        }
        // Nothing accepted is lost unannounced: sent, still queued, or counted as discarded.
        let queued = core.queued_count() as u64;
        prop_assert_eq!(observer.accepted, observer.sent.len() as u64 + queued + observer.discarded);
    }
}
