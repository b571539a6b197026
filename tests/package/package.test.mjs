// The tarball as `npm publish` would ship it (packed from a fresh clone by tests/package/pack.mjs):
// exactly the entry, loader, glue, inlined wasm, typings and the React hook, and the wasm inside
// is whole.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const tarball = process.env.SECURE_WS_TARBALL;
assert.ok(tarball, 'SECURE_WS_TARBALL names the packed package (scripts/test.sh sets it)');
const unpacked = mkdtempSync(join(tmpdir(), 'secure-ws-tarball-'));
execFileSync('tar', ['xzf', tarball, '-C', unpacked]);
const pkg = join(unpacked, 'package');
after(() => rmSync(unpacked, { recursive: true, force: true }));

test('the tarball holds the entry, the loader, the glue, the inlined wasm, the typings and the React hook, and nothing else', () => {
  const listed = execFileSync('tar', ['tzf', tarball]).toString().trim().split('\n').map((p) => p.replace(/^package\//, '')).sort();
  const expected = [
    'README.md', 'package.json',
    'js/index.js', 'js/index.d.ts', 'js/instantiate.js',
    'js/share/errors.js', 'js/share/index.js', 'js/share/names.js', 'js/share/outgoing.js', 'js/share/probe.js',
    'js/share/relay.js', 'js/share/replica.js', 'js/share/shared-socket.js',
    'pkg/secure_ws_bg.js', 'pkg/secure_ws.d.ts', 'pkg/secure_ws_wasm.js', 'pkg/secure_ws_bytes.js', 'pkg/events.js', 'pkg/options.js', 'pkg/secure-web-socket.js',
    'react/index.js', 'react/index.d.ts', 'react/pending.js', 'react/through-ref.js',
  ];
  const snippets = listed.filter((path) => /^pkg\/snippets\/[^/]+\/src\/.+\.js$/.test(path));
  assert.ok(snippets.length > 0, 'wasm-bindgen snippets are shipped');
  assert.deepEqual(listed, [...expected, ...snippets].sort());
});

test('every file the package.json exports and every import inside the package resolves within the tarball', async () => {
  const manifest = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'));
  for (const [entry, target] of Object.entries(manifest.exports)) {
    for (const file of typeof target === 'string' ? [target] : Object.values(target)) {
      assert.doesNotThrow(() => readFileSync(join(pkg, file)), `${entry} → ${file}`);
    }
  }
  const entry = await import(pathToFileURL(join(pkg, 'js/index.js')));
  assert.equal(typeof entry.SecureWebSocket, 'function');
});

test("the inlined wasm is the whole module: it decodes, validates, and exports what the glue calls", async () => {
  const { wasmBytes } = await import(pathToFileURL(join(pkg, 'js/instantiate.js')));
  const wasm = wasmBytes();
  assert.ok(WebAssembly.validate(wasm));
  const exported = WebAssembly.Module.exports(new WebAssembly.Module(wasm)).map((e) => e.name);
  // The glue's references to the wasm, under the short names scripts/inline-wasm.mjs gave them.
  const glue = readFileSync(join(pkg, 'pkg/secure_ws_bg.js'), 'utf8');
  const used = new Set([...glue.matchAll(/\bwasm\.(\w+)/g)].map((m) => m[1]));
  assert.ok(used.size > 10, 'the glue calls the wasm');
  for (const name of [...used, '__wbindgen_start']) assert.ok(exported.includes(name), name);
});
