//! `SessionCore`: the connection lifecycle as a sans-IO state machine.
//!
//! ```text
//!            ┌──────────────────── close() / 401 / give up ───────────────────┐
//!            ▼                                                                │
//!  new ─► Connecting ──token + open──► Authenticating ──auth ok──► Authenticated ◄─┐
//!  (fetch token ∥ open socket)              │                         │   reauth ok│
//!            ▲                              │ fail/timeout            └────────────┘
//!            │                              ▼                         │ close/timeout
//!            └─────── backoff elapsed ── Backoff ◄────────────────────┘
//!                     online / resume ── WaitingForNetwork (offline) · Suspended (page frozen)
//! ```
//!
//! The driver feeds in what happened (`handle_*`, `send`, `close`) and then runs every
//! [`Action`] from [`SessionCore::poll_action`], and arranges to call
//! [`SessionCore::handle_timeout`] at [`SessionCore::poll_timeout`]. Every input from the network
//! names the socket ([`ConnectionId`]) or token request ([`RequestId`]) it belongs to: the core
//! itself ignores what comes from a socket it has replaced or a request it has abandoned, so a
//! late event can never act on the wrong connection, whatever the driver does.

use alloc::{borrow::ToOwned, string::String, vec::Vec};

use zeroize::Zeroize;

use super::{
    backoff::Backoff,
    close_code::{self, CloseAction},
    config::{Config, MAX_DURATION_MS},
    error::{text, ErrorCode, SdkError, SendError},
    outbox::{MessageId, Outbox},
    pacer::Pacer,
    protocol::{push_number, FrameError, Inbound, OutboundFrame, Payload, SessionGrant, Verdict},
    token::{Fingerprint, Token, TokenError, TokenGrant},
    Millis,
};

/// The public state, as `ws.state` reports it. Derived from the core's phase, never stored. Its
/// default is where every session starts, `Connecting`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum State {
    /// Fetching a token and opening a socket (or, on a page that loaded offline, waiting for the
    /// network before the first attempt).
    #[default]
    Connecting,
    /// `auth` sent; waiting for `auth_response`.
    Authenticating,
    /// The server confirmed; messages flow.
    Authenticated,
    /// Between connections: waiting out a backoff delay, for the network, or for a frozen page
    /// to be shown again.
    Reconnecting,
    /// Finished for good: `close()`, a terminal failure, or attempts exhausted.
    Closed,
}

/// As [`State::as_str`] writes it.
impl core::fmt::Display for State {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// As [`Delivery::as_str`] writes it.
impl core::fmt::Display for Delivery {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl State {
    /// The string users see: `'connecting'`, `'authenticating'`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connecting => "connecting",
            Self::Authenticating => "authenticating",
            Self::Authenticated => "authenticated",
            Self::Reconnecting => "reconnecting",
            Self::Closed => "closed",
        }
    }
}

/// What the connection promises about delivery, as `ws.delivery` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// The server does not support resumable sessions (or none was negotiated yet): a message
    /// written to a socket that then dies may be lost, and so may messages the server sent
    /// while the connection was down.
    AtMostOnce,
    /// A resumable session: messages are numbered, acknowledged, resent and de-duplicated in
    /// both directions across reconnects, within the server's replay window.
    ExactlyOnce,
}

impl Delivery {
    /// `'at-most-once'` or `'exactly-once'`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AtMostOnce => "at-most-once",
            Self::ExactlyOnce => "exactly-once",
        }
    }
}

/// One socket of the session. Each connection attempt gets a new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConnectionId(pub u32);

/// One token request. Each need for a token (a connection attempt, a re-auth) gets a new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RequestId(pub u32);

/// What the page did, as far as the connection cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageEvent {
    /// The page became visible again: a socket may have died silently while it was hidden
    /// (sleep, a network switch), so liveness is checked at once.
    Visible,
    /// The page is being frozen or put in the back/forward cache (`freeze`, `pagehide` with
    /// `persisted`): the socket is closed cleanly so the page stays eligible for the cache.
    Suspend,
    /// The page came back (`resume`, `pageshow` with `persisted`): reconnect at once.
    Resume,
}

/// Something the driver must do. `P` is an application message's payload (see [`Payload`]).
#[derive(Debug, PartialEq)]
pub enum Action<M, P = String> {
    /// Get a fresh token; answer with [`SessionCore::handle_token`] and this id.
    FetchToken(RequestId),
    /// Abandon this token request (abort the fetch, stop waiting for `getToken`): nothing waits
    /// for it any more, and an answer would be ignored.
    AbortTokenRequest(RequestId),
    /// Open a socket to the configured URL (no credential in it); report what happens on it with
    /// this id: `handle_open`, `handle_frame`, `handle_invalid_frame`, `handle_close`.
    OpenSocket(ConnectionId),
    /// Send this protocol frame on the current socket.
    Send(OutboundFrame),
    /// Send this application message on the current socket; with a sequence number, wrapped as
    /// `{"type":"msg","seq":N,"data":…}`.
    SendApp {
        /// Its number in the resumable session, if there is one.
        seq: Option<u64>,
        /// The message.
        message: P,
    },
    /// Close the current socket with this code and reason, and forget it.
    CloseSocket {
        /// 1000 or a 4xxx code from [`close_code`].
        code: u16,
        /// A short human-readable reason.
        reason: &'static str,
    },
    /// A new session was authenticated and the app gave `subscriptions`: ask it for the messages
    /// that set up a session and answer with [`SessionCore::handle_subscriptions`] before polling
    /// the next action. They go out before anything that was queued.
    CollectSubscriptions(ConnectionId),
    /// After the actions before it, read the socket's `bufferedAmount` and answer with
    /// [`SessionCore::handle_buffered`]: the flush paused, as the browser may hold more than
    /// [`BUFFERED_HIGH_WATER`] bytes unsent.
    MeasureBuffered(ConnectionId),
    /// Tell the user.
    Emit(Event<M>),
    /// Tell the other tabs of a shared connection (only after [`SessionCore::replicate`]).
    Replicate(Replication<P>),
}

/// What the tabs that share a connection must know to take it over without losing or repeating
/// a message (PROTOCOL.md, "Sharing one socket across tabs"). Never a token: the session id is
/// no credential (a resume needs a valid token of the same user).
#[derive(Debug, PartialEq)]
pub enum Replication<P> {
    /// The server answered `auth`: the resumable session now in use (`None`: the server has
    /// none), and whether it is the one offered. When not, numbering restarted in both directions.
    Session {
        /// The session id, offered back by whichever tab connects next.
        id: Option<String>,
        /// Whether the offered session was resumed.
        resumed: bool,
    },
    /// Send `id` goes on the wire for the first time under `seq` (`None`: at-most-once, it is
    /// done). Announced before it is written, so no tab can miss a number the server has.
    Sent {
        /// Its number in the session.
        seq: Option<u64>,
        /// The send it came from.
        id: MessageId,
        /// The message, for a tab that has to send it again.
        message: P,
    },
    /// The server has every message numbered up to `seq`.
    Acked {
        /// The cumulative acknowledgement.
        seq: u64,
    },
    /// The next [`Event::Message`] is the server's message number `seq` (or, for a `msg` frame
    /// without an application message, the next [`Event::Error`], which reports it). Announced (and
    /// delivered) before it is acknowledged: the server forgets what was acknowledged.
    Received {
        /// Its number in the session.
        seq: u64,
    },
    /// Send `id` could never go out (too large for this server) and was dropped.
    Dropped {
        /// The send.
        id: MessageId,
    },
}

/// The state a tab hands to the next one that leads a shared connection: the resumable session,
/// how far the server's messages were delivered, and the messages the server may not have.
#[derive(Debug)]
pub struct Handover<P> {
    /// The session to resume.
    pub session_id: String,
    /// The highest server sequence number delivered to this tab.
    pub last_in: u64,
    /// The number after the last one given to an outgoing message.
    pub next_seq: u64,
    /// Unacknowledged messages with their numbers, in increasing order.
    pub log: Vec<(u64, P)>,
}

/// Something the user is told, as an event of the same name.
#[derive(Debug, Clone, PartialEq)]
pub enum Event<M> {
    /// `state`: the public state changed.
    State(State),
    /// `authenticated`: the server accepted the token.
    Authenticated {
        /// The `userId` the server confirmed.
        user_id: Option<String>,
        /// Whether this connection resumed the previous session (nothing was lost in between).
        resumed: bool,
    },
    /// `resync`: a resumable session could not be resumed (the server's replay window expired, or
    /// another server took over): messages sent to this client while it was away may be lost.
    /// The app must reload its state. Its own unacknowledged messages are sent again.
    Resync,
    /// The server acknowledged every message up to this one: their receipts resolve.
    Delivered {
        /// The last message (with a receipt) that the acknowledgement covers.
        through: MessageId,
    },
    /// This message went out where no acknowledgement can come (at-most-once): its receipt
    /// cannot resolve, and rejects.
    Unconfirmed(MessageId),
    /// This message could not be delivered and was dropped (reported with an `error` too).
    Undeliverable(MessageId),
    /// `message`: an application message, as parsed.
    Message(M),
    /// `reconnecting`: the next attempt starts after `delay_ms`.
    Reconnecting {
        /// 1 for the first retry after a loss, counting up until a connection stays up for
        /// `reconnect.minUptimeMs`.
        attempt: u32,
        /// The delay chosen by the backoff.
        delay_ms: Millis,
    },
    /// `close`: a socket closed.
    Close {
        /// The close code (from the server, the browser, or the SDK).
        code: u16,
        /// The close reason.
        reason: String,
        /// Whether a reconnect will follow.
        will_reconnect: bool,
    },
    /// `error`: something went wrong; see the code.
    Error(SdkError),
    /// `error` with code `message_too_large`: a message accepted before the server said what it
    /// takes (queued, or one of the app's `subscriptions`) is over that limit, and was dropped.
    /// Its error is the one `send()` refuses the same sizes with (`SdkError::from` a
    /// [`SendError::MessageTooLarge`]), which the npm driver builds itself (issue 14: no such text
    /// in the wasm).
    TooLarge {
        /// The message's size in UTF-8 bytes.
        bytes: usize,
        /// The limit it is over.
        limit: usize,
    },
}

/// Re-authentications are at least this far apart, whatever `expiresIn` the token endpoint
/// claims: a token that "expires" in a millisecond must not turn into a fetch loop.
const MIN_REAUTH_GAP_MS: Millis = 1000;

/// Where the lifecycle stands, with the deadlines that belong to each step. The public
/// [`State`] is a function of this, so the two cannot disagree.
#[derive(Debug)]
enum Phase {
    /// Token fetch and socket open run in parallel; `auth` goes out when both are done.
    Connecting {
        conn: ConnectionId,
        deadline: Millis,
        grant: Option<TokenGrant>,
        refresh_at: Option<Millis>,
        open: bool,
    },
    Authenticating {
        conn: ConnectionId,
        deadline: Millis,
        refresh_at: Option<Millis>,
    },
    Authenticated(Live),
    Backoff {
        until: Millis,
    },
    /// Offline: no attempt is made, or spent, until `online`. `first` when no attempt was ever
    /// made (the page loaded offline).
    WaitingForNetwork {
        first: bool,
    },
    /// The page is frozen or in the back/forward cache; reconnect when it comes back.
    Suspended,
    /// Finished for good, with the error that ended it (what `ready()` rejects with).
    Closed {
        error: Option<SdkError>,
    },
}

/// An authenticated connection and its timers.
#[derive(Debug)]
struct Live {
    conn: ConnectionId,
    /// The app's `subscriptions` were asked for and the announcement (`authenticated`) waits for
    /// them, so nothing is sent or told before they go out: `(userId, resumed)`.
    awaiting_subscriptions: Option<(Option<String>, bool)>,
    /// The largest frame the server takes, if it said.
    server_max_bytes: Option<usize>,
    /// When the pacer allows the next message, or the paused flush reads `bufferedAmount` again.
    pace_at: Option<Millis>,
    /// What the browser may hold unsent: its last `bufferedAmount` plus every byte written since,
    /// an upper bound (it only drains).
    buffered: usize,
    /// Whether the flush may write, or waits for `bufferedAmount`.
    drain: Drain,
    /// Received `msg` frames not yet acknowledged, and when the batched `ack` is due.
    unacked_in: u32,
    ack_at: Option<Millis>,
    /// Leading a shared connection: the last server number delivered at the previous ack tick,
    /// the next to acknowledge. An acknowledgement trails delivery by a tick, so that the other
    /// tabs have heard of every message it covers (announcements and the socket are separate
    /// pipes: a leader that crashed right after an ack could otherwise take announcements with
    /// it that the server, having the ack, no longer replays).
    ack_ready: u64,
    /// The last acknowledgement sent.
    acked_out: u64,
    /// When it authenticated: a close before `min_uptime_ms` is a failed attempt.
    since: Millis,
    /// When to start the next re-authentication.
    reauth_at: Option<Millis>,
    /// A re-authentication under way: token fetch and `reauth_response` must finish by then.
    reauth_deadline: Option<Millis>,
    /// Re-authentications in a row that got no token: the next is tried after the reconnect
    /// backoff's delay for this count, so a fleet of clients does not retry in step.
    reauth_failures: u32,
    /// When to send the next heartbeat ping.
    ping_at: Option<Millis>,
    /// The pong for the last ping must arrive by then.
    pong_deadline: Option<Millis>,
    /// Set once the `reauth` is on the wire (a `reauth_response` before it answers nothing):
    /// when the token it carries should itself be refreshed.
    pending_refresh: Option<Option<Millis>>,
}

/// Where the flush stands with the browser's send buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Drain {
    /// Writing: what may be unsent is under [`BUFFERED_HIGH_WATER`].
    Flowing,
    /// `MeasureBuffered` is out; its answer decides.
    Measuring,
    /// Over the mark: `bufferedAmount` is read again at `pace_at`.
    Polling,
}

/// A resumable session, once a server granted one.
#[derive(Debug, Default)]
struct Resumable {
    /// The session id, offered back on the next connection.
    id: Option<String>,
    /// The highest server sequence number delivered to the app.
    last_in: u64,
}

/// An `ack` goes out after this many received messages, or [`ACK_DELAY_MS`] after the first of
/// them, whichever comes first: batched, never one frame per message.
const ACK_EVERY: u32 = 32;
const ACK_DELAY_MS: Millis = 100;

/// Bytes the browser may hold unsent on a socket (its `bufferedAmount`) before the flush pauses.
/// Beyond it, messages wait in the outbox instead: there they count against `maxQueuedMessages`
/// and, in at-most-once mode, survive a lost connection, which bytes in the browser's buffer do
/// not. The core counts what it writes and asks the browser only when the count passes the mark,
/// so a flush of many messages overshoots it by one message at most (protocol frames, a few
/// bytes each, are not counted) and a fast connection costs no reads.
pub const BUFFERED_HIGH_WATER: u32 = 256 * 1024;

/// How often a paused flush reads `bufferedAmount` again (the browser has no "drained" event).
const DRAIN_POLL_MS: Millis = 10;

/// Bytes of the `{"type":"msg","seq":N,"data":…}` wrapping, at most: counted in what the socket
/// buffers (the server's limit is on the message inside it, PROTOCOL.md).
const WRAPPING_BYTES: usize = 48;

/// What follows the loss of a socket.
enum Next {
    /// Reconnect if attempts remain.
    Retry,
    /// End the session, telling the user why when it is an error.
    Stop(Option<SdkError>),
}

/// The connection lifecycle: tokens, authentication, re-authentication, heartbeat, the send
/// queue and reconnects. `M` is a parsed application message and `P` an outgoing one, both
/// opaque to the core but for `P`'s size.
#[derive(Debug)]
pub struct SessionCore<M, P = String> {
    config: Config,
    phase: Phase,
    outbox: Outbox<P>,
    resumable: Resumable,
    delivery: Delivery,
    backoff: Backoff,
    /// Consecutive failed attempts: reset only by a connection that stayed up long enough.
    attempts: u32,
    /// The token request in flight, if any: the only one whose answer counts.
    token_request: Option<RequestId>,
    /// Pacing to the rate the server advertised, while authenticated. Kept across connections:
    /// a server may count a user's messages across them (the test server does), and a bucket
    /// full again on every reconnect would let a burst after a burst trip its 4008.
    pacer: Option<Pacer>,
    /// Source of connection and request ids.
    next_id: u32,
    online: bool,
    /// The state the user was last told about, to emit `state` only on a change.
    reported: State,
    /// Whether [`Action::Replicate`] is emitted (a tab leading a shared connection).
    replicating: bool,
    /// The actions not yet polled: a FIFO as a `Vec` whose polled slots before `polled` are
    /// empty, emptied whenever it is drained. (One `VecDeque` type fewer in the wasm: the outbox
    /// keeps the only one, issue 14.)
    actions: Vec<Option<Action<M, P>>>,
    polled: usize,
    /// The last two tokens sent, as hashes (`Fingerprint`): a server's text that quotes either is
    /// withheld from the app. Two: after a re-authentication, the server may still write about the
    /// token it replaced (a close for its expiry, say).
    sent_tokens: [Fingerprint; 2],
    /// The socket the browser reported closing ([`Self::handle_closing`]), written to no more.
    closing: Option<ConnectionId>,
}

impl<M, P: Payload> SessionCore<M, P> {
    /// Starts a session at `now`. `seed` drives the backoff jitter; `online` is what the browser
    /// says now (`navigator.onLine`): offline, the first attempt waits for the network.
    pub fn new(config: Config, seed: u64, now: Millis, online: bool) -> Self {
        let mut core = Self {
            outbox: Outbox::new(config.max_queued_messages),
            resumable: Resumable::default(),
            delivery: Delivery::AtMostOnce,
            backoff: Backoff::new(config.reconnect, seed),
            config,
            phase: Phase::WaitingForNetwork { first: true },
            attempts: 0,
            token_request: None,
            pacer: None,
            next_id: 0,
            online,
            reported: State::Connecting,
            replicating: false,
            actions: Vec::new(),
            polled: 0,
            sent_tokens: Default::default(),
            closing: None,
        };
        core.connect(now, true);
        core
    }

    /// Leads a shared connection: from now on emits [`Action::Replicate`] for the other tabs,
    /// and, given the last leader's `handover`, resumes its session with its unacknowledged
    /// messages (they keep their numbers, and go out before anything sent from now on). Called
    /// before the first `auth` goes out (right after [`Self::new`]); later, the handover is ignored.
    pub fn replicate(&mut self, handover: Option<Handover<P>>) {
        self.replicating = true;
        let fresh = self.outbox.is_empty() && self.resumable.id.is_none();
        if let (Some(handover), true) = (handover, fresh) {
            self.resumable = Resumable { id: Some(handover.session_id), last_in: handover.last_in };
            self.outbox.adopt(handover.log, handover.next_seq);
        }
    }

    // Out of line: most sessions share nothing, and its callers are inlined in several places.
    #[inline(never)]
    fn replicate_out(&mut self, record: Replication<P>) {
        if self.replicating {
            self.actions.push(Some(Action::Replicate(record)));
        }
    }

    /// The public state.
    pub fn state(&self) -> State {
        match self.phase {
            Phase::Connecting { .. } | Phase::WaitingForNetwork { first: true } => State::Connecting,
            Phase::Authenticating { .. } => State::Authenticating,
            Phase::Authenticated(_) => State::Authenticated,
            Phase::Backoff { .. } | Phase::WaitingForNetwork { first: false } | Phase::Suspended => {
                State::Reconnecting
            }
            Phase::Closed { .. } => State::Closed,
        }
    }

    /// The error that ended the session, once it is closed (none after a plain `close()`).
    pub fn final_error(&self) -> Option<&SdkError> {
        match &self.phase {
            Phase::Closed { error } => error.as_ref(),
            _ => None,
        }
    }

    /// How many messages the session still owes the server: waiting to be sent, or (in a
    /// resumable session) sent and not yet acknowledged.
    pub fn queued_count(&self) -> usize {
        self.outbox.len()
    }

    /// Whether `send()` reads its `now`: only when the server advertised a message rate, which
    /// paces sending. Otherwise a driver may pass its last clock reading and skip the clock.
    pub fn send_reads_clock(&self) -> bool {
        matches!(self.phase, Phase::Authenticated(_)) && self.pacer.is_some()
    }

    /// Whether [`Self::handle_frame`] reads its `now` for `frame`. When it does not, a driver may
    /// pass its last clock reading instead of reading the clock again: an application message
    /// never needs one, nor a `msg` frame that neither skips ahead (a gap closes the socket and
    /// schedules the reconnect) nor starts the acknowledgement timer (issue 14: no clock read
    /// for frames that need none).
    pub fn frame_reads_clock(&self, frame: &Inbound<M>) -> bool {
        match (frame, &self.phase) {
            (Inbound::App(_), _) => false,
            (Inbound::Sequenced { seq, .. }, Phase::Authenticated(live)) => {
                live.ack_at.is_none() || *seq > self.resumable.last_in.saturating_add(1)
            }
            _ => true,
        }
    }

    /// The id the next accepted `send()` will get (ids only grow).
    pub fn next_message_id(&self) -> MessageId {
        self.outbox.next_id()
    }

    /// What the connection promises about delivery (known once a server answered `auth`).
    pub fn delivery(&self) -> Delivery {
        self.delivery
    }

    /// When the next re-authentication starts, if one is scheduled (authenticated, and re-auth
    /// not disabled). For diagnostics panels: the time, never the token.
    pub fn next_reauth_at(&self) -> Option<Millis> {
        match &self.phase {
            Phase::Authenticated(live) => live.reauth_at,
            _ => None,
        }
    }

    /// The next thing the driver must do, oldest first.
    pub fn poll_action(&mut self) -> Option<Action<M, P>> {
        let action = self.actions.get_mut(self.polled).and_then(Option::take);
        if action.is_some() {
            self.polled += 1;
        } else {
            self.actions.clear();
            self.polled = 0;
        }
        action
    }

    /// Whether [`Self::poll_action`] has an action to give, without taking it: a driver can tell
    /// a frame whose only effect is its message (and deliver it itself) while everything else
    /// stays in the queue, where `close()` and a hand-over still see it.
    pub fn has_action(&self) -> bool {
        self.actions.get(self.polled).is_some_and(Option::is_some)
    }

    /// When the driver must call [`Self::handle_timeout`] next, if ever.
    pub fn poll_timeout(&self) -> Option<Millis> {
        match &self.phase {
            Phase::Connecting { deadline, .. } | Phase::Authenticating { deadline, .. } => Some(*deadline),
            Phase::Backoff { until } => Some(*until),
            Phase::Authenticated(live) => [
                live.reauth_at,
                live.reauth_deadline,
                live.ping_at,
                live.pong_deadline,
                live.pace_at,
                live.ack_at,
            ]
            .into_iter()
            .flatten()
            .min(),
            Phase::WaitingForNetwork { .. } | Phase::Suspended | Phase::Closed { .. } => None,
        }
    }

    /// The user's `send()`: goes out now when authenticated (and the pacing allows), else waits
    /// in the outbox. `receipt`: the app waits to learn that the server received it
    /// ([`Event::Delivered`], [`Event::Unconfirmed`], [`Event::Undeliverable`] name its id).
    pub fn send(&mut self, now: Millis, message: P, receipt: bool) -> Result<MessageId, SendError> {
        if let Phase::Closed { .. } = self.phase {
            return Err(SendError::Closed);
        }
        let (bytes, limit) = (message.byte_len(), self.message_limit());
        if bytes > limit {
            return Err(SendError::MessageTooLarge { bytes, limit });
        }
        let id = self.outbox.push(message, receipt)?;
        self.flush(now);
        Ok(id)
    }

    /// The largest message `send()` accepts: the option, and on a connection to a server that
    /// advertised a smaller limit, that limit. It bounds the application message itself: the
    /// `msg` wrapping comes on top, and a server must accept it (PROTOCOL.md).
    fn message_limit(&self) -> usize {
        self.server_message_limit()
            .map_or(self.config.max_message_bytes, |server| server.min(self.config.max_message_bytes))
    }

    /// The `maxMessageBytes` the server of the authenticated connection advertised, if any: what
    /// a shared socket's leader tells the other tabs, whose own option may differ.
    pub fn server_message_limit(&self) -> Option<usize> {
        match &self.phase {
            Phase::Authenticated(live) => live.server_max_bytes,
            _ => None,
        }
    }

    /// Sends what waits, in order, as far as the connection and its pacing allow.
    fn flush(&mut self, now: Millis) {
        let sequenced = self.delivery == Delivery::ExactlyOnce;
        self.flush_outbox(now, sequenced);
        if !sequenced {
            self.outbox.forget_sent();
        }
    }

    /// [`Self::flush`]'s loop: every `return` leaves the at-most-once batch to its caller.
    fn flush_outbox(&mut self, now: Millis, sequenced: bool) {
        let limit = match &self.phase {
            Phase::Authenticated(live)
                if live.awaiting_subscriptions.is_none() && self.closing != Some(live.conn) =>
            {
                live.server_max_bytes
            }
            _ => return,
        };
        while let Some(next) = self.outbox.next_unsent() {
            let bytes = next.byte_len();
            if limit.is_some_and(|limit| bytes > limit) {
                // Accepted before this server said what it takes: sending it would only get the
                // connection closed (4009), again and again. Dropped, and said so.
                if let Some((id, receipt)) = self.outbox.drop_next() {
                    let limit = limit.unwrap_or_default();
                    self.replicate_out(Replication::Dropped { id });
                    self.emit(Event::TooLarge { bytes, limit });
                    if receipt {
                        self.emit(Event::Undeliverable(id));
                    }
                }
                continue;
            }
            let Phase::Authenticated(live) = &mut self.phase else { return };
            if live.drain != Drain::Flowing {
                return;
            }
            if live.buffered > BUFFERED_HIGH_WATER as usize {
                live.drain = Drain::Measuring;
                self.actions.push(Some(Action::MeasureBuffered(live.conn)));
                return;
            }
            if let Some(pacer) = &mut self.pacer {
                if !pacer.try_take(now) {
                    live.pace_at = Some(pacer.next_at(now));
                    return;
                }
            }
            live.pace_at = None;
            live.buffered += bytes + if sequenced { WRAPPING_BYTES } else { 0 };
            let Some(out) = self.outbox.take_next(sequenced) else { return };
            if self.replicating && out.fresh {
                let message = out.message.clone();
                self.replicate_out(Replication::Sent { seq: out.seq, id: out.id, message });
            }
            self.actions.push(Some(Action::SendApp { seq: out.seq, message: out.message }));
            if out.receipt && !sequenced {
                self.emit(Event::Unconfirmed(out.id));
            }
        }
    }

    /// The user's `close()`: close 1000, no reconnect, nothing fires afterwards.
    pub fn close(&mut self, now: Millis) {
        self.close_with(now, close_code::NORMAL, "closed by client");
    }

    /// Like [`Self::close`], but the server keeps the session for the tab that takes the shared
    /// connection over (close 4015 instead of 1000, which would end it).
    ///
    /// Application messages decided but not yet written are not written: the tab that takes over
    /// sends them (each stays in its tab's outbox), so none can reach the server unannounced, as
    /// it could if the hand-over came from a handler in the middle of a flush.
    pub fn hand_over(&mut self, now: Millis) {
        // Only undelivered (`Some`) actions go, all of them after `polled`: the index stays right.
        self.actions.retain(|action| {
            !matches!(action, Some(Action::SendApp { .. } | Action::Replicate(Replication::Sent { .. })))
        });
        self.close_with(now, close_code::HANDED_OVER, "handed over to another tab");
    }

    fn close_with(&mut self, now: Millis, code: u16, reason: &'static str) {
        if let Phase::Closed { .. } = self.phase {
            return;
        }
        // Actions already decided but not yet run would otherwise fire after `close()`. What
        // stays: sends accepted before the close (like a browser WebSocket's buffered data), and
        // the releases of a socket or request, which must happen whatever follows.
        self.actions.retain(|action| {
            matches!(
                action,
                Some(
                    Action::Send(_)
                        | Action::SendApp { .. }
                        | Action::Replicate(_)
                        | Action::CloseSocket { .. }
                        | Action::AbortTokenRequest(_)
                )
            )
        });
        self.polled = 0;
        self.outbox.clear();
        if self.current_conn().is_some() {
            self.abort_socket(now, code, reason, Next::Stop(None));
        } else {
            self.cancel_token_request();
            self.finish(None);
        }
    }

    /// The token source answered request `request`. An answer to an abandoned request is
    /// dropped (and its token zeroed).
    pub fn handle_token(&mut self, now: Millis, request: RequestId, result: Result<TokenGrant, TokenError>) {
        if self.token_request != Some(request) {
            return;
        }
        self.token_request = None;
        let grant = match result {
            Ok(grant) => grant,
            Err(TokenError::Unauthorized) => return self.unauthorized(now),
            Err(TokenError::Unavailable(why)) => return self.token_unavailable(now, &why),
            Err(TokenError::Invalid(why)) => return self.token_unavailable(now, why),
        };
        let refresh_at = refresh_time(now, grant.lifetime_ms);
        match &mut self.phase {
            Phase::Connecting { grant: slot @ None, refresh_at: slot_refresh, open, .. } => {
                let open = *open;
                *slot = Some(grant);
                *slot_refresh = refresh_at;
                if open {
                    self.send_auth(now);
                }
            }
            Phase::Authenticated(live) if live.reauth_deadline.is_some() => {
                live.pending_refresh = Some(refresh_at);
                Self::remember(&mut self.sent_tokens, &grant.token);
                self.actions.push(Some(Action::Send(OutboundFrame::reauth(&grant.token))));
            }
            // Unreachable while requests are tracked; dropped (and zeroed) if it ever happens.
            _ => {}
        }
    }

    /// Socket `conn` opened.
    pub fn handle_open(&mut self, now: Millis, conn: ConnectionId) {
        if let Phase::Connecting { conn: current, open: open @ false, grant, .. } = &mut self.phase {
            if *current != conn {
                return;
            }
            *open = true;
            if grant.is_some() {
                self.send_auth(now);
            }
        }
    }

    /// A well-formed frame arrived on socket `conn`.
    pub fn handle_frame(&mut self, now: Millis, conn: ConnectionId, frame: Inbound<M>) {
        if self.current_conn() != Some(conn) {
            return;
        }
        let authenticated = matches!(self.phase, Phase::Authenticated(_));
        match frame {
            // Answered only once authenticated: `auth` is the first frame on every connection.
            Inbound::Ping if authenticated => self.actions.push(Some(Action::Send(OutboundFrame::pong()))),
            Inbound::Ping => {}
            Inbound::Pong => {
                if let (Phase::Authenticated(live), Some(heartbeat)) =
                    (&mut self.phase, self.config.heartbeat)
                {
                    live.pong_deadline = None;
                    live.ping_at = Some(now.saturating_add(heartbeat.interval_ms));
                }
            }
            Inbound::Error { code, message } => {
                let (code, message) = (self.shown_to_app(code), self.shown_to_app(message));
                self.emit(Event::Error(SdkError::new(ErrorCode::Server(code), message)));
            }
            Inbound::AuthResponse(verdict) => self.auth_response(now, verdict),
            Inbound::ReauthResponse(verdict) => self.reauth_response(now, verdict),
            Inbound::App(message) if authenticated => self.emit(Event::Message(message)),
            Inbound::App(_) => self.invalid_frame("application message before authentication"),
            Inbound::Sequenced { seq, data } => self.sequenced(now, seq, data),
            Inbound::Ack { seq } => {
                if !authenticated || self.delivery != Delivery::ExactlyOnce {
                    return self.invalid_frame("ack outside a resumable session");
                }
                // Nothing numbered after what was sent can have been received: taken as it is,
                // the other tabs would count later messages as confirmed (and lose them).
                if seq > self.outbox.numbered() {
                    return self.invalid_frame("ack beyond what was sent");
                }
                self.replicate_out(Replication::Acked { seq });
                if let Some(through) = self.outbox.acknowledge(seq) {
                    self.emit(Event::Delivered { through });
                }
            }
        }
    }

    /// A numbered message of the resumable session: delivered once, in order. One whose `data`
    /// is no application message is reported instead, and counted like the others: left out,
    /// its number would be a gap, and every resume would replay it into the same gap.
    fn sequenced(&mut self, now: Millis, seq: u64, data: Option<M>) {
        let Phase::Authenticated(_) = &self.phase else {
            return self.invalid_frame("application message before authentication");
        };
        if self.delivery != Delivery::ExactlyOnce {
            return self.invalid_frame("msg outside a resumable session");
        }
        let last = self.resumable.last_in;
        if seq > last.saturating_add(1) {
            // A hole in the stream: resuming makes the server replay from what was delivered.
            return self.abort_socket(now, close_code::SEQUENCE_GAP, "sequence gap", Next::Retry);
        }
        // Delivered (and, sharing, announced to the other tabs) before it is acknowledged: the
        // server forgets what was acknowledged.
        if seq == last + 1 {
            self.resumable.last_in = seq;
            self.replicate_out(Replication::Received { seq });
            match data {
                Some(data) => self.emit(Event::Message(data)),
                None => self.invalid_frame("msg data is not an application message"),
            }
        }
        self.count_unacked(now, seq);
    }

    /// A `msg` frame arrived (new or a duplicate, which is acknowledged again but not delivered
    /// again): the batched `ack` is due after [`ACK_EVERY`] of them or [`ACK_DELAY_MS`].
    fn count_unacked(&mut self, now: Millis, seq: u64) {
        let Phase::Authenticated(live) = &mut self.phase else { return };
        let last = self.resumable.last_in;
        live.unacked_in += 1;
        if self.replicating {
            // Acknowledged on the timer only, a tick behind (see `Live::ack_ready`).
            if live.ack_at.is_none() {
                live.ack_at = Some(now.saturating_add(ACK_DELAY_MS));
            }
        } else if live.unacked_in >= ACK_EVERY {
            live.unacked_in = 0;
            live.ack_at = None;
            self.actions.push(Some(Action::Send(OutboundFrame::ack(seq.max(last)))));
        } else if live.ack_at.is_none() {
            live.ack_at = Some(now.saturating_add(ACK_DELAY_MS));
        }
    }

    /// A frame arrived on socket `conn` that could not be classified: reported, dropped,
    /// connection kept.
    pub fn handle_invalid_frame(&mut self, conn: ConnectionId, error: FrameError) {
        if self.current_conn() == Some(conn) {
            self.invalid_frame(&error.message());
        }
    }

    /// Socket `conn` closed (by the server, the network, or a failed connect).
    pub fn handle_close(&mut self, now: Millis, conn: ConnectionId, code: u16, reason: String) {
        if self.current_conn() != Some(conn) {
            return;
        }
        let next = match close_code::classify(code) {
            CloseAction::Reconnect => Next::Retry,
            CloseAction::Stop => Next::Stop(None),
        };
        let reason = self.shown_to_app(reason);
        self.socket_gone(now, code, reason, next);
    }

    /// The browser went offline or online. Offline, no attempt is made or spent; online starts
    /// the next attempt at once. Either way a live connection's liveness is checked, since a
    /// network change can leave it half-open.
    pub fn handle_network(&mut self, now: Millis, online: bool) {
        self.online = online;
        match self.phase {
            Phase::WaitingForNetwork { first } if online => self.connect(now, first),
            Phase::Backoff { .. } if online => self.connect(now, false),
            Phase::Authenticated(_) => self.check_liveness(now),
            _ => {}
        }
    }

    /// The page changed visibility or was frozen / restored (see [`PageEvent`]). A closed
    /// session stays closed.
    pub fn handle_page(&mut self, now: Millis, event: PageEvent) {
        match event {
            PageEvent::Visible => self.check_liveness(now),
            PageEvent::Resume => match self.phase {
                Phase::Suspended => self.connect(now, false),
                Phase::Authenticated(_) => self.check_liveness(now),
                _ => {}
            },
            PageEvent::Suspend => match self.phase {
                Phase::Closed { .. } | Phase::Suspended => {}
                _ => {
                    if self.current_conn().is_some() {
                        self.forgive_if_long_lived(now);
                        self.actions.push(Some(Action::CloseSocket {
                            code: close_code::PAGE_SUSPENDED,
                            reason: "page suspended",
                        }));
                        self.emit(Event::Close {
                            code: close_code::PAGE_SUSPENDED,
                            reason: "page suspended".into(),
                            will_reconnect: true,
                        });
                    }
                    self.cancel_token_request();
                    self.phase = Phase::Suspended;
                    self.report_state();
                }
            },
        }
    }

    /// The app's `subscriptions` answered an [`Action::CollectSubscriptions`]: these messages go
    /// out first on `conn`, before anything queued. A message over `maxMessageBytes` is reported
    /// and skipped; an `Err` (the app's function threw) is reported and nothing is sent.
    pub fn handle_subscriptions(
        &mut self,
        now: Millis,
        conn: ConnectionId,
        result: Result<Vec<P>, SdkError>,
    ) {
        if self.current_conn() != Some(conn) {
            return;
        }
        let Phase::Authenticated(live) = &mut self.phase else { return };
        let Some((user_id, resumed)) = live.awaiting_subscriptions.take() else { return };
        match result {
            Ok(mut messages) => {
                let limit = self.message_limit();
                // In place, in order: the ones over the limit are reported, the rest go first.
                messages.retain(|message| {
                    let bytes = message.byte_len();
                    if bytes > limit {
                        self.emit(Event::TooLarge { bytes, limit });
                    }
                    bytes <= limit
                });
                self.outbox.push_first(messages);
            }
            Err(error) => self.emit(Event::Error(error)),
        }
        self.announce(now, user_id, resumed);
    }

    /// Socket `conn` is closing: the browser's `readyState` says so (the server's close frame came)
    /// before its `close` event does, and nothing written to it now would leave. So nothing more
    /// is written to it: what is owed stays owed and goes out on the next connection (at most once
    /// too, where a message written now would be lost unsaid).
    ///
    /// Remembered in any phase: a socket reported closing while authenticating gets no flush
    /// when the `auth_response` still comes.
    pub fn handle_closing(&mut self, conn: ConnectionId) {
        if self.current_conn() == Some(conn) {
            self.closing = Some(conn);
        }
    }

    /// Socket `conn` holds `buffered` bytes unsent (its `bufferedAmount`), the answer to
    /// [`Action::MeasureBuffered`]. Over the mark the flush waits and asks again after a short
    /// poll; under it, the flush goes on.
    pub fn handle_buffered(&mut self, now: Millis, conn: ConnectionId, buffered: u32) {
        let Phase::Authenticated(live) = &mut self.phase else { return };
        if live.conn != conn || live.drain != Drain::Measuring {
            return;
        }
        live.buffered = buffered as usize;
        if buffered > BUFFERED_HIGH_WATER {
            live.drain = Drain::Polling;
            live.pace_at = Some(now.saturating_add(DRAIN_POLL_MS));
        } else {
            live.drain = Drain::Flowing;
            self.flush(now);
        }
    }

    /// The time given by [`Self::poll_timeout`] (or later) has come.
    pub fn handle_timeout(&mut self, now: Millis) {
        let due = |at: Option<Millis>| at.is_some_and(|at| at <= now);
        match &mut self.phase {
            Phase::Connecting { deadline, .. } if *deadline <= now => {
                self.abort_socket(now, close_code::AUTH_TIMEOUT, "connect timeout", Next::Retry);
            }
            Phase::Authenticating { deadline, .. } if *deadline <= now => {
                self.abort_socket(now, close_code::AUTH_TIMEOUT, "authentication timeout", Next::Retry);
            }
            Phase::Backoff { until } if *until <= now => self.connect(now, false),
            Phase::Authenticated(live) => {
                if due(live.ack_at) {
                    live.ack_at = None;
                    live.unacked_in = 0;
                    if !self.replicating {
                        self.actions.push(Some(Action::Send(OutboundFrame::ack(self.resumable.last_in))));
                    } else {
                        if live.ack_ready > live.acked_out {
                            live.acked_out = live.ack_ready;
                            self.actions.push(Some(Action::Send(OutboundFrame::ack(live.ack_ready))));
                        }
                        let last = self.resumable.last_in;
                        if last > live.ack_ready {
                            live.ack_ready = last;
                            live.ack_at = Some(now.saturating_add(ACK_DELAY_MS));
                        }
                    }
                }
                if due(live.pace_at) {
                    live.pace_at = None;
                    if live.drain == Drain::Polling {
                        live.drain = Drain::Measuring;
                        self.actions.push(Some(Action::MeasureBuffered(live.conn)));
                    } else {
                        self.flush(now);
                    }
                }
                let Phase::Authenticated(live) = &mut self.phase else { return };
                if due(live.pong_deadline) {
                    self.abort_socket(now, close_code::HEARTBEAT_TIMEOUT, "heartbeat timeout", Next::Retry);
                } else if due(live.reauth_deadline) {
                    self.abort_socket(
                        now,
                        close_code::AUTH_TIMEOUT,
                        "re-authentication timeout",
                        Next::Retry,
                    );
                } else {
                    if due(live.ping_at) {
                        live.ping_at = None;
                        live.pong_deadline = self.config.heartbeat.map(|h| now.saturating_add(h.timeout_ms));
                        self.actions.push(Some(Action::Send(OutboundFrame::ping())));
                    }
                    if due(live.reauth_at) {
                        live.reauth_at = None;
                        live.reauth_deadline = Some(now.saturating_add(self.config.reauth_timeout_ms));
                        self.request_token();
                    }
                }
            }
            _ => {}
        }
    }

    /// The socket of the current attempt or connection, if there is one.
    fn current_conn(&self) -> Option<ConnectionId> {
        match &self.phase {
            Phase::Connecting { conn, .. } | Phase::Authenticating { conn, .. } => Some(*conn),
            Phase::Authenticated(live) => Some(live.conn),
            _ => None,
        }
    }

    fn next_id(&mut self) -> u32 {
        self.next_id = self.next_id.wrapping_add(1);
        self.next_id
    }

    /// Starts an attempt: token fetch and socket open in parallel. Offline, waits for `online`
    /// instead, spending nothing.
    fn connect(&mut self, now: Millis, first: bool) {
        if !self.online {
            self.phase = Phase::WaitingForNetwork { first };
            return self.report_state();
        }
        let conn = ConnectionId(self.next_id());
        self.phase = Phase::Connecting {
            conn,
            deadline: now.saturating_add(self.config.auth_timeout_ms),
            grant: None,
            refresh_at: None,
            open: false,
        };
        self.request_token();
        self.actions.push(Some(Action::OpenSocket(conn)));
        self.report_state();
    }

    /// A fresh token request. One that is still in flight is abandoned first: a request that
    /// never answers must not hold up the next attempt.
    fn request_token(&mut self) {
        self.cancel_token_request();
        let request = RequestId(self.next_id());
        self.token_request = Some(request);
        self.actions.push(Some(Action::FetchToken(request)));
    }

    fn cancel_token_request(&mut self) {
        if let Some(request) = self.token_request.take() {
            self.actions.push(Some(Action::AbortTokenRequest(request)));
        }
    }

    /// Both the token and the open socket are there: authenticate with the first message.
    fn send_auth(&mut self, now: Millis) {
        let Phase::Connecting { conn, grant: Some(grant), refresh_at, .. } = &self.phase else {
            return;
        };
        Self::remember(&mut self.sent_tokens, &grant.token);
        let offer = self.resumable.id.as_deref();
        self.actions.push(Some(Action::Send(OutboundFrame::auth(
            &grant.token,
            offer,
            self.resumable.last_in,
        ))));
        let (conn, refresh_at) = (*conn, *refresh_at);
        // Replacing the phase drops the grant: the token is zeroed as soon as it is sent.
        self.phase = Phase::Authenticating {
            conn,
            deadline: now.saturating_add(self.config.auth_timeout_ms),
            refresh_at,
        };
        self.report_state();
    }

    fn auth_response(&mut self, now: Millis, verdict: Verdict) {
        let Phase::Authenticating { conn, refresh_at, .. } = self.phase else {
            return self.invalid_frame("unexpected auth_response");
        };
        match verdict {
            Verdict::Accepted { user_id, session, limits, ignored } => {
                // A malformed part is ignored, as a malformed limit is: the authentication
                // stands (on an at-most-once session, when it was the session grant).
                if let Some(error) = ignored {
                    self.invalid_frame(&error.message());
                }
                // A user id that quotes the token is no user id: none, and said so. Nor is such a
                // session id one: it would go back in every `auth`, and to the other tabs of a
                // shared connection. Its grant is ignored, as a malformed one is (at most once).
                let user_id = self.unless_quoting(user_id, "the userId quoted the token: withheld");
                let session = session.and_then(|grant| {
                    let id =
                        self.unless_quoting(Some(grant.id), "the session id quoted the token: ignored")?;
                    Some(SessionGrant { id, ..grant })
                });
                let previous = self.pacer.take();
                self.pacer = limits.messages_per_minute.map(|rate| Pacer::continued(previous, rate, now));
                let resumed = self.negotiate(session);
                let subscribe = self.config.subscriptions && !resumed;
                self.phase = Phase::Authenticated(Live {
                    conn,
                    awaiting_subscriptions: subscribe.then(|| (user_id.clone(), resumed)),
                    server_max_bytes: limits.max_message_bytes,
                    pace_at: None,
                    buffered: 0,
                    drain: Drain::Flowing,
                    unacked_in: 0,
                    ack_at: None,
                    ack_ready: self.resumable.last_in,
                    acked_out: self.resumable.last_in,
                    since: now,
                    reauth_at: self.next_reauth(now, refresh_at),
                    reauth_deadline: None,
                    reauth_failures: 0,
                    ping_at: self.config.heartbeat.map(|h| now.saturating_add(h.interval_ms)),
                    pong_deadline: None,
                    pending_refresh: None,
                });
                if subscribe {
                    // The announcement and the flush wait for the answer (`handle_subscriptions`).
                    self.actions.push(Some(Action::CollectSubscriptions(conn)));
                } else {
                    self.announce(now, user_id, resumed);
                }
            }
            Verdict::Rejected { error } => {
                self.emit(Event::Error(SdkError::new(
                    ErrorCode::AuthFailed,
                    rejected("token", &self.shown_to_app(error)),
                )));
                self.abort_socket(now, close_code::AUTH_FAILED, "authentication failed", Next::Retry);
            }
        }
    }

    /// Takes in what the server said about the resumable session; returns whether it resumed.
    fn negotiate(&mut self, session: Option<SessionGrant>) -> bool {
        let offered = self.resumable.id.is_some();
        let mut lost = false;
        // What was in flight on the old connection is sent again, whatever the outcome.
        self.outbox.rewind();
        let resumed = match session {
            Some(grant) => {
                self.delivery = Delivery::ExactlyOnce;
                let resumed = grant.resumed && self.resumable.id.as_deref() == Some(grant.id.as_str());
                self.replicate_out(Replication::Session { id: Some(grant.id.clone()), resumed });
                // Resumed short of what it acknowledged before: the server lost messages it had
                // confirmed, which the SDK no longer holds. The app hears of it as of a lost session.
                lost = resumed && grant.last_seq < self.outbox.acknowledged();
                // Beyond every number given here: no message of this session had it, so none is
                // taken as delivered on the server's word (only a log adopted from another tab may
                // lack numbers the server has). What is owed is numbered after it, where the server
                // expects the next: sent again, not lost, and no gap for it to refuse.
                let beyond = grant.last_seq > self.outbox.numbered() && !self.outbox.adopted();
                if resumed && beyond {
                    self.invalid_frame("resumed beyond what was sent: nothing taken as delivered");
                    self.outbox.number_after(grant.last_seq);
                } else if resumed {
                    // The server has everything up to `lastSeq`: those are done.
                    self.replicate_out(Replication::Acked { seq: grant.last_seq });
                    if let Some(through) = self.outbox.acknowledge_rewound(grant.last_seq) {
                        self.emit(Event::Delivered { through });
                    }
                } else {
                    self.outbox.renumber();
                    self.resumable.last_in = 0;
                }
                self.resumable.id = Some(grant.id);
                resumed
            }
            None => {
                self.delivery = Delivery::AtMostOnce;
                self.replicate_out(Replication::Session { id: None, resumed: false });
                self.outbox.renumber();
                self.resumable = Resumable::default();
                false
            }
        };
        if offered && (!resumed || lost) {
            self.emit(Event::Resync);
        }
        resumed
    }

    /// Authenticated, subscriptions (if any) in front: what waited goes out, then the app is told.
    fn announce(&mut self, now: Millis, user_id: Option<String>, resumed: bool) {
        // Queued sends leave before any event, so a handler that sends or closes cannot overtake
        // them.
        self.flush(now);
        self.report_state();
        self.emit(Event::Authenticated { user_id, resumed });
    }

    fn reauth_response(&mut self, now: Millis, verdict: Verdict) {
        let Phase::Authenticated(live) = &mut self.phase else {
            return self.invalid_frame("unexpected reauth_response");
        };
        // Only a `reauth` on the wire has an answer: one that came before it (the token still on
        // its way) would end the re-authentication with the fresh token never sent.
        let Some(refresh_at) = live.pending_refresh.take() else {
            return self.invalid_frame("unexpected reauth_response");
        };
        match verdict {
            Verdict::Accepted { .. } => {
                live.reauth_deadline = None;
                live.reauth_failures = 0;
                let next = self.next_reauth(now, refresh_at);
                if let Phase::Authenticated(live) = &mut self.phase {
                    live.reauth_at = next;
                }
            }
            Verdict::Rejected { error } => {
                self.emit(Event::Error(SdkError::new(
                    ErrorCode::ReauthFailed,
                    rejected("fresh token", &self.shown_to_app(error)),
                )));
                self.abort_socket(now, close_code::AUTH_FAILED, "re-authentication failed", Next::Retry);
            }
        }
    }

    /// The earlier of the periodic re-auth and the refresh before the token expires.
    fn next_reauth(&self, now: Millis, refresh_at: Option<Millis>) -> Option<Millis> {
        let interval = self.config.reauth_interval_ms;
        let periodic = (interval > 0).then(|| now.saturating_add(interval));
        periodic.into_iter().chain(refresh_at).min()
    }

    /// A heartbeat ping now, when one is configured and none is outstanding: after sleep or a
    /// network switch a socket can be dead without a close, and this finds out within
    /// `heartbeat.timeoutMs` instead of at the next interval.
    fn check_liveness(&mut self, now: Millis) {
        let (Phase::Authenticated(live), Some(heartbeat)) = (&mut self.phase, self.config.heartbeat) else {
            return;
        };
        if live.pong_deadline.is_none() {
            live.ping_at = None;
            live.pong_deadline = Some(now.saturating_add(heartbeat.timeout_ms));
            self.actions.push(Some(Action::Send(OutboundFrame::ping())));
        }
    }

    fn unauthorized(&mut self, now: Millis) {
        let error = SdkError::new(
            ErrorCode::Unauthorized,
            "the token endpoint answered 401/403: the user is not logged in",
        );
        if self.current_conn().is_some() {
            self.abort_socket(now, close_code::NORMAL, "not authorized", Next::Stop(Some(error)));
        } else {
            self.finish(Some(error));
        }
    }

    fn token_unavailable(&mut self, now: Millis, why: &str) {
        let message = text(&["could not get a token: ", why], &[]);
        match &mut self.phase {
            Phase::Connecting { .. } => {
                self.emit(Event::Error(SdkError::new(ErrorCode::TokenUnavailable, message)));
                self.abort_socket(now, close_code::TOKEN_UNAVAILABLE, "token unavailable", Next::Retry);
            }
            Phase::Authenticated(live) if live.reauth_deadline.is_some() => {
                // The connection itself is fine: try the re-auth again rather than tearing down a
                // working socket over a hiccup of the token endpoint; backing off as a reconnect
                // does (with its jitter), so that clients do not hammer a failing endpoint in step.
                live.reauth_deadline = None;
                let delay = self.backoff.delay(live.reauth_failures).max(MIN_REAUTH_GAP_MS);
                live.reauth_failures = live.reauth_failures.saturating_add(1);
                live.reauth_at = Some(now.saturating_add(delay));
                self.emit(Event::Error(SdkError::new(ErrorCode::TokenUnavailable, message)));
            }
            _ => {}
        }
    }

    fn invalid_frame(&mut self, why: &str) {
        self.emit(Event::Error(SdkError::new(ErrorCode::InvalidFrame, why)));
    }

    /// Closes the current socket from our side, then continues as if it had closed.
    fn abort_socket(&mut self, now: Millis, code: u16, reason: &'static str, next: Next) {
        self.actions.push(Some(Action::CloseSocket { code, reason }));
        self.socket_gone(now, code, reason.to_owned(), next);
    }

    /// A connection that stayed authenticated for `minUptimeMs` healed the session: the attempt
    /// count starts again. One that dropped sooner leaves it where it was.
    fn forgive_if_long_lived(&mut self, now: Millis) {
        if let Phase::Authenticated(live) = &self.phase {
            if now.saturating_sub(live.since) >= self.config.reconnect.min_uptime_ms {
                self.attempts = 0;
            }
        }
    }

    /// Keeps `token`'s fingerprint as the last sent, and the one before it (unless it is the same
    /// token again, which would push out the one before).
    fn remember(sent: &mut [Fingerprint; 2], token: &Token) {
        let fingerprint = Fingerprint::of(token);
        if fingerprint != sent[0] {
            sent[1] = core::mem::replace(&mut sent[0], fingerprint);
        }
    }

    /// Whether `text` quotes one of the last two tokens sent ([`Fingerprint`]).
    fn quotes_sent_token(&self, text: &str) -> bool {
        self.sent_tokens.iter().any(|sent| sent.found_in(text))
    }

    /// `text`, or none when it quotes one of the last two tokens sent, and then the app is told why.
    /// The text is zeroed first: the token must not stay behind in freed memory.
    fn unless_quoting(&mut self, text: Option<String>, why: &str) -> Option<String> {
        match text {
            Some(mut text) if self.quotes_sent_token(&text) => {
                text.zeroize();
                self.invalid_frame(why);
                None
            }
            text => text,
        }
    }

    /// A server's text (an error's code or message, a rejection's reason, a close reason) as the
    /// app gets it: withheld when it quotes one of the last two tokens sent, since apps log and
    /// report such text. Withheld, it is zeroed: the token must not stay behind in freed memory.
    fn shown_to_app(&self, mut text: String) -> String {
        if self.quotes_sent_token(&text) {
            text.zeroize();
            text.push_str("(withheld: it quoted the token)");
        }
        text
    }

    /// The socket is gone, whoever closed it: one `close` event, then a reconnect or the end.
    fn socket_gone(&mut self, now: Millis, code: u16, reason: String, next: Next) {
        self.forgive_if_long_lived(now);
        self.cancel_token_request();
        let retry = matches!(next, Next::Retry);
        // Offline, waiting spends no attempt, so a reconnect always follows.
        let will_reconnect = retry && (!self.online || self.attempts < self.config.reconnect.max_attempts);
        self.emit(Event::Close { code, reason, will_reconnect });
        match next {
            Next::Retry if will_reconnect => self.schedule_reconnect(now),
            Next::Retry => {
                let attempts = self.attempts;
                self.finish(Some(SdkError::new(ErrorCode::ReconnectFailed, {
                    let mut message = String::from("gave up after ");
                    push_number(&mut message, attempts.into());
                    message.push_str(" reconnect attempts");
                    message
                })));
            }
            Next::Stop(error) => self.finish(error),
        }
    }

    fn schedule_reconnect(&mut self, now: Millis) {
        if !self.online {
            self.phase = Phase::WaitingForNetwork { first: false };
            return self.report_state();
        }
        let delay_ms = self.backoff.delay(self.attempts);
        self.attempts += 1;
        self.phase = Phase::Backoff { until: now.saturating_add(delay_ms) };
        self.report_state();
        self.emit(Event::Reconnecting { attempt: self.attempts, delay_ms });
    }

    /// Ends the session for good. Queued messages cannot be sent any more: an error says how
    /// many were discarded, so nothing disappears unannounced. (`close()` empties the queue
    /// itself first: the user asked for it, and `queuedCount` showed what was waiting.)
    fn finish(&mut self, error: Option<SdkError>) {
        let discarded = self.outbox.clear();
        let error = match error {
            None if discarded > 0 => Some(SdkError::new(ErrorCode::Closed, "the connection ended")),
            error => error,
        };
        let error = error.map(|mut error| {
            if discarded > 0 {
                error.message.push_str("; ");
                push_number(&mut error.message, discarded as u64);
                error.message.push_str(" queued messages were discarded");
            }
            error
        });
        if let Some(error) = &error {
            self.emit(Event::Error(error.clone()));
        }
        self.phase = Phase::Closed { error };
        self.report_state();
    }

    /// Tells the user when the state derived from the phase changed.
    fn report_state(&mut self) {
        let state = self.state();
        if self.reported != state {
            self.reported = state;
            self.emit(Event::State(state));
        }
    }

    fn emit(&mut self, event: Event<M>) {
        self.actions.push(Some(Action::Emit(event)));
    }
}

/// When to refresh a token that lives `lifetime_ms`: at 80 % of its life, so a re-auth completes
/// before it expires; never sooner than [`MIN_REAUTH_GAP_MS`], and never later than a timer can
/// wait (an absurd `expiresIn` is bounded, not overflowed).
fn refresh_time(now: Millis, lifetime_ms: Option<Millis>) -> Option<Millis> {
    let lifetime = lifetime_ms.filter(|ms| *ms > 0)?;
    let after = (lifetime.min(MAX_DURATION_MS) / 5 * 4).max(MIN_REAUTH_GAP_MS);
    Some(now.saturating_add(after))
}

fn rejected(what: &str, error: &str) -> String {
    let separator = if error.is_empty() { "" } else { ": " };
    text(&["the server rejected the ", what, separator, error], &[])
}
