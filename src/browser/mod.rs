//! The browser driver: runs the core's actions with `web_sys` and feeds back what happened.
//!
//! It decides nothing. It owns the one `WebSocket`, the one timer, the token fetch and every
//! closure, and releases them when replaced or dropped (nothing is `forget()`-ed), so a session
//! that reconnects for days holds the same number of listeners as one that never did.

mod clock;
mod driver;
mod frame;
mod page;
mod socket;
mod token_source;
#[cfg(feature = "rust-api")]
mod url;

pub(crate) use driver::{Driver, Subscriptions};
pub(crate) use frame::{JsObject, JsText};
pub(crate) use token_source::TokenSource;
#[cfg(feature = "rust-api")]
pub(crate) use url::check_url;
