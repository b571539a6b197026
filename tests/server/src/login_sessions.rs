//! Login sessions: the HttpOnly cookie's value maps to a user until the session expires or the
//! user logs out. Each session also has a separate handle that its WebSocket tokens carry, so a
//! token never holds the cookie and logout can revoke every token the session minted.

use std::{
    collections::{BTreeSet, HashMap},
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

/// Every live login session, by cookie and by handle.
#[derive(Debug, Default)]
pub struct LoginSessions {
    by_cookie: HashMap<String, LoginSession>,
    cookie_by_handle: HashMap<String, String>,
    expiry: BTreeSet<(Instant, String)>,
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
        (cookie, handle)
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
        Some(session)
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
}
