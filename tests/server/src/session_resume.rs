//! Resumable sessions (PROTOCOL.md, "Resumable sessions and advertised limits"): what the server
//! sent to a session, numbered and kept until acknowledged within a bounded replay window, and
//! what it last received from the session, so a client that lost its connection can resume it
//! on a new one without losing or repeating a message.

use std::{
    collections::{BTreeSet, HashMap, VecDeque},
    time::Instant,
};

use crate::{config::ResumeConfig, login_sessions::random_id};

/// One session, bound to the user who opened it.
#[derive(Debug)]
pub struct ResumeSession {
    /// Its id (≥ 128 random bits).
    pub id: String,
    /// The user it belongs to: only this user can resume it.
    pub user: String,
    /// Its identity as a room member (room membership belongs to the session).
    pub member: u64,
    /// The connection it is attached to, if any.
    pub attached: Option<u64>,
    detached_at: Option<Instant>,
    /// The last server sequence number assigned.
    sent: u64,
    /// The last server sequence number handed to the attached connection to write. Below `sent`
    /// after a resume, until the replay has been written (as fast as the connection takes it).
    written: u64,
    /// Sent and not yet acknowledged: (seq, when, the wrapped frame).
    replay: VecDeque<(u64, Instant, String)>,
    /// The bytes of the frames in `replay`.
    bytes: usize,
    /// The highest client sequence number received in order.
    pub received: u64,
}

impl ResumeSession {
    /// Acknowledges every message with `seq ≤ upto` (cumulative; beyond what was written to the
    /// client is ignored).
    pub fn ack(&mut self, upto: u64) {
        let upto = upto.min(self.written);
        while let Some((_, _, frame)) = self.replay.front().filter(|(seq, _, _)| *seq <= upto) {
            self.bytes -= frame.len();
            self.replay.pop_front();
        }
    }

    /// Numbers `text` (an application message, JSON) and keeps it for replay; `write_now` when
    /// the caller writes it to the attached connection at once. `None` when keeping it within the
    /// bounds meant dropping a message not yet written: the session is lost.
    fn push(&mut self, text: &str, write_now: bool, now: Instant, config: &ResumeConfig) -> Option<String> {
        self.sent += 1;
        if write_now {
            self.written = self.sent;
        }
        let frame = format!(r#"{{"type":"msg","seq":{},"data":{text}}}"#, self.sent);
        self.bytes += frame.len();
        self.replay.push_back((self.sent, now, frame.clone()));
        self.evict(now, config).then_some(frame)
    }

    /// Drops the oldest messages until the buffer is within its bounds (count, bytes, age).
    /// Dropping one that was written but not acknowledged is allowed: a resume that needs it is
    /// answered `resumed: false`. Dropping one never written is not: false, the session is lost.
    fn evict(&mut self, now: Instant, config: &ResumeConfig) -> bool {
        while let Some((seq, at, frame)) = self.replay.front() {
            let too_many = self.replay.len() > config.buffer;
            let too_big = self.bytes > config.buffer_bytes;
            let too_old = now.saturating_duration_since(*at) > config.window;
            if !(too_many || too_big || too_old) {
                break;
            }
            if *seq > self.written {
                return false;
            }
            self.bytes -= frame.len();
            self.replay.pop_front();
        }
        true
    }

    /// Whether the buffer still holds every message after `last_seq`: none of them evicted, nor
    /// acknowledged (a client may offer less than it, or another tab of it, acknowledged).
    fn can_fill_from(&self, last_seq: u64) -> bool {
        let first_held = self.replay.front().map_or(self.sent + 1, |(seq, _, _)| *seq);
        last_seq <= self.sent && last_seq.saturating_add(1) >= first_held
    }

    /// How many messages wait for an acknowledgement.
    pub fn unacknowledged(&self) -> usize {
        self.replay.len()
    }

    /// The bytes kept for replay.
    pub fn held_bytes(&self) -> usize {
        self.bytes
    }

    /// Whether messages wait to be written to the attached connection (a replay under way).
    pub fn backlog(&self) -> bool {
        self.attached.is_some() && self.written < self.sent
    }

    /// The next message to write to the attached connection, if one waits (it is then counted as
    /// written).
    pub fn next_to_write(&mut self) -> Option<String> {
        if self.written >= self.sent {
            return None;
        }
        let first = self.replay.front()?.0;
        let index = usize::try_from((self.written + 1).checked_sub(first)?).ok()?;
        let frame = self.replay.get(index)?.2.clone();
        self.written += 1;
        Some(frame)
    }
}

/// What a resume attempt found.
#[derive(Debug, PartialEq)]
pub enum Resumed {
    /// The session continues on the new connection; `previous` is the connection it was taken
    /// from (to be closed 4011) and `received` what the server last received. The messages after
    /// the client's `lastSeq` wait in the session ([`ResumeSession::next_to_write`]), in order.
    Yes { previous: Option<u64>, received: u64 },
    /// Not resumable (unknown, expired, another user's, or a gap the window cannot fill).
    No,
}

/// What became of an application message for a room member.
#[derive(Debug, PartialEq)]
pub enum Delivered {
    /// The member is no session: write the message as it is to the connection of that id.
    NotASession,
    /// Numbered and kept; write `frame` to `connection` now.
    Write {
        /// The connection the session is attached to.
        connection: u64,
        /// The numbered frame.
        frame: String,
    },
    /// Numbered and kept for a resume (detached), or for the replay under way (attached).
    Kept,
    /// Keeping it would have dropped a message the client never got: the session is gone (its
    /// resume answers `resumed: false`). `member` leaves its rooms; `connection`, if the session
    /// was attached, is closed (4013, too slow).
    Lost {
        /// The session's room identity.
        member: u64,
        /// The connection it was attached to.
        connection: Option<u64>,
    },
}

/// Every session, by id, which session each room member is, and the detached ones in the order
/// they were detached (overall, for expiry, and per user, for the per-user bound).
#[derive(Debug, Default)]
pub struct ResumeStore {
    sessions: HashMap<String, ResumeSession>,
    by_member: HashMap<u64, String>,
    detached: BTreeSet<(Instant, String)>,
    detached_by_user: HashMap<String, BTreeSet<(Instant, String)>>,
}

impl ResumeStore {
    /// Opens a new session for `user`, attached to `connection`, with room identity `member`.
    pub fn open(&mut self, user: &str, member: u64, connection: u64) -> String {
        let id = random_id();
        let session = ResumeSession {
            id: id.clone(),
            user: user.to_owned(),
            member,
            attached: Some(connection),
            detached_at: None,
            sent: 0,
            written: 0,
            replay: VecDeque::new(),
            bytes: 0,
            received: 0,
        };
        self.sessions.insert(id.clone(), session);
        self.by_member.insert(member, id.clone());
        id
    }

    /// Resumes session `id` for `user` on `connection`: what follows `last_seq` waits in the
    /// session to be written there. A session of another user is neither touched nor revealed:
    /// the answer is the same as for an unknown id. A session of this user whose gap cannot be
    /// filled is discarded (its member id is returned in `discarded` so the caller can leave its
    /// rooms).
    pub fn resume(
        &mut self,
        id: &str,
        user: &str,
        last_seq: u64,
        connection: u64,
        now: Instant,
        config: &ResumeConfig,
    ) -> (Resumed, Option<u64>) {
        let Some(session) = self.sessions.get_mut(id).filter(|s| s.user == user) else {
            return (Resumed::No, None);
        };
        let kept = session.evict(now, config);
        let expired = session.detached_at.is_some_and(|at| now.saturating_duration_since(at) > config.window);
        if !kept || expired || !session.can_fill_from(last_seq) {
            let member = session.member;
            self.discard(id);
            return (Resumed::No, Some(member));
        }
        // The client has everything up to `last_seq`; the rest is written to it again.
        session.written = last_seq;
        session.ack(last_seq);
        let previous = session.attached.replace(connection).filter(|c| *c != connection);
        let received = session.received;
        if let Some(at) = session.detached_at.take() {
            self.unindex(user, at, id);
        }
        (Resumed::Yes { previous, received }, None)
    }

    /// The session with this id.
    pub fn get_mut(&mut self, id: &str) -> Option<&mut ResumeSession> {
        self.sessions.get_mut(id)
    }

    /// Detaches session `id` from `connection` (if still attached to it): it waits for a resume.
    /// If its user now holds more detached sessions than allowed, the oldest are discarded: their
    /// member ids are returned, for the caller to take them out of their rooms.
    pub fn detach(&mut self, id: &str, connection: u64, now: Instant, config: &ResumeConfig) -> Vec<u64> {
        let Some(session) = self.sessions.get_mut(id).filter(|s| s.attached == Some(connection)) else {
            return Vec::new();
        };
        session.attached = None;
        session.detached_at = Some(now);
        let user = session.user.clone();
        self.detached.insert((now, id.to_owned()));
        let of_user = self.detached_by_user.entry(user.clone()).or_default();
        of_user.insert((now, id.to_owned()));
        let excess = of_user.len().saturating_sub(config.detached_per_user);
        let oldest: Vec<String> = of_user.iter().take(excess).map(|(_, id)| id.clone()).collect();
        oldest.iter().filter_map(|id| self.discard(id)).collect()
    }

    /// Whether session `id` is attached to `connection`.
    pub fn is_attached_to(&self, id: &str, connection: u64) -> bool {
        self.sessions.get(id).is_some_and(|s| s.attached == Some(connection))
    }

    /// Forgets session `id`; returns its member id.
    pub fn discard(&mut self, id: &str) -> Option<u64> {
        let session = self.sessions.remove(id)?;
        self.by_member.remove(&session.member);
        if let Some(at) = session.detached_at {
            self.unindex(&session.user, at, id);
        }
        Some(session.member)
    }

    fn unindex(&mut self, user: &str, at: Instant, id: &str) {
        let key = (at, id.to_owned());
        self.detached.remove(&key);
        if let Some(of_user) = self.detached_by_user.get_mut(user) {
            of_user.remove(&key);
            if of_user.is_empty() {
                self.detached_by_user.remove(user);
            }
        }
    }

    /// Forgets up to `at_most` of the sessions detached for longer than the window, oldest first,
    /// and returns their member ids. Costs what it forgets, not what is kept.
    pub fn expire(&mut self, now: Instant, config: &ResumeConfig, at_most: usize) -> Vec<u64> {
        let mut members = Vec::new();
        while members.len() < at_most {
            let Some((at, id)) = self.detached.first().cloned() else { break };
            if now.saturating_duration_since(at) <= config.window {
                break;
            }
            members.extend(self.discard(&id));
        }
        members
    }

    /// Numbers and keeps `text` for `member`, if it is a session, and says what to do with it.
    pub fn deliver(&mut self, member: u64, text: &str, now: Instant, config: &ResumeConfig) -> Delivered {
        let Some(id) = self.by_member.get(&member).cloned() else { return Delivered::NotASession };
        let Some(session) = self.sessions.get_mut(&id) else { return Delivered::NotASession };
        let write_now = session.attached.is_some() && session.written == session.sent;
        match session.push(text, write_now, now, config) {
            Some(frame) => match session.attached {
                Some(connection) if write_now => Delivered::Write { connection, frame },
                _ => Delivered::Kept,
            },
            None => {
                let connection = session.attached;
                self.discard(&id);
                Delivered::Lost { member, connection }
            }
        }
    }

    /// How many sessions exist.
    pub fn len(&self) -> usize {
        self.sessions.len()
    }

    /// Whether none does.
    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty()
    }

    /// How many of `user`'s sessions are detached.
    pub fn detached_of(&self, user: &str) -> usize {
        self.detached_by_user.get(user).map_or(0, BTreeSet::len)
    }

    /// The bytes every session keeps for replay, together.
    pub fn held_bytes(&self) -> usize {
        self.sessions.values().map(ResumeSession::held_bytes).sum()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn config() -> ResumeConfig {
        ResumeConfig {
            window: Duration::from_secs(60),
            buffer: 3,
            buffer_bytes: 1 << 20,
            detached_per_user: 2,
            enabled: true,
        }
    }

    /// What waits to be written to the attached connection, in order.
    fn to_write(store: &mut ResumeStore, id: &str) -> Vec<String> {
        let session = store.get_mut(id).unwrap();
        std::iter::from_fn(|| session.next_to_write()).collect()
    }

    #[test]
    fn a_resume_replays_exactly_what_follows_the_clients_last_seq() {
        let (mut store, now) = (ResumeStore::default(), Instant::now());
        let id = store.open("alice", 100, 1);
        for n in 1..=3 {
            store.deliver(100, &format!(r#"{{"type":"echo","n":{n}}}"#), now, &config());
        }
        store.detach(&id, 1, now, &config());
        let (resumed, _) = store.resume(&id, "alice", 1, 2, now, &config());
        assert_eq!(resumed, Resumed::Yes { previous: None, received: 0 });
        assert_eq!(
            to_write(&mut store, &id),
            [
                r#"{"type":"msg","seq":2,"data":{"type":"echo","n":2}}"#,
                r#"{"type":"msg","seq":3,"data":{"type":"echo","n":3}}"#
            ]
        );
        // Caught up: the next message is written at once.
        let next = store.deliver(100, "4", now, &config());
        assert_eq!(
            next,
            Delivered::Write { connection: 2, frame: r#"{"type":"msg","seq":4,"data":4}"#.into() }
        );
    }

    #[test]
    fn another_users_or_an_unfillable_resume_is_refused() {
        let (mut store, now) = (ResumeStore::default(), Instant::now());
        let id = store.open("alice", 100, 1);
        assert_eq!(store.resume(&id, "bob", 0, 2, now, &config()), (Resumed::No, None));
        assert!(store.is_attached_to(&id, 1), "bob's attempt left alice's session alone");
        for n in 1..=5 {
            store.deliver(100, &format!("{n}"), now, &config());
        }
        // Only 3, 4 and 5 are kept: a client that has only 1 cannot be filled.
        assert_eq!(store.resume(&id, "alice", 1, 2, now, &config()), (Resumed::No, Some(100)));
        assert!(store.is_empty(), "the unfillable session was discarded");
    }

    #[test]
    fn a_resume_from_below_what_was_acknowledged_is_refused_not_filled_with_a_gap() {
        let (mut store, now) = (ResumeStore::default(), Instant::now());
        let id = store.open("alice", 100, 1);
        for n in 1..=3 {
            store.deliver(100, &format!("{n}"), now, &config());
        }
        // One tab of alice's acknowledged 2; another, behind it, offers 1: the server no longer
        // has 2, so it cannot fill the gap and must say so rather than replay from 3.
        store.get_mut(&id).unwrap().ack(2);
        store.detach(&id, 1, now, &config());
        assert_eq!(store.resume(&id, "alice", 1, 1, now, &config()), (Resumed::No, Some(100)));
        // From what was acknowledged, it is filled.
        let id = store.open("alice", 101, 2);
        for n in 1..=3 {
            store.deliver(101, &format!("{n}"), now, &config());
        }
        store.get_mut(&id).unwrap().ack(2);
        store.detach(&id, 2, now, &config());
        let (resumed, _) = store.resume(&id, "alice", 2, 2, now, &config());
        assert!(matches!(resumed, Resumed::Yes { .. }), "{resumed:?}");
        assert_eq!(to_write(&mut store, &id).len(), 1);
    }

    #[test]
    fn a_detached_session_expires_after_the_window() {
        let (mut store, now) = (ResumeStore::default(), Instant::now());
        let id = store.open("alice", 100, 1);
        store.detach(&id, 1, now, &config());
        assert!(store.expire(now + Duration::from_secs(30), &config(), usize::MAX).is_empty());
        assert_eq!(store.expire(now + Duration::from_secs(61), &config(), usize::MAX), [100]);
        assert!(store.is_empty());
    }

    #[test]
    fn a_user_keeps_at_most_the_allowed_detached_sessions_the_oldest_goes_first() {
        let (mut store, now) = (ResumeStore::default(), Instant::now());
        let ids: Vec<String> = (0..3).map(|n| store.open("alice", 100 + n, n)).collect();
        let bobs = store.open("bob", 200, 9);
        store.detach(&bobs, 9, now, &config());
        let mut evicted = Vec::new();
        for (n, id) in ids.iter().enumerate() {
            evicted.extend(store.detach(id, n as u64, now + Duration::from_millis(n as u64), &config()));
        }
        assert_eq!(evicted, [100], "alice's oldest");
        assert_eq!((store.detached_of("alice"), store.detached_of("bob")), (2, 1));
        assert_eq!(store.resume(&ids[0], "alice", 0, 5, now, &config()), (Resumed::No, None));
    }

    #[test]
    fn a_detached_session_that_would_drop_an_unwritten_message_is_lost() {
        let config = ResumeConfig { buffer: 1000, buffer_bytes: 100, ..config() };
        let (mut store, now) = (ResumeStore::default(), Instant::now());
        let id = store.open("alice", 100, 1);
        // Attached: written at once, so dropping the oldest loses nothing the client did not get.
        for n in 0..10 {
            assert!(matches!(store.deliver(100, &format!("{n:040}"), now, &config), Delivered::Write { .. }));
        }
        assert!(store.get_mut(&id).unwrap().held_bytes() <= 100);
        store.detach(&id, 1, now, &config);
        assert_eq!(store.deliver(100, &"1".repeat(40), now, &config), Delivered::Kept);
        assert_eq!(
            store.deliver(100, &"2".repeat(40), now, &config),
            Delivered::Lost { member: 100, connection: None }
        );
        assert!(store.is_empty());
        assert_eq!(store.deliver(100, "3", now, &config), Delivered::NotASession);
    }
}
