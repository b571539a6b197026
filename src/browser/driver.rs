//! Runs a [`SessionCore`] in the browser.

use alloc::{
    boxed::Box,
    rc::{Rc, Weak},
    string::String,
    vec::Vec,
};
use core::cell::{Cell, RefCell};

use wasm_bindgen::prelude::*;

use super::{
    clock::now,
    frame::{JsObject, JsText},
    page::{self, PageListeners},
    socket::{Handler, Socket, SocketEvent},
    token_source::{TokenRequest, TokenSource},
};
use crate::core::{
    close_code, Action, Config, ConnectionId, Delivery, Event, FrameError, Inbound, MessageId, Millis,
    RequestId, SdkError, SendError, SessionCore, State,
};

/// Receives the core's events, already in order, with no borrow of the driver held: a handler may
/// call back into the driver (`send`, `close`, even dropping its owner) re-entrantly.
pub(crate) type EventSink = Rc<dyn Fn(Event<JsObject>)>;

/// The app's `subscriptions`: the messages that set up a new session, asked for on each one.
pub(crate) type Subscriptions = Box<dyn Fn() -> Result<Vec<JsText>, SdkError>>;

#[wasm_bindgen(module = "/src/browser/io.js")]
extern "C" {
    #[wasm_bindgen(js_name = setTimer)]
    fn set_timer(handler: &Handler, delay: u32) -> f64;
    #[wasm_bindgen(js_name = clearTimer)]
    fn clear_timer(id: f64);
    fn defer(handler: &Handler);
}

/// The longest delay `setTimeout` honours (2³¹−1 ms); a longer one fires at once in browsers.
const MAX_TIMER_DELAY_MS: Millis = i32::MAX as Millis;

/// The I/O half of a session: everything the core asks for, done with browser APIs.
pub(crate) struct Driver {
    core: RefCell<SessionCore<JsObject, JsText>>,
    url: String,
    token_source: TokenSource,
    subscriptions: Option<Subscriptions>,
    /// Where events go.
    sink: EventSink,
    socket: RefCell<Option<Socket>>,
    /// The one timer: the deadline it was set for and its id.
    timer: RefCell<Option<(Millis, f64)>>,
    /// What the timer calls: made once, for every timer the session sets.
    on_timer: Handler,
    /// The token request in flight (dropping it aborts it).
    fetch: RefCell<Option<(RequestId, TokenRequest)>>,
    /// The microtask that delivers `close()`'s events, while one is pending.
    microtask: RefCell<Option<Handler>>,
    /// `online`/`offline`, visibility, freeze/resume and back/forward-cache listeners.
    page: RefCell<Option<PageListeners>>,
    /// Set while actions are being run: a re-entrant call then only queues its actions in the
    /// core, and the outer loop runs them in order.
    pumping: Cell<bool>,
    /// Set during `close()`: events wait in `deferred` for a microtask (see [`Driver::close`]).
    deferring: Cell<bool>,
    deferred: RefCell<Vec<Event<JsObject>>>,
    /// A JS function that delivers an application message to the app, or `undefined`: with one,
    /// a frame whose only effect is that message goes back to JS in the frame's one crossing.
    deliver: JsValue,
    /// The last clock reading, for the frames that need none (see [`Driver::frame`]).
    clock: Cell<Millis>,
}

impl Driver {
    /// Starts a session: the core's first actions (token fetch, socket open) run before this returns.
    pub(crate) fn start(
        url: String,
        token_source: TokenSource,
        config: Config,
        subscriptions: Option<Subscriptions>,
        sink: EventSink,
        deliver: JsValue,
    ) -> Rc<Self> {
        let seed = (js_sys::Math::random() * u64::MAX as f64) as u64;
        let started = now();
        let core = SessionCore::new(config, seed, started, page::online());
        let driver = Rc::new_cyclic(|weak: &Weak<Self>| Self {
            core: RefCell::new(core),
            url,
            token_source,
            subscriptions,
            sink,
            socket: RefCell::new(None),
            timer: RefCell::new(None),
            on_timer: {
                let weak = weak.clone();
                Handler::new(move |_, _, _| {
                    if let Some(driver) = weak.upgrade() {
                        driver.timer.borrow_mut().take();
                        driver.input(|core, now| core.handle_timeout(now));
                    }
                    0
                })
            },
            fetch: RefCell::new(None),
            microtask: RefCell::new(None),
            page: RefCell::new(None),
            pumping: Cell::new(false),
            deferring: Cell::new(false),
            deferred: RefCell::new(Vec::new()),
            deliver,
            clock: Cell::new(started),
        });
        let weak = Rc::downgrade(&driver);
        *driver.page.borrow_mut() = Some(PageListeners::attach(move |event| {
            if let Some(driver) = weak.upgrade() {
                driver.input(|core, now| match event {
                    page::Change::Network(online) => core.handle_network(now, online),
                    page::Change::Page(event) => core.handle_page(now, event),
                });
            }
        }));
        driver.pump();
        driver
    }

    /// The public state.
    pub(crate) fn state(&self) -> State {
        self.core.borrow().state()
    }

    /// The error that ended the session, if it ended with one.
    pub(crate) fn final_error(&self) -> Option<SdkError> {
        self.core.borrow().final_error().cloned()
    }

    /// Milliseconds until the next re-authentication, if one is scheduled.
    pub(crate) fn next_reauth_in_ms(&self) -> Option<Millis> {
        self.core.borrow().next_reauth_at().map(|at| at.saturating_sub(now()))
    }

    /// Messages waiting for authentication.
    pub(crate) fn queued_count(&self) -> usize {
        self.core.borrow().queued_count()
    }

    /// Sends, or queues until authenticated. `receipt`: the caller wants to learn when the
    /// server received it (see [`Event::Delivered`]).
    pub(crate) fn send(self: &Rc<Self>, text: JsText, receipt: bool) -> Result<MessageId, SendError> {
        let mut core = self.core.borrow_mut();
        // The clock is read only when sending is paced (see `SessionCore::send_reads_clock`).
        let now = if core.send_reads_clock() { self.now() } else { self.clock.get() };
        let result = core.send(now, text, receipt);
        drop(core);
        self.pump();
        result
    }

    /// What the connection promises about delivery.
    pub(crate) fn delivery(&self) -> Delivery {
        self.core.borrow().delivery()
    }

    /// Closes for good: the socket is closed and everything released before this returns, but
    /// the events it causes (`close`, `state`) are delivered in a microtask, outside the caller's
    /// method call. wasm-bindgen holds a borrow of the JS object for the length of `close()`, and a
    /// handler that frees the object (as the React hook's cleanup may) must not meet that borrow.
    /// (A browser WebSocket's `close` event is asynchronous too.)
    pub(crate) fn close(self: &Rc<Self>) {
        self.core.borrow_mut().close(now());
        let outermost = !self.deferring.replace(true);
        self.pump();
        if outermost {
            self.deferring.set(false);
            if !self.deferred.borrow().is_empty() && self.microtask.borrow().is_none() {
                // The closure holds the driver until it runs; taking it out of its slot then ends
                // that cycle (wasm-bindgen frees a closure dropped during its own call afterwards).
                let driver = Rc::clone(self);
                let microtask = Handler::new(move |_, _, _| {
                    let _spent = driver.microtask.borrow_mut().take();
                    let events = core::mem::take(&mut *driver.deferred.borrow_mut());
                    for event in events {
                        driver.emit(event);
                    }
                    0
                });
                defer(&microtask);
                *self.microtask.borrow_mut() = Some(microtask);
            }
        }
    }

    fn input(self: &Rc<Self>, feed: impl FnOnce(&mut SessionCore<JsObject, JsText>, Millis)) {
        feed(&mut self.core.borrow_mut(), self.now());
        self.pump();
    }

    /// Reads the clock, and keeps the reading for the frames that need none.
    fn now(&self) -> Millis {
        let now = now();
        self.clock.set(now);
        now
    }

    /// A server frame on socket `conn`, in the frame's one crossing into the wasm. The clock is
    /// read only for a frame the core needs it for (`SessionCore::frame_reads_clock`: not for an
    /// application message, nor for most `msg` frames; the last reading stands in), and when the
    /// frame's only effect is delivering its message, the answer is true and io.js hands the
    /// message to the app itself: no second crossing, and no borrow held while handlers run.
    fn frame(
        self: &Rc<Self>,
        conn: ConnectionId,
        frame: Result<Inbound<JsObject>, FrameError>,
        direct: bool,
    ) -> bool {
        {
            let mut core = self.core.borrow_mut();
            match frame {
                Ok(frame) => {
                    let now = if core.frame_reads_clock(&frame) { self.now() } else { self.clock.get() };
                    core.handle_frame(now, conn, frame);
                }
                Err(error) => core.handle_invalid_frame(conn, error),
            }
        }
        if self.pumping.get() {
            // Re-entrant: the outer loop runs what the core queued.
            return false;
        }
        let first = self.core.borrow_mut().poll_action();
        let direct = direct && !self.deferring.get();
        // The next action is looked at, not taken: taken out here, it would escape what `close()`
        // from the message's handler drops from the core's queue.
        if direct
            && matches!(first, Some(Action::Emit(Event::Message(_))))
            && !self.core.borrow().has_action()
        {
            // The message the core delivers is the frame's own (an `App` frame's object, a
            // `msg` frame's `data`): io.js has it already.
            self.settle();
            return true;
        }
        self.pump_with(first);
        false
    }

    fn pump(self: &Rc<Self>) {
        self.pump_with(None);
    }

    /// Runs `taken` (an action already polled from the core), then every action the core has,
    /// then sets the timer. Called only when not already pumping when `taken` holds one.
    fn pump_with(self: &Rc<Self>, taken: Option<Action<JsObject, JsText>>) {
        if self.pumping.replace(true) {
            return;
        }
        if let Some(action) = taken {
            self.run(action);
        }
        loop {
            // The borrow ends with this statement, before the action runs.
            let action = self.core.borrow_mut().poll_action();
            match action {
                Some(action) => self.run(action),
                None => break,
            }
        }
        self.pumping.set(false);
        self.settle();
    }

    /// After the actions: release everything once closed, else (re)arm the timer.
    fn settle(self: &Rc<Self>) {
        if self.state() == State::Closed {
            self.release();
        } else {
            self.arm_timer();
        }
    }

    fn run(self: &Rc<Self>, action: Action<JsObject, JsText>) {
        match action {
            Action::FetchToken(request) => self.fetch_token(request),
            Action::AbortTokenRequest(request) => {
                let mut fetch = self.fetch.borrow_mut();
                if fetch.as_ref().is_some_and(|(current, _)| *current == request) {
                    // Dropped: aborted.
                    fetch.take();
                }
            }
            Action::OpenSocket(conn) => self.open_socket(conn),
            Action::Send(frame) => {
                if let Some(socket) = &*self.socket.borrow() {
                    socket.send(frame.text());
                }
            }
            Action::SendApp { seq, message } => {
                if let Some(socket) = &*self.socket.borrow() {
                    socket.send_app(seq, &message.text);
                }
            }
            Action::MeasureBuffered(conn) => {
                let buffered = self.socket.borrow().as_ref().filter(|s| s.conn == conn).map(Socket::buffered);
                if let Some(buffered) = buffered {
                    self.core.borrow_mut().handle_buffered(now(), conn, buffered);
                }
            }
            Action::CloseSocket { code, reason } => {
                // Taken out first: its listeners are gone before the browser could report the close.
                let socket = self.socket.borrow_mut().take();
                if let Some(socket) = socket {
                    socket.close(code, reason);
                }
            }
            Action::CollectSubscriptions(conn) => {
                // The app's function runs with no borrow held; its answer goes in before the next
                // action, which is the queue's flush.
                let messages = self.subscriptions.as_ref().map_or(Ok(Vec::new()), |collect| collect());
                self.core.borrow_mut().handle_subscriptions(now(), conn, messages);
            }
            // Only a tab leading a shared connection replicates (js/share/, the npm class).
            Action::Replicate(_) => {}
            Action::Emit(event) if self.deferring.get() => self.deferred.borrow_mut().push(event),
            Action::Emit(event) => self.emit(event),
        }
    }

    fn emit(&self, event: Event<JsObject>) {
        (self.sink)(event);
    }

    fn open_socket(self: &Rc<Self>, conn: ConnectionId) {
        let weak = Rc::downgrade(self);
        let direct = !self.deliver.is_undefined();
        let opened = Socket::open(conn, &self.url, &self.deliver, move |event| {
            let Some(driver) = weak.upgrade() else { return false };
            match event {
                SocketEvent::Open => driver.input(|core, now| core.handle_open(now, conn)),
                SocketEvent::Frame(frame) => return driver.frame(conn, frame, direct),
                SocketEvent::Close { code, reason } => {
                    driver.socket.borrow_mut().take();
                    driver.input(|core, now| core.handle_close(now, conn, code, reason));
                }
            }
            false
        });
        match opened {
            Ok(socket) => *self.socket.borrow_mut() = Some(socket),
            // E.g. a `ws://` URL from an `https://` page (mixed content): a failed connect.
            Err(_) => self.core.borrow_mut().handle_close(
                now(),
                conn,
                close_code::ABNORMAL,
                "could not open the socket".into(),
            ),
        }
    }

    fn fetch_token(self: &Rc<Self>, request: RequestId) {
        let weak: Weak<Self> = Rc::downgrade(self);
        let pending = self.token_source.fetch(move |result| {
            if let Some(driver) = weak.upgrade() {
                let mut fetch = driver.fetch.borrow_mut();
                let done =
                    fetch.as_ref().is_some_and(|(current, _)| *current == request).then(|| fetch.take());
                drop(fetch);
                drop(done);
                // The core ignores an answer to a request it abandoned.
                driver.input(|core, now| core.handle_token(now, request, result));
            }
        });
        match pending {
            Ok(pending) => *self.fetch.borrow_mut() = Some((request, pending)),
            Err(error) => self.core.borrow_mut().handle_token(now(), request, Err(error)),
        }
    }

    fn arm_timer(self: &Rc<Self>) {
        let deadline = self.core.borrow().poll_timeout();
        let mut timer = self.timer.borrow_mut();
        if timer.as_ref().map(|(at, _)| *at) == deadline {
            return;
        }
        if let Some((_, id)) = timer.take() {
            clear_timer(id);
        }
        *timer = deadline.map(|at| {
            // Clamped: a longer delay would overflow `setTimeout` and fire at once. A deadline
            // further away than that is simply re-armed when the clamped timer fires.
            let delay = at.saturating_sub(now()).min(MAX_TIMER_DELAY_MS) as u32;
            (at, set_timer(&self.on_timer, delay))
        });
    }

    /// Lets go of everything that could still fire: once closed, nothing runs again.
    fn release(&self) {
        if let Some((_, id)) = self.timer.borrow_mut().take() {
            clear_timer(id);
        }
        self.page.borrow_mut().take();
        self.socket.borrow_mut().take();
        // Dropped: aborted.
        self.fetch.borrow_mut().take();
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.release();
    }
}
