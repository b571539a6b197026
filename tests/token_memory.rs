//! The token leaves no copy in freed memory (README, "Security notes": zeroed when dropped). The
//! core zeroes what it drops (`Zeroizing`), but zeroing reaches only the buffer a value ends in: a
//! string that grew with the token in it would have been moved by its reallocation, leaving the old
//! buffer, token and all, to the allocator. So the rule checked here is: **no heap block holding a
//! token's bytes is ever freed or reallocated**; a buffer that held one is zeroed first, and a
//! buffer meant to hold one is sized for all of it at once.
//!
//! A native test of the same `SessionCore` the wasm runs, through `auth` (with and without a
//! session to resume), re-authentication, reconnects and `close()`, with tokens plain, escaped
//! and non-ASCII, and a server that quotes them back in each text the SDK reads and withholds, under a global allocator that looks into every block released. (The glue's part,
//! the token's one copy into wasm memory, is tests/package/token-memory.test.mjs's.) A test binary
//! of its own: the global allocator is this binary's, and the library forbids `unsafe`.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::{
    alloc::{GlobalAlloc, Layout, System},
    cell::Cell,
};

use secure_ws::core::{
    protocol::{FrameKind, OutboundFrame},
    Action, Config, ConnectionId, Inbound, RequestId, ServerLimits, SessionCore, SessionGrant, Token,
    TokenGrant, Verdict,
};

use common::Message;

struct Watching;

thread_local! {
    /// The bytes looked for in every released block, while watching.
    static NEEDLES: Cell<&'static [&'static [u8]]> = const { Cell::new(&[]) };
    /// Released blocks that still held one of them.
    static FOUND: Cell<usize> = const { Cell::new(0) };
    /// Reallocations while counting them (`None`: not counting).
    static REALLOCS: Cell<Option<usize>> = const { Cell::new(None) };
}

/// Called with a block about to be freed or moved: counts it when it holds a needle.
fn look_into(ptr: *mut u8, size: usize) {
    // SAFETY: the block is live and `size` bytes long (the allocator's caller's contract), and
    // nothing writes to it while it is read here.
    let block = unsafe { std::slice::from_raw_parts(ptr, size) };
    let held = NEEDLES.with(Cell::get).iter().any(|needle| block.windows(needle.len()).any(|w| w == *needle));
    if held {
        FOUND.with(|found| found.set(found.get() + 1));
    }
}

// SAFETY: every call is passed on to the system allocator unchanged; released blocks are only read.
unsafe impl GlobalAlloc for Watching {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        look_into(ptr, layout.size());
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // Moved or not, a buffer with a token in it must never need to grow.
        look_into(ptr, layout.size());
        REALLOCS.with(|n| n.set(n.get().map(|n| n + 1)));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Watching = Watching;

/// A driver that answers each token request with the next of `tokens` and opens each socket.
struct Driver {
    core: SessionCore<Message>,
    tokens: Vec<&'static str>,
    conn: Option<ConnectionId>,
    /// The frames written: their kind, and whether they offered the session (no text is kept: it
    /// would hold the token).
    written: Vec<(FrameKind, bool)>,
    now: u64,
}

impl Driver {
    fn run(&mut self) {
        while let Some(action) = self.core.poll_action() {
            match action {
                Action::FetchToken(request) => self.answer(request),
                Action::OpenSocket(conn) => {
                    self.conn = Some(conn);
                    self.core.handle_open(self.now, conn);
                }
                // Written, then dropped (and zeroed) as the wasm does after `WebSocket.send`.
                Action::Send(frame) => {
                    self.written.push((frame.kind(), frame.text().contains(r#""sessionId":"session-1""#)));
                }
                _ => {}
            }
        }
    }

    fn answer(&mut self, request: RequestId) {
        let token = Token::new(self.tokens.remove(0).to_owned()).expect("a valid token");
        self.core.handle_token(self.now, request, Ok(TokenGrant { token, lifetime_ms: Some(60_000) }));
    }

    fn accepted(&mut self, user_id: Option<String>, session: Option<SessionGrant>) {
        let verdict = Verdict::Accepted { user_id, session, limits: ServerLimits::default(), ignored: None };
        let conn = self.conn.expect("a socket");
        self.core.handle_frame(self.now, conn, Inbound::AuthResponse(verdict));
        self.run();
    }
}

#[test]
fn no_token_is_left_in_freed_or_moved_memory() {
    let tokens: &'static [&'static str] = &[
        // A JWT's shape, long enough that a frame's first guess at its size would be too small.
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSIsImV4cCI6MTcwMDAwMDAwMH0.c2lnbmF0dXJlLXNpZ25hdHVyZQ",
        // Escaped in JSON: quotes, backslashes and a control character grow its text.
        "\"quoted\"-\\back\\slashed\\-\u{1}-\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"-end",
        // Non-ASCII: more bytes than characters.
        "ünïcødé-токен-令牌-🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑-end",
        "eyJhbGciOiJIUzI1NiJ9.cmVhdXRoLWFmdGVyLXJlY29ubmVjdA.c2lnbmF0dXJlLXRocmVl",
    ];
    // Any 12 bytes of a token, as the token string holds them and as a frame does (escaped): a
    // buffer that moved part-way through writing the token holds only a part of it.
    let mut needles: Vec<&'static [u8]> = Vec::new();
    for token in tokens {
        let escaped: &'static str = Box::leak(serde_json::to_string(token).expect("JSON").into_boxed_str());
        for form in [token.as_bytes(), &escaped.as_bytes()[1..escaped.len() - 1]] {
            needles.extend(form.windows(12));
        }
    }
    let needles: &'static [&'static [u8]] = Box::leak(needles.into_boxed_slice());

    let mut driver = Driver {
        core: SessionCore::new(Config::default(), 7, 0, true),
        tokens: tokens.to_vec(),
        conn: None,
        written: Vec::with_capacity(64),
        now: 0,
    };
    NEEDLES.with(|n| n.set(needles));
    // `auth` with no session, then re-authentications with the next two tokens (a token of 60 s
    // is refreshed at 48 s), then a reconnect whose `auth` offers the granted session.
    driver.run();
    driver.accepted(None, Some(SessionGrant { id: "session-1".into(), resumed: false, last_seq: 0 }));
    // A server that quotes the token back, in each text the SDK reads: what it withholds, it zeroes.
    let conn = driver.conn.expect("a socket");
    let error =
        Inbound::Error { code: quoting("bad ", tokens[0]), message: quoting("not valid: ", tokens[0]) };
    driver.core.handle_frame(driver.now, conn, error);
    driver.run();
    for _ in 0..2 {
        driver.now += 48_001;
        driver.core.handle_timeout(driver.now);
        driver.run();
        let conn = driver.conn.expect("a socket");
        driver.core.handle_frame(driver.now, conn, Inbound::ReauthResponse(accepted()));
        driver.run();
    }
    let conn = driver.conn.expect("a socket");
    driver.core.handle_close(driver.now, conn, 1006, quoting("expired: ", tokens[2]));
    driver.run();
    driver.now += 60_000;
    driver.core.handle_timeout(driver.now);
    driver.run();
    let session = SessionGrant { id: quoting("session-", tokens[3]), resumed: true, last_seq: 0 };
    driver.accepted(Some(quoting("user ", tokens[3])), Some(session));
    driver.core.close(driver.now);
    driver.run();
    drop(driver.core);
    NEEDLES.with(|n| n.set(&[]));

    // The tokens did go out: one `auth`, two `reauth`s, one `auth` offering the session.
    use FrameKind::{Auth, Reauth};
    assert_eq!(driver.written, [(Auth, false), (Reauth, false), (Reauth, false), (Auth, true)]);
    assert!(driver.tokens.is_empty(), "every token was used");
    assert_eq!(FOUND.with(Cell::get), 0, "blocks freed or moved with a token in them");
}

/// `prefix` then `token`, in a string allocated once: the test's own text must not move either.
fn quoting(prefix: &str, token: &str) -> String {
    let mut text = String::with_capacity(prefix.len() + token.len());
    text.push_str(prefix);
    text.push_str(token);
    text
}

fn accepted() -> Verdict {
    Verdict::Accepted { user_id: None, session: None, limits: ServerLimits::default(), ignored: None }
}

proptest::proptest! {
    /// Whatever a token holds (quotes, backslashes, control characters, any script) and whatever
    /// session id is offered, an `auth` or `reauth` frame is written into one buffer sized for it
    /// at once: building it reallocates nothing, so no partial copy of the token is left behind.
    #[test]
    fn a_token_frame_is_built_without_growing(
        token in "\\PC{1,80}|[\\x00-\\x1f\"\\\\]{1,40}",
        session in proptest::option::of("\\PC{1,40}"),
        last_seq in proptest::num::u64::ANY,
    ) {
        let token = Token::new(token).expect("not empty");
        REALLOCS.with(|n| n.set(Some(0)));
        let frames = (OutboundFrame::auth(&token, session.as_deref(), last_seq), OutboundFrame::reauth(&token));
        let reallocs = REALLOCS.with(|n| n.take());
        drop(frames);
        proptest::prop_assert_eq!(reallocs, Some(0));
    }
}
