//! The core's tests, native only: the state machine on a virtual clock, each module's rules, and a
//! property test over random event sequences. (A wasm build of the test targets skips them.)

mod backoff;
mod close_code;
mod config;
mod handover;
mod hostile;
mod outbox;
mod pacer;
mod props;
mod protocol;
mod resume;
mod session;
mod token;

use crate::core::{Event, SdkError, SendError};

/// The error an `error` event carries, as the app gets it: [`Event::TooLarge`] is one too, with
/// the error `send()` refuses the same sizes with.
pub(crate) fn reported_error<M>(event: &Event<M>) -> Option<SdkError> {
    match event {
        Event::Error(error) => Some(error.clone()),
        &Event::TooLarge { bytes, limit } => Some(SendError::MessageTooLarge { bytes, limit }.into()),
        _ => None,
    }
}
