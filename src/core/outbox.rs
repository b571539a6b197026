//! The application messages the session owes the server: those waiting to be sent, and (with a
//! resumable session) those sent but not yet acknowledged, in one bounded FIFO.
//!
//! ```text
//!   front ─► [ sent, awaiting ack … ][ waiting to be sent … ] ◄─ push
//!             ▲ `ack(n)` removes these   ▲ `next_unsent()`
//! ```
//!
//! The app's sends in both parts count against `maxQueuedMessages` (the subscriptions come on top):
//! a full outbox makes `send()` throw, never drop.
//!
//! A `Vec`, not a `VecDeque`, whose generic code cost ~500 B of the npm bundle's gzip (issue
//! 14). Messages leave from the front in batches (an acknowledgement, or [`Outbox::forget_sent`]
//! after a flush): a batch is only counted off at first, and the finished messages are dropped in
//! one shift once they are half the vector, so a long queue is not shifted once per batch.

use alloc::vec::Vec;

use super::error::SendError;

/// Identifies one accepted `send()`, for its receipt. Increasing in send order.
pub type MessageId = u64;

/// One message the session owes.
#[derive(Debug)]
struct Entry<P> {
    id: MessageId,
    /// Its sequence number in the current session, once it has been sent in one.
    seq: Option<u64>,
    /// Whether the app waits for a receipt (only then are receipt events emitted).
    receipt: bool,
    /// One of the app's `subscriptions`: it belongs to the session it set up, and a new session
    /// gets fresh ones instead.
    setup: bool,
    message: P,
}

/// A message on its way out, as [`Outbox::take_next`] hands it over.
#[derive(Debug)]
pub struct Outgoing<P> {
    /// The send it came from.
    pub id: MessageId,
    /// Its sequence number, when the session is resumable (the frame is wrapped in `msg`).
    pub seq: Option<u64>,
    /// Whether the app waits for its receipt.
    pub receipt: bool,
    /// Whether it goes out for the first time under this number (not a resend that keeps it).
    pub fresh: bool,
    /// The message.
    pub message: P,
}

/// The bounded FIFO of messages owed to the server.
#[derive(Debug)]
pub struct Outbox<P> {
    /// From `done` on, the messages owed, oldest first; before it, finished ones not yet dropped.
    entries: Vec<Entry<P>>,
    done: usize,
    /// How many of the owed messages at the front were sent: awaiting an acknowledgement
    /// (resumable), or (at-most-once) awaiting [`Self::forget_sent`].
    in_flight: usize,
    limit: usize,
    next_id: MessageId,
    /// The next sequence number of the current session.
    next_seq: u64,
    /// The highest number the server acknowledged in the current session.
    acknowledged: u64,
    /// The messages were adopted from another tab ([`Self::adopt`]) and no resume has answered
    /// since: the server may hold numbers the log never heard of.
    adopted: bool,
}

impl<P: Clone> Outbox<P> {
    /// An empty outbox that holds at most `limit` messages.
    pub fn new(limit: usize) -> Self {
        Self {
            entries: Vec::new(),
            done: 0,
            in_flight: 0,
            limit,
            next_id: 1,
            next_seq: 1,
            acknowledged: 0,
            adopted: false,
        }
    }

    /// Accepts a message from `send()`, or says why it cannot: a full outbox is an error. Only the
    /// app's sends count: the subscriptions come on top, sent or not (counted only when the bound
    /// is reached, so a send pays for no scan until then).
    pub fn push(&mut self, message: P, receipt: bool) -> Result<MessageId, SendError> {
        if self.len() >= self.limit && self.owed().iter().filter(|entry| !entry.setup).count() >= self.limit {
            return Err(SendError::QueueFull { limit: self.limit });
        }
        Ok(self.push_unbounded(message, receipt))
    }

    /// Puts messages that set up a new session (the app's `subscriptions`) before everything
    /// waiting: they are few and the app's own, so they are not held to the bound.
    pub fn push_first(&mut self, messages: Vec<P>) {
        for message in messages.into_iter().rev() {
            let id = self.take_id();
            let entry = Entry { id, seq: None, receipt: false, setup: true, message };
            self.entries.insert((self.done + self.in_flight).min(self.entries.len()), entry);
        }
    }

    fn push_unbounded(&mut self, message: P, receipt: bool) -> MessageId {
        let id = self.take_id();
        self.entries.push(Entry { id, seq: None, receipt, setup: false, message });
        id
    }

    fn take_id(&mut self) -> MessageId {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// The size of the next message waiting to be sent, if any.
    pub fn next_unsent(&self) -> Option<&P> {
        self.owed().get(self.in_flight).map(|entry| &entry.message)
    }

    /// Takes the next waiting message for the wire. `sequenced`: the session is resumable, so the
    /// message is numbered and kept until acknowledged; otherwise (at-most-once) it is done once
    /// written, and the caller removes the batch it took with [`Self::forget_sent`] before the
    /// outbox is used for anything else.
    pub fn take_next(&mut self, sequenced: bool) -> Option<Outgoing<P>> {
        let next_seq = &mut self.next_seq;
        let entry = self.entries.get_mut(self.done + self.in_flight)?;
        let fresh = !sequenced || entry.seq.is_none();
        let seq = sequenced.then(|| {
            *entry.seq.get_or_insert_with(|| {
                let seq = *next_seq;
                *next_seq += 1;
                seq
            })
        });
        self.in_flight += 1;
        Some(Outgoing { id: entry.id, seq, receipt: entry.receipt, fresh, message: entry.message.clone() })
    }

    /// At-most-once: removes the messages [`Self::take_next`] handed out, which the server will
    /// never acknowledge: the whole flush's batch at once, counted off the front (`finish`).
    pub fn forget_sent(&mut self) {
        // Only at-most-once sends may be in flight here: the session switches delivery only on a
        // new connection, after `rewind`, so nothing numbered and unacknowledged is dropped.
        debug_assert!(self.owed().iter().take(self.in_flight).all(|entry| entry.seq.is_none()));
        self.finish(self.in_flight);
        self.in_flight = 0;
    }

    /// Drops the next waiting message (one the server could never take), returning its id and
    /// whether a receipt waits for it.
    pub fn drop_next(&mut self) -> Option<(MessageId, bool)> {
        let next = self.done + self.in_flight;
        (next < self.entries.len()).then(|| {
            let entry = self.entries.remove(next);
            if let Some(seq) = entry.seq {
                // Numbered, and not received (it waits to be sent again after a resume): its
                // number goes to the next, and so on, or the server would see a gap (4012).
                for later in self.entries.iter_mut().skip(next) {
                    later.seq = None;
                }
                self.next_seq = seq;
            }
            (entry.id, entry.receipt)
        })
    }

    /// The server received everything numbered up to `seq`: those messages are done. Returns the
    /// id of the last one that had a receipt waiting, if any.
    pub fn acknowledge(&mut self, seq: u64) -> Option<MessageId> {
        let done =
            self.owed().iter().take(self.in_flight).take_while(|e| e.seq.is_some_and(|s| s <= seq)).count();
        let receipt =
            self.owed().iter().take(done).filter(|entry| entry.receipt).last().map(|entry| entry.id);
        self.in_flight -= done;
        self.finish(done);
        self.acknowledged = self.acknowledged.max(seq);
        receipt
    }

    /// On a resume, before anything is sent again: the server says it has everything numbered up
    /// to `seq`, so those are done. Returns the id of the last one with a receipt waiting.
    pub fn acknowledge_rewound(&mut self, seq: u64) -> Option<MessageId> {
        self.adopted = false;
        self.in_flight = self.owed().iter().take_while(|e| e.seq.is_some_and(|s| s <= seq)).count();
        let receipt = self.acknowledge(seq);
        self.acknowledged = seq;
        // What is left must follow `seq` without a hole, or the server would see a gap (4012) on
        // every resume. A log adopted from another tab can have one (an announcement that never
        // arrived), or the server can have more than the log knows of: the rest is numbered
        // afresh after `seq`. Nothing is lost that the log holds; at worst a message the server
        // had under an unknown number arrives twice.
        let numbered = self.owed().iter().map_while(|e| e.seq);
        let contiguous = numbered.zip(seq.saturating_add(1)..).all(|(s, expected)| s == expected);
        if !contiguous {
            for entry in self.owed_mut() {
                entry.seq = None;
            }
        }
        // And so must what is sent next: after the last one still numbered, or after `seq` (a
        // server that lost what it had acknowledged expects `seq + 1` next, not a later number).
        let numbered = self.owed().iter().map_while(|e| e.seq).count() as u64;
        self.next_seq = seq.saturating_add(1).saturating_add(numbered);
        receipt
    }

    /// Takes over another outbox's unacknowledged messages (a tab that leads a shared
    /// connection after another), keeping their numbers: `log` in increasing `seq` order, and
    /// `next_seq` the number after the last one ever given. They get ids 1, 2, … in `log` order,
    /// and wait to be sent again as after [`Self::rewind`].
    pub fn adopt(&mut self, log: Vec<(u64, P)>, next_seq: u64) {
        for (seq, message) in log {
            let id = self.take_id();
            self.entries.push(Entry { id, seq: Some(seq), receipt: false, setup: false, message });
        }
        self.in_flight = 0;
        self.next_seq = next_seq.max(1);
        self.adopted = true;
    }

    /// Whether the messages came from another tab and no resume has answered since.
    pub fn adopted(&self) -> bool {
        self.adopted
    }

    /// On a resume whose `seq` is none of this outbox's (beyond what it numbered): nothing is
    /// taken as done on its word, and everything owed is numbered afresh after `seq`, where the
    /// server expects the next message.
    pub fn number_after(&mut self, seq: u64) {
        self.in_flight = 0;
        self.acknowledged = seq;
        self.adopted = false;
        for entry in self.owed_mut() {
            entry.seq = None;
        }
        self.next_seq = seq.saturating_add(1);
    }

    /// The connection is gone: what was in flight waits to be sent again (keeping its numbers, for
    /// a resume that de-duplicates by them).
    pub fn rewind(&mut self) {
        self.in_flight = 0;
    }

    /// A new session: nothing is numbered yet, numbering starts again at 1, and the old
    /// session's set-up messages go (the new session gets its own).
    pub fn renumber(&mut self) {
        self.adopted = false;
        self.in_flight = 0;
        self.next_seq = 1;
        self.acknowledged = 0;
        self.finish_now();
        self.entries.retain(|entry| !entry.setup);
        for entry in &mut self.entries {
            entry.seq = None;
        }
    }

    /// Throws everything away; returns how many messages that was.
    pub fn clear(&mut self) -> usize {
        let count = self.len();
        self.entries.clear();
        self.done = 0;
        self.in_flight = 0;
        count
    }

    /// The highest sequence number given out in the current session (0: none).
    pub fn numbered(&self) -> u64 {
        self.next_seq.saturating_sub(1)
    }

    /// The highest sequence number the server acknowledged in the current session.
    pub fn acknowledged(&self) -> u64 {
        self.acknowledged
    }

    /// The id the next accepted message will get.
    pub fn next_id(&self) -> MessageId {
        self.next_id
    }

    /// How many messages are owed (waiting or unacknowledged).
    pub fn len(&self) -> usize {
        self.entries.len() - self.done
    }

    /// Whether nothing is owed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many were sent and await an acknowledgement.
    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// The messages owed, oldest first.
    fn owed(&self) -> &[Entry<P>] {
        self.entries.get(self.done..).unwrap_or_default()
    }

    fn owed_mut(&mut self) -> &mut [Entry<P>] {
        self.entries.get_mut(self.done..).unwrap_or_default()
    }

    /// The first `n` owed messages are finished. They are dropped once the finished ones are half
    /// the vector: one shift of the rest per halving, amortised O(1) per message however long
    /// the queue, where a shift per batch would be quadratic in it.
    fn finish(&mut self, n: usize) {
        self.done += n;
        if self.done * 2 >= self.entries.len() {
            self.finish_now();
        }
    }

    fn finish_now(&mut self) {
        self.entries.drain(..self.done.min(self.entries.len()));
        self.done = 0;
    }
}
