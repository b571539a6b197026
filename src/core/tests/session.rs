//! Lifecycle tests on a virtual clock: each drives the core as the browser driver would, with
//! time stepped to the core's own deadlines, so timeouts and backoff take no real time.

use serde_json::{json, Value};

use crate::core::{
    config::{Heartbeat, MAX_DURATION_MS},
    protocol::classify,
    session::*,
    token::Token,
    *,
};

/// A driver with a virtual clock and an in-memory record of what the core asked for. It answers
/// on the socket and token request the core named last, as the browser driver does.
pub(crate) struct Harness {
    pub core: SessionCore<Value>,
    pub now: Millis,
    tokens_issued: u32,
    /// The socket the core opened last.
    pub conn: ConnectionId,
    /// The token request the core made last.
    pub request: Option<RequestId>,
    /// What `subscriptions` answers with when the core asks.
    pub subscriptions: Vec<String>,
}

pub(super) fn no_jitter() -> Config {
    Config { reconnect: ReconnectPolicy { jitter: false, ..ReconnectPolicy::default() }, ..Config::default() }
}

impl Harness {
    pub fn new(config: Config) -> Self {
        Self::with_network(config, true)
    }

    pub fn with_network(config: Config, online: bool) -> Self {
        Self {
            core: SessionCore::new(config, 7, 0, online),
            now: 0,
            tokens_issued: 0,
            conn: ConnectionId(0),
            request: None,
            subscriptions: Vec::new(),
        }
    }

    /// Takes every pending action, noting the ids of sockets and token requests, and answering
    /// `CollectSubscriptions` before the next action as the driver does.
    pub fn drain(&mut self) -> Vec<Action<Value>> {
        let mut actions = Vec::new();
        while let Some(action) = self.core.poll_action() {
            match &action {
                Action::OpenSocket(conn) => self.conn = *conn,
                Action::FetchToken(request) => self.request = Some(*request),
                Action::CollectSubscriptions(conn) => {
                    let conn = *conn;
                    self.core.handle_subscriptions(self.now, conn, Ok(self.subscriptions.clone()));
                }
                _ => {}
            }
            actions.push(action);
        }
        actions
    }

    /// Moves the clock to the core's next deadline and fires it; returns the time waited.
    pub fn fire_next_timeout(&mut self) -> Millis {
        let at = self.core.poll_timeout().expect("a timer should be armed");
        let waited = at - self.now;
        self.now = at;
        self.core.handle_timeout(self.now);
        waited
    }

    /// Moves the clock forward by `ms`, firing every deadline on the way.
    pub fn advance(&mut self, ms: Millis) {
        let end = self.now + ms;
        while let Some(at) = self.core.poll_timeout().filter(|at| *at <= end) {
            self.now = self.now.max(at);
            self.core.handle_timeout(self.now);
        }
        self.now = end;
    }

    /// Answers the last token request with a new, distinct token.
    pub fn give_token(&mut self, lifetime_ms: Option<Millis>) -> String {
        self.tokens_issued += 1;
        let token = format!("token-{}", self.tokens_issued);
        let grant = TokenGrant { token: Token::new(token.clone()).unwrap(), lifetime_ms };
        self.token_result(Ok(grant));
        token
    }

    /// Answers the last token request with `result`.
    pub fn token_result(&mut self, result: Result<TokenGrant, TokenError>) {
        let request = self.request.expect("a token request was made");
        self.core.handle_token(self.now, request, result);
    }

    /// The user's `send()`, without a receipt.
    pub fn send(&mut self, message: String) -> Result<MessageId, SendError> {
        self.core.send(self.now, message, false)
    }

    /// The current socket opened.
    pub fn open(&mut self) {
        self.core.handle_open(self.now, self.conn);
    }

    /// The current socket was closed by the server or the network.
    pub fn closed_by_peer(&mut self, code: u16, reason: String) {
        self.core.handle_close(self.now, self.conn, code, reason);
    }

    pub fn invalid(&mut self, error: FrameError) {
        self.core.handle_invalid_frame(self.conn, error);
    }

    pub fn frame(&mut self, value: Value) {
        self.core.handle_frame(self.now, self.conn, classify(value).unwrap());
    }

    pub fn auth_ok(&mut self) {
        self.frame(json!({"type": "auth_response", "success": true, "userId": "alice"}));
    }

    /// Runs what is pending, then gives the token and opens the socket: `auth` is sent and the
    /// server's answer comes next.
    pub fn connect_until_auth(&mut self) {
        self.drain();
        self.give_token(None);
        self.open();
        self.drain();
    }

    /// From a fresh connect to authenticated; returns the actions of the last step.
    pub fn authenticate(&mut self) -> Vec<Action<Value>> {
        self.connect_until_auth();
        self.auth_ok();
        self.drain()
    }
}

/// What the actions hold of one kind, in order.
fn pick<'a, T>(actions: &'a [Action<Value>], f: impl Fn(&'a Action<Value>) -> Option<T>) -> Vec<T> {
    actions.iter().filter_map(f).collect()
}

/// Every frame sent, protocol and application alike, in order.
fn sent_texts(actions: &[Action<Value>]) -> Vec<String> {
    pick(actions, |a| match a {
        Action::Send(frame) => Some(frame.text().to_owned()),
        Action::SendApp { message, .. } => Some(message.clone()),
        _ => None,
    })
}

/// The actions in brief, for comparing sequences.
fn shape(actions: &[Action<Value>]) -> Vec<&'static str> {
    actions
        .iter()
        .map(|a| match a {
            Action::FetchToken(_) => "fetch",
            Action::AbortTokenRequest(_) => "abort",
            Action::OpenSocket(_) => "open",
            Action::Send(_) => "send",
            Action::SendApp { .. } => "send_app",
            Action::CloseSocket { .. } => "close",
            Action::CollectSubscriptions(_) => "subscriptions",
            Action::MeasureBuffered(_) => "measure_buffered",
            Action::Emit(Event::State(state)) => match state {
                State::Connecting => "state:connecting",
                State::Authenticating => "state:authenticating",
                State::Authenticated => "state:authenticated",
                State::Reconnecting => "state:reconnecting",
                State::Closed => "state:closed",
            },
            Action::Emit(_) => "event",
            Action::Replicate(_) => "replicate",
        })
        .collect()
}

fn events(actions: &[Action<Value>]) -> Vec<&Event<Value>> {
    pick(actions, |a| if let Action::Emit(event) = a { Some(event) } else { None })
}

fn error_codes(actions: &[Action<Value>]) -> Vec<String> {
    pick(actions, |a| match a {
        Action::Emit(event) => super::reported_error(event).map(|error| error.code.as_str().to_owned()),
        _ => None,
    })
}

fn closes(actions: &[Action<Value>]) -> Vec<u16> {
    pick(actions, |a| if let Action::CloseSocket { code, .. } = a { Some(*code) } else { None })
}

fn reconnect_delays(actions: &[Action<Value>]) -> Vec<Millis> {
    pick(actions, |a| match a {
        Action::Emit(Event::Reconnecting { delay_ms, .. }) => Some(*delay_ms),
        _ => None,
    })
}

#[test]
fn starts_by_fetching_a_token_and_opening_a_socket_in_parallel() {
    let mut h = Harness::new(Config::default());
    assert_eq!(shape(&h.drain()), ["fetch", "open"]);
    assert_eq!(h.core.state(), State::Connecting);
}

#[test]
fn auth_is_the_first_frame_whichever_of_token_and_open_comes_first() {
    for token_first in [true, false] {
        let mut h = Harness::new(Config::default());
        h.drain();
        h.send(r#"{"type":"early"}"#.into()).unwrap();
        let token = if token_first {
            let t = h.give_token(None);
            assert!(sent_texts(&h.drain()).is_empty(), "nothing may go out before the socket opens");
            h.open();
            t
        } else {
            h.open();
            assert!(sent_texts(&h.drain()).is_empty(), "nothing may go out before the token");
            h.give_token(None)
        };
        let sent = sent_texts(&h.drain());
        assert_eq!(
            sent,
            [format!(r#"{{"type":"auth","token":"{token}","resume":{{"sessionId":null,"lastSeq":0}}}}"#)]
        );
        assert_eq!(h.core.state(), State::Authenticating);
    }
}

#[test]
fn queued_sends_flush_in_order_after_auth_and_not_before() {
    let mut h = Harness::new(Config::default());
    h.drain();
    for i in 0..3 {
        h.send(format!(r#"{{"type":"m","i":{i}}}"#)).unwrap();
    }
    assert_eq!(h.core.queued_count(), 3);
    h.give_token(None);
    h.open();
    let before = sent_texts(&h.drain());
    assert_eq!(before.len(), 1, "only auth before auth_response: {before:?}");
    h.auth_ok();
    let actions = h.drain();
    assert_eq!(
        sent_texts(&actions),
        [r#"{"type":"m","i":0}"#, r#"{"type":"m","i":1}"#, r#"{"type":"m","i":2}"#]
    );
    assert_eq!(h.core.queued_count(), 0);
    let first_event = actions.iter().position(|a| matches!(a, Action::Emit(_))).unwrap();
    let last_send = actions.iter().rposition(|a| matches!(a, Action::SendApp { .. })).unwrap();
    assert!(last_send < first_event, "queued sends leave before any handler can run");
    assert!(
        events(&actions).contains(&&Event::Authenticated { user_id: Some("alice".into()), resumed: false })
    );
}

#[test]
fn sends_after_auth_go_straight_out() {
    let mut h = Harness::new(Config::default());
    h.drain();
    h.authenticate();
    h.send(r#"{"type":"now"}"#.into()).unwrap();
    assert_eq!(sent_texts(&h.drain()), [r#"{"type":"now"}"#]);
    assert_eq!(h.core.queued_count(), 0);
}

#[test]
fn auth_timeout_closes_4001_and_reconnects_with_a_new_token() {
    let mut h = Harness::new(no_jitter());
    h.connect_until_auth();
    assert_eq!(h.fire_next_timeout(), 5000);
    let actions = h.drain();
    assert_eq!(closes(&actions), [4001]);
    assert_eq!(h.core.state(), State::Reconnecting);
    assert_eq!(reconnect_delays(&actions), [1000]);
    assert_eq!(h.fire_next_timeout(), 1000);
    assert_eq!(shape(&h.drain()), ["fetch", "open", "state:connecting"]);
    let second = h.give_token(None);
    h.open();
    assert!(sent_texts(&h.drain())[0].contains(&second));
}

#[test]
fn auth_rejection_closes_4003_reports_and_reconnects() {
    let mut h = Harness::new(no_jitter());
    h.connect_until_auth();
    h.frame(json!({"type": "auth_response", "success": false, "error": "invalid token"}));
    let actions = h.drain();
    assert_eq!(closes(&actions), [4003]);
    assert_eq!(error_codes(&actions), ["auth_failed"]);
    assert!(events(&actions).contains(&&Event::Close {
        code: 4003,
        reason: "authentication failed".into(),
        will_reconnect: true
    }));
    assert_ne!(h.core.state(), State::Authenticated);
    assert_eq!(h.core.state(), State::Reconnecting);
}

#[test]
fn backoff_doubles_per_failure_and_resets_once_a_connection_stays_up() {
    let mut h = Harness::new(no_jitter());
    h.drain();
    let mut delays = vec![];
    for _ in 0..4 {
        h.closed_by_peer(1006, String::new());
        delays.extend(reconnect_delays(&h.drain()));
        h.fire_next_timeout();
        h.drain();
    }
    assert_eq!(delays, [1000, 2000, 4000, 8000]);
    h.authenticate();
    h.now += 5000; // reconnect.minUptimeMs
    h.closed_by_peer(1006, String::new());
    assert_eq!(reconnect_delays(&h.drain()), [1000]);
}

#[test]
fn a_server_that_drops_every_connection_right_after_auth_cannot_defeat_the_backoff() {
    for code in [1011, 4008, 4009] {
        let mut h = Harness::new(no_jitter());
        let mut delays = vec![];
        let mut authenticated = 0;
        while h.core.state() != State::Closed {
            h.authenticate();
            authenticated += 1;
            h.now += 10; // accepted, then closed at once
            h.closed_by_peer(code, String::new());
            let actions = h.drain();
            delays.extend(reconnect_delays(&actions));
            if h.core.state() == State::Closed {
                assert_eq!(error_codes(&actions), ["reconnect_failed"]);
                break;
            }
            h.fire_next_timeout();
        }
        assert_eq!(
            delays,
            [1000, 2000, 4000, 8000, 16000],
            "close {code}: every early close is a failed attempt"
        );
        assert_eq!(authenticated, 6, "close {code}: bounded by maxAttempts");
    }
}

#[test]
fn the_uptime_that_heals_is_configurable() {
    let mut config = no_jitter();
    config.reconnect.min_uptime_ms = 60_000;
    let mut h = Harness::new(config);
    h.drain();
    h.closed_by_peer(1006, String::new());
    h.drain();
    h.fire_next_timeout();
    h.authenticate();
    h.now += 59_999;
    h.closed_by_peer(1006, String::new());
    let actions = h.drain();
    assert_eq!(reconnect_delays(&actions), [2000], "59.999 s is not long enough: {actions:?}");
    h.fire_next_timeout();
    h.authenticate();
    h.now += 60_000;
    h.closed_by_peer(1006, String::new());
    assert_eq!(reconnect_delays(&h.drain()), [1000]);
}

#[test]
fn jittered_delays_are_drawn_within_the_exponential_ceiling() {
    let mut h = Harness::new(Config::default());
    h.drain();
    for n in 0..5u32 {
        h.closed_by_peer(1006, String::new());
        let delays = reconnect_delays(&h.drain());
        assert!(delays[0] <= 1000 << n, "attempt {n}: {delays:?}");
        h.fire_next_timeout();
        h.drain();
    }
}

#[test]
fn gives_up_after_max_attempts_and_ends_closed() {
    let mut config = no_jitter();
    config.reconnect.max_attempts = 2;
    let mut h = Harness::new(config);
    h.drain();
    h.send(r#"{"type":"lost"}"#.into()).unwrap();
    for _ in 0..2 {
        h.closed_by_peer(1006, String::new());
        h.fire_next_timeout();
        h.drain();
    }
    h.closed_by_peer(1006, String::new());
    let actions = h.drain();
    assert_eq!(error_codes(&actions), ["reconnect_failed"]);
    assert!(events(&actions).contains(&&Event::Close {
        code: 1006,
        reason: String::new(),
        will_reconnect: false
    }));
    assert_eq!(h.core.state(), State::Closed);
    assert_eq!(h.core.poll_timeout(), None);
    let Some(Event::Error(error)) = events(&actions).into_iter().find(|e| matches!(e, Event::Error(_)))
    else {
        unreachable!()
    };
    assert!(error.message.contains("1 queued messages were discarded"), "{}", error.message);
}

#[test]
fn unauthorized_token_ends_closed_without_any_retry() {
    let mut h = Harness::new(no_jitter());
    h.drain();
    h.token_result(Err(TokenError::Unauthorized));
    let actions = h.drain();
    assert_eq!(error_codes(&actions), ["unauthorized"]);
    assert_eq!(closes(&actions), [1000], "the socket opened in parallel is closed");
    assert_eq!(h.core.state(), State::Closed);
    assert_eq!(h.core.poll_timeout(), None, "no timer left that could retry");
    h.advance(1_000_000);
    assert!(h.drain().is_empty());
}

#[test]
fn a_transient_token_failure_is_retried_with_backoff() {
    let mut h = Harness::new(no_jitter());
    h.drain();
    h.token_result(Err(TokenError::Unavailable("HTTP 503".into())));
    let actions = h.drain();
    assert_eq!(error_codes(&actions), ["token_unavailable"]);
    assert_eq!(reconnect_delays(&actions), [1000]);
    h.fire_next_timeout();
    assert!(shape(&h.drain()).contains(&"fetch"));
}

/// A live connection whose re-auth gets no token (the endpoint fails) keeps its socket and asks
/// again: after the reconnect backoff's delay for the failures in a row, never sooner than a
/// second, and from the start once a re-auth succeeds, so that clients do not retry in step.
fn reauth_retry_gaps(config: Config, failures: usize) -> (Harness, Vec<Millis>) {
    let mut h = Harness::new(Config { reauth_interval_ms: 60_000, ..config });
    h.authenticate();
    assert_eq!(h.fire_next_timeout(), 60_000, "the periodic re-auth");
    h.drain();
    let mut gaps = Vec::new();
    for _ in 0..failures {
        h.token_result(Err(TokenError::Unavailable("HTTP 503".into())));
        assert_eq!(error_codes(&h.drain()), ["token_unavailable"]);
        gaps.push(h.fire_next_timeout());
        assert!(shape(&h.drain()).contains(&"fetch"), "asked again");
    }
    assert_eq!(h.core.state(), State::Authenticated, "the working socket stays");
    (h, gaps)
}

#[test]
fn a_reauth_without_a_token_is_retried_with_the_reconnect_backoff() {
    let (mut h, gaps) = reauth_retry_gaps(no_jitter(), 7);
    assert_eq!(gaps, [1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    // Success starts the count again.
    h.give_token(None);
    h.drain();
    h.frame(json!({"type": "reauth_response", "success": true}));
    assert_eq!(h.fire_next_timeout(), 60_000);
    h.drain();
    h.token_result(Err(TokenError::Unavailable("HTTP 503".into())));
    h.drain();
    assert_eq!(h.fire_next_timeout(), 1000, "the first failure after a success");
    // With jitter (the default): drawn under the same ceilings, at least a second apart.
    let (_, gaps) = reauth_retry_gaps(Config::default(), 6);
    for (gap, ceiling) in gaps.iter().zip([1000, 2000, 4000, 8000, 16000, 30000]) {
        assert!((1000..=ceiling).contains(gap), "gap {gap} outside [1000, {ceiling}]: {gaps:?}");
    }
    assert_ne!(gaps, [1000, 2000, 4000, 8000, 16000, 30000], "jittered");
}

#[test]
fn a_reconnect_abandons_the_token_request_in_flight_and_makes_a_fresh_one() {
    let mut h = Harness::new(no_jitter());
    h.drain();
    let hung = h.request.unwrap();
    // The token endpoint never answers: the connect times out, and the request is aborted.
    assert_eq!(h.fire_next_timeout(), 5000);
    let actions = h.drain();
    assert!(actions.contains(&Action::AbortTokenRequest(hung)), "{actions:?}");
    h.fire_next_timeout();
    let actions = h.drain();
    assert_eq!(shape(&actions), ["fetch", "open", "state:connecting"]);
    assert_ne!(h.request, Some(hung), "the next attempt makes a fresh request");
    // A late answer to the abandoned request is ignored; the fresh one authenticates.
    h.core.handle_token(
        h.now,
        hung,
        Ok(TokenGrant { token: Token::new("stale".into()).unwrap(), lifetime_ms: None }),
    );
    h.open();
    assert!(sent_texts(&h.drain()).is_empty(), "a stale token must not be used");
    let fresh = h.give_token(None);
    assert_eq!(
        sent_texts(&h.drain()),
        [format!(r#"{{"type":"auth","token":"{fresh}","resume":{{"sessionId":null,"lastSeq":0}}}}"#)]
    );
}

#[test]
fn a_token_request_that_never_answers_cannot_wedge_the_session() {
    let mut h = Harness::new(Config {
        reconnect: ReconnectPolicy { max_attempts: 3, ..no_jitter().reconnect },
        ..no_jitter()
    });
    h.drain();
    let mut requests = vec![h.request.unwrap()];
    for _ in 0..3 {
        h.fire_next_timeout(); // connect timeout
        h.fire_next_timeout(); // backoff
        h.drain();
        requests.push(h.request.unwrap());
    }
    requests.dedup();
    assert_eq!(requests.len(), 4, "every attempt has its own request");
    // The endpoint recovers: the current attempt completes.
    h.give_token(None);
    h.open();
    h.drain();
    h.auth_ok();
    h.drain();
    assert_eq!(h.core.state(), State::Authenticated);
}

#[test]
fn a_reauth_timeout_aborts_its_token_request() {
    let config = Config { reauth_interval_ms: 60_000, ..no_jitter() };
    let mut h = Harness::new(config);
    h.authenticate();
    h.fire_next_timeout();
    h.drain();
    let reauth_request = h.request.unwrap();
    assert_eq!(h.fire_next_timeout(), 5000);
    let actions = h.drain();
    assert!(actions.contains(&Action::AbortTokenRequest(reauth_request)));
    assert_eq!(closes(&actions), [4001]);
}

#[test]
fn periodic_reauth_sends_a_fresh_token_on_the_live_connection() {
    let config = Config { reauth_interval_ms: 60_000, ..no_jitter() };
    let mut h = Harness::new(config);
    h.drain();
    h.authenticate();
    assert_eq!(h.fire_next_timeout(), 60_000);
    assert_eq!(shape(&h.drain()), ["fetch"]);
    h.send(r#"{"type":"during"}"#.into()).unwrap();
    assert_eq!(sent_texts(&h.drain()), [r#"{"type":"during"}"#], "sends keep flowing during re-auth");
    let fresh = h.give_token(None);
    assert_eq!(sent_texts(&h.drain()), [format!(r#"{{"type":"reauth","token":"{fresh}"}}"#)]);
    h.frame(json!({"type": "reauth_response", "success": true}));
    assert!(h.drain().is_empty(), "a successful re-auth is silent");
    assert_eq!(h.core.state(), State::Authenticated);
    assert_eq!(h.fire_next_timeout(), 60_000, "the next re-auth is scheduled");
}

#[test]
fn the_next_reauth_time_is_reported_only_while_authenticated() {
    let config = Config { reauth_interval_ms: 60_000, ..no_jitter() };
    let mut h = Harness::new(config);
    h.drain();
    assert_eq!(h.core.next_reauth_at(), None);
    h.authenticate();
    assert_eq!(h.core.next_reauth_at(), Some(60_000));
    h.closed_by_peer(1006, String::new());
    assert_eq!(h.core.next_reauth_at(), None);
}

#[test]
fn reauth_happens_before_the_token_expires() {
    let config = Config { reauth_interval_ms: 0, ..no_jitter() };
    let mut h = Harness::new(config);
    h.drain();
    h.give_token(Some(60_000));
    h.open();
    h.auth_ok();
    h.drain();
    assert_eq!(h.fire_next_timeout(), 48_000);
    assert_eq!(shape(&h.drain()), ["fetch"]);
}

#[test]
fn periodic_reauth_can_be_disabled() {
    let config = Config { reauth_interval_ms: 0, ..no_jitter() };
    let mut h = Harness::new(config);
    h.drain();
    h.authenticate();
    assert_eq!(h.core.poll_timeout(), None);
}

#[test]
fn failed_or_silent_reauth_replaces_the_connection() {
    for (answer, code) in [(Some(false), 4003), (None, 4001)] {
        let config = Config { reauth_interval_ms: 60_000, ..no_jitter() };
        let mut h = Harness::new(config);
        h.drain();
        h.authenticate();
        h.fire_next_timeout();
        h.drain();
        h.give_token(None);
        assert!(sent_texts(&h.drain())[0].starts_with(r#"{"type":"reauth""#));
        match answer {
            Some(success) => h.frame(json!({"type": "reauth_response", "success": success})),
            None => assert_eq!(h.fire_next_timeout(), 5000),
        }
        let actions = h.drain();
        assert_eq!(closes(&actions), [code]);
        assert_eq!(h.core.state(), State::Reconnecting);
    }
}

#[test]
fn heartbeat_detects_a_silent_server() {
    let heartbeat = Some(Heartbeat { interval_ms: 10_000, timeout_ms: 2000 });
    let mut h = Harness::new(Config { heartbeat, reauth_interval_ms: 0, ..no_jitter() });
    h.drain();
    h.authenticate();
    assert_eq!(h.fire_next_timeout(), 10_000);
    assert_eq!(sent_texts(&h.drain()), [r#"{"type":"ping"}"#]);
    h.frame(json!({"type": "pong"}));
    assert_eq!(h.fire_next_timeout(), 10_000, "a pong re-arms the next ping");
    h.drain();
    assert_eq!(h.fire_next_timeout(), 2000, "no pong this time");
    let actions = h.drain();
    assert_eq!(closes(&actions), [4010]);
    assert_eq!(h.core.state(), State::Reconnecting);
}

#[test]
fn server_pings_are_answered() {
    let mut h = Harness::new(Config::default());
    h.drain();
    h.authenticate();
    h.frame(json!({"type": "ping"}));
    assert_eq!(sent_texts(&h.drain()), [r#"{"type":"pong"}"#]);
}

#[test]
fn invalid_frames_raise_an_error_and_keep_the_connection() {
    let mut h = Harness::new(Config::default());
    h.drain();
    h.authenticate();
    h.invalid(FrameError::NotJson);
    let actions = h.drain();
    assert_eq!(error_codes(&actions), ["invalid_frame"]);
    assert!(closes(&actions).is_empty());
    assert_eq!(h.core.state(), State::Authenticated);
}

#[test]
fn app_messages_are_delivered_only_when_authenticated() {
    let mut h = Harness::new(Config::default());
    h.connect_until_auth();
    h.frame(json!({"type": "chat", "text": "too early"}));
    assert_eq!(error_codes(&h.drain()), ["invalid_frame"]);
    h.auth_ok();
    h.drain();
    h.frame(json!({"type": "chat", "text": "hi"}));
    assert_eq!(h.drain(), [Action::Emit(Event::Message(json!({"type": "chat", "text": "hi"})))]);
}

#[test]
fn server_error_frames_surface_with_the_server_code() {
    let mut h = Harness::new(Config::default());
    h.drain();
    h.authenticate();
    h.frame(json!({"type": "error", "code": "permission_denied", "message": "not yours"}));
    let actions = h.drain();
    assert_eq!(error_codes(&actions), ["server_error"], "never one of the SDK's own codes");
    let Some(Action::Emit(Event::Error(error))) = actions.first() else { panic!("{actions:?}") };
    assert_eq!(error.code.server_code(), Some("permission_denied"));
}

#[test]
fn close_stops_everything_and_later_inputs_do_nothing() {
    let mut h = Harness::new(Config::default());
    h.drain();
    h.authenticate();
    h.core.close(h.now);
    let actions = h.drain();
    assert_eq!(closes(&actions), [1000]);
    assert_eq!(h.core.state(), State::Closed);
    assert_eq!(h.core.poll_timeout(), None);
    h.give_token(None);
    h.open();
    h.auth_ok();
    h.closed_by_peer(1006, String::new());
    h.core.handle_network(h.now, true);
    h.advance(10_000_000);
    assert!(h.drain().is_empty(), "nothing may happen after close()");
    assert_eq!(h.send("{}".into()), Err(SendError::Closed));
}

#[test]
fn close_discards_pending_events_but_keeps_accepted_sends() {
    let mut h = Harness::new(Config::default());
    h.drain();
    h.send(r#"{"type":"queued"}"#.into()).unwrap();
    h.give_token(None);
    h.open();
    h.drain();
    h.auth_ok();
    // The driver runs the first action (the flushed send), then a handler calls close().
    assert!(matches!(h.core.poll_action(), Some(Action::SendApp { .. })));
    h.send(r#"{"type":"from-handler"}"#.into()).unwrap();
    h.core.close(h.now);
    let rest = h.drain();
    assert_eq!(sent_texts(&rest), [r#"{"type":"from-handler"}"#]);
    assert!(!events(&rest).iter().any(|e| matches!(e, Event::Authenticated { .. })));
    assert_eq!(closes(&rest), [1000]);
}

#[test]
fn send_limits_throw_instead_of_dropping() {
    let config = Config { max_queued_messages: 2, max_message_bytes: 16, ..Config::default() };
    let mut h = Harness::new(config);
    h.drain();
    assert_eq!(h.send("x".repeat(17)), Err(SendError::MessageTooLarge { bytes: 17, limit: 16 }));
    h.send("a".into()).unwrap();
    h.send("b".into()).unwrap();
    assert_eq!(h.send("c".into()), Err(SendError::QueueFull { limit: 2 }));
    assert_eq!(h.core.queued_count(), 2);
}

#[test]
fn message_size_counts_utf8_bytes() {
    let config = Config { max_message_bytes: 4, ..Config::default() };
    let mut h = Harness::new(config);
    assert!(h.send("éé".into()).is_ok());
    assert!(h.send("ééé".into()).is_err());
}

#[test]
fn a_normal_close_from_the_server_is_terminal() {
    let mut h = Harness::new(Config::default());
    h.drain();
    h.authenticate();
    h.closed_by_peer(1000, "bye".into());
    let actions = h.drain();
    assert!(events(&actions).contains(&&Event::Close {
        code: 1000,
        reason: "bye".into(),
        will_reconnect: false
    }));
    assert_eq!(h.core.state(), State::Closed);
}

#[test]
fn the_queue_survives_reconnects() {
    let mut h = Harness::new(no_jitter());
    h.drain();
    h.authenticate();
    h.closed_by_peer(1006, String::new());
    h.send(r#"{"type":"during-outage"}"#.into()).unwrap();
    h.fire_next_timeout();
    h.drain();
    let flushed = h.authenticate();
    assert_eq!(sent_texts(&flushed), [r#"{"type":"during-outage"}"#]);
}

#[test]
fn offline_pauses_reconnecting_without_spending_attempts_and_online_resumes_at_once() {
    let mut config = no_jitter();
    config.reconnect.max_attempts = 1;
    let mut h = Harness::new(config);
    h.authenticate();
    h.core.handle_network(h.now, false);
    h.drain();
    for _ in 0..5 {
        h.closed_by_peer(1006, String::new());
        let actions = h.drain();
        assert!(events(&actions).contains(&&Event::Close {
            code: 1006,
            reason: String::new(),
            will_reconnect: true
        }));
        assert!(reconnect_delays(&actions).is_empty(), "no attempt is spent while offline");
        assert_eq!(h.core.state(), State::Reconnecting);
        assert_eq!(h.core.poll_timeout(), None, "nothing to do until online");
        h.now += 60_000;
        h.core.handle_network(h.now, true);
        assert_eq!(shape(&h.drain())[..2], ["fetch", "open"]);
        h.core.handle_network(h.now, false);
    }
}

#[test]
fn a_page_that_loads_offline_waits_for_the_network_before_the_first_attempt() {
    let mut h = Harness::with_network(no_jitter(), false);
    assert!(h.drain().is_empty(), "no fetch and no socket while offline");
    assert_eq!(h.core.state(), State::Connecting);
    assert_eq!(h.core.poll_timeout(), None);
    h.send(r#"{"type":"early"}"#.into()).unwrap();
    h.now += 3_600_000;
    h.core.handle_network(h.now, true);
    assert_eq!(shape(&h.drain()), ["fetch", "open"]);
    let flushed = h.authenticate();
    assert_eq!(sent_texts(&flushed), [r#"{"type":"early"}"#]);
}

#[test]
fn network_changes_and_visibility_check_liveness_at_once_when_a_heartbeat_is_on() {
    for wake in ["online", "offline", "visible", "pageshow"] {
        let config =
            Config { heartbeat: Some(Heartbeat { interval_ms: 60_000, timeout_ms: 2000 }), ..no_jitter() };
        let mut h = Harness::new(config);
        h.authenticate();
        h.now += 1000;
        match wake {
            "online" => h.core.handle_network(h.now, true),
            "offline" => h.core.handle_network(h.now, false),
            "visible" => h.core.handle_page(h.now, PageEvent::Visible),
            _ => h.core.handle_page(h.now, PageEvent::Resume),
        }
        assert_eq!(sent_texts(&h.drain()), [r#"{"type":"ping"}"#], "{wake}: a ping at once");
        assert_eq!(h.fire_next_timeout(), 2000, "{wake}: the pong is due within heartbeat.timeoutMs");
        assert_eq!(closes(&h.drain()), [4010], "{wake}: a half-open socket is found in seconds");
    }
}

#[test]
fn without_a_heartbeat_waking_up_sends_nothing() {
    let mut h = Harness::new(no_jitter());
    h.authenticate();
    h.core.handle_page(h.now, PageEvent::Visible);
    h.core.handle_network(h.now, true);
    assert!(h.drain().is_empty());
}

#[test]
fn a_frozen_page_closes_cleanly_and_reconnects_when_shown_again() {
    let mut h = Harness::new(no_jitter());
    h.authenticate();
    h.send(r#"{"type":"a"}"#.into()).unwrap();
    h.drain();
    h.core.handle_page(h.now, PageEvent::Suspend);
    let actions = h.drain();
    assert_eq!(closes(&actions), [4014], "closed so the page stays eligible for the back/forward cache");
    assert_eq!(h.core.state(), State::Reconnecting);
    assert_eq!(h.core.poll_timeout(), None, "no timer runs in a frozen page");
    h.send(r#"{"type":"while-frozen"}"#.into()).unwrap();
    h.now += 600_000;
    h.core.handle_page(h.now, PageEvent::Resume);
    assert_eq!(shape(&h.drain())[..2], ["fetch", "open"]);
    assert_eq!(sent_texts(&h.authenticate()), [r#"{"type":"while-frozen"}"#]);
}

#[test]
fn a_session_the_user_closed_stays_closed_whatever_the_page_and_network_do() {
    let mut h = Harness::new(no_jitter());
    h.authenticate();
    h.core.close(h.now);
    h.drain();
    h.core.handle_network(h.now, true);
    h.core.handle_page(h.now, PageEvent::Resume);
    h.core.handle_page(h.now, PageEvent::Visible);
    h.core.handle_page(h.now, PageEvent::Suspend);
    assert!(h.drain().is_empty());
    assert_eq!(h.core.state(), State::Closed);
}

#[test]
fn a_token_that_claims_a_huge_lifetime_never_overflows_a_timer() {
    let config = Config { reauth_interval_ms: 0, ..no_jitter() };
    let mut h = Harness::new(config);
    h.drain();
    h.give_token(Some(u64::MAX / 2));
    h.open();
    h.auth_ok();
    h.drain();
    let at = h.core.poll_timeout().unwrap();
    assert!(at <= MAX_DURATION_MS, "re-auth at {at} ms: beyond what setTimeout accepts");
    assert!(at >= 1000, "and not at once");
}

#[test]
fn a_token_that_claims_a_tiny_lifetime_does_not_loop_reauth() {
    let config = Config { reauth_interval_ms: 0, ..no_jitter() };
    let mut h = Harness::new(config);
    h.drain();
    h.give_token(Some(1));
    h.open();
    h.auth_ok();
    h.drain();
    assert_eq!(h.fire_next_timeout(), 1000, "re-auths are at least a second apart");
}

#[test]
fn a_server_ping_before_authentication_is_not_answered() {
    let mut h = Harness::new(no_jitter());
    h.drain();
    h.open();
    h.frame(json!({"type": "ping"}));
    h.give_token(None);
    let sent = sent_texts(&h.drain());
    assert_eq!(sent.len(), 1);
    assert!(sent[0].starts_with(r#"{"type":"auth""#), "auth is the first frame: {sent:?}");
}

#[test]
fn a_token_endpoint_failure_never_closes_with_1000() {
    let mut h = Harness::new(no_jitter());
    h.drain();
    h.open();
    h.token_result(Err(TokenError::Unavailable("HTTP 503".into())));
    let actions = h.drain();
    assert_eq!(closes(&actions), [4004]);
    assert!(events(&actions)
        .iter()
        .any(|e| matches!(e, Event::Close { code: 4004, will_reconnect: true, .. })));
}

#[test]
fn the_final_error_is_the_one_that_ended_the_session() {
    let mut h = Harness::new(no_jitter());
    h.drain();
    h.token_result(Err(TokenError::Unavailable("HTTP 503".into())));
    h.drain();
    assert_eq!(h.core.final_error(), None, "a retried failure did not end anything");
    h.fire_next_timeout();
    h.drain();
    h.token_result(Err(TokenError::Unauthorized));
    h.drain();
    assert_eq!(h.core.final_error().map(|e| e.code.as_str()), Some("unauthorized"));
    let mut h = Harness::new(no_jitter());
    h.authenticate();
    h.frame(json!({"type": "error", "code": "oops", "message": "m"}));
    h.core.close(h.now);
    assert_eq!(h.core.final_error(), None, "close() ends without an error");
}

#[test]
fn events_from_a_replaced_socket_are_ignored_by_the_core() {
    let mut h = Harness::new(no_jitter());
    h.authenticate();
    let old = h.conn;
    h.closed_by_peer(1006, String::new());
    h.fire_next_timeout();
    h.drain();
    assert_ne!(h.conn, old);
    h.core.handle_close(h.now, old, 1000, "late".into());
    h.core.handle_frame(h.now, old, Inbound::App(json!({"type": "late"})));
    h.core.handle_open(h.now, old);
    assert!(h.drain().is_empty());
    assert_eq!(h.core.state(), State::Connecting);
}

#[test]
fn subscriptions_go_out_first_on_every_new_session_before_the_queue() {
    let config = Config { subscriptions: true, ..no_jitter() };
    let mut h = Harness::new(config);
    h.subscriptions = vec![r#"{"type":"join_room","room":"a"}"#.into()];
    h.drain();
    h.send(r#"{"type":"queued"}"#.into()).unwrap();
    let actions = h.authenticate();
    assert_eq!(sent_texts(&actions), [r#"{"type":"join_room","room":"a"}"#, r#"{"type":"queued"}"#]);
    h.now += 10;
    h.closed_by_peer(1006, String::new());
    h.send(r#"{"type":"during-outage"}"#.into()).unwrap();
    h.drain();
    h.fire_next_timeout();
    h.subscriptions = vec![r#"{"type":"join_room","room":"b"}"#.into()];
    let actions = h.authenticate();
    assert_eq!(
        sent_texts(&actions),
        [r#"{"type":"join_room","room":"b"}"#, r#"{"type":"during-outage"}"#],
        "the latest subscriptions, once per authentication, before what waited"
    );
}

#[test]
fn subscriptions_come_on_top_of_the_queue_bound_which_still_holds_the_apps_sends() {
    // README, `queuedCount`: the app's sends are bounded by `maxQueuedMessages`; the messages
    // `subscriptions()` gives are not held to it (they are few and the app's own).
    let config = Config { subscriptions: true, max_queued_messages: 2, ..no_jitter() };
    let mut h = Harness::new(config);
    h.subscriptions = (0..3).map(|n| format!(r#"{{"type":"join_room","room":"{n}"}}"#)).collect();
    h.drain();
    h.send(r#"{"type":"a"}"#.into()).unwrap();
    h.send(r#"{"type":"b"}"#.into()).unwrap();
    assert_eq!(h.send(r#"{"type":"c"}"#.into()), Err(SendError::QueueFull { limit: 2 }));
    h.connect_until_auth();
    // A server that takes one message a minute: the first subscription goes, the rest wait.
    h.frame(json!({"type": "auth_response", "success": true, "userId": "alice", "limits": {"messagesPerMinute": 1}}));
    assert_eq!(sent_texts(&h.drain()), [r#"{"type":"join_room","room":"0"}"#]);
    assert_eq!(h.core.queued_count(), 4, "two subscriptions and two sends wait: over the bound of 2");
    assert_eq!(
        h.send(r#"{"type":"c"}"#.into()),
        Err(SendError::QueueFull { limit: 2 }),
        "a send is still refused"
    );
}

#[test]
fn subscriptions_sent_and_awaiting_their_acknowledgement_leave_the_apps_bound_whole() {
    // On an exactly-once session the subscriptions stay owed until acknowledged: with
    // `maxQueuedMessages: 2` and two of them in flight, the app still has room for two sends.
    let config = Config { subscriptions: true, max_queued_messages: 2, ..no_jitter() };
    let mut h = Harness::new(config);
    h.subscriptions = vec![r#"{"type":"join","room":"a"}"#.into(), r#"{"type":"join","room":"b"}"#.into()];
    super::resume::connect_resumable(&mut h, false, 0);
    assert_eq!(h.core.queued_count(), 2, "the two subscriptions, sent and not yet acknowledged");
    h.send(r#"{"type":"a"}"#.into()).expect("the app's first send fits its own bound");
    h.send(r#"{"type":"b"}"#.into()).expect("and its second");
    assert_eq!(
        h.send(r#"{"type":"c"}"#.into()),
        Err(SendError::QueueFull { limit: 2 }),
        "the bound still holds"
    );
    assert_eq!(h.core.queued_count(), 4);
}

#[test]
fn a_subscription_over_the_size_limit_is_an_error_and_the_others_go_out_in_order() {
    let config = Config { subscriptions: true, max_message_bytes: 16, ..no_jitter() };
    let mut h = Harness::new(config);
    h.subscriptions = vec![r#"{"room":"a"}"#.into(), "x".repeat(17), r#"{"room":"b"}"#.into()];
    h.drain();
    h.send(r#"{"type":"q"}"#.into()).unwrap();
    let actions = h.authenticate();
    assert_eq!(sent_texts(&actions), [r#"{"room":"a"}"#, r#"{"room":"b"}"#, r#"{"type":"q"}"#]);
    assert_eq!(error_codes(&actions), ["message_too_large"]);
    assert_eq!(h.core.state(), State::Authenticated);
}

#[test]
fn pacing_carries_over_a_reconnect_so_a_burst_after_a_burst_waits() {
    // 10 a minute: the SDK keeps to 9, a bucket of 9 refilled one every 6⅔ s. A server that counts
    // a user's messages across connections (the test server does) would close a second burst
    // right after a reconnect with 4008 if the SDK's bucket were full again.
    let limited = json!({"type": "auth_response", "success": true, "limits": {"messagesPerMinute": 10}});
    let mut h = Harness::new(no_jitter());
    h.connect_until_auth();
    h.frame(limited.clone());
    h.drain();
    for n in 0..9 {
        h.send(format!(r#"{{"n":{n}}}"#)).unwrap();
    }
    assert_eq!(sent_texts(&h.drain()).len(), 9);
    h.closed_by_peer(1006, String::new());
    h.drain();
    h.fire_next_timeout();
    h.connect_until_auth();
    h.frame(limited);
    h.send(r#"{"n":9}"#.into()).unwrap();
    assert!(sent_texts(&h.drain()).is_empty(), "the bucket was spent on the last connection");
    h.advance(6_700);
    assert_eq!(sent_texts(&h.drain()), [r#"{"n":9}"#]);
}

#[test]
fn online_cuts_a_backoff_short() {
    let mut h = Harness::new(no_jitter());
    h.drain();
    h.give_token(None);
    h.closed_by_peer(1006, String::new());
    h.drain();
    h.core.handle_network(h.now, true);
    assert_eq!(shape(&h.drain())[..2], ["fetch", "open"]);
}

#[test]
fn a_connect_that_hangs_times_out() {
    let mut h = Harness::new(no_jitter());
    h.drain();
    assert_eq!(h.fire_next_timeout(), 5000);
    let actions = h.drain();
    assert_eq!(closes(&actions), [4001]);
    assert_eq!(h.core.state(), State::Reconnecting);
}

#[test]
fn debug_output_of_the_core_never_shows_a_token() {
    let mut h = Harness::new(Config::default());
    h.drain();
    h.give_token(Some(60_000));
    let dump = format!("{:?}", h.core);
    assert!(!dump.contains("token-1"), "{dump}");
    h.open();
    let actions = h.drain();
    assert!(!format!("{actions:?}").contains("token-1"));
}

#[test]
fn a_terminal_close_reports_the_queued_messages_it_discards() {
    let mut h = Harness::new(Config::default());
    h.drain();
    h.send(r#"{"type":"waiting"}"#.into()).unwrap();
    h.closed_by_peer(1000, String::new());
    let actions = h.drain();
    assert_eq!(error_codes(&actions), ["closed"]);
    assert_eq!(h.core.queued_count(), 0);
}

#[test]
fn has_action_tells_whether_poll_action_would_give_one_without_taking_it() {
    let mut h = Harness::new(no_jitter());
    h.authenticate();
    assert!(!h.core.has_action(), "drained");
    h.send("{\"type\":\"m\"}".into()).unwrap();
    assert!(h.core.has_action(), "the send waits to be written");
    assert!(h.core.has_action(), "looking does not take it");
    assert!(matches!(h.core.poll_action(), Some(Action::SendApp { .. })));
    assert!(!h.core.has_action());
    h.core.close(h.now);
    assert_eq!(h.core.has_action(), h.core.poll_action().is_some(), "after close() too");
}

/// A socket the browser reports closing (the server's close frame came; its `close` event has
/// yet to) takes nothing more: a send then waits for the next connection instead of being written
/// where it cannot leave, and lost unsaid (at most once, nothing would have sent it again).
#[test]
fn a_send_while_the_socket_is_closing_goes_out_on_the_next_connection() {
    let mut h = Harness::new(no_jitter());
    h.authenticate();
    h.core.handle_closing(h.conn);
    h.send(r#"{"type":"late"}"#.into()).unwrap();
    assert_eq!(sent_texts(&h.drain()), Vec::<String>::new(), "written to a closing socket");
    assert_eq!(h.core.queued_count(), 1);
    h.closed_by_peer(1001, "going away".into());
    h.drain();
    h.fire_next_timeout();
    let actions = h.authenticate();
    assert_eq!(sent_texts(&actions), [r#"{"type":"late"}"#], "not sent on the next connection");
    assert_eq!(h.core.queued_count(), 0);
}

/// The same when the socket is reported closing while authenticating, and its `auth_response`
/// still comes: the queue is not flushed into it either.
#[test]
fn a_socket_closing_before_its_auth_response_takes_no_flush() {
    let mut h = Harness::new(no_jitter());
    h.send(r#"{"type":"early"}"#.into()).unwrap();
    h.connect_until_auth();
    h.core.handle_closing(h.conn);
    h.auth_ok();
    assert_eq!(sent_texts(&h.drain()), Vec::<String>::new(), "flushed into a closing socket");
    assert_eq!(h.core.queued_count(), 1);
    h.closed_by_peer(1001, "going away".into());
    h.drain();
    h.fire_next_timeout();
    assert_eq!(sent_texts(&h.authenticate()), [r#"{"type":"early"}"#]);
}
