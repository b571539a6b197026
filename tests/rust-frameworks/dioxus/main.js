// Loads the app that `wasm-bindgen --target web` wrote into pkg/ (scripts/test.sh). A module file,
// not an inline script, so the page runs under the test server's strict CSP. Dioxus mounts into
// the page's `#main`.
import init from './pkg/app.js';
await init();
