//! The sans-IO core: the whole connection lifecycle as a pure state machine.
//!
//! Nothing in this module touches the browser, a clock or a random source. Time comes in as
//! [`Millis`] on every call, randomness as a seed, and the network as `handle_*` calls. What the
//! outside world must do next comes out of [`SessionCore::poll_action`], and when it must call back
//! comes out of [`SessionCore::poll_timeout`]. This is the shape of `quinn-proto`: every behaviour
//! of the SDK is decided here and can be tested with plain `cargo test` on a virtual clock.

pub mod backoff;
pub mod close_code;
pub mod config;
pub mod error;
pub mod outbox;
pub mod pacer;
pub mod protocol;
pub mod session;
pub mod token;

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;

pub use config::{Config, ConfigError, Heartbeat, ReconnectPolicy};
pub use error::{ErrorCode, SdkError, SendError};
pub use outbox::MessageId;
pub use protocol::{
    FrameError, FrameType, Inbound, JsonFields, OutboundFrame, Payload, ServerLimits, SessionGrant, Verdict,
};
pub use session::{
    Action, ConnectionId, Delivery, Event, Handover, PageEvent, Replication, RequestId, SessionCore, State,
    BUFFERED_HIGH_WATER,
};
pub use token::{Token, TokenError, TokenGrant};

/// Milliseconds on a monotonic clock chosen by the driver (the browser's `performance.now()`).
pub type Millis = u64;
