//! One `WebSocket` and the listeners attached to it, released together.

use gloo_events::EventListener;
use js_sys::JsString;
use wasm_bindgen::{prelude::*, JsCast};
use web_sys::{BinaryType, CloseEvent, MessageEvent, WebSocket};

#[wasm_bindgen]
extern "C" {
    /// A `WebSocket`, seen through the one method web-sys binds only for `&str`.
    type StringSender;
    /// `WebSocket.send` with a JS string as it is (web-sys's takes `&str`, a copy out of wasm).
    #[wasm_bindgen(method, catch, js_name = send)]
    fn send(this: &StringSender, text: &JsString) -> Result<(), JsValue>;
}

/// What the socket reports to its owner.
pub(crate) enum SocketEvent {
    Open,
    Message(JsValue),
    Close { code: u16, reason: String },
}

/// A `WebSocket` whose listeners live exactly as long as this value. Dropping it detaches them
/// and closes the socket, so a replaced connection can never report into the session again.
pub(crate) struct Socket {
    ws: WebSocket,
    _listeners: [EventListener; 3],
}

impl Socket {
    /// Opens `url` and reports its events to `on_event`.
    pub(crate) fn open(url: &str, on_event: impl Fn(SocketEvent) + Clone + 'static) -> Result<Self, JsValue> {
        let ws = WebSocket::new(url)?;
        // Binary frames are protocol errors; an ArrayBuffer is cheaper to reject than a Blob.
        ws.set_binary_type(BinaryType::Arraybuffer);
        let on_open = on_event.clone();
        let on_message = on_event.clone();
        let listeners = [
            EventListener::new(&ws, "open", move |_| on_open(SocketEvent::Open)),
            EventListener::new(&ws, "message", move |event| {
                if let Some(event) = event.dyn_ref::<MessageEvent>() {
                    on_message(SocketEvent::Message(event.data()));
                }
            }),
            // A failed connect fires `error` then `close`; `close` alone carries what we need.
            EventListener::new(&ws, "close", move |event| {
                let (code, reason) =
                    event.dyn_ref::<CloseEvent>().map_or((1006, String::new()), |e| (e.code(), e.reason()));
                on_event(SocketEvent::Close { code, reason });
            }),
        ];
        Ok(Self { ws, _listeners: listeners })
    }

    /// Sends a protocol frame. A socket that is no longer open reports its close separately.
    pub(crate) fn send(&self, text: &str) {
        let _ = self.ws.send_with_str(text);
    }

    /// Sends an application message, which stays a JS string all the way.
    pub(crate) fn send_js(&self, text: &JsString) {
        let _ = self.ws.unchecked_ref::<StringSender>().send(text);
    }

    /// Starts the closing handshake with `code`; the listeners go when `self` is dropped.
    pub(crate) fn close(self, code: u16, reason: &str) {
        let _ = self.ws.close_with_code_and_reason(code, reason);
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        // Closing an already closing or closed socket is a no-op.
        let _ = self.ws.close();
    }
}
