//! The bounded FIFO of application messages waiting for an authenticated connection.

use std::collections::VecDeque;

use super::error::SendError;

/// Messages sent before authentication, or while reconnecting. They survive reconnects and leave,
/// in order, once a connection is authenticated.
#[derive(Debug)]
pub struct SendQueue<P> {
    messages: VecDeque<P>,
    limit: usize,
}

impl<P> SendQueue<P> {
    /// An empty queue that holds at most `limit` messages.
    pub fn new(limit: usize) -> Self {
        Self { messages: VecDeque::new(), limit }
    }

    /// Appends a message, or says why it cannot wait: a full queue is an error, never a drop.
    pub fn push(&mut self, message: P) -> Result<(), SendError> {
        if self.messages.len() >= self.limit {
            return Err(SendError::QueueFull { limit: self.limit });
        }
        self.messages.push_back(message);
        Ok(())
    }

    /// Takes every waiting message, oldest first.
    pub fn drain(&mut self) -> impl Iterator<Item = P> + '_ {
        self.messages.drain(..)
    }

    /// Throws every waiting message away (on `close()`).
    pub fn clear(&mut self) {
        self.messages.clear();
    }

    /// How many messages wait.
    pub fn len(&self) -> usize {
        self.messages.len()
    }

    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }
}
