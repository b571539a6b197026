//! The writing half of a connection, in its own task: frames leave in order from a bounded queue,
//! each write bounded by a timeout, so that a peer that does not read can neither grow server
//! memory nor stall the connection's reader, its ping check or its deadlines.

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures_util::{stream::SplitSink, SinkExt};
use tokio::{sync::mpsc, task::JoinHandle};

/// Why the writer stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriterEnd {
    /// It wrote a Close frame (or was told to close and could not in time).
    Closed,
    /// A write failed or took longer than the write timeout: the peer is gone or stuck.
    Failed,
    /// Every sender is gone.
    Drained,
}

/// The app-level `pong`.
pub const PONG: &str = r#"{"type":"pong"}"#;

/// Starts the writer for `sink`. Frames come from `frames` in order; a Close frame among them
/// ends the writer after it is written. `urgent` overtakes the queue: a close that must not wait
/// behind frames the peer is not reading (4013). Taking a `pong` off the queue clears
/// `pong_queued`: the next `ping` gets a pong of its own.
pub fn spawn_writer(
    mut sink: SplitSink<WebSocket, Message>,
    mut frames: mpsc::Receiver<Message>,
    mut urgent: mpsc::Receiver<CloseFrame>,
    pong_queued: Arc<AtomicBool>,
    write_timeout: Duration,
) -> JoinHandle<WriterEnd> {
    tokio::spawn(async move {
        let mut urgent_open = true;
        loop {
            let next = tokio::select! {
                biased;
                frame = urgent.recv(), if urgent_open => match frame {
                    Some(frame) => Message::Close(Some(frame)),
                    // Nobody can send an urgent close any more: only the queue is left.
                    None => {
                        urgent_open = false;
                        continue;
                    }
                },
                frame = frames.recv() => match frame {
                    Some(message) => {
                        if matches!(&message, Message::Text(text) if text.as_str() == PONG) {
                            pong_queued.store(false, Ordering::SeqCst);
                        }
                        message
                    }
                    None => return WriterEnd::Drained,
                },
            };
            let closing = matches!(next, Message::Close(_));
            // A write that is cut short by an urgent close stays in the library's buffer and is
            // completed before the Close frame, so frames are never torn.
            let written = tokio::select! {
                biased;
                Some(frame) = urgent.recv(), if urgent_open && !closing => {
                    let _ = tokio::time::timeout(write_timeout, sink.send(Message::Close(Some(frame)))).await;
                    return WriterEnd::Closed;
                }
                written = tokio::time::timeout(write_timeout, sink.send(next)) => written,
            };
            match written {
                Ok(Ok(())) if closing => return WriterEnd::Closed,
                Ok(Ok(())) => {}
                Ok(Err(_)) | Err(_) => return WriterEnd::Failed,
            }
        }
    })
}

/// A Close frame with `code` and `reason`.
pub fn close_frame(code: u16, reason: &str) -> CloseFrame {
    CloseFrame { code, reason: Utf8Bytes::from(reason) }
}
