//! The JavaScript surface (issue 14, "lean"): the class `SecureWebSocket` and its driver are
//! JavaScript (secure-web-socket.js, driver.js, with events.js, options.js and the browser I/O of
//! src/browser/io.js); the wasm keeps the state machine, exported flat as [`Session`]. The npm
//! package exports that class; the Rust API (src/rust_api) runs it too, with typed Rust around it.

mod options;
mod session;
#[cfg(feature = "js")]
mod typescript;

#[cfg(any(feature = "js", feature = "rust-api"))]
pub use session::Session;
#[cfg(feature = "js")]
pub use typescript::SecureWebSocketOptions;

use wasm_bindgen::prelude::*;

// The JS half of the class is no import of the wasm, but wasm-bindgen copies a module into the
// package's snippets (beside io.js and text.js, which the class imports by relative path) only
// when some import names it. These are never called, so the wasm and the glue import nothing
// from them; scripts/build.sh re-exports the class at a stable path.
#[wasm_bindgen(module = "/src/api/secure-web-socket.js")]
extern "C" {
    #[wasm_bindgen(js_name = useSession)]
    fn _class(session: JsValue);
}
#[wasm_bindgen(module = "/src/api/driver.js")]
extern "C" {
    #[wasm_bindgen(js_name = Driver)]
    fn _driver();
}
#[wasm_bindgen(module = "/src/api/codes.js")]
extern "C" {
    #[wasm_bindgen(js_name = TIMER)]
    fn _codes();
}
#[wasm_bindgen(module = "/src/api/events.js")]
extern "C" {
    #[wasm_bindgen(js_name = sdkError)]
    fn _events();
}
#[wasm_bindgen(module = "/src/api/options.js")]
extern "C" {
    #[wasm_bindgen(js_name = readOptions)]
    fn _options();
}
