//! Resumable sessions (PROTOCOL.md, "Resumable sessions and advertised limits"): what the server
//! sent to a session, numbered and kept until acknowledged within a bounded replay window, and
//! what it last received from the session, so a client that lost its connection can resume it
//! on a new one without losing or repeating a message.

use std::{
    collections::{HashMap, VecDeque},
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
    /// Sent and not yet acknowledged: (seq, when, the wrapped frame).
    replay: VecDeque<(u64, Instant, String)>,
    /// The highest client sequence number received in order.
    pub received: u64,
}

impl ResumeSession {
    /// Acknowledges every message with `seq ≤ upto` (cumulative; beyond what was sent is ignored).
    pub fn ack(&mut self, upto: u64) {
        let upto = upto.min(self.sent);
        while self.replay.front().is_some_and(|(seq, _, _)| *seq <= upto) {
            self.replay.pop_front();
        }
    }

    /// Numbers `text` (an application message, JSON), keeps it for replay and returns the frame.
    fn push(&mut self, text: &str, now: Instant, config: &ResumeConfig) -> String {
        self.sent += 1;
        let frame = format!(r#"{{"type":"msg","seq":{},"data":{text}}}"#, self.sent);
        self.replay.push_back((self.sent, now, frame.clone()));
        self.evict(now, config);
        frame
    }

    fn evict(&mut self, now: Instant, config: &ResumeConfig) {
        while let Some((_, at, _)) = self.replay.front() {
            let too_many = self.replay.len() > config.buffer;
            let too_old = now.saturating_duration_since(*at) > config.window;
            if !(too_many || too_old) {
                break;
            }
            self.replay.pop_front();
        }
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
}

/// What a resume attempt found.
#[derive(Debug, PartialEq)]
pub enum Resumed {
    /// The session continues on the new connection; `previous` is the connection it was taken
    /// from (to be closed 4011), `received` what the server last received, and `replay` the frames
    /// after the client's `lastSeq`, in order.
    Yes { previous: Option<u64>, received: u64, replay: Vec<String> },
    /// Not resumable (unknown, expired, another user's, or a gap the window cannot fill).
    No,
}

/// Every session, by id, and which session each room member is.
#[derive(Debug, Default)]
pub struct ResumeStore {
    sessions: HashMap<String, ResumeSession>,
    by_member: HashMap<u64, String>,
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
            replay: VecDeque::new(),
            received: 0,
        };
        self.sessions.insert(id.clone(), session);
        self.by_member.insert(member, id.clone());
        id
    }

    /// Resumes session `id` for `user` on `connection`, replaying what follows `last_seq`. A
    /// session of another user is neither touched nor revealed: the answer is the same as for an
    /// unknown id. A session of this user whose gap cannot be filled is discarded (its member id is
    /// returned in `discarded` so the caller can leave its rooms).
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
        session.evict(now, config);
        let expired = session.detached_at.is_some_and(|at| now.saturating_duration_since(at) > config.window);
        if expired || !session.can_fill_from(last_seq) {
            let member = session.member;
            self.discard(id);
            return (Resumed::No, Some(member));
        }
        session.ack(last_seq);
        let previous = session.attached.replace(connection).filter(|c| *c != connection);
        session.detached_at = None;
        let replay = session.replay.iter().map(|(_, _, frame)| frame.clone()).collect();
        (Resumed::Yes { previous, received: session.received, replay }, None)
    }

    /// The session with this id.
    pub fn get_mut(&mut self, id: &str) -> Option<&mut ResumeSession> {
        self.sessions.get_mut(id)
    }

    /// Detaches session `id` from `connection` (if still attached to it): it waits for a resume.
    pub fn detach(&mut self, id: &str, connection: u64, now: Instant) {
        if let Some(session) = self.sessions.get_mut(id).filter(|s| s.attached == Some(connection)) {
            session.attached = None;
            session.detached_at = Some(now);
        }
    }

    /// Whether session `id` is attached to `connection`.
    pub fn is_attached_to(&self, id: &str, connection: u64) -> bool {
        self.sessions.get(id).is_some_and(|s| s.attached == Some(connection))
    }

    /// Forgets session `id`; returns its member id.
    pub fn discard(&mut self, id: &str) -> Option<u64> {
        let session = self.sessions.remove(id)?;
        self.by_member.remove(&session.member);
        Some(session.member)
    }

    /// Forgets sessions detached for longer than the window; returns their member ids.
    pub fn expire(&mut self, now: Instant, config: &ResumeConfig) -> Vec<u64> {
        let expired: Vec<String> = self
            .sessions
            .values()
            .filter(|s| s.detached_at.is_some_and(|at| now.saturating_duration_since(at) > config.window))
            .map(|s| s.id.clone())
            .collect();
        expired.iter().filter_map(|id| self.discard(id)).collect()
    }

    /// If `member` is a session: numbers and keeps `text` for it, and returns the connection it is
    /// attached to (if any) with the frame to write there. `None` if `member` is no session.
    pub fn deliver(
        &mut self,
        member: u64,
        text: &str,
        now: Instant,
        config: &ResumeConfig,
    ) -> Option<(Option<u64>, String)> {
        let session = self.sessions.get_mut(self.by_member.get(&member)?)?;
        let frame = session.push(text, now, config);
        Some((session.attached, frame))
    }

    /// How many sessions exist.
    pub fn len(&self) -> usize {
        self.sessions.len()
    }

    /// Whether none does.
    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn config() -> ResumeConfig {
        ResumeConfig { window: Duration::from_secs(60), buffer: 3, enabled: true }
    }

    #[test]
    fn a_resume_replays_exactly_what_follows_the_clients_last_seq() {
        let (mut store, now) = (ResumeStore::default(), Instant::now());
        let id = store.open("alice", 100, 1);
        for n in 1..=3 {
            store.deliver(100, &format!(r#"{{"type":"echo","n":{n}}}"#), now, &config());
        }
        store.detach(&id, 1, now);
        let (resumed, _) = store.resume(&id, "alice", 1, 2, now, &config());
        let Resumed::Yes { previous: None, received: 0, replay } = resumed else { panic!("{resumed:?}") };
        assert_eq!(
            replay,
            [
                r#"{"type":"msg","seq":2,"data":{"type":"echo","n":2}}"#,
                r#"{"type":"msg","seq":3,"data":{"type":"echo","n":3}}"#
            ]
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
        store.detach(&id, 1, now);
        assert_eq!(store.resume(&id, "alice", 1, 1, now, &config()), (Resumed::No, Some(100)));
        // From what was acknowledged, it is filled.
        let id = store.open("alice", 101, 2);
        for n in 1..=3 {
            store.deliver(101, &format!("{n}"), now, &config());
        }
        store.get_mut(&id).unwrap().ack(2);
        store.detach(&id, 2, now);
        let (resumed, _) = store.resume(&id, "alice", 2, 2, now, &config());
        assert!(matches!(resumed, Resumed::Yes { ref replay, .. } if replay.len() == 1), "{resumed:?}");
    }

    #[test]
    fn a_detached_session_expires_after_the_window() {
        let (mut store, now) = (ResumeStore::default(), Instant::now());
        let id = store.open("alice", 100, 1);
        store.detach(&id, 1, now);
        assert!(store.expire(now + Duration::from_secs(30), &config()).is_empty());
        assert_eq!(store.expire(now + Duration::from_secs(61), &config()), [100]);
    }
}
