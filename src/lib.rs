//! # secure-ws
//!
//! An authenticated, self-healing WebSocket for the browser, compiled to WebAssembly.
//!
//! - [`core`]: the sans-IO state machine that decides everything (tested natively).
//! - `api` (wasm only, feature `js-class`): `Session`, the core behind a flat export surface, and
//!   the class `SecureWebSocket` with its driver, which are JavaScript (`src/api/*.js`, copied
//!   into wasm-bindgen's snippets). Both faces run on it.
//! - `browser` (wasm only, with `api`): frames and messages as JS values, the clock, and the
//!   socket writes `Session` does itself.
//! - `rust_api` (wasm only, default feature `rust-api`): the Rust surface, `rust_api::SecureWebSocket`, with typed messages
//!   through serde and events as a `Stream`, over the JavaScript class: what Rust front-ends
//!   (Leptos, Yew, Dioxus) use.
//!
//! Feature `js` is the npm package's exports: `js-class` with the `Session` typings. What only the
//! npm wasm may have, the crate's allocator (talc) and `no_std`, comes with `--cfg secure_ws_npm`
//! (scripts/env.sh), never with a feature: a Rust app, whatever features it turns on, keeps its
//! own allocator and panic handler.
//!
//! The wire protocol is in `PROTOCOL.md`; the contract in the README.
#![deny(missing_docs)]
#![forbid(unsafe_code)]
// The npm build (`--cfg secure_ws_npm`, without `rust-api`) links no `std`: with it, every possible
// panic kept Rust's panic hook and `core::fmt` machinery in the wasm (~4 KB, issue 14), although on
// this target the hook prints nowhere. Its panic handler below traps, as `panic = "abort"` does
// after the hook.
#![cfg_attr(all(target_arch = "wasm32", secure_ws_npm, not(feature = "rust-api")), no_std)]

extern crate alloc;

pub mod core;

/// The npm package's wasm heap: talc, a well-kept allocator much smaller than the default
/// dlmalloc. Only with `--cfg secure_ws_npm`: a library must not choose a Rust app's global
/// allocator, and a feature would, as soon as any crate of the app's turned it on.
#[cfg(all(target_arch = "wasm32", secure_ws_npm, not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// A panic (a bug: nothing the network or the app sends may cause one) traps, which throws a
/// `RuntimeError` to the JavaScript caller, as it did with `std` and `panic = "abort"`. The npm
/// build proper never reaches it: `scripts/env.sh`'s `npm_wasm_flags` make every panic trap on the
/// spot (`-Cpanic=immediate-abort`); this handler is what a `no_std` build must have.
#[cfg(all(target_arch = "wasm32", secure_ws_npm, not(feature = "rust-api")))]
#[panic_handler]
fn panic(_: &::core::panic::PanicInfo<'_>) -> ! {
    ::core::arch::wasm32::unreachable()
}

#[cfg(all(target_arch = "wasm32", feature = "js-class"))]
mod api;
#[cfg(all(target_arch = "wasm32", feature = "js"))]
pub use api::{SecureWebSocketOptions, Session};
#[cfg(all(target_arch = "wasm32", feature = "js-class"))]
mod browser;
#[cfg(all(target_arch = "wasm32", feature = "rust-api"))]
pub mod rust_api;
