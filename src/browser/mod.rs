//! The browser half that Rust keeps for `Session` (src/api/session.rs): the core's frames and
//! messages as JS values (`frame`), the clock, io.js's token answer and socket writes. The driver
//! itself is JavaScript (src/api/driver.js, on io.js), for both faces: the npm class and the Rust
//! API, which runs that class.

mod clock;
pub(crate) mod frame;
mod token_answer;
pub(crate) mod wire;

pub(crate) use clock::now;
pub(crate) use frame::{JsObject, JsText};
pub(crate) use token_answer::token_answer;
