//! The browser half that Rust keeps: the core's frames and messages as JS values (`frame`), the
//! clock, and, for the Rust API, the driver that runs the core's actions with `web_sys`.
//!
//! The driver decides nothing. It owns the one `WebSocket`, the one timer, the token fetch and
//! every closure, and releases them when replaced or dropped (nothing is `forget()`-ed), so a
//! session that reconnects for days holds the same number of listeners as one that never did.
//! The npm class has its own driver in JavaScript (src/api/driver.js), on the same io.js.

mod clock;
#[cfg(feature = "rust-api")]
mod driver;
pub(crate) mod frame;
#[cfg(feature = "rust-api")]
mod page;
#[cfg(feature = "rust-api")]
mod socket;
mod token_answer;
#[cfg(feature = "rust-api")]
mod token_source;
#[cfg(feature = "rust-api")]
mod url;
pub(crate) mod wire;

#[cfg(feature = "js")]
pub(crate) use clock::now;
#[cfg(feature = "rust-api")]
pub(crate) use driver::{Driver, Subscriptions};
pub(crate) use frame::{JsObject, JsText};
pub(crate) use token_answer::token_answer;
#[cfg(feature = "rust-api")]
pub(crate) use token_source::TokenSource;
#[cfg(feature = "rust-api")]
pub(crate) use url::check_url;
