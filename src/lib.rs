//! # secure-ws
//!
//! An authenticated, self-healing WebSocket for the browser, compiled to WebAssembly.
//!
//! - [`core`]: the sans-IO state machine that decides everything (tested natively).
//! - `browser` (wasm only): the driver that runs the core's actions with `web_sys`.
//! - `api` (wasm only): the JavaScript surface, `SecureWebSocket`.
//!
//! The wire protocol is in `PROTOCOL.md`; the contract in the README.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod core;

/// The SDK's wasm heap: talc, a well-kept allocator much smaller than the default dlmalloc.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

#[cfg(target_arch = "wasm32")]
mod api;
#[cfg(target_arch = "wasm32")]
pub use api::{SecureWebSocket, SecureWebSocketOptions};
#[cfg(target_arch = "wasm32")]
mod browser;
