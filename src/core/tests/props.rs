//! Property test: random sequences of everything the outside world can do to a session, checking
//! after every step the invariants that matter for safety, and at the end one for liveness.
//!
//! Safety:
//! - the first frame on every connection is `auth`;
//! - never two sockets at once: a socket is closed (by the SDK or the peer) before the next opens;
//! - no application frame goes out on a connection before that connection authenticated;
//! - accepted sends leave in order and at most once, and none is lost without being reported;
//! - after `close()` no action of any kind comes out, whatever happens next;
//! - every backoff delay is within `[0, min(base·2ⁿ, max)]`;
//! - a token appears only in `auth` / `reauth` frames: never in another frame, event or `Debug`;
//! - events from a replaced socket or answers to an abandoned token request change nothing;
//! - timeouts at one instant always settle, so a driver's timer can never spin.
//!
//! Liveness: from wherever the random sequence left it, a session that is not closed reaches
//! `authenticated` within a bounded time once the network, the page and the server all work.

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
    Token {
        lifetime_s: Option<u32>,
    },
    TokenUnauthorized,
    TokenUnavailable,
    StaleToken,
    Open,
    AuthResponse(bool),
    ReauthResponse(bool),
    Pong,
    Ping,
    AppMessage,
    ErrorFrame,
    InvalidFrame,
    ServerClose(u16),
    StaleClose,
    StaleFrame,
    Advance(u32),
    /// The driver's timer fires before the deadline (the wasm `Session` keeps an earlier timer
    /// rather than re-arming it for a later deadline).
    EarlyTimer,
    Send,
    Close,
    Network(bool),
    Page(PageEvent),
}

fn input() -> impl Strategy<Value = Input> {
    prop_oneof![
        3 => proptest::option::of(prop_oneof![1u32..120, Just(u32::MAX)]).prop_map(|lifetime_s| Input::Token { lifetime_s }),
        1 => Just(Input::TokenUnauthorized),
        1 => Just(Input::TokenUnavailable),
        1 => Just(Input::StaleToken),
        3 => Just(Input::Open),
        3 => any::<bool>().prop_map(Input::AuthResponse),
        1 => any::<bool>().prop_map(Input::ReauthResponse),
        1 => Just(Input::Pong),
        1 => Just(Input::Ping),
        2 => Just(Input::AppMessage),
        1 => Just(Input::ErrorFrame),
        1 => Just(Input::InvalidFrame),
        2 => prop_oneof![Just(1000u16), Just(1001), Just(1006), Just(1011), Just(4001), Just(4003), Just(4008)]
            .prop_map(Input::ServerClose),
        1 => Just(Input::StaleClose),
        1 => Just(Input::StaleFrame),
        4 => (0u32..40_000).prop_map(Input::Advance),
        1 => Just(Input::EarlyTimer),
        4 => Just(Input::Send),
        1 => Just(Input::Close),
        1 => any::<bool>().prop_map(Input::Network),
        1 => prop_oneof![Just(PageEvent::Visible), Just(PageEvent::Suspend), Just(PageEvent::Resume)].prop_map(Input::Page),
    ]
}

fn config() -> impl Strategy<Value = Config> {
    (any::<bool>(), 0u32..4, any::<bool>(), 1usize..6, any::<bool>(), 0u64..20_000).prop_map(
        |(jitter, max_attempts, heartbeat, queue, subscriptions, min_uptime_ms)| {
            let mut config = no_jitter();
            config.reconnect.jitter = jitter;
            config.reconnect.max_attempts = max_attempts;
            config.reconnect.min_uptime_ms = min_uptime_ms;
            config.reauth_interval_ms = 30_000;
            config.max_queued_messages = queue;
            config.subscriptions = subscriptions;
            config.heartbeat = heartbeat.then_some(Heartbeat { interval_ms: 10_000, timeout_ms: 3000 });
            config
        },
    )
}

/// What the checker knows from watching the actions go by: it plays the browser, so it also
/// knows which socket and token request are current.
#[derive(Default)]
struct Observer {
    /// The socket open now, as the browser sees it.
    socket: Option<ConnectionId>,
    /// The last socket ever opened (for stale inputs once it is gone).
    last_socket: Option<ConnectionId>,
    /// Frames sent on the current socket so far.
    frames_on_socket: u32,
    /// An `auth` frame went out on the current socket.
    auth_sent: bool,
    /// An `auth_response` success was delivered after that `auth`.
    confirmed: bool,
    /// The token request the core made last, and the ones it abandoned.
    request: Option<RequestId>,
    abandoned: Vec<RequestId>,
    subscriptions_asked: Option<ConnectionId>,
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
            Action::OpenSocket(conn) => {
                prop_assert!(self.socket.is_none(), "two sockets at once: {:?} still open", self.socket);
                self.socket = Some(*conn);
                self.last_socket = Some(*conn);
                (self.frames_on_socket, self.auth_sent, self.confirmed) = (0, false, false);
            }
            Action::CloseSocket { .. } => {
                self.socket = None;
                (self.auth_sent, self.confirmed) = (false, false);
            }
            Action::FetchToken(request) => self.request = Some(*request),
            Action::AbortTokenRequest(request) => self.abandoned.push(*request),
            Action::CollectSubscriptions(conn) => self.subscriptions_asked = Some(*conn),
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
                prop_assert!(self.socket.is_some(), "a frame with no socket open: {frame:?}");
                if self.frames_on_socket == 0 {
                    prop_assert_eq!(
                        frame.kind(),
                        FrameKind::Auth,
                        "the first frame on a connection must be auth"
                    );
                }
                self.frames_on_socket += 1;
                self.auth_sent |= frame.kind() == FrameKind::Auth;
                let is_token_frame = matches!(frame.kind(), FrameKind::Auth | FrameKind::Reauth);
                for token in &self.tokens {
                    prop_assert!(
                        is_token_frame || !frame.text().contains(token.as_str()),
                        "token outside auth: {frame:?}"
                    );
                }
            }
            Action::SendApp { message: text, .. } => {
                prop_assert!(self.confirmed, "app frame before auth_response success: {text}");
                prop_assert!(self.frames_on_socket > 0, "an app frame before auth");
                self.frames_on_socket += 1;
                let value: Value = serde_json::from_str(text).unwrap();
                if let Some(seq) = value["seq"].as_u64() {
                    if let Some(last) = self.sent.last() {
                        prop_assert!(seq > *last, "out of order or repeated: {seq} after {last}");
                    }
                    self.sent.push(seq);
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// Runs every pending action through the observer, answering `CollectSubscriptions` in line as
/// the driver does.
fn pump(
    core: &mut SessionCore<Value>,
    observer: &mut Observer,
    policy: &ReconnectPolicy,
) -> Result<(), TestCaseError> {
    while let Some(action) = core.poll_action() {
        observer.check(&action, policy)?;
        prop_assert!(!observer.user_closed, "action after close(): {action:?}");
        if let Action::CollectSubscriptions(conn) = action {
            core.handle_subscriptions(0, conn, Ok(vec![r#"{"type":"subscribe"}"#.to_owned()]));
        }
    }
    Ok(())
}

fn grant(token: &str, lifetime_ms: Option<Millis>) -> TokenGrant {
    TokenGrant { token: Token::new(token.to_owned()).unwrap(), lifetime_ms }
}

/// Plays a network, page and server that all work, and returns how long (virtual time) the
/// session took to authenticate, or `None` if it did not within `limit`.
fn heal(
    core: &mut SessionCore<Value>,
    now: &mut Millis,
    observer: &mut Observer,
    policy: &ReconnectPolicy,
    limit: Millis,
) -> Result<Option<Millis>, TestCaseError> {
    let start = *now;
    core.handle_network(*now, true);
    core.handle_page(*now, PageEvent::Resume);
    while *now - start <= limit {
        pump(core, observer, policy)?;
        if core.state() == State::Authenticated {
            return Ok(Some(*now - start));
        }
        if let (Some(request), State::Connecting) = (observer.request.take(), core.state()) {
            core.handle_token(*now, request, Ok(grant("healing-token", None)));
            continue;
        }
        if let (Some(conn), State::Connecting) = (observer.socket, core.state()) {
            core.handle_open(*now, conn);
            if core.state() == State::Connecting {
                // Waiting for the token: the answer comes next turn.
                pump(core, observer, policy)?;
            }
            continue;
        }
        if let (Some(conn), State::Authenticating) = (observer.socket, core.state()) {
            observer.confirmed |= observer.auth_sent;
            let ok = json!({"type": "auth_response", "success": true, "userId": "u"});
            core.handle_frame(*now, conn, classify(ok).unwrap());
            continue;
        }
        match core.poll_timeout() {
            Some(at) => {
                *now = (*now).max(at);
                core.handle_timeout(*now);
            }
            None => return Ok(None),
        }
    }
    Ok(None)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn session_invariants_hold_for_any_event_sequence(config in config(), seed: u64, online: bool, inputs in prop::collection::vec(input(), 1..80)) {
        let policy = config.reconnect;
        let auth_timeout = config.auth_timeout_ms;
        let mut core: SessionCore<Value> = SessionCore::new(config, seed, 0, online);
        let mut now: Millis = 0;
        let mut observer = Observer::default();
        let mut next_token = 0;
        let mut next_seq = 0;
        pump(&mut core, &mut observer, &policy)?;

        for input in inputs {
            let socket = observer.socket;
            match input {
                Input::Token { lifetime_s } => {
                    next_token += 1;
                    let token = format!("tok{next_token}-SECRET");
                    observer.tokens.push(token.clone());
                    if let Some(request) = observer.request.take() {
                        core.handle_token(now, request, Ok(grant(&token, lifetime_s.map(|s| u64::from(s) * 1000))));
                    }
                }
                Input::TokenUnauthorized => if let Some(request) = observer.request.take() {
                    core.handle_token(now, request, Err(TokenError::Unauthorized));
                },
                Input::TokenUnavailable => if let Some(request) = observer.request.take() {
                    core.handle_token(now, request, Err(TokenError::Unavailable("503".into())));
                },
                Input::StaleToken => {
                    if let Some(request) = observer.abandoned.last().copied() {
                        let state = core.state();
                        core.handle_token(now, request, Err(TokenError::Unauthorized));
                        prop_assert_eq!(core.state(), state, "an abandoned request's answer changed the state");
                        prop_assert!(core.poll_action().is_none(), "an abandoned request's answer acted");
                    }
                }
                Input::Open => if let Some(conn) = socket { core.handle_open(now, conn) },
                Input::AuthResponse(success) => if let Some(conn) = socket {
                    // What the invariant is measured against: the server's confirmation of the
                    // `auth` this connection sent.
                    observer.confirmed |= success && observer.auth_sent;
                    core.handle_frame(now, conn, classify(json!({"type": "auth_response", "success": success, "userId": "u"})).unwrap());
                },
                Input::ReauthResponse(success) => if let Some(conn) = socket {
                    core.handle_frame(now, conn, classify(json!({"type": "reauth_response", "success": success})).unwrap());
                },
                Input::Pong => if let Some(conn) = socket { core.handle_frame(now, conn, Inbound::Pong) },
                Input::Ping => if let Some(conn) = socket { core.handle_frame(now, conn, Inbound::Ping) },
                Input::AppMessage => if let Some(conn) = socket { core.handle_frame(now, conn, Inbound::App(json!({"type": "chat"}))) },
                Input::ErrorFrame => if let Some(conn) = socket {
                    core.handle_frame(now, conn, Inbound::Error { code: "x".into(), message: "y".into() });
                },
                Input::InvalidFrame => if let Some(conn) = socket { core.handle_invalid_frame(conn, FrameError::NotJson) },
                Input::ServerClose(code) => if let Some(conn) = socket {
                    // The browser reports the close, and the socket is gone for the observer too.
                    observer.socket = None;
                    (observer.auth_sent, observer.confirmed) = (false, false);
                    core.handle_close(now, conn, code, String::new());
                },
                Input::StaleClose | Input::StaleFrame => {
                    if let Some(stale) = observer.last_socket.filter(|c| Some(*c) != socket) {
                        let state = core.state();
                        if matches!(input, Input::StaleClose) {
                            core.handle_close(now, stale, 1006, String::new());
                        } else {
                            core.handle_frame(now, stale, Inbound::App(json!({"type": "late"})));
                        }
                        prop_assert_eq!(core.state(), state, "a replaced socket's event changed the state");
                        prop_assert!(core.poll_action().is_none(), "a replaced socket's event acted");
                    }
                }
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
                        pump(&mut core, &mut observer, &policy)?;
                    }
                    now = end;
                }
                Input::EarlyTimer => {
                    if let Some(at) = core.poll_timeout().filter(|at| *at > now) {
                        let state = core.state();
                        core.handle_timeout(now);
                        prop_assert!(core.poll_action().is_none(), "a timer fired early acted");
                        prop_assert_eq!(core.state(), state, "a timer fired early changed the state");
                        prop_assert_eq!(core.poll_timeout(), Some(at), "a timer fired early moved the deadline");
                    }
                }
                Input::Send => {
                    next_seq += 1;
                    if core.send(now, format!(r#"{{"type":"m","seq":{next_seq}}}"#), false).is_ok() {
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
                Input::Page(event) => core.handle_page(now, event),
            }
            pump(&mut core, &mut observer, &policy)?;
            prop_assert!(!format!("{core:?}").contains("SECRET"), "a token in the core's Debug output");
        }
        // Nothing accepted is lost unannounced: sent, still queued, or counted as discarded.
        let queued = core.queued_count() as u64;
        prop_assert_eq!(observer.accepted, observer.sent.len() as u64 + queued + observer.discarded);

        // Liveness: whatever happened, a session that is not closed heals within one maximum
        // backoff plus the deadlines of one attempt (a connect or auth timeout in flight).
        if core.state() != State::Closed && !observer.user_closed {
            let bound = policy.max_delay_ms + 3 * auth_timeout + 40_000;
            let healed = heal(&mut core, &mut now, &mut observer, &policy, bound)?;
            prop_assert!(
                healed.is_some() || core.state() == State::Closed,
                "stuck in {:?} with a working network and server", core.state()
            );
        }
    }
}
