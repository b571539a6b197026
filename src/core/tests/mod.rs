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
