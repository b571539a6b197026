// Instantiates the wasm on first use, synchronously, from bytes inlined in the JS (README, "How
// the wasm is loaded"): no fetch and no asset URL, so no bundler has anything to configure or to
// trace onto the server, and nothing runs at import time, so server-side rendering never touches it.
import * as glue from '../pkg/secure_ws_bg.js';
import { inflateSync } from '../pkg/inflate.js';
import { deflatedBase64, imports } from '../pkg/secure_ws_wasm.js';

let instantiated = false;

/** Idempotent; throws what WebAssembly throws (a CSP without 'wasm-unsafe-eval', for one). */
export function instantiate() {
  if (instantiated) return;
  const text = atob(deflatedBase64);
  const deflated = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) deflated[i] = text.charCodeAt(i);
  // What wasm-pack's own bundler entry does with the imported wasm, done by hand
  // (tests/package/loader.test.mjs checks that entry still does exactly this).
  const module = new WebAssembly.Module(inflateSync(deflated));
  const { exports } = new WebAssembly.Instance(module, imports);
  glue.__wbg_set_wasm(exports);
  exports.__wbindgen_start();
  instantiated = true;
}
