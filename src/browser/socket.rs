//! One `WebSocket` and its listener, released together (io.js does the DOM work).

use alloc::string::String;

use js_sys::JsString;
use wasm_bindgen::prelude::*;

use super::{
    frame::{self, JsObject},
    wire,
};
use crate::core::{ConnectionId, FrameError, Inbound};

/// The one shape of closure io.js reports through: `(kind, value, number) -> answer`. One closure
/// type means one invoke shim in the binary, whatever reports through it.
pub(crate) type Handler = Closure<dyn Fn(u32, JsValue, f64) -> u32>;

#[wasm_bindgen(module = "/src/browser/io.js")]
extern "C" {
    #[wasm_bindgen(js_name = openSocket, catch)]
    fn open_socket(url: &str, handler: &Handler, deliver: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = closeSocket)]
    fn close_socket(ws: &JsValue, code: u16, reason: &str);
}

/// What the socket reports to its owner.
pub(crate) enum SocketEvent {
    Open,
    /// A server frame, already sorted by type (io.js), or why it could not be.
    Frame(Result<Inbound<JsObject>, FrameError>),
    Close {
        code: u16,
        reason: String,
    },
}

/// A `WebSocket` whose listener lives exactly as long as this value. Dropping it detaches the
/// listener and closes the socket, so a replaced connection can never report into the session again.
pub(crate) struct Socket {
    /// The core's name for this socket.
    pub(crate) conn: ConnectionId,
    ws: JsValue,
    _handler: Handler,
}

impl Socket {
    /// Opens `url` and reports its events to `on_event`. When `on_event` answers true for a frame,
    /// the frame's application message goes to `deliver` (a JS function) straight from JS.
    pub(crate) fn open(
        conn: ConnectionId,
        url: &str,
        deliver: &JsValue,
        on_event: impl Fn(SocketEvent) -> bool + 'static,
    ) -> Result<Self, JsValue> {
        let handler = Handler::new(move |kind: u32, value: JsValue, number: f64| {
            u32::from(on_event(match kind {
                0 => SocketEvent::Open,
                1 => {
                    SocketEvent::Close { code: number as u16, reason: value.as_string().unwrap_or_default() }
                }
                _ => SocketEvent::Frame(frame::inbound(kind, value, number)),
            }))
        });
        let ws = open_socket(url, &handler, deliver)?;
        Ok(Self { conn, ws, _handler: handler })
    }

    /// Sends a protocol frame. A socket that is no longer open reports its close separately.
    pub(crate) fn send(&self, text: &str) {
        wire::send_protocol(&self.ws, text);
    }

    /// Sends an application message (see [`wire::send_app`]).
    pub(crate) fn send_app(&self, seq: Option<u64>, text: &JsString) {
        wire::send_app(&self.ws, seq, text);
    }

    /// The bytes the browser holds unsent on this socket (`bufferedAmount`).
    pub(crate) fn buffered(&self) -> u32 {
        wire::buffered_amount(&self.ws)
    }

    /// Starts the closing handshake with `code`; the listener goes at once.
    pub(crate) fn close(self, code: u16, reason: &str) {
        close_socket(&self.ws, code, reason);
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        // Closing an already closing or closed socket is a no-op; 0 closes without a code.
        close_socket(&self.ws, 0, "");
    }
}
