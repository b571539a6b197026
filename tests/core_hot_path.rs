//! The core's hot path allocates nothing per message (issue 14): in a session's steady state, an
//! echo (a `send()` out, the server's message in, delivered) takes no heap allocation. On a
//! resumable session what does allocate is per batch, not per message: the batched `ack` frame's
//! text; on an at-most-once session nothing does.
//!
//! A native test of the same `SessionCore` the wasm runs, with a counting global allocator around
//! the core's calls only (the test's own frames are built outside the count). It lives in a test
//! binary of its own: the global allocator is this binary's, and the library forbids `unsafe`.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::{
    alloc::{GlobalAlloc, Layout, System},
    cell::Cell,
    rc::Rc,
};

use secure_ws::core::{
    protocol::FrameKind, Action, Config, ConnectionId, Inbound, Payload, ServerLimits, SessionCore,
    SessionGrant, Token, TokenGrant, Verdict,
};

use common::Message;

struct Counting;

thread_local! {
    /// Allocations made on this thread while counting, or `None` when not counting.
    static ALLOCATIONS: Cell<Option<usize>> = const { Cell::new(None) };
}

fn note_allocation() {
    ALLOCATIONS.with(|count| count.set(count.get().map(|n| n + 1)));
}

// SAFETY: every call is passed on to the system allocator unchanged; the count is a side note.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_allocation();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f`, returning what it returned and how many allocations it made.
fn counted<T>(f: impl FnOnce() -> T) -> (T, usize) {
    ALLOCATIONS.with(|count| count.set(Some(0)));
    let result = f();
    let allocations = ALLOCATIONS.with(|count| count.take()).unwrap_or_default();
    (result, allocations)
}

/// An outgoing message as the browser keeps it: a shared handle to text (a JS string there), so
/// keeping a copy for resending allocates nothing.
#[derive(Debug, Clone)]
struct Text(Rc<str>);

impl Payload for Text {
    fn byte_len(&self) -> usize {
        self.0.len()
    }
}

/// What one batch of actions held that the test checks.
#[derive(Default)]
struct Seen {
    sent: Vec<Option<u64>>,
    delivered: usize,
    acks: usize,
}

struct Client {
    core: SessionCore<Message, Text>,
    conn: Option<ConnectionId>,
    now: u64,
}

impl Client {
    /// Runs the core's actions as a driver would, answering the token and the socket at once.
    fn drain(&mut self, seen: &mut Seen) {
        while let Some(action) = self.core.poll_action() {
            match action {
                Action::FetchToken(request) => {
                    let token = Token::new("header.payload.signature".into()).expect("a valid token");
                    self.core.handle_token(self.now, request, Ok(TokenGrant { token, lifetime_ms: None }));
                }
                Action::OpenSocket(conn) => {
                    self.conn = Some(conn);
                    self.core.handle_open(self.now, conn);
                }
                Action::SendApp { seq, .. } => seen.sent.push(seq),
                // The socket wrote everything out (as the bench's loopback socket does).
                Action::MeasureBuffered(conn) => self.core.handle_buffered(self.now, conn, 0),
                Action::Send(frame) if frame.kind() == FrameKind::Ack => seen.acks += 1,
                Action::Emit(secure_ws::core::Event::Message(_)) => seen.delivered += 1,
                _ => {}
            }
        }
        while let Some(at) = self.core.poll_timeout().filter(|at| *at <= self.now) {
            self.core.handle_timeout(at);
            self.drain(seen);
        }
    }

    fn frame(&mut self, frame: Inbound<Message>) {
        let conn = self.conn.expect("a socket is open");
        self.core.handle_frame(self.now, conn, frame);
    }
}

/// A client authenticated by a server that grants a resumable `session`, or none (at-most-once).
fn connected(session: Option<SessionGrant>) -> Client {
    let mut client = Client { core: SessionCore::new(Config::default(), 7, 0, true), conn: None, now: 0 };
    let mut seen = Seen::default();
    client.drain(&mut seen);
    let limits = ServerLimits::default();
    client.frame(Inbound::AuthResponse(Verdict::Accepted {
        user_id: Some("alice".into()),
        session,
        limits,
        ignored: None,
    }));
    client.drain(&mut seen);
    client
}

/// The bench's ~100-byte message.
fn echo_text() -> Text {
    Text(Rc::from(r#"{"type":"echo","content":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}"#))
}

#[test]
fn an_echo_on_a_resumable_session_allocates_nothing_per_message() {
    let mut client = connected(Some(SessionGrant { id: "s1".into(), resumed: false, last_seq: 0 }));
    let mut seen = Seen::default();
    let text = echo_text();

    // One echo: the send goes out numbered, the server's numbered copy comes back and is
    // delivered; the server acknowledges every 32, as the test server does.
    let echo = |client: &mut Client, seen: &mut Seen, n: u64| {
        client.now += 1;
        let message = text.clone();
        let numbered = Inbound::Sequenced { seq: n, data: Some(Message) };
        let ack = (n % 32 == 0).then_some(Inbound::Ack { seq: n });
        counted(|| {
            client.core.send(client.now, message, false).expect("accepted");
            client.drain(seen);
            client.frame(numbered);
            if let Some(ack) = ack {
                client.frame(ack);
            }
            client.drain(seen);
        })
        .1
    };
    // Warm-up: the queues grow to their working size once.
    for n in 1..=1_000 {
        echo(&mut client, &mut seen, n);
    }
    // Reserved ahead: the test's own record must not count.
    let mut steady = Seen { sent: Vec::with_capacity(10_000), ..Seen::default() };
    let mut allocations = 0;
    for n in 1_001..=11_000 {
        allocations += echo(&mut client, &mut steady, n);
    }

    assert_eq!(steady.sent, (1_001..=11_000).map(Some).collect::<Vec<_>>(), "every send went out, numbered");
    assert_eq!(steady.delivered, 10_000, "every echo was delivered");
    assert!(steady.acks >= 10_000 / 32, "the client acknowledged in batches ({})", steady.acks);
    assert!(
        allocations <= steady.acks,
        "{allocations} allocations for 10,000 echoes: more than one per ack frame ({})",
        steady.acks
    );
    assert_eq!(
        client.core.queued_count(),
        10_999 % 32 + 1,
        "kept until acknowledged: the last unacked batch"
    );
}

#[test]
fn an_echo_on_an_at_most_once_session_allocates_nothing() {
    // No acknowledgements, so nothing at all: the send leaves the outbox with its flush (the
    // outbox drops finished messages in batches, without allocating), the message is delivered.
    let mut client = connected(None);
    let text = echo_text();
    let echo = |client: &mut Client, seen: &mut Seen| {
        client.now += 1;
        let message = text.clone();
        counted(|| {
            client.core.send(client.now, message, false).expect("accepted");
            client.drain(seen);
            client.frame(Inbound::App(Message));
            client.drain(seen);
        })
        .1
    };
    let mut seen = Seen::default();
    for _ in 0..1_000 {
        echo(&mut client, &mut seen);
    }
    let mut steady = Seen { sent: Vec::with_capacity(10_000), ..Seen::default() };
    let allocations: usize = (0..10_000).map(|_| echo(&mut client, &mut steady)).sum();

    assert_eq!(steady.sent, vec![None; 10_000], "every send went out, unnumbered");
    assert_eq!(steady.delivered, 10_000, "every echo was delivered");
    assert_eq!(steady.acks, 0, "an at-most-once session acknowledges nothing");
    assert_eq!(allocations, 0, "{allocations} allocations for 10,000 echoes");
    assert_eq!(client.core.queued_count(), 0, "nothing kept after sending");
}
