//! Login sessions: the HttpOnly cookie's value maps to a user until the session expires or the
//! user logs out. Each session also has a separate handle that its WebSocket tokens carry, so a
//! token never holds the cookie and logout can revoke every token the session minted.

use std::{
    collections::{BTreeSet, HashMap, VecDeque},
    time::{Duration, Instant},
};

/// One login.
#[derive(Debug, Clone)]
pub struct LoginSession {
    /// Who logged in.
    pub user: String,
    /// What its tokens carry (`sess` claim).
    pub handle: String,
    /// When it ends.
    pub expires: Instant,
    /// The demo's "reject my next auth": the next `auth` with one of its tokens is refused.
    pub reject_next_auth: bool,
    /// The demo's `ignore_next_resume` fault: the next authentication ignores its `resume` offer.
    pub ignore_next_resume: bool,
}

/// Every live login session, by cookie and by handle, and each user's cookies, oldest first.
#[derive(Debug, Default)]
pub struct LoginSessions {
    by_cookie: HashMap<String, LoginSession>,
    cookie_by_handle: HashMap<String, String>,
    expiry: BTreeSet<(Instant, String)>,
    by_user: HashMap<String, VecDeque<String>>,
}

/// An unguessable value: two v4 UUIDs are 244 random bits from the OS generator.
pub fn random_id() -> String {
    format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple())
}

impl LoginSessions {
    /// Opens a session for `user` that lasts `ttl`; returns the cookie value and the handle.
    pub fn open(&mut self, user: &str, ttl: Duration, now: Instant) -> (String, String) {
        self.prune(now);
        let (cookie, handle) = (random_id(), random_id());
        let expires = now + ttl;
        let session = LoginSession {
            user: user.to_owned(),
            handle: handle.clone(),
            expires,
            reject_next_auth: false,
            ignore_next_resume: false,
        };
        self.by_cookie.insert(cookie.clone(), session);
        self.cookie_by_handle.insert(handle.clone(), cookie.clone());
        self.expiry.insert((expires, cookie.clone()));
        self.by_user.entry(user.to_owned()).or_default().push_back(cookie.clone());
        (cookie, handle)
    }

    /// Ends `user`'s oldest sessions until at most `at_most` are left, as if they had expired
    /// (their tokens are refused from now on). Returns how many ended.
    pub fn keep_newest(&mut self, user: &str, at_most: usize) -> usize {
        let excess = self.by_user.get(user).map_or(0, |cookies| cookies.len().saturating_sub(at_most));
        let oldest: Vec<String> =
            self.by_user.get(user).into_iter().flatten().take(excess).cloned().collect();
        oldest.iter().filter(|cookie| self.close(cookie).is_some()).count()
    }

    /// The live session behind a cookie value.
    pub fn by_cookie(&mut self, cookie: &str, now: Instant) -> Option<&mut LoginSession> {
        self.prune(now);
        self.by_cookie.get_mut(cookie)
    }

    /// The live session with this handle (what a token carries).
    pub fn by_handle(&mut self, handle: &str, now: Instant) -> Option<&mut LoginSession> {
        self.prune(now);
        let cookie = self.cookie_by_handle.get(handle)?;
        self.by_cookie.get_mut(cookie)
    }

    /// Ends the session behind a cookie value.
    pub fn close(&mut self, cookie: &str) -> Option<LoginSession> {
        let session = self.by_cookie.remove(cookie)?;
        self.cookie_by_handle.remove(&session.handle);
        self.expiry.remove(&(session.expires, cookie.to_owned()));
        self.unindex(&session.user, cookie);
        Some(session)
    }

    fn unindex(&mut self, user: &str, cookie: &str) {
        if let Some(cookies) = self.by_user.get_mut(user) {
            cookies.retain(|c| c != cookie);
            if cookies.is_empty() {
                self.by_user.remove(user);
            }
        }
    }

    /// How many sessions are live.
    pub fn len(&self) -> usize {
        self.by_cookie.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.by_cookie.is_empty()
    }

    /// Ends every session whose time is up (cheap: the expiry index is ordered).
    fn prune(&mut self, now: Instant) {
        while let Some(first) = self.expiry.first().filter(|(at, _)| *at <= now).cloned() {
            self.expiry.remove(&first);
            if let Some(session) = self.by_cookie.remove(&first.1) {
                self.cookie_by_handle.remove(&session.handle);
                self.unindex(&session.user, &first.1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_is_found_by_cookie_and_handle_until_it_expires_or_closes() {
        let mut sessions = LoginSessions::default();
        let start = Instant::now();
        let (cookie, handle) = sessions.open("alice", Duration::from_secs(10), start);
        assert_ne!(cookie, handle, "the token's handle is not the cookie");
        assert_eq!(sessions.by_cookie(&cookie, start).unwrap().user, "alice");
        assert_eq!(sessions.by_handle(&handle, start).unwrap().user, "alice");
        assert!(sessions.by_cookie(&cookie, start + Duration::from_secs(10)).is_none(), "expired");
        assert!(sessions.by_handle(&handle, start).is_none());
        let (cookie, handle) = sessions.open("bob", Duration::from_secs(10), start);
        assert!(sessions.close(&cookie).is_some());
        assert!(sessions.by_handle(&handle, start).is_none(), "closed");
        assert!(sessions.is_empty());
    }

    #[test]
    fn a_user_keeps_the_newest_sessions_and_the_index_empties_with_them() {
        let mut sessions = LoginSessions::default();
        let start = Instant::now();
        let opened: Vec<_> = (0..3).map(|_| sessions.open("alice", Duration::from_secs(10), start)).collect();
        let bobs = sessions.open("bob", Duration::from_secs(10), start);
        assert_eq!(sessions.keep_newest("alice", 2), 1);
        assert!(sessions.by_cookie(&opened[0].0, start).is_none(), "the oldest ended");
        assert!(sessions.by_handle(&opened[0].1, start).is_none());
        assert!(sessions.by_cookie(&opened[2].0, start).is_some());
        assert_eq!(sessions.keep_newest("alice", 2), 0);
        assert!(sessions.by_cookie(&bobs.0, start + Duration::from_secs(10)).is_none(), "all expired");
        assert!(sessions.is_empty() && sessions.by_user.is_empty(), "nothing left behind");
    }
}
