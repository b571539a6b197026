//! `Session`: the core's state machine behind a flat export surface, driven from JavaScript
//! (src/api/driver.js). It owns nothing of the browser but the current socket's handle, which it
//! writes protocol frames to itself: a frame that carries the token goes from wasm memory (where
//! it is zeroized when dropped) to `WebSocket.send` as the one JS string the browser needs, and
//! never becomes a value the JavaScript driver holds. Application messages go the same way, so
//! the hot path (`send`, then `pollAction`) needs no field read from JS.

use alloc::vec::Vec;

use js_sys::JsString;
use wasm_bindgen::prelude::*;

use super::options;
use crate::{
    browser::{frame, now, token_answer, wire, JsObject, JsText},
    core::{
        Action, ConnectionId, Delivery, Event, Handover, Millis, PageEvent, Replication, RequestId, SdkError,
        SendError, SessionCore, State,
    },
};

/// What `pollAction` answers (and `handleFrame`, for the frame's first action). The
/// src/api/codes.js constants of the same names must match.
mod kind {
    pub const NONE: u32 = 0;
    /// The deadline changed: `n0` is the new one, NaN for none.
    pub const TIMER: u32 = 1;
    /// `handleFrame` only: the frame's one effect is delivering its own message, which JS has.
    pub const DIRECT: u32 = 2;
    pub const FETCH_TOKEN: u32 = 3;
    pub const ABORT_TOKEN: u32 = 4;
    pub const OPEN_SOCKET: u32 = 5;
    pub const CLOSE_SOCKET: u32 = 6;
    pub const COLLECT_SUBSCRIPTIONS: u32 = 7;
    /// An `error` event for a dropped message over the server's limit, as `send()` throws it.
    pub const TOO_LARGE: u32 = 8;
    pub const STATE: u32 = 10;
    pub const AUTHENTICATED: u32 = 11;
    pub const MESSAGE: u32 = 12;
    pub const RECONNECTING: u32 = 13;
    pub const CLOSE: u32 = 14;
    pub const ERROR: u32 = 15;
    pub const RESYNC: u32 = 16;
    pub const DELIVERED: u32 = 17;
    pub const UNCONFIRMED: u32 = 18;
    pub const UNDELIVERABLE: u32 = 19;
    /// Replication records: 20 + the hook's kind (0 session … 4 dropped).
    pub const REPLICATE: u32 = 20;
}

/// What `handle` is told (see [`Session::handle`]). The codes.js constants of the same names
/// must match.
mod input {
    pub const OPENED: u32 = 0;
    pub const CLOSED: u32 = 1;
    pub const PAGE: u32 = 2;
    pub const TIMEOUT: u32 = 3;
    pub const SUBSCRIPTIONS: u32 = 4;
    pub const CLOSE_SESSION: u32 = 5;
    pub const HAND_OVER: u32 = 6;
    /// A token answer: 7 + its kind (0 token … 3 invalid).
    pub const TOKEN: u32 = 7;
    pub const STAGE: u32 = 11;
    pub const REPLICATE_SESSION: u32 = 12;
    pub const CLOSING: u32 = 13;
}

/// What `status` is asked (see [`Session::status`]). The codes.js `STATUS_` constants of the same
/// names must match.
mod status {
    pub const STATE: u32 = 0;
    pub const RESUMABLE: u32 = 1;
    pub const QUEUED: u32 = 2;
    pub const NEXT_ID: u32 = 3;
    pub const NEXT_REAUTH_AT: u32 = 4;
    pub const SERVER_MESSAGE_LIMIT: u32 = 5;
}

/// The session state machine of one `SecureWebSocket`. After every input, JS calls
/// `pollAction()` until it answers 0 and runs each action, reading its fields with `n0`, `n1`,
/// `text()` and `value` (see [`Session::poll_action`] for which action has which).
/// Exported to JS as `SecureWsSession`: a name no app's own export takes, since a Rust app's
/// wasm exports this class too (the Rust API hands it to the JS class), and two exports of one
/// name fail its build.
#[wasm_bindgen(skip_typescript, js_name = SecureWsSession)]
pub struct Session {
    core: SessionCore<JsObject, JsText>,
    /// The socket the core's frames go to, and the core's name for it.
    socket: Option<(ConnectionId, JsValue)>,
    /// The deadline JS was last told about (see `TIMER` (1)).
    armed: Option<Millis>,
    /// The last clock reading, for the inputs that need none (a `send`, most frames).
    clock: Millis,
    /// Messages staged (`handle(STAGE)`) for `SUBSCRIPTIONS` or `replicate`, with their numbers.
    staged: Vec<(u64, JsText)>,
    n0: f64,
    n1: f64,
    text: JsValue,
    value: JsValue,
}

fn nan_or(n: Option<u64>) -> f64 {
    n.map_or(f64::NAN, |n| n as f64)
}

fn flag(b: bool) -> f64 {
    f64::from(u8::from(b))
}

#[wasm_bindgen(js_class = SecureWsSession)]
impl Session {
    /// `numbers`: the options' numbers (see `options::config`), checked by options.js, ranges and
    /// how they relate (as `Config::validate` checks them for the Rust API's builder).
    #[wasm_bindgen(constructor)]
    pub fn new(numbers: &JsValue, online: bool) -> Session {
        let config = options::config(numbers);
        let seed = (js_sys::Math::random() * u64::MAX as f64) as u64;
        let clock = now();
        Session {
            core: SessionCore::new(config, seed, clock, online),
            socket: None,
            armed: None,
            clock,
            staged: Vec::new(),
            n0: 0.0,
            n1: 0.0,
            text: JsValue::UNDEFINED,
            value: JsValue::UNDEFINED,
        }
    }

    /// Everything that happens to the session but frames and sends, as codes.js's constants of
    /// the same names (the `input` module) tell it, with `n`, `value` and `number`:
    /// 0 socket `n` opened (`value` the WebSocket, opened for an `OpenSocket` action) ·
    /// 1 socket `n` closed or could not open (code `number`, reason `value`) ·
    /// 2 io.js's `watchPage` change `n` (0 online, 1 offline, 2 suspended, 3 resumed, 4 visible) ·
    /// 3 the timer armed for the last `TIMER` (1) fired ·
    /// 4 the answer to a `CollectSubscriptions` for socket `n`: the staged messages, or
    /// (`number` 0) the app's `subscriptions()` threw or gave what JSON cannot carry ·
    /// 5 `close()`: closes for good with 1000 · 6 closes for good with 4015, keeping the server's
    /// session for the tab that takes over ·
    /// 7 + k io.js's `fetchToken` answer k for request `n`: 0 a token (`value`; `number` its
    /// `expiresIn` in seconds or NaN), 1 unauthorized, 2 unavailable (`value`: why), 3 invalid
    /// (`value`: which way) ·
    /// 11 stages a message (JSON text `value`) for `SUBSCRIPTIONS`, or a log entry numbered
    /// `number` of the session `REPLICATE_SESSION` resumes (no clock read; nothing happens yet) ·
    /// 12 leads a shared connection (js/share/): replication records come out as actions; with
    /// a session id `value` (options.js checked it), resumes the last leader's session, which
    /// received up to `number` and numbers its next send `n`, with the staged log ·
    /// 13 socket `n` is closing (its `readyState`), before its `close` event.
    /// One export for all of them: each export costs ~90 B gzip of shim and glue (issue 14).
    pub fn handle(&mut self, input: u32, n: f64, value: JsValue, number: f64) {
        match input {
            input::STAGE => return self.staged.push((number as u64, JsText::new(value.unchecked_into()))),
            input::REPLICATE_SESSION => {
                let log = core::mem::take(&mut self.staged);
                return self.core.replicate(value.as_string().map(|session_id| Handover {
                    session_id,
                    last_in: number as u64,
                    next_seq: n as u64,
                    log,
                }));
            }
            _ => {}
        }
        // The inputs left have a socket, a request or a page change as `n`: small whole numbers
        // (`f64` is for the sequence number above).
        let n = n as u32;
        let now = self.now();
        match input {
            input::OPENED => {
                self.socket = Some((ConnectionId(n), value));
                self.core.handle_open(now, ConnectionId(n));
            }
            input::CLOSED => {
                if self.socket.as_ref().is_some_and(|(current, _)| current.0 == n) {
                    self.socket = None;
                }
                self.core.handle_close(
                    now,
                    ConnectionId(n),
                    number as u16,
                    value.as_string().unwrap_or_default(),
                );
            }
            input::PAGE => match n {
                0 | 1 => self.core.handle_network(now, n == 0),
                2 => self.core.handle_page(now, PageEvent::Suspend),
                3 => self.core.handle_page(now, PageEvent::Resume),
                _ => self.core.handle_page(now, PageEvent::Visible),
            },
            input::TIMEOUT => {
                self.armed = None;
                self.core.handle_timeout(now);
            }
            input::SUBSCRIPTIONS => {
                let staged = core::mem::take(&mut self.staged);
                let messages = if number != 0.0 {
                    Ok(staged.into_iter().map(|(_, text)| text).collect())
                } else {
                    Err(SdkError::new(
                        crate::core::ErrorCode::InvalidMessage,
                        "subscriptions() threw or returned something JSON cannot carry",
                    ))
                };
                self.core.handle_subscriptions(now, ConnectionId(n), messages);
            }
            input::CLOSE_SESSION => self.core.close(now),
            input::CLOSING => self.core.handle_closing(ConnectionId(n)),
            input::HAND_OVER => self.core.hand_over(now),
            _ => self.core.handle_token(now, RequestId(n), token_answer(input - input::TOKEN, value, number)),
        }
    }

    /// A frame on socket `conn`, as io.js's `openSocket` sorted it (see `frame::inbound`). With
    /// `poll`, answers the frame's first action as `pollAction` does, or `DIRECT` (2) when its
    /// one effect is its message: the frame costs one crossing. The clock is read only when the
    /// core needs it (`SessionCore::frame_reads_clock`).
    #[wasm_bindgen(js_name = handleFrame)]
    pub fn handle_frame(&mut self, conn: u32, kind: u32, value: JsValue, number: f64, poll: bool) -> u32 {
        let conn = ConnectionId(conn);
        match frame::inbound(kind, value, number) {
            Ok(frame) => {
                let now = if self.core.frame_reads_clock(&frame) { self.now() } else { self.clock };
                self.core.handle_frame(now, conn, frame);
            }
            Err(error) => self.core.handle_invalid_frame(conn, error),
        }
        if !poll {
            return kind::NONE;
        }
        let first = self.core.poll_action();
        // Looked at, not taken: an action taken out here would escape what `close()` or a
        // hand-over from the message's handler drops from the core's queue.
        if matches!(first, Some(Action::Emit(Event::Message(_))))
            && !self.core.has_action()
            && self.armed_for(self.core.poll_timeout())
        {
            return kind::DIRECT;
        }
        self.next(first)
    }

    /// `send()`'s JSON text: the message id (≥ 0), or −1 queue full (`n0` the limit), −2 too
    /// large (`n0` bytes, `n1` the limit), −3 closed. The clock is read only when sending is paced.
    pub fn send(&mut self, text: JsString, receipt: bool) -> f64 {
        let now = if self.core.send_reads_clock() { self.now() } else { self.clock };
        match self.core.send(now, JsText::new(text), receipt) {
            Ok(id) => id as f64,
            Err(SendError::QueueFull { limit }) => {
                self.n0 = limit as f64;
                -1.0
            }
            Err(SendError::MessageTooLarge { bytes, limit }) => {
                self.n0 = bytes as f64;
                self.n1 = limit as f64;
                -2.0
            }
            Err(SendError::Closed) => -3.0,
        }
    }

    /// The next action for JS, 0 when none is left. Protocol frames, application messages and
    /// `bufferedAmount` measurements are done here, on the socket, and never reach JS. Fields:
    /// 1 timer `n0` deadline|NaN · 3 fetch token / 4 abort `n0` request · 5 open socket `n0` conn ·
    /// 6 close socket `n0` code `text()` reason · 7 collect subscriptions `n0` conn ·
    /// 8 a message over the server's limit dropped: `n0` bytes, `n1` the limit ·
    /// 10 state `n0` (0 connecting … 4 closed) · 11 authenticated `text()` user id, `n1` resumed ·
    /// 12 message `value` · 13 reconnecting `n0` attempt `n1` delay · 14 close `n0` code
    /// `text()` reason `n1` will reconnect · 15 error `n0` code (codes.js's `ERROR_CODES`),
    /// `text()` message, `value` server code · 16 resync · 17 delivered through `n0` ·
    /// 18 unconfirmed / 19 undeliverable `n0` id · 20 + k replication record for the hook
    /// `(k, n0, n1, value)`.
    #[wasm_bindgen(js_name = pollAction)]
    pub fn poll_action(&mut self) -> u32 {
        let action = self.core.poll_action();
        self.next(action)
    }

    /// The current action's first number.
    #[wasm_bindgen(getter)]
    pub fn n0(&self) -> f64 {
        self.n0
    }

    /// The current action's second number.
    #[wasm_bindgen(getter)]
    pub fn n1(&self) -> f64 {
        self.n1
    }

    /// The current action's string, taken; `undefined` when it has none. Made a JS
    /// string in the wasm, so the export hands over a reference, not a copy to decode.
    pub fn text(&mut self) -> JsValue {
        core::mem::replace(&mut self.text, JsValue::UNDEFINED)
    }

    /// The current action's JS value, taken.
    #[wasm_bindgen(getter)]
    pub fn value(&mut self) -> JsValue {
        core::mem::replace(&mut self.value, JsValue::UNDEFINED)
    }

    /// What the class reads of the session: 0 the state (0 connecting, 1 authenticating,
    /// 2 authenticated, 3 reconnecting, 4 closed), 1 whether a server granted a resumable session
    /// (exactly-once delivery; 1 or 0), 2 how many sends wait for an authenticated connection,
    /// 3 the id the next accepted send gets, 4 when the next re-authentication starts
    /// (`performance.now()` time; NaN when none is due).
    pub fn status(&self, what: u32) -> f64 {
        let core = &self.core;
        match what {
            status::STATE => state_index(core.state()).into(),
            status::RESUMABLE => flag(core.delivery() == Delivery::ExactlyOnce),
            status::QUEUED => core.queued_count() as f64,
            status::NEXT_ID => core.next_message_id() as f64,
            status::NEXT_REAUTH_AT => nan_or(core.next_reauth_at()),
            status::SERVER_MESSAGE_LIMIT => {
                core.server_message_limit().map_or(f64::NAN, |limit| limit as f64)
            }
            _ => f64::NAN,
        }
    }

    /// Loads the error that ended the session into the fields as an error action (15) has them;
    /// false when it ended without one.
    #[wasm_bindgen(js_name = finalError)]
    pub fn final_error(&mut self) -> bool {
        let Some(error) = self.core.final_error() else { return false };
        load_error(&mut self.n0, &mut self.text, &mut self.value, error);
        true
    }
}

impl Session {
    /// Reads the clock, and keeps the reading for the inputs that need none.
    fn now(&mut self) -> Millis {
        self.clock = now();
        self.clock
    }

    /// Runs the actions JS has no part in, and answers the first one it has, with its fields.
    fn next(&mut self, mut action: Option<Action<JsObject, JsText>>) -> u32 {
        loop {
            let Some(current) = action else { return self.timer() };
            match self.load(current) {
                kind::NONE => action = self.core.poll_action(),
                kind => return kind,
            }
        }
    }

    /// `TIMER` (1) when the timer JS armed does not serve the core's deadline, else none.
    fn timer(&mut self) -> u32 {
        let deadline = self.core.poll_timeout();
        if self.armed_for(deadline) {
            return kind::NONE;
        }
        self.armed = deadline;
        self.n0 = nan_or(deadline);
        kind::TIMER
    }

    /// Whether the timer JS armed serves `deadline`: the same one, or one that fires earlier.
    /// Fired early, the core does nothing and the deadline is armed then (the core's tests fire
    /// timers early at random): a deadline that moves later, as the acknowledgement timer's does
    /// with every batch of messages, costs no `clearTimeout` and `setTimeout` each time.
    fn armed_for(&self, deadline: Option<Millis>) -> bool {
        deadline == self.armed || matches!((self.armed, deadline), (Some(armed), Some(due)) if armed <= due)
    }

    /// Does `action` here (answering 0), or loads its fields for JS and answers its kind.
    fn load(&mut self, action: Action<JsObject, JsText>) -> u32 {
        let (kind, n0, n1) = match action {
            Action::Send(frame) => {
                if let Some((_, ws)) = &self.socket {
                    wire::send_protocol(ws, frame.text());
                }
                return kind::NONE;
            }
            Action::SendApp { seq, message } => {
                if let Some((_, ws)) = &self.socket {
                    wire::send_app(ws, seq, &message.text);
                }
                return kind::NONE;
            }
            Action::MeasureBuffered(conn) => {
                let buffered =
                    self.socket.as_ref().filter(|(c, _)| *c == conn).map(|(_, ws)| wire::buffered_amount(ws));
                if let Some(buffered) = buffered {
                    let now = self.now();
                    self.core.handle_buffered(now, conn, buffered);
                }
                return kind::NONE;
            }
            Action::FetchToken(request) => (kind::FETCH_TOKEN, request.0.into(), 0.0),
            Action::AbortTokenRequest(request) => (kind::ABORT_TOKEN, request.0.into(), 0.0),
            Action::OpenSocket(conn) => (kind::OPEN_SOCKET, conn.0.into(), 0.0),
            Action::CloseSocket { code, reason } => {
                // Forgotten first: nothing more is written to a socket the core closed.
                self.socket = None;
                self.text = JsValue::from_str(reason);
                (kind::CLOSE_SOCKET, code.into(), 0.0)
            }
            Action::CollectSubscriptions(conn) => (kind::COLLECT_SUBSCRIPTIONS, conn.0.into(), 0.0),
            Action::Emit(event) => match event {
                Event::State(state) => (kind::STATE, state_index(state).into(), 0.0),
                Event::Authenticated { user_id, resumed } => {
                    self.text = user_id.as_deref().map_or(JsValue::UNDEFINED, JsValue::from_str);
                    (kind::AUTHENTICATED, 0.0, flag(resumed))
                }
                Event::Message(message) => {
                    self.value = message.0;
                    (kind::MESSAGE, 0.0, 0.0)
                }
                Event::Reconnecting { attempt, delay_ms } => {
                    (kind::RECONNECTING, attempt.into(), delay_ms as f64)
                }
                Event::Close { code, reason, will_reconnect } => {
                    self.text = JsValue::from_str(&reason);
                    (kind::CLOSE, code.into(), flag(will_reconnect))
                }
                Event::Error(error) => {
                    load_error(&mut self.n0, &mut self.text, &mut self.value, &error);
                    return kind::ERROR;
                }
                Event::TooLarge { bytes, limit } => (kind::TOO_LARGE, bytes as f64, limit as f64),
                Event::Resync => (kind::RESYNC, 0.0, 0.0),
                Event::Delivered { through } => (kind::DELIVERED, through as f64, 0.0),
                Event::Unconfirmed(id) => (kind::UNCONFIRMED, id as f64, 0.0),
                Event::Undeliverable(id) => (kind::UNDELIVERABLE, id as f64, 0.0),
            },
            Action::Replicate(record) => {
                let (record, n0, n1) = match record {
                    Replication::Session { id, resumed } => {
                        self.value = id.map_or(JsValue::UNDEFINED, |id| JsValue::from_str(&id));
                        (0, flag(resumed), 0.0)
                    }
                    Replication::Sent { seq, id, message } => {
                        self.value = message.text.into();
                        (1, seq.unwrap_or(0) as f64, id as f64)
                    }
                    Replication::Acked { seq } => (2, seq as f64, 0.0),
                    Replication::Received { seq } => (3, seq as f64, 0.0),
                    Replication::Dropped { id } => (4, 0.0, id as f64),
                };
                (kind::REPLICATE + record, n0, n1)
            }
        };
        self.n0 = n0;
        self.n1 = n1;
        kind
    }
}

/// An error's code as `n0` (its index in codes.js's `ERROR_CODES`), its message as `text()`, its
/// server code as `value` (fields of `Session`, borrowed apart from its core: the final error stays
/// the core's).
fn load_error(n0: &mut f64, text: &mut JsValue, value: &mut JsValue, error: &SdkError) {
    *value = error.code.server_code().map_or(JsValue::UNDEFINED, JsValue::from_str);
    *n0 = error.code.index().into();
    *text = JsValue::from_str(&error.message);
}

fn state_index(state: State) -> u32 {
    match state {
        State::Connecting => 0,
        State::Authenticating => 1,
        State::Authenticated => 2,
        State::Reconnecting => 3,
        State::Closed => 4,
    }
}
