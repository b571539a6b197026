// Instantiates the wasm on first use, synchronously, from bytes inlined in the JS (README, "How
// the wasm is loaded"): no fetch and no asset URL, so no bundler has anything to configure or to
// trace onto the server, and nothing runs at import time, so server-side rendering never touches it.
// The bytes first: their module imports nothing, so bundlers put the string ahead of all JS,
// where gzip compresses the bundle best (scripts/inline-wasm.mjs). js/index.js imports this first.
import { encodedWasm, wasmSingles } from '../pkg/secure_ws_bytes.js';
import * as glue from '../pkg/secure_ws_bg.js';
import { imports } from '../pkg/secure_ws_wasm.js';

let instantiated = false;

/** Idempotent; throws what WebAssembly throws (a CSP without 'wasm-unsafe-eval', for one). */
export function instantiate() {
  if (instantiated) return;
  // What wasm-pack's own bundler entry does with the imported wasm, done by hand
  // (tests/package/loader.test.mjs checks that entry still does exactly this).
  const module = new WebAssembly.Module(wasmBytes());
  const { exports } = new WebAssembly.Instance(module, imports);
  glue.__wbg_set_wasm(exports);
  exports.__wbindgen_start();
  instantiated = true;
}

/**
 * The wasm's bytes from their string form (scripts/inline-wasm.mjs): characters from the 92
 * printable ASCII ones but `"`, `\` and `<`; the first two of them start a two-character byte,
 * any other is a byte by itself. Which bytes have one character is `wasmSingles`' bit map.
 */
export function wasmBytes() {
  const index = [];
  for (let c = 32, n = 0; c < 127; c++) if (c !== 34 && c !== 60 && c !== 92) index[c] = n++;
  const map = atob(wasmSingles);
  const singles = [];
  const pairs = [];
  for (let byte = 0; byte < 256; byte++) ((map.charCodeAt(byte >> 3) >> (byte & 7)) & 1 ? singles : pairs).push(byte);
  const bytes = new Uint8Array(encodedWasm.length);
  let length = 0;
  for (let i = 0; i < encodedWasm.length; i++) {
    const n = index[encodedWasm.charCodeAt(i)];
    bytes[length++] = n > 1 ? singles[n - 2] : pairs[n * 92 + index[encodedWasm.charCodeAt(++i)]];
  }
  return bytes.subarray(0, length);
}
