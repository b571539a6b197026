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
//! Feature `js` is the npm package: `js-class` and the crate's allocator (talc), `no_std`. It is
//! off by default, so a Rust app's binary gets the `Session` export its Rust API needs, and keeps
//! its own allocator.
//!
//! The wire protocol is in `PROTOCOL.md`; the contract in the README.
#![deny(missing_docs)]
#![forbid(unsafe_code)]
// The npm build (`js` without `rust-api`) links no `std`: with it, every possible panic kept Rust's
// panic hook and `core::fmt` machinery in the wasm (~4 KB, issue 14), although on this target the
// hook prints nowhere. Its panic handler below traps, as `panic = "abort"` does after the hook.
#![cfg_attr(all(target_arch = "wasm32", feature = "js", not(feature = "rust-api")), no_std)]

extern crate alloc;

pub mod core;

/// The npm package's wasm heap: talc, a well-kept allocator much smaller than the default
/// dlmalloc. Only with `js`: a library must not choose a Rust app's global allocator.
#[cfg(all(target_arch = "wasm32", feature = "js", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// A panic (a bug: nothing the network or the app sends may cause one) traps, which throws a
/// `RuntimeError` to the JavaScript caller, as it did with `std` and `panic = "abort"`. The npm
/// build proper never reaches it: `scripts/env.sh`'s `npm_wasm_flags` make every panic trap on the
/// spot (`-Cpanic=immediate-abort`); a build with `js` and without those flags (the browser tests')
/// needs it.
#[cfg(all(target_arch = "wasm32", feature = "js", not(feature = "rust-api")))]
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
