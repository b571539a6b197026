// Loads the app that `wasm-bindgen --target web` wrote into pkg/ (see README). A module file, not
// an inline script, so the page runs under the test server's strict CSP.
import init from './pkg/chat.js';
await init();
