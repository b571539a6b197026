// Measures the ways the package could load its wasm (README, "How the wasm is loaded"): bytes an
// app ships (esbuild-minified bundle + separate .wasm, gzip -9) and, in headless Chromium against
// the test server, the time to instantiate the wasm and the time from `new SecureWebSocket` to
// `authenticated` (median of 9 fresh pages each). Needs `npm run build` and the debug test server.
//   node scripts/measure-loading.mjs
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildSync } from 'esbuild';
import { launchChromium, repo, startTestServer } from '../tests/support/browser.mjs';

const dir = mkdtempSync(join(tmpdir(), 'secure-ws-loading-'));
cpSync(join(repo, 'pkg'), join(dir, 'pkg'), { recursive: true });
cpSync(join(repo, 'js'), join(dir, 'js'), { recursive: true });
const wasm = readFileSync(join(repo, 'pkg/secure_ws_bg.wasm'));
writeFileSync(join(dir, 'pkg/raw_base64.js'), `export default ${JSON.stringify(wasm.toString('base64'))};\n`);

// Each variant instantiates the wasm its way, then the glue's class is usable.
const start = `glue.__wbg_set_wasm(instance.exports); instance.exports.__wbindgen_start();`;
const variants = {
  'URL asset, instantiateStreaming (async)': `
    import * as glue from './pkg/secure_ws_bg.js'; import { imports } from './pkg/secure_ws_wasm.js';
    export async function load() {
      const { instance } = await WebAssembly.instantiateStreaming(fetch(new URL('./pkg/secure_ws_bg.wasm', import.meta.url)), imports);
      ${start} }`,
  'inlined base64, initSync (sync)': `
    import * as glue from './pkg/secure_ws_bg.js'; import { imports } from './pkg/secure_ws_wasm.js';
    import base64 from './pkg/raw_base64.js';
    export async function load() {
      const text = atob(base64); const bytes = new Uint8Array(text.length);
      for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
      const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), imports);
      ${start} }`,
  'inlined, one or two characters per byte, sync (chosen)': `
    import { instantiate } from './js/instantiate.js';
    export async function load() { instantiate(); }`,
};

const page = (name) => `
  import { load } from './${name}.js';
  import { SecureWsSession } from './pkg/secure_ws_bg.js';
  import { SecureWebSocket, useSession } from './pkg/secure-web-socket.js';
  await fetch('/api/login', { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'alice', password: 'alice-pass' }) });
  const t0 = performance.now();
  await load();
  useSession(SecureWsSession);
  const t1 = performance.now();
  const ws = new SecureWebSocket('ws://' + location.host + '/ws', { tokenUrl: '/api/ws-token' });
  await ws.ready();
  const t2 = performance.now();
  document.title = JSON.stringify({ instantiate: t1 - t0, ready: t2 - t0 });`;

const rows = [];
const { server, origin } = await startTestServer(['--static', dir]);
const browser = await launchChromium();
try {
  for (const [label, source] of Object.entries(variants)) {
    const name = `v${rows.length}`;
    writeFileSync(join(dir, `${name}.js`), source);
    writeFileSync(join(dir, `${name}-page.js`), page(name));
    writeFileSync(join(dir, `${name}.html`), `<!doctype html><link rel="icon" href="data:,"><script type="module" src="./${name}-page.js"></script>`);
    const bundle = buildSync({ entryPoints: [join(dir, `${name}.js`)], bundle: true, minify: true, format: 'esm', write: false }).outputFiles[0].contents;
    const separateWasm = label.startsWith('URL') ? gzipSync(wasm, { level: 9 }).length : 0;
    const times = [];
    for (let i = 0; i < 9; i++) {
      const context = await browser.newContext();
      const tab = await context.newPage();
      await tab.goto(`${origin}/${name}.html`);
      await tab.waitForFunction(() => document.title.startsWith('{'), null, { timeout: 15_000 });
      times.push(JSON.parse(await tab.title()));
      await context.close();
    }
    const median = (key) => times.map((t) => t[key]).sort((a, b) => a - b)[4].toFixed(1);
    rows.push({ label, js: gzipSync(bundle, { level: 9 }).length, wasm: separateWasm, instantiate: median('instantiate'), ready: median('ready') });
  }
} finally {
  await browser.close();
  server.kill();
  rmSync(dir, { recursive: true, force: true });
}
console.log('| loading | JS gzip -9 | .wasm gzip -9 | total | instantiate (median ms) | to authenticated (median ms) |');
console.log('|---|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.label} | ${r.js} B | ${r.wasm} B | ${r.js + r.wasm} B | ${r.instantiate} | ${r.ready} |`);
