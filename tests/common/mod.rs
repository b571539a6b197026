//! What the core's native integration tests (tests/core_hot_path.rs, tests/token_memory.rs) share.

use secure_ws::core::JsonFields;

/// An incoming application message as the browser hands it over: an opaque handle, as the wasm's
/// JS object is (the core never reads a message's fields).
#[derive(Debug, Clone)]
pub struct Message;

impl JsonFields for Message {
    fn string(&self, _: &str) -> Option<String> {
        None
    }
    fn boolean(&self, _: &str) -> Option<bool> {
        None
    }
    fn number(&self, _: &str) -> Option<f64> {
        None
    }
    fn object(&self, _: &str) -> Option<Self> {
        None
    }
}
