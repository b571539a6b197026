//! Runs a [`SessionCore`] in the browser.

use std::{
    cell::{Cell, RefCell},
    rc::{Rc, Weak},
};

use gloo_events::EventListener;
use gloo_timers::callback::Timeout;
use wasm_bindgen::JsCast;
use web_sys::AbortController;

use super::{
    clock::now,
    frame::{self, JsObject, JsText},
    socket::{Socket, SocketEvent},
    token_source::TokenSource,
};
use crate::core::{close_code, Action, Config, Event, Millis, SendError, SessionCore, State};

/// Receives the core's events, already in order, with no borrow of the driver held: a handler may
/// call back into the driver (`send`, `close`) re-entrantly.
pub(crate) type EventSink = Box<dyn Fn(Event<JsObject>)>;

/// The I/O half of a session: everything the core asks for, done with browser APIs.
pub(crate) struct Driver {
    core: RefCell<SessionCore<JsObject, JsText>>,
    url: String,
    token_source: TokenSource,
    sink: EventSink,
    socket: RefCell<Option<Socket>>,
    /// The one timer, with the deadline it was set for.
    timer: RefCell<Option<(Millis, Timeout)>>,
    /// Aborts the token fetch in flight when the session closes.
    fetch: RefCell<Option<AbortController>>,
    /// `online` / `offline` listeners on the global object.
    network: RefCell<Vec<EventListener>>,
    /// Set while actions are being run: a re-entrant call then only queues its actions in the
    /// core, and the outer loop runs them in order.
    pumping: Cell<bool>,
}

impl Driver {
    /// Starts a session: the core's first actions (token fetch, socket open) run before this returns.
    pub(crate) fn start(url: String, token_source: TokenSource, config: Config, sink: EventSink) -> Rc<Self> {
        let seed = (js_sys::Math::random() * u64::MAX as f64) as u64;
        let driver = Rc::new(Self {
            core: RefCell::new(SessionCore::new(config, seed, now())),
            url,
            token_source,
            sink,
            socket: RefCell::new(None),
            timer: RefCell::new(None),
            fetch: RefCell::new(None),
            network: RefCell::new(Vec::new()),
            pumping: Cell::new(false),
        });
        driver.listen_to_network();
        driver.pump();
        driver
    }

    /// The public state.
    pub(crate) fn state(&self) -> State {
        self.core.borrow().state()
    }

    /// Milliseconds until the next re-authentication, if one is scheduled.
    pub(crate) fn next_reauth_in_ms(&self) -> Option<Millis> {
        self.core.borrow().next_reauth_at().map(|at| at.saturating_sub(now()))
    }

    /// Messages waiting for authentication.
    pub(crate) fn queued_count(&self) -> usize {
        self.core.borrow().queued_count()
    }

    /// Sends, or queues until authenticated.
    pub(crate) fn send(self: &Rc<Self>, text: JsText) -> Result<(), SendError> {
        let result = self.core.borrow_mut().send(text);
        self.pump();
        result
    }

    /// Closes for good.
    pub(crate) fn close(self: &Rc<Self>) {
        self.input(|core, now| core.close(now));
    }

    fn input(self: &Rc<Self>, feed: impl FnOnce(&mut SessionCore<JsObject, JsText>, Millis)) {
        feed(&mut self.core.borrow_mut(), now());
        self.pump();
    }

    fn pump(self: &Rc<Self>) {
        if self.pumping.replace(true) {
            return;
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
        if self.state() == State::Closed {
            self.release();
        } else {
            self.arm_timer();
        }
    }

    fn run(self: &Rc<Self>, action: Action<JsObject, JsText>) {
        match action {
            Action::FetchToken => self.fetch_token(),
            Action::OpenSocket => self.open_socket(),
            Action::Send(frame) => {
                if let Some(socket) = &*self.socket.borrow() {
                    socket.send(frame.text());
                }
            }
            Action::SendApp(message) => {
                if let Some(socket) = &*self.socket.borrow() {
                    socket.send_js(&message.text);
                }
            }
            Action::CloseSocket { code, reason } => {
                // Taken out first: its listeners are gone before the browser could report the close.
                let socket = self.socket.borrow_mut().take();
                if let Some(socket) = socket {
                    socket.close(code, reason);
                }
            }
            Action::Emit(event) => (self.sink)(event),
        }
    }

    fn open_socket(self: &Rc<Self>) {
        let weak = Rc::downgrade(self);
        let opened = Socket::open(&self.url, move |event| {
            let Some(driver) = weak.upgrade() else { return };
            match event {
                SocketEvent::Open => driver.input(|core, now| core.handle_open(now)),
                SocketEvent::Message(data) => driver.input(|core, now| match frame::parse(&data) {
                    Ok(frame) => core.handle_frame(now, frame),
                    Err(error) => core.handle_invalid_frame(error),
                }),
                SocketEvent::Close { code, reason } => {
                    driver.socket.borrow_mut().take();
                    driver.input(|core, now| core.handle_close(now, code, reason));
                }
            }
        });
        match opened {
            Ok(socket) => *self.socket.borrow_mut() = Some(socket),
            // E.g. a `ws://` URL from an `https://` page (mixed content): a failed connect.
            Err(_) => self.core.borrow_mut().handle_close(
                now(),
                close_code::ABNORMAL,
                "could not open the socket".into(),
            ),
        }
    }

    fn fetch_token(self: &Rc<Self>) {
        let Ok(controller) = AbortController::new() else {
            return self.input(|core, now| {
                core.handle_token(
                    now,
                    Err(crate::core::TokenError::Unavailable("AbortController unavailable".into())),
                )
            });
        };
        let signal = controller.signal();
        *self.fetch.borrow_mut() = Some(controller);
        let source = self.token_source.clone();
        let weak: Weak<Self> = Rc::downgrade(self);
        wasm_bindgen_futures::spawn_local(async move {
            let result = source.fetch(&signal).await;
            if let Some(driver) = weak.upgrade() {
                driver.fetch.borrow_mut().take();
                driver.input(|core, now| core.handle_token(now, result));
            }
        });
    }

    fn arm_timer(self: &Rc<Self>) {
        let deadline = self.core.borrow().poll_timeout();
        let mut timer = self.timer.borrow_mut();
        if timer.as_ref().map(|(at, _)| *at) == deadline {
            return;
        }
        *timer = deadline.map(|at| {
            let weak = Rc::downgrade(self);
            let delay = at.saturating_sub(now()).min(u32::MAX as Millis) as u32;
            let timeout = Timeout::new(delay, move || {
                if let Some(driver) = weak.upgrade() {
                    driver.timer.borrow_mut().take();
                    driver.input(|core, now| core.handle_timeout(now));
                }
            });
            (at, timeout)
        });
    }

    fn listen_to_network(self: &Rc<Self>) {
        let global: web_sys::EventTarget = js_sys::global().unchecked_into();
        let listeners = [("online", true), ("offline", false)].map(|(name, online)| {
            let weak = Rc::downgrade(self);
            EventListener::new(&global, name, move |_| {
                if let Some(driver) = weak.upgrade() {
                    driver.input(|core, now| core.handle_network(now, online));
                }
            })
        });
        *self.network.borrow_mut() = listeners.into();
    }

    /// Lets go of everything that could still fire: once closed, nothing runs again.
    fn release(&self) {
        self.timer.borrow_mut().take();
        self.network.borrow_mut().clear();
        if let Some(controller) = self.fetch.borrow_mut().take() {
            controller.abort();
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.release();
    }
}
